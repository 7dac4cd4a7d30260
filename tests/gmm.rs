//! The ADBench Gaussian-mixture objective (benches/common/gmm.rs) differentiated by the macro:
//! its gradient against central finite differences and against the hand-written analytic
//! gradient, and forward mode against reverse mode; the same objective written with reused
//! scratch buffers (benches/common/gmm_natural.rs) against the hand-written gradient.

#[path = "../benches/common/gmm.rs"]
mod gmm;
#[path = "../benches/common/gmm_natural.rs"]
mod gmm_natural;

use autodiff::prelude::*;
use gmm::{gmm_gradient_hand, gmm_input, gmm_objective, gmm_objective_jvp, gmm_objective_vjp};

#[test]
fn gmm_gradient_matches_finite_differences_and_the_closed_form() {
    let (d, k, n, gamma, m) = (3, 4, 7, 1.3, 2);
    let (alphas, means, icf, x) = gmm_input(d, k, n);
    let sizes = [alphas.len(), means.len(), icf.len()];
    let params: Vec<f64> = [alphas.clone(), means.clone(), icf.clone()].concat();
    let split = |p: &[f64]| -> (Vec<f64>, Vec<f64>, Vec<f64>) {
        (
            p[..sizes[0]].to_vec(),
            p[sizes[0]..sizes[0] + sizes[1]].to_vec(),
            p[sizes[0] + sizes[1]..].to_vec(),
        )
    };
    let f = |p: &[f64]| {
        let (a, mu, q) = split(p);
        gmm_objective(&a, &mu, &q, &x, d, k, gamma, m)
    };
    let grad = |p: &[f64], g: &mut [f64]| {
        let (a, mu, q) = split(p);
        let (ga, rest) = g.split_at_mut(sizes[0]);
        let (gm, gq) = rest.split_at_mut(sizes[1]);
        let value = gmm_objective_vjp(&a, &mu, &q, &x, d, k, gamma, m, 1.0, ga, gm, gq);
        assert_eq!(value.to_bits(), f(p).to_bits());
    };
    if let Err(e) = gradcheck(f, grad, &params) {
        panic!("gmm: {e}");
    }
    // against the hand-written gradient
    let (mut ga, mut gm, mut gq) = (vec![0.0; sizes[0]], vec![0.0; sizes[1]], vec![0.0; sizes[2]]);
    gmm_objective_vjp(&alphas, &means, &icf, &x, d, k, gamma, m, 1.0, &mut ga, &mut gm, &mut gq);
    let (mut ha, mut hm, mut hq) = (vec![0.0; sizes[0]], vec![0.0; sizes[1]], vec![0.0; sizes[2]]);
    let value =
        gmm_gradient_hand(&alphas, &means, &icf, &x, d, k, gamma, m, &mut ha, &mut hm, &mut hq);
    assert!((value - gmm_objective(&alphas, &means, &icf, &x, d, k, gamma, m)).abs() < 1e-9);
    for (ours, hand) in [ga, gm, gq].iter().flatten().zip([ha, hm, hq].iter().flatten()) {
        assert!((ours - hand).abs() <= 1e-9 * hand.abs().max(1.0), "{ours} vs {hand}");
    }
    // forward against reverse along one direction
    let v: Vec<f64> = (0..params.len()).map(|i| (i as f64 * 0.7).sin()).collect();
    let (va, vm, vq) = split(&v);
    let (_, tangent) = gmm_objective_jvp(&alphas, &means, &icf, &x, d, k, gamma, m, &va, &vm, &vq);
    let mut g = vec![0.0; params.len()];
    grad(&params, &mut g);
    let dot: f64 = g.iter().zip(&v).map(|(a, b)| a * b).sum();
    assert!((tangent - dot).abs() <= 1e-9 * dot.abs().max(1.0), "{tangent} vs {dot}");
}

#[test]
fn gmm_hessian_matches_differences_of_its_gradient() {
    let (d, k, n, gamma, m) = (2, 3, 5, 0.7, 1);
    let (alphas, means, icf, x) = gmm_input(d, k, n);
    let (value, (ga, gm, gq), h) =
        gmm::gmm_objective_hessian(&alphas, &means, &icf, &x, d, k, gamma, m);
    assert_eq!(value.to_bits(), gmm_objective(&alphas, &means, &icf, &x, d, k, gamma, m).to_bits());
    let sizes = [alphas.len(), means.len(), icf.len()];
    let total: usize = sizes.iter().sum();
    assert_eq!((h.nrows(), h.ncols(), ga.len() + gm.len() + gq.len()), (total, total, total));
    assert_eq!(h, h.transpose());
    let params: Vec<f64> = [alphas, means, icf].concat();
    let gradient = |p: &[f64]| -> Vec<f64> {
        let (a, rest) = p.split_at(sizes[0]);
        let (mu, q) = rest.split_at(sizes[1]);
        let (mut ga, mut gm, mut gq) =
            (vec![0.0; sizes[0]], vec![0.0; sizes[1]], vec![0.0; sizes[2]]);
        gmm_objective_vjp(a, mu, q, &x, d, k, gamma, m, 1.0, &mut ga, &mut gm, &mut gq);
        [ga, gm, gq].concat()
    };
    hessian_matches_differences(&h, &params, gradient);
}

/// Scratch buffers rewritten for every (point, component) pair, a running index into the
/// packed triangle, a per-point buffer of log-densities: the gradient is the hand-written one.
#[test]
fn gmm_with_scratch_buffers_has_the_hand_written_gradient() {
    for (d, k, n, gamma, m) in [(3, 4, 7, 1.3, 2), (1, 2, 3, 0.5, 0), (5, 3, 4, 1.0, 1)] {
        let (alphas, means, icf, x) = gmm_input(d, k, n);
        let primal = gmm_objective(&alphas, &means, &icf, &x, d, k, gamma, m);
        let natural = gmm_natural::gmm_natural(&alphas, &means, &icf, &x, d, k, gamma, m);
        assert!((primal - natural).abs() <= 1e-10 * primal.abs().max(1.0), "{primal} vs {natural}");
        let (mut ga, mut gm, mut gq) =
            (vec![0.0; alphas.len()], vec![0.0; means.len()], vec![0.0; icf.len()]);
        let value = gmm_natural::gmm_natural_vjp(
            &alphas, &means, &icf, &x, d, k, gamma, m, 1.0, &mut ga, &mut gm, &mut gq,
        );
        assert_eq!(value.to_bits(), natural.to_bits());
        let (mut ha, mut hm, mut hq) =
            (vec![0.0; alphas.len()], vec![0.0; means.len()], vec![0.0; icf.len()]);
        gmm_gradient_hand(&alphas, &means, &icf, &x, d, k, gamma, m, &mut ha, &mut hm, &mut hq);
        for (ours, hand) in
            [&ga, &gm, &gq].into_iter().flatten().zip([&ha, &hm, &hq].into_iter().flatten())
        {
            assert!((ours - hand).abs() <= 1e-9 * hand.abs().max(1.0), "{ours} vs {hand}");
        }
        // the bench's baseline in the same style is the same gradient
        let (mut na, mut nm, mut nq) =
            (vec![0.0; alphas.len()], vec![0.0; means.len()], vec![0.0; icf.len()]);
        let value = gmm_natural::gmm_natural_gradient_hand(
            &alphas, &means, &icf, &x, d, k, gamma, m, &mut na, &mut nm, &mut nq,
        );
        assert!((value - natural).abs() <= 1e-10 * natural.abs().max(1.0));
        for (hand, other) in [ha, hm, hq].iter().flatten().zip([na, nm, nq].iter().flatten()) {
            assert!((hand - other).abs() <= 1e-9 * hand.abs().max(1.0), "{hand} vs {other}");
        }
    }
}

/// Second order through the scratch buffers: the Hessian of the naturally written objective
/// against central differences of its gradient.
#[test]
fn gmm_with_scratch_buffers_has_the_hessian_of_its_gradient() {
    let (d, k, n, gamma, m) = (2, 3, 4, 0.7, 1);
    let (alphas, means, icf, x) = gmm_input(d, k, n);
    let (value, _, h) = gmm_natural::gmm_natural_hessian(&alphas, &means, &icf, &x, d, k, gamma, m);
    let primal = gmm_natural::gmm_natural(&alphas, &means, &icf, &x, d, k, gamma, m);
    assert_eq!(value.to_bits(), primal.to_bits());
    let sizes = [alphas.len(), means.len(), icf.len()];
    let params: Vec<f64> = [alphas, means, icf].concat();
    let gradient = |p: &[f64]| -> Vec<f64> {
        let (a, rest) = p.split_at(sizes[0]);
        let (mu, q) = rest.split_at(sizes[1]);
        let (mut ga, mut gm, mut gq) =
            (vec![0.0; sizes[0]], vec![0.0; sizes[1]], vec![0.0; sizes[2]]);
        gmm_natural::gmm_natural_vjp(a, mu, q, &x, d, k, gamma, m, 1.0, &mut ga, &mut gm, &mut gq);
        [ga, gm, gq].concat()
    };
    hessian_matches_differences(&h, &params, gradient);
}

/// Each column of `h` against central differences of `gradient` at `params`.
fn hessian_matches_differences(
    h: &nalgebra::DMatrix<f64>,
    params: &[f64],
    gradient: impl Fn(&[f64]) -> Vec<f64>,
) {
    let total = params.len();
    assert_eq!((h.nrows(), h.ncols()), (total, total));
    for j in 0..total {
        let (mut up, mut down) = (params.to_vec(), params.to_vec());
        up[j] += 1e-5;
        down[j] -= 1e-5;
        let (gu, gd) = (gradient(&up), gradient(&down));
        for i in 0..total {
            let fd = (gu[i] - gd[i]) / 2e-5;
            assert!(
                (h[(i, j)] - fd).abs() <= 1e-5 * (1.0 + fd.abs()),
                "H[{i},{j}] = {} vs {fd}",
                h[(i, j)]
            );
        }
    }
}

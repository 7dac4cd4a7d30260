//! `Vec`s built by `collect()` (typed by a `let`, a turbofish or the function's result, also as a
//! branch's value) and `Vec` results: their Jacobians by rows from reverse mode and by columns
//! from forward mode.

use autodiff::prelude::*;

/// Iterations collected into `Vec`s (typed by a `let`, a turbofish, or the function's result),
/// `to_vec()` copies written in place, and integer ranges mapped, folded and summed.
#[differentiable]
fn collected(x: &[f64], n: usize) -> f64 {
    let e: Vec<f64> = x.iter().map(|v| (0.5 * v).exp()).collect();
    let mut c = x.to_vec();
    for i in 1..c.len() {
        c[i] += c[i - 1] * e[i];
    }
    let weighted = (0..n).map(|i| c[i] * (i as f64 + 1.0)).sum::<f64>();
    let pairs = (1..n).fold(0.0, |acc: f64, i| acc + x[i] * x[i - 1]);
    let odd = (0..x.len()).rev().step_by(2).map(|i| x[i].sin()).sum::<f64>();
    let products = (0..n).map(|i| x[i] * x[n - 1 - i]).collect::<Vec<f64>>();
    let squares = products.iter().map(|p| p * p).collect::<Vec<_>>();
    let largest = x.iter().fold(0.0, |m: f64, &v| m.max(v.abs()));
    weighted + pairs + odd + squares.iter().sum::<f64>() + largest
}

/// Closed form of the collected forms' simplest pieces: with `c` and `e` left out (n = 0),
/// ∂/∂x_i is `cos x_i` at odd-from-the-end indices plus `sign(x_m)` at the largest |x_m|.
#[test]
fn iterations_collected_into_vecs_and_ranges_mapped() {
    let x = [0.4, -1.3, 0.9, 2.1, -0.6];
    let (value, g) = collected_grad(&x, 0);
    let odd: f64 = [4usize, 2, 0].iter().map(|&i| x[i].sin()).sum();
    assert!((value - (odd + 2.1)).abs() < 1e-12, "{value}");
    for i in 0..5 {
        let expected = if i % 2 == 0 { x[i].cos() } else { 0.0 } + if i == 3 { 1.0 } else { 0.0 };
        assert!((g[i] - expected).abs() < 1e-12, "{i}: {} vs {expected}", g[i]);
    }
    for n in [3, 5] {
        check_fn!(collected, collected_vjp, collected_jvp, |x| (&x[..], n), &x);
    }
}

#[differentiable]
fn collected_in_branches(x: &[f64], c: bool) -> f64 {
    let e: Vec<f64> =
        if c { x.iter().map(|v| v.sin()).collect() } else { x.iter().map(|v| v.cos()).collect() };
    e[0] * e[1]
}

#[differentiable]
fn neighbour_products(x: &[f64], n: usize) -> Vec<f64> {
    (1..n).map(|i| x[i] * x[i - 1]).collect()
}

/// A collection as a branch's value, and a range's collection typed by the function's result.
#[test]
fn collections_as_branch_values_and_results() {
    let x = [0.3, -1.2, 2.0, 0.7];
    for c in [true, false] {
        check_fn!(
            collected_in_branches,
            collected_in_branches_vjp,
            collected_in_branches_jvp,
            |x| (&x[..], c),
            &x
        );
    }
    let rows = jacobian(
        |x, y_bar, x_bar| {
            neighbour_products_vjp(x, 4, y_bar.to_vec(), x_bar);
        },
        &x,
        3,
    );
    let columns = jacobian_fwd(|x, d| neighbour_products_jvp(x, 4, d).1, &x, 3);
    for i in 0..3 {
        for j in 0..4 {
            let expected = if j == i + 1 {
                x[i]
            } else if j == i {
                x[i + 1]
            } else {
                0.0
            };
            assert_eq!(rows[i][j], expected, "J[{i}][{j}]");
            assert_eq!(columns[i][j], expected, "forward J[{i}][{j}]");
        }
    }
}

#[differentiable]
fn cumulative(x: &[f64], scale: f64) -> Vec<f64> {
    let mut out: Vec<f64> = Vec::with_capacity(x.len());
    let mut acc = 0.0;
    for &xi in x.iter() {
        acc += xi * scale;
        out.push(acc.sin());
    }
    out
}

/// A `Vec` result: `f_vjp` takes a seed of the result's type, `f_jvp` returns its tangent; the
/// Jacobian from reverse mode (rows) equals forward mode's (columns) and finite differences.
#[test]
fn vec_results() {
    let x = [0.5, -1.2, 2.0];
    let n = x.len();
    let point: Vec<f64> = x.iter().copied().chain([0.7]).collect();
    let rows = jacobian(
        |p, y_bar, p_bar| {
            let (gx, gs) = p_bar.split_at_mut(n);
            cumulative_vjp(&p[..n], p[n], y_bar.to_vec(), gx, &mut gs[0]);
        },
        &point,
        n,
    );
    let columns = jacobian_fwd(|p, d| cumulative_jvp(&p[..n], p[n], &d[..n], d[n]).1, &point, n);
    for j in 0..=n {
        let h = 1e-6;
        let (mut up, mut down) = (point.clone(), point.clone());
        up[j] += h;
        down[j] -= h;
        let (fu, fd) = (cumulative(&up[..n], up[n]), cumulative(&down[..n], down[n]));
        for i in 0..n {
            let numeric = (fu[i] - fd[i]) / (2.0 * h);
            assert!(
                (rows[i][j] - numeric).abs() < 1e-6,
                "J[{i}][{j}]: {} vs {numeric}",
                rows[i][j]
            );
            assert!((columns[i][j] - rows[i][j]).abs() < 1e-12, "forward J[{i}][{j}]");
        }
    }
}

#[differentiable]
fn softmax(x: &[f64]) -> Vec<f64> {
    let m = x.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let e = x.iter().map(|v| (v - m).exp()).collect::<Vec<_>>();
    let s: f64 = e.iter().sum();
    e.iter().map(|v| v / s).collect()
}

/// Softmax written with `collect`: its Jacobian is `diag(p) - p pᵀ`, by rows from reverse
/// mode and by columns from forward mode.
#[test]
fn softmax_collected_has_its_closed_form_jacobian() {
    let x = [0.3, -1.2, 2.0, 0.7];
    let p = softmax(&x);
    let rows = jacobian(
        |x, y_bar, x_bar| {
            softmax_vjp(x, y_bar.to_vec(), x_bar);
        },
        &x,
        4,
    );
    let columns = jacobian_fwd(|x, d| softmax_jvp(x, d).1, &x, 4);
    for i in 0..4 {
        for j in 0..4 {
            let expected = if i == j { p[i] } else { 0.0 } - p[i] * p[j];
            assert!((rows[i][j] - expected).abs() < 1e-12, "J[{i}][{j}] = {}", rows[i][j]);
            assert!((columns[i][j] - expected).abs() < 1e-12, "forward J[{i}][{j}]");
        }
    }
}

/// A right-hand side written as a `vec!` of expressions, as ODE code writes it.
#[differentiable]
fn lotka_volterra(y: &[f64], a: f64, b: f64) -> Vec<f64> {
    vec![a * y[0] - b * y[0] * y[1], b * y[0] * y[1] - y[1]]
}

// Its caller, stepping with it; and a `vec!` of active values read and written in place.
#[allow(clippy::needless_range_loop, clippy::useless_vec)]
#[differentiable]
fn stepped_populations(y0: &[f64], a: f64, b: f64, h: f64) -> f64 {
    let mut y = y0.to_vec();
    for _ in 0..10 {
        let d: Vec<f64> = lotka_volterra(&y, a, b);
        for i in 0..2 {
            y[i] += h * d[i];
        }
    }
    let w = vec![y[0] * 2.0, y[1].sin(), a];
    let mut v: Vec<f64> = vec![w[0], b];
    v[1] *= w[1];
    v.push(h);
    w[0] + w[1] * w[2] + v[0] * v[1] + v[2]
}

#[test]
fn vec_literals_of_active_values() {
    check_fn!(
        stepped_populations,
        stepped_populations_vjp,
        stepped_populations_jvp,
        |v| (&v[..2], v[2], v[3], v[4]),
        &[1.0, 0.5, 1.1, 0.4, 0.05]
    );
    // the Jacobian of the right-hand side, by f_vjp with each seed
    let y = [1.0, 0.5];
    for (k, exact) in
        [[1.1 - 0.4 * 0.5, -0.4 * 1.0], [0.4 * 0.5, 0.4 * 1.0 - 1.0]].iter().enumerate()
    {
        let mut seed = [0.0; 2];
        seed[k] = 1.0;
        let (mut gy, mut ga, mut gb) = (vec![0.0; 2], 0.0, 0.0);
        lotka_volterra_vjp(&y, 1.1, 0.4, seed.to_vec(), &mut gy, &mut ga, &mut gb);
        assert!((gy[0] - exact[0]).abs() < 1e-15 && (gy[1] - exact[1]).abs() < 1e-15, "{gy:?}");
    }
}

#[differentiable]
fn probabilities(z: &[f64]) -> Vec<f64> {
    let m = z.iter().fold(f64::MIN, |a, &b| a.max(b));
    let e: Vec<f64> = z.iter().map(|v| (v - m).exp()).collect();
    let s: f64 = e.iter().sum();
    e.iter().map(|v| v / s).collect()
}

/// A call's `Vec` result bound without a type and iterated: zipped with a known sequence, and
/// reduced as floats.
#[differentiable(wrt(z))]
fn cross_entropy_of(z: &[f64], target: &[f64]) -> f64 {
    let p = probabilities(z);
    let mut loss = 0.0;
    for (pi, ti) in p.iter().zip(target.iter()) {
        loss -= ti * pi.ln();
    }
    loss + p.iter().map(|v| v * v).sum::<f64>()
}

#[differentiable]
fn oscillator(y: &[f64], k: f64) -> Vec<f64> {
    vec![y[1], -k * y[0]]
}

// Heun's method with the stages bound without types.
#[allow(clippy::needless_range_loop)]
#[differentiable]
fn heun(y0: &[f64], k: f64, h: f64) -> f64 {
    let mut y = y0.to_vec();
    for _ in 0..5 {
        let k1 = oscillator(&y, k);
        let y2: Vec<f64> = y.iter().zip(k1.iter()).map(|(yi, ki)| yi + h * ki).collect();
        let k2 = oscillator(&y2, k);
        for i in 0..y.len() {
            y[i] += 0.5 * h * (k1[i] + k2[i]);
        }
    }
    y[0] * y[1] + y[0]
}

#[test]
fn untyped_call_results_iterated() {
    let target = [0.2, 0.3, 0.5];
    let z = [0.3, -1.0, 2.0];
    // -target + p (p · t summed to 1) + 2 (p ⊙ p - (p · p) p): softmax's Jacobian applied
    let (_, g) = cross_entropy_of_grad(&z, &target);
    let p = probabilities(&z);
    let pp: f64 = p.iter().map(|v| v * v).sum();
    for i in 0..3 {
        let exact = p[i] - target[i] + 2.0 * (p[i] * p[i] - pp * p[i]);
        assert!((g[i] - exact).abs() < 1e-14, "{} vs {exact}", g[i]);
    }
    check_fn!(heun, heun_vjp, heun_jvp, |v| (&v[..2], v[2], v[3]), &[1.0, 0.0, 2.0, 0.1]);
}

//! nalgebra's fixed-size vectors and matrices as active values: arithmetic, products, `dot`,
//! `cross`, `norm`, `normalize`, `transpose`, component access and construction; gradients
//! against central finite differences and a reprojection residual's Jacobian against finite
//! differences, in both modes.

use autodiff::prelude::*;
use nalgebra::{Matrix3, Vector2, Vector3};

#[differentiable]
fn geometry(a: Vector3<f64>, b: Vector3<f64>, m: Matrix3<f64>, s: f64) -> f64 {
    let c = a.cross(&b);
    let n = c.normalize();
    let mm = m.transpose() * m;
    let v = mm * (a * s) / (1.0 + b.norm_squared());
    let mut w = v;
    w[1] = w[0] * w.z;
    n.dot(&w) + v.norm() + a.x * b.y - (2.0 * a - b).norm_squared()
}

fn unpack(x: &[f64]) -> (Vector3<f64>, Vector3<f64>, Matrix3<f64>, f64) {
    (
        Vector3::from_column_slice(&x[0..3]),
        Vector3::from_column_slice(&x[3..6]),
        Matrix3::from_column_slice(&x[6..15]),
        x[15],
    )
}

#[test]
fn vector_and_matrix_operations_match_finite_differences() {
    let x: Vec<f64> = (0..16).map(|i| 0.4 * (i as f64 * 1.3).sin() + 0.1).collect();
    let f = |x: &[f64]| {
        let (a, b, m, s) = unpack(x);
        geometry(a, b, m, s)
    };
    let grad = |x: &[f64], g: &mut [f64]| {
        let (a, b, m, s) = unpack(x);
        let (mut ga, mut gb, mut gm, mut gs) =
            (Vector3::zeros(), Vector3::zeros(), Matrix3::zeros(), 0.0);
        let value = geometry_vjp(a, b, m, s, 1.0, &mut ga, &mut gb, &mut gm, &mut gs);
        assert_eq!(value.to_bits(), f(x).to_bits());
        let flat: Vec<f64> =
            ga.iter().chain(gb.iter()).chain(gm.iter()).copied().chain([gs]).collect();
        g.iter_mut().zip(flat).for_each(|(gi, v)| *gi += v);
    };
    if let Err(e) = gradcheck(f, grad, &x) {
        panic!("geometry: {e}");
    }
    // forward mode along a direction equals the gradient's projection
    let d: Vec<f64> = (0..16).map(|i| (i as f64 * 0.9).cos()).collect();
    let (a, b, m, s) = unpack(&x);
    let (da, db, dm, ds) = unpack(&d);
    let (_, tangent) = geometry_jvp(a, b, m, s, da, db, dm, ds);
    let mut g = vec![0.0; 16];
    grad(&x, &mut g);
    let dot: f64 = g.iter().zip(&d).map(|(a, b)| a * b).sum();
    assert!((tangent - dot).abs() <= 1e-10 * dot.abs().max(1.0), "{tangent} vs {dot}");
}

/// The residual of projecting a 3-d point through a camera (rotation, translation, focal
/// length) against an observed pixel.
#[differentiable(wrt(rotation, translation, point, focal))]
fn reprojection(
    rotation: Matrix3<f64>,
    translation: Vector3<f64>,
    point: Vector3<f64>,
    focal: f64,
    observed: Vector2<f64>,
) -> Vector2<f64> {
    let p = rotation * point + translation;
    let projected = Vector2::new(p.x / p.z, p.y / p.z) * focal;
    projected - observed
}

#[test]
fn reprojection_jacobian_matches_finite_differences() {
    let observed = Vector2::new(0.3, -0.2);
    let x: Vec<f64> = (0..16).map(|i| 0.3 * (i as f64 * 0.7).cos()).collect();
    let unpack = |x: &[f64]| {
        (
            Matrix3::from_column_slice(&x[0..9]),
            Vector3::from_column_slice(&x[9..12]),
            Vector3::from_column_slice(&x[12..15]) + Vector3::new(0.0, 0.0, 3.0),
            x[15] + 1.0,
        )
    };
    let f = |x: &[f64]| {
        let (r, t, p, fl) = unpack(x);
        reprojection(r, t, p, fl, observed)
    };
    let rows = jacobian(
        |x, y_bar, x_bar| {
            let (r, t, p, fl) = unpack(x);
            let (mut gr, mut gt, mut gp, mut gf) =
                (Matrix3::zeros(), Vector3::zeros(), Vector3::zeros(), 0.0);
            reprojection_vjp(
                r,
                t,
                p,
                fl,
                observed,
                Vector2::new(y_bar[0], y_bar[1]),
                &mut gr,
                &mut gt,
                &mut gp,
                &mut gf,
            );
            let flat = gr.iter().chain(gt.iter()).chain(gp.iter()).copied().chain([gf]);
            x_bar.iter_mut().zip(flat).for_each(|(a, b)| *a += b);
        },
        &x,
        2,
    );
    let columns = jacobian_fwd(
        |x, d| {
            let (r, t, p, fl) = unpack(x);
            let (dr, dt, dp, df) = (
                Matrix3::from_column_slice(&d[0..9]),
                Vector3::from_column_slice(&d[9..12]),
                Vector3::from_column_slice(&d[12..15]),
                d[15],
            );
            let (_, tangent) = reprojection_jvp(r, t, p, fl, observed, dr, dt, dp, df);
            vec![tangent.x, tangent.y]
        },
        &x,
        2,
    );
    for j in 0..16 {
        let h = 1e-6;
        let (mut up, mut down) = (x.clone(), x.clone());
        up[j] += h;
        down[j] -= h;
        let fd = (f(&up) - f(&down)) / (2.0 * h);
        for i in 0..2 {
            assert!(
                (rows[i][j] - fd[i]).abs() < 1e-6 * fd[i].abs().max(1.0),
                "reverse J[{i}][{j}] = {} vs {}",
                rows[i][j],
                fd[i]
            );
            assert!(
                (columns[i][j] - rows[i][j]).abs() < 1e-12 * rows[i][j].abs().max(1.0),
                "forward J[{i}][{j}]"
            );
        }
    }
}

/// A particle under an inverse-square pull, integrated by a loop that overwrites its vector
/// state (taped), with a data-dependent `while`, `break` and an early `return`.
#[differentiable]
fn orbit(p: Vector3<f64>, v: Vector3<f64>, n: usize, cut: usize, ret: usize) -> f64 {
    let mut x = p;
    let mut u = v;
    let mut k = 0;
    while k < n {
        let r = x.norm();
        let a = x * (-1.0 / (r * r * r));
        u += a * 0.05;
        x += u * 0.05;
        k += 1;
        if k == cut {
            break;
        }
        if k == ret {
            return x.norm_squared();
        }
    }
    x.norm_squared() + u.dot(&x)
}

#[test]
fn vectors_carried_through_data_dependent_loops() {
    let x = [1.0, 0.2, -0.1, 0.1, 0.9, 0.3];
    // no exit; the break at step 7; the return at step 5
    for (n, cut, ret) in [(0, 99, 99), (20, 99, 99), (20, 7, 99), (20, 99, 5)] {
        let f = |x: &[f64]| {
            orbit(
                Vector3::from_column_slice(&x[..3]),
                Vector3::from_column_slice(&x[3..]),
                n,
                cut,
                ret,
            )
        };
        let grad = |x: &[f64], g: &mut [f64]| {
            let (p, v) = (Vector3::from_column_slice(&x[..3]), Vector3::from_column_slice(&x[3..]));
            let (mut gp, mut gv) = (Vector3::zeros(), Vector3::zeros());
            assert_eq!(
                orbit_vjp(p, v, n, cut, ret, 1.0, &mut gp, &mut gv).to_bits(),
                f(x).to_bits()
            );
            g.iter_mut().zip(gp.iter().chain(gv.iter())).for_each(|(gi, v)| *gi += v);
        };
        if let Err(e) = gradcheck(f, grad, &x) {
            panic!("orbit n = {n}: {e}");
        }
    }
}

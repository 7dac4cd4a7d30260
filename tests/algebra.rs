//! nalgebra's fixed-size vectors and matrices as active values: arithmetic, products, `dot`,
//! `cross`, `norm`, `normalize`, `transpose`, component access and construction; gradients
//! against central finite differences and a reprojection residual's Jacobian against finite
//! differences, in both modes.

use autodiff::prelude::*;

mod common;
use nalgebra::{
    DMatrix, DVector, Matrix2, Matrix2x3, Matrix3, Point2, Point3, Rotation2, Rotation3,
    RowVector2, UnitQuaternion, Vector2, Vector3,
};

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

/// A chain of springs between points: `Σ (|p[i+1] - p[i]| - rest)²` plus each point's height
/// `Σ p.z`, over a slice of points.
#[differentiable]
fn springs(p: &[Vector3<f64>], rest: f64) -> f64 {
    let mut energy = 0.0;
    for i in 0..p.len() - 1 {
        let stretch = (p[i + 1] - p[i]).norm() - rest;
        energy += stretch * stretch;
    }
    energy + p.iter().map(|q| q.z).sum::<f64>()
}

/// Twice the signed area of a triangle given as an array of points, and a polyline's length
/// given as a `Vec` of them.
#[differentiable]
fn shapes(t: [Vector2<f64>; 3], line: Vec<Vector2<f64>>) -> f64 {
    let (a, b) = (t[1] - t[0], t[2] - t[0]);
    let mut length = 0.0;
    for w in line.windows(2) {
        length += (w[1] - w[0]).norm();
    }
    a.x * b.y - a.y * b.x + length
}

/// Slices, arrays and `Vec`s of nalgebra points are active like slices of floats: their
/// gradients are `Vec`s (or arrays) of points, against the closed forms.
#[test]
fn sequences_of_points() {
    let p = vec![
        Vector3::new(0.0, 0.0, 0.5),
        Vector3::new(1.0, 0.5, -0.2),
        Vector3::new(1.5, 2.0, 0.3),
    ];
    let rest = 0.8;
    let (value, (gp, grest)) = springs_grad(&p, rest);
    let mut expected = [Vector3::new(0.0, 0.0, 1.0); 3];
    let (mut energy, mut drest) = (0.0, 0.0);
    for i in 0..2 {
        let d = p[i + 1] - p[i];
        let stretch = d.norm() - rest;
        energy += stretch * stretch;
        let push = d / d.norm() * (2.0 * stretch);
        expected[i + 1] += push;
        expected[i] -= push;
        drest -= 2.0 * stretch;
    }
    energy += 0.6;
    assert!((value - energy).abs() < 1e-12);
    assert!((grest - drest).abs() < 1e-12);
    for i in 0..3 {
        assert!((gp[i] - expected[i]).norm() < 1e-12, "{i}: {} vs {}", gp[i], expected[i]);
    }
    // forward mode along one direction agrees with reverse mode
    let dir = vec![
        Vector3::new(0.3, -0.1, 0.2),
        Vector3::new(0.0, 1.0, 0.5),
        Vector3::new(-0.4, 0.2, 0.1),
    ];
    let (_, tangent) = springs_jvp(&p, rest, &dir, 0.0);
    let dot: f64 = gp.iter().zip(&dir).map(|(g, d)| g.dot(d)).sum();
    assert!((tangent - dot).abs() < 1e-12);

    let t = [Vector2::new(0.3, 0.5), Vector2::new(1.0, -0.2), Vector2::new(0.4, 0.9)];
    let line = vec![Vector2::new(0.0, 0.0), Vector2::new(3.0, 4.0), Vector2::new(3.0, 5.0)];
    let (_, (gt, gl)) = shapes_grad(t, line);
    let (a, b) = (t[1] - t[0], t[2] - t[0]);
    assert!((gt[1] - Vector2::new(b.y, -b.x)).norm() < 1e-12);
    assert!((gt[2] - Vector2::new(-a.y, a.x)).norm() < 1e-12);
    assert!((gt[0] + gt[1] + gt[2]).norm() < 1e-12);
    // d|w1 - w0|/dw1 is the unit direction: (0.6, 0.8), then (0, 1)
    let expected = [Vector2::new(-0.6, -0.8), Vector2::new(0.6, -0.2), Vector2::new(0.0, 1.0)];
    for i in 0..3 {
        assert!((gl[i] - expected[i]).norm() < 1e-12, "{i}: {}", gl[i]);
    }
}

/// Points moved along `d` in proportion to their `x`: a `Vec` of points as the result, and a
/// parameter named `d` (the name the forward sweep once used for its sums).
#[allow(clippy::needless_range_loop)] // `p[i].x` is what this tests
#[differentiable]
fn sheared(p: &[Vector3<f64>], d: Vector3<f64>) -> Vec<Vector3<f64>> {
    let mut out: Vec<Vector3<f64>> = Vec::with_capacity(p.len());
    for i in 0..p.len() {
        out.push(p[i] + d * p[i].x);
    }
    out
}

#[test]
fn a_vec_of_points_as_the_result() {
    let p = vec![Vector3::new(0.3, -1.2, 2.0), Vector3::new(0.7, 0.1, 0.5)];
    let d = Vector3::new(0.1, 0.2, 0.3);
    let seed = vec![Vector3::new(1.0, 0.0, 0.0), Vector3::new(0.0, 1.0, 0.0)];
    let (mut gp, mut gd) = (vec![Vector3::zeros(); 2], Vector3::zeros());
    let out = sheared_vjp(&p, d, seed.clone(), &mut gp, &mut gd);
    assert_eq!(out[1], p[1] + d * p[1].x);
    // ∂out_i/∂p_i = I + d e_xᵀ, ∂out_i/∂d = p_i.x I
    for i in 0..2 {
        let expected = seed[i] + Vector3::new(d.dot(&seed[i]), 0.0, 0.0);
        assert!((gp[i] - expected).norm() < 1e-12, "{i}: {}", gp[i]);
    }
    assert!((gd - (seed[0] * p[0].x + seed[1] * p[1].x)).norm() < 1e-12);
    let dir = vec![Vector3::new(0.5, 0.0, 1.0), Vector3::new(-1.0, 2.0, 0.0)];
    let (_, tangent) = sheared_jvp(&p, d, &dir, Vector3::new(0.0, 1.0, 0.0));
    for i in 0..2 {
        let expected = dir[i] + d * dir[i].x + Vector3::new(0.0, 1.0, 0.0) * p[i].x;
        assert!((tangent[i] - expected).norm() < 1e-12);
    }
}

/// Items of `p.iter()` over points are references in Rust: passed on as written (`d.dot(q)`,
/// `c.cross(q)`), zipped, and dereferenced.
#[differentiable]
fn borrowed_points(p: &[Vector3<f64>], q: &[Vector3<f64>], d: Vector3<f64>) -> f64 {
    let along = p.iter().map(|r| d.dot(r)).sum::<f64>();
    let mut c = d;
    for r in p.iter() {
        c = c.cross(r) * 0.5 + r;
    }
    let mut pairs = 0.0;
    for (a, b) in p.iter().zip(q.iter()) {
        pairs += a.dot(b) + (*a - *b).norm_squared();
    }
    along + c.norm() + pairs
}

#[test]
fn points_borrowed_from_iterators() {
    let p = vec![Vector3::new(0.3, -1.2, 2.0), Vector3::new(0.7, 0.1, 0.5)];
    let q = vec![Vector3::new(1.0, 0.5, -0.5), Vector3::new(-0.2, 0.4, 0.9)];
    let d = Vector3::new(0.1, 0.2, 0.3);
    // flatten p, q, d into one point for gradcheck
    let pack = |p: &[Vector3<f64>], q: &[Vector3<f64>], d: &Vector3<f64>| -> Vec<f64> {
        p.iter().chain(q).chain([d]).flat_map(|v| [v.x, v.y, v.z]).collect()
    };
    let unpack = |x: &[f64]| {
        let v: Vec<Vector3<f64>> = x.chunks(3).map(|c| Vector3::new(c[0], c[1], c[2])).collect();
        (v[..2].to_vec(), v[2..4].to_vec(), v[4])
    };
    let x = pack(&p, &q, &d);
    let f = |x: &[f64]| {
        let (p, q, d) = unpack(x);
        borrowed_points(&p, &q, d)
    };
    let grad = |x: &[f64], g: &mut [f64]| {
        let (p, q, d) = unpack(x);
        let (mut gp, mut gq, mut gd) =
            (vec![Vector3::zeros(); 2], vec![Vector3::zeros(); 2], Vector3::zeros());
        borrowed_points_vjp(&p, &q, d, 1.0, &mut gp, &mut gq, &mut gd);
        for (a, b) in g.iter_mut().zip(pack(&gp, &gq, &gd)) {
            *a += b;
        }
    };
    if let Err(e) = gradcheck(f, grad, &x) {
        panic!("{e}");
    }
}

/// Components of points in a sequence by index, `p[i][k]`.
#[allow(clippy::needless_range_loop)] // `p[i][k]` is what this tests
#[differentiable]
fn first_times_last(p: &[Vector3<f64>]) -> f64 {
    let mut s = 0.0;
    for i in 0..p.len() {
        s += p[i][0] * p[i][2];
    }
    s
}

#[test]
fn components_of_points_by_index() {
    let p = [Vector3::new(1.0, 2.0, 3.0), Vector3::new(-0.5, 4.0, 0.25)];
    let (value, g) = first_times_last_grad(&p);
    assert_eq!(value, 3.0 - 0.125);
    assert_eq!(g, vec![Vector3::new(3.0, 0.0, 1.0), Vector3::new(0.25, 0.0, -0.5)]);
}

#[differentiable]
fn by_value(v: Vector3<f64>) -> f64 {
    v.x * v.y + v.z
}

/// A point item dereferenced (`g(*q)`) or rebound (`let q = q * 2.0`) is passed by value.
#[differentiable]
fn points_passed_by_value(p: &[Vector3<f64>]) -> f64 {
    let mut s = 0.0;
    for q in p.iter() {
        s += by_value(*q);
    }
    for q in p.iter() {
        let q = q * 2.0;
        s += by_value(q);
    }
    for q in p.iter() {
        s += q.dot(q);
    }
    s
}

#[test]
fn point_items_passed_by_value_or_reference() {
    let p = [Vector3::new(1.0, 2.0, 3.0), Vector3::new(-0.5, 4.0, 0.25)];
    let (_, g) = points_passed_by_value_grad(&p);
    // (y, x, 1) + (4y, 4x, 2) + 2q
    for (q, g) in p.iter().zip(&g) {
        let expected = Vector3::new(5.0 * q.y + 2.0 * q.x, 5.0 * q.x + 2.0 * q.y, 3.0 + 2.0 * q.z);
        assert!((g - expected).norm() < 1e-12, "{g} vs {expected}");
    }
}

/// nalgebra values behind shared references are active too (tangent `&V`, adjoint `&mut V`),
/// and callers pass them as written (`g(q, &m)` for an item of `p.iter()`, `g(&p[i], &m)`).
#[differentiable]
fn through_references(v: &Vector3<f64>, m: &Matrix3<f64>) -> f64 {
    (m * v).norm() + v.x
}

#[allow(clippy::needless_range_loop)] // `&p[i]` is what this tests
#[differentiable]
fn calls_through_references(p: &[Vector3<f64>], m: Matrix3<f64>) -> f64 {
    let mut s = 0.0;
    for q in p.iter() {
        s += through_references(q, &m);
    }
    for i in 0..p.len() {
        s += through_references(&p[i], &m) * 0.5;
    }
    s
}

#[test]
fn nalgebra_values_behind_references() {
    let v = Vector3::new(1.0, 2.0, 3.0);
    let m = Matrix3::new(1.0, 0.5, 0.0, 0.0, 2.0, 1.0, 1.0, 0.0, 1.5);
    let (value, (gv, gm)) = through_references_grad(&v, &m);
    let mv = m * v;
    assert!((value - (mv.norm() + v.x)).abs() < 1e-12);
    // ∂/∂v = Mᵀ (M v) / |M v| + e_x, ∂/∂M = (M v) vᵀ / |M v|
    assert!((gv - (m.transpose() * mv / mv.norm() + Vector3::x())).norm() < 1e-12);
    assert!((gm - mv * v.transpose() / mv.norm()).norm() < 1e-12);
    let (_, tangent) =
        through_references_jvp(&v, &m, &Vector3::new(0.0, 1.0, 0.0), &Matrix3::zeros());
    assert!((tangent - gv.y).abs() < 1e-12);
    // each point counted 1.5 times: 1.5 (Mᵀ (M q) / |M q| + e_x)
    let p = vec![v, Vector3::new(-0.5, 0.3, 2.0)];
    let (_, (gp, _)) = calls_through_references_grad(&p, m);
    for (q, g) in p.iter().zip(&gp) {
        let mq = m * q;
        let expected = (m.transpose() * mq / mq.norm() + Vector3::x()) * 1.5;
        assert!((g - expected).norm() < 1e-12);
    }
}

/// A reference parameter passed on as written (`v.dot(v)`, `through_references(v, m)`),
/// active or left out by `wrt`; a generic `&Vector3<T>` stays inactive.
#[differentiable]
fn passes_references_on(x: f64, v: &Vector3<f64>, m: &Matrix3<f64>) -> f64 {
    x * v.dot(v) + through_references(v, m) * x
}

#[differentiable(wrt(x))]
fn references_left_out(x: f64, v: &Vector3<f64>, m: &Matrix3<f64>) -> f64 {
    x * (m * v).dot(v) + through_references(v, m) * x
}

#[differentiable]
fn generic_reference<T: Real>(v: &Vector3<T>, s: T) -> T {
    v.x * v.y * s
}

#[test]
fn reference_parameters_passed_on() {
    let (v, m) =
        (Vector3::new(1.0, 2.0, 3.0), Matrix3::new(1.0, 0.5, 0.0, 0.0, 2.0, 1.0, 1.0, 0.0, 1.5));
    // h = |M v| + v_x, ∂h/∂v = Mᵀ (M v) / |M v| + e_x (closed forms)
    let mv = m * v;
    let (h, hv) = (mv.norm() + v.x, m.transpose() * mv / mv.norm() + Vector3::x());
    let (value, (gx, gv, _)) = passes_references_on_grad(0.5, &v, &m);
    assert!((value - (0.5 * v.dot(&v) + h * 0.5)).abs() < 1e-12);
    assert!((gx - (v.dot(&v) + h)).abs() < 1e-12);
    assert!((gv - (v * 2.0 * 0.5 + hv * 0.5)).norm() < 1e-12);
    let (_, gx) = references_left_out_grad(0.5, &v, &m);
    assert!((gx - ((m * v).dot(&v) + h)).abs() < 1e-12);
    assert_eq!(generic_reference_grad(&v, 2.0), (4.0, 2.0));
}

#[differentiable]
fn squared(t: f64) -> f64 {
    t * t
}

/// A closure's or a loop's own `v` is not the reference parameter `v`.
#[differentiable]
fn names_like_a_reference_parameter(v: &Vector3<f64>, x: &[f64]) -> f64 {
    let mut s = x.iter().filter(|v| **v > 0.0).map(|v| v * 2.0).sum::<f64>() + v.x;
    for &v in x.iter() {
        s += squared(v);
    }
    s + v.norm()
}

#[test]
fn reference_parameters_hidden_by_inner_names() {
    let v = Vector3::new(1.0, 2.0, 3.0);
    let x = [1.0, -1.0, 2.0];
    let (value, (gv, gx)) = names_like_a_reference_parameter_grad(&v, &x);
    assert!((value - (6.0 + 1.0 + 6.0 + v.norm())).abs() < 1e-12);
    assert!((gv - (Vector3::x() + v / v.norm())).norm() < 1e-12);
    assert_eq!(gx, vec![2.0 + 2.0, -2.0, 2.0 + 4.0]);
}

#[differentiable]
fn dot_of_reference_and_value(a: &Vector3<f64>, b: Vector3<f64>) -> f64 {
    a.dot(&b)
}

/// A reference parameter dereferenced to pass it by value (`g(&w, *v)`), and passed as is.
#[differentiable]
fn reference_passed_by_value(v: &Vector3<f64>, w: Vector3<f64>) -> f64 {
    dot_of_reference_and_value(&w, *v) + dot_of_reference_and_value(v, w)
}

#[test]
fn a_reference_parameter_dereferenced() {
    let (v, w) = (Vector3::new(1.0, 2.0, 3.0), Vector3::new(0.5, 0.5, 1.0));
    let (value, (gv, gw)) = reference_passed_by_value_grad(&v, w);
    assert_eq!(value, 2.0 * v.dot(&w));
    assert_eq!((gv, gw), (w * 2.0, v * 2.0));
}

/// A rotation built from an active angle, applied to a point; the matrix read back by entry.
#[differentiable]
fn rotated_x(theta: f64, p: Vector2<f64>) -> f64 {
    let (c, s) = (theta.cos(), theta.sin());
    let r = Matrix2::new(c, -s, s, c);
    let q = r * p;
    q.x + 0.5 * r[(1, 0)] + q.y * q.y
}

/// A Kalman-style transition with an active time step.
#[differentiable]
fn propagated(dt: f64, x: Vector2<f64>) -> f64 {
    let f = Matrix2::new(1.0, dt, 0.0, 1.0);
    let g = Matrix2x3::new(dt, 0.0, 1.0, 0.0, dt * dt, 2.0);
    let y = f * x;
    let z = g.transpose() * y;
    y.norm_squared() + z.x * z.z
}

#[test]
fn matrices_built_from_active_entries() {
    let (theta, p) = (0.4, Vector2::new(1.5, -0.5));
    let (value, (g_theta, g_p)) = rotated_x_grad(theta, p);
    assert_eq!(value, rotated_x(theta, p));
    let (c, s) = (theta.cos(), theta.sin());
    let q = Vector2::new(c * p.x - s * p.y, s * p.x + c * p.y);
    let dq = Vector2::new(-s * p.x - c * p.y, c * p.x - s * p.y);
    let exact_theta = dq.x + 0.5 * c + 2.0 * q.y * dq.y;
    assert!((g_theta - exact_theta).abs() < 1e-12, "{g_theta} vs {exact_theta}");
    let exact_p = Vector2::new(c, -s) + 2.0 * q.y * Vector2::new(s, c);
    assert!((g_p - exact_p).norm() < 1e-12, "{g_p} vs {exact_p}");
    let (_, t) = rotated_x_jvp(theta, p, 1.0, Vector2::zeros());
    assert!((t - exact_theta).abs() < 1e-12);

    let f = |v: &[f64]| propagated(v[0], Vector2::new(v[1], v[2]));
    let vjp = |v: &[f64], seed: f64, g: &mut [f64]| {
        let (mut gd, mut gx) = (0.0, Vector2::zeros());
        let value = propagated_vjp(v[0], Vector2::new(v[1], v[2]), seed, &mut gd, &mut gx);
        g[0] += gd;
        g[1] += gx.x;
        g[2] += gx.y;
        value
    };
    let jvp = |v: &[f64], d: &[f64]| {
        propagated_jvp(v[0], Vector2::new(v[1], v[2]), d[0], Vector2::new(d[1], d[2]))
    };
    common::check("propagated", f, vjp, jvp, &[0.3, 1.2, -0.7]);
}

/// A component of a local vector written after it is made.
#[differentiable]
fn lifted(p: Vector2<f64>, h: f64) -> f64 {
    let mut v = Vector3::new(p.x, p.y, 0.0);
    v.z = h * h;
    v.x += h;
    let mut w: Vector3<f64> = Vector3::zeros();
    w.y = p.x;
    v.norm_squared() + w.dot(&v)
}

#[test]
fn components_written_by_name() {
    let f = |v: &[f64]| lifted(Vector2::new(v[0], v[1]), v[2]);
    let vjp = |v: &[f64], seed: f64, g: &mut [f64]| {
        let (mut gp, mut gh) = (Vector2::zeros(), 0.0);
        let value = lifted_vjp(Vector2::new(v[0], v[1]), v[2], seed, &mut gp, &mut gh);
        g[0] += gp.x;
        g[1] += gp.y;
        g[2] += gh;
        value
    };
    let jvp = |v: &[f64], d: &[f64]| {
        lifted_jvp(Vector2::new(v[0], v[1]), v[2], Vector2::new(d[0], d[1]), d[2])
    };
    common::check("lifted", f, vjp, jvp, &[0.4, -1.3, 0.8]);
}

/// The trace of a product and an elementwise product.
#[differentiable]
fn traced(a: Matrix2<f64>, v: Vector2<f64>, w: Vector2<f64>) -> f64 {
    let m = a * a.transpose();
    m.trace() + v.component_mul(&w).norm_squared()
}

#[test]
fn trace_and_component_mul() {
    let (a, v, w) =
        (Matrix2::new(1.0, -0.5, 2.0, 0.3), Vector2::new(0.7, -1.2), Vector2::new(1.5, 0.4));
    let (value, (ga, gv, gw)) = traced_grad(a, v, w);
    assert_eq!(value, traced(a, v, w));
    // trace(A Aᵀ) = |A|², its gradient 2A; |v ∘ w|²: 2 v w² and 2 w v²
    assert!((ga - 2.0 * a).norm() < 1e-12);
    assert!((gv - 2.0 * v.component_mul(&w).component_mul(&w)).norm() < 1e-12);
    assert!((gw - 2.0 * w.component_mul(&v).component_mul(&v)).norm() < 1e-12);
    let (_, t) = traced_jvp(a, v, w, Matrix2::identity(), Vector2::zeros(), Vector2::zeros());
    assert!((t - 2.0 * a.trace()).abs() < 1e-12);
}

/// Constant nalgebra values made in the body (`identity`, `zeros`) beside active ones.
#[differentiable]
fn damped(s: f64, v: Vector3<f64>) -> f64 {
    let m = Matrix3::identity() * s + Matrix3::from_diagonal_element(0.5);
    let offset = Vector3::zeros() + v;
    (m * offset).norm_squared()
}

#[test]
fn constant_algebra_values_made_in_the_body() {
    let (s, v) = (1.3, Vector3::new(0.2, -0.7, 1.1));
    let (value, (gs, gv)) = damped_grad(s, v);
    assert_eq!(value, damped(s, v));
    // |(s + 0.5) v|² = (s + 0.5)² |v|²
    let k = s + 0.5;
    assert!((gs - 2.0 * k * v.norm_squared()).abs() < 1e-12);
    assert!((gv - 2.0 * k * k * v).norm() < 1e-12);
}

/// Indexing values computed in place or carried without annotations: `(h * x)[0]`, an array a
/// helper returns, carried through a loop.
#[differentiable]
fn half_step(r: [f64; 2], k: f64) -> [f64; 2] {
    [r[0] * k, r[1] * k * k]
}

#[differentiable]
fn measured(x: Vector2<f64>, k: f64) -> f64 {
    let h = RowVector2::new(1.0, 0.5);
    let y = (h * x)[0];
    let mut acc = half_step([x.x, x.y], k);
    for _ in 0..3 {
        let next = half_step(acc, k);
        acc = next;
    }
    y * y + acc[0] + acc[1]
}

#[test]
fn values_indexed_without_annotations() {
    let f = |v: &[f64]| measured(Vector2::new(v[0], v[1]), v[2]);
    let vjp = |v: &[f64], seed: f64, g: &mut [f64]| {
        let (mut gx, mut gk) = (Vector2::zeros(), 0.0);
        let value = measured_vjp(Vector2::new(v[0], v[1]), v[2], seed, &mut gx, &mut gk);
        g[0] += gx.x;
        g[1] += gx.y;
        g[2] += gk;
        value
    };
    let jvp = |v: &[f64], d: &[f64]| {
        measured_jvp(Vector2::new(v[0], v[1]), v[2], Vector2::new(d[0], d[1]), d[2])
    };
    common::check("measured", f, vjp, jvp, &[0.4, -1.3, 0.9]);
}

/// The volume a deformation gradient scales, as continuum mechanics writes it.
#[differentiable]
fn log_volume(f: Matrix3<f64>, s: f64) -> f64 {
    let j = (f * s).determinant();
    j.ln()
}

#[test]
fn determinants() {
    let f = Matrix3::new(1.2, 0.1, 0.0, 0.2, 0.9, 0.3, 0.0, -0.1, 1.1);
    let s = 1.3;
    let (value, (gf, gs)) = log_volume_grad(f, s);
    assert_eq!(value, log_volume(f, s));
    // ∂ ln det(sF)/∂F = F⁻ᵀ, ∂/∂s = 3/s
    let inv_t = f.try_inverse().expect("invertible").transpose();
    assert!((gf - inv_t).norm() < 1e-12, "{gf} vs {inv_t}");
    assert!((gs - 3.0 / s).abs() < 1e-12);
    let (_, t) = log_volume_jvp(f, s, Matrix3::identity(), 0.0);
    assert!((t - inv_t.trace()).abs() < 1e-12);
}

/// nalgebra's dynamic vectors are active like slices (contract): tangent `&DVector`, adjoint
/// `&mut DVector`, gradient `DVector`, read by index and iterated.
#[differentiable]
fn dynamic_energy(x: DVector<f64>, k: f64) -> f64 {
    let mut e = 0.0;
    for i in 0..x.len() - 1 {
        let d = x[i + 1] - x[i];
        e += 0.5 * k * d * d;
    }
    e + x.iter().map(|v| v * v).sum::<f64>()
}

#[test]
fn dynamic_vectors_as_parameters() {
    let x = DVector::from_vec(vec![0.3, -1.1, 0.8, 2.0]);
    let k = 1.7;
    let (value, (gx, gk)) = dynamic_energy_grad(x.clone(), k);
    assert_eq!(value, dynamic_energy(x.clone(), k));
    let mut exact = 2.0 * x.clone();
    for i in 0..3 {
        let d = x[i + 1] - x[i];
        exact[i] -= k * d;
        exact[i + 1] += k * d;
    }
    assert!((gx.clone() - exact).norm() < 1e-12, "{gx}");
    let f = |v: &[f64]| dynamic_energy(DVector::from_column_slice(&v[..4]), v[4]);
    let vjp = |v: &[f64], s: f64, g: &mut [f64]| {
        let (mut gx, mut gk) = (DVector::zeros(4), 0.0);
        let value =
            dynamic_energy_vjp(DVector::from_column_slice(&v[..4]), v[4], s, &mut gx, &mut gk);
        g[..4].iter_mut().zip(gx.iter()).for_each(|(a, b)| *a += b);
        g[4] += gk;
        value
    };
    let jvp = |v: &[f64], d: &[f64]| {
        let dx = DVector::from_column_slice(&d[..4]);
        dynamic_energy_jvp(DVector::from_column_slice(&v[..4]), v[4], &dx, d[4])
    };
    common::check("dynamic_energy", f, vjp, jvp, &[0.3, -1.1, 0.8, 2.0, 1.7]);
    let _ = gk;
}

/// nalgebra's dynamic matrices are active like slices, column-major (contract): tangent
/// `&DMatrix`, adjoint `&mut DMatrix`, gradient `DMatrix`; read as `a[(i, j)]`, with
/// `nrows()`/`ncols()`/`shape()`; `dot`, `norm_squared` and `sum` of dynamic parameters.
#[differentiable(wrt(a, x))]
fn least_squares(a: &DMatrix<f64>, x: &DVector<f64>, b: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..a.nrows() {
        let mut r = -b[i];
        for j in 0..a.ncols() {
            r += a[(i, j)] * x[j];
        }
        s += r * r;
    }
    s
}

#[differentiable(hessian)]
fn dynamic_mix(m: DMatrix<f64>, x: DVector<f64>, k: f64) -> f64 {
    let (r, c) = m.shape();
    let mut s = 0.0;
    for v in m.iter() {
        s += (k * v).sin();
    }
    s + m[(r - 1, c - 1)] * x.dot(&x) + k * m.norm_squared() + x.sum().powi(2) + m[1] * x[0]
}

#[differentiable]
fn column_major_quadratic(a: &[f64], rows: usize, x: &[f64]) -> f64 {
    let mut s = 0.0;
    for j in 0..x.len() {
        for i in 0..rows {
            s += a[i + j * rows] * x[j] * x[i];
        }
    }
    s
}

/// A vector read as one column (`x.nrows()`, `x[(i, 0)]`), a matrix passed on as its slice,
/// an inactive matrix used by its own methods, a closure parameter named like the matrix.
#[differentiable(wrt(a, x))]
fn dynamic_reads(a: &DMatrix<f64>, x: &DVector<f64>, c: &DMatrix<f64>) -> f64 {
    let mut s = 0.0;
    for i in 0..x.nrows() {
        s += x[(i, 0)] * x[i] * c.column(1).sum();
    }
    let squares: f64 = a.iter().map(|a| a * a).sum();
    s + squares + column_major_quadratic(a.as_slice(), a.nrows(), x.as_slice()) + c[(1, 0)]
}

#[test]
fn dynamic_vectors_and_matrices_read_otherwise() {
    let c = DMatrix::from_row_slice(2, 2, &[1.0, 2.0, 3.0, 4.0]);
    let unpack = |v: &[f64]| {
        (DMatrix::from_column_slice(3, 3, &v[..9]), DVector::from_column_slice(&v[9..]))
    };
    let point: Vec<f64> = (0..12).map(|i| 0.3 + 0.17 * i as f64 - 0.02 * (i * i) as f64).collect();
    common::check(
        "dynamic_reads",
        |v| {
            let (a, x) = unpack(v);
            dynamic_reads(&a, &x, &c)
        },
        |v, s, g| {
            let (a, x) = unpack(v);
            let (mut ga, mut gx) = (DMatrix::zeros(3, 3), DVector::zeros(3));
            let value = dynamic_reads_vjp(&a, &x, &c, s, &mut ga, &mut gx);
            g.iter_mut().zip(ga.iter().chain(gx.iter())).for_each(|(a, b)| *a += b);
            value
        },
        |v, d| {
            let ((a, x), (da, dx)) = (unpack(v), unpack(d));
            dynamic_reads_jvp(&a, &x, &c, &da, &dx)
        },
        &point,
    );
}

#[test]
fn dynamic_matrices_as_parameters() {
    let a = DMatrix::from_row_slice(2, 3, &[1.0, 2.0, 3.0, -1.0, 0.5, 2.0]);
    let x = DVector::from_vec(vec![0.3, -0.2, 0.7]);
    let b = [1.0, 0.5];
    // ∂/∂A |Ax - b|² = 2 r xᵀ, ∂/∂x = 2 Aᵀ r
    let (value, (ga, gx)) = least_squares_grad(&a, &x, &b);
    let r = &a * &x - DVector::from_column_slice(&b);
    assert!((value - r.norm_squared()).abs() < 1e-12);
    assert!((ga - 2.0 * &r * x.transpose()).norm() < 1e-12);
    assert!((gx - 2.0 * a.transpose() * &r).norm() < 1e-12);

    // central differences, forward against reverse, over (m column-major, x, k)
    let (m, x, k) = (a, x, 0.8);
    let unpack = |v: &[f64]| {
        (DMatrix::from_column_slice(2, 3, &v[..6]), DVector::from_column_slice(&v[6..9]), v[9])
    };
    let f = |v: &[f64]| {
        let (m, x, k) = unpack(v);
        dynamic_mix(m, x, k)
    };
    let vjp = |v: &[f64], s: f64, g: &mut [f64]| {
        let (m, x, k) = unpack(v);
        let (mut gm, mut gx, mut gk) = (DMatrix::zeros(2, 3), DVector::zeros(3), 0.0);
        let value = dynamic_mix_vjp(m, x, k, s, &mut gm, &mut gx, &mut gk);
        let flat = gm.iter().chain(gx.iter()).chain(std::iter::once(&gk));
        g.iter_mut().zip(flat).for_each(|(a, b)| *a += b);
        value
    };
    let jvp = |v: &[f64], d: &[f64]| {
        let (m, x, k) = unpack(v);
        let (dm, dx, dk) = unpack(d);
        dynamic_mix_jvp(m, x, k, &dm, &dx, dk)
    };
    let mut point: Vec<f64> = m.iter().chain(x.iter()).copied().collect();
    point.push(k);
    common::check("dynamic_mix", f, vjp, jvp, &point);

    // the Hessian over the parameters flattened in order (the matrix column-major), against
    // central differences of the gradient
    let (_, _, h) = dynamic_mix_hessian(m.clone(), x.clone(), k);
    let grad = |v: &[f64]| {
        let (m, x, k) = unpack(v);
        let (_, (gm, gx, gk)) = dynamic_mix_grad(m, x, k);
        let mut g: Vec<f64> = gm.iter().chain(gx.iter()).copied().collect();
        g.push(gk);
        g
    };
    for j in 0..point.len() {
        let e = 1e-6;
        let (mut up, mut down) = (point.clone(), point.clone());
        up[j] += e;
        down[j] -= e;
        let (gu, gd) = (grad(&up), grad(&down));
        for i in 0..point.len() {
            let fd = (gu[i] - gd[i]) / (2.0 * e);
            assert!(
                (h[(i, j)] - fd).abs() < 1e-6 * (1.0 + fd.abs()),
                "H[{i},{j}] {} vs {fd}",
                h[(i, j)]
            );
        }
    }
}

#[differentiable]
fn about_z(theta: f64) -> Matrix3<f64> {
    let (s, c) = theta.sin_cos();
    Matrix3::new(c, -s, 0.0, s, c, 0.0, 0.0, 0.0, 1.0)
}

#[differentiable]
fn about_x(theta: f64) -> Matrix3<f64> {
    let (s, c) = theta.sin_cos();
    Matrix3::new(1.0, 0.0, 0.0, 0.0, c, -s, 0.0, s, c)
}

/// Forward kinematics composing rotations that helpers return, bound without types: a call
/// taking floats may return a matrix, which its use beside a vector shows.
#[differentiable]
fn arm_tip_error(q: [f64; 3]) -> f64 {
    let link = Vector3::new(0.5, 0.0, 0.1);
    let r1 = about_z(q[0]);
    let r2 = r1 * about_x(q[1]);
    let r3 = r2 * about_z(q[2]);
    let tip = r1 * link + r2 * link + r3 * link;
    // products of helpers' results, typed or not
    let typed: Matrix3<f64> = about_x(q[0]) * about_z(q[1]);
    let chain = about_z(q[2]) * about_x(q[0]) * about_z(q[1]);
    (tip - Vector3::new(0.8, 0.6, 0.4)).norm_squared() + (typed * link).x + (chain * link).norm()
}

#[test]
fn untyped_matrices_from_helpers_taking_floats() {
    let q = |v: &[f64]| [v[0], v[1], v[2]];
    common::check(
        "arm_tip_error",
        |v| arm_tip_error(q(v)),
        |v, s, g| {
            let mut bar = [0.0; 3];
            let value = arm_tip_error_vjp(q(v), s, &mut bar);
            g.iter_mut().zip(bar).for_each(|(a, b)| *a += b);
            value
        },
        |v, d| arm_tip_error_jvp(q(v), q(d)),
        &[0.3, -0.5, 0.8],
    );
}

/// A camera's aim error through nalgebra's `UnitQuaternion` (differentiated as its rotation
/// matrix, Rodrigues' formula).
#[differentiable(hessian)]
fn camera_aim_error(omega: Vector3<f64>, dir: Vector3<f64>) -> f64 {
    let q = UnitQuaternion::from_scaled_axis(omega);
    let fwd = q * dir;
    1.0 - fwd.dot(&Vector3::z())
}

#[differentiable]
fn camera_aim_error_f32(omega: Vector3<f32>, dir: Vector3<f32>) -> f32 {
    let q = UnitQuaternion::from_scaled_axis(omega);
    1.0 - (q * dir).dot(&Vector3::z())
}

/// Euler angles, an axis and an angle, inverses and transforms, as robotics code writes them.
#[differentiable]
fn posed_point(roll: f64, pitch: f64, yaw: f64, k: f64) -> f64 {
    let r: Rotation3<f64> = Rotation3::from_euler_angles(roll, pitch, yaw);
    let spin = UnitQuaternion::from_axis_angle(&Vector3::z_axis(), k);
    let p = r * (spin * Vector3::new(1.0, 0.5, -0.2));
    let back = r.inverse_transform_vector(&p);
    let planar = Rotation2::new(yaw) * nalgebra::Vector2::new(k, 1.0);
    p.x * p.y + back.norm_squared() * k + r.inverse().transform_vector(&Vector3::x()).z + planar.x
}

/// An orientation integrated from the identity by small rotations, and a rotation parameter
/// left out by `wrt` composed with one of an active axis.
#[allow(clippy::assign_op_pattern)]
#[differentiable(wrt(w))]
fn integrated_orientation(w: Vector3<f64>, q0: UnitQuaternion<f64>) -> f64 {
    let mut q = UnitQuaternion::identity();
    for _ in 0..3 {
        q *= UnitQuaternion::from_scaled_axis(w * 0.1);
    }
    let mut p = q0;
    p = p * UnitQuaternion::from_scaled_axis(w);
    (q * Vector3::new(1.0, 0.0, 0.0)).y + (p * Vector3::new(1.0, 2.0, 3.0)).x
}

/// The gradient of `f` at `x` against central differences, and the tangent along `d` against
/// the gradient (the derivatives' values come through rotation matrices: equal to `f`'s up
/// to rounding).
fn check_rotations(
    f: impl Fn(&[f64]) -> f64,
    grad: impl Fn(&[f64]) -> (f64, Vec<f64>),
    jvp: impl Fn(&[f64], &[f64]) -> (f64, f64),
    x: &[f64],
) {
    let (value, g) = grad(x);
    assert!((value - f(x)).abs() < 1e-14 * (1.0 + value.abs()));
    for i in 0..x.len() {
        let fd = common::central_difference(
            |t| {
                let mut y = x.to_vec();
                y[i] = t;
                f(&y)
            },
            x[i],
        );
        assert!((g[i] - fd).abs() < 1e-7 * (1.0 + fd.abs()), "{i}: {} vs {fd}", g[i]);
    }
    let d: Vec<f64> = (0..x.len()).map(|i| 0.3 + 0.7 * (i as f64).sin()).collect();
    let (_, t) = jvp(x, &d);
    let gd: f64 = g.iter().zip(&d).map(|(a, b)| a * b).sum();
    assert!((t - gd).abs() < 1e-12 * (1.0 + gd.abs()), "{t} vs {gd}");
}

#[test]
fn rotations_of_active_angles_and_axes() {
    let v3 = |v: &[f64]| Vector3::new(v[0], v[1], v[2]);
    check_rotations(
        |v| camera_aim_error(v3(&v[..3]), v3(&v[3..])),
        |v| {
            let (value, (gw, gd)) = camera_aim_error_grad(v3(&v[..3]), v3(&v[3..]));
            (value, gw.iter().chain(gd.iter()).copied().collect())
        },
        |v, d| camera_aim_error_jvp(v3(&v[..3]), v3(&v[3..]), v3(&d[..3]), v3(&d[3..])),
        &[0.2, -0.4, 0.1, 0.3, 0.5, 0.8],
    );
    // at w = 0 the rotation's derivative is [ẇ]x: d/dw ((R(w) d) · z) = d x z
    let dir = Vector3::new(0.3, 0.5, 0.8);
    let (_, (g0, _)) = camera_aim_error_grad(Vector3::zeros(), dir);
    assert!((g0 + dir.cross(&Vector3::z())).norm() < 1e-15, "{g0}");
    // on both sides of the series' thresholds (θ² = 1e-3 in f64, 0.1 in f32): f32 as exact
    // as its precision allows, against f64
    for scale in [1.5e-4, 3e-4, 3e-3, 0.0316, 0.1, 0.3, 0.32, 1.0] {
        let w = Vector3::new(0.6, -0.3, 0.74) * scale;
        let (_, (g64, _)) = camera_aim_error_grad(w, dir);
        let (_, (g32, _)) = camera_aim_error_f32_grad(w.cast::<f32>(), dir.cast::<f32>());
        let err = (g32.cast::<f64>() - g64).norm();
        assert!(err < 2e-6 * (1.0 + g64.norm()), "|w| = {scale}: {g32} vs {g64}");
    }
    // second order: the Hessian against central differences of the gradient
    let point = [0.2, -0.4, 0.1, 0.3, 0.5, 0.8];
    let (_, _, h) = camera_aim_error_hessian(v3(&point[..3]), v3(&point[3..]));
    for i in 0..6 {
        for j in 0..6 {
            let fd = common::central_difference(
                |t| {
                    let mut y = point;
                    y[j] = t;
                    let (_, (gw, gd)) = camera_aim_error_grad(v3(&y[..3]), v3(&y[3..]));
                    if i < 3 { gw[i] } else { gd[i - 3] }
                },
                point[j],
            );
            assert!((h[(i, j)] - fd).abs() < 1e-6 * (1.0 + fd.abs()), "H[{i},{j}]");
        }
    }
    let q0 = UnitQuaternion::from_euler_angles(0.1, 0.2, 0.3);
    check_rotations(
        |v| integrated_orientation(v3(v), q0),
        |v| {
            let (value, g) = integrated_orientation_grad(v3(v), q0);
            (value, g.iter().copied().collect())
        },
        |v, d| integrated_orientation_jvp(v3(v), q0, v3(d)),
        &[0.3, -0.5, 0.8],
    );
    check_rotations(
        |v| posed_point(v[0], v[1], v[2], v[3]),
        |v| {
            let (value, (a, b, c, k)) = posed_point_grad(v[0], v[1], v[2], v[3]);
            (value, vec![a, b, c, k])
        },
        |v, d| posed_point_jvp(v[0], v[1], v[2], v[3], d[0], d[1], d[2], d[3]),
        &[0.3, -0.2, 0.7, 0.4],
    );
}

/// A component written on a vector whose type is given (what the error's help suggests when
/// the macro cannot see that a local is a vector).
#[differentiable]
fn typed_component(v: Vector3<f64>, a: f64) -> f64 {
    let mut w: Vector3<f64> = v * 2.0;
    w.z = a * v.x;
    w.norm_squared()
}

#[test]
fn components_of_typed_vectors() {
    let (value, (gv, ga)) = typed_component_grad(Vector3::new(1.0, 2.0, 3.0), 0.5);
    assert_eq!(value, 4.0 + 16.0 + 0.25);
    assert_eq!(ga, 2.0 * 0.5 * 1.0);
    assert_eq!(gv, Vector3::new(8.0 + 2.0 * 0.5 * 0.5, 16.0, 0.0));
}

#[differentiable(hessian)]
fn spring_force(p: Vector3<f64>, k: f64) -> Vector3<f64> {
    p * (-k)
}

#[differentiable(hessian)]
fn spring_energy(p: Vector3<f64>, k: f64) -> f64 {
    0.5 * k * p.norm_squared()
}

/// Results of calls taking nalgebra values, bound without a type as a physicist writes them:
/// a vector (`f`) in arithmetic with vectors and scalars (`* 0.1`, `/ 2.0`, `-`), and a float
/// (`e`) in float arithmetic and float methods.
#[differentiable]
fn untyped_call_results(x: f64, k: f64) -> f64 {
    let p = Vector3::new(x, 2.0 * x, 0.5);
    let f = spring_force(p, k);
    let q = p + f * 0.1;
    let r = -(f / 2.0) - q;
    let e = spring_energy(q, k);
    let g = e * 2.0 + e.sqrt();
    q.norm_squared() + r.dot(&p) + g
}

#[test]
fn untyped_results_of_calls_taking_nalgebra_values() {
    common::check2(
        "untyped_call_results",
        untyped_call_results,
        untyped_call_results_vjp,
        untyped_call_results_jvp,
        &[(0.7, 3.0)],
    );
}

#[differentiable]
fn inertia(p: Vector3<f64>) -> Matrix3<f64> {
    p * p.transpose()
}

#[differentiable]
fn force_and_energy(p: Vector3<f64>, k: f64) -> (Vector3<f64>, f64) {
    (p * (-k), 0.5 * k * p.norm_squared())
}

/// Untyped results of calls taking nalgebra values, as they travel: into another call, through
/// a loop that reassigns them, out of both arms of a branch, as a tuple's elements, a matrix
/// times itself; and, with `hessian`, times an active float.
#[differentiable(hessian)]
fn untyped_results_travel(x: f64, k: f64) -> f64 {
    let p = Vector3::new(x, 2.0 * x, 0.5);
    let f = spring_force(p, k);
    let g = spring_force(f, k);
    let mut a = spring_force(p, 0.5);
    for _ in 0..3 {
        a = a * 0.5 + g * k;
    }
    let y = if k > 1.0 { spring_force(p, k) } else { spring_force(p * 2.0, k) };
    let e = spring_energy(p, k);
    (f * k).norm_squared() + a.norm() + (y * e).norm_squared()
}

#[differentiable]
fn untyped_tuples_and_matrices(x: f64, k: f64) -> f64 {
    let p = Vector3::new(x, 2.0 * x, 0.5);
    let (f, e) = force_and_energy(p, k);
    let t = force_and_energy(f, k);
    let m = inertia(p);
    (f * 2.0 + p).norm() + e * 3.0 + (t.0 * 2.0).norm() + t.1 * k + (m * m).trace()
}

#[test]
fn untyped_results_through_calls_loops_branches_tuples_and_second_order() {
    let points = [(0.7, 3.0), (0.4, 0.6)];
    common::check2(
        "travel",
        untyped_results_travel,
        untyped_results_travel_vjp,
        untyped_results_travel_jvp,
        &points,
    );
    common::check2(
        "tuples_and_matrices",
        untyped_tuples_and_matrices,
        untyped_tuples_and_matrices_vjp,
        untyped_tuples_and_matrices_jvp,
        &points,
    );
    // second order: the Hessian against central differences of the gradient
    let (x, k) = (0.7, 3.0);
    let (_, _, h) = untyped_results_travel_hessian(x, k);
    let grad = |x: f64, k: f64| untyped_results_travel_grad(x, k).1;
    let step = 1e-5;
    let (gx1, gx0) = (grad(x + step, k), grad(x - step, k));
    let (gk1, gk0) = (grad(x, k + step), grad(x, k - step));
    let columns = [
        ((gx1.0 - gx0.0) / (2.0 * step), (gx1.1 - gx0.1) / (2.0 * step)),
        ((gk1.0 - gk0.0) / (2.0 * step), (gk1.1 - gk0.1) / (2.0 * step)),
    ];
    for (j, (d0, d1)) in columns.iter().enumerate() {
        for (i, d) in [d0, d1].iter().enumerate() {
            assert!(
                (h[(i, j)] - **d).abs() < 1e-5 * (1.0 + d.abs()),
                "H[{i},{j}] {} vs {d}",
                h[(i, j)]
            );
        }
    }
}

#[differentiable]
fn weighted_by_value(v: Vector3<f64>, k: f64) -> f64 {
    v.dot(&Vector3::new(1.0, 2.0, 3.0)) * k
}

#[differentiable]
fn array_by_value(a: [f64; 3]) -> f64 {
    a[0] - a[1] * a[2]
}

/// Names borrowing local values, dereferenced or cloned into by-value parameters.
#[allow(clippy::clone_on_copy)] // written as users write it
#[differentiable]
fn borrowed_locals(x: f64, k: f64) -> f64 {
    let p = Vector3::new(x, 2.0 * x, k);
    let q = &p;
    let arr = [x, k, x * k];
    let a = &arr;
    weighted_by_value(*q, k)
        + weighted_by_value(q.clone(), k)
        + array_by_value(*a)
        + array_by_value(a.clone())
}

#[test]
fn borrowed_locals_passed_by_value() {
    common::check2(
        "borrowed_locals",
        borrowed_locals,
        borrowed_locals_vjp,
        borrowed_locals_jvp,
        &[(0.7, 1.3)],
    );
}

/// Components of nalgebra values made by expressions: `(-p).x`, `(k * q).y`, `(p + q).z`.
#[differentiable]
fn components_of_expressions(x: f64, k: f64) -> f64 {
    let p = Vector3::new(x, 2.0 * x, k);
    let q = Vector3::new(k, x, 1.0);
    (-p).x + (k * q).y + (p + q).z
}

#[test]
fn components_of_vector_expressions() {
    // -x + k x + (k + 1): the gradient (k - 1, x + 1)
    let (v, (gx, gk)) = components_of_expressions_grad(0.5, 2.0);
    assert_eq!((v, gx, gk), (3.5, 1.0, 1.5));
}

/// A point rotated about z and its distance to a target, as a robotics engineer writes it.
#[differentiable(hessian)]
fn rotated_point_distance(angle: f64, px: f64, py: f64) -> f64 {
    let p = Point3::new(px, py, 0.5);
    let r = Rotation3::from_axis_angle(&Vector3::z_axis(), angle);
    let q = r * p;
    let target = Point3::new(1.0, 0.0, 0.5);
    (q - target).norm()
}

/// A quaternion of an active scaled axis rotating a constant point; `distance`, `coords`.
#[differentiable]
fn rotated_fixed_point(w: Vector3<f64>) -> f64 {
    let q = UnitQuaternion::from_scaled_axis(w);
    let p = q * Point3::new(1.0, 2.0, 3.0);
    let to_origin = nalgebra::distance_squared(&p, &Point3::origin());
    p.x + 2.0 * p.coords.y
        + to_origin.sqrt()
        + nalgebra::distance(&p, &Point3::from([0.0, 1.0, 0.0]))
}

/// A point parameter left out by `wrt`, rotated by an active angle; a 2-d point moved by an
/// active vector.
#[differentiable(wrt(s, d))]
fn rotated_point_parameter(p: &Point3<f64>, s: f64, d: Vector2<f64>) -> f64 {
    let r = Rotation3::from_axis_angle(&Vector3::x_axis(), s);
    let mut m = Point2::new(0.5, -1.0);
    m += d * s;
    (r * p).coords.norm_squared() + (r * p).y + (m - Point2::origin()).norm()
}

/// Points of nalgebra (`Point3::new` of active coordinates, rotated, subtracted, `distance`,
/// `coords`, a point parameter): gradients against central differences and closed forms,
/// forward against reverse, the Hessian against differences of the gradient.
#[test]
fn points_rotated_and_measured() {
    check_rotations(
        |v| rotated_point_distance(v[0], v[1], v[2]),
        |v| {
            let (value, (ga, gx, gy)) = rotated_point_distance_grad(v[0], v[1], v[2]);
            (value, vec![ga, gx, gy])
        },
        |v, d| rotated_point_distance_jvp(v[0], v[1], v[2], d[0], d[1], d[2]),
        &[0.3, 0.7, -0.2],
    );
    // closed form: |R(a) p - t| with p = (x, y), t = (1, 0): the distance of the rotated point
    // is |p - R(-a) t|, whose gradient in p is the unit vector from R(-a) t to p
    let (a, x, y) = (0.3f64, 0.7, -0.2);
    let back = (a.cos(), -a.sin());
    let (dx, dy) = (x - back.0, y - back.1);
    let n = dx.hypot(dy);
    let (_, (_, gx, gy)) = rotated_point_distance_grad(a, x, y);
    assert!((gx - dx / n).abs() < 1e-14 && (gy - dy / n).abs() < 1e-14);
    let (_, _, h) = rotated_point_distance_hessian(a, x, y);
    let point = [a, x, y];
    for i in 0..3 {
        for j in 0..3 {
            let fd = common::central_difference(
                |t| {
                    let mut v = point;
                    v[j] = t;
                    let (_, g) = rotated_point_distance_grad(v[0], v[1], v[2]);
                    [g.0, g.1, g.2][i]
                },
                point[j],
            );
            assert!((h[(i, j)] - fd).abs() < 1e-6 * (1.0 + fd.abs()), "H[{i},{j}]");
        }
    }
    let v3 = |v: &[f64]| Vector3::new(v[0], v[1], v[2]);
    check_rotations(
        |v| rotated_fixed_point(v3(v)),
        |v| {
            let (value, g) = rotated_fixed_point_grad(v3(v));
            (value, g.iter().copied().collect())
        },
        |v, d| rotated_fixed_point_jvp(v3(v), v3(d)),
        &[0.1, 0.2, 0.3],
    );
    let p = Point3::new(1.0, 2.0, 3.0);
    check_rotations(
        |v| rotated_point_parameter(&p, v[0], Vector2::new(v[1], v[2])),
        |v| {
            let (value, (gs, gd)) =
                rotated_point_parameter_grad(&p, v[0], Vector2::new(v[1], v[2]));
            (value, vec![gs, gd[0], gd[1]])
        },
        |v, d| {
            let (s, dv) = (v[0], Vector2::new(v[1], v[2]));
            rotated_point_parameter_jvp(&p, s, dv, d[0], Vector2::new(d[1], d[2]))
        },
        &[0.4, 0.3, -0.6],
    );
}

/// Points of a slice left out by `wrt` (a point cloud), rotated by an active scaled axis: read
/// by index and by a loop over them; `Point3::from` of a vector parameter.
#[differentiable(wrt(w, t))]
fn aligned_cloud(
    w: Vector3<f64>,
    t: Vector3<f64>,
    cloud: &[Point3<f64>],
    target: &[Point3<f64>],
) -> f64 {
    let q = UnitQuaternion::from_scaled_axis(w);
    let shift = Point3::from(t);
    let mut e = (q * cloud[0] - target[0]).norm_squared();
    for (i, p) in cloud.iter().enumerate().skip(1) {
        let moved = q * p + shift.coords;
        e += nalgebra::distance_squared(&moved, &target[i]);
    }
    e
}

/// Euler angles' rotation matrix (`r.matrix()`, `*r.matrix()`) of a relative rotation.
#[differentiable]
fn relative_trace(roll: f64, pitch: f64, yaw: f64) -> f64 {
    let a = Rotation3::from_euler_angles(roll, pitch, yaw);
    let b = Rotation3::from_euler_angles(0.1, 0.0, 0.2);
    let rel = a.inverse() * b;
    let m = *rel.matrix();
    rel.matrix().trace() + m[(0, 1)]
}

/// Point clouds as slices of points, `Point3::from(v)`, a rotation's `matrix()`: central
/// differences and forward vs reverse.
#[test]
fn point_clouds_and_rotation_matrices() {
    let cloud =
        [Point3::new(1.0, 0.0, 0.5), Point3::new(0.0, 2.0, -1.0), Point3::new(-1.0, 1.0, 1.0)];
    let target =
        [Point3::new(0.9, 0.3, 0.4), Point3::new(-0.5, 1.8, -1.1), Point3::new(-1.2, 0.4, 1.3)];
    let v3 = |v: &[f64]| Vector3::new(v[0], v[1], v[2]);
    check_rotations(
        |v| aligned_cloud(v3(&v[..3]), v3(&v[3..]), &cloud, &target),
        |v| {
            let (value, (gw, gt)) = aligned_cloud_grad(v3(&v[..3]), v3(&v[3..]), &cloud, &target);
            (value, gw.iter().chain(gt.iter()).copied().collect())
        },
        |v, d| {
            let (w, t) = (v3(&v[..3]), v3(&v[3..]));
            aligned_cloud_jvp(w, t, &cloud, &target, v3(&d[..3]), v3(&d[3..]))
        },
        &[0.2, -0.1, 0.3, 0.05, -0.2, 0.1],
    );
    check_rotations(
        |v| relative_trace(v[0], v[1], v[2]),
        |v| {
            let (value, (a, b, c)) = relative_trace_grad(v[0], v[1], v[2]);
            (value, vec![a, b, c])
        },
        |v, d| relative_trace_jvp(v[0], v[1], v[2], d[0], d[1], d[2]),
        &[0.3, -0.2, 0.5],
    );
}

/// Generic nalgebra code: vectors and matrices of `T: Real + RealField`.
#[differentiable]
fn generic_spring<T: Real + nalgebra::RealField>(p: Vector3<T>, q: Vector3<T>, k: T) -> T {
    let d = p - q;
    let m = Matrix3::new(k, T::ZERO, T::ZERO, T::ZERO, k * k, T::ZERO, T::ZERO, T::ZERO, T::ONE);
    (m * d).dot(&d) + d.norm() * k
}

/// Generic nalgebra code (it was six rustc errors from generated code: the rules were written
/// for `f32` and `f64` only): f64 against central differences and forward mode, f32 against f64.
#[test]
fn generic_vectors_and_matrices() {
    let v3 = |v: &[f64]| Vector3::new(v[0], v[1], v[2]);
    check_rotations(
        |v| generic_spring(v3(&v[..3]), v3(&v[3..6]), v[6]),
        |v| {
            let (value, (gp, gq, gk)) = generic_spring_grad(v3(&v[..3]), v3(&v[3..6]), v[6]);
            (value, gp.iter().chain(gq.iter()).copied().chain([gk]).collect())
        },
        |v, d| generic_spring_jvp(v3(&v[..3]), v3(&v[3..6]), v[6], v3(&d[..3]), v3(&d[3..6]), d[6]),
        &[1.0, 2.0, 3.0, 0.5, 0.0, 1.0, 0.5],
    );
    let (p, q) = (Vector3::new(1.0, 2.0, 3.0), Vector3::new(0.5, 0.0, 1.0));
    let (_, (gp, _, gk)) = generic_spring_grad(p, q, 0.5);
    let (_, (gp32, _, gk32)) = generic_spring_grad(p.cast::<f32>(), q.cast::<f32>(), 0.5f32);
    assert!((gp32.cast::<f64>() - gp).norm() < 1e-5 && (f64::from(gk32) - gk).abs() < 1e-5);
}

/// A softened n-body step as a physicist writes it: the state copied from slices of vectors
/// (`pos.to_vec()`), forces in an untyped `vec![Vector3::zeros(); n]` (both were refused: the
/// copy's and the buffer's element types were not known to be floats).
#[differentiable]
fn n_body_energy(pos: &[Vector3<f64>], vel: &[Vector3<f64>], dt: f64) -> f64 {
    let n = pos.len();
    let mut p = pos.to_vec();
    let mut v = vel.to_vec();
    for _ in 0..3 {
        let mut forces = vec![Vector3::zeros(); n];
        for i in 0..n {
            for j in 0..n {
                if i != j {
                    let d = p[j] - p[i];
                    let r2 = d.norm_squared() + 0.01;
                    forces[i] += d / (r2 * r2.sqrt());
                }
            }
        }
        for i in 0..n {
            v[i] += forces[i] * dt;
            p[i] += v[i] * dt;
        }
    }
    p.iter().map(|q| q.norm_squared()).sum::<f64>()
}

#[test]
fn n_body_with_copied_states_and_untyped_force_buffers() {
    let pos =
        [Vector3::new(1.0, 0.0, 0.0), Vector3::new(-0.5, 0.8, 0.1), Vector3::new(0.2, -0.7, 0.4)];
    let vel =
        [Vector3::new(0.0, 0.3, 0.0), Vector3::new(-0.2, 0.0, 0.1), Vector3::new(0.1, 0.1, -0.3)];
    let flat = |v: &[f64]| -> (Vec<Vector3<f64>>, Vec<Vector3<f64>>) {
        let vecs: Vec<Vector3<f64>> = v.chunks(3).map(|c| Vector3::new(c[0], c[1], c[2])).collect();
        (vecs[..3].to_vec(), vecs[3..6].to_vec())
    };
    let point: Vec<f64> =
        pos.iter().chain(&vel).flat_map(|v| v.iter().copied()).chain([0.1]).collect();
    check_rotations(
        |v| {
            let (p, q) = flat(&v[..18]);
            n_body_energy(&p, &q, v[18])
        },
        |v| {
            let (p, q) = flat(&v[..18]);
            let (value, (gp, gq, gdt)) = n_body_energy_grad(&p, &q, v[18]);
            (value, gp.iter().chain(&gq).flat_map(|g| g.iter().copied()).chain([gdt]).collect())
        },
        |v, d| {
            let ((p, q), (dp, dq)) = (flat(&v[..18]), flat(&d[..18]));
            n_body_energy_jvp(&p, &q, v[18], &dp, &dq, d[18])
        },
        &point,
    );
}

/// A point carried through a loop, rotated and pushed each step; a point chosen by an `if`.
#[differentiable]
fn orbiting_point(theta: f64, r0: f64, steps: usize) -> f64 {
    let mut p = Point2::new(r0, 0.0);
    for _ in 0..steps {
        p = Rotation2::new(theta) * p;
        p += Vector2::new(0.1, 0.0) * theta;
    }
    let q = if p.x > 0.0 { Point2::new(p.x, 0.0) } else { Point2::new(0.0, p.y) };
    p.y + nalgebra::distance(&p, &Point2::origin()) + q.coords.norm()
}

#[test]
fn points_carried_through_loops_and_chosen_by_branches() {
    for (theta, r0) in [(0.3, 1.2), (1.4, 0.8)] {
        check_rotations(
            |v| orbiting_point(v[0], v[1], 5),
            |v| {
                let (value, (a, b)) = orbiting_point_grad(v[0], v[1], 5);
                (value, vec![a, b])
            },
            |v, d| orbiting_point_jvp(v[0], v[1], 5, d[0], d[1]),
            &[theta, r0],
        );
    }
}

/// `Point3::from(a)` of an array parameter: the point of its entries.
#[differentiable]
fn distance_to_array_point(x: f64, a: [f64; 3]) -> f64 {
    let p = Point3::from(a);
    let q = Point3::new(x, 0.0, 0.0);
    nalgebra::distance(&q, &p)
}

#[test]
fn points_from_array_parameters() {
    check_rotations(
        |v| distance_to_array_point(v[0], [v[1], v[2], v[3]]),
        |v| {
            let (value, (gx, ga)) = distance_to_array_point_grad(v[0], [v[1], v[2], v[3]]);
            (value, vec![gx, ga[0], ga[1], ga[2]])
        },
        |v, d| distance_to_array_point_jvp(v[0], [v[1], v[2], v[3]], d[0], [d[1], d[2], d[3]]),
        &[0.5, 1.0, 2.0, 2.0],
    );
}

/// What review s18 met: nalgebra glob-imported (`ComplexField`'s `sin` beside `Real`'s: the
/// rotations' generated `sin`/`cos` were ambiguous, E0034), a rotation's matrix bound by `let`
/// and indexed, an element of a point slice times a float into a typed point (rustc errors
/// from generated code), `Point3::from` of a local vector (refused).
mod glob_imported {
    use super::common;
    use autodiff::prelude::*;
    use nalgebra::*;

    #[differentiable(wrt(a))]
    fn scene(a: f64, b: f64, pts: &[Point3<f64>]) -> f64 {
        let r = Rotation3::from_euler_angles(a, 0.2, b);
        let m = r.matrix();
        let q: Point3<f64> = pts[0] * a;
        let v = Vector3::new(a, b, 1.0);
        let from_v = Point3::from(v);
        m[(0, 2)] * b + (r * Vector3::x()).y + q.y + nalgebra::distance(&from_v, &q)
    }

    #[test]
    fn glob_imports_matrices_bound_and_point_elements() {
        let pts = [Point3::new(1.0, 2.0, 3.0)];
        for a in [0.3, -0.7] {
            let (_, ga) = scene_grad(a, 0.5, &pts);
            let fd = common::central_difference(|t| scene(t, 0.5, &pts), a);
            assert!((ga - fd).abs() < 1e-7 * (1.0 + fd.abs()), "{ga} vs {fd}");
            let (_, t) = scene_jvp(a, 0.5, &pts, 1.0);
            assert!((t - ga).abs() < 1e-12);
        }
    }
}

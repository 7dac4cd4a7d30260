//! Tuples: functions returning several values (`f_jvp` returns tuples of values and tangents,
//! `f_vjp` takes a tuple seed), destructured where they are called (`let (a, b) = g(..)`),
//! read by element (`t.0`), and `fold` with a tuple accumulator.

// Written as users write them.
#![allow(clippy::needless_range_loop)]

use autodiff::prelude::*;

mod common;

/// A helper returning two values, as a physicist writes a polar-to-Cartesian conversion.
#[differentiable]
fn to_cartesian(r: f64, theta: f64) -> (f64, f64) {
    (r * theta.cos(), r * theta.sin())
}

#[differentiable]
fn distance_from(r: f64, theta: f64, px: f64) -> f64 {
    let (x, y) = to_cartesian(r, theta);
    let p = to_cartesian(r * 2.0, theta);
    ((x - px).powi(2) + y * y).sqrt() + p.0 * p.1
}

/// Mean and variance in one pass, a statistician's tuple result.
#[differentiable]
fn moments(x: &[f64]) -> (f64, f64) {
    let mut s = 0.0;
    let mut s2 = 0.0;
    for i in 0..x.len() {
        s += x[i];
        s2 += x[i] * x[i];
    }
    let n = x.len() as f64;
    let mean = s / n;
    (mean, s2 / n - mean * mean)
}

#[differentiable]
fn standardized_first(x: &[f64]) -> f64 {
    let (mean, var) = moments(x);
    (x[0] - mean) / var.sqrt()
}

#[test]
fn tuple_results_have_tuple_tangents_and_seeds() {
    let (r, t) = (1.5, 0.7);
    let ((x, y), (dx, dy)) = to_cartesian_jvp(r, t, 0.0, 1.0);
    assert_eq!((x, y), to_cartesian(r, t));
    assert!((dx + r * t.sin()).abs() < 1e-15 && (dy - r * t.cos()).abs() < 1e-15);
    // seed (1, 0): the gradient of x = r cos θ
    let (mut gr, mut gt) = (0.0, 0.0);
    let value = to_cartesian_vjp(r, t, (1.0, 0.0), &mut gr, &mut gt);
    assert_eq!(value, (x, y));
    assert!((gr - t.cos()).abs() < 1e-15 && (gt + r * t.sin()).abs() < 1e-15);
}

#[test]
fn tuples_destructured_where_they_are_called() {
    common::check(
        "distance_from",
        |v| distance_from(v[0], v[1], v[2]),
        |v, s, g| {
            let (a, rest) = g.split_at_mut(1);
            let (b, c) = rest.split_at_mut(1);
            distance_from_vjp(v[0], v[1], v[2], s, &mut a[0], &mut b[0], &mut c[0])
        },
        |v, d| distance_from_jvp(v[0], v[1], v[2], d[0], d[1], d[2]),
        &[1.5, 0.7, 0.4],
    );
    let x = [0.4, 1.9, -0.3, 1.1];
    common::check(
        "standardized_first",
        standardized_first,
        standardized_first_vjp,
        standardized_first_jvp,
        &x,
    );
    // closed form: z = (x0 − m)/σ, ∂z/∂xi = (δi0 − 1/n)/σ − z (xi − m)/(n σ²)
    let n = x.len() as f64;
    let m = x.iter().sum::<f64>() / n;
    let var = x.iter().map(|v| v * v).sum::<f64>() / n - m * m;
    let z = (x[0] - m) / var.sqrt();
    let (_, g) = standardized_first_grad(&x);
    for i in 0..4 {
        let delta = if i == 0 { 1.0 } else { 0.0 };
        let exact = (delta - 1.0 / n) / var.sqrt() - z * (x[i] - m) / (n * var);
        assert!((g[i] - exact).abs() < 1e-12, "{} vs {exact}", g[i]);
    }
}

#[differentiable]
fn spread(x: &[f64]) -> f64 {
    let (s, s2) = x.iter().fold((0.0, 0.0), |(s, s2), &v| (s + v, s2 + v * v));
    let n = x.len() as f64;
    s2 / n - (s / n) * (s / n)
}

#[differentiable]
fn spring_energy(pos: &[f64], conn: &[[usize; 2]], k: f64) -> f64 {
    let mut e = 0.0;
    for c in 0..conn.len() {
        let [a, b] = conn[c];
        let d = pos[b] - pos[a] - 1.0;
        e += 0.5 * k * d * d;
    }
    e
}

#[test]
fn tuple_accumulators_and_destructured_arrays() {
    let x = [0.4, 1.9, -0.3, 1.1];
    common::check("spread", spread, spread_vjp, spread_jvp, &x);
    let n = x.len() as f64;
    let m = x.iter().sum::<f64>() / n;
    let (_, g) = spread_grad(&x);
    for i in 0..4 {
        let exact = 2.0 * (x[i] - m) / n;
        assert!((g[i] - exact).abs() < 1e-12, "{} vs {exact}", g[i]);
    }
    let conn = [[0, 1], [1, 2], [0, 2]];
    common::check(
        "spring_energy",
        |v| spring_energy(&v[..3], &conn, v[3]),
        |v, s, g| {
            let (gp, gk) = g.split_at_mut(3);
            spring_energy_vjp(&v[..3], &conn, v[3], s, gp, &mut gk[0])
        },
        |v, d| spring_energy_jvp(&v[..3], &conn, v[3], &d[..3], d[3]),
        &[0.0, 1.3, 1.9, 2.0],
    );
}

/// A tuple result holding a `Vec`: the mean and the centred values, as a statistician splits
/// a sample.
#[differentiable]
fn centred(x: &[f64]) -> (f64, Vec<f64>) {
    let n = x.len() as f64;
    let mut mean = 0.0;
    for i in 0..x.len() {
        mean += x[i] / n;
    }
    let mut c: Vec<f64> = Vec::new();
    for i in 0..x.len() {
        c.push(x[i] - mean);
    }
    (mean, c)
}

/// Its caller: the sample's spread around the mean plus a pull of the mean towards 1.
#[differentiable]
fn centred_spread(x: &[f64]) -> f64 {
    let (mean, c) = centred(x);
    let mut s = (mean - 1.0).powi(2);
    for i in 0..c.len() {
        s += c[i] * c[i] * (i as f64 + 1.0);
    }
    s
}

#[test]
fn a_tuple_result_holding_a_vec_is_seeded_by_a_slice() {
    let x = [0.5, 2.0, -1.0];
    let n = x.len() as f64;
    let m = x.iter().sum::<f64>() / n;
    // forward: along v, the tangent of the mean is mean(v), of c_i it is v_i − mean(v)
    let v = [1.0, -2.0, 0.5];
    let mv = v.iter().sum::<f64>() / n;
    let ((mean, c), (dm, dc)) = centred_jvp(&x, &v);
    assert!((mean - m).abs() < 1e-15 && c.len() == 3);
    assert!((dm - mv).abs() < 1e-15);
    for i in 0..3 {
        assert!((dc[i] - (v[i] - mv)).abs() < 1e-15, "{dc:?}");
    }
    // reverse, seed (w0, w): x̄_i = w0/n + w_i − Σw/n
    let (w0, w) = (2.0, [1.0, 0.0, -3.0]);
    let mut xb = [0.0; 3];
    let (value_mean, value_c) = centred_vjp(&x, (w0, &w[..]), &mut xb);
    assert_eq!((value_mean, value_c), (mean, c));
    let sw = w.iter().sum::<f64>();
    for i in 0..3 {
        let exact = w0 / n + w[i] - sw / n;
        assert!((xb[i] - exact).abs() < 1e-15, "{xb:?}");
    }
    // a caller destructures it: checked against finite differences and forward mode
    common::check("centred_spread", centred_spread, centred_spread_vjp, centred_spread_jvp, &x);
}

/// A potential whose gradient (a `Vec`) is used inside another differentiable function: the
/// squared force, as in force matching.
#[differentiable(hessian)]
fn chain_energy(x: &[f64]) -> f64 {
    let mut e = 0.0;
    for i in 0..x.len() - 1 {
        e += (x[i + 1] - x[i] - 1.0).powi(2) + 0.1 * x[i].powi(4);
    }
    e
}

#[differentiable]
fn squared_force(x: &[f64]) -> f64 {
    let (_, g) = chain_energy_grad(x);
    let mut s = 0.0;
    for i in 0..g.len() {
        s += g[i] * g[i];
    }
    s
}

#[test]
fn a_gradient_returned_as_a_vec_differentiates_in_a_caller() {
    let x = [0.3, 1.1, 2.6, 2.9];
    common::check("squared_force", squared_force, squared_force_vjp, squared_force_jvp, &x);
    // closed form: ∂/∂x Σ g_i² = 2 H g
    let (_, g, h) = chain_energy_hessian(&x);
    let (_, grad) = squared_force_grad(&x);
    for i in 0..4 {
        let exact: f64 = (0..4).map(|j| 2.0 * h[(i, j)] * g[j]).sum();
        assert!((grad[i] - exact).abs() < 1e-10 * (1.0 + exact.abs()), "{grad:?}");
    }
}

/// A tuple result holding an array: a length and a unit direction.
#[differentiable]
fn length_and_direction(v: [f64; 2]) -> (f64, [f64; 2]) {
    let r = (v[0] * v[0] + v[1] * v[1]).sqrt();
    (r, [v[0] / r, v[1] / r])
}

#[differentiable]
fn tilt(v: [f64; 2]) -> f64 {
    let (r, u) = length_and_direction(v);
    r * u[1] + u[0]
}

#[test]
fn a_tuple_result_holding_an_array_is_seeded_by_an_array() {
    let v = [3.0, 4.0];
    // seed (0, [1, 0]): the gradient of u0 = v0 / r is (v1², -v0 v1) / r³
    let mut vb = [0.0; 2];
    let (r, u) = length_and_direction_vjp(v, (0.0, [1.0, 0.0]), &mut vb);
    assert_eq!((r, u), (5.0, [0.6, 0.8]));
    assert!((vb[0] - 16.0 / 125.0).abs() < 1e-15 && (vb[1] + 12.0 / 125.0).abs() < 1e-15);
    // tilt = v1 + v0 / r: ∂/∂v0 = 1/r − v0²/r³, ∂/∂v1 = 1 − v0 v1 / r³
    let (_, g) = tilt_grad(v);
    assert!((g[0] - (0.2 - 9.0 / 125.0)).abs() < 1e-15, "{g:?}");
    assert!((g[1] - (1.0 - 12.0 / 125.0)).abs() < 1e-15, "{g:?}");
}

/// A `Vec` parameter returned inside the tuple (its tangent is a slice, returned as a `Vec`).
#[differentiable]
fn area_and_sides(sides: Vec<f64>) -> (f64, Vec<f64>) {
    (sides[0] * sides[1], sides)
}

#[test]
fn a_vec_parameter_returned_in_a_tuple() {
    let ((a, s), (da, ds)) = area_and_sides_jvp(vec![2.0, 3.0], &[1.0, -1.0]);
    assert_eq!((a, s), (6.0, vec![2.0, 3.0]));
    assert_eq!((da, ds), (3.0 - 2.0, vec![1.0, -1.0]));
    let mut bar = [0.0; 2];
    area_and_sides_vjp(vec![2.0, 3.0], (1.0, &[0.5, 0.25][..]), &mut bar);
    assert_eq!(bar, [3.0 + 0.5, 2.0 + 0.25]);
}

/// A destructuring assignment `(a, b) = (b, d * (a + b))` in a loop, as a two-term recurrence
/// is written.
#[differentiable]
fn recurrence(x: f64, d: f64) -> f64 {
    let (mut a, mut b) = (x, 1.0);
    for _ in 0..5 {
        (a, b) = (b, d * (a + b));
    }
    a + b
}

#[test]
fn destructuring_assignment_in_a_loop() {
    let (x, d) = (0.5, 0.9);
    let (v, (gx, gd)) = recurrence_grad(x, d);
    assert_eq!(v, recurrence(x, d));
    let h = 1e-6;
    let fx = (recurrence(x + h, d) - recurrence(x - h, d)) / (2.0 * h);
    let fd = (recurrence(x, d + h) - recurrence(x, d - h)) / (2.0 * h);
    assert!((gx - fx).abs() < 1e-6 && (gd - fd).abs() < 1e-6, "{gx} {fx} {gd} {fd}");
}

#[differentiable(hessian)]
fn wave(x: f64, w: f64) -> f64 {
    (w * x).sin() * x
}

/// An element of a tuple a call returns, read in place: `u_grad(x, w).1.0` (a PINN's `u_x`),
/// `pair(x).1`.
#[differentiable]
fn wave_slope(x: f64, w: f64) -> f64 {
    wave_grad(x, w).1.0
}

#[differentiable]
fn square_and_sine(x: f64) -> (f64, f64) {
    (x * x, x.sin())
}

#[differentiable]
fn mixed_elements(x: f64) -> f64 {
    square_and_sine(x).1 * square_and_sine(x * 2.0).0
}

#[test]
fn elements_of_tuples_calls_return() {
    // d/dx (w cos(wx) x + sin(wx)) = -w² sin(wx) x + 2w cos(wx)
    let (x, w) = (0.7, 1.3);
    let (_, (gx, _)) = wave_slope_grad(x, w);
    let exact = -w * w * (w * x).sin() * x + 2.0 * w * (w * x).cos();
    assert!((gx - exact).abs() < 1e-12, "{gx} vs {exact}");
    // sin(x) · 4x²: cos(x) 4x² + sin(x) 8x
    let (_, g) = mixed_elements_grad(0.4);
    let exact = 0.4f64.cos() * 4.0 * 0.16 + 0.4f64.sin() * 8.0 * 0.4;
    assert!((g - exact).abs() < 1e-12, "{g} vs {exact}");
}

#[differentiable]
fn mean_and_centered(x: &[f64]) -> (f64, Vec<f64>) {
    let mean = x.iter().sum::<f64>() / x.len() as f64;
    let centered: Vec<f64> = x.iter().map(|v| v - mean).collect();
    (mean, centered)
}

/// A `Vec` element of a call's tuple result, bound without a type and reduced by an iterator
/// (it was refused: "`.sum()` of this iterator cannot be differentiated yet").
#[differentiable]
fn mean_times_spread(x: &[f64]) -> f64 {
    let (m, c) = mean_and_centered(x);
    m * c.iter().map(|v| v * v).sum::<f64>()
}

/// `f = m · Σ (xᵢ - m)²`: `∂f/∂xᵢ = Σ (xⱼ - m)² / n + 2 m (xᵢ - m)` (the deviations sum to 0).
#[test]
fn vec_elements_of_tuple_results_reduced() {
    let x = [1.0, 2.0, 4.0, -0.5];
    let n = x.len() as f64;
    let m = x.iter().sum::<f64>() / n;
    let ss: f64 = x.iter().map(|v| (v - m) * (v - m)).sum();
    let (value, g) = mean_times_spread_grad(&x);
    assert!((value - m * ss).abs() < 1e-12);
    for (i, xi) in x.iter().enumerate() {
        let closed = ss / n + 2.0 * m * (xi - m);
        assert!((g[i] - closed).abs() < 1e-12, "{i}: {} vs {closed}", g[i]);
    }
}

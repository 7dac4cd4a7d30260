//! The PyTorch autograd scenarios our users know (../shared/SEEDS.md), with PyTorch's numbers.

use autodiff::prelude::*;

/// Agreement to 1e-4 relative, or to the last digit PyTorch printed (half a unit of the 4th
/// decimal) for numbers it printed rounded.
fn close(actual: f64, expected: f64, what: &str) {
    let tol = (1e-4 * expected.abs()).max(0.5e-4 + 1e-12);
    assert!((actual - expected).abs() <= tol, "{what}: got {actual}, expected {expected}");
}

/// Agreement of two computed values to 1e-12 relative.
fn exact(actual: f64, expected: f64, what: &str) {
    let tol = 1e-12 * expected.abs().max(1.0);
    assert!((actual - expected).abs() <= tol, "{what}: got {actual}, expected {expected}");
}

#[differentiable]
fn s1(x0: f64, x1: f64) -> f64 {
    x0 * x0 + 2.0 * x1 * x1
}

/// S1: `x0² + 2·x1²` at [-5, -2] is 33 with gradient [-10, -8].
#[test]
fn s1_value_and_gradient() {
    let (value, (g0, g1)) = s1_grad(-5.0, -2.0);
    close(value, 33.0, "value");
    close(g0, -10.0, "d/dx0");
    close(g1, -8.0, "d/dx1");
    // the closed form 2·x0, 4·x1 elsewhere too
    for (a, b) in [(1.5, -0.25), (0.0, 3.0), (-7.0, 2.5)] {
        let (_, (g0, g1)) = s1_grad(a, b);
        assert_eq!((g0, g1), (2.0 * a, 4.0 * b));
    }
}

/// S2: a second backward pass into the same buffers accumulates; `zero_grad` resets.
#[test]
fn s2_gradients_accumulate_until_zeroed() {
    let (mut x0, mut x1) = (Param::new(-5.0), Param::new(-2.0));
    for _ in 0..2 {
        s1_vjp(x0.value, x1.value, 1.0, &mut x0.grad, &mut x1.grad);
    }
    assert_eq!((x0.grad, x1.grad), (-20.0, -16.0));
    x0.zero_grad();
    x1.zero_grad();
    assert_eq!((x0.grad, x1.grad), (0.0, 0.0));
}

/// S3: one gradient-descent step from [5, 2] with lr 0.01 gives [4.9, 1.92].
#[test]
fn s3_one_gradient_descent_step() {
    let (mut x0, mut x1) = (Param::new(5.0), Param::new(2.0));
    s1_vjp(x0.value, x1.value, 1.0, &mut x0.grad, &mut x1.grad);
    Sgd::new(0.01).step(&mut [&mut x0, &mut x1]);
    close(x0.value, 4.9, "x0");
    close(x1.value, 1.92, "x1");
}

#[differentiable]
fn s5(x: f64) -> f64 {
    3.0 * x.powi(2) + x
}

/// S5: `3x² + x` at 5 is 80 with derivative 31, in both modes.
#[test]
fn s5_polynomial() {
    assert_eq!(s5_grad(5.0), (80.0, 31.0));
    assert_eq!(s5_jvp(5.0, 1.0), (80.0, 31.0));
}

#[differentiable(wrt(x))]
fn s6(x: f64, c: f64) -> f64 {
    c * x.sin() + x + c
}

#[differentiable]
fn s7(x: f64, c: f64) -> f64 {
    c * x.sin() + x + c
}

/// S6: `c·sin(x) + x + c` at x = 5, c = 3 constant: 5.1232, dy/dx = 1.8510.
#[test]
fn s6_constant_parameter() {
    let (y, dx) = s6_grad(5.0, 3.0);
    close(y, 5.1232, "y");
    close(dx, 1.8510, "dy/dx");
    exact(dx, 3.0 * 5.0f64.cos() + 1.0, "dy/dx closed form");
    let mut buffer = 0.0;
    s6_vjp(5.0, 3.0, 1.0, &mut buffer); // one buffer: c has none
    close(buffer, 1.8510, "vjp");
}

/// S7: the same with c active: dy/dc = sin(5) + 1 = 0.0411.
#[test]
fn s7_both_parameters_active() {
    let (_, (dx, dc)) = s7_grad(5.0, 3.0);
    close(dx, 1.8510, "dy/dx");
    close(dc, 0.0411, "dy/dc");
    exact(dc, 5.0f64.sin() + 1.0, "dy/dc closed form");
}

#[differentiable]
fn s8(x: f64) -> f64 {
    3.0 * x * x
}

/// S8: `3x²` at 5: gradient 30, again into the same buffer 60, zeroed then 30.
#[test]
fn s8_accumulation_of_one_parameter() {
    let mut x = Param::new(5.0);
    s8_vjp(x.value, 1.0, &mut x.grad);
    assert_eq!(x.grad, 30.0);
    s8_vjp(x.value, 1.0, &mut x.grad);
    assert_eq!(x.grad, 60.0);
    x.zero_grad();
    s8_vjp(x.value, 1.0, &mut x.grad);
    assert_eq!(x.grad, 30.0);
}

#[differentiable]
fn s12(theta: f64) -> f64 {
    theta * (4.0 * theta).cos() + 2.0 * theta.abs()
}

/// S12: gradient descent on `θ·cos(4θ) + 2|θ|` from 0.5, 100 steps, with step sizes 0.05,
/// 0.07 and 0.15: with exact gradients all three end in the local minimum θ = 0.683767
/// (objective 0.739494), while the minimum over a grid of [-5, 5] lies near 0.
#[test]
fn s12_nonconvex_descent() {
    for lr in [0.05, 0.07, 0.15] {
        let mut theta = Param::new(0.5);
        let mut opt = Sgd::new(lr);
        for _ in 0..100 {
            theta.zero_grad();
            s12_vjp(theta.value, 1.0, &mut theta.grad);
            opt.step(&mut [&mut theta]);
        }
        close(theta.value, 0.683767, &format!("theta with lr {lr}"));
        close(s12(theta.value), 0.739494, &format!("objective with lr {lr}"));
        // the derivative there is zero: 0.683767 is a stationary point
        assert!(s12_grad(theta.value).1.abs() < 1e-4);
    }
    let grid_min = (0..=10_000)
        .map(|i| -5.0 + 10.0 * f64::from(i) / 10_000.0)
        .min_by(|a, b| s12(*a).total_cmp(&s12(*b)))
        .unwrap_or(f64::NAN);
    assert!(grid_min.abs() < 0.01, "grid minimum at {grid_min}");
    // the gradient matches its closed form away from the kink at 0
    for t in [-2.0, -0.3, 0.4, 1.7] {
        let expected = (4.0 * t).cos() - 4.0 * t * (4.0 * t).sin() + 2.0 * f64::signum(t);
        exact(s12_grad(t).1, expected, "closed form");
    }
}

#[differentiable]
fn s18_detach(x: f64) -> f64 {
    let frozen = detach(x * x);
    frozen * x
}

#[differentiable]
fn s18_no_grad(x: f64) -> f64 {
    let scale = no_grad(|| {
        let s = x.sin();
        s * s
    });
    scale * x + x
}

/// S18: `detach` and `no_grad` make their values constants: same value, no gradient through them.
#[test]
fn s18_detach_and_no_grad() {
    let x = 1.3;
    let (y, g) = s18_detach_grad(x);
    exact(y, x * x * x, "value unchanged");
    exact(g, x * x, "only the non-detached factor contributes");
    let (y, g) = s18_no_grad_grad(x);
    exact(y, x.sin().powi(2) * x + x, "value unchanged");
    exact(g, x.sin().powi(2) + 1.0, "no gradient through no_grad");
    assert_eq!(s18_detach_jvp(x, 1.0).1, g_detach_closed_form(x));
}

fn g_detach_closed_form(x: f64) -> f64 {
    x * x
}

#[differentiable]
fn s21(x: f64) -> f64 {
    let loss = x * x - 1.0;
    if loss > 0.0 { loss * 3.0 } else { -loss }
}

/// S21: branching on the value of the loss: the gradient follows the branch taken.
#[test]
fn s21_branch_taken_at_run_time() {
    exact(s21_grad(2.0).1, 3.0 * 2.0 * 2.0, "loss > 0: d(3(x²-1)) = 6x");
    exact(s21_grad(0.5).1, -2.0 * 0.5, "loss <= 0: d(1-x²) = -2x");
    exact(s21_jvp(-2.0, 1.0).1, 6.0 * -2.0, "forward mode too");
}

#[differentiable]
fn s9(x: &[f64]) -> f64 {
    x.iter().map(|&v| (v * v + 1.0).ln() + 5.0 * v).sum::<f64>() / x.len() as f64
}

/// S9: `mean(ln(x² + 1) + 5x)` at [0, 1, 2, 3, 4] is 11.4877 with gradient
/// [1.0000, 1.2000, 1.1600, 1.1200, 1.0941].
#[test]
fn s9_mean_of_a_vector_expression() {
    let (value, g) = s9_grad(&[0.0, 1.0, 2.0, 3.0, 4.0]);
    close(value, 11.4877, "value");
    for (gi, expected) in g.iter().zip([1.0000, 1.2000, 1.1600, 1.1200, 1.0941]) {
        close(*gi, expected, "gradient");
    }
    for (i, gi) in g.iter().enumerate() {
        let x = i as f64;
        exact(*gi, (2.0 * x / (x * x + 1.0) + 5.0) / 5.0, "closed form");
    }
}

#[differentiable]
fn s10_dot(b: &[f64], x: &[f64]) -> f64 {
    b.iter().zip(x).map(|(bi, xi)| bi * xi).sum()
}

#[differentiable(wrt(x))]
fn s10(b: &[f64], x: &[f64]) -> f64 {
    s10_dot(b, x).ln()
}

#[differentiable]
fn s10_outer(u: f64) -> f64 {
    u.ln()
}

/// S10: `z = ln(dot(b, x))` with x = [2; 5], b = [0, 1, 2, 3, 4]: dz/dx = [0, 0.05, 0.10, 0.15,
/// 0.20], and the adjoint of the intermediate dot(b, x) is 0.05.
#[test]
fn s10_gradient_through_an_intermediate() {
    let (b, x) = ([0.0, 1.0, 2.0, 3.0, 4.0], [2.0; 5]);
    let (_, g) = s10_grad(&b, &x);
    for (gi, expected) in g.iter().zip([0.0, 0.05, 0.10, 0.15, 0.20]) {
        exact(*gi, expected, "dz/dx");
    }
    let u = s10_dot(&b, &x);
    exact(s10_outer_grad(u).1, 0.05, "adjoint of dot(b, x)");
}

#[differentiable]
fn s17(x: [f64; 3]) -> [f64; 3] {
    let mut y = [2.0 * x[0], 2.0 * x[1], 2.0 * x[2]];
    while (y[0] * y[0] + y[1] * y[1] + y[2] * y[2]).sqrt() < 1000.0 {
        y[0] *= 2.0;
        y[1] *= 2.0;
        y[2] *= 2.0;
    }
    y
}

/// S17: a data-dependent loop: `y = 2x`, then double while `|y| < 1000`. The Jacobian is
/// 2^k I (1024 I for |x| near 1); the vjp with v = [0.1, 1.0, 0.0001] is 2^k v.
#[test]
fn s17_data_dependent_loop() {
    let x = [0.6, -0.5, 0.62];
    let as_array = |v: &[f64]| [v[0], v[1], v[2]];
    let jac = jacobian(
        |x, y_bar, x_bar| {
            let mut g = [0.0; 3];
            s17_vjp(as_array(x), as_array(y_bar), &mut g);
            x_bar.iter_mut().zip(g).for_each(|(a, b)| *a += b);
        },
        &x,
        3,
    );
    let jac_fwd = jacobian_fwd(|x, d| s17_jvp(as_array(x), as_array(d)).1.to_vec(), &x, 3);
    for i in 0..3 {
        for j in 0..3 {
            let expected = if i == j { 1024.0 } else { 0.0 };
            assert_eq!(jac[i][j], expected, "reverse Jacobian [{i}][{j}]");
            assert_eq!(jac_fwd[i][j], expected, "forward Jacobian [{i}][{j}]");
        }
    }
    let mut g = [0.0; 3];
    let y = s17_vjp(x, [0.1, 1.0, 0.0001], &mut g);
    assert_eq!(y, [1024.0 * 0.6, -1024.0 * 0.5, 1024.0 * 0.62]);
    assert_eq!(g, [102.4, 1024.0, 0.1024]);
}

#[path = "../benches/common/regression.rs"]
mod regression;

/// S11: linear regression y = 1 + 2x + noise, 80 training points, gradient descent with lr 0.1
/// for 1000 epochs from a random start: b and w equal the closed-form least-squares fit to 1e-3.
#[test]
fn s11_linear_regression_reaches_the_least_squares_fit() {
    let (x, y) = regression::data();
    let (x, y) = (&x[..80], &y[..80]);
    let (b, w) = regression::train(0.3, 0.7, x, y, 0.1, 1000);
    let (b_ls, w_ls) = regression::closed_form(x, y);
    assert!((b - b_ls).abs() < 1e-3 && (w - w_ls).abs() < 1e-3, "({b}, {w}) vs ({b_ls}, {w_ls})");
    assert!((b_ls - 1.0).abs() < 0.1 && (w_ls - 2.0).abs() < 0.2, "the data follow y = 1 + 2x");
    // the gradient itself against its closed form at the start
    let (_, (gb, gw)) = regression::mse_grad(0.3, 0.7, x, y);
    let n = x.len() as f64;
    let gb_hand: f64 = x.iter().zip(y).map(|(xi, yi)| 2.0 * (0.3 + 0.7 * xi - yi) / n).sum();
    let gw_hand: f64 = x.iter().zip(y).map(|(xi, yi)| 2.0 * (0.3 + 0.7 * xi - yi) * xi / n).sum();
    exact(gb, gb_hand, "d/db");
    exact(gw, gw_hand, "d/dw");
}

//! Local closures called in the body: inlined where they are called, so they differentiate like
//! the code they hold, capturing active values or not; closures that cannot be inlined are
//! reported (tests/ui/closure.rs).

// Written as users write them.
#![allow(clippy::needless_range_loop)]

use autodiff::prelude::*;

mod common;

#[differentiable]
fn squares(a: f64, b: f64) -> f64 {
    let sq = |v: f64| v * v;
    sq(a) + sq(b) * sq(a - b)
}

#[differentiable]
fn scaled(x: f64, k: f64) -> f64 {
    // captures the active `k`, untyped parameter
    let scale = |t| t * k;
    let s = scale(x.sin());
    scale(s) + scale(2.0)
}

#[differentiable]
fn swapped_arguments(a: f64, b: f64) -> f64 {
    let f = |a: f64, b: f64| a * a * b;
    f(b, a) + f(a, b)
}

#[differentiable]
fn potential(x: &[f64], eps: f64, sigma: f64) -> f64 {
    // a physicist's Lennard-Jones sum, with the pair term as a closure
    let lj = |r: f64| {
        let s6 = (sigma / r).powi(6);
        4.0 * eps * (s6 * s6 - s6)
    };
    let mut e = 0.0;
    for i in 0..x.len() {
        for j in i + 1..x.len() {
            e += lj((x[i] - x[j]).abs() + 1.0);
        }
    }
    e
}

#[differentiable]
fn nested_closures(x: f64) -> f64 {
    let sq = |v: f64| v * v;
    let quartic = |v: f64| sq(sq(v));
    quartic(x) + sq(x)
}

#[differentiable]
fn in_an_iterator(x: &[f64], w: f64) -> f64 {
    let weight = |v: f64| (v * w).tanh();
    x.iter().map(|v| weight(*v) * v).sum::<f64>()
}

#[test]
fn closures_are_inlined_where_they_are_called() {
    // squares: a² + b²(a − b)²
    let (a, b) = (1.3, -0.4);
    let (value, (ga, gb)) = squares_grad(a, b);
    assert_eq!(value, squares(a, b));
    let d = a - b;
    assert!((ga - (2.0 * a + b * b * 2.0 * d)).abs() < 1e-12);
    assert!((gb - (2.0 * b * d * d - b * b * 2.0 * d)).abs() < 1e-12);
    // scaled: k² sin x + 2k
    let (x, k) = (0.7, 1.9);
    let (_, (gx, gk)) = scaled_grad(x, k);
    assert!((gx - k * k * x.cos()).abs() < 1e-12);
    assert!((gk - (2.0 * k * x.sin() + 2.0)).abs() < 1e-12);
    // swapped_arguments: b²a + a²b
    let (_, (ga, gb)) = swapped_arguments_grad(a, b);
    assert!((ga - (b * b + 2.0 * a * b)).abs() < 1e-12);
    assert!((gb - (2.0 * b * a + a * a)).abs() < 1e-12);
    // nested_closures: x⁴ + x²
    let (_, g) = nested_closures_grad(x);
    assert!((g - (4.0 * x.powi(3) + 2.0 * x)).abs() < 1e-12);
}

#[test]
fn closures_in_loops_and_iterators_match_finite_differences() {
    common::check(
        "potential",
        |v| potential(&v[..4], v[4], v[5]),
        |v, s, g| {
            let (gx, rest) = g.split_at_mut(4);
            let (ge, gs) = rest.split_at_mut(1);
            potential_vjp(&v[..4], v[4], v[5], s, gx, &mut ge[0], &mut gs[0])
        },
        |v, d| potential_jvp(&v[..4], v[4], v[5], &d[..4], d[4], d[5]),
        &[0.1, 0.9, 2.2, -0.7, 1.2, 0.8],
    );
    common::check(
        "in_an_iterator",
        |v| in_an_iterator(&v[..3], v[3]),
        |v, s, g| {
            let (gx, gw) = g.split_at_mut(3);
            in_an_iterator_vjp(&v[..3], v[3], s, gx, &mut gw[0])
        },
        |v, d| in_an_iterator_jvp(&v[..3], v[3], &d[..3], d[3]),
        &[0.3, -1.1, 0.8, 0.6],
    );
}

/// A layer written as a closure and applied twice, its output borrowed by a name (`let r = &h;`)
/// for a reduction and a method: each borrow is passed on as `&h`.
#[differentiable(wrt(w, b))]
fn layer_closure_twice(x: &Tensor, w: &Tensor, b: &Tensor) -> Tensor {
    let layer = |h: &Tensor| nn::linear(h, w, b).relu();
    let h = layer(x);
    let h = layer(&h);
    let r = &h;
    let n = r.shape()[0] as f64;
    let s = r.sum() * n;
    s + r.mean() + nn::linear(r, w, b).sum()
}

#[test]
fn a_closure_applying_a_layer_twice_and_borrowed_tensors() {
    let x = Tensor::from_vec(vec![0.5f64, -1.0, 2.0, 0.3], &[2, 2]);
    let w = Tensor::from_vec(vec![0.2f64, -0.4, 0.9, 0.1], &[2, 2]);
    let b = Tensor::from_vec(vec![0.05f64, -0.1], &[2]);
    let (_, (gw, gb)) = layer_closure_twice_grad(&x, &w, &b);
    let at = |w: &Tensor, b: &Tensor| layer_closure_twice(&x, w, b).item::<f64>();
    common::check_tensor_gradient("w", |w| at(w, &b), &w, &gw, 1e-6);
    common::check_tensor_gradient("b", |b| at(&w, b), &b, &gb, 1e-6);
}

/// Tensor methods of a sum of inlined closure calls, whose kind syntax cannot tell.
#[differentiable(wrt(w))]
fn closure_results_summed(x: &Tensor, w: &Tensor) -> Tensor {
    let h0 = x.matmul(w);
    let g = |q: &Tensor| q * 2.0;
    (g(&h0) + g(&h0)).sum()
}

#[test]
fn a_tensor_method_of_closure_results() {
    let x = Tensor::from_vec(vec![0.5f64, -1.0, 2.0, 0.3], &[2, 2]);
    let w = Tensor::from_vec(vec![0.2f64, -0.4, 0.9, 0.1], &[2, 2]);
    // 4 Σ x w: the gradient is 4 xᵀ 1, each row of w getting four times its column sum of x
    let (v, g) = closure_results_summed_grad(&x, &w);
    assert!((v.item::<f64>() + 4.8).abs() < 1e-12);
    let expected = [10.0, 10.0, -2.8, -2.8];
    for (a, b) in g.to_vec::<f64>().iter().zip(expected) {
        assert!((a - b).abs() < 1e-12, "{a} vs {b}");
    }
}

/// A closure whose parameter is named like a value another closure captures.
#[differentiable]
fn parameter_named_like_a_capture(x: f64, y: f64, k: f64) -> f64 {
    let r = x * y;
    let f = |h: f64| h * r;
    let g = |r: f64| r * 2.0;
    f(x) + g(y) + f(k)
}

#[test]
fn a_closure_parameter_named_like_a_captured_value() {
    // x²y + 2y + kxy: the gradient (2xy + ky, x² + 2 + kx, xy)
    let (v, g) = parameter_named_like_a_capture_grad(0.5, 2.0, 3.0);
    assert_eq!((v, g), (7.5, (8.0, 3.75, 1.0)));
}

/// A closure whose parameter is named like a value a later closure reads: the first one's
/// inlined calls bind that name in scopes of their own.
#[differentiable]
fn shadowing_parameter(x: f64) -> f64 {
    let sq = |x: f64| x * x;
    let lin = |v: f64| v * x;
    sq(x) + lin(2.0)
}

#[test]
fn a_parameter_shadowing_a_name_a_later_closure_reads() {
    // x² + 2x: the derivative 2x + 2
    assert_eq!(shadowing_parameter_grad(1.5), (5.25, 5.0));
}

/// A closure kept for its effects on a captured sum, leaving early by `return;`.
#[differentiable]
fn sum_of_roots(x: &[f64]) -> f64 {
    let mut total = 0.0;
    let mut add = |v: f64| {
        if v < 0.0 {
            return;
        }
        total += v.sqrt();
    };
    for &xi in x {
        add(xi * 2.0);
    }
    total
}

#[test]
fn a_closure_returning_early_for_its_effects() {
    let (value, g) = sum_of_roots_grad(&[1.0, -1.0, 2.0]);
    assert_eq!(value, 2f64.sqrt() + 2.0);
    // d/dx sqrt(2x) = 1/sqrt(2x); nothing for the negative one
    assert!((g[0] - 1.0 / 2f64.sqrt()).abs() < 1e-15 && g[1] == 0.0 && (g[2] - 0.5).abs() < 1e-15);
}

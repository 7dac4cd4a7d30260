//! Slices, arrays and `Vec`s as parameters: their gradients, adjoint buffers and tangents
//! (accumulated into, longer than needed, or too short), and sequences passed on to other
//! differentiable functions.

use autodiff::prelude::*;

use super::{dot_product_jvp, dot_product_vjp, norm2, norm2_jvp, norm2_vjp};
use crate::common::check;

#[differentiable]
fn weighted(x: &[f64], w: [f64; 3], v: Vec<f64>) -> f64 {
    let a = x[0] * w[0] + x[1] * w[1];
    let b = (x[2] - v[1]).powi(2);
    a * b + w[2] * v[0] + v[x.len() - 1]
}

#[test]
fn slices_arrays_and_vecs_as_parameters() {
    let (x, w, v) = ([0.5, -1.2, 2.0], [1.5, 0.25, -0.75], vec![0.3, 1.1, 4.0]);
    let (value, (gx, gw, gv)) = weighted_grad(&x, w, v.clone());
    assert_eq!(value, weighted(&x, w, v.clone()));
    let (a, b) = (x[0] * w[0] + x[1] * w[1], (x[2] - v[1]).powi(2));
    assert_eq!(gx, vec![w[0] * b, w[1] * b, a * 2.0 * (x[2] - v[1])]);
    assert_eq!(gw, [x[0] * b, x[1] * b, v[0]]);
    assert_eq!(gv, vec![w[2], -a * 2.0 * (x[2] - v[1]), 1.0]);
    // the buffers of f_vjp accumulate
    let (mut bx, mut bw, mut bv) = (vec![1.0; 3], [0.0; 3], vec![0.0; 3]);
    weighted_vjp(&x, w, v.clone(), 1.0, &mut bx, &mut bw, &mut bv);
    assert_eq!(bx[0], 1.0 + gx[0]);
    let (_, t) = weighted_jvp(&x, w, v.clone(), &[1.0, 0.0, 0.0], [0.0; 3], &[0.0; 3]);
    assert_eq!(t, gx[0]);
}

#[differentiable(wrt(x, s))]
fn uses_slice_helper(x: &[f64], s: f64, v: &[f64]) -> f64 {
    let local: Vec<f64> = v.to_vec();
    let w: [f64; 3] = [1.5, 2.0, 1.0];
    norm2(x) * s + weighted(x, w, local)
}

#[test]
fn sequences_passed_to_differentiable_functions() {
    let v = vec![0.3, 1.1, 4.0];
    check_fn!(
        uses_slice_helper,
        uses_slice_helper_vjp,
        uses_slice_helper_jvp,
        |x| (&x[..3], x[3], &v),
        &[0.5, -1.2, 2.0, 0.7]
    );
}

#[differentiable]
fn root_sum_of_squares(v: &[f64]) -> f64 {
    let mut s = 0.0;
    for x in v.iter() {
        s += x * x;
    }
    s.sqrt()
}

/// A buffer filled, then passed to a differentiable function (its adjoint adds into the
/// buffer's adjoint). Closed form: f = 2 √Σx⁴, ∂f/∂x_i = 4 x_i³ / √Σx⁴.
#[differentiable]
fn buffer_passed_on(x: &[f64]) -> f64 {
    let mut squares: Vec<f64> = vec![0.0; x.len()];
    for i in 0..x.len() {
        squares[i] = x[i] * x[i];
    }
    root_sum_of_squares(&squares) * 2.0
}

#[test]
fn buffers_passed_to_functions() {
    let x = [0.5, -1.5, 2.0];
    let (_, g) = buffer_passed_on_grad(&x);
    let s: f64 = x.iter().map(|v| v.powi(4)).sum();
    for (gi, xi) in g.iter().zip(&x) {
        assert!((gi - 4.0 * xi.powi(3) / s.sqrt()).abs() < 1e-12);
    }
    check("buffer_passed_on", buffer_passed_on, buffer_passed_on_vjp, buffer_passed_on_jvp, &x);
}

#[differentiable]
fn weighted_sum(a: &[f64], b: &[f64]) -> f64 {
    let mut s = 0.0;
    for (x, y) in a.iter().zip(b.iter()) {
        s += x * y;
    }
    s
}

/// Constant and inactive sequences passed to a differentiable function: closed form
/// ∂/∂x_i = 1 + i + 0.5 (the two weight vectors summed).
#[differentiable]
fn constants_passed_on(x: &[f64]) -> f64 {
    let w = vec![0.5; x.len()];
    weighted_sum(x, &[1.0, 2.0, 3.0]) + weighted_sum(x, &w)
}

#[test]
fn constant_and_inactive_sequences_as_arguments() {
    let x = [0.3, -1.2, 2.0];
    let (_, g) = constants_passed_on_grad(&x);
    assert_eq!(g, [1.5, 2.5, 3.5]);
    check(
        "constants_passed_on",
        constants_passed_on,
        constants_passed_on_vjp,
        constants_passed_on_jvp,
        &x,
    );
}

/// Two reads of `x` per iteration (a stencil): its buffer keeps its bounds checks.
#[differentiable]
fn stencil(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() - 1 {
        s += (x[i + 1] - x[i]).powi(2);
    }
    s
}

/// `dot_product` (in main.rs) reads each parameter once per iteration, `stencil` reads `x` twice:
/// both accept adjoint buffers and tangents longer than their parameters.
#[test]
fn longer_buffers_and_tangents_are_accepted() {
    let (a, b) = ([1.0, 2.0, 3.0], [0.5, -1.0, 2.0]);
    let (mut ga, mut gb) = (vec![10.0; 5], vec![0.0; 4]);
    let value = dot_product_vjp(&a, &b, 2.0, &mut ga, &mut gb);
    assert_eq!(value, 4.5);
    assert_eq!(ga, [11.0, 8.0, 14.0, 10.0, 10.0], "2 b added, the rest untouched");
    assert_eq!(gb, [2.0, 4.0, 6.0, 0.0]);
    let (_, t) = dot_product_jvp(&a, &b, &[1.0, 0.0, 0.0, 9.0], &[0.0, 1.0, 0.0, 9.0]);
    assert_eq!(t, b[0] + a[1]);
    let x = [1.0, 3.0, 2.0];
    let mut gx = vec![0.0; 4];
    assert_eq!(stencil_vjp(&x, 1.0, &mut gx), 5.0);
    assert_eq!(gx, [-4.0, 6.0, -2.0, 0.0]);
}

#[test]
#[should_panic(expected = "the adjoint buffer `b_bar` has 2 entries but `b` has 3")]
fn a_short_adjoint_buffer_panics_with_its_name() {
    let (a, b) = ([1.0, 2.0, 3.0], [0.5, -1.0, 2.0]);
    dot_product_vjp(&a, &b, 1.0, &mut [0.0; 3], &mut [0.0; 2]);
}

#[test]
#[should_panic(expected = "the tangent of `a` has 2 entries but `a` has 3")]
fn a_short_tangent_panics_with_its_name() {
    let (a, b) = ([1.0, 2.0, 3.0], [0.5, -1.0, 2.0]);
    dot_product_jvp(&a, &b, &[0.0; 2], &[0.0; 3]);
}

#[test]
#[should_panic(expected = "index out of bounds")]
fn a_short_stencil_buffer_panics() {
    stencil_vjp(&[1.0, 3.0, 2.0], 1.0, &mut [0.0; 2]);
}

#[differentiable]
fn written_copy(y: [f64; 3], s: f64) -> f64 {
    let mut z = y;
    z[0] = s * z[2];
    z[1] += s;
    z[0] * z[1] + z[2]
}

#[test]
fn a_let_mut_copy_of_an_array_parameter_is_written_by_element() {
    // f = s·y2·(y1 + s) + y2
    let (y, s) = ([1.5, -0.5, 2.0], 0.7);
    let (value, (gy, gs)) = written_copy_grad(y, s);
    assert_eq!(value, written_copy(y, s));
    let exact_y = [0.0, s * y[2], s * (y[1] + s) + 1.0];
    let exact_s = y[2] * (y[1] + s) + s * y[2];
    for (g, e) in gy.iter().zip(exact_y) {
        assert!((g - e).abs() < 1e-14, "{g} vs {e}");
    }
    assert!((gs - exact_s).abs() < 1e-14, "{gs} vs {exact_s}");
    check(
        "written_copy",
        |v| written_copy([v[0], v[1], v[2]], v[3]),
        |v, seed, g| {
            let (gy, gs) = g.split_at_mut(3);
            let mut a = [0.0; 3];
            let value = written_copy_vjp([v[0], v[1], v[2]], v[3], seed, &mut a, &mut gs[0]);
            gy.iter_mut().zip(a).for_each(|(g, a)| *g += a);
            value
        },
        |v, d| written_copy_jvp([v[0], v[1], v[2]], v[3], [d[0], d[1], d[2]], d[3]),
        &[1.5, -0.5, 2.0, 0.7],
    );
}

#[differentiable]
fn weights_by_reference(w: &[f64; 3]) -> f64 {
    w[0] * w[1] + w[2]
}

#[differentiable]
fn array_reference(a: &[f64; 3], b: f64) -> f64 {
    let total: f64 = a.iter().sum();
    let mut s = 0.0;
    for &ai in a.iter() {
        s += ai * ai;
    }
    a[0] * b + total * s + weights_by_reference(a) + (*a)[2]
}

#[test]
fn arrays_by_reference_are_active() {
    let (a, b) = ([0.5, -1.5, 2.0], 0.3);
    let (value, (ga, gb)) = array_reference_grad(&a, b);
    assert_eq!(value, array_reference(&a, b));
    let (total, s) = (a.iter().sum::<f64>(), a.iter().map(|v| v * v).sum::<f64>());
    let exact = [
        b + s + total * 2.0 * a[0] + a[1],
        s + total * 2.0 * a[1] + a[0],
        s + total * 2.0 * a[2] + 1.0 + 1.0,
    ];
    for (g, e) in ga.iter().zip(exact) {
        assert!((g - e).abs() < 1e-13, "{g} vs {e}");
    }
    assert!((gb - a[0]).abs() < 1e-15);
    let mut bars = ([0.0; 3], 0.0);
    array_reference_vjp(&a, b, 1.0, &mut bars.0, &mut bars.1);
    assert_eq!(bars.0, ga);
    let (_, t) = array_reference_jvp(&a, b, &[1.0, 0.0, 0.0], 0.0);
    assert!((t - exact[0]).abs() < 1e-13);
}

//! Loops and iterator expressions over slices: `iter`, `zip`, `enumerate`, `map`, `sum`,
//! `product`, `fold`, items dereferenced, `filter` with its predicates as written, and loop
//! patterns that reuse a buffer's name.

use autodiff::prelude::*;

use crate::common::check;

#[differentiable]
fn iterator_forms(x: &[f64], y: &[f64]) -> f64 {
    let mut s = 0.0;
    for &xi in x.iter() {
        s += xi.sin();
    }
    for (i, xi) in x.iter().enumerate() {
        s += (i as f64) * xi * xi;
    }
    for (a, b) in x.iter().zip(y.iter()) {
        s += a * b;
    }
    let dot: f64 = x.iter().zip(y).map(|(a, b)| a * b).sum();
    let prod: f64 = y.iter().map(|v| 1.0 + v * v).product();
    let biggest = x.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let softmax_denominator = x.iter().map(|&v| (v - biggest).exp()).sum::<f64>();
    let nested: f64 = x.iter().map(|&a| y.iter().map(|&b| (a - b).powi(2)).sum::<f64>()).sum();
    s + dot * prod + softmax_denominator.ln() + biggest + nested.sqrt()
}

#[test]
fn iterator_forms_over_slices() {
    let x = [0.5, -1.2, 2.0, 0.3];
    let y = [1.5, 0.25, -0.75, 0.6];
    let z: Vec<f64> = x.iter().chain(&y).copied().collect();
    check_fn!(iterator_forms, iterator_forms_vjp, iterator_forms_jvp, |v| (&v[..4], &v[4..]), &z);
}

/// Items of `x.iter()` are references in Rust: `*v` in a closure or loop body reads them.
#[differentiable]
fn dereferenced_items(x: &[f64], y: &[f64]) -> f64 {
    let squares = x.iter().fold(0.0, |acc, v| acc + *v * *v);
    let mut waves = 0.0;
    for v in x.iter() {
        waves += (*v).sin();
    }
    let cross: f64 = x.iter().zip(y.iter()).map(|(a, b)| *a * *b).sum();
    squares + waves + cross
}

/// Closed form: ∂/∂x = 2x + cos x + y, ∂/∂y = x.
#[test]
fn dereferenced_iterator_items() {
    let (x, y) = ([0.5, -1.5, 2.0], [1.0, 0.25, -3.0]);
    let (_, (gx, gy)) = dereferenced_items_grad(&x, &y);
    for i in 0..3 {
        assert!((gx[i] - (2.0 * x[i] + x[i].cos() + y[i])).abs() < 1e-12);
        assert!((gy[i] - x[i]).abs() < 1e-12);
    }
}

#[differentiable]
fn total(x: &[f64]) -> f64 {
    x.iter().sum()
}

#[test]
fn a_sum_has_the_value_of_std_s_sum_down_to_the_sign_of_zero() {
    for x in [&[][..], &[-0.0], &[-0.0, -0.0], &[1.5, -2.0]] {
        let (value, _) = total_grad(x);
        assert_eq!(value.to_bits(), total(x).to_bits(), "{x:?}");
        assert_eq!(total_jvp(x, x).0.to_bits(), total(x).to_bits(), "{x:?}");
    }
    assert!(total_grad(&[]).0.is_sign_negative(), "std's empty float sum is -0.0");
}

/// `.filter(..)` before a sum, a fold, a `for` loop and a collection: the items it drops
/// contribute nothing.
#[differentiable]
fn filtered(x: &[f64], y: &[f64]) -> f64 {
    let positive: f64 = x.iter().filter(|v| **v > 0.0).map(|v| v * v).sum();
    let even =
        x.iter().enumerate().filter(|(i, _)| *i % 2 == 0).fold(0.0, |a: f64, (_, v)| a + v.sin());
    let mut pairs = 0.0;
    for (a, b) in x.iter().zip(y).filter(|&(a, b)| a.abs() < b.abs()) {
        pairs += a * b;
    }
    let large: Vec<f64> = y.iter().copied().filter(|&v| v.abs() > 1.0).rev().collect();
    let last = if large.is_empty() { 0.0 } else { large[0] };
    positive + even + pairs + last * x[0]
}

/// Closed form at a point where each filter keeps some items and drops others.
#[test]
fn filters_drop_items() {
    let (x, y) = ([0.5, -1.5, 2.0, -0.25], [1.0, 0.5, -3.0, 2.5]);
    let (value, (gx, gy)) = filtered_grad(&x, &y);
    // positive: 0.25 + 4; even: sin 0.5 + sin 2; pairs: |x| < |y| at 0 (0.5 < 1), 2 (2 < 3),
    // 3 (0.25 < 2.5); large, reversed: [2.5, -3.0], so last = 2.5.
    let expected = 0.25 + 4.0 + 0.5f64.sin() + 2.0f64.sin() + (0.5 - 6.0 - 0.625) + 2.5 * 0.5;
    assert!((value - expected).abs() < 1e-12, "{value} vs {expected}");
    let gx_expected = [1.0 + 0.5f64.cos() + 1.0 + 2.5, 0.0, 4.0 + 2.0f64.cos() - 3.0, 2.5];
    let gy_expected = [0.5, 0.0, 2.0, -0.25 + 0.5];
    for i in 0..4 {
        assert!((gx[i] - gx_expected[i]).abs() < 1e-12, "x {i}: {}", gx[i]);
        assert!((gy[i] - gy_expected[i]).abs() < 1e-12, "y {i}: {}", gy[i]);
    }
    let point = [x.as_slice(), y.as_slice()].concat();
    check_fn!(filtered, filtered_vjp, filtered_jvp, |p| (&p[..4], &p[4..]), &point);
}

/// Filter predicates are kept as written, with the references Rust gives them, and a filtered
/// collection of an unknown element type is counted first.
#[differentiable]
fn predicates_as_written(x: &[f64]) -> f64 {
    let a: f64 = x.iter().filter(|v| *v > &0.0).map(|v| v * v).sum();
    let b: f64 = x.iter().filter(|&&v| v < 1.0).map(|v| v.sin()).sum();
    let c =
        x.iter().enumerate().filter(|&(i, v)| i > 0 && *v < 2.0).map(|(_, v)| v * 3.0).sum::<f64>();
    let d = x.windows(2).filter(|w| w[0] < w[1]).map(|w| w[1] - w[0]).sum::<f64>();
    let e = x.iter().filter(|v| **v > 0.0).map(|v| v * 2.0).collect::<Vec<_>>();
    a + b + c + d + e.iter().sum::<f64>() * e[0]
}

/// A name used for something else elsewhere (a loop pattern, a block's `let`) still names a
/// buffer where the buffer is in scope: its copy and its swap are made element by element.
#[differentiable]
fn names_reused(x: &[f64], steps: usize) -> f64 {
    let mut s = 0.0;
    for &v in x.iter() {
        s += v * v;
    }
    let mut u = x.to_vec();
    let mut v = vec![0.0; x.len()];
    for _ in 0..steps {
        for i in 0..u.len() {
            v[i] = u[i] * s.sin();
        }
        std::mem::swap(&mut u, &mut v);
    }
    let r = {
        let b = u[0] * 2.0;
        b * b
    };
    for &c in x.iter() {
        s += c;
    }
    let mut c = x.to_vec();
    c[0] = 3.0 * c[1];
    let d = c.clone();
    u[0] + v[1] + r + d[0] * s
}

#[test]
fn filters_as_written_and_names_in_scope() {
    let x = [0.3, -1.2, 2.2, 0.7, 1.5];
    check(
        "predicates_as_written",
        predicates_as_written,
        predicates_as_written_vjp,
        predicates_as_written_jvp,
        &x,
    );
    check_fn!(names_reused, names_reused_vjp, names_reused_jvp, |x| (&x[..], 3), &x);
}

#[differentiable]
fn shadowed_in_a_block(x: &[f64], w: f64) -> f64 {
    x.iter().map(|v| { let v: f64 = *v; (v * w).tanh() } * v).sum::<f64>()
}

#[test]
fn a_mapped_body_that_begins_with_a_block() {
    let (x, w) = ([0.3, -1.1, 0.8], 0.6);
    let (value, (gx, gw)) = shadowed_in_a_block_grad(&x, w);
    assert_eq!(value, shadowed_in_a_block(&x, w));
    let sech2 = |t: f64| 1.0 - t.tanh() * t.tanh();
    for i in 0..3 {
        let exact = (x[i] * w).tanh() + x[i] * w * sech2(x[i] * w);
        assert!((gx[i] - exact).abs() < 1e-14, "{} vs {exact}", gx[i]);
    }
    let exact_w: f64 = x.iter().map(|v| v * v * sech2(v * w)).sum();
    assert!((gw - exact_w).abs() < 1e-14);
}

#[differentiable]
fn ends(x: &[f64], v: Vec<f64>) -> f64 {
    let a = *x.first().unwrap();
    let b = x.last().copied().unwrap();
    let c = v.first().cloned().unwrap_or(0.0);
    a * b + c * c + x.last().copied().unwrap_or(1.0)
}

#[test]
fn first_and_last_elements() {
    let (x, v) = ([0.5, 2.0, -1.5], vec![3.0, 1.0]);
    let (value, (gx, gv)) = ends_grad(&x, v.clone());
    assert_eq!(value, ends(&x, v.clone()));
    assert_eq!(gx, vec![-1.5, 0.0, 0.5 + 1.0]);
    assert_eq!(gv, vec![6.0, 0.0]);
    let (_, gv_empty) = ends_grad(&x, Vec::new()).1;
    assert_eq!(gv_empty, Vec::<f64>::new());
}

#[differentiable]
fn selections(x: &[f64], w: f64) -> f64 {
    let hi = *x.iter().max_by(|a, b| a.partial_cmp(b).unwrap()).unwrap();
    let lo = x.iter().copied().min_by(|a, b| a.total_cmp(b)).unwrap();
    let hi2 = x.iter().max_by(|a, b| a.partial_cmp(b).unwrap()).copied().unwrap();
    (hi - lo) * w + hi2 * hi2
}

#[test]
fn max_by_and_min_by_select_an_element() {
    let (x, w) = ([0.5, 2.0, -1.5, 2.0, 0.1], 0.7);
    let (value, (gx, gw)) = selections_grad(&x, w);
    assert_eq!(value, selections(&x, w));
    // max_by keeps the later of two equal maxima (index 3), min_by the earliest minimum.
    assert_eq!(gx, vec![0.0, 0.0, -w, w + 2.0 * 2.0, 0.0]);
    assert_eq!(gw, 2.0 - -1.5);
    let empty = std::panic::catch_unwind(|| selections_grad(&[], 1.0));
    assert!(empty.is_err(), "an empty sequence panics, as unwrap does");
}

/// A reduction without a start value (`reduce(f64::max)`, a closure), unwrapped.
#[differentiable]
fn spread_by_reduce(x: &[f64]) -> f64 {
    let hi = x.iter().copied().reduce(f64::max).unwrap();
    let lo = x.iter().cloned().reduce(|a, b| a.min(b)).expect("not empty");
    let total = x.iter().copied().reduce(|a, b| a + b * b).unwrap();
    hi - lo + total
}

#[test]
fn reductions_without_a_start() {
    // hi = x1, lo = x2, total = x0 + x1² + x2²
    let x = [0.5, 2.0, -1.0];
    let (value, g) = spread_by_reduce_grad(&x);
    assert_eq!(value, spread_by_reduce(&x));
    assert_eq!(g, vec![1.0, 1.0 + 4.0, -1.0 - 2.0]);
}

use crate::helpers::*;
use autodiff::prelude::*;

#[differentiable]
fn mean(xs: &[f64]) -> f64 {
    xs.iter().sum::<f64>() / xs.len() as f64
}

/// Difference of means of two halves of a series; sub-slices of an active parameter passed to a helper.
#[differentiable]
fn regime_shift(series: &[f64], split: usize) -> f64 {
    let before = mean(&series[..split]);
    let after = mean(&series[split..]);
    (after - before).powi(2)
}

#[test]
fn check() {
    let p = [1.0, 1.2, 0.9, 1.1, 2.0, 2.3, 1.9];
    let f = |q: &[f64]| regime_shift(q, 4);
    let (v, g) = regime_shift_grad(&p, 4);
    let d = dir(7);
    let (jv, jd) = regime_shift_jvp(&p, 4, &d);
    verify("regime_shift", &f, &p, v, &g, jv, jd, &d);
}

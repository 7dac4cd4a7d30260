use crate::helpers::*;
use autodiff::prelude::*;

/// Iterator adapters a statistician reaches for: skip, step_by, rev().take(), zip with an offset copy.
#[differentiable]
fn seasonal_stats(xs: &[f64]) -> f64 {
    let odd_sum: f64 = xs.iter().skip(1).step_by(2).sum();
    let tail: f64 = xs.iter().rev().take(3).map(|x| x * x).sum();
    let lag1: f64 = xs.iter().zip(xs.iter().skip(1)).map(|(a, b)| a * b).sum();
    let head: f64 = xs[..3].iter().map(|x| x.exp()).sum();
    odd_sum + 0.5 * tail + 0.25 * lag1 + 0.1 * head
}

#[test]
fn check() {
    let p = [0.3, -0.7, 1.1, 0.4, -0.2, 0.9, 1.5];
    let f = |q: &[f64]| seasonal_stats(q);
    let (v, g) = seasonal_stats_grad(&p);
    let d = dir(7);
    let (jv, jd) = seasonal_stats_jvp(&p, &d);
    verify("seasonal_stats", &f, &p, v, &g, jv, jd, &d);
}

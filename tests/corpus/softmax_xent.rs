use crate::helpers::*;
use autodiff::prelude::*;

/// Numerically stable softmax cross-entropy; max via fold(NEG_INFINITY, f64::max).
#[differentiable]
fn cross_entropy(logits: &[f64], label: usize) -> f64 {
    let max = logits.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let sum_exp: f64 = logits.iter().map(|&l| (l - max).exp()).sum();
    let log_z = max + sum_exp.ln();
    log_z - logits[label]
}

#[test]
fn check() {
    let p = [0.2, 1.5, -0.3, 0.9, 0.1];
    let f = |q: &[f64]| cross_entropy(q, 3);
    let (v, g) = cross_entropy_grad(&p, 3);
    let d = dir(5);
    let (jv, jd) = cross_entropy_jvp(&p, 3, &d);
    verify("cross_entropy", &f, &p, v, &g, jv, jd, &d);
}

use crate::helpers::*;
use autodiff::prelude::*;

/// Normalise a histogram in place with iter_mut, then compute its entropy.
#[differentiable]
fn normalized_entropy(weights: &[f64]) -> f64 {
    let mut p = weights.to_vec();
    let total: f64 = p.iter().sum();
    for v in p.iter_mut() {
        *v /= total;
    }
    -p.iter().map(|&q| q * q.ln()).sum::<f64>()
}

#[test]
fn check() {
    let p = [0.5, 1.3, 2.2, 0.7];
    let f = |q: &[f64]| normalized_entropy(q);
    let (v, g) = normalized_entropy_grad(&p);
    let d = dir(4);
    let (jv, jd) = normalized_entropy_jvp(&p, &d);
    verify("normalized_entropy", &f, &p, v, &g, jv, jd, &d);
}

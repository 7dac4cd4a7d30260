use crate::helpers::*;
use autodiff::prelude::*;

/// Unbiased sample variance with iterator sums.
#[differentiable]
fn sample_variance(xs: &[f64]) -> f64 {
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)
}

#[test]
fn check() {
    let p = [1.2, 0.7, 3.1, 2.2, -0.4, 1.9];
    let f = |q: &[f64]| sample_variance(q);
    let (v, g) = sample_variance_grad(&p);
    let d = dir(6);
    let (jv, jd) = sample_variance_jvp(&p, &d);
    verify("sample_variance", &f, &p, v, &g, jv, jd, &d);
}

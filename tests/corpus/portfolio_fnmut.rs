use crate::helpers::*;
use autodiff::prelude::*;

const EXPECTED_RETURNS: [f64; 3] = [0.05, 0.08, 0.03];

/// Mean-variance objective; quadratic form accumulated through a `let mut add = |v| var += v` closure.
#[differentiable(wrt(weights))]
fn mean_variance_objective(weights: &[f64], cov: &[f64], risk_aversion: f64) -> f64 {
    let n = weights.len();
    let mut var = 0.0;
    let mut add = |v: f64| var += v;
    for i in 0..n {
        for j in 0..n {
            add(weights[i] * cov[i * n + j] * weights[j]);
        }
    }
    let ret: f64 = weights.iter().zip(EXPECTED_RETURNS.iter()).map(|(w, r)| w * r).sum();
    risk_aversion * var - ret
}

#[test]
fn check() {
    let cov = [0.04, 0.006, 0.002, 0.006, 0.09, 0.01, 0.002, 0.01, 0.0225];
    let p = [0.3, 0.5, 0.2];
    let f = |q: &[f64]| mean_variance_objective(q, &cov, 3.0);
    let (v, g) = mean_variance_objective_grad(&p, &cov, 3.0);
    let d = dir(3);
    let (jv, jd) = mean_variance_objective_jvp(&p, &cov, 3.0, &d);
    verify("mean_variance_objective", &f, &p, v, &g, jv, jd, &d);
}

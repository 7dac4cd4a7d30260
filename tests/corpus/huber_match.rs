use crate::helpers::*;
use autodiff::prelude::*;

/// Robust linear regression with the Huber loss written as a `match` with guards.
#[differentiable(wrt(theta))]
fn huber_regression(theta: &[f64], xs: &[f64], ys: &[f64], delta: f64) -> f64 {
    let mut total = 0.0;
    for i in 0..xs.len() {
        let pred = theta[0] + theta[1] * xs[i];
        let r = pred - ys[i];
        total += match r.abs() {
            a if a <= delta => 0.5 * r * r,
            a => delta * (a - 0.5 * delta),
        };
    }
    total
}

#[test]
fn check() {
    let xs = [0.0, 1.0, 2.0, 3.0, 4.0];
    let ys = [0.1, 1.3, 1.8, 7.0, 4.2];
    let p = [0.2, 0.9];
    let f = |q: &[f64]| huber_regression(q, &xs, &ys, 1.0);
    let (v, g) = huber_regression_grad(&p, &xs, &ys, 1.0);
    let d = dir(2);
    let (jv, jd) = huber_regression_jvp(&p, &xs, &ys, 1.0, &d);
    verify("huber_regression", &f, &p, v, &g, jv, jd, &d);
}

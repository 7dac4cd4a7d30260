use crate::helpers::*;
use autodiff::prelude::*;

/// Work done by a nonlinear spring, Simpson's rule with if/else weights on i % 2.
#[differentiable]
fn simpson_work(k: f64, x_max: f64) -> f64 {
    let n = 20;
    let force = |x: f64| k * x + 0.1 * k * x.powi(3);
    let h = x_max / n as f64;
    let mut sum = force(0.0) + force(x_max);
    for i in 1..n {
        let w = if i % 2 == 0 { 2.0 } else { 4.0 };
        sum += w * force(i as f64 * h);
    }
    sum * h / 3.0
}

#[test]
fn check() {
    let p = [3.0, 1.7];
    let f = |q: &[f64]| simpson_work(q[0], q[1]);
    let (v, (g0, g1)) = simpson_work_grad(p[0], p[1]);
    let d = dir(2);
    let (jv, jd) = simpson_work_jvp(p[0], p[1], d[0], d[1]);
    verify("simpson_work", &f, &p, v, &[g0, g1], jv, jd, &d);
}

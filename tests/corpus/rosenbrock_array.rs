use crate::helpers::*;
use autodiff::prelude::*;

/// Extended Rosenbrock over a fixed-size array parameter.
#[differentiable]
fn rosenbrock(x: [f64; 4]) -> f64 {
    let mut s = 0.0;
    for i in 0..3 {
        s += 100.0 * (x[i + 1] - x[i] * x[i]).powi(2) + (1.0 - x[i]).powi(2);
    }
    s
}

#[test]
fn check() {
    let p = [-1.2, 1.0, 0.7, 0.4];
    let f = |q: &[f64]| rosenbrock([q[0], q[1], q[2], q[3]]);
    let (v, g) = rosenbrock_grad(p);
    let d = dir(4);
    let (jv, jd) = rosenbrock_jvp(p, [d[0], d[1], d[2], d[3]]);
    verify("rosenbrock", &f, &p, v, &[g[0], g[1], g[2], g[3]], jv, jd, &d);
}

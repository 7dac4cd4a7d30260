use crate::helpers::*;
use autodiff::prelude::*;

/// Exponential decay integrated with a growing step in a `while` loop guarded by assert!.
#[differentiable]
fn decay_integral(rate: f64, y0: f64) -> f64 {
    let mut t = 0.0;
    let mut y = y0;
    let mut integral = 0.0;
    let mut dt = 0.01;
    let mut steps = 0usize;
    while t < 5.0 {
        let dy = -rate * y;
        integral += y * dt;
        y += dy * dt;
        t += dt;
        dt = (dt * 1.1).min(0.1);
        steps += 1;
        assert!(steps < 10_000, "integrator did not terminate");
    }
    integral
}

#[test]
fn check() {
    let p = [0.7, 2.0];
    let f = |q: &[f64]| decay_integral(q[0], q[1]);
    let (v, (g0, g1)) = decay_integral_grad(p[0], p[1]);
    let d = dir(2);
    let (jv, jd) = decay_integral_jvp(p[0], p[1], d[0], d[1]);
    verify("decay_integral", &f, &p, v, &[g0, g1], jv, jd, &d);
}

use crate::helpers::*;
use autodiff::prelude::*;

/// A let-bound closure reads `gain`, which is then shadowed; a second closure calls the first;
/// a late-initialised `let y;` is assigned in both branches.
#[differentiable]
fn shaped_response(gain: f64, x: f64) -> f64 {
    let response = |u: f64| gain * u.tanh();
    let doubled = |u: f64| 2.0 * response(u);
    let gain = gain * gain; // shadows the captured `gain`; the closures still see the old one
    let y;
    if x > 0.0 {
        y = response(x) + gain;
    } else {
        y = doubled(x) - gain;
    }
    y + doubled(0.5 * x)
}

#[test]
fn check() {
    let p = [1.7, 0.6];
    let f = |q: &[f64]| shaped_response(q[0], q[1]);
    let (v, (g0, g1)) = shaped_response_grad(p[0], p[1]);
    let d = dir(2);
    let (jv, jd) = shaped_response_jvp(p[0], p[1], d[0], d[1]);
    verify("shaped_response", &f, &p, v, &[g0, g1], jv, jd, &d);
}

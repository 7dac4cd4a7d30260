use crate::helpers::*;
use autodiff::prelude::*;

const COEFFS: [f64; 6] = [1.0, -0.5, 0.25, -0.125, 0.0625, -0.03125];

/// Power series from a constant coefficient table via enumerate/map/sum.
#[differentiable]
fn poly_eval(x: f64, scale: f64) -> f64 {
    scale * COEFFS.iter().enumerate().map(|(i, c)| c * x.powi(i as i32)).sum::<f64>()
}

#[test]
fn check() {
    let p = [0.8, 1.7];
    let f = |q: &[f64]| poly_eval(q[0], q[1]);
    let (v, (g0, g1)) = poly_eval_grad(p[0], p[1]);
    let d = dir(2);
    let (jv, jd) = poly_eval_jvp(p[0], p[1], d[0], d[1]);
    verify("poly_eval", &f, &p, v, &[g0, g1], jv, jd, &d);
}

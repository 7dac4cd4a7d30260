use crate::helpers::*;
use autodiff::prelude::*;

/// Continued-fraction evaluation by recursion, with a `match` on the (integer) depth.
#[differentiable]
fn cont_frac(x: f64, a: f64, depth: usize) -> f64 {
    match depth {
        0 => a,
        _ => a + x / cont_frac(x, a + 1.0, depth - 1),
    }
}

#[test]
fn check() {
    let p = [0.7, 1.3];
    let f = |q: &[f64]| cont_frac(q[0], q[1], 6);
    let (v, (g0, g1)) = cont_frac_grad(p[0], p[1], 6);
    let d = dir(2);
    let (jv, jd) = cont_frac_jvp(p[0], p[1], 6, d[0], d[1]);
    verify("cont_frac", &f, &p, v, &[g0, g1], jv, jd, &d);
}

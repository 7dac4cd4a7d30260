use crate::helpers::*;
use autodiff::prelude::*;

/// Cube root by Newton's method with an early `return` on convergence.
#[differentiable]
fn newton_cbrt(a: f64) -> f64 {
    let mut x = if a > 1.0 { a / 3.0 } else { 1.0 };
    for _ in 0..100 {
        let dx = (x * x * x - a) / (3.0 * x * x);
        x -= dx;
        if dx.abs() < 1e-15 * x.abs() {
            return x;
        }
    }
    x
}

#[test]
fn check() {
    let p = [7.3];
    let f = |q: &[f64]| newton_cbrt(q[0]);
    let (v, g) = newton_cbrt_grad(p[0]);
    let d = dir(1);
    let (jv, jd) = newton_cbrt_jvp(p[0], d[0]);
    verify("newton_cbrt", &f, &p, v, &[g], jv, jd, &d);
}

use crate::helpers::*;
use autodiff::prelude::*;

/// Trapezoidal integral of a Gaussian bump; the integrand is a capturing closure.
#[differentiable]
fn gaussian_bump_integral(amp: f64, center: f64, width: f64, n: usize) -> f64 {
    let f = |x: f64| amp * (-(x - center).powi(2) / (2.0 * width * width)).exp();
    let (a, b) = (-5.0, 5.0);
    let h = (b - a) / n as f64;
    let mut s = 0.5 * (f(a) + f(b));
    for i in 1..n {
        s += f(a + i as f64 * h);
    }
    s * h
}

#[test]
fn check() {
    let p = [1.5, 0.3, 0.8];
    let f = |q: &[f64]| gaussian_bump_integral(q[0], q[1], q[2], 40);
    let (v, (g0, g1, g2)) = gaussian_bump_integral_grad(p[0], p[1], p[2], 40);
    let d = dir(3);
    let (jv, jd) = gaussian_bump_integral_jvp(p[0], p[1], p[2], 40, d[0], d[1], d[2]);
    verify("gaussian_bump_integral", &f, &p, v, &[g0, g1, g2], jv, jd, &d);
}

use crate::helpers::*;
use autodiff::prelude::*;

/// Energy of a damped harmonic oscillator after RK4 integration; the ODE's
/// right-hand side is a closure returning a tuple.
#[differentiable]
fn damped_oscillator_energy(k: f64, c: f64, x0: f64, steps: usize) -> f64 {
    let dt = 0.05;
    let deriv = |x: f64, v: f64| -> (f64, f64) { (v, -k * x - c * v) };
    let (mut x, mut v) = (x0, 0.0);
    for _ in 0..steps {
        let (k1x, k1v) = deriv(x, v);
        let (k2x, k2v) = deriv(x + 0.5 * dt * k1x, v + 0.5 * dt * k1v);
        let (k3x, k3v) = deriv(x + 0.5 * dt * k2x, v + 0.5 * dt * k2v);
        let (k4x, k4v) = deriv(x + dt * k3x, v + dt * k3v);
        x += dt / 6.0 * (k1x + 2.0 * k2x + 2.0 * k3x + k4x);
        v += dt / 6.0 * (k1v + 2.0 * k2v + 2.0 * k3v + k4v);
    }
    0.5 * v * v + 0.5 * k * x * x
}

#[test]
fn check() {
    let p = [4.0, 0.3, 1.2];
    let n = 60;
    let f = |q: &[f64]| damped_oscillator_energy(q[0], q[1], q[2], n);
    let (v, (g0, g1, g2)) = damped_oscillator_energy_grad(p[0], p[1], p[2], n);
    let d = dir(3);
    let (jv, jd) = damped_oscillator_energy_jvp(p[0], p[1], p[2], n, d[0], d[1], d[2]);
    verify("damped_oscillator_energy", &f, &p, v, &[g0, g1, g2], jv, jd, &d);
}

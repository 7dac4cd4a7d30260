use crate::helpers::*;
use autodiff::prelude::*;

/// Range of a projectile with quadratic air drag, explicit Euler.
#[differentiable]
fn projectile_range(v0: f64, angle: f64, drag: f64, steps: usize) -> f64 {
    let g = 9.81;
    let dt = 0.01;
    let mut x = 0.0;
    let mut y = 0.0;
    let mut vx = v0 * angle.cos();
    let mut vy = v0 * angle.sin();
    for _ in 0..steps {
        let speed = (vx * vx + vy * vy).sqrt();
        let ax = -drag * speed * vx;
        let ay = -g - drag * speed * vy;
        x += vx * dt;
        y += vy * dt;
        vx += ax * dt;
        vy += ay * dt;
    }
    x + 0.1 * y
}

#[test]
fn check() {
    let p = [20.0, 0.7, 0.02];
    let n = 150;
    let f = |q: &[f64]| projectile_range(q[0], q[1], q[2], n);
    let (v, (g0, g1, g2)) = projectile_range_grad(p[0], p[1], p[2], n);
    let d = dir(3);
    let (jv, jd) = projectile_range_jvp(p[0], p[1], p[2], n, d[0], d[1], d[2]);
    verify("projectile_range", &f, &p, v, &[g0, g1, g2], jv, jd, &d);
}

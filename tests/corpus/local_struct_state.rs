use crate::helpers::*;
use autodiff::prelude::*;

#[derive(Clone, Copy)]
struct Particle {
    x: f64,
    v: f64,
}

/// Game-style particle update where the state lives in a local struct built from active inputs.
#[differentiable]
fn particle_final_x(x0: f64, v0: f64, drag: f64, steps: usize) -> f64 {
    let dt = 0.02;
    let mut p = Particle { x: x0, v: v0 };
    for _ in 0..steps {
        let a = -drag * p.v * p.v.abs() - 2.0 * p.x;
        p.v += a * dt;
        p.x += p.v * dt;
    }
    p.x + 0.5 * p.v
}

#[test]
fn check() {
    let p = [0.5, 1.5, 0.3];
    let f = |q: &[f64]| particle_final_x(q[0], q[1], q[2], 50);
    let (v, (g0, g1, g2)) = particle_final_x_grad(p[0], p[1], p[2], 50);
    let d = dir(3);
    let (jv, jd) = particle_final_x_jvp(p[0], p[1], p[2], 50, d[0], d[1], d[2]);
    verify("particle_final_x", &f, &p, v, &[g0, g1, g2], jv, jd, &d);
}

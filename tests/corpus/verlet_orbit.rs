use crate::helpers::*;
use autodiff::prelude::*;

#[differentiable]
fn gravity_accel(r: [f64; 2], gm: f64) -> [f64; 2] {
    let d2 = r[0] * r[0] + r[1] * r[1];
    let inv = gm / (d2 * d2.sqrt());
    [-r[0] * inv, -r[1] * inv]
}

/// Velocity-Verlet Kepler orbit with fixed-size arrays; returns the final specific energy.
#[differentiable]
fn orbit_energy(pos0: [f64; 2], vel0: [f64; 2], gm: f64, steps: usize) -> f64 {
    let dt = 0.01;
    let mut pos = pos0;
    let mut vel = vel0;
    let mut acc = gravity_accel(pos, gm);
    for _ in 0..steps {
        for i in 0..2 {
            pos[i] += vel[i] * dt + 0.5 * acc[i] * dt * dt;
        }
        let new_acc = gravity_accel(pos, gm);
        for i in 0..2 {
            vel[i] += 0.5 * (acc[i] + new_acc[i]) * dt;
        }
        acc = new_acc;
    }
    let r = (pos[0].powi(2) + pos[1].powi(2)).sqrt();
    0.5 * (vel[0] * vel[0] + vel[1] * vel[1]) - gm / r
}

#[test]
fn check() {
    let p = [1.0, 0.1, 0.05, 0.9, 1.0];
    let n = 80;
    let f = |q: &[f64]| orbit_energy([q[0], q[1]], [q[2], q[3]], q[4], n);
    let (v, (gp, gv, ggm)) = orbit_energy_grad([p[0], p[1]], [p[2], p[3]], p[4], n);
    let d = dir(5);
    let (jv, jd) =
        orbit_energy_jvp([p[0], p[1]], [p[2], p[3]], p[4], n, [d[0], d[1]], [d[2], d[3]], d[4]);
    verify("orbit_energy", &f, &p, v, &[gp[0], gp[1], gv[0], gv[1], ggm], jv, jd, &d);
}

use crate::helpers::*;
use autodiff::prelude::*;

/// Game-loop bouncing ball at 60 fps: collision branch mutates state, final clamp.
#[differentiable]
fn bounce_height(v0: f64, restitution: f64, frames: usize) -> f64 {
    let dt = 1.0 / 60.0;
    let mut y = 1.0;
    let mut vy = v0;
    for _ in 0..frames {
        vy -= 9.81 * dt;
        y += vy * dt;
        if y < 0.0 {
            y = -y * restitution;
            vy = -vy * restitution;
        }
    }
    y.clamp(0.0, 10.0)
}

#[test]
fn check() {
    let p = [2.0, 0.8];
    let f = |q: &[f64]| bounce_height(q[0], q[1], 100);
    let (v, (g0, g1)) = bounce_height_grad(p[0], p[1], 100);
    let d = dir(2);
    let (jv, jd) = bounce_height_jvp(p[0], p[1], 100, d[0], d[1]);
    verify("bounce_height", &f, &p, v, &[g0, g1], jv, jd, &d);
}

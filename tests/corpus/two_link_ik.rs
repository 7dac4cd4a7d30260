use crate::helpers::*;
use autodiff::prelude::*;

/// Two-link arm forward kinematics with tuple lets, atan2 and hypot.
#[differentiable]
fn ik_loss(theta1: f64, theta2: f64, target_x: f64, target_y: f64) -> f64 {
    let (l1, l2) = (1.0, 0.7);
    let (x1, y1) = (l1 * theta1.cos(), l1 * theta1.sin());
    let (x2, y2) = (x1 + l2 * (theta1 + theta2).cos(), y1 + l2 * (theta1 + theta2).sin());
    let heading = y2.atan2(x2);
    let dist = (x2 - target_x).hypot(y2 - target_y);
    dist + 0.1 * heading
}

#[test]
fn check() {
    let p = [0.4, 0.9, 0.5, 1.2];
    let f = |q: &[f64]| ik_loss(q[0], q[1], q[2], q[3]);
    let (v, (g0, g1, g2, g3)) = ik_loss_grad(p[0], p[1], p[2], p[3]);
    let d = dir(4);
    let (jv, jd) = ik_loss_jvp(p[0], p[1], p[2], p[3], d[0], d[1], d[2], d[3]);
    verify("ik_loss", &f, &p, v, &[g0, g1, g2, g3], jv, jd, &d);
}

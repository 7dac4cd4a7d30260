use crate::helpers::*;
use autodiff::prelude::*;
use nalgebra::{Point3, UnitQuaternion, Vector3};

/// A rigid body's orientation integrated from an angular velocity with unit quaternions; the
/// squared distance of a body point, rotated into the world, to a target.
#[differentiable]
fn attitude_error(omega: Vector3<f64>, dt: f64) -> f64 {
    let mut q = UnitQuaternion::identity();
    for _ in 0..4 {
        let dq = UnitQuaternion::from_scaled_axis(omega * dt);
        q = q * dq;
    }
    let body_point = Point3::new(0.2, 0.0, 1.0);
    let world = q * body_point;
    let target = Point3::new(0.5, 0.3, 0.8);
    nalgebra::distance_squared(&world, &target)
}

#[test]
fn check() {
    let p = [0.4, -0.3, 0.9, 0.1];
    let f = |q: &[f64]| attitude_error(Vector3::new(q[0], q[1], q[2]), q[3]);
    let w = Vector3::new(p[0], p[1], p[2]);
    let (v, (gw, gdt)) = attitude_error_grad(w, p[3]);
    let d = dir(4);
    let (jv, jd) = attitude_error_jvp(w, p[3], Vector3::new(d[0], d[1], d[2]), d[3]);
    verify("attitude_error", &f, &p, v, &[gw[0], gw[1], gw[2], gdt], jv, jd, &d);
}

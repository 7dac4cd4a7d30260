use crate::helpers::*;
use autodiff::prelude::*;
use nalgebra::{Matrix3, Vector3};

/// Rodrigues rotation from an axis-angle vector with nalgebra fixed-size types.
#[differentiable]
fn rotated_alignment(axis_angle: Vector3<f64>, p: Vector3<f64>) -> f64 {
    let theta = axis_angle.norm();
    let k = axis_angle / theta;
    let kx = Matrix3::new(0.0, -k.z, k.y, k.z, 0.0, -k.x, -k.y, k.x, 0.0);
    let r = Matrix3::identity() + kx * theta.sin() + kx * kx * (1.0 - theta.cos());
    let target = Vector3::new(0.0, 0.0, 1.0);
    let q = r * p;
    (q - target).norm_squared()
}

#[test]
fn check() {
    let p = [0.3, -0.5, 0.8, 1.0, 0.2, 0.4];
    let f = |q: &[f64]| {
        rotated_alignment(Vector3::new(q[0], q[1], q[2]), Vector3::new(q[3], q[4], q[5]))
    };
    let a = Vector3::new(p[0], p[1], p[2]);
    let b = Vector3::new(p[3], p[4], p[5]);
    let (v, (ga, gb)) = rotated_alignment_grad(a, b);
    let d = dir(6);
    let (jv, jd) =
        rotated_alignment_jvp(a, b, Vector3::new(d[0], d[1], d[2]), Vector3::new(d[3], d[4], d[5]));
    verify("rotated_alignment", &f, &p, v, &[ga[0], ga[1], ga[2], gb[0], gb[1], gb[2]], jv, jd, &d);
}

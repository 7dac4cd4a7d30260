use autodiff::prelude::*;
use nalgebra::{Point3, RealField, Rotation3, UnitQuaternion, Vector3};

// A generic float of another crate's trait.
#[differentiable]
fn softplus_sum<T: RealField + Copy>(xs: &[T], beta: T) -> T {
    let mut s = T::zero();
    for &x in xs {
        s += (T::one() + (beta * x).exp()).ln() / beta;
    }
    s
}

// A rotation used otherwise than through `*`, `inverse()` and `transform_vector` (which
// differentiate as rotation matrices), and an nalgebra function without a rule.
#[differentiable]
fn look_error(omega: Vector3<f64>, dir: Vector3<f64>) -> f64 {
    let q = UnitQuaternion::from_scaled_axis(omega);
    let fwd = q * dir;
    1.0 - fwd.dot(&Vector3::z()) + q.angle()
}

// A quaternion's components (`into_inner`): not its rotation matrix.
#[differentiable]
fn components(w: Vector3<f64>) -> f64 {
    let q = UnitQuaternion::from_scaled_axis(w);
    q.into_inner()[3]
}

// A point moved by an isometry (its translation moves points, not vectors): the point stays a
// point, and the rotation with it.
#[differentiable]
fn moved_point(w: Vector3<f64>) -> f64 {
    let r = Rotation3::from_scaled_axis(w);
    let iso = nalgebra::Isometry3::from_parts(nalgebra::Translation3::new(1.0, 0.0, 0.0), r.into());
    (iso * Point3::new(1.0, 2.0, 3.0)).x
}

#[differentiable]
fn reflected(n: Vector3<f64>, v: Vector3<f64>) -> f64 {
    let h = nalgebra::Matrix3::from_diagonal(&n);
    (h * v).norm()
}

// An nalgebra method without a rule names the nalgebra methods that have one.
#[differentiable]
fn det(m: nalgebra::Matrix3<f64>) -> f64 {
    m.lu().determinant()
}

fn main() {}

//! Rotations as the macro's derivatives compute with them: rotation matrices (its
//! `rewrite/rotations.rs` writes nalgebra's rotations of active angles and axes as those).

/// The components of a rotation's unit axis, as floats of the type of `_angle` (which
/// `from_axis_angle(&axis, angle)` ties them to: the macro's rotation matrix reads them).
///
/// ```
/// let axis = nalgebra::Vector3::<f64>::z_axis();
/// assert_eq!(autodiff_runtime::__private::axis_components(&axis, 0.5), [0.0, 0.0, 1.0]);
/// ```
pub fn axis_components<T: nalgebra::Scalar + Copy>(
    axis: &nalgebra::Unit<nalgebra::Vector3<T>>,
    _angle: T,
) -> [T; 3] {
    [axis[0], axis[1], axis[2]]
}

/// Whether Rodrigues' coefficients `sin θ / θ` and `(1 - cos θ) / θ²` of a rotation by
/// `θ² = t2` take their series (to `θ⁸`, exact to rounding there): below `1e-3` in `f64`,
/// `0.1` in `f32`, where the derivatives of the quotients would lose digits to
/// cancellation (the macro's rotation matrices).
///
/// ```
/// use autodiff_runtime::__private::small_rotation;
/// assert!(small_rotation(1e-4f64) && !small_rotation(1e-2f64));
/// assert!(small_rotation(1e-2f32) && !small_rotation(0.5f32));
/// ```
pub fn small_rotation<T: crate::Real>(t2: T) -> bool {
    let limit = if core::mem::size_of::<T>() == 4 { 0.1 } else { 1e-3 };
    t2.to_f64() < limit
}

/// The rotation matrix of one of nalgebra's rotations (the macro's derivatives compute with
/// the matrices of rotations: a rotation parameter left out by `wrt`).
///
/// ```
/// use nalgebra::{UnitQuaternion, Vector3};
/// let q = UnitQuaternion::from_scaled_axis(Vector3::new(0.1, 0.2, 0.3));
/// let v = Vector3::new(1.0, -1.0, 0.5);
/// let m = autodiff_runtime::__private::rotation_matrix(&q);
/// assert!((m * v - q * v).norm() < 1e-15);
/// ```
pub fn rotation_matrix<R: RotationMatrix>(r: &R) -> R::Matrix {
    r.rotation_matrix()
}

/// nalgebra's rotations and their matrices (see [`rotation_matrix`]).
pub trait RotationMatrix {
    /// `Matrix3` or `Matrix2`.
    type Matrix;
    /// The rotation matrix.
    fn rotation_matrix(&self) -> Self::Matrix;
}

impl<T: nalgebra::RealField + Copy> RotationMatrix for nalgebra::UnitQuaternion<T> {
    type Matrix = nalgebra::Matrix3<T>;
    fn rotation_matrix(&self) -> Self::Matrix {
        self.to_rotation_matrix().into_inner()
    }
}

impl<T: nalgebra::RealField + Copy> RotationMatrix for nalgebra::Rotation3<T> {
    type Matrix = nalgebra::Matrix3<T>;
    fn rotation_matrix(&self) -> Self::Matrix {
        *self.matrix()
    }
}

impl<T: nalgebra::RealField + Copy> RotationMatrix for nalgebra::UnitComplex<T> {
    type Matrix = nalgebra::Matrix2<T>;
    fn rotation_matrix(&self) -> Self::Matrix {
        self.to_rotation_matrix().into_inner()
    }
}

impl<T: nalgebra::RealField + Copy> RotationMatrix for nalgebra::Rotation2<T> {
    type Matrix = nalgebra::Matrix2<T>;
    fn rotation_matrix(&self) -> Self::Matrix {
        *self.matrix()
    }
}

//! The runtime of `autodiff`: what the code written by `#[differentiable]` calls.
//!
//! Users depend on the facade crate `autodiff`, which re-exports everything here. The pieces:
//! [`rules`] (the derivative of every primitive), [`Differentiable`] (zero adjoints and
//! gradient accumulation), [`Param`] and the optimisers in [`optim`], [`detach`]/[`no_grad`],
//! [`gradcheck`]/[`jacobian`]/[`jacobian_fwd`], and [`graph::to_svg`] (DOT text, such as
//! `#[differentiable(graph)]` writes, drawn as SVG without Graphviz).
//!
//! ```
//! use autodiff_runtime::{rules, Param, Sgd};
//! // d/dx sin(x) at 0 is cos(0) = 1
//! assert_eq!(rules::sin_vjp(&0.0f64, &0.0, &1.0), 1.0);
//! let mut p = Param::new(1.0f64);
//! p.grad = 2.0;
//! Sgd::new(0.25).step(&mut [&mut p]);
//! assert_eq!(p.value, 0.5);
//! ```
#![warn(missing_docs)]
#![cfg_attr(not(test), warn(clippy::unwrap_used))]

mod check;
#[cfg(feature = "cuda")]
mod cuda;
mod device;
mod differentiable;
mod error;
mod grad_mode;
pub mod graph;
pub mod loss;
pub mod nn;
pub mod optim;
mod param;
mod placeholder;
mod real;
pub mod rules;
mod second;
mod seed;
mod tape;
mod tensor;
mod view;

pub use check::{GradcheckError, gradcheck, jacobian, jacobian_fwd, jacobian_fwd_batch};
pub use device::Device;
pub use differentiable::{
    Accumulate, Differentiable, GradOutput, Zeros, accumulate, cut_to_length, cut_to_length_mut,
    zero_like,
};
pub use error::Error;
pub use grad_mode::{detach, no_grad};
pub use optim::{Adam, Sgd};
pub use param::Param;
pub use real::Real;
pub use seed::{AsSeed, as_seed};
pub use tensor::{DType, Element, Tensor};

/// What most programs need: `use autodiff_runtime::prelude::*;`.
pub mod prelude {
    pub use crate::optim::{Adam, Sgd};
    pub use crate::{
        DType, Device, Differentiable, Error, GradcheckError, Param, Real, Tensor, detach,
        gradcheck, jacobian, jacobian_fwd, jacobian_fwd_batch, no_grad,
    };
    pub use crate::{loss, nn};
}

/// The paths generated code uses. Not part of the public API: it may change at any release.
#[doc(hidden)]
pub mod __private {
    pub use crate::Tensor;
    pub use crate::differentiable::{
        Differentiable, GradOutput, Value, Zeros, accumulate, adjoint_of_length, cut_to_length,
        cut_to_length_mut, discard_like, is_zero, value, wanted, zero_adjoint, zero_like, zeros_as,
    };
    pub use crate::grad_mode::detach;
    pub use crate::optim::Update;
    pub use crate::placeholder::{Placeholder, placeholder};
    pub use crate::rules;
    pub use crate::second::{
        Flat, Like, add_scaled, gather, hessian_from_columns, like, set_unit, unit_like,
    };
    pub use crate::seed::as_seed;
    pub use crate::tape::{keep, push_reserved, restore};
    pub use crate::view::{Contiguous, view, view_mut};
    pub use core::borrow::Borrow;
    pub use core::clone::Clone;
    pub use core::cmp::Ordering;
    pub use nalgebra::{DMatrix, Matrix2, Matrix3};
    pub use std::borrow::ToOwned;

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

    /// The check before a buffer assigned whole takes the new value's elements (the macro
    /// writes `state = step(&state, dt)` in place): the lengths must agree.
    ///
    /// # Panics
    ///
    /// If they differ, naming the buffer.
    ///
    /// ```
    /// autodiff_runtime::__private::assigned_whole(3, 3, "state");
    /// assert!(std::panic::catch_unwind(|| autodiff_runtime::__private::assigned_whole(2, 3, "state")).is_err());
    /// ```
    #[track_caller]
    pub fn assigned_whole(new: usize, old: usize, name: &str) {
        assert!(
            new == old,
            "`{name}` is assigned a value of length {new} but has length {old}: the derivatives write a buffer assigned whole in place, so its length must stay (bind the new value to a `let` of its own)"
        );
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

    /// The check that a tensor parameter's tangent or adjoint buffer (`what`) has the
    /// parameter's shape (a discard buffer, which generated code passes for an argument without
    /// an adjoint, has none to check).
    ///
    /// # Panics
    ///
    /// If the shapes differ, naming both.
    ///
    /// ```
    /// use autodiff_runtime::Tensor;
    /// let x = Tensor::zeros(&[3, 4]);
    /// autodiff_runtime::__private::check_shape(&x, &Tensor::zeros(&[3, 4]), "x_bar");
    /// assert!(std::panic::catch_unwind(|| {
    ///     autodiff_runtime::__private::check_shape(&x, &Tensor::zeros(&[4]), "x_bar")
    /// }).is_err());
    /// ```
    #[track_caller]
    pub fn check_shape(x: &crate::Tensor, d: &crate::Tensor, what: &str) {
        if !d.is_discard() && d.shape() != x.shape() {
            let name = what.rsplit_once('_').map_or(what, |(n, _)| n);
            panic!(
                "`{what}` has shape {:?} but `{name}` has shape {:?}: tangents and adjoint buffers take their parameter's shape",
                d.shape(),
                x.shape()
            );
        }
    }

    /// The check that `f_vjp`'s seed had the shape of the result `y` (or, for a one-element
    /// result, one element: `f_grad`'s seed is the scalar 1).
    ///
    /// # Panics
    ///
    /// If not, naming both shapes.
    ///
    /// ```
    /// use autodiff_runtime::Tensor;
    /// autodiff_runtime::__private::check_seed_shape(&[], &Tensor::zeros(&[1]));
    /// assert!(std::panic::catch_unwind(|| {
    ///     autodiff_runtime::__private::check_seed_shape(&[], &Tensor::zeros(&[3]))
    /// }).is_err());
    /// ```
    #[track_caller]
    pub fn check_seed_shape(seed: &[usize], y: &crate::Tensor) {
        let one = |s: &[usize]| s.iter().product::<usize>() == 1;
        if seed != y.shape() && !(one(seed) && one(y.shape())) {
            seed_shape_differs(seed, y);
        }
    }

    /// A seed's shape, kept before the seed is moved into the adjoint sweep (no allocation up
    /// to eight dimensions).
    ///
    /// ```
    /// use autodiff_runtime::{Tensor, __private::SeedShape};
    /// assert_eq!(SeedShape::of(&Tensor::zeros(&[2, 3])).dims(), &[2, 3]);
    /// ```
    pub struct SeedShape {
        inline: [usize; 8],
        len: usize,
        spilled: Vec<usize>,
    }

    impl SeedShape {
        /// The shape of `seed`.
        #[inline]
        pub fn of(seed: &crate::Tensor) -> SeedShape {
            let shape = seed.shape();
            let mut inline = [0; 8];
            match shape.len() <= 8 {
                true => {
                    inline[..shape.len()].copy_from_slice(shape);
                    SeedShape { inline, len: shape.len(), spilled: Vec::new() }
                }
                false => SeedShape { inline, len: 0, spilled: shape.to_vec() },
            }
        }

        /// Its dimensions.
        #[inline]
        pub fn dims(&self) -> &[usize] {
            match self.spilled.is_empty() {
                true => &self.inline[..self.len],
                false => &self.spilled,
            }
        }
    }

    #[cold]
    #[track_caller]
    fn seed_shape_differs(seed: &[usize], y: &crate::Tensor) {
        panic!(
            "the seed has shape {seed:?} but the result has shape {:?}: a seed takes the result's shape (`f_grad` needs a one-element result; call `f_vjp` with a seed of the result's shape for the gradient of a weighted sum)",
            y.shape()
        );
    }

    /// A column of a table flattened row by row (the macro's `t[i][j]` of
    /// `vec![vec![v; width]; rows]` is `t[i * width + column(j, width)]`): `j`, after the check
    /// that indexing the row would have made.
    ///
    /// ```
    /// assert_eq!(autodiff_runtime::__private::column(2, 3), 2);
    /// assert!(std::panic::catch_unwind(|| autodiff_runtime::__private::column(3, 3)).is_err());
    /// ```
    #[inline(always)]
    pub fn column(j: usize, width: usize) -> usize {
        assert!(j < width, "index out of bounds: the len is {width} but the index is {j}");
        j
    }

    /// A row of a flattened table read whole (the macro's `&t[i]` of
    /// `vec![vec![v; width]; rows]` is `&t[row(i, rows) * width..(row(i, rows) + 1) * width]`):
    /// `i`, after the check that indexing the table would have made.
    ///
    /// ```
    /// assert_eq!(autodiff_runtime::__private::row(1, 2), 1);
    /// assert!(std::panic::catch_unwind(|| autodiff_runtime::__private::row(2, 2)).is_err());
    /// ```
    #[inline(always)]
    pub fn row(i: usize, rows: usize) -> usize {
        assert!(i < rows, "index out of bounds: the len is {rows} but the index is {i}");
        i
    }

    /// The row `t.first().unwrap()` (`last`: `t.last().unwrap()`) reads of a flattened table
    /// with `rows` rows, panicking as `unwrap` of `None` does when it has none.
    ///
    /// ```
    /// use autodiff_runtime::__private::end_row;
    /// assert_eq!((end_row(3, false), end_row(3, true)), (0, 2));
    /// assert!(std::panic::catch_unwind(|| end_row(0, true)).is_err());
    /// ```
    #[inline(always)]
    pub fn end_row(rows: usize, last: bool) -> usize {
        match (rows, last) {
            (0, _) => panic!("called `Option::unwrap()` on a `None` value"),
            (_, false) => 0,
            (_, true) => rows - 1,
        }
    }

    /// Calls a comparator of `Iterator::max_by`/`min_by` on two items, so that its parameter
    /// types are inferred from the items (the macro finds the selected element by index).
    ///
    /// ```
    /// use autodiff_runtime::__private::{Ordering, compare};
    /// assert_eq!(compare(|a: &f64, b: &f64| a.total_cmp(b), &1.0, &2.0), Ordering::Less);
    /// ```
    #[inline(always)]
    pub fn compare<T: ?Sized>(mut cmp: impl FnMut(&T, &T) -> Ordering, a: &T, b: &T) -> Ordering {
        cmp(a, b)
    }
    pub use core::iter::Iterator;
    pub use core::option::Option::{None, Some};
    pub use std::vec::Vec;
}

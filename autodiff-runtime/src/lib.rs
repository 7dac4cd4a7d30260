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
mod components;
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
mod rotation;
pub mod rules;
mod second;
mod seed;
mod shapes;
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
pub use optim::{Adam, Sgd, clip_grad_norm};
pub use param::Param;
pub use real::Real;
pub use seed::{AsSeed, as_seed};
pub use tensor::{DType, Element, Tensor};

/// What most programs need: `use autodiff_runtime::prelude::*;`.
pub mod prelude {
    pub use crate::optim::{Adam, Sgd, clip_grad_norm};
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
    pub use crate::components::Components;
    pub use crate::differentiable::{
        Differentiable, GradOutput, Value, Zeros, accumulate, adjoint_of_length, cut_to_length,
        cut_to_length_mut, discard_like, is_zero, repeat, sum_of_repeated, value, wanted,
        zero_adjoint, zero_like, zeros_as,
    };
    pub use crate::grad_mode::detach;
    pub use crate::optim::Update;
    pub use crate::placeholder::{Placeholder, placeholder};
    pub use crate::real::Real;
    pub use crate::rotation::{RotationMatrix, axis_components, rotation_matrix, small_rotation};
    pub use crate::rules;
    pub use crate::second::{
        Flat, Like, add_scaled, gather, hessian_from_columns, like, set_unit, unit_like,
    };
    pub use crate::seed::as_seed;
    pub use crate::shapes::{SeedShape, assigned_whole, check_seed_shape, check_shape};
    pub use crate::tape::{keep, push_reserved, restore};
    pub use crate::view::{Contiguous, view, view_mut};
    pub use core::borrow::Borrow;
    pub use core::clone::Clone;
    pub use core::cmp::Ordering;
    pub use nalgebra::{
        DMatrix, Matrix2, Matrix3, Vector1, Vector2, Vector3, Vector4, Vector5, Vector6,
    };
    pub use std::borrow::ToOwned;

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

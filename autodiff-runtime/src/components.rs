//! [`Components`]: what generated code asks of an nalgebra field of a model whose component it
//! reads (`cam.center.x` of `center: Vector2<f64>`): whether the component is skipped, as it asks
//! a derived struct of its fields (`#[autodiff(skip)]`). A component never is.

/// The components `x`, `y`, `z`, `w` of nalgebra's vectors and matrices, never skipped (a
/// `#[derive(Differentiable)]` struct's own methods of the same names come first: generated
/// code calls them by method syntax).
///
/// ```
/// use autodiff_runtime::__private::Components;
/// assert!(!nalgebra::Vector2::new(1.0, 2.0).__autodiff_skips_x());
/// ```
#[doc(hidden)]
pub trait Components {
    /// Whether `x` is skipped: never.
    fn __autodiff_skips_x(&self) -> bool {
        false
    }
    /// Whether `y` is skipped: never.
    fn __autodiff_skips_y(&self) -> bool {
        false
    }
    /// Whether `z` is skipped: never.
    fn __autodiff_skips_z(&self) -> bool {
        false
    }
    /// Whether `w` is skipped: never.
    fn __autodiff_skips_w(&self) -> bool {
        false
    }
}

impl<T, R, C, S> Components for nalgebra::Matrix<T, R, C, S> {}

//! `as` casts between `f32` and `f64`: the derivative is the identity, converted.

use crate::Real;

/// Tangent rule of `x as D` between float types: `ẏ = ẋ as D`.
///
/// ```
/// use autodiff_runtime::rules::cast_jvp;
/// let x = 1.5f64;
/// let dy: f32 = cast_jvp(&x, &(x as f32), &2.0f64);
/// assert_eq!(dy, 2.0f32);
/// ```
#[inline(always)]
pub fn cast_jvp<S: Real, D: Real>(_x: &impl Sized, _y: &D, dot: &S) -> D {
    D::from_f64(dot.to_f64())
}

/// Adjoint rule of `x as D` between float types: `x̄ += ȳ as S`.
///
/// ```
/// use autodiff_runtime::rules::cast_vjp;
/// let x = 1.5f64;
/// let g: f64 = cast_vjp(&x, &(x as f32), &2.0f32);
/// assert_eq!(g, 2.0);
/// ```
#[inline(always)]
pub fn cast_vjp<S: Real, D: Real>(_x: &S, _y: &impl Sized, g: &D) -> S {
    S::from_f64(g.to_f64())
}

//! [`Real`]: the floating-point scalars (`f32`, `f64`) the derivative rules are written for.

use core::fmt::{Debug, Display};
use core::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Rem, Sub, SubAssign};

/// A floating-point scalar: `f32` or `f64`.
///
/// The derivative rules in [`crate::rules`] are generic over this trait, so one formula serves
/// both precisions. Its methods forward to the inherent methods of the same name.
///
/// A `#[differentiable]` function generic over `T: Real` treats parameters of type `T` as
/// floats: they are active by default, and a result of type `T` gets an `f_grad`.
///
/// ```
/// use autodiff_runtime::Real;
/// fn half<T: Real>(x: T) -> T { x * T::from_f64(0.5) }
/// assert_eq!(half(3.0f32), 1.5);
/// assert_eq!(half(3.0f64).to_f64(), 1.5);
/// ```
pub trait Real:
    crate::Differentiable
    + crate::GradOutput
    + crate::Zeros<Output = Self>
    + Copy
    + PartialOrd
    + Debug
    + Display
    + Default
    + Send
    + Sync
    + 'static
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Rem<Output = Self>
    + Neg<Output = Self>
    + AddAssign
    + SubAssign
    + MulAssign
    + DivAssign
{
    /// 0.
    const ZERO: Self;
    /// 1.
    const ONE: Self;
    /// Converts from `f64` (rounding for `f32`).
    fn from_f64(v: f64) -> Self;
    /// Converts to `f64` (exactly).
    fn to_f64(self) -> f64;
    /// Converts from an `i32` exponent.
    fn from_i32(v: i32) -> Self;
    /// Whether the value is NaN.
    fn is_nan(self) -> bool;
    /// The sign of the value as PyTorch's `sign`: -1, 0 or 1 (0 at ±0, NaN stays NaN).
    fn sign(self) -> Self {
        if self > Self::ZERO {
            Self::ONE
        } else if self < Self::ZERO {
            -Self::ONE
        } else {
            self * Self::ZERO
        }
    }
    /// Sine.
    fn sin(self) -> Self;
    /// Cosine.
    fn cos(self) -> Self;
    /// Tangent.
    fn tan(self) -> Self;
    /// Hyperbolic sine.
    fn sinh(self) -> Self;
    /// Hyperbolic cosine.
    fn cosh(self) -> Self;
    /// Hyperbolic tangent.
    fn tanh(self) -> Self;
    /// Exponential.
    fn exp(self) -> Self;
    /// Natural logarithm.
    fn ln(self) -> Self;
    /// Square root.
    fn sqrt(self) -> Self;
    /// Integer power.
    fn powi(self, n: i32) -> Self;
    /// Real power.
    fn powf(self, p: Self) -> Self;
    /// Absolute value.
    fn abs(self) -> Self;
    /// `self * self`.
    fn square(self) -> Self {
        self * self
    }
    /// The truncated quotient `trunc(self / rhs)` used by the derivative of `%`.
    fn trunc_div(self, rhs: Self) -> Self;
    /// `ln(2)`.
    const LN_2: Self;
    /// `ln(10)`.
    const LN_10: Self;
    /// Degrees in one radian.
    const DEGREES_PER_RADIAN: Self;
}

macro_rules! impl_real {
    ($t:ident) => {
        impl Real for $t {
            const ZERO: Self = 0.0;
            const ONE: Self = 1.0;
            const LN_2: Self = core::$t::consts::LN_2;
            const LN_10: Self = core::$t::consts::LN_10;
            const DEGREES_PER_RADIAN: Self = 180.0 / core::$t::consts::PI;
            #[inline]
            fn from_f64(v: f64) -> Self {
                v as $t
            }
            #[inline]
            fn to_f64(self) -> f64 {
                self as f64
            }
            #[inline]
            fn from_i32(v: i32) -> Self {
                v as $t
            }
            #[inline]
            fn is_nan(self) -> bool {
                $t::is_nan(self)
            }
            #[inline]
            fn sin(self) -> Self {
                $t::sin(self)
            }
            #[inline]
            fn cos(self) -> Self {
                $t::cos(self)
            }
            #[inline]
            fn tan(self) -> Self {
                $t::tan(self)
            }
            #[inline]
            fn sinh(self) -> Self {
                $t::sinh(self)
            }
            #[inline]
            fn cosh(self) -> Self {
                $t::cosh(self)
            }
            #[inline]
            fn tanh(self) -> Self {
                $t::tanh(self)
            }
            #[inline]
            fn exp(self) -> Self {
                $t::exp(self)
            }
            #[inline]
            fn ln(self) -> Self {
                $t::ln(self)
            }
            #[inline]
            fn sqrt(self) -> Self {
                $t::sqrt(self)
            }
            #[inline]
            fn powi(self, n: i32) -> Self {
                $t::powi(self, n)
            }
            #[inline]
            fn powf(self, p: Self) -> Self {
                $t::powf(self, p)
            }
            #[inline]
            fn abs(self) -> Self {
                $t::abs(self)
            }
            #[inline]
            fn trunc_div(self, rhs: Self) -> Self {
                $t::trunc(self / rhs)
            }
        }
    };
}

impl_real!(f32);
impl_real!(f64);

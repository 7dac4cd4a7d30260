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
#[diagnostic::on_unimplemented(
    message = "`{Self}` is used where the derivative rules expect a float",
    label = "taken for a float (`f32`, `f64` or a `T: Real`)",
    note = "the macro cannot see types: a value it could not tell (a call's result bound without a type) is taken for a float; bind it with its type, e.g. `let a: Vector3<f64> = accel(r);`"
)]
pub trait Real:
    crate::Differentiable
    + crate::GradOutput
    + crate::Zeros<Output = Self>
    + crate::__private::Flat<Self>
    + crate::__private::Placeholder
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
    /// The rest of the float methods with derivative rules, forwarding to `f32`'s and `f64`'s
    /// own (generic code writes them as it would for a concrete float).
    fn asin(self) -> Self;
    #[doc = "See the inherent method of the same name."]
    fn acos(self) -> Self;
    #[doc = "See the inherent method of the same name."]
    fn atan(self) -> Self;
    #[doc = "See the inherent method of the same name."]
    fn asinh(self) -> Self;
    #[doc = "See the inherent method of the same name."]
    fn acosh(self) -> Self;
    #[doc = "See the inherent method of the same name."]
    fn atanh(self) -> Self;
    #[doc = "See the inherent method of the same name."]
    fn exp2(self) -> Self;
    #[doc = "See the inherent method of the same name."]
    fn exp_m1(self) -> Self;
    #[doc = "See the inherent method of the same name."]
    fn ln_1p(self) -> Self;
    #[doc = "See the inherent method of the same name."]
    fn log2(self) -> Self;
    #[doc = "See the inherent method of the same name."]
    fn log10(self) -> Self;
    #[doc = "See the inherent method of the same name."]
    fn cbrt(self) -> Self;
    #[doc = "See the inherent method of the same name."]
    fn recip(self) -> Self;
    #[doc = "See the inherent method of the same name."]
    fn signum(self) -> Self;
    #[doc = "See the inherent method of the same name."]
    fn floor(self) -> Self;
    #[doc = "See the inherent method of the same name."]
    fn ceil(self) -> Self;
    #[doc = "See the inherent method of the same name."]
    fn round(self) -> Self;
    #[doc = "See the inherent method of the same name."]
    fn trunc(self) -> Self;
    #[doc = "See the inherent method of the same name."]
    fn fract(self) -> Self;
    #[doc = "See the inherent method of the same name."]
    fn to_degrees(self) -> Self;
    #[doc = "See the inherent method of the same name."]
    fn to_radians(self) -> Self;
    #[doc = "See the inherent method of the same name."]
    fn atan2(self, other: Self) -> Self;
    #[doc = "See the inherent method of the same name."]
    fn log(self, other: Self) -> Self;
    #[doc = "See the inherent method of the same name."]
    fn max(self, other: Self) -> Self;
    #[doc = "See the inherent method of the same name."]
    fn min(self, other: Self) -> Self;
    #[doc = "See the inherent method of the same name."]
    fn hypot(self, other: Self) -> Self;
    #[doc = "See the inherent method of the same name."]
    fn copysign(self, sign: Self) -> Self;
    #[doc = "See the inherent method of the same name."]
    fn rem_euclid(self, other: Self) -> Self;
    #[doc = "See the inherent method of the same name."]
    fn div_euclid(self, other: Self) -> Self;
    #[doc = "See the inherent method of the same name."]
    fn clamp(self, min: Self, max: Self) -> Self;
    #[doc = "See the inherent method of the same name."]
    fn mul_add(self, a: Self, b: Self) -> Self;
    #[doc = "See the inherent method of the same name."]
    fn sin_cos(self) -> (Self, Self);
    #[doc = "See the inherent method of the same name."]
    fn is_finite(self) -> bool;
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
            fn asin(self) -> Self {
                $t::asin(self)
            }
            #[inline]
            fn acos(self) -> Self {
                $t::acos(self)
            }
            #[inline]
            fn atan(self) -> Self {
                $t::atan(self)
            }
            #[inline]
            fn asinh(self) -> Self {
                $t::asinh(self)
            }
            #[inline]
            fn acosh(self) -> Self {
                $t::acosh(self)
            }
            #[inline]
            fn atanh(self) -> Self {
                $t::atanh(self)
            }
            #[inline]
            fn exp2(self) -> Self {
                $t::exp2(self)
            }
            #[inline]
            fn exp_m1(self) -> Self {
                $t::exp_m1(self)
            }
            #[inline]
            fn ln_1p(self) -> Self {
                $t::ln_1p(self)
            }
            #[inline]
            fn log2(self) -> Self {
                $t::log2(self)
            }
            #[inline]
            fn log10(self) -> Self {
                $t::log10(self)
            }
            #[inline]
            fn cbrt(self) -> Self {
                $t::cbrt(self)
            }
            #[inline]
            fn recip(self) -> Self {
                $t::recip(self)
            }
            #[inline]
            fn signum(self) -> Self {
                $t::signum(self)
            }
            #[inline]
            fn floor(self) -> Self {
                $t::floor(self)
            }
            #[inline]
            fn ceil(self) -> Self {
                $t::ceil(self)
            }
            #[inline]
            fn round(self) -> Self {
                $t::round(self)
            }
            #[inline]
            fn trunc(self) -> Self {
                $t::trunc(self)
            }
            #[inline]
            fn fract(self) -> Self {
                $t::fract(self)
            }
            #[inline]
            fn to_degrees(self) -> Self {
                $t::to_degrees(self)
            }
            #[inline]
            fn to_radians(self) -> Self {
                $t::to_radians(self)
            }
            #[inline]
            fn atan2(self, other: Self) -> Self {
                $t::atan2(self, other)
            }
            #[inline]
            fn log(self, other: Self) -> Self {
                $t::log(self, other)
            }
            #[inline]
            fn max(self, other: Self) -> Self {
                $t::max(self, other)
            }
            #[inline]
            fn min(self, other: Self) -> Self {
                $t::min(self, other)
            }
            #[inline]
            fn hypot(self, other: Self) -> Self {
                $t::hypot(self, other)
            }
            #[inline]
            fn copysign(self, sign: Self) -> Self {
                $t::copysign(self, sign)
            }
            #[inline]
            fn rem_euclid(self, other: Self) -> Self {
                $t::rem_euclid(self, other)
            }
            #[inline]
            fn div_euclid(self, other: Self) -> Self {
                $t::div_euclid(self, other)
            }
            #[inline]
            fn clamp(self, min: Self, max: Self) -> Self {
                $t::clamp(self, min, max)
            }
            #[inline]
            fn mul_add(self, a: Self, b: Self) -> Self {
                $t::mul_add(self, a, b)
            }
            #[inline]
            fn sin_cos(self) -> (Self, Self) {
                $t::sin_cos(self)
            }
            #[inline]
            fn is_finite(self) -> bool {
                $t::is_finite(self)
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

//! The derivative rule of every primitive operation, one module per family.
//!
//! Generated code calls these by name; the type checker picks the implementation. The naming
//! convention the macro relies on (see `ARCHITECTURE.md`):
//!
//! - an operation `op` with one differentiable operand has `op_jvp(args.., &y, &dx) -> dy` and
//!   `op_vjp(args.., &y, &g) -> contribution`;
//! - an operation with several differentiable operands has one pair per operand `k`:
//!   `op_jvp_k(args.., &y, &dk)` and `op_vjp_k(args.., &y, &g)`;
//! - `args` are all the operation's operands (differentiable or not, e.g. `powi`'s exponent), by
//!   reference, then its primal result `y`, so rules like `exp` reuse the result.
//!
//! The tangent of `y` is the sum of the active operands' `_jvp` terms; an adjoint `g` of `y`
//! adds `_vjp` into each active operand's adjoint. Each rule's formula is in its doc comment,
//! with its choice at points where the function is not differentiable (PyTorch's conventions).

pub mod algebra;
mod arithmetic;
mod conversion;
mod elementary;
mod selection;
pub mod tensor;

pub use arithmetic::*;
pub use conversion::*;
pub use elementary::*;
pub use selection::*;

#[cfg(test)]
mod tests;

/// Defines the jvp/vjp pair of one operand of a rule from its local partial derivative
/// `∂y/∂operand` (an expression of the operands and `y`): `jvp = ∂ · dot`, `vjp = ∂ · g`.
///
/// Each argument is marked `T` when the formula reads it and `_` when it does not; unread
/// arguments accept anything (`&impl Sized`), so reverse mode passes `&()` for them and keeps
/// nothing for them. The macro's rule table lists the same reads.
macro_rules! partial {
    (
        $name:literal, $formula:literal, $example:literal,
        ($($arg:ident : $ty:tt),+), $y:ident : $yty:tt, $jvp:ident, $vjp:ident, $d:expr
    ) => {
        #[doc = concat!("Tangent rule of `", $name, "`: adds `", $formula, " · ẋ` (the operand's tangent).")]
        ///
        /// ```
        #[doc = concat!("use autodiff_runtime::rules::{", stringify!($jvp), ", ", stringify!($vjp), "};")]
        #[doc = $example]
        #[doc = concat!("let (fwd, rev) = (", stringify!($jvp), "(", $(concat!("&", stringify!($arg), ", "),)+ "&y, &2.0f64) * 3.0, ", stringify!($vjp), "(", $(concat!("&", stringify!($arg), ", "),)+ "&y, &3.0f64) * 2.0);")]
        /// assert!((fwd - rev).abs() <= 1e-12 * fwd.abs().max(1.0), "forward and reverse agree");
        /// ```
        #[inline(always)]
        pub fn $jvp<T: $crate::Real>($($arg: $crate::rules::arg_type!($ty),)+ $y: $crate::rules::arg_type!($yty), dot: &T) -> T {
            $($crate::rules::bind_arg!($arg, $ty);)+
            $crate::rules::bind_arg!($y, $yty);
            ($d) * *dot
        }

        #[doc = concat!("Adjoint rule of `", $name, "`: the operand's adjoint receives `", $formula, " · ȳ`.")]
        ///
        /// ```
        #[doc = concat!("use autodiff_runtime::rules::", stringify!($vjp), ";")]
        #[doc = $example]
        #[doc = concat!("let g = ", stringify!($vjp), "(", $(concat!("&", stringify!($arg), ", "),)+ "&y, &1.0f64);")]
        /// assert!(!g.is_nan());
        /// ```
        #[inline(always)]
        pub fn $vjp<T: $crate::Real>($($arg: $crate::rules::arg_type!($ty),)+ $y: $crate::rules::arg_type!($yty), g: &T) -> T {
            $($crate::rules::bind_arg!($arg, $ty);)+
            $crate::rules::bind_arg!($y, $yty);
            ($d) * *g
        }
    };
}
pub(crate) use partial;

/// The type of a rule argument: `&T` when read, anything when not.
macro_rules! arg_type {
    (T) => { &T };
    (_) => { &impl Sized };
}
pub(crate) use arg_type;

/// Copies a read argument out of its reference.
macro_rules! bind_arg {
    ($a:ident, T) => {
        let $a = *$a;
    };
    ($a:ident, _) => {
        let _ = $a;
    };
}
pub(crate) use bind_arg;

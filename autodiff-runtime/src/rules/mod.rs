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

mod arithmetic;
mod conversion;
mod elementary;
mod selection;

pub use arithmetic::*;
pub use conversion::*;
pub use elementary::*;
pub use selection::*;

#[cfg(test)]
mod tests;

/// Defines the jvp/vjp pair of one operand of a rule from its local partial derivative
/// `∂y/∂operand` (an expression of the operands and `y`): `jvp = ∂ · dot`, `vjp = ∂ · g`.
macro_rules! partial {
    (
        $name:literal, $formula:literal, $example:literal,
        ($($arg:ident),+), $y:ident, $jvp:ident, $vjp:ident, $d:expr
    ) => {
        #[doc = concat!("Tangent rule of `", $name, "`: adds `", $formula, " · ẋ` (the operand's tangent).")]
        ///
        /// ```
        #[doc = concat!("use autodiff_runtime::rules::{", stringify!($jvp), ", ", stringify!($vjp), "};")]
        #[doc = $example]
        #[doc = concat!("let (fwd, rev) = (", stringify!($jvp), "(", $(concat!("&", stringify!($arg), ", "),)+ "&y, &2.0) * 3.0, ", stringify!($vjp), "(", $(concat!("&", stringify!($arg), ", "),)+ "&y, &3.0) * 2.0);")]
        /// assert!((fwd - rev).abs() <= 1e-12 * fwd.abs().max(1.0), "forward and reverse agree");
        /// ```
        #[inline(always)]
        #[allow(unused_variables)]
        pub fn $jvp<T: $crate::Real>($($arg: &T,)+ $y: &T, dot: &T) -> T {
            let ($($arg,)+ $y) = ($(*$arg,)+ *$y);
            ($d) * *dot
        }

        #[doc = concat!("Adjoint rule of `", $name, "`: the operand's adjoint receives `", $formula, " · ȳ`.")]
        ///
        /// ```
        #[doc = concat!("use autodiff_runtime::rules::", stringify!($vjp), ";")]
        #[doc = $example]
        #[doc = concat!("let g = ", stringify!($vjp), "(", $(concat!("&", stringify!($arg), ", "),)+ "&y, &1.0);")]
        /// assert!(!g.is_nan());
        /// ```
        #[inline(always)]
        #[allow(unused_variables)]
        pub fn $vjp<T: $crate::Real>($($arg: &T,)+ $y: &T, g: &T) -> T {
            let ($($arg,)+ $y) = ($(*$arg,)+ *$y);
            ($d) * *g
        }
    };
}
pub(crate) use partial;

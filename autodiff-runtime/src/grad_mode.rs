//! [`detach`] and [`no_grad`]: values that differentiation treats as constants.
//!
//! PyTorch needs these at run time to stop recording a graph. Here nothing is recorded at run
//! time: the `#[differentiable]` macro sees these calls at compile time and emits no derivative
//! code for what they wrap. Called anywhere else they simply return their argument.

/// Returns `value` unchanged; inside a `#[differentiable]` function its result is a constant,
/// so no gradient flows through it (PyTorch's `tensor.detach()`).
///
/// ```
/// assert_eq!(autodiff_runtime::detach(2.0f64), 2.0);
/// ```
#[inline(always)]
pub fn detach<T>(value: T) -> T {
    value
}

/// Evaluates `f`; inside a `#[differentiable]` function its result is a constant
/// (PyTorch's `with torch.no_grad():`).
///
/// ```
/// assert_eq!(autodiff_runtime::no_grad(|| 2.0f64 * 3.0), 6.0);
/// ```
#[inline(always)]
pub fn no_grad<T>(f: impl FnOnce() -> T) -> T {
    f()
}

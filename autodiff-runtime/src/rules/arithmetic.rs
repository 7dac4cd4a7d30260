//! Arithmetic: `+ - * / %`, unary `-`, `mul_add`, `recip`.

use super::partial;
#[allow(unused_imports)]
use crate::Real;

partial!(
    "a + b",
    "1",
    "let (a, b) = (1.5f64, -0.5f64); let y = a + b;",
    (a: _, b: _),
    y: _,
    add_jvp_0,
    add_vjp_0,
    T::ONE
);
partial!(
    "a + b",
    "1",
    "let (a, b) = (1.5f64, -0.5f64); let y = a + b;",
    (a: _, b: _),
    y: _,
    add_jvp_1,
    add_vjp_1,
    T::ONE
);
partial!(
    "a - b",
    "1",
    "let (a, b) = (1.5f64, -0.5f64); let y = a - b;",
    (a: _, b: _),
    y: _,
    sub_jvp_0,
    sub_vjp_0,
    T::ONE
);
partial!(
    "a - b",
    "-1",
    "let (a, b) = (1.5f64, -0.5f64); let y = a - b;",
    (a: _, b: _),
    y: _,
    sub_jvp_1,
    sub_vjp_1,
    -T::ONE
);
partial!(
    "a * b",
    "b",
    "let (a, b) = (1.5f64, -0.5f64); let y = a * b;",
    (a: _, b: T),
    y: _,
    mul_jvp_0,
    mul_vjp_0,
    b
);
partial!(
    "a * b",
    "a",
    "let (a, b) = (1.5f64, -0.5f64); let y = a * b;",
    (a: T, b: _),
    y: _,
    mul_jvp_1,
    mul_vjp_1,
    a
);
partial!(
    "a / b",
    "1 / b",
    "let (a, b) = (1.5f64, -0.5f64); let y = a / b;",
    (a: _, b: T),
    y: _,
    div_jvp_0,
    div_vjp_0,
    T::ONE / b
);
partial!(
    "a / b",
    "-y / b",
    "let (a, b) = (1.5f64, -0.5f64); let y = a / b;",
    (a: _, b: T),
    y: T,
    div_jvp_1,
    div_vjp_1,
    -y / b
);
partial!(
    "a % b",
    "1",
    "let (a, b) = (7.5f64, 2.0f64); let y = a % b;",
    (a: _, b: _),
    y: _,
    rem_jvp_0,
    rem_vjp_0,
    T::ONE
);
partial!(
    "a % b",
    "-trunc(a / b)",
    "let (a, b) = (7.5f64, 2.0f64); let y = a % b;",
    (a: T, b: T),
    y: _,
    rem_jvp_1,
    rem_vjp_1,
    -a.trunc_div(b)
);
partial!(
    "a.rem_euclid(b)",
    "1",
    "let (a, b) = (-7.5f64, 2.0f64); let y = a.rem_euclid(b);",
    (a: _, b: _),
    y: _,
    rem_euclid_jvp_0,
    rem_euclid_vjp_0,
    T::ONE
);
partial!(
    "a.rem_euclid(b)",
    "-(a - y) / b, the quotient's negation (y = a - b·q with q an integer)",
    "let (a, b) = (-7.5f64, 2.0f64); let y = a.rem_euclid(b);",
    (a: T, b: T),
    y: T,
    rem_euclid_jvp_1,
    rem_euclid_vjp_1,
    -(a - y) / b
);
partial!("-x", "-1", "let x = 1.5f64; let y = -x;", (x: _), y: _, neg_jvp, neg_vjp, -T::ONE);
partial!(
    "x.recip()",
    "-y²",
    "let x = 1.5f64; let y = x.recip();",
    (x: _),
    y: T,
    recip_jvp,
    recip_vjp,
    -(y * y)
);
partial!(
    "recip_or_zero(x)",
    "-y² (0 at x = 0, where y is 0)",
    "let x = 1.5f64; let y = autodiff_runtime::rules::recip_or_zero(x);",
    (x: _),
    y: T,
    recip_or_zero_jvp,
    recip_or_zero_vjp,
    -(y * y)
);

/// `1 / x`, but 0 at `x = 0`: not a method users write, but what second-order code divides by
/// where the first-order rule has a guard (`norm`'s derivative `a / |a|` is 0 at `a = 0`), so
/// that the tangent is 0 there too instead of `0 / 0`.
///
/// ```
/// use autodiff_runtime::rules::recip_or_zero;
/// assert_eq!((recip_or_zero(4.0f64), recip_or_zero(0.0f64)), (0.25, 0.0));
/// ```
#[inline(always)]
pub fn recip_or_zero<T: crate::Real>(x: T) -> T {
    if x == T::ZERO { T::ZERO } else { T::ONE / x }
}

partial!(
    "ln_or_zero(x)",
    "1 / x (0 at x = 0)",
    "let x = 1.5f64; let y = autodiff_runtime::rules::ln_or_zero(x);",
    (x: T),
    y: _,
    ln_or_zero_jvp,
    ln_or_zero_vjp,
    recip_or_zero(x)
);

/// `ln x`, but 0 at `x = 0`: not a method users write, but what second-order code multiplies by
/// where the first-order rule is masked (`powf`'s derivative in its exponent, `y · ln a`, is 0
/// at `a = 0`), so that the tangent is 0 there too instead of `0 · -∞`.
///
/// ```
/// use autodiff_runtime::rules::ln_or_zero;
/// assert_eq!((ln_or_zero(1.0f64), ln_or_zero(0.0f64)), (0.0, 0.0));
/// ```
#[inline(always)]
pub fn ln_or_zero<T: crate::Real>(x: T) -> T {
    if x == T::ZERO { T::ZERO } else { x.ln() }
}

partial!(
    "a.mul_add(b, c) = a·b + c",
    "b",
    "let (a, b, c) = (1.5f64, -0.5f64, 2.0f64); let y = a.mul_add(b, c);",
    (a: _, b: T, c: _),
    y: _,
    mul_add_jvp_0,
    mul_add_vjp_0,
    b
);
partial!(
    "a.mul_add(b, c) = a·b + c",
    "a",
    "let (a, b, c) = (1.5f64, -0.5f64, 2.0f64); let y = a.mul_add(b, c);",
    (a: T, b: _, c: _),
    y: _,
    mul_add_jvp_1,
    mul_add_vjp_1,
    a
);
partial!(
    "a.mul_add(b, c) = a·b + c",
    "1",
    "let (a, b, c) = (1.5f64, -0.5f64, 2.0f64); let y = a.mul_add(b, c);",
    (a: _, b: _, c: _),
    y: _,
    mul_add_jvp_2,
    mul_add_vjp_2,
    T::ONE
);

/// Tangent rule of `x * x` (both operands the same value): `2x · ẋ`, written `x · (ẋ + ẋ)` so
/// that a loop-invariant tangent's double is computed once.
///
/// ```
/// use autodiff_runtime::rules::{square_jvp, square_vjp};
/// let x = 1.5f64;
/// assert_eq!(square_jvp(&x, &2.0), 6.0);
/// assert_eq!(square_vjp(&x, &2.0), 6.0);
/// ```
#[inline(always)]
pub fn square_jvp<T: Real>(x: &T, dot: &T) -> T {
    *x * (*dot + *dot)
}

/// Adjoint rule of `x * x` (both operands the same value): `x̄ += 2x · ȳ`, written
/// `x · (ȳ + ȳ)`: one product per element when `ȳ` does not change in a loop (an accumulated
/// sum of squares), instead of the two products of `mul`'s two operands.
///
/// ```
/// use autodiff_runtime::rules::square_vjp;
/// assert_eq!(square_vjp(&-3.0f64, &0.5), -3.0);
/// ```
#[inline(always)]
pub fn square_vjp<T: Real>(x: &T, g: &T) -> T {
    *x * (*g + *g)
}

//! Elementary functions: trigonometric, hyperbolic, exponential, logarithmic, roots, powers.
//!
//! At a point outside a function's domain the rule returns what the formula gives (NaN or ±∞),
//! as PyTorch does; `powf` and `powi` follow PyTorch's masks noted on each.

use super::partial;
use crate::Real;

partial!(
    "x.sin()",
    "cos(x)",
    "let x = 0.7f64; let y = x.sin();",
    (x: T),
    y: _,
    sin_jvp,
    sin_vjp,
    x.cos()
);
partial!(
    "x.cos()",
    "-sin(x)",
    "let x = 0.7f64; let y = x.cos();",
    (x: T),
    y: _,
    cos_jvp,
    cos_vjp,
    -x.sin()
);
partial!(
    "x.tan()",
    "1 + y²",
    "let x = 0.7f64; let y = x.tan();",
    (x: _),
    y: T,
    tan_jvp,
    tan_vjp,
    T::ONE + y * y
);
partial!(
    "x.asin()",
    "1 / √(1 - x²)",
    "let x = 0.7f64; let y = x.asin();",
    (x: T),
    y: _,
    asin_jvp,
    asin_vjp,
    T::ONE / (T::ONE - x * x).sqrt()
);
partial!(
    "x.acos()",
    "-1 / √(1 - x²)",
    "let x = 0.7f64; let y = x.acos();",
    (x: T),
    y: _,
    acos_jvp,
    acos_vjp,
    -T::ONE / (T::ONE - x * x).sqrt()
);
partial!(
    "x.atan()",
    "1 / (1 + x²)",
    "let x = 0.7f64; let y = x.atan();",
    (x: T),
    y: _,
    atan_jvp,
    atan_vjp,
    T::ONE / (T::ONE + x * x)
);
partial!(
    "x.sinh()",
    "cosh(x)",
    "let x = 0.7f64; let y = x.sinh();",
    (x: T),
    y: _,
    sinh_jvp,
    sinh_vjp,
    x.cosh()
);
partial!(
    "x.cosh()",
    "sinh(x)",
    "let x = 0.7f64; let y = x.cosh();",
    (x: T),
    y: _,
    cosh_jvp,
    cosh_vjp,
    x.sinh()
);
partial!(
    "x.tanh()",
    "1 - y²",
    "let x = 0.7f64; let y = x.tanh();",
    (x: _),
    y: T,
    tanh_jvp,
    tanh_vjp,
    T::ONE - y * y
);
partial!(
    "x.asinh()",
    "1 / √(x² + 1)",
    "let x = 0.7f64; let y = x.asinh();",
    (x: T),
    y: _,
    asinh_jvp,
    asinh_vjp,
    T::ONE / (x * x + T::ONE).sqrt()
);
partial!(
    "x.acosh()",
    "1 / √(x² - 1)",
    "let x = 1.7f64; let y = x.acosh();",
    (x: T),
    y: _,
    acosh_jvp,
    acosh_vjp,
    T::ONE / (x * x - T::ONE).sqrt()
);
partial!(
    "x.atanh()",
    "1 / (1 - x²)",
    "let x = 0.7f64; let y = x.atanh();",
    (x: T),
    y: _,
    atanh_jvp,
    atanh_vjp,
    T::ONE / (T::ONE - x * x)
);
partial!("x.exp()", "y", "let x = 0.7f64; let y = x.exp();", (x: _), y: T, exp_jvp, exp_vjp, y);
partial!(
    "x.exp2()",
    "y · ln 2",
    "let x = 0.7f64; let y = x.exp2();",
    (x: _),
    y: T,
    exp2_jvp,
    exp2_vjp,
    y * T::LN_2
);
partial!(
    "x.exp_m1()",
    "y + 1",
    "let x = 0.7f64; let y = x.exp_m1();",
    (x: _),
    y: T,
    exp_m1_jvp,
    exp_m1_vjp,
    y + T::ONE
);
partial!("x.ln()", "1 / x", "let x = 0.7f64; let y = x.ln();", (x: T), y: _, ln_jvp, ln_vjp, T::ONE / x);
partial!(
    "x.ln_1p()",
    "1 / (1 + x)",
    "let x = 0.7f64; let y = x.ln_1p();",
    (x: T),
    y: _,
    ln_1p_jvp,
    ln_1p_vjp,
    T::ONE / (T::ONE + x)
);
partial!(
    "x.log2()",
    "1 / (x ln 2)",
    "let x = 0.7f64; let y = x.log2();",
    (x: T),
    y: _,
    log2_jvp,
    log2_vjp,
    T::ONE / (x * T::LN_2)
);
partial!(
    "x.log10()",
    "1 / (x ln 10)",
    "let x = 0.7f64; let y = x.log10();",
    (x: T),
    y: _,
    log10_jvp,
    log10_vjp,
    T::ONE / (x * T::LN_10)
);
partial!(
    "x.log(b) = ln x / ln b",
    "1 / (x ln b)",
    "let (x, b) = (0.7f64, 3.0f64); let y = x.log(b);",
    (x: T, b: T),
    y: _,
    log_jvp_0,
    log_vjp_0,
    T::ONE / (x * b.ln())
);
partial!(
    "x.log(b) = ln x / ln b",
    "-y / (b ln b)",
    "let (x, b) = (0.7f64, 3.0f64); let y = x.log(b);",
    (x: _, b: T),
    y: T,
    log_jvp_1,
    log_vjp_1,
    -y / (b * b.ln())
);
partial!(
    "x.sqrt()",
    "1 / (2y)",
    "let x = 0.7f64; let y = x.sqrt();",
    (x: _),
    y: T,
    sqrt_jvp,
    sqrt_vjp,
    T::ONE / (y + y)
);
partial!(
    "x.cbrt()",
    "1 / (3y²)",
    "let x = 0.7f64; let y = x.cbrt();",
    (x: _),
    y: T,
    cbrt_jvp,
    cbrt_vjp,
    T::ONE / (T::from_f64(3.0) * y * y)
);
partial!(
    "x.to_degrees()",
    "180 / π",
    "let x = 0.7f64; let y = x.to_degrees();",
    (x: _),
    y: _,
    to_degrees_jvp,
    to_degrees_vjp,
    T::DEGREES_PER_RADIAN
);
partial!(
    "x.to_radians()",
    "π / 180",
    "let x = 0.7f64; let y = x.to_radians();",
    (x: _),
    y: _,
    to_radians_jvp,
    to_radians_vjp,
    T::ONE / T::DEGREES_PER_RADIAN
);
partial!(
    "y.atan2(x)",
    "x / (x² + y²)",
    "let (a, b) = (0.7f64, -1.2f64); let y = a.atan2(b);",
    (a: T, b: T),
    y: _,
    atan2_jvp_0,
    atan2_vjp_0,
    b / (a * a + b * b)
);
partial!(
    "y.atan2(x)",
    "-y / (x² + y²)",
    "let (a, b) = (0.7f64, -1.2f64); let y = a.atan2(b);",
    (a: T, b: T),
    y: _,
    atan2_jvp_1,
    atan2_vjp_1,
    -a / (a * a + b * b)
);
partial!(
    "a.hypot(b)",
    "a / y",
    "let (a, b) = (0.7f64, -1.2f64); let y = a.hypot(b);",
    (a: T, b: _),
    y: T,
    hypot_jvp_0,
    hypot_vjp_0,
    a / y
);
partial!(
    "a.hypot(b)",
    "b / y",
    "let (a, b) = (0.7f64, -1.2f64); let y = a.hypot(b);",
    (a: _, b: T),
    y: T,
    hypot_jvp_1,
    hypot_vjp_1,
    b / y
);
partial!(
    "x.powf(p)",
    "p · x^(p-1), 0 where p = 0 (PyTorch)",
    "let (x, p) = (0.7f64, 2.5f64); let y = x.powf(p);",
    (x: T, p: T),
    y: _,
    powf_jvp_0,
    powf_vjp_0,
    powf_dx(x, p)
);
partial!(
    "x.powf(p)",
    "y · ln x, 0 where x = 0 and p ≥ 0 (PyTorch)",
    "let (x, p) = (0.7f64, 2.5f64); let y = x.powf(p);",
    (x: T, p: T),
    y: T,
    powf_jvp_1,
    powf_vjp_1,
    powf_dp(x, p, y)
);

#[inline(always)]
fn powf_dx<T: Real>(x: T, p: T) -> T {
    if p == T::ZERO { T::ZERO } else { p * x.powf(p - T::ONE) }
}

#[inline(always)]
fn powf_dp<T: Real>(x: T, p: T, y: T) -> T {
    if x == T::ZERO && p >= T::ZERO { T::ZERO } else { y * x.ln() }
}

/// Tangent rule of `x.powi(n)`: adds `n · x^(n-1) · ẋ` (0 when `n = 0`, as PyTorch).
///
/// ```
/// use autodiff_runtime::rules::powi_jvp;
/// let x = 1.5f64;
/// assert_eq!(powi_jvp(&x, &3, &x.powi(3), &1.0), 3.0 * x * x);
/// ```
#[inline(always)]
pub fn powi_jvp<T: Real>(x: &T, n: &i32, _y: &impl Sized, dot: &T) -> T {
    powi_d(*x, *n) * *dot
}

/// Adjoint rule of `x.powi(n)`: the operand's adjoint receives `n · x^(n-1) · ȳ`.
///
/// ```
/// use autodiff_runtime::rules::powi_vjp;
/// let x = 1.5f64;
/// assert_eq!(powi_vjp(&x, &2, &x.powi(2), &1.0), 2.0 * x);
/// ```
#[inline(always)]
pub fn powi_vjp<T: Real>(x: &T, n: &i32, _y: &impl Sized, g: &T) -> T {
    powi_d(*x, *n) * *g
}

#[inline(always)]
fn powi_d<T: Real>(x: T, n: i32) -> T {
    match n {
        0 => T::ZERO,
        1 => T::ONE,
        2 => x + x,
        _ => T::from_i32(n) * x.powi(n - 1),
    }
}

//! Piecewise functions: `abs`, `copysign`, `max`, `min`, `clamp`, `signum`, rounding, `fract`.
//!
//! Conventions at the kinks, as PyTorch: `abs'(0) = 0`; `max`/`min` send the adjoint to the
//! first argument on ties (and to the argument Rust's `max`/`min` returned when one is NaN);
//! `clamp` sends it to `x` when `lo <= x <= hi`, else to the bound that was returned; rounding
//! functions and `signum` have derivative 0 everywhere.

use super::partial;
use crate::Real;

partial!(
    "x.abs()",
    "sign(x), 0 at x = 0",
    "let x = -0.7f64; let y = x.abs();",
    (x: T),
    y: _,
    abs_jvp,
    abs_vjp,
    x.sign()
);
partial!(
    "x.copysign(s)",
    "sign(x) times ±1 as the sign bit of s (0 at x = 0, as abs)",
    "let (x, s) = (-0.7f64, 2.0f64); let y = x.copysign(s);",
    (x: T, s: T),
    y: _,
    copysign_jvp_0,
    copysign_vjp_0,
    x.sign() * T::ONE.copysign(s)
);
partial!(
    "x.copysign(s)",
    "0 (the sign changes only where x jumps to -x)",
    "let (x, s) = (-0.7f64, 2.0f64); let y = x.copysign(s);",
    (x: _, s: _),
    y: _,
    copysign_jvp_1,
    copysign_vjp_1,
    T::ZERO
);
partial!(
    "x.signum()",
    "0",
    "let x = -0.7f64; let y = x.signum();",
    (x: _),
    y: _,
    signum_jvp,
    signum_vjp,
    T::ZERO
);
partial!(
    "x.floor()",
    "0",
    "let x = -0.7f64; let y = x.floor();",
    (x: _),
    y: _,
    floor_jvp,
    floor_vjp,
    T::ZERO
);
partial!(
    "x.ceil()",
    "0",
    "let x = -0.7f64; let y = x.ceil();",
    (x: _),
    y: _,
    ceil_jvp,
    ceil_vjp,
    T::ZERO
);
partial!(
    "x.round()",
    "0",
    "let x = -0.7f64; let y = x.round();",
    (x: _),
    y: _,
    round_jvp,
    round_vjp,
    T::ZERO
);
partial!(
    "x.trunc()",
    "0",
    "let x = -0.7f64; let y = x.trunc();",
    (x: _),
    y: _,
    trunc_jvp,
    trunc_vjp,
    T::ZERO
);
partial!(
    "x.fract()",
    "1",
    "let x = -0.7f64; let y = x.fract();",
    (x: _),
    y: _,
    fract_jvp,
    fract_vjp,
    T::ONE
);
partial!(
    "a.max(b)",
    "1 if a was returned (ties: a), else 0",
    "let (a, b) = (0.7f64, -1.2f64); let y = a.max(b);",
    (a: T, b: T),
    y: _,
    max_jvp_0,
    max_vjp_0,
    pick::<T>(max_takes_first(a, b))
);
partial!(
    "a.max(b)",
    "1 if b was returned, else 0",
    "let (a, b) = (0.7f64, -1.2f64); let y = a.max(b);",
    (a: T, b: T),
    y: _,
    max_jvp_1,
    max_vjp_1,
    pick::<T>(!max_takes_first(a, b))
);
partial!(
    "a.min(b)",
    "1 if a was returned (ties: a), else 0",
    "let (a, b) = (0.7f64, -1.2f64); let y = a.min(b);",
    (a: T, b: T),
    y: _,
    min_jvp_0,
    min_vjp_0,
    pick::<T>(min_takes_first(a, b))
);
partial!(
    "a.min(b)",
    "1 if b was returned, else 0",
    "let (a, b) = (0.7f64, -1.2f64); let y = a.min(b);",
    (a: T, b: T),
    y: _,
    min_jvp_1,
    min_vjp_1,
    pick::<T>(!min_takes_first(a, b))
);
partial!(
    "x.clamp(lo, hi)",
    "1 if lo <= x <= hi, else 0",
    "let (x, lo, hi) = (0.7f64, 0.0f64, 1.0f64); let y = x.clamp(lo, hi);",
    (x: T, lo: T, hi: T),
    y: _,
    clamp_jvp_0,
    clamp_vjp_0,
    pick::<T>(x >= lo && x <= hi)
);
partial!(
    "x.clamp(lo, hi)",
    "1 if x < lo, else 0",
    "let (x, lo, hi) = (0.7f64, 0.0f64, 1.0f64); let y = x.clamp(lo, hi);",
    (x: T, lo: T, hi: _),
    y: _,
    clamp_jvp_1,
    clamp_vjp_1,
    pick::<T>(x < lo)
);
partial!(
    "x.clamp(lo, hi)",
    "1 if x > hi, else 0",
    "let (x, lo, hi) = (0.7f64, 0.0f64, 1.0f64); let y = x.clamp(lo, hi);",
    (x: T, lo: _, hi: T),
    y: _,
    clamp_jvp_2,
    clamp_vjp_2,
    pick::<T>(x > hi)
);

#[inline(always)]
fn pick<T: Real>(selected: bool) -> T {
    if selected { T::ONE } else { T::ZERO }
}

/// Rust's `a.max(b)` returns `a` when `a >= b` or `b` is NaN.
#[inline(always)]
fn max_takes_first<T: Real>(a: T, b: T) -> bool {
    a >= b || b.is_nan()
}

/// Rust's `a.min(b)` returns `a` when `a <= b` or `b` is NaN.
#[inline(always)]
fn min_takes_first<T: Real>(a: T, b: T) -> bool {
    a <= b || b.is_nan()
}

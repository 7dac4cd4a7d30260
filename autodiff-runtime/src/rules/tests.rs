//! Every rule against central finite differences at several points, and its forward form
//! against its reverse form (`<J v, w> = <v, Jᵀ w>`); then the conventions at kinks.

use super::*;

/// Central difference of `f` along operand `k` at `x`.
fn central(f: &dyn Fn(&[f64]) -> f64, x: &[f64], k: usize) -> f64 {
    let h = 1e-6 * x[k].abs().max(1.0);
    let (mut up, mut down) = (x.to_vec(), x.to_vec());
    up[k] += h;
    down[k] -= h;
    (f(&up) - f(&down)) / (2.0 * h)
}

fn close(a: f64, b: f64, what: &str) {
    assert!((a - b).abs() <= 1e-6 + 1e-5 * b.abs(), "{what}: {a} vs {b}");
}

type Partial = fn(&[f64], f64, f64) -> f64;

/// Checks the `k`-th partial pair of a rule at every point.
fn check(name: &str, f: fn(&[f64]) -> f64, partials: &[(Partial, Partial)], points: &[&[f64]]) {
    for x in points {
        let y = f(x);
        for (k, (jvp, vjp)) in partials.iter().enumerate() {
            let fd = central(&f, x, k);
            close(vjp(x, y, 1.0), fd, &format!("{name} vjp_{k} at {x:?}"));
            close(jvp(x, y, 1.0), fd, &format!("{name} jvp_{k} at {x:?}"));
            let (v, w) = (0.37, -1.9);
            close(jvp(x, y, v) * w, vjp(x, y, w) * v, &format!("{name} adjoint identity {k}"));
        }
    }
}

macro_rules! unary {
    ($name:ident, $jvp:ident, $vjp:ident, [$($p:expr),+]) => {
        check(
            stringify!($name),
            |x| x[0].$name(),
            &[(|x, y, d| $jvp(&x[0], &y, &d), |x, y, g| $vjp(&x[0], &y, &g))],
            &[$(&[$p]),+],
        )
    };
}

#[test]
fn elementary_functions_match_finite_differences() {
    let pts = [-1.3, -0.4, 0.2, 0.9, 2.1];
    for p in pts {
        unary!(sin, sin_jvp, sin_vjp, [p]);
        unary!(cos, cos_jvp, cos_vjp, [p]);
        unary!(tan, tan_jvp, tan_vjp, [p]);
        unary!(atan, atan_jvp, atan_vjp, [p]);
        unary!(sinh, sinh_jvp, sinh_vjp, [p]);
        unary!(cosh, cosh_jvp, cosh_vjp, [p]);
        unary!(tanh, tanh_jvp, tanh_vjp, [p]);
        unary!(asinh, asinh_jvp, asinh_vjp, [p]);
        unary!(exp, exp_jvp, exp_vjp, [p]);
        unary!(exp2, exp2_jvp, exp2_vjp, [p]);
        unary!(exp_m1, exp_m1_jvp, exp_m1_vjp, [p]);
        unary!(cbrt, cbrt_jvp, cbrt_vjp, [p]);
        unary!(to_degrees, to_degrees_jvp, to_degrees_vjp, [p]);
        unary!(to_radians, to_radians_jvp, to_radians_vjp, [p]);
        unary!(abs, abs_jvp, abs_vjp, [p]);
        unary!(recip, recip_jvp, recip_vjp, [p]);
        if p > 0.0 {
            check(
                "ln_or_zero",
                |x| ln_or_zero(x[0]),
                &[(
                    |x, y, d| ln_or_zero_jvp(&x[0], &y, &d),
                    |x, y, g| ln_or_zero_vjp(&x[0], &y, &g),
                )],
                &[&[p]],
            );
        }
        check(
            "recip_or_zero",
            |x| recip_or_zero(x[0]),
            &[(
                |x, y, d| recip_or_zero_jvp(&x[0], &y, &d),
                |x, y, g| recip_or_zero_vjp(&x[0], &y, &g),
            )],
            &[&[p]],
        );
        unary!(fract, fract_jvp, fract_vjp, [p]);
        unary!(floor, floor_jvp, floor_vjp, [p]);
        unary!(ceil, ceil_jvp, ceil_vjp, [p]);
        unary!(round, round_jvp, round_vjp, [p]);
        unary!(trunc, trunc_jvp, trunc_vjp, [p]);
        unary!(signum, signum_jvp, signum_vjp, [p]);
        check(
            "neg",
            |x| -x[0],
            &[(|x, y, d| neg_jvp(&x[0], &y, &d), |x, y, g| neg_vjp(&x[0], &y, &g))],
            &[&[p]],
        );
    }
    for p in [-0.9, -0.3, 0.1, 0.6, 0.95] {
        unary!(asin, asin_jvp, asin_vjp, [p]);
        unary!(acos, acos_jvp, acos_vjp, [p]);
        unary!(atanh, atanh_jvp, atanh_vjp, [p]);
        unary!(ln_1p, ln_1p_jvp, ln_1p_vjp, [p]);
    }
    for p in [0.05, 0.7, 1.3, 4.0, 120.0] {
        unary!(ln, ln_jvp, ln_vjp, [p]);
        unary!(log2, log2_jvp, log2_vjp, [p]);
        unary!(log10, log10_jvp, log10_vjp, [p]);
        unary!(sqrt, sqrt_jvp, sqrt_vjp, [p]);
        unary!(acosh, acosh_jvp, acosh_vjp, [p + 1.0]);
    }
    for n in [-3, -1, 0, 1, 2, 3, 7] {
        for p in [-1.7, 0.4, 1.1] {
            let f = move |x: &[f64]| x[0].powi(n);
            let y = f(&[p]);
            close(powi_vjp(&p, &n, &y, &1.0), central(&f, &[p], 0), &format!("powi {n} at {p}"));
            close(powi_jvp(&p, &n, &y, &1.0), central(&f, &[p], 0), &format!("powi {n} at {p}"));
        }
    }
}

#[test]
fn operations_of_several_operands_match_finite_differences() {
    let pairs: &[&[f64]] = &[&[1.5, -0.5], &[-2.0, 3.0], &[0.3, 0.8], &[4.0, 1.7]];
    check(
        "add",
        |x| x[0] + x[1],
        &[
            (|x, y, d| add_jvp_0(&x[0], &x[1], &y, &d), |x, y, g| add_vjp_0(&x[0], &x[1], &y, &g)),
            (|x, y, d| add_jvp_1(&x[0], &x[1], &y, &d), |x, y, g| add_vjp_1(&x[0], &x[1], &y, &g)),
        ],
        pairs,
    );
    check(
        "sub",
        |x| x[0] - x[1],
        &[
            (|x, y, d| sub_jvp_0(&x[0], &x[1], &y, &d), |x, y, g| sub_vjp_0(&x[0], &x[1], &y, &g)),
            (|x, y, d| sub_jvp_1(&x[0], &x[1], &y, &d), |x, y, g| sub_vjp_1(&x[0], &x[1], &y, &g)),
        ],
        pairs,
    );
    check(
        "mul",
        |x| x[0] * x[1],
        &[
            (|x, y, d| mul_jvp_0(&x[0], &x[1], &y, &d), |x, y, g| mul_vjp_0(&x[0], &x[1], &y, &g)),
            (|x, y, d| mul_jvp_1(&x[0], &x[1], &y, &d), |x, y, g| mul_vjp_1(&x[0], &x[1], &y, &g)),
        ],
        pairs,
    );
    check(
        "div",
        |x| x[0] / x[1],
        &[
            (|x, y, d| div_jvp_0(&x[0], &x[1], &y, &d), |x, y, g| div_vjp_0(&x[0], &x[1], &y, &g)),
            (|x, y, d| div_jvp_1(&x[0], &x[1], &y, &d), |x, y, g| div_vjp_1(&x[0], &x[1], &y, &g)),
        ],
        pairs,
    );
    check(
        "rem",
        |x| x[0] % x[1],
        &[
            (|x, y, d| rem_jvp_0(&x[0], &x[1], &y, &d), |x, y, g| rem_vjp_0(&x[0], &x[1], &y, &g)),
            (|x, y, d| rem_jvp_1(&x[0], &x[1], &y, &d), |x, y, g| rem_vjp_1(&x[0], &x[1], &y, &g)),
        ],
        &[&[7.3, 2.1], &[-5.5, 1.7], &[1.2, 3.1]],
    );
    check(
        "atan2",
        |x| x[0].atan2(x[1]),
        &[
            (
                |x, y, d| atan2_jvp_0(&x[0], &x[1], &y, &d),
                |x, y, g| atan2_vjp_0(&x[0], &x[1], &y, &g),
            ),
            (
                |x, y, d| atan2_jvp_1(&x[0], &x[1], &y, &d),
                |x, y, g| atan2_vjp_1(&x[0], &x[1], &y, &g),
            ),
        ],
        pairs,
    );
    check(
        "rem_euclid",
        |x| x[0].rem_euclid(x[1]),
        &[
            (
                |x, y, d| rem_euclid_jvp_0(&x[0], &x[1], &y, &d),
                |x, y, g| rem_euclid_vjp_0(&x[0], &x[1], &y, &g),
            ),
            (
                |x, y, d| rem_euclid_jvp_1(&x[0], &x[1], &y, &d),
                |x, y, g| rem_euclid_vjp_1(&x[0], &x[1], &y, &g),
            ),
        ],
        &[&[-7.3, 2.1], &[5.2, -1.7], &[3.3, 2.0]],
    );
    check(
        "hypot",
        |x| x[0].hypot(x[1]),
        &[
            (
                |x, y, d| hypot_jvp_0(&x[0], &x[1], &y, &d),
                |x, y, g| hypot_vjp_0(&x[0], &x[1], &y, &g),
            ),
            (
                |x, y, d| hypot_jvp_1(&x[0], &x[1], &y, &d),
                |x, y, g| hypot_vjp_1(&x[0], &x[1], &y, &g),
            ),
        ],
        pairs,
    );
    check(
        "max",
        |x| x[0].max(x[1]),
        &[
            (|x, y, d| max_jvp_0(&x[0], &x[1], &y, &d), |x, y, g| max_vjp_0(&x[0], &x[1], &y, &g)),
            (|x, y, d| max_jvp_1(&x[0], &x[1], &y, &d), |x, y, g| max_vjp_1(&x[0], &x[1], &y, &g)),
        ],
        pairs,
    );
    check(
        "copysign",
        |x| x[0].copysign(x[1]),
        &[
            (
                |x, y, d| copysign_jvp_0(&x[0], &x[1], &y, &d),
                |x, y, g| copysign_vjp_0(&x[0], &x[1], &y, &g),
            ),
            (
                |x, y, d| copysign_jvp_1(&x[0], &x[1], &y, &d),
                |x, y, g| copysign_vjp_1(&x[0], &x[1], &y, &g),
            ),
        ],
        pairs,
    );
    check(
        "min",
        |x| x[0].min(x[1]),
        &[
            (|x, y, d| min_jvp_0(&x[0], &x[1], &y, &d), |x, y, g| min_vjp_0(&x[0], &x[1], &y, &g)),
            (|x, y, d| min_jvp_1(&x[0], &x[1], &y, &d), |x, y, g| min_vjp_1(&x[0], &x[1], &y, &g)),
        ],
        pairs,
    );
    let positive: &[&[f64]] = &[&[1.5, 0.5], &[0.2, 3.0], &[4.0, 1.7], &[2.5, -1.5]];
    check(
        "powf",
        |x| x[0].powf(x[1]),
        &[
            (
                |x, y, d| powf_jvp_0(&x[0], &x[1], &y, &d),
                |x, y, g| powf_vjp_0(&x[0], &x[1], &y, &g),
            ),
            (
                |x, y, d| powf_jvp_1(&x[0], &x[1], &y, &d),
                |x, y, g| powf_vjp_1(&x[0], &x[1], &y, &g),
            ),
        ],
        positive,
    );
    check(
        "log",
        |x| x[0].log(x[1]),
        &[
            (|x, y, d| log_jvp_0(&x[0], &x[1], &y, &d), |x, y, g| log_vjp_0(&x[0], &x[1], &y, &g)),
            (|x, y, d| log_jvp_1(&x[0], &x[1], &y, &d), |x, y, g| log_vjp_1(&x[0], &x[1], &y, &g)),
        ],
        &[&[1.5, 3.0], &[0.2, 10.0], &[4.0, 0.5]],
    );
    let triples: &[&[f64]] = &[&[1.5, -0.5, 2.0], &[-2.0, 3.0, 0.1], &[0.3, 0.8, -4.0]];
    check(
        "mul_add",
        |x| x[0].mul_add(x[1], x[2]),
        &[
            (
                |x, y, d| mul_add_jvp_0(&x[0], &x[1], &x[2], &y, &d),
                |x, y, g| mul_add_vjp_0(&x[0], &x[1], &x[2], &y, &g),
            ),
            (
                |x, y, d| mul_add_jvp_1(&x[0], &x[1], &x[2], &y, &d),
                |x, y, g| mul_add_vjp_1(&x[0], &x[1], &x[2], &y, &g),
            ),
            (
                |x, y, d| mul_add_jvp_2(&x[0], &x[1], &x[2], &y, &d),
                |x, y, g| mul_add_vjp_2(&x[0], &x[1], &x[2], &y, &g),
            ),
        ],
        triples,
    );
    // clamp: inside, below and above the interval
    let clamp_points: &[&[f64]] = &[&[0.5, 0.0, 1.0], &[-0.5, 0.0, 1.0], &[1.5, 0.0, 1.0]];
    check(
        "clamp",
        |x| x[0].clamp(x[1], x[2]),
        &[
            (
                |x, y, d| clamp_jvp_0(&x[0], &x[1], &x[2], &y, &d),
                |x, y, g| clamp_vjp_0(&x[0], &x[1], &x[2], &y, &g),
            ),
            (
                |x, y, d| clamp_jvp_1(&x[0], &x[1], &x[2], &y, &d),
                |x, y, g| clamp_vjp_1(&x[0], &x[1], &x[2], &y, &g),
            ),
            (
                |x, y, d| clamp_jvp_2(&x[0], &x[1], &x[2], &y, &d),
                |x, y, g| clamp_vjp_2(&x[0], &x[1], &x[2], &y, &g),
            ),
        ],
        clamp_points,
    );
}

#[test]
fn conventions_at_kinks_follow_pytorch() {
    assert_eq!(abs_vjp(&0.0f64, &0.0, &1.0), 0.0, "abs'(0) = 0");
    assert_eq!(abs_vjp(&-0.0f64, &0.0, &1.0), 0.0, "abs'(-0) = 0");
    // max and min: ties go to the first argument
    assert_eq!(
        (max_vjp_0(&2.0f64, &2.0, &2.0, &1.0), max_vjp_1(&2.0f64, &2.0, &2.0, &1.0)),
        (1.0, 0.0)
    );
    assert_eq!(
        (min_vjp_0(&2.0f64, &2.0, &2.0, &1.0), min_vjp_1(&2.0f64, &2.0, &2.0, &1.0)),
        (1.0, 0.0)
    );
    // NaN: the adjoint follows the value Rust returned
    let (a, b) = (f64::NAN, 3.0);
    assert_eq!(
        (max_vjp_0(&a, &b, &a.max(b), &1.0), max_vjp_1(&a, &b, &a.max(b), &1.0)),
        (0.0, 1.0)
    );
    assert_eq!(
        (max_vjp_0(&b, &a, &b.max(a), &1.0), max_vjp_1(&b, &a, &b.max(a), &1.0)),
        (1.0, 0.0)
    );
    // clamp on its bounds belongs to x
    assert_eq!(clamp_vjp_0(&1.0f64, &0.0, &1.0, &1.0, &1.0), 1.0);
    assert_eq!(clamp_vjp_2(&1.0f64, &0.0, &1.0, &1.0, &1.0), 0.0);
    // powf: d/dx masked where p = 0, d/dp masked where x = 0 and p >= 0
    assert_eq!(powf_vjp_0(&0.0f64, &0.0, &1.0, &1.0), 0.0);
    assert_eq!(powf_vjp_1(&0.0f64, &2.0, &0.0, &1.0), 0.0);
    assert_eq!(powi_vjp(&0.0f64, &0, &1.0, &1.0), 0.0);
    // rounding has derivative 0 everywhere, also at its jumps
    assert_eq!(round_vjp(&0.5f64, &1.0, &1.0), 0.0);
}

#[test]
fn rules_serve_f32_too() {
    let x = 0.5f32;
    assert!((sin_vjp(&x, &x.sin(), &1.0) - x.cos()).abs() < 1e-7);
    assert!((mul_vjp_1(&3.0f32, &x, &1.5, &2.0) - 6.0).abs() < 1e-7);
    let g: f32 = cast_jvp(&1.0f64, &1.0f32, &0.25f64);
    assert_eq!(g, 0.25);
}

//! Every construct the macro accepts in a scalar function, each checked against central finite
//! differences (`gradcheck`), forward mode against reverse mode (`<J v, w> = <v, Jᵀ w>`), and
//! the generated functions' values against the original function.
// The functions below deliberately use every form users write, including ones clippy would
// shorten.
#![allow(clippy::assign_op_pattern, clippy::needless_return, clippy::single_match)]

use autodiff::prelude::*;

mod common;
use common::check2;

/// Checks a function of one float at each point.
fn check1(
    name: &str,
    f: impl Fn(f64) -> f64,
    vjp: impl Fn(f64, f64, &mut f64) -> f64,
    jvp: impl Fn(f64, f64) -> (f64, f64),
    points: &[f64],
) {
    check2(
        name,
        |a, _| f(a),
        |a, _, s, ga, _| vjp(a, s, ga),
        |a, _, da, _| jvp(a, da),
        &points.iter().map(|&p| (p, 0.0)).collect::<Vec<_>>(),
    );
}

macro_rules! unary_cases {
    ($($name:ident: |$x:ident| $body:expr, at [$($p:expr),+];)*) => {
        $(mod $name {
            use super::*;
            #[differentiable]
            pub fn f($x: f64) -> f64 { $body }
        })*
        #[test]
        fn float_methods_and_functions() {
            $(check1(stringify!($name), $name::f, $name::f_vjp, $name::f_jvp, &[$($p),+]);)*
        }
    };
}

unary_cases! {
    sin: |x| x.sin(), at [-1.2, 0.3, 2.0];
    cos: |x| f64::cos(x), at [-1.2, 0.3, 2.0];
    tan: |x| x.tan(), at [-1.2, 0.3, 1.0];
    asin: |x| x.asin(), at [-0.8, 0.3];
    acos: |x| f64::acos(x), at [-0.8, 0.3];
    atan: |x| x.atan(), at [-3.0, 0.3];
    sinh: |x| x.sinh(), at [-1.2, 0.3];
    cosh: |x| x.cosh(), at [-1.2, 0.3];
    tanh: |x| x.tanh(), at [-1.2, 0.3];
    asinh: |x| x.asinh(), at [-1.2, 0.3];
    acosh: |x| x.acosh(), at [1.2, 3.0];
    atanh: |x| x.atanh(), at [-0.5, 0.3];
    exp: |x| x.exp(), at [-1.2, 0.3, 2.0];
    exp2: |x| x.exp2(), at [-1.2, 0.3];
    exp_m1: |x| x.exp_m1(), at [-1.2, 1e-3];
    ln: |x| x.ln(), at [0.2, 3.0];
    ln_1p: |x| x.ln_1p(), at [-0.5, 3.0];
    log2: |x| x.log2(), at [0.2, 3.0];
    log10: |x| f64::log10(x), at [0.2, 3.0];
    log_base: |x| x.log(3.0), at [0.2, 3.0];
    sqrt: |x| x.sqrt(), at [0.2, 3.0];
    cbrt: |x| x.cbrt(), at [-2.0, 0.2, 3.0];
    powi: |x| x.powi(3), at [-2.0, 0.5];
    powi_negative: |x| x.powi(-2), at [-2.0, 0.5];
    powf_exponent: |x| x.powf(2.5), at [0.5, 2.0];
    powf_base: |x| 2.5f64.powf(x), at [-1.0, 0.5, 2.0];
    abs: |x| x.abs(), at [-2.0, 0.5];
    recip: |x| x.recip(), at [-2.0, 0.5];
    max_const: |x| x.max(0.5), at [-2.0, 1.5];
    min_const: |x| f64::min(0.5, x), at [-2.0, 1.5];
    clamp: |x| x.clamp(-1.0, 1.0), at [-2.0, 0.5, 1.5];
    mul_add: |x| x.mul_add(x, 3.0), at [-2.0, 0.5];
    hypot: |x| x.hypot(2.0), at [-2.0, 0.5];
    to_degrees: |x| x.to_degrees(), at [-2.0, 0.5];
    to_radians: |x| x.to_radians(), at [-2.0, 0.5];
    rounding: |x| x.floor() + x.ceil() * x + x.round() + x.trunc() + x.fract() + x.signum(), at [-2.3, 0.4];
    neg_rem: |x| -(x % 0.75), at [2.3, -1.1];
    integer_cast: |x| (x as i32) as f64 * x, at [0.5, 2.5];
    constants: |x| std::f64::consts::PI * x + f64::EPSILON, at [0.5];
}

#[differentiable]
fn binary_methods(a: f64, b: f64) -> f64 {
    a.atan2(b)
        + a.hypot(b)
        + a.max(b) * f64::min(a, b)
        + a.powf(b)
        + a.log(b)
        + a.mul_add(b, a)
        + b.clamp(a, 3.0)
}

#[test]
fn methods_of_two_active_operands() {
    check2(
        "binary",
        binary_methods,
        binary_methods_vjp,
        binary_methods_jvp,
        &[(1.5, 2.5), (2.0, 0.7)],
    );
}

#[differentiable]
fn statements(x: f64, y: f64) -> f64 {
    let mut s = 0.0;
    s += x * y;
    s -= y / x;
    s *= 1.5;
    s /= 2.0 + x * x;
    let s = s + 1.0; // shadowing
    let (a, b) = (s * x, y - s);
    let c: f64 = {
        let t = a * b;
        t + x
    };
    let mut d = c;
    d = d * d;
    d + a
}

#[test]
fn lets_assignments_blocks_tuples() {
    check2("statements", statements, statements_vjp, statements_jvp, &[(1.3, -0.4), (0.7, 2.2)]);
}

#[differentiable]
fn branches(x: f64, n: i32) -> f64 {
    let mut s = x;
    if n > 2 {
        s = s * x;
    }
    let k = if n % 2 == 0 {
        2.0 * s
    } else if n > 4 {
        s.sin()
    } else {
        x + 1.0
    };
    let m = match n {
        0 => x,
        1 | 2 => x * k,
        v if v > 10 => k * (v as f64),
        _ => {
            let q = k + s;
            q * q
        }
    };
    m + s
}

#[test]
fn if_else_and_match() {
    for n in [0, 1, 2, 3, 4, 5, 6, 12] {
        check1(
            &format!("branches n = {n}"),
            |x| branches(x, n),
            |x, seed, g| branches_vjp(x, n, seed, g),
            |x, d| branches_jvp(x, n, d),
            &[-0.7, 1.3],
        );
    }
}

#[differentiable]
fn early_returns(x: f64, mode: Option<u8>) -> f64 {
    if x < -1.0 {
        return x * x;
    }
    let y = x.exp();
    if let Some(m) = mode {
        if m == 0 {
            return y * 2.0;
        }
        let z = y + x;
        match m {
            1 => return z.sin(),
            _ => {}
        }
    }
    let w = y * x;
    if w > 5.0 {
        w
    } else {
        return w - x;
    }
}

#[test]
fn early_return_anywhere_in_statements() {
    for mode in [None, Some(0), Some(1), Some(2)] {
        check1(
            &format!("early_returns {mode:?}"),
            |x| early_returns(x, mode),
            |x, seed, g| early_returns_vjp(x, mode, seed, g),
            |x, d| early_returns_jvp(x, mode, d),
            &[-2.0, 0.3, 1.9],
        );
    }
}

#[differentiable]
fn helper(x: f64, n: u32, c: f64) -> f64 {
    x.powi(n as i32) * c
}

#[differentiable]
fn caller(x: f64, y: f64) -> f64 {
    let c: f64 = 0.5;
    helper(x, 3, y) + helper(y, 2, c) * x
}

#[differentiable]
fn power(x: f64, n: u32) -> f64 {
    if n == 0 { 1.0 } else { x * power(x, n - 1) }
}

#[test]
fn calls_and_recursion() {
    check2("caller", caller, caller_vjp, caller_jvp, &[(1.2, -0.4), (-0.6, 2.0)]);
    let (value, slope) = power_grad(1.7, 5);
    assert!((value - 1.7f64.powi(5)).abs() < 1e-12);
    assert!((slope - 5.0 * 1.7f64.powi(4)).abs() < 1e-12);
}

/// `softplus(x) = ln(1 + e^x)` with a hand-written derivative, as a user would give a custom
/// derivative: its primal is not differentiable code (it branches on bits), the companions are.
fn softplus(x: f64) -> f64 {
    if x.to_bits() >> 63 == 0 { x + (-x).exp().ln_1p() } else { x.exp().ln_1p() }
}
fn softplus_jvp(x: f64, x_dot: f64) -> (f64, f64) {
    (softplus(x), x_dot / (1.0 + (-x).exp()))
}
fn softplus_vjp(x: f64, seed: f64, x_bar: &mut f64) -> f64 {
    *x_bar += seed / (1.0 + (-x).exp());
    softplus(x)
}

#[differentiable]
fn uses_custom(x: f64, y: f64) -> f64 {
    softplus(x * y) + x
}

#[test]
fn custom_derivative_by_convention() {
    check2(
        "uses_custom",
        uses_custom,
        uses_custom_vjp,
        uses_custom_jvp,
        &[(1.2, -0.4), (-3.0, 2.0)],
    );
    let (x, y) = (0.8, 1.5);
    let sigmoid = 1.0 / (1.0 + (-x * y).exp());
    let (_, (gx, gy)) = uses_custom_grad(x, y);
    assert!((gx - (sigmoid * y + 1.0)).abs() < 1e-12 && (gy - sigmoid * x).abs() < 1e-12);
}

struct Model {
    weight: f64,
    bias: f64,
}

impl Model {
    #[differentiable]
    fn predict(&self, x: f64) -> f64 {
        self.weight * x + self.bias
    }

    #[differentiable]
    fn loss(&self, x: f64, target: f64) -> f64 {
        let err = self.predict(x) - target;
        err * err
    }

    #[differentiable]
    fn scaled(x: f64) -> f64 {
        Self::twice(x) * x
    }

    #[differentiable]
    fn twice(x: f64) -> f64 {
        2.0 * x
    }
}

#[test]
fn methods_with_an_inactive_receiver() {
    let m = Model { weight: 1.5, bias: -0.5 };
    check2(
        "loss",
        |x, t| m.loss(x, t),
        |x, t, s, gx, gt| m.loss_vjp(x, t, s, gx, gt),
        |x, t, dx, dt| m.loss_jvp(x, t, dx, dt),
        &[(0.3, 2.0)],
    );
    let (_, (gx, gt)) = m.loss_grad(0.3, 2.0);
    let err = 1.5 * 0.3 - 0.5 - 2.0;
    assert_eq!((gx, gt), (2.0 * err * 1.5, -2.0 * err));
    assert_eq!(Model::scaled_grad(3.0), (18.0, 12.0));
}

#[differentiable(wrt(y), jvp = tangent_of_h, vjp = adjoint_of_h, grad = gradient_of_h)]
fn h(x: f64, y: f64) -> f64 {
    x * y * y
}

mod renamed_facade {
    use autodiff as ad;
    #[ad::differentiable(crate = ad)]
    pub fn k(x: f64) -> f64 {
        x.sin() * 2.0
    }
}

#[test]
fn options_wrt_names_and_crate_path() {
    assert_eq!(gradient_of_h(2.0, 3.0), (18.0, 12.0));
    assert_eq!(tangent_of_h(2.0, 3.0, 1.0), (18.0, 12.0));
    let mut gy = 1.0;
    assert_eq!(adjoint_of_h(2.0, 3.0, 0.5, &mut gy), 18.0);
    assert_eq!(gy, 1.0 + 6.0, "reverse mode adds into the buffer");
    assert_eq!(renamed_facade::k_grad(0.0), (0.0, 2.0));
}

#[differentiable]
fn generic<T: Real>(x: T, y: T) -> T {
    let z = x * y + x.sin();
    z * z
}

#[differentiable]
fn single(x: f32, y: f32) -> f32 {
    (x * y).tanh() + x.powi(2) / 2.0
}

#[test]
fn f32_and_generic_floats() {
    check2("generic f64", generic::<f64>, generic_vjp::<f64>, generic_jvp::<f64>, &[(0.4, 1.3)]);
    let (value, (gx, gy)) = generic_grad(0.4f32, 1.3f32);
    let z = 0.4f32 * 1.3 + 0.4f32.sin();
    assert!((value - z * z).abs() < 1e-6);
    assert!((gx - 2.0 * z * (1.3 + 0.4f32.cos())).abs() < 1e-5);
    assert!((gy - 2.0 * z * 0.4).abs() < 1e-5);
    let (_, (gx, gy)) = single_grad(0.5, -1.5);
    let sech2 = 1.0 - (0.5f32 * -1.5).tanh().powi(2);
    assert!((gx - (sech2 * -1.5 + 0.5)).abs() < 1e-6 && (gy - sech2 * 0.5).abs() < 1e-6);
}

#[differentiable]
fn inactive_result(x: f64, n: usize) -> f64 {
    let _unused = x * 2.0;
    n as f64
}

#[test]
fn a_result_that_does_not_depend_on_the_parameter() {
    assert_eq!(inactive_result_grad(3.0, 4), (4.0, 0.0));
    assert_eq!(inactive_result_jvp(3.0, 4, 1.0), (4.0, 0.0));
}

#[differentiable]
fn through_f32(x: f64) -> f64 {
    let narrow = (x as f32) * 3.0f32;
    (narrow as f64) * x
}

#[test]
fn casts_between_float_types() {
    // f32 rounding makes finite differences meaningless here: compare with the closed form
    // d/dx (3x · x) = 6x, to f32 precision.
    for x in [0.5, 2.0, -1.25] {
        let (_, g) = through_f32_grad(x);
        assert!((g - 6.0 * x).abs() < 1e-6 * x.abs().max(1.0), "{g} vs {}", 6.0 * x);
        assert_eq!(through_f32_jvp(x, 1.0).1, g);
    }
}

/// A literal array replaced in a branch, then indexed; a loop as the tail of an arm.
#[differentiable]
fn array_branch_and_tail_loop(x: f64, flip: bool) -> f64 {
    let mut g = [1.0, 0.0, 0.5];
    if x > 0.0 {
        g = [x * x, 2.0 * x, 1.0];
    }
    let mut s = g[0] + g[1] * g[2];
    if flip {
        s = -s;
    } else {
        for gk in g.iter() {
            s += gk * x;
        }
    }
    s
}

/// Closed forms on both sides of the branch: x > 0, flip: -(x² + 2x), derivative -(2x + 2);
/// x > 0, no flip: x² + 2x + x(x² + 2x + 1), derivative 2x + 2 + 3x² + 4x + 1; x < 0, no flip:
/// 0.5 + 1.5x, derivative 1.5.
#[test]
fn literal_arrays_in_branches_and_loops_in_tail_position() {
    let x = 0.7;
    assert!((array_branch_and_tail_loop_grad(x, true).1 + (2.0 * x + 2.0)).abs() < 1e-12);
    let d = 2.0 * x + 2.0 + 3.0 * x * x + 4.0 * x + 1.0;
    assert!((array_branch_and_tail_loop_grad(x, false).1 - d).abs() < 1e-12);
    assert!((array_branch_and_tail_loop_grad(-0.4, false).1 - 1.5).abs() < 1e-12);
}

/// Parameters may have any name, including the ones generated code uses for itself.
#[differentiable]
fn named_like_internals(d: f64, seed: f64, t: f64) -> f64 {
    d * seed * t + d.sin() * t
}

#[test]
fn parameter_names_do_not_clash_with_generated_ones() {
    let (d, seed, t) = (0.4, 1.5, -2.0);
    let (_, g) = named_like_internals_grad(d, seed, t);
    assert!((g.0 - (seed * t + d.cos() * t)).abs() < 1e-12);
    assert!((g.1 - d * t).abs() < 1e-12);
    assert!((g.2 - (d * seed + d.sin())).abs() < 1e-12);
    let (_, tangent) = named_like_internals_jvp(d, seed, t, 1.0, 0.0, 0.0);
    assert!((tangent - g.0).abs() < 1e-12);
}

/// A `mut` parameter of data stays `mut` in the generated functions.
#[differentiable(wrt(y))]
fn sorts_its_data(mut order: Vec<usize>, y: f64) -> f64 {
    order.swap(0, 1);
    order.sort();
    y * order[0] as f64 + y * y
}

#[test]
fn mut_parameters_of_data() {
    assert_eq!(sorts_its_data_grad(vec![3, 1, 2], 2.0), (6.0, 5.0));
}

#[allow(clippy::needless_range_loop)]
#[differentiable]
fn checked_norm(x: &[f64]) -> f64 {
    assert!(!x.is_empty(), "need at least one value");
    let mut s = 0.0;
    for i in 0..x.len() {
        debug_assert!(x[i].is_finite(), "x[{i}] = {}", x[i]);
        s += x[i] * x[i];
    }
    assert_eq!(x.len(), x.len().max(1));
    let r = s.sqrt();
    assert!(r >= 0.0, "r = {r}");
    let r = r * 2.0;
    assert_ne!(r, -1.0, "doubled: {r}");
    r
}

#[test]
fn assertions_are_kept_as_written() {
    let x = [3.0, -4.0];
    let (value, g) = checked_norm_grad(&x);
    assert_eq!(value, 10.0);
    for (gi, exact) in g.iter().zip([1.2, -1.6]) {
        assert!((gi - exact).abs() < 1e-15, "{gi} vs {exact}");
    }
    let (v, t) = checked_norm_jvp(&x, &[1.0, 0.0]);
    assert!(v == 10.0 && (t - 1.2).abs() < 1e-15, "{t}");
    let panics = std::panic::catch_unwind(|| checked_norm_grad(&[]));
    let message = panics.expect_err("the assertion fires in f_grad");
    assert_eq!(message.downcast_ref::<&str>(), Some(&"need at least one value"));
    let panics = std::panic::catch_unwind(|| checked_norm_vjp(&[f64::NAN], 1.0, &mut [0.0]));
    let message = panics.expect_err("the debug assertion fires in f_vjp");
    let text = message.downcast_ref::<String>().expect("a formatted message");
    assert_eq!(text, "x[0] = NaN");
}

#[differentiable]
fn polar(r: f64, theta: f64) -> f64 {
    let (s, c) = theta.sin_cos();
    let (s2, c2) = (2.0 * theta).sin_cos();
    r * c + r * r * s + s2 * c2 + theta.sin_cos().1
}

#[test]
fn sin_cos_differentiates_as_sin_and_cos() {
    let (r, t) = (1.7, 0.6);
    let (value, (gr, gt)) = polar_grad(r, t);
    assert_eq!(value, polar(r, t));
    let exact_r = t.cos() + 2.0 * r * t.sin();
    // s2·c2 = sin(4θ)/2, its derivative 2 cos(4θ)
    let exact_t = -r * t.sin() + r * r * t.cos() + 2.0 * (4.0 * t).cos() - t.sin();
    assert!((gr - exact_r).abs() < 1e-12, "{gr} vs {exact_r}");
    assert!((gt - exact_t).abs() < 1e-12, "{gt} vs {exact_t}");
    check2("polar", polar, polar_vjp, polar_jvp, &[(1.7, 0.6), (-0.4, 2.5)]);
}

/// Generic code over `T: Real` uses the float methods it would use on `f64`.
#[differentiable]
fn generic_surface<T: Real>(a: T, b: T) -> T {
    let m = a.max(b) + a.min(b).clamp(T::from_f64(-2.0), T::from_f64(2.0));
    let t = a.atan2(b) + a.ln_1p() * b.hypot(a) + a.mul_add(b, a.recip());
    let u = a.exp_m1() + b.cbrt() + a.asinh() + b.to_degrees() * T::from_f64(0.01);
    m * t + u + a.rem_euclid(T::from_f64(0.7))
}

#[differentiable]
fn conversions(x: f32, y: f64, n: u32) -> f64 {
    f64::from(x) * y + f64::from(n) * y * y
}

#[test]
fn the_float_surface_on_generic_floats() {
    check2(
        "generic_surface f64",
        generic_surface::<f64>,
        generic_surface_vjp::<f64>,
        generic_surface_jvp::<f64>,
        &[(0.8, 1.3), (1.9, -0.6)],
    );
    let (v32, (ga32, gb32)) = generic_surface_grad(0.8f32, 1.3f32);
    let (v64, (ga64, gb64)) = generic_surface_grad(0.8f64, 1.3f64);
    assert!((v32 as f64 - v64).abs() < 1e-4 * v64.abs());
    assert!((ga32 as f64 - ga64).abs() < 1e-3 * ga64.abs().max(1.0));
    assert!((gb32 as f64 - gb64).abs() < 1e-3 * gb64.abs().max(1.0));
    let (value, (gx, gy)) = conversions_grad(1.5f32, 2.0, 3);
    assert_eq!(value, 1.5 * 2.0 + 3.0 * 4.0);
    assert_eq!((gx, gy), (2.0f32, 1.5 + 2.0 * 3.0 * 2.0));
}

/// The Huber loss as a `match` with guards, as a statistician writes it.
#[differentiable]
fn huber(r: f64, delta: f64) -> f64 {
    match r.abs() {
        a if a <= delta => 0.5 * r * r,
        a => delta * (a - 0.5 * delta),
    }
}

#[test]
fn a_match_binding_an_active_value() {
    // quadratic inside, linear outside
    assert_eq!(huber_grad(0.5, 1.0).1, (0.5, 0.0));
    assert_eq!(huber_grad(-3.0, 1.0).1, (-1.0, 3.0 - 1.0));
    check2("huber", huber, huber_vjp, huber_jvp, &[(0.5, 1.0), (-3.0, 1.0), (2.0, 0.7)]);
}

/// An inactive parameter declared `mut` is the function's own copy, written by element.
#[differentiable(wrt(s))]
fn shifted(mut w: [f64; 2], s: f64) -> f64 {
    w[0] += s;
    w[1] = w[0] * s;
    w[0] * w[1]
}

#[test]
fn mut_parameters_left_out_are_the_functions_own() {
    // w0 + s, then w1 = (w0 + s) s: f = (w0 + s)² s, ∂f/∂s = 2 (w0 + s) s + (w0 + s)²
    let (value, gs) = shifted_grad([1.5, 9.0], 0.5);
    assert_eq!(value, shifted([1.5, 9.0], 0.5));
    assert!((gs - (2.0 * 2.0 * 0.5 + 4.0)).abs() < 1e-15);
}

/// Local structs used through their fields, as game and physics code keeps state: a nested
/// literal (`Body { pos: Vec2 { .. }, .. }`) and one made anew in each step of a loop.
struct Vec2 {
    x: f64,
    y: f64,
}

struct Body {
    pos: Vec2,
    speed: f64,
}

#[differentiable]
fn thrown(angle: f64, speed: f64) -> f64 {
    let mut b = Body { pos: Vec2 { x: 0.0, y: 1.0 }, speed };
    let dt = 0.05;
    let mut vy = b.speed * angle.sin();
    for _ in 0..20 {
        let step = Vec2 { x: b.speed * angle.cos() * dt, y: vy * dt };
        b.pos.x += step.x;
        b.pos.y += step.y;
        vy -= 9.81 * dt;
    }
    b.pos.x * b.pos.y
}

#[test]
fn local_structs_used_through_their_fields() {
    check2("thrown", thrown, thrown_vjp, thrown_jvp, &[(0.7, 5.0), (1.1, 3.5)]);
}

// Found by review: each gave a wrong gradient or a rustc error before its fix.
#[derive(Clone, Copy)]
struct State {
    x: f64,
    v: f64,
}

/// One Euler step written functionally: an inner struct of the same name built from the outer.
#[differentiable]
fn euler_step(x: f64, v: f64) -> f64 {
    let s = State { x, v };
    let next = {
        let s = State { x: s.x + 0.1 * s.v, v: s.v - 0.1 * s.x };
        s.v * s.x
    };
    next + s.x
}

/// A closure's captured name bound again in the outer and in an inner block.
#[differentiable]
fn shadowed_twice(g0: f64, x: f64) -> f64 {
    let g = g0;
    let f = |u: f64| g * u;
    let g = g + 1.0;
    let inner = {
        let c = |u: f64| g * u;
        let g = g * 3.0;
        c(x) + g
    };
    f(x) + inner
}

/// A closure's name bound again to a value: later uses are the value's.
#[differentiable]
fn closure_name_reused(x: f64, k: f64) -> f64 {
    let f = |u: f64| 2.0 * u;
    let a = f(x);
    let f = k * 3.0;
    a + f * x
}

/// A block-bodied closure adding into a local, and a nested `fn` after a split struct and a
/// renamed name (names inside the item are its own).
#[differentiable]
fn with_nested_item(x: f64, g: f64) -> f64 {
    let mut total = 0.0;
    let mut add = |v: f64| total += v;
    let p = State { x, v: g };
    let scale = |u: f64| g * u;
    let g = 2.0;
    add(scale(p.x) + p.v * g);
    fn helper(g: f64) -> f64 {
        g * 2.0
    }
    total + helper(1.5)
}

#[test]
fn review_findings_differentiate_correctly() {
    let at = [(0.7, -0.4), (1.3, 0.2)];
    check2("euler_step", euler_step, euler_step_vjp, euler_step_jvp, &at);
    check2("shadowed_twice", shadowed_twice, shadowed_twice_vjp, shadowed_twice_jvp, &at);
    check2(
        "closure_name_reused",
        closure_name_reused,
        closure_name_reused_vjp,
        closure_name_reused_jvp,
        &at,
    );
    check2("with_nested_item", with_nested_item, with_nested_item_vjp, with_nested_item_jvp, &at);
    // closed forms of two of them
    let (v, (gx, gk)) = closure_name_reused_grad(0.7, 2.0);
    assert_eq!((v, gx, gk), (1.4 + 6.0 * 0.7, 2.0 + 6.0, 3.0 * 0.7));
    let (_, (gg0, gx)) = shadowed_twice_grad(0.7, -0.4);
    assert!((gg0 - (-0.4 + -0.4 + 3.0)).abs() < 1e-12 && (gx - (0.7 + 1.7)).abs() < 1e-12);
}

/// A local struct whose fields are also read in assertions and prints.
#[differentiable]
fn checked_particle(x0: f64, v0: f64) -> f64 {
    let mut p = State { x: x0, v: v0 };
    for _ in 0..10 {
        p.v -= 0.1 * p.x;
        p.x += 0.1 * p.v;
        debug_assert!(p.x.is_finite(), "x = {}", p.x);
    }
    assert!(p.v.abs() < 1e6);
    p.x * p.v
}

#[test]
fn local_struct_fields_read_in_macros() {
    check2(
        "checked_particle",
        checked_particle,
        checked_particle_vjp,
        checked_particle_jvp,
        &[(0.7, -0.4)],
    );
}

// A copy of an array parameter under its own name (`let mut x = x;`, what the error for
// writing into the parameter suggests under another name), written twice.
#[differentiable]
fn shadowing_copy(x: [f64; 2], y: f64) -> f64 {
    let mut x = x;
    x[0] *= y;
    x[0] = x[0] * x[1];
    x[0].sin() + x[1]
}

#[test]
fn a_copy_of_an_array_parameter_under_its_own_name() {
    let (_, (gx, gy)) = shadowing_copy_grad([0.3, 1.5], 2.0);
    // sin(x0 x1 y) + x1
    let c = (0.3f64 * 2.0 * 1.5).cos();
    assert!((gx[0] - 3.0 * c).abs() < 1e-12, "{gx:?}");
    assert!((gx[1] - (0.6 * c + 1.0)).abs() < 1e-12, "{gx:?}");
    assert!((gy - 0.45 * c).abs() < 1e-12, "{gy}");
    let (_, t) = shadowing_copy_jvp([0.3, 1.5], 2.0, [1.0, -1.0], 0.5);
    assert!((t - (gx[0] - gx[1] + 0.5 * gy)).abs() < 1e-12);
}

// What the error for an array changed in place suggests: a swap by elements, or a buffer.
#[allow(clippy::manual_swap)]
#[differentiable]
fn swapped_by_elements(x: [f64; 3], k: f64) -> f64 {
    let mut x = x;
    x[0] *= k;
    let t = x[0];
    x[0] = x[2];
    x[2] = t;
    x[0] + 2.0 * x[1] + 3.0 * x[2]
}

#[differentiable]
fn swapped_in_a_buffer(x: [f64; 3], k: f64) -> f64 {
    let mut y = x.to_vec();
    y[0] *= k;
    y.swap(0, 2);
    y.reverse();
    y[0] + 2.0 * y[1] + 3.0 * y[2]
}

#[test]
fn arrays_swapped_as_the_error_suggests() {
    // x0 k lands in the last place (weight 3) after the swap: d/dx = (3k, 2, 1), d/dk = 3 x0
    let (x, k) = ([0.5, -0.3, 0.8], 1.3);
    let (_, (gx, gk)) = swapped_by_elements_grad(x, k);
    assert_eq!((gx, gk), ([3.0 * k, 2.0, 1.0], 3.0 * x[0]));
    // swapped then reversed: x0 k back in front (weight 1)
    let (_, (gx, gk)) = swapped_in_a_buffer_grad(x, k);
    assert_eq!((gx, gk), ([k, 2.0, 3.0], x[0]));
}

// Copies of `Vec` and array parameters as people write them: moved or copied under the same
// name or another (`let mut x = x;`, `let mut y = x;`), then written, swapped, or changed
// through `iter_mut()`; a local array given its type and swapped.
#[differentiable]
fn moved_vec(x: Vec<f64>, k: f64) -> f64 {
    let mut x = x;
    x[0] *= k;
    x[0] + x[1]
}

#[differentiable]
fn moved_and_swapped(x: Vec<f64>, k: f64) -> f64 {
    let mut y = x;
    y[0] *= k;
    y.swap(0, 1);
    y[0] + 2.0 * y[1]
}

#[differentiable]
fn copied_array_scaled(x: [f64; 3], k: f64) -> f64 {
    let mut y = x;
    for v in y.iter_mut() {
        *v = *v * k;
    }
    y[0] + y[2]
}

#[differentiable]
fn copied_array_swapped(x: [f64; 3], k: f64) -> f64 {
    let mut y = x;
    y[0] *= k;
    y.swap(0, 2);
    y[0] + 2.0 * y[1] + 3.0 * y[2]
}

#[differentiable]
fn typed_local_array_swapped(x: [f64; 3], k: f64) -> f64 {
    let mut a: [f64; 3] = [x[0] * k, x[1], x[2]];
    a.swap(0, 2);
    a[0] + 2.0 * a[1] + 3.0 * a[2]
}

// What the error for an untyped copy of a local array changed in place suggests
#[differentiable]
fn typed_copy_of_a_local_array_swapped(x: [f64; 3], k: f64) -> f64 {
    let a = [x[0] * k, x[1], x[2]];
    let mut y: [f64; 3] = a;
    y.swap(0, 2);
    y[0] + 2.0 * y[1] + 3.0 * y[2]
}

#[test]
fn copies_of_sequence_parameters_written_in_place() {
    assert_eq!(moved_vec_grad(vec![1.0, 2.0], 3.0).1, (vec![3.0, 1.0], 1.0));
    // (x0 k) lands second, weight 2
    assert_eq!(moved_and_swapped_grad(vec![1.0, 2.0], 3.0).1, (vec![6.0, 1.0], 2.0));
    assert_eq!(copied_array_scaled_grad([1.0, 2.0, 4.0], 3.0).1, ([3.0, 0.0, 3.0], 5.0));
    let (x, k) = ([0.5, -0.3, 0.8], 1.3);
    assert_eq!(copied_array_swapped_grad(x, k).1, ([3.0 * k, 2.0, 1.0], 3.0 * x[0]));
    assert_eq!(typed_local_array_swapped_grad(x, k).1, ([3.0 * k, 2.0, 1.0], 3.0 * x[0]));
    assert_eq!(typed_copy_of_a_local_array_swapped_grad(x, k).1, ([3.0 * k, 2.0, 1.0], 3.0 * x[0]));
    let (_, t) = copied_array_swapped_jvp(x, k, [1.0, 1.0, 1.0], 1.0);
    assert!((t - (3.0 * k + 3.0 + 3.0 * x[0])).abs() < 1e-12);
}

// A `Vec` result that depends on no active parameter (its tangent is zeros shaped like it).
#[differentiable]
fn constant_vec_result(x: f64, v: &[f64]) -> Vec<f64> {
    let c = detach(x);
    vec![c * 2.0; v.len()]
}

#[test]
fn a_constant_vec_result_has_zero_derivatives() {
    let (y, t) = constant_vec_result_jvp(1.5, &[1.0, 2.0], 1.0, &[1.0, 1.0]);
    assert_eq!((y, t), (vec![3.0, 3.0], vec![0.0, 0.0]));
    let (mut gx, mut gv) = (0.0, vec![0.0; 2]);
    let y = constant_vec_result_vjp(1.5, &[1.0, 2.0], vec![1.0, 1.0], &mut gx, &mut gv);
    assert_eq!((y, gx, gv), (vec![3.0, 3.0], 0.0, vec![0.0, 0.0]));
}

// A `Vec` parameter returned from one arm and copied and changed in the other.
#[differentiable]
fn pick_or_double(x: Vec<f64>, flag: bool) -> Vec<f64> {
    if flag {
        x
    } else {
        let mut y = x.clone();
        y[0] *= 2.0;
        y
    }
}

#[test]
fn a_vec_parameter_returned_from_a_branch() {
    assert_eq!(pick_or_double_jvp(vec![1.0, 2.0], true, &[1.0, 1.0]).1, vec![1.0, 1.0]);
    assert_eq!(pick_or_double_jvp(vec![1.0, 2.0], false, &[1.0, 1.0]).1, vec![2.0, 1.0]);
    for (flag, expected) in [(true, [1.0, 1.0]), (false, [2.0, 1.0])] {
        let mut g = vec![0.0; 2];
        let y = pick_or_double_vjp(vec![1.0, 2.0], flag, vec![1.0, 1.0], &mut g);
        assert_eq!(y, pick_or_double(vec![1.0, 2.0], flag));
        assert_eq!(g, expected);
    }
}

/// What `if let Some(&next) = x.get(i + 1)` and `let Some(&f) = x.first() else ..` are written
/// as (both refused on active values, whose bindings would be constants): test, then index.
#[differentiable]
fn total_variation(signal: &[f64], eps: f64) -> f64 {
    let n = signal.len();
    let mut tv = 0.0;
    for i in 0..n {
        if i + 1 < n {
            let next = signal[i + 1];
            let d = next - signal[i];
            tv += (d * d + eps * eps).sqrt();
        }
    }
    if signal.is_empty() {
        return tv;
    }
    let f = signal[0];
    tv + f * 10.0
}

#[test]
fn tested_then_indexed_neighbours() {
    let x = [0.0, 0.5, 0.4, 1.2, 1.1];
    let (_, (g, _)) = total_variation_grad(&x, 0.1);
    let fd = |i: usize| {
        let h = 1e-6;
        let (mut up, mut down) = (x, x);
        up[i] += h;
        down[i] -= h;
        (total_variation(&up, 0.1) - total_variation(&down, 0.1)) / (2.0 * h)
    };
    for (i, gi) in g.iter().enumerate() {
        assert!((gi - fd(i)).abs() < 1e-6, "{i}: {gi} vs {}", fd(i));
    }
}

#[differentiable]
fn discount(a: f64, t: f64) -> f64 {
    (-a * t).exp()
}

/// Floats of a slice left out by `wrt`, passed to a helper: by index, and bound by a typed
/// `let` of a loop item.
#[allow(clippy::needless_range_loop)] // written as users write it
#[differentiable(wrt(a))]
fn annuity(a: f64, times: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..times.len() {
        s += discount(a, times[i]);
    }
    for &m in times.iter() {
        let t: f64 = m;
        s += discount(a, t);
    }
    s
}

#[test]
fn floats_of_an_inactive_slice_passed_to_a_helper() {
    let times = [1.0, 2.0, 3.5];
    let (v, g) = annuity_grad(0.05, &times);
    let expected: f64 = times.iter().map(|t| 2.0 * (-0.05 * t).exp()).sum();
    let slope: f64 = times.iter().map(|t| -2.0 * t * (-0.05 * t).exp()).sum();
    assert!((v - expected).abs() < 1e-12 && (g - slope).abs() < 1e-12, "{v} {g}");
}

#[derive(Clone, Copy)]
pub enum Activation {
    Tanh,
    Relu,
}

pub struct Market {
    pub rate: f64,
}

#[differentiable]
fn activate(x: f64, a: Activation, m: &Market) -> f64 {
    match a {
        Activation::Tanh => x.tanh() * m.rate,
        Activation::Relu => x.max(0.0) * m.rate,
    }
}

/// Parameters of the user's own types passed on to a helper: not floats, by their declared
/// types.
#[differentiable]
fn layer_output(x: f64, a: Activation, m: &Market) -> f64 {
    activate(x, a, m) * 2.0
}

#[test]
fn parameters_of_user_types_passed_on() {
    let m = Market { rate: 0.5 };
    let (v, g) = layer_output_grad(0.3, Activation::Tanh, &m);
    let t = 0.3f64.tanh();
    assert!((v - t).abs() < 1e-15 && (g - (1.0 - t * t)).abs() < 1e-15);
    assert_eq!(layer_output_grad(0.3, Activation::Relu, &m), (0.3, 1.0));
}

/// A `Vec<T>` buffer of a generic float, pushed into.
#[differentiable]
fn running_sum_of_squares<T: Real>(xs: &[T]) -> T {
    let n = xs.len();
    let mut s: Vec<T> = Vec::with_capacity(n);
    s.push(xs[0]);
    for i in 1..n {
        let prev = s[i - 1];
        s.push(prev + xs[i] * xs[i]);
    }
    s[n - 1]
}

#[test]
fn a_generic_vec_buffer() {
    assert_eq!(running_sum_of_squares_grad(&[1.0f64, 2.0, 3.0]), (14.0, vec![1.0, 4.0, 6.0]));
    assert_eq!(running_sum_of_squares_grad(&[1.0f32, 2.0]), (5.0, vec![1.0, 4.0]));
}

/// `match` on a sequence's length: no derivative, its bindings plain integers.
#[differentiable]
fn ends_product(x: &[f64]) -> f64 {
    match x.len() {
        0 => 0.0,
        1 => x[0] * 2.0,
        n => x[0] * x[n - 1],
    }
}

#[test]
fn match_on_a_length() {
    assert_eq!(ends_product_grad(&[3.0]), (6.0, vec![2.0]));
    assert_eq!(ends_product_grad(&[3.0, 1.0, 2.0]), (6.0, vec![2.0, 0.0, 3.0]));
}

/// Assignments where Rust allows a value of `()`, as rustfmt leaves them: the tails of `if`
/// arms and the bodies of `match` arms.
#[allow(clippy::needless_late_init)]
#[differentiable]
fn assigned_in_arms(x: f64, k: f64) -> f64 {
    let s;
    if x > 0.0 {
        s = x * x
    } else {
        s = -x
    }
    let mut s = s;
    match (k * 10.0) as i32 {
        0..=4 => s += k.sin(),
        _ => s *= k,
    }
    s
}

#[test]
fn assignments_as_arm_values() {
    // x > 0 and k in the second arm: s = x² k, so ∂/∂x = 2xk and ∂/∂k = x²
    let (value, (gx, gk)) = assigned_in_arms_grad(3.0, 0.8);
    assert!((value - 7.2).abs() < 1e-14 && (gx - 4.8).abs() < 1e-14 && gk == 9.0);
    common::check2(
        "assigned_in_arms",
        assigned_in_arms,
        assigned_in_arms_vjp,
        assigned_in_arms_jvp,
        &[(3.0, 0.8), (-1.5, 0.2), (0.7, 0.3)],
    );
}

/// Names declared without a value and set at the end of every arm, several at once (as
/// Rust's definite assignment allows), in any order.
#[differentiable]
fn bounds_set_in_every_arm(x: f64, y: f64) -> f64 {
    let lo: f64;
    let hi;
    let mid;
    if x < y {
        mid = 0.5 * (x + y);
        lo = x;
        hi = y;
    } else if x > 2.0 * y {
        lo = y;
        hi = x;
        mid = x;
    } else {
        hi = x * x;
        mid = y;
        lo = y;
    }
    lo * 3.0 + hi * mid
}

#[test]
fn several_names_set_in_every_arm() {
    // every arm: x < y, x > 2y, and between
    let points = [(1.0, 2.0), (3.0, 1.0), (1.5, 1.0)];
    check2(
        "bounds",
        bounds_set_in_every_arm,
        bounds_set_in_every_arm_vjp,
        bounds_set_in_every_arm_jvp,
        &points,
    );
    // closed forms in the last arm: f = 3y + x²y
    let (_, (gx, gy)) = bounds_set_in_every_arm_grad(1.5, 1.0);
    assert_eq!((gx, gy), (3.0, 3.0 + 2.25));
}

/// `copysign`: the magnitude of one value with the sign of another (a reflection at a wall).
#[differentiable(hessian)]
fn reflected(x: f64, v: f64) -> f64 {
    let speed = (v * x).sin().copysign(-v) + x.copysign(v);
    speed * x
}

#[test]
fn copysign_of_active_values() {
    check2(
        "copysign",
        reflected,
        reflected_vjp,
        reflected_jvp,
        &[(0.7, 1.3), (-0.4, 2.0), (1.1, -0.6)],
    );
    // f = (-sign(v)·|sin(vx)| + sign(v)·|x|)·x: at x, v > 0 with sin(vx) > 0, f = x² - x sin(vx)
    let (x, v) = (0.7f64, 1.3f64);
    let (_, (gx, gv)) = reflected_grad(x, v);
    assert!((gx - (2.0 * x - (v * x).sin() - x * v * (v * x).cos())).abs() < 1e-12);
    assert!((gv - (-x * x * (v * x).cos())).abs() < 1e-12);
    let (_, _, h) = reflected_hessian(x, v);
    // ∂²f/∂x² = 2 - 2v cos(vx) + x v² sin(vx)
    let hxx = 2.0 - 2.0 * v * (v * x).cos() + x * v * v * (v * x).sin();
    assert!((h[(0, 0)] - hxx).abs() < 1e-12, "{} vs {hxx}", h[(0, 0)]);
}

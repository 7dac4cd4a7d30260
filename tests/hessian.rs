//! Second derivatives: `f_hessian` against closed forms and central differences of `f_grad`,
//! exactly symmetric; `f_hvp` equal to `H·v` and adding into its buffers like `f_vjp`.

use autodiff::prelude::*;
use nalgebra::{DMatrix, Vector3};

/// Checks second derivatives of `f: R^n -> R` given through its generated functions at `x`:
/// the Hessian against central differences of the gradient and symmetric, the gradient
/// `f_hessian` returns equal to `f_grad`'s, and `f_hvp` (seed 2, buffers holding ones)
/// adding `2∇f` and `2H·v` and returning `∇f·v`.
fn check(
    name: &str,
    grad: impl Fn(&[f64]) -> Vec<f64>,
    hessian: impl Fn(&[f64]) -> (f64, Vec<f64>, DMatrix<f64>),
    hvp: impl Fn(&[f64], &[f64], f64, &mut [f64], &mut [f64]) -> (f64, f64),
    x: &[f64],
) {
    let n = x.len();
    let (value, g, h) = hessian(x);
    assert_eq!(g, grad(x), "{name}: f_hessian's gradient");
    assert_eq!((h.nrows(), h.ncols()), (n, n), "{name}: shape");
    assert_eq!(h, h.transpose(), "{name}: symmetric");
    for j in 0..n {
        let step = 1e-5 * x[j].abs().max(1.0);
        let (mut up, mut down) = (x.to_vec(), x.to_vec());
        up[j] += step;
        down[j] -= step;
        let (gu, gd) = (grad(&up), grad(&down));
        for i in 0..n {
            let fd = (gu[i] - gd[i]) / (2.0 * step);
            let tol = 1e-6 * (1.0 + fd.abs().max(h[(i, j)].abs()));
            assert!(
                (h[(i, j)] - fd).abs() <= tol,
                "{name}: H[{i},{j}] = {} but central differences of the gradient give {fd}",
                h[(i, j)]
            );
        }
    }
    let v: Vec<f64> = (0..n).map(|i| 0.4 - 0.9 * (i as f64 + 0.5).cos()).collect();
    let (mut gb, mut hb) = (vec![1.0; n], vec![1.0; n]);
    let (y, dy) = hvp(x, &v, 2.0, &mut gb, &mut hb);
    assert_eq!(y.to_bits(), value.to_bits(), "{name}: f_hvp's value");
    let hv = &h * nalgebra::DVector::from_column_slice(&v);
    let gv: f64 = g.iter().zip(&v).map(|(a, b)| a * b).sum();
    assert!((dy - gv).abs() <= 1e-10 * (1.0 + gv.abs()), "{name}: directional derivative");
    for i in 0..n {
        assert!(
            (gb[i] - (1.0 + 2.0 * g[i])).abs() <= 1e-12 * (1.0 + g[i].abs()),
            "{name}: gradient added"
        );
        let want = 1.0 + 2.0 * hv[i];
        assert!(
            (hb[i] - want).abs() <= 1e-9 * (1.0 + want.abs()),
            "{name}: H·v added: {} vs {want}",
            hb[i]
        );
    }
}

/// `check` for a function of two floats.
macro_rules! check2 {
    ($f:ident, $grad:ident, $hessian:ident, $hvp:ident, $x:expr) => {
        check(
            stringify!($f),
            |x| {
                let (_, (a, b)) = $grad(x[0], x[1]);
                vec![a, b]
            },
            |x| {
                let (v, (a, b), h) = $hessian(x[0], x[1]);
                (v, vec![a, b], h)
            },
            |x, v, seed, g, h| {
                let (ga, gb) = g.split_at_mut(1);
                let (ha, hb) = h.split_at_mut(1);
                $hvp(x[0], x[1], v[0], v[1], seed, &mut ga[0], &mut gb[0], &mut ha[0], &mut hb[0])
            },
            &$x,
        )
    };
}

/// `check` for a function of one slice.
macro_rules! check_slice {
    ($f:ident, $grad:ident, $hessian:ident, $hvp:ident, $x:expr) => {
        check(
            stringify!($f),
            |x| $grad(x).1,
            |x| $hessian(x),
            |x, v, seed, g, h| $hvp(x, v, seed, g, h),
            &$x,
        )
    };
}

#[differentiable(hessian)]
fn rosenbrock(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() - 1 {
        s += 100.0 * (x[i + 1] - x[i] * x[i]).powi(2) + (1.0 - x[i]).powi(2);
    }
    s
}

/// Rosenbrock's Hessian in closed form: tridiagonal.
fn rosenbrock_closed_form(x: &[f64]) -> DMatrix<f64> {
    let n = x.len();
    DMatrix::from_fn(n, n, |i, j| {
        if i == j {
            let mut d = 0.0;
            if i + 1 < n {
                d += 1200.0 * x[i] * x[i] - 400.0 * x[i + 1] + 2.0;
            }
            if i > 0 {
                d += 200.0;
            }
            d
        } else if j == i + 1 {
            -400.0 * x[i]
        } else if i == j + 1 {
            -400.0 * x[j]
        } else {
            0.0
        }
    })
}

#[test]
fn rosenbrock_hessian_is_the_closed_form_tridiagonal_matrix() {
    let x = [1.2, 0.7, -0.3, 0.9, 2.0];
    let (_, _, h) = rosenbrock_hessian(&x);
    let want = rosenbrock_closed_form(&x);
    for i in 0..x.len() {
        for j in 0..x.len() {
            let w = want[(i, j)];
            assert!((h[(i, j)] - w).abs() <= 1e-9 * w.abs().max(1.0), "H[{i},{j}]");
        }
    }
    check_slice!(rosenbrock, rosenbrock_grad, rosenbrock_hessian, rosenbrock_hvp, x);
}

#[differentiable(hessian)]
fn waves(x: f64, y: f64) -> f64 {
    (x * y).sin() + x.exp() * y.ln()
}

#[test]
fn mixed_partials_of_transcendental_functions_are_the_closed_form() {
    let (x, y) = (0.3, 1.7);
    let (_, _, h) = waves_hessian(x, y);
    let fxx = -y * y * (x * y).sin() + x.exp() * y.ln();
    let fxy = (x * y).cos() - x * y * (x * y).sin() + x.exp() / y;
    let fyy = -x * x * (x * y).sin() - x.exp() / (y * y);
    for (got, want) in [(h[(0, 0)], fxx), (h[(0, 1)], fxy), (h[(1, 0)], fxy), (h[(1, 1)], fyy)] {
        assert!((got - want).abs() <= 1e-12 * want.abs().max(1.0), "{got} vs {want}");
    }
    check2!(waves, waves_grad, waves_hessian, waves_hvp, [x, y]);
}

// One function per primitive of the rule table, each with a nonzero second derivative
// mixing both operands where it has two.
macro_rules! primitives {
    ($($name:ident $grad:ident $hessian:ident $hvp:ident ($a:ident, $b:ident) $body:block at $x:expr;)*) => {
        $(
            #[differentiable(hessian)]
            fn $name($a: f64, $b: f64) -> f64 $body
        )*
        #[test]
        fn every_primitive_has_second_derivatives_matching_differences_of_its_gradient() {
            $(check2!($name, $grad, $hessian, $hvp, $x);)*
        }
    };
}

primitives! {
    p_add p_add_grad p_add_hessian p_add_hvp (a, b) { (a + b) * (a + 2.0 + b) } at [0.4, 1.3];
    p_sub p_sub_grad p_sub_hessian p_sub_hvp (a, b) { (a - b) * (3.0 - a - b) } at [0.4, 1.3];
    p_mul p_mul_grad p_mul_hessian p_mul_hvp (a, b) { a * b * a * 2.0 } at [0.4, 1.3];
    p_div p_div_grad p_div_hessian p_div_hvp (a, b) { a / b + 1.0 / (a * b) - b / 2.0 } at [0.4, 1.3];
    p_neg p_neg_grad p_neg_hessian p_neg_hvp (a, b) { -(a * b) * -a } at [0.4, 1.3];
    p_sin p_sin_grad p_sin_hessian p_sin_hvp (a, b) { (a * b).sin() * b } at [0.4, 1.3];
    p_cos p_cos_grad p_cos_hessian p_cos_hvp (a, b) { (a * b).cos() + f64::cos(b) } at [0.4, 1.3];
    p_tan p_tan_grad p_tan_hessian p_tan_hvp (a, b) { (a * b).tan() } at [0.4, 1.3];
    p_asin p_asin_grad p_asin_hessian p_asin_hvp (a, b) { (a * b).asin() } at [0.4, 1.3];
    p_acos p_acos_grad p_acos_hessian p_acos_hvp (a, b) { (a * b).acos() } at [0.4, 1.3];
    p_atan p_atan_grad p_atan_hessian p_atan_hvp (a, b) { (a * b).atan() } at [0.4, 1.3];
    p_atan2 p_atan2_grad p_atan2_hessian p_atan2_hvp (a, b) { a.atan2(b) } at [0.4, 1.3];
    p_sinh p_sinh_grad p_sinh_hessian p_sinh_hvp (a, b) { (a * b).sinh() } at [0.4, 1.3];
    p_cosh p_cosh_grad p_cosh_hessian p_cosh_hvp (a, b) { (a * b).cosh() } at [0.4, 1.3];
    p_tanh p_tanh_grad p_tanh_hessian p_tanh_hvp (a, b) { (a * b).tanh() } at [0.4, 1.3];
    p_asinh p_asinh_grad p_asinh_hessian p_asinh_hvp (a, b) { (a * b).asinh() } at [0.4, 1.3];
    p_acosh p_acosh_grad p_acosh_hessian p_acosh_hvp (a, b) { (a * b).acosh() } at [1.4, 1.3];
    p_atanh p_atanh_grad p_atanh_hessian p_atanh_hvp (a, b) { (a * b).atanh() } at [0.4, 1.3];
    p_exp p_exp_grad p_exp_hessian p_exp_hvp (a, b) { (a * b).exp() } at [0.4, 1.3];
    p_exp2 p_exp2_grad p_exp2_hessian p_exp2_hvp (a, b) { (a * b).exp2() } at [0.4, 1.3];
    p_exp_m1 p_exp_m1_grad p_exp_m1_hessian p_exp_m1_hvp (a, b) { (a * b).exp_m1() } at [0.4, 1.3];
    p_ln p_ln_grad p_ln_hessian p_ln_hvp (a, b) { (a * b).ln() + a.ln() * b } at [0.4, 1.3];
    p_ln_1p p_ln_1p_grad p_ln_1p_hessian p_ln_1p_hvp (a, b) { (a * b).ln_1p() } at [0.4, 1.3];
    p_log2 p_log2_grad p_log2_hessian p_log2_hvp (a, b) { (a * b).log2() * a } at [0.4, 1.3];
    p_log10 p_log10_grad p_log10_hessian p_log10_hvp (a, b) { (a * b).log10() * a } at [0.4, 1.3];
    p_log p_log_grad p_log_hessian p_log_hvp (a, b) { a.log(b + 1.0) } at [0.4, 1.3];
    p_sqrt p_sqrt_grad p_sqrt_hessian p_sqrt_hvp (a, b) { (a * b).sqrt() } at [0.4, 1.3];
    p_cbrt p_cbrt_grad p_cbrt_hessian p_cbrt_hvp (a, b) { (a * b).cbrt() } at [0.4, 1.3];
    p_powi p_powi_grad p_powi_hessian p_powi_hvp (a, b) { (a * b).powi(3) + a.powi(-2) } at [0.4, 1.3];
    p_powf p_powf_grad p_powf_hessian p_powf_hvp (a, b) { a.powf(b) + b.powf(2.5) } at [0.4, 1.3];
    p_abs p_abs_grad p_abs_hessian p_abs_hvp (a, b) { (a - b).abs() * a } at [0.4, 1.3];
    p_max p_max_grad p_max_hessian p_max_hvp (a, b) { a.max(b) * a } at [0.4, 1.3];
    p_min p_min_grad p_min_hessian p_min_hvp (a, b) { a.min(b) * b } at [0.4, 1.3];
    p_clamp p_clamp_grad p_clamp_hessian p_clamp_hvp (a, b) { (a * b).clamp(0.0, 1.0) * a + a.clamp(-b, b) * b } at [0.4, 1.3];
    p_mul_add p_mul_add_grad p_mul_add_hessian p_mul_add_hvp (a, b) { a.mul_add(b, a * a) * b } at [0.4, 1.3];
    p_recip p_recip_grad p_recip_hessian p_recip_hvp (a, b) { (a * b).recip() } at [0.4, 1.3];
    p_hypot p_hypot_grad p_hypot_hessian p_hypot_hvp (a, b) { a.hypot(b) } at [0.4, 1.3];
    p_rem_euclid p_rem_euclid_grad p_rem_euclid_hessian p_rem_euclid_hvp (a, b) { (a * 5.0).rem_euclid(b) * a } at [0.4, 1.3];
    p_rem p_rem_grad p_rem_hessian p_rem_hvp (a, b) { ((a * 5.0) % b) * b } at [0.4, 1.3];
    p_rounding p_rounding_grad p_rounding_hessian p_rounding_hvp (a, b) { (a * 3.0).floor() * a + b.ceil() * b + a.round() + b.trunc() + (a * b).signum() * a * b } at [0.4, 1.3];
    p_fract p_fract_grad p_fract_hessian p_fract_hvp (a, b) { (a * 3.0).fract() * b } at [0.4, 1.3];
    p_degrees p_degrees_grad p_degrees_hessian p_degrees_hvp (a, b) { a.to_degrees() * b.to_radians() } at [0.4, 1.3];
}

#[differentiable(hessian)]
fn through_f32(a: f64, b: f64) -> f64 {
    ((a * b) as f32 as f64) * a
}

#[test]
fn casts_pass_second_derivatives_through() {
    // f = ab·a: H = [[2b, 2a], [2a, 0]] (f32 rounding only in the values)
    let (a, b) = (0.5, 1.5);
    let (_, _, h) = through_f32_hessian(a, b);
    let want = [[2.0 * b, 2.0 * a], [2.0 * a, 0.0]];
    for i in 0..2 {
        for j in 0..2 {
            assert!((h[(i, j)] - want[i][j]).abs() <= 1e-6, "H[{i},{j}] = {}", h[(i, j)]);
        }
    }
}

/// A pair potential summed over pairs within a cutoff (nested loops, a branch, an early
/// `continue`), as a molecular-dynamics code writes it.
#[differentiable(hessian)]
fn pair_energy(x: &[f64], cutoff: f64) -> f64 {
    let n = x.len() / 2;
    let mut e = 0.0;
    for i in 0..n {
        for j in (i + 1)..n {
            let dx = x[2 * j] - x[2 * i];
            let dy = x[2 * j + 1] - x[2 * i + 1];
            let r2 = dx * dx + dy * dy;
            if r2 > cutoff * cutoff {
                continue;
            }
            let inv6 = 1.0 / (r2 * r2 * r2);
            e += 4.0 * (inv6 * inv6 - inv6);
        }
    }
    e
}

#[test]
fn nested_loops_with_branches() {
    let x = [0.0, 0.0, 1.1, 0.1, 0.2, 1.2, 3.5, 3.5];
    check(
        "pair_energy",
        |x| {
            let mut g = vec![0.0; x.len()];
            let mut c = 0.0;
            pair_energy_vjp(x, 2.5, 1.0, &mut g, &mut c);
            g
        },
        |x| {
            let (v, (g, _), h) = pair_energy_hessian(x, 2.5);
            // (drop the cutoff's row and column: it is a parameter too)
            let n = x.len();
            (v, g, h.view((0, 0), (n, n)).into_owned())
        },
        |x, v, seed, g, h| {
            let (mut cg, mut ch) = (0.0, 0.0);
            pair_energy_hvp(x, 2.5, v, 0.0, seed, g, &mut cg, h, &mut ch)
        },
        &x,
    );
}

/// A damped oscillator integrated with a `while` loop and a step that depends on the state.
#[differentiable(hessian, wrt(k, damping))]
fn oscillator(k: f64, damping: f64, steps: usize) -> f64 {
    let (mut x, mut v, mut t) = (1.0, 0.0, 0usize);
    while t < steps {
        let a = -k * x.sin() - damping * v;
        v += 0.05 * a;
        x += 0.05 * v;
        t += 1;
    }
    x * x + v
}

#[test]
fn while_loops_carry_tangents() {
    check(
        "oscillator",
        |p| {
            let (_, (a, b)) = oscillator_grad(p[0], p[1], 40);
            vec![a, b]
        },
        |p| {
            let (v, (a, b), h) = oscillator_hessian(p[0], p[1], 40);
            (v, vec![a, b], h)
        },
        |p, v, seed, g, h| {
            let (ga, gb) = g.split_at_mut(1);
            let (ha, hb) = h.split_at_mut(1);
            oscillator_hvp(
                p[0], p[1], 40, v[0], v[1], seed, &mut ga[0], &mut gb[0], &mut ha[0], &mut hb[0],
            )
        },
        &[2.0, 0.3],
    );
}

/// A scratch buffer filled, then read (a softmax-weighted sum).
#[differentiable(hessian)]
fn softmax_mean(x: &[f64]) -> f64 {
    let mut w = vec![0.0; x.len()];
    let mut z = 0.0;
    for i in 0..x.len() {
        w[i] = x[i].exp();
        z += w[i];
    }
    let mut s = 0.0;
    for i in 0..x.len() {
        s += w[i] / z * x[i] * x[i];
    }
    s
}

#[test]
fn buffers_written_then_read() {
    check_slice!(
        softmax_mean,
        softmax_mean_grad,
        softmax_mean_hessian,
        softmax_mean_hvp,
        [0.3, -1.2, 0.8, 0.1]
    );
}

#[differentiable(hessian)]
fn bond(a: f64, b: f64) -> f64 {
    let r = a - b;
    (r * r - 1.0).powi(2) + r.sin()
}

#[differentiable(hessian)]
fn norm_of(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum::<f64>().sqrt()
}

/// Calls of other `hessian` functions, with scalars and with a sub-slice.
#[differentiable(hessian)]
fn chain(x: &[f64]) -> f64 {
    let mut e = 0.0;
    for i in 0..x.len() - 1 {
        e += bond(x[i], x[i + 1]) * x[0];
    }
    e + norm_of(&x[1..]) * bond(x[0], 0.5)
}

#[test]
fn calls_of_hessian_functions() {
    check_slice!(chain, chain_grad, chain_hessian, chain_hvp, [0.9, -0.4, 1.3, 0.2]);
}

/// A pendulum step returning a tuple, and a helper returning a `Vec`: both get `_hvp`, so
/// `hessian` functions may call them.
#[differentiable(hessian)]
fn pendulum_step(th: f64, om: f64, g: f64, h: f64) -> (f64, f64) {
    let om2 = om - h * g * th.sin();
    (th + h * om2, om2)
}

#[differentiable(hessian)]
fn cubes(x: &[f64]) -> Vec<f64> {
    let mut out = vec![0.0; x.len()];
    for i in 0..x.len() {
        out[i] = x[i] * x[i] * x[(i + 1) % x.len()];
    }
    out
}

#[differentiable(hessian)]
fn stepped_energy(x: &[f64]) -> f64 {
    let (mut th, mut om) = (x[0], x[1]);
    for _ in 0..5 {
        let (a, b) = pendulum_step(th, om, x[2], 0.1);
        th = a;
        om = b;
    }
    let c: Vec<f64> = cubes(x);
    0.5 * om * om - x[2] * th.cos() + c[0].sin() + c[2]
}

#[test]
fn calls_of_helpers_with_tuple_and_vec_results() {
    check_slice!(
        stepped_energy,
        stepped_energy_grad,
        stepped_energy_hessian,
        stepped_energy_hvp,
        [0.4, 0.1, 9.8]
    );
}

/// A `vec!` of active values written in place.
#[allow(clippy::useless_vec)]
#[differentiable(hessian)]
fn vec_written(x: &[f64]) -> f64 {
    let mut v = vec![x[0], x[1] * x[2]];
    v[1] *= v[0];
    v.push(x[2].sin());
    v[1] + v[2] * v[0]
}

#[test]
fn vec_literals_written_in_place() {
    check_slice!(
        vec_written,
        vec_written_grad,
        vec_written_hessian,
        vec_written_hvp,
        [0.7, -1.2, 0.4]
    );
}

/// `vec![v; n]` of an active value.
#[allow(clippy::useless_vec)]
#[differentiable(hessian)]
fn repeated(x: &[f64]) -> f64 {
    let v = vec![x[0] * x[1]; 4];
    v[0] * v[3] + v[1].sin() * x[1]
}

#[test]
fn vecs_repeating_an_active_value() {
    check_slice!(repeated, repeated_grad, repeated_hessian, repeated_hvp, [0.7, 1.3]);
}

/// `detach` and `no_grad` stop second derivatives as they stop first ones.
#[differentiable(hessian)]
fn stopped(x: f64, y: f64) -> f64 {
    let scale = detach(x * y);
    let offset = no_grad(|| y.exp());
    scale * x * x + offset * y * x
}

#[test]
fn detach_and_no_grad_are_constants() {
    // with s = xy and o = e^y held constant: H = [[2s, o], [o, 0]]
    let (x, y) = (0.7, -0.4);
    let (_, _, h) = stopped_hessian(x, y);
    let (s, o) = (x * y, f64::exp(y));
    let want = [[2.0 * s, o], [o, 0.0]];
    for i in 0..2 {
        for j in 0..2 {
            assert!((h[(i, j)] - want[i][j]).abs() <= 1e-12, "H[{i},{j}]");
        }
    }
}

/// Arrays and nalgebra values flatten into the Hessian in order (a vector's entries in order).
#[differentiable(hessian)]
fn spring(p: [f64; 2], q: Vector3<f64>) -> f64 {
    let d = Vector3::new(p[0], p[1], 0.5) - q;
    let r = d.norm();
    (r - 1.0).powi(2) + q.dot(&q) * p[0]
}

#[test]
fn arrays_and_nalgebra_values() {
    let flat = |x: &[f64]| ([x[0], x[1]], Vector3::new(x[2], x[3], x[4]));
    check(
        "spring",
        |x| {
            let (p, q) = flat(x);
            let (_, (gp, gq)) = spring_grad(p, q);
            vec![gp[0], gp[1], gq[0], gq[1], gq[2]]
        },
        |x| {
            let (p, q) = flat(x);
            let (v, (gp, gq), h) = spring_hessian(p, q);
            (v, vec![gp[0], gp[1], gq[0], gq[1], gq[2]], h)
        },
        |x, v, seed, g, h| {
            let (p, q) = flat(x);
            let (vp, vq) = flat(v);
            let (mut gp, mut gq, mut hp, mut hq) =
                ([1.0; 2], Vector3::repeat(1.0), [1.0; 2], Vector3::repeat(1.0));
            let out = spring_hvp(p, q, vp, vq, seed, &mut gp, &mut gq, &mut hp, &mut hq);
            g.copy_from_slice(&[gp[0], gp[1], gq[0], gq[1], gq[2]]);
            h.copy_from_slice(&[hp[0], hp[1], hq[0], hq[1], hq[2]]);
            out
        },
        &[0.3, 1.1, -0.2, 0.4, 0.9],
    );
}

/// Generic over the float type, and in `f32`.
#[differentiable(hessian)]
fn generic_cubic<T: Real>(x: T, y: T) -> T {
    x * x * y + y.sin()
}

#[test]
fn generic_and_f32_functions() {
    let (_, _, h) = generic_cubic_hessian(0.5f64, 2.0f64);
    assert!((h[(0, 0)] - 4.0).abs() < 1e-12 && (h[(0, 1)] - 1.0).abs() < 1e-12);
    assert!((h[(1, 1)] + 2.0f64.sin()).abs() < 1e-12);
    let (_, _, h32) = generic_cubic_hessian(0.5f32, 2.0f32);
    assert!((h32[(0, 0)] - 4.0).abs() < 1e-6 && (h32[(1, 1)] + 2.0f32.sin()).abs() < 1e-6);
}

#[differentiable(hessian)]
fn well(x: f64) -> f64 {
    (x * x - 1.0).powi(2) + 0.3 * x.sin()
}

/// A force `-E'(x)` inside a loss: `well_grad` differentiates through `well_grad_vjp`.
#[differentiable]
fn force_loss(x: f64, target: f64) -> f64 {
    let (e, de) = well_grad(x);
    let force = -de;
    (force - target).powi(2) + 0.1 * e
}

#[test]
fn a_gradient_inside_a_differentiable_function() {
    let (x, target) = (0.8, 0.5);
    let e1 = 4.0 * x * (x * x - 1.0) + 0.3 * f64::cos(x);
    let e2 = 12.0 * x * x - 4.0 - 0.3 * f64::sin(x);
    let want = 2.0 * (-e1 - target) * -e2 + 0.1 * e1;
    let (_, (dx, dt)) = force_loss_grad(x, target);
    assert!((dx - want).abs() <= 1e-12 * want.abs().max(1.0), "{dx} vs {want}");
    assert!((dt - -2.0 * (-e1 - target)).abs() <= 1e-12);
    let (_, tangent) = force_loss_jvp(x, target, 1.0, 0.0);
    assert!((tangent - want).abs() <= 1e-12 * want.abs().max(1.0));
}

#[differentiable(hessian)]
fn inner_loss(w: f64, b: f64) -> f64 {
    (w * 0.7 + b - 2.0).powi(2) + 0.1 * (w * b).sin()
}

/// One step of gradient descent inside an outer objective (meta-learning): the outer
/// gradient goes through the inner gradient, so through second derivatives.
#[differentiable]
fn after_one_step(w: f64, b: f64, lr: f64) -> f64 {
    let (_, (gw, gb)) = inner_loss_grad(w, b);
    let (w1, b1) = (w - lr * gw, b - lr * gb);
    (w1 * 1.5 + b1 - 1.0).powi(2)
}

#[test]
fn a_gradient_step_inside_an_outer_objective() {
    let p = [0.4, -0.2, 0.1];
    let f = |p: &[f64]| after_one_step(p[0], p[1], p[2]);
    let grad = |p: &[f64], g: &mut [f64]| {
        let (_, (a, b, c)) = after_one_step_grad(p[0], p[1], p[2]);
        for (gi, d) in g.iter_mut().zip([a, b, c]) {
            *gi += d;
        }
    };
    gradcheck(f, grad, &p).unwrap();
}

#[test]
fn gradient_jvp_and_vjp_are_the_closed_form_hessian_products() {
    let x = [0.9, -0.4, 1.3];
    let (value, g) = rosenbrock_grad(&x);
    let h = rosenbrock_closed_form(&x);
    let v = [0.3, -1.0, 0.5];
    let ((y, gy), (dy, dg)) = rosenbrock_grad_jvp(&x, &v);
    assert_eq!((y, &gy), (value, &g));
    let hv = &h * nalgebra::DVector::from_column_slice(&v);
    for i in 0..3 {
        assert!((dg[i] - hv[i]).abs() <= 1e-9 * hv[i].abs().max(1.0));
    }
    let gv: f64 = g.iter().zip(&v).map(|(a, b)| a * b).sum();
    assert!((dy - gv).abs() <= 1e-9 * gv.abs().max(1.0));
    // x̄ += 2·∇f + H·u
    let u = [1.0, 0.5, -2.0];
    let mut bar = vec![1.0; 3];
    let (y2, g2) = rosenbrock_grad_vjp(&x, (2.0, &u), &mut bar);
    assert_eq!((y2, &g2), (value, &g));
    let hu = &h * nalgebra::DVector::from_column_slice(&u);
    for i in 0..3 {
        let want = 1.0 + 2.0 * g[i] + hu[i];
        assert!((bar[i] - want).abs() <= 1e-9 * want.abs().max(1.0), "{} vs {want}", bar[i]);
    }
}

/// A function with hand-written derivatives, second order included: `softplus(x) = ln(1 + eˣ)`,
/// `σ(x)` its derivative, `σ(x)(1 - σ(x))` its second.
fn softplus(x: f64) -> f64 {
    x.exp().ln_1p()
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

#[allow(dead_code)]
fn softplus_jvp(x: f64, x_dot: f64) -> (f64, f64) {
    (softplus(x), sigmoid(x) * x_dot)
}

fn softplus_vjp(x: f64, seed: f64, x_bar: &mut f64) -> f64 {
    *x_bar += seed * sigmoid(x);
    softplus(x)
}

fn softplus_hvp(x: f64, x_dot: f64, seed: f64, x_bar: &mut f64, x_bar_dot: &mut f64) -> (f64, f64) {
    let s = sigmoid(x);
    *x_bar += seed * s;
    *x_bar_dot += seed * s * (1.0 - s) * x_dot;
    (softplus(x), s * x_dot)
}

#[differentiable(hessian)]
fn smooth_hinge(a: f64, b: f64) -> f64 {
    softplus(a * b - 1.0) * a
}

#[test]
fn hand_written_second_derivatives_of_a_callee() {
    let (a, b) = (0.8, 1.9);
    let (_, _, h) = smooth_hinge_hessian(a, b);
    let u = a * b - 1.0;
    let (s, ds) = (sigmoid(u), sigmoid(u) * (1.0 - sigmoid(u)));
    // ∂f/∂a = sp(u) + abσ(u): f_aa = bσ + bσ + ab²σ', f_ab = aσ + aσ + a²bσ'
    let faa = 2.0 * b * s + a * b * b * ds;
    let fab = 2.0 * a * s + a * a * b * ds;
    // d/db f = a² σ(u); d/db of that = a³ σ'(u)
    let fbb = a * a * a * ds;
    for (got, want) in [(h[(0, 0)], faa), (h[(0, 1)], fab), (h[(1, 1)], fbb)] {
        assert!((got - want).abs() <= 1e-12 * want.abs().max(1.0), "{got} vs {want}");
    }
    check2!(smooth_hinge, smooth_hinge_grad, smooth_hinge_hessian, smooth_hinge_hvp, [a, b]);
}

/// A Lennard-Jones cluster as a physicist writes it: positions as points, the parameters left
/// out with `wrt`. The Hessian flattens the points point by point.
#[differentiable(hessian, wrt(pos))]
fn cluster_energy(pos: &[[f64; 3]], eps: f64, sigma: f64) -> f64 {
    let mut e = 0.0;
    for i in 0..pos.len() {
        for j in i + 1..pos.len() {
            let dx = pos[i][0] - pos[j][0];
            let dy = pos[i][1] - pos[j][1];
            let dz = pos[i][2] - pos[j][2];
            let r2 = dx * dx + dy * dy + dz * dz;
            let s6 = (sigma * sigma / r2).powi(3);
            e += 4.0 * eps * (s6 * s6 - s6);
        }
    }
    e
}

#[test]
fn a_cluster_of_points_flattens_point_by_point() {
    let points = |x: &[f64]| -> Vec<[f64; 3]> { x.chunks(3).map(|c| [c[0], c[1], c[2]]).collect() };
    let flat = |g: Vec<[f64; 3]>| -> Vec<f64> { g.into_iter().flatten().collect() };
    check(
        "cluster_energy",
        |x| flat(cluster_energy_grad(&points(x), 1.0, 1.0).1),
        |x| {
            let (v, g, h) = cluster_energy_hessian(&points(x), 1.0, 1.0);
            (v, flat(g), h)
        },
        |x, v, seed, g, h| {
            let (mut gp, mut hp) = (points(g), points(h));
            let out = cluster_energy_hvp(&points(x), 1.0, 1.0, &points(v), seed, &mut gp, &mut hp);
            g.copy_from_slice(&flat(gp));
            h.copy_from_slice(&flat(hp));
            out
        },
        &[0.0, 0.0, 0.0, 1.1, 0.0, 0.1, 0.0, 1.2, -0.1],
    );
}

/// The standard normal CDF (a tanh approximation) and a Black-Scholes call price, as a quant
/// writes them; its gamma is the second derivative in the spot.
#[differentiable(hessian)]
fn norm_cdf(x: f64) -> f64 {
    0.5 * (1.0 + (0.7978845608 * (x + 0.044715 * x.powi(3))).tanh())
}

#[differentiable(hessian)]
fn call_price(spot: f64, strike: f64, vol: f64, t: f64, r: f64) -> f64 {
    let sqrt_t = t.sqrt();
    let d1 = ((spot / strike).ln() + (r + 0.5 * vol * vol) * t) / (vol * sqrt_t);
    let d2 = d1 - vol * sqrt_t;
    spot * norm_cdf(d1) - strike * (-r * t).exp() * norm_cdf(d2)
}

#[test]
fn gamma_and_vanna_of_a_call_match_differences_of_its_greeks() {
    let p = [100.0, 95.0, 0.2, 1.0, 0.03];
    let greeks = |p: &[f64]| {
        let (_, (ds, dk, dv, dt, dr)) = call_price_grad(p[0], p[1], p[2], p[3], p[4]);
        [ds, dk, dv, dt, dr]
    };
    let (_, _, h) = call_price_hessian(p[0], p[1], p[2], p[3], p[4]);
    assert_eq!(h, h.transpose());
    for j in 0..5 {
        let step = 1e-5 * p[j];
        let (mut up, mut down) = (p, p);
        up[j] += step;
        down[j] -= step;
        let (gu, gd) = (greeks(&up), greeks(&down));
        for i in 0..5 {
            let fd = (gu[i] - gd[i]) / (2.0 * step);
            assert!(
                (h[(i, j)] - fd).abs() <= 1e-5 * (1.0 + fd.abs()),
                "H[{i},{j}] = {} vs {fd}",
                h[(i, j)]
            );
        }
    }
    // gamma is positive and of the textbook size φ(d1)/(Sσ√T) ≈ 0.0175 here
    assert!(h[(0, 0)] > 0.015 && h[(0, 0)] < 0.02, "gamma {}", h[(0, 0)]);
}

/// A method of an `impl` block, `self` inactive: a pendulum's Lagrangian.
pub struct Pendulum {
    pub g: f64,
    pub l: f64,
}

#[differentiable(hessian)]
impl Pendulum {
    pub fn lagrangian(&self, theta: f64, omega: f64) -> f64 {
        0.5 * self.l * self.l * omega * omega - self.g * self.l * (1.0 - theta.cos())
    }
}

#[test]
fn methods_of_impl_blocks_have_hessians() {
    let p = Pendulum { g: 9.81, l: 2.0 };
    let (_, _, h) = p.lagrangian_hessian(0.3, 1.0);
    let want = [[-p.g * p.l * f64::cos(0.3), 0.0], [0.0, p.l * p.l]];
    for i in 0..2 {
        for j in 0..2 {
            assert!((h[(i, j)] - want[i][j]).abs() <= 1e-12, "H[{i},{j}]");
        }
    }
}

/// A model (one struct of parameters) with second derivatives: a small regression whose
/// fields are differentiated twice, one of them skipped (a constant it reads).
#[derive(Clone, Differentiable)]
struct Quadratic {
    a: f64,
    w: Vec<f64>,
    #[autodiff(skip)]
    scale: f64,
}

#[differentiable(hessian, wrt(m))]
fn fit(m: &Quadratic, xs: &[f64], ys: &[f64]) -> f64 {
    let mut loss = 0.0;
    for i in 0..xs.len() {
        let pred = m.a * xs[i] * xs[i] + m.w[0] * xs[i] + m.w[1] * m.scale;
        loss += (pred - ys[i]).powi(2) + 0.1 * m.a.powi(4);
    }
    loss
}

#[test]
fn a_model_has_a_hessian_over_its_fields_in_order() {
    let m = Quadratic { a: 0.7, w: vec![-0.3, 1.2], scale: 2.0 };
    let (xs, ys) = ([0.5, -1.0, 2.0], [1.0, 0.5, 3.0]);
    let (value, g, h) = fit_hessian(&m, &xs, &ys);
    assert_eq!(value, fit(&m, &xs, &ys));
    assert_eq!(h.shape(), (3, 3), "a, w[0], w[1]: the skipped scale is not a parameter");
    // closed form: r_i = a x² + w0 x + w1 s − y; ∂r = (x², x, s); H = 2 Σ ∂r ∂rᵀ + 1.2·n·a² e_a e_aᵀ
    let mut exact = [[0.0; 3]; 3];
    let mut grad = [0.0; 3];
    for (x, y) in xs.iter().zip(ys) {
        let d = [x * x, *x, m.scale];
        let r = m.a * x * x + m.w[0] * x + m.w[1] * m.scale - y;
        for i in 0..3 {
            grad[i] += 2.0 * r * d[i];
            for j in 0..3 {
                exact[i][j] += 2.0 * d[i] * d[j];
            }
        }
        grad[0] += 0.4 * m.a.powi(3);
        exact[0][0] += 1.2 * m.a * m.a;
    }
    assert!((g.a - grad[0]).abs() < 1e-12 && (g.w[0] - grad[1]).abs() < 1e-12);
    assert!((g.w[1] - grad[2]).abs() < 1e-12, "{:?}", g.w);
    assert_eq!(g.scale, m.scale, "a skipped field's gradient keeps its data");
    for i in 0..3 {
        for j in 0..3 {
            assert!(
                (h[(i, j)] - exact[i][j]).abs() < 1e-10,
                "H[{i}][{j}] = {} vs {}",
                h[(i, j)],
                exact[i][j]
            );
        }
    }
}

/// `determinant`'s second derivatives: its tangent is `cofactors(m) · ṁ`, and the cofactor
/// matrix has its own rules. det [[a, b], [c, d]] = ad - bc: the only second partials are
/// `∂²/∂a∂d = 1` and `∂²/∂b∂c = -1` (entries column-major: a, c, b, d).
#[differentiable(hessian)]
fn twice_area(m: nalgebra::Matrix2<f64>) -> f64 {
    m.determinant() * 2.0
}

/// A 3 x 3 determinant inside a nonlinear function (a volume's log).
#[differentiable(hessian)]
fn log_volume(m: nalgebra::Matrix3<f64>, s: f64) -> f64 {
    (m.determinant() * s).ln() + m.trace() * s
}

#[test]
fn determinants_have_second_derivatives() {
    let m = nalgebra::Matrix2::new(1.0, 2.0, 3.0, 5.0);
    let (value, _, h) = twice_area_hessian(m);
    assert_eq!(value, 2.0 * (5.0 - 6.0));
    let mut want = DMatrix::zeros(4, 4);
    (want[(0, 3)], want[(3, 0)], want[(1, 2)], want[(2, 1)]) = (2.0, 2.0, -2.0, -2.0);
    assert_eq!(h, want);
    let flat = |x: &[f64]| (nalgebra::Matrix3::from_column_slice(&x[..9]), x[9]);
    let entries = |m: nalgebra::Matrix3<f64>, s: f64| {
        let mut g = m.as_slice().to_vec();
        g.push(s);
        g
    };
    check(
        "log volume",
        |x| {
            let (m, s) = flat(x);
            let (_, (gm, gs)) = log_volume_grad(m, s);
            entries(gm, gs)
        },
        |x| {
            let (m, s) = flat(x);
            let (v, (gm, gs), h) = log_volume_hessian(m, s);
            (v, entries(gm, gs), h)
        },
        |x, v, seed, g, h| {
            let ((m, s), (vm, vs)) = (flat(x), flat(v));
            let (mut gm, mut gs) = (nalgebra::Matrix3::repeat(1.0), 1.0);
            let (mut hm, mut hs) = (nalgebra::Matrix3::repeat(1.0), 1.0);
            let out = log_volume_hvp(m, s, vm, vs, seed, &mut gm, &mut gs, &mut hm, &mut hs);
            g.copy_from_slice(&entries(gm, gs));
            h.copy_from_slice(&entries(hm, hs));
            out
        },
        &[2.0, 0.3, -0.4, 0.1, 1.5, 0.2, 0.5, -0.3, 1.2, 0.8],
    );
}

/// Parameters named like the locals of the generated `f_hessian` (`n`, `value`, `j`, `column`)
/// are the caller's (found by review: `n` took the number of entries).
#[differentiable(hessian, wrt(x))]
fn named_like_locals(x: &[f64], n: usize, value: f64, j: usize, column: f64) -> f64 {
    let mut s = 0.0;
    for i in 0..n {
        s += x[i % x.len()].powi(3) * value;
    }
    s + x[j] * x[j] * column
}

#[test]
fn parameters_named_like_the_generated_locals() {
    let x = [0.5, -0.7, 1.3];
    let (_, _, h) = named_like_locals_hessian(&x, 1, 2.0, 2, 3.0);
    // s = 2 x0³ (n = 1) + 3 x2²: the diagonal is (12 x0, 0, 6)
    let mut want = DMatrix::zeros(3, 3);
    (want[(0, 0)], want[(2, 2)]) = (12.0 * 0.5, 6.0);
    assert!((&h - &want).abs().max() < 1e-12, "{h}");
}

// Points where the first-order rules have guards (`powi(0)`'s derivative is 0 everywhere,
// `norm`'s is 0 at the zero vector): second order is finite there too, not `0 · ∞`.
#[differentiable(hessian)]
fn polynomial_at_rest(x: f64, c: &[f64]) -> f64 {
    let mut s = 0.0;
    for (k, ck) in c.iter().enumerate() {
        s += ck * x.powi(k as i32);
    }
    s
}

#[differentiable(hessian)]
fn cubed_norm(v: nalgebra::Vector3<f64>) -> f64 {
    v.norm() * v.norm_squared()
}

#[test]
fn second_derivatives_at_the_guarded_points_of_first_order_rules() {
    // Σ c_k x^k at 0: f'' = 2 c_2 (the x^0 term's derivative is 0, not 0 · 0⁻¹)
    let c = [0.5, 0.0, 1.0, 0.3, 0.05];
    let (_, _, h) = polynomial_at_rest_hessian(0.0, &c);
    assert_eq!(h[(0, 0)], 2.0);
    assert!(h.iter().all(|v| v.is_finite()), "{h}");
    let (_, _, h) = polynomial_at_rest_hessian(0.7, &c);
    let exact = 2.0 + 6.0 * 0.3 * 0.7 + 12.0 * 0.05 * 0.49;
    assert!((h[(0, 0)] - exact).abs() < 1e-12, "{} vs {exact}", h[(0, 0)]);
    // |v|³ at 0: its Hessian is 0; away from 0 it is 3(|v| I + v vᵀ/|v|)
    let (_, g, h) = cubed_norm_hessian(nalgebra::Vector3::zeros());
    assert_eq!(g, nalgebra::Vector3::zeros());
    assert!(h.iter().all(|x| *x == 0.0), "{h}");
    let v = nalgebra::Vector3::new(0.3, -0.4, 1.2);
    let (_, _, h) = cubed_norm_hessian(v);
    let n = v.norm();
    let exact = (nalgebra::Matrix3::identity() * n + v * v.transpose() / n) * 3.0;
    for i in 0..3 {
        for j in 0..3 {
            assert!((h[(i, j)] - exact[(i, j)]).abs() < 1e-12, "H[{i},{j}]");
        }
    }
}

fn uniform(state: &mut u64) -> f64 {
    *state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    ((*state >> 11) as f64) / ((1u64 << 53) as f64)
}

// A Monte Carlo price drawing from `&mut` state: `f_hvp` (one run, one draw per path) exists;
// `f_hessian`, which runs the function once per column, does not.
#[differentiable(hessian, wrt(s, vol))]
fn mc_price(s: f64, vol: f64, paths: usize, seed: &mut u64) -> f64 {
    let mut total = 0.0;
    for _ in 0..paths {
        let u: f64 = uniform(seed);
        let z = (u - 0.5) * 3.4;
        total += (s * (vol * z - 0.5 * vol * vol).exp() - 1.0).max(0.0);
    }
    total / paths as f64
}

#[test]
fn hvp_with_a_generator_passed_by_mut() {
    let (s, vol) = (1.0, 0.2);
    let grad = |vol: f64| {
        let mut seed = 7u64;
        mc_price_grad(s, vol, 200, &mut seed).1
    };
    let (mut gs, mut gv, mut hs, mut hv) = (0.0, 0.0, 0.0, 0.0);
    let mut seed = 7u64;
    mc_price_hvp(s, vol, 200, &mut seed, 0.0, 1.0, 1.0, &mut gs, &mut gv, &mut hs, &mut hv);
    let mut again = 7u64;
    (0..200).for_each(|_| {
        uniform(&mut again);
    });
    assert_eq!(seed, again, "one draw per path");
    assert_eq!((gs, gv), grad(vol));
    let h = 1e-6;
    let (up, down) = (grad(vol + h), grad(vol - h));
    let fd = ((up.0 - down.0) / (2.0 * h), (up.1 - down.1) / (2.0 * h));
    assert!((hs - fd.0).abs() < 1e-5 * (1.0 + fd.0.abs()), "{hs} vs {}", fd.0);
    assert!((hv - fd.1).abs() < 1e-5 * (1.0 + fd.1.abs()), "{hv} vs {}", fd.1);
}

#[differentiable(hessian)]
fn powers_at_zero(x: f64, p: f64) -> f64 {
    let mut s = x.powf(p) + x * p;
    for k in 0..5 {
        s += x.powf(k as f64);
    }
    s
}

#[test]
fn powf_second_derivatives_at_a_zero_base() {
    // at (0, 2.5): ∂²/∂x² = p(p-1)x^(p-2) + Σ k(k-1)x^(k-2) = 0 + 2, ∂²/∂x∂p = 1 (the limit of
    // x^(p-1)(1 + p ln x) is 0), ∂²/∂p² = x^p ln²x → 0
    let (_, _, h) = powers_at_zero_hessian(0.0, 2.5);
    assert_eq!((h[(0, 0)], h[(0, 1)], h[(1, 0)], h[(1, 1)]), (2.0, 1.0, 1.0, 0.0), "{h}");
    // away from 0, against the closed form
    let (x, p) = (0.7f64, 2.5f64);
    let (_, _, h) = powers_at_zero_hessian(x, p);
    let xx = p * (p - 1.0) * x.powf(p - 2.0) + 2.0 + 6.0 * x + 12.0 * x * x;
    let xp = x.powf(p - 1.0) * (1.0 + p * x.ln()) + 1.0;
    let pp = x.powf(p) * x.ln() * x.ln();
    for (got, want) in [(h[(0, 0)], xx), (h[(0, 1)], xp), (h[(1, 1)], pp)] {
        assert!((got - want).abs() < 1e-12, "{got} vs {want}");
    }
}

// Helpers returning an nalgebra value or an array, called from a `hessian` function: they get
// `f_hvp` (with a seed of their result's type).
#[differentiable(hessian)]
fn acceleration(r: Vector3<f64>, gm: f64) -> Vector3<f64> {
    r * (-gm / r.norm().powi(3))
}

#[differentiable(hessian)]
fn product_and_wave(r: [f64; 2], k: f64) -> [f64; 2] {
    [r[0] * r[1] * k, (r[0] * k).sin()]
}

#[differentiable(hessian)]
fn kick_energy(r: Vector3<f64>, v: Vector3<f64>, gm: f64, q: [f64; 2]) -> f64 {
    let a: Vector3<f64> = acceleration(r, gm);
    let p: [f64; 2] = product_and_wave(q, gm);
    (v + a * 0.1).norm_squared() + p[0] * p[1]
}

#[test]
fn helpers_returning_vectors_and_arrays_in_hessians() {
    let unpack = |p: &[f64]| {
        (Vector3::new(p[0], p[1], p[2]), Vector3::new(p[3], p[4], p[5]), p[6], [p[7], p[8]])
    };
    let grad = |p: &[f64]| {
        let (r, v, gm, q) = unpack(p);
        let (_, (gr, gv, gg, gq)) = kick_energy_grad(r, v, gm, q);
        [gr.as_slice(), gv.as_slice(), &[gg], &gq].concat()
    };
    let point = [1.0, 0.5, -0.3, 0.2, 0.1, 0.4, 1.3, 0.4, -0.8];
    let (r, v, gm, q) = unpack(&point);
    let (_, _, h) = kick_energy_hessian(r, v, gm, q);
    let step = 1e-5;
    for j in 0..9 {
        let (mut up, mut down) = (point, point);
        up[j] += step;
        down[j] -= step;
        let (gu, gd) = (grad(&up), grad(&down));
        for i in 0..9 {
            let fd = (gu[i] - gd[i]) / (2.0 * step);
            assert!(
                (h[(i, j)] - fd).abs() < 1e-5 * (1.0 + fd.abs()),
                "H[{i},{j}] = {} vs {fd}",
                h[(i, j)]
            );
        }
    }
}

#[test]
#[should_panic(expected = "the tangent of `x` has 2 entries but `x` has 3")]
fn a_short_tangent_of_f_hvp_names_the_parameter() {
    let (mut g, mut h) = (vec![0.0; 3], vec![0.0; 3]);
    rosenbrock_hvp(&[1.0, 2.0, 3.0], &[1.0, 0.0], 1.0, &mut g, &mut h);
}

//! Local `Vec` buffers written in place: by element, by `push`, through `iter_mut()` places and
//! `fill`; declared inside loop bodies and branch arms (a new one each run); without a type
//! annotation; their lengths read after a loop that grows them; passed to a function and
//! written afterwards (a state handed to a force helper, then stepped); and assigned whole
//! (`state = step(&state, dt)`, `pos = next`).

use autodiff::prelude::*;

use super::{norm2, norm2_jvp, norm2_vjp};
use crate::common::check;

// `squares[0] = squares[0] * w` deliberately reads the element it then overwrites.
#[allow(clippy::assign_op_pattern)]
#[differentiable]
fn buffered(x: &[f64], w: f64) -> f64 {
    let n = x.len();
    let mut squares: Vec<f64> = vec![0.0; n];
    for i in 0..n {
        squares[i] = x[i] * x[i];
    }
    let mut prefix: Vec<f64> = Vec::with_capacity(n);
    let mut acc = 0.0;
    for &s in squares.iter() {
        acc += (s * w).sin();
        prefix.push(acc);
    }
    // each element reads the one written by the previous iteration
    for i in 1..n {
        squares[i] += squares[i - 1] * 0.5;
    }
    squares[0] = squares[0] * w;
    squares[1] -= x[0];
    // a condition that reads a buffer the loop then changes
    for i in 0..n - 1 {
        if squares[i] > 1.0 {
            squares[i + 1] *= 0.5;
        }
    }
    let mut total = 0.0;
    for i in 0..n {
        if prefix[i] > 0.0 {
            total += prefix[i] * squares[i];
        } else {
            total -= squares[i].exp();
        }
    }
    total
}

#[test]
fn vec_buffers_written_in_place() {
    let x = [0.5, -1.2, 2.0, 0.3, 1.1];
    check_fn!(
        buffered,
        buffered_vjp,
        buffered_jvp,
        |v| (&v[..5], v[5]),
        &[x.as_slice(), &[0.8]].concat()
    );
}

// Buffers declared inside loop bodies and arms: a new one each time that code runs.
#[allow(clippy::assign_op_pattern)]
#[differentiable]
fn local_buffers(x: &[f64], w: f64) -> f64 {
    let n = x.len();
    let mut total = 0.0;
    for i in 0..n {
        // rewritten element by element, read nonlinearly, then overwritten
        let mut row: Vec<f64> = vec![0.0; 3];
        row[0] = x[i] * w;
        row[1] = row[0].sin();
        row[0] = row[1] * row[0];
        row[2] += x[(i + 1) % n];
        total += row[0] + row[1] * row[2];
        for j in 0..i {
            // one per inner iteration, its length changing with the outer loop
            let mut pair: Vec<f64> = vec![1.0; i + 1];
            pair[j] = x[j] * row[1];
            pair[i] *= pair[j];
            total += pair[i].cos() * 0.1;
        }
        if x[i] > 0.0 {
            let mut tmp: Vec<f64> = vec![0.0; 2];
            tmp[0] = x[i].exp();
            tmp[1] = tmp[0] * w;
            total += tmp[1] * tmp[0];
        }
    }
    // a data-dependent number of runs
    let mut k = 0;
    while total > 0.5 && k < 4 {
        let mut scaled: Vec<f64> = vec![0.0; n];
        for i in 0..n {
            scaled[i] = x[i] * total;
        }
        total = scaled.iter().map(|s| s * s).sum::<f64>().sqrt() * 0.3;
        k += 1;
    }
    total
}

// Buffers declared inside a loop body and filled with `push`, a different length each run.
#[allow(clippy::needless_range_loop)]
#[differentiable]
fn pushed_rows(x: &[f64], w: f64) -> f64 {
    let mut total = 0.0;
    for i in 0..x.len() {
        let mut row: Vec<f64> = Vec::with_capacity(i + 1);
        for j in 0..=i {
            row.push(x[j] * w);
        }
        if x[i] > 0.0 {
            row.push(x[i].sin());
        }
        let mut s = 0.0;
        for k in 0..row.len() {
            s += row[k] * row[k];
        }
        total += s.sqrt() * row[0];
    }
    total
}

#[differentiable]
fn per_point_residuals(x: &[f64], centre: [f64; 2]) -> f64 {
    let mut s = 0.0;
    for p in 0..x.len() / 2 {
        let mut d: Vec<f64> = vec![0.0; 2];
        for c in 0..2 {
            d[c] = x[2 * p + c] - centre[c];
        }
        s += d[0] * d[0] + d[1] * d[1];
    }
    s
}

#[differentiable]
fn arm_buffer(x: &[f64]) -> f64 {
    if x[0] > 0.0 {
        let mut b: Vec<f64> = vec![0.5; 3];
        b[0] = x[0] * x[1];
        b[1] = b[0].sin();
        norm2(&b) + b[1]
    } else {
        let mut b: Vec<f64> = vec![1.0; 3];
        b[2] = x[1].exp();
        b[2] * b[0]
    }
}

// A loop over a buffer's length, and the buffer grows after the loop: the adjoint must walk
// the loop's own trip count, not the final length.
#[allow(clippy::needless_range_loop)]
#[differentiable]
fn grows_after_a_loop(x: &[f64]) -> f64 {
    let mut b: Vec<f64> = Vec::new();
    b.push(x[0] * x[1]);
    b.push(x[1]);
    let mut s = 0.0;
    for k in 0..b.len() {
        s += b[k] * x[k];
    }
    b.push(s);
    s * b[2]
}

#[test]
fn vec_buffers_pushed_inside_loops() {
    // s = x0² x1 + x1², the result s²
    let x = [1.5, -0.5];
    let (v, g) = grows_after_a_loop_grad(&x);
    let s = x[0] * x[0] * x[1] + x[1] * x[1];
    assert!((v - s * s).abs() < 1e-12);
    let ds = [2.0 * x[0] * x[1], x[0] * x[0] + 2.0 * x[1]];
    for k in 0..2 {
        assert!((g[k] - 2.0 * s * ds[k]).abs() < 1e-12, "{k}: {} vs {}", g[k], 2.0 * s * ds[k]);
    }
    let x = [0.5, -1.2, 2.0, 0.3];
    check_fn!(
        pushed_rows,
        pushed_rows_vjp,
        pushed_rows_jvp,
        |v| (&v[..4], v[4]),
        &[x.as_slice(), &[0.8]].concat()
    );
}

#[test]
fn vec_buffers_declared_inside_loops_and_arms() {
    for x in [[0.7, -1.3], [-0.4, 0.9]] {
        check("arm_buffer", arm_buffer, arm_buffer_vjp, arm_buffer_jvp, &x);
    }
    let x = [0.5, -1.2, 2.0, 0.3, 1.1];
    check_fn!(
        local_buffers,
        local_buffers_vjp,
        local_buffers_jvp,
        |v| (&v[..5], v[5]),
        &[x.as_slice(), &[0.8]].concat()
    );
    // Closed form: the sum of squared distances to the centre.
    let x = [1.0, 2.0, -0.5, 0.25, 3.0, -1.0];
    let c = [0.5, -0.25];
    let (value, (gx, gc)) = per_point_residuals_grad(&x, c);
    let mut expected = 0.0;
    for p in 0..3 {
        for k in 0..2 {
            let d = x[2 * p + k] - c[k];
            expected += d * d;
            assert!((gx[2 * p + k] - 2.0 * d).abs() < 1e-12);
        }
    }
    assert!((value - expected).abs() < 1e-12);
    let gc_expected: Vec<f64> =
        (0..2).map(|k| (0..3).map(|p| -2.0 * (x[2 * p + k] - c[k])).sum()).collect();
    assert!((gc[0] - gc_expected[0]).abs() < 1e-12 && (gc[1] - gc_expected[1]).abs() < 1e-12);
}

// Buffers changed through `iter_mut()` places and `fill`, also per loop run.
#[differentiable]
fn places(x: &[f64], w: f64) -> f64 {
    let n = x.len();
    let mut b: Vec<f64> = vec![0.0; n];
    for (bi, &xi) in b.iter_mut().zip(x) {
        *bi += xi * w;
    }
    for v in b.iter_mut() {
        *v = (*v).sin() * *v;
    }
    let mut total = 0.0;
    for (i, v) in b.iter_mut().enumerate().skip(1) {
        *v *= x[i - 1];
        total += *v;
    }
    let mut acc: Vec<f64> = vec![0.0; 2];
    for i in 0..n {
        acc.fill(x[i]);
        for a in &mut acc {
            *a *= w;
        }
        total += acc[0] * acc[1] + b[i];
    }
    total
}

#[test]
fn buffers_changed_through_places_and_fill() {
    let x = [0.5, -1.2, 2.0, 0.3, 1.1];
    check_fn!(
        places,
        places_vjp,
        places_jvp,
        |v| (&v[..5], v[5]),
        &[x.as_slice(), &[0.8]].concat()
    );
}

#[differentiable]
fn array_places(x: f64) -> f64 {
    let mut a = [0.0; 3];
    for (k, v) in a.iter_mut().enumerate() {
        *v = x * (k as f64 + 1.0);
    }
    let product = a[0] * a[1] * a[2];
    let top = a[2] * x;
    a.fill(top);
    product + a.iter().sum::<f64>()
}

#[test]
fn local_arrays_changed_through_places_and_fill() {
    // a = [x, 2x, 3x]: the product is 6x³; then every element is 3x², summing to 9x².
    for x in [0.7, -1.3] {
        let (v, g) = array_places_grad(x);
        assert!((v - (6.0 * x * x * x + 9.0 * x * x)).abs() < 1e-12);
        assert!((g - (18.0 * x * x + 18.0 * x)).abs() < 1e-12);
        let (_, t) = array_places_jvp(x, 1.0);
        assert!((t - (18.0 * x * x + 18.0 * x)).abs() < 1e-12);
    }
}

// `fill` of part of a buffer or array fills only that part (`b[..2].fill(v)` leaves `b[2]`).
#[differentiable]
fn partial_fills(x: &[f64]) -> f64 {
    let mut b = vec![1.0; 3];
    b[..2].fill(x[0]);
    let mut a = [1.0; 4];
    a[1..3].fill(x[1]);
    a[3..].fill(x[0] * x[1]);
    b[0] + b[1] * 2.0 + b[2] * x[1] + a[0] + a[1] * a[2] + a[3]
}

#[test]
fn fills_of_part_of_a_buffer() {
    let x = [0.7, -0.4];
    // b = [x0, x0, 1], a = [1, x1, x1, x0 x1]
    let (v, g) = partial_fills_grad(&x);
    let want = 3.0 * x[0] + x[1] + 1.0 + x[1] * x[1] + x[0] * x[1];
    assert!((v - want).abs() < 1e-12, "{v} vs {want}");
    let gw = [3.0 + x[1], 1.0 + 2.0 * x[1] + x[0]];
    assert!((g[0] - gw[0]).abs() < 1e-12 && (g[1] - gw[1]).abs() < 1e-12, "{g:?}");
}

// Loops and branches whose only work is writing outer values into a buffer.
#[allow(clippy::needless_range_loop)]
#[differentiable]
fn stores_only(x: f64, y: f64, flag: bool) -> f64 {
    let mut b: Vec<f64> = vec![0.0; 3];
    for k in 0..3 {
        b[k] = x;
    }
    let first = b[0] * b[1] * b[2];
    if flag {
        b[1] = y;
    }
    for k in 0..1 {
        b[k] = 0.0;
    }
    first + b[2] * b[1] + b[0]
}

#[test]
fn loops_and_branches_that_only_write_into_buffers() {
    // first = x³; then b = [0, y or x, x]: the second term is x·y (flag) or x² (no flag).
    let (x, y) = (0.7, -1.3);
    let (v, (gx, gy)) = stores_only_grad(x, y, true);
    assert!((v - (x * x * x + x * y)).abs() < 1e-12);
    assert!((gx - (3.0 * x * x + y)).abs() < 1e-12 && (gy - x).abs() < 1e-12);
    let (v, (gx, gy)) = stores_only_grad(x, y, false);
    assert!((v - (x * x * x + x * x)).abs() < 1e-12);
    assert!((gx - (3.0 * x * x + 2.0 * x)).abs() < 1e-12 && gy == 0.0);
    let (_, t) = stores_only_jvp(x, y, true, 1.0, 0.0);
    assert!((t - (3.0 * x * x + y)).abs() < 1e-12);
}

// Buffers without a type annotation: `vec![..]` of floats is a `Vec` of floats.
#[allow(clippy::needless_range_loop)]
#[differentiable]
fn unannotated_buffers(x: &[f64]) -> f64 {
    let mut b = vec![0.0; x.len()];
    for i in 0..x.len() {
        b[i] = x[i] * x[i];
    }
    let mut c = vec![1.0, 2.0];
    c[0] = b[0];
    b.iter().sum::<f64>() + c[0] * c[1]
}

#[test]
fn buffers_without_a_type_annotation() {
    let x = [1.0, 2.0, 3.0];
    let (v, g) = unannotated_buffers_grad(&x);
    assert_eq!(v, 14.0 + 2.0);
    assert_eq!(g, vec![2.0 + 4.0, 4.0, 6.0]);
}

// `Vec::new()` and `Vec::with_capacity(n)` without a type, pushed active floats (and, beside
// them, indices): the float buffers differentiate, the index buffer stays data.
#[allow(clippy::needless_range_loop)]
#[differentiable]
fn pushed_without_types(x: &[f64], scale: f64) -> f64 {
    let mut scaled = Vec::new();
    let mut kept = Vec::with_capacity(x.len());
    let mut positive = Vec::new();
    for i in 0..x.len() {
        scaled.push(x[i] * scale);
        if x[i] > 0.0 {
            positive.push(i);
            kept.push(x[i].exp());
        }
    }
    let mut s = 0.0;
    for i in 0..scaled.len() {
        s += scaled[i] * scaled[i];
    }
    for k in 0..kept.len() {
        s += kept[k] * positive[k] as f64;
    }
    s
}

#[test]
fn buffers_pushed_without_a_type_annotation() {
    let (x, scale) = ([0.5, -1.0, 2.0], 1.5);
    // s = Σ (x_i c)² + Σ_{x_i > 0} i e^{x_i}
    let (value, (gx, gc)) = pushed_without_types_grad(&x, scale);
    let exact = x.iter().map(|v| (v * scale).powi(2)).sum::<f64>() + 2.0 * 2f64.exp();
    assert!((value - exact).abs() < 1e-12);
    let gx_exact =
        [2.0 * 0.5 * scale * scale, -2.0 * scale * scale, 4.0 * scale * scale + 2.0 * 2f64.exp()];
    for i in 0..3 {
        assert!((gx[i] - gx_exact[i]).abs() < 1e-12, "{gx:?}");
    }
    assert!((gc - 2.0 * scale * x.iter().map(|v| v * v).sum::<f64>()).abs() < 1e-12);
    check_fn!(
        pushed_without_types,
        pushed_without_types_vjp,
        pushed_without_types_jvp,
        |p| (&p[0..3], p[3]),
        &[0.5, -1.0, 2.0, 1.5]
    );
}

/// A length read after a loop that changes it (a push, an extend): not computed before the
/// loop when its adjoint runs inside it.
#[differentiable]
fn means_of_grown(x: &[f64], w: &[f64]) -> f64 {
    let mut s = 0.0;
    let mut idx: Vec<usize> = Vec::new();
    let mut pairs: Vec<usize> = Vec::new();
    let mut b: Vec<f64> = Vec::new();
    for i in 0..x.len() {
        s += x[i] * w[i];
        idx.push(i);
        if x[i] > 0.0 {
            pairs.extend([i, i]);
        }
        b.push(x[i]);
    }
    s * idx.len() as f64 / pairs.len().max(1) as f64 + s / b.len() as f64
}

#[test]
fn lengths_changed_by_a_loop_are_read_after_it() {
    let (x, w) = ([0.5, -1.0, 2.0, 0.3], [1.0, 2.0, 3.0, 4.0]);
    let s: f64 = x.iter().zip(&w).map(|(a, b)| a * b).sum();
    let scale = 4.0 / 6.0 + 1.0 / 4.0;
    let (value, (gx, gw)) = means_of_grown_grad(&x, &w);
    assert!((value - s * scale).abs() < 1e-12, "{value}");
    for i in 0..4 {
        assert!((gx[i] - w[i] * scale).abs() < 1e-12 && (gw[i] - x[i] * scale).abs() < 1e-12);
    }
}

#[allow(clippy::needless_range_loop)]
#[differentiable]
fn trimmed_mean(x: &[f64]) -> f64 {
    let mut sorted = x.to_vec();
    sorted.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let n = sorted.len();
    let mut s = 0.0;
    for i in 1..n - 1 {
        s += sorted[i];
    }
    let descending = {
        let mut d = x.to_vec();
        d.sort_unstable_by(|a, b| b.total_cmp(a));
        d
    };
    s / (n - 2) as f64 + 0.1 * descending[0]
}

#[test]
fn sorting_keeps_each_elements_adjoint_with_it() {
    let x = [3.1, -0.4, 2.2, 5.7, 1.05, 0.3];
    let (value, g) = trimmed_mean_grad(&x);
    assert_eq!(value, trimmed_mean(&x));
    // the smallest (-0.4) and largest (5.7) are trimmed; the largest also weighs 0.1
    assert_eq!(g, vec![0.25, 0.0, 0.25, 0.1, 0.25, 0.25]);
    check("trimmed_mean", trimmed_mean, trimmed_mean_vjp, trimmed_mean_jvp, &x);
}

#[differentiable(hessian)]
fn log_sum_exp(v: &[f64]) -> f64 {
    let m = v.iter().fold(f64::NEG_INFINITY, |a, &b| a.max(b));
    m + v.iter().map(|x| (x - m).exp()).sum::<f64>().ln()
}

// A buffer made inside a loop, filled, then handed to a helper: a per-point vector of
// log-densities for a mixture's log-likelihood, as a statistician writes it. The helper's
// adjoint needs the buffer as it saw it; the loop runs fused (an accumulation) ...
#[differentiable(wrt(means, log_sigmas), hessian)]
fn mixture_loglik(means: &[f64], log_sigmas: &[f64], data: &[f64]) -> f64 {
    let k = means.len();
    let mut total = 0.0;
    for &x in data {
        let mut comps = vec![0.0; k];
        for j in 0..k {
            let z = (x - means[j]) / log_sigmas[j].exp();
            comps[j] = -0.5 * z * z - log_sigmas[j];
        }
        total += log_sum_exp(&comps);
    }
    total
}

// ... or runs each iteration again before its adjoint (a product is no accumulation), also
// inside another loop.
#[differentiable(wrt(means, log_sigmas), hessian)]
fn mixture_product(means: &[f64], log_sigmas: &[f64], data: &[f64], rounds: usize) -> f64 {
    let k = means.len();
    let mut total = 1.0;
    for r in 0..rounds {
        for &x in data {
            let mut comps = vec![0.0; k];
            for j in 0..k {
                let z = (x * (r + 1) as f64 - means[j]) / log_sigmas[j].exp();
                comps[j] = -0.5 * z * z - log_sigmas[j];
            }
            total *= (0.1 * log_sum_exp(&comps)).tanh();
        }
    }
    total
}

#[test]
fn buffers_made_in_a_loop_and_passed_to_a_helper() {
    let (means, log_sigmas, data) = ([-1.0, 0.5, 2.0], [0.1, -0.3, 0.4], [0.3, -1.7, 2.2, 0.9]);
    let p: Vec<f64> = [means.as_slice(), &log_sigmas].concat();
    check_fn!(
        mixture_loglik,
        mixture_loglik_vjp,
        mixture_loglik_jvp,
        |v| (&v[..3], &v[3..6], &data),
        &p
    );
    for rounds in [0, 1, 2] {
        check_fn!(
            mixture_product,
            mixture_product_vjp,
            mixture_product_jvp,
            |v| (&v[..3], &v[3..6], &data, rounds),
            &p
        );
    }
    // second order: the Hessian against central differences of the gradient
    let grad = |q: &[f64]| {
        let (_, (gm, gs)) = mixture_product_grad(&q[..3], &q[3..], &data, 2);
        [gm, gs].concat()
    };
    let (_, _, h) = mixture_product_hessian(&p[..3], &p[3..], &data, 2);
    let (_, _, h1) = mixture_loglik_hessian(&p[..3], &p[3..], &data);
    let grad1 = |q: &[f64]| {
        let (_, (gm, gs)) = mixture_loglik_grad(&q[..3], &q[3..], &data);
        [gm, gs].concat()
    };
    for (h, grad) in [(h, &grad as &dyn Fn(&[f64]) -> Vec<f64>), (h1, &grad1)] {
        for j in 0..6 {
            let step = 1e-5;
            let (mut up, mut down) = (p.clone(), p.clone());
            up[j] += step;
            down[j] -= step;
            let (gu, gd) = (grad(&up), grad(&down));
            for i in 0..6 {
                let fd = (gu[i] - gd[i]) / (2.0 * step);
                assert!(
                    (h[(i, j)] - fd).abs() <= 1e-5 * (1.0 + fd.abs()),
                    "H[{i},{j}] = {} vs {fd}",
                    h[(i, j)]
                );
            }
        }
    }
}

#[differentiable(hessian)]
fn sum_of_squares(v: &[f64]) -> f64 {
    v.iter().map(|a| a * a).sum()
}

// Sub-slices of a buffer made in the loop, handed to helpers in a loop that is no sum: each
// iteration is run again for the helpers' adjoints, as for the buffer itself.
#[allow(clippy::needless_range_loop)]
#[differentiable(wrt(w))]
fn sub_slices_in_a_product(w: &[f64], x: &[f64]) -> f64 {
    let mut total = 1.0;
    for i in 0..x.len() {
        let mut c = vec![0.0; 3];
        for j in 0..3 {
            c[j] = w[j] * x[i];
        }
        total = total * sum_of_squares(&c[..2]) + sum_of_squares(&c[1..]);
    }
    total
}

#[test]
fn sub_slices_of_buffers_made_in_a_loop_passed_to_helpers() {
    let x = [0.3, -1.7, 0.8];
    check_fn!(
        sub_slices_in_a_product,
        sub_slices_in_a_product_vjp,
        sub_slices_in_a_product_jvp,
        |v| (&v[..3], &x),
        &[0.7, -0.3, 1.1]
    );
}

// A copy of a buffer filled before the loop, made in each iteration, changed at one place and
// passed on, with second derivatives: the buffer's tangent is made from its length, which is
// no read of its contents (it left the buffer "thawed" and the loop unable to run again).
#[allow(clippy::needless_range_loop)]
#[differentiable(wrt(w), hessian)]
fn copies_changed_and_passed_on(w: &[f64], x: &[f64]) -> f64 {
    let k = w.len();
    let mut base = vec![0.0; k];
    for j in 0..k {
        base[j] = w[j].sin();
    }
    let mut total = 1.0;
    for i in 0..x.len() {
        let mut c = base.clone();
        c[i % k] = c[i % k] * x[i] * total;
        total = sum_of_squares(&c) * 0.5;
    }
    total
}

#[test]
fn copies_of_a_buffer_changed_and_passed_on_have_hessians() {
    let (w, x) = ([0.7, -0.3, 1.1], [0.3, -1.7, 0.8, 1.2]);
    check_fn!(
        copies_changed_and_passed_on,
        copies_changed_and_passed_on_vjp,
        copies_changed_and_passed_on_jvp,
        |v| (&v[..3], &x),
        &w
    );
    let (_, _, h) = copies_changed_and_passed_on_hessian(&w, &x);
    let step = 1e-5;
    for j in 0..3 {
        let (mut up, mut down) = (w, w);
        up[j] += step;
        down[j] -= step;
        let (gu, gd) = (
            copies_changed_and_passed_on_grad(&up, &x).1,
            copies_changed_and_passed_on_grad(&down, &x).1,
        );
        for i in 0..3 {
            let fd = (gu[i] - gd[i]) / (2.0 * step);
            assert!(
                (h[(i, j)] - fd).abs() <= 1e-5 * (1.0 + fd.abs()),
                "H[{i},{j}] = {} vs {fd}",
                h[(i, j)]
            );
        }
    }
}

/// Forces between particles in the plane (softened inverse squares), a helper handed the state.
#[differentiable]
fn plane_forces(pos: &[f64]) -> Vec<f64> {
    let n = pos.len() / 2;
    let mut f = vec![0.0; pos.len()];
    for i in 0..n {
        for j in 0..n {
            if i == j {
                continue;
            }
            let (dx, dy) = (pos[2 * j] - pos[2 * i], pos[2 * j + 1] - pos[2 * i + 1]);
            let r2 = dx * dx + dy * dy + 0.01;
            let inv = 1.0 / (r2 * r2.sqrt());
            f[2 * i] += dx * inv;
            f[2 * i + 1] += dy * inv;
        }
    }
    f
}

// The state is passed to the helper, then updated in place: the helper's adjoint reads the
// state as the call saw it (a copy per call), not as the later writes left it.
#[differentiable]
fn euler_in_place(pos0: &[f64], vel0: &[f64], dt: f64) -> f64 {
    let mut pos = pos0.to_vec();
    let mut vel = vel0.to_vec();
    for _ in 0..5 {
        let f: Vec<f64> = plane_forces(&pos);
        for i in 0..pos.len() {
            vel[i] += dt * f[i];
            pos[i] += dt * vel[i];
        }
    }
    vel.iter().map(|v| 0.5 * v * v).sum::<f64>() + pos[0]
}

// The next state in a buffer of its own, then assigned whole; and double buffering by swap.
#[differentiable]
fn euler_next_buffer(pos0: &[f64], vel0: &[f64], dt: f64) -> f64 {
    let n = pos0.len();
    let mut pos = pos0.to_vec();
    let mut vel = vel0.to_vec();
    let mut spare = vec![0.0; n];
    for step in 0..6 {
        let f: Vec<f64> = plane_forces(&pos);
        let mut next = vec![0.0; n];
        for i in 0..n {
            vel[i] += dt * f[i];
            next[i] = pos[i] + dt * vel[i];
        }
        if step % 2 == 0 {
            pos = next;
        } else {
            spare.copy_from_slice(&next);
            std::mem::swap(&mut pos, &mut spare);
        }
    }
    vel.iter().map(|v| 0.5 * v * v).sum::<f64>() + pos[1]
}

#[differentiable]
fn damped_step(s: &[f64], dt: f64) -> Vec<f64> {
    let mut out = vec![0.0; s.len()];
    for i in 0..s.len() {
        out[i] = s[i] - dt * s[i].sin();
    }
    out
}

// The functional form: a copy of the start, replaced by each step's result (also by a
// collected map).
#[differentiable]
fn stepped_whole(x0: &[f64], dt: f64) -> f64 {
    let mut state = x0.to_vec();
    for _ in 0..4 {
        state = damped_step(&state, dt);
    }
    let mut y = x0.to_vec();
    for _ in 0..3 {
        y = y.iter().map(|v| (v * dt).sin() + v).collect();
    }
    state.iter().map(|v| v * v).sum::<f64>() + y.iter().sum::<f64>()
}

#[test]
fn buffers_passed_on_then_written_or_assigned_whole() {
    let point = [0.0, 0.0, 1.0, 0.2, -0.3, 0.9, 0.1, 0.0, -0.1, 0.2, 0.0, -0.05, 0.05];
    check_fn!(
        euler_in_place,
        euler_in_place_vjp,
        euler_in_place_jvp,
        |v| (&v[..6], &v[6..12], v[12]),
        &point
    );
    check_fn!(
        euler_next_buffer,
        euler_next_buffer_vjp,
        euler_next_buffer_jvp,
        |v| (&v[..6], &v[6..12], v[12]),
        &point
    );
    check_fn!(
        stepped_whole,
        stepped_whole_vjp,
        stepped_whole_jvp,
        |v| (&v[..3], v[3]),
        &[0.3, -0.2, 1.0, 0.1]
    );
    // closed form of one damped step: d/ds (s - dt sin s) = 1 - dt cos s, four times over
    let x0 = [0.3, -0.2, 1.0];
    let dt = 0.1;
    let (_, (g, _)) = stepped_whole_grad(&x0, dt);
    for (i, &x) in x0.iter().enumerate() {
        let (mut s, mut ds) = (x, 1.0);
        for _ in 0..4 {
            ds *= 1.0 - dt * s.cos();
            s -= dt * s.sin();
        }
        let (mut y, mut dy) = (x, 1.0);
        for _ in 0..3 {
            dy *= 1.0 + dt * (y * dt).cos();
            y += (y * dt).sin();
        }
        let exact = 2.0 * s * ds + dy;
        assert!((g[i] - exact).abs() < 1e-12, "{} vs {exact}", g[i]);
    }
}

#[differentiable]
fn pendulum_rhs(y: &[f64], k: f64) -> Vec<f64> {
    let mut d = vec![0.0; y.len()];
    d[0] = y[1];
    d[1] = -k * y[0].sin();
    d
}

// The classic RK4 body: stage vectors made inside the time loop and passed to the right-hand
// side; the time loop's adjoint cannot run an iteration again (it carries the state), so each
// call is passed a copy, kept for its adjoint.
#[allow(clippy::needless_range_loop)]
#[differentiable]
fn rk4_pendulum(y0: &[f64], k: f64, h: f64) -> f64 {
    let n = y0.len();
    let mut y = y0.to_vec();
    for _ in 0..20 {
        let k1: Vec<f64> = pendulum_rhs(&y, k);
        let mut y2 = vec![0.0; n];
        for i in 0..n {
            y2[i] = y[i] + 0.5 * h * k1[i];
        }
        let k2: Vec<f64> = pendulum_rhs(&y2, k);
        let mut y3 = vec![0.0; n];
        for i in 0..n {
            y3[i] = y[i] + 0.5 * h * k2[i];
        }
        let k3: Vec<f64> = pendulum_rhs(&y3, k);
        let mut y4 = vec![0.0; n];
        for i in 0..n {
            y4[i] = y[i] + h * k3[i];
        }
        let k4: Vec<f64> = pendulum_rhs(&y4, k);
        for i in 0..n {
            y[i] += h / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]);
        }
    }
    y[0] * y[0] + y[1]
}

// A buffer made in a loop that may stop early, passed to a call.
#[allow(clippy::needless_range_loop)]
#[differentiable]
fn early_exit(x: &[f64]) -> f64 {
    let mut total = 1.0;
    for i in 0..x.len() {
        let mut row: Vec<f64> = vec![0.0; 2];
        row[0] = x[i];
        row[1] = x[i] * x[i];
        let f: Vec<f64> = plane_forces(&row);
        total = total * f.iter().sum::<f64>().cos() + row[1];
        if total > 10.0 {
            break;
        }
    }
    total
}

#[test]
fn buffers_made_in_loops_passed_to_calls() {
    check_fn!(
        rk4_pendulum,
        rk4_pendulum_vjp,
        rk4_pendulum_jvp,
        |v| (&v[..2], v[2], v[3]),
        &[1.0, 0.2, 2.0, 0.05]
    );
    check_fn!(early_exit, early_exit_vjp, early_exit_jvp, |v| (&v[..4]), &[0.5, -1.2, 2.0, 0.3]);
}

// The best state so far, kept in a `Vec` that starts empty and is only ever assigned whole (a
// plain value, not a buffer); the state replaced by a step's result bound without a type.
#[differentiable]
fn best_of_steps(x0: &[f64], dt: f64) -> f64 {
    let mut y = x0.to_vec();
    let mut best: Vec<f64> = vec![];
    let mut best_value = f64::MAX;
    for _ in 0..4 {
        let next = damped_step(&y, dt);
        y = next;
        let v: f64 = y.iter().map(|e| (e - 0.3) * (e - 0.3)).sum();
        if v < best_value {
            best_value = v;
            best = y.clone();
        }
    }
    best[0] * best[1] + best_value
}

#[differentiable]
fn shortened(x: &[f64]) -> f64 {
    let mut y: Vec<f64> = x.to_vec();
    y = y[1..].to_vec();
    y[0]
}

#[test]
fn whole_assignments_of_values_and_of_other_lengths() {
    check_fn!(
        best_of_steps,
        best_of_steps_vjp,
        best_of_steps_jvp,
        |v| (&v[..3], v[3]),
        &[0.9, -0.4, 1.3, 0.2]
    );
    assert_eq!(shortened(&[1.0, 2.0]), 2.0);
    let caught = std::panic::catch_unwind(|| shortened_grad(&[1.0, 2.0]));
    let message = caught.err().and_then(|e| e.downcast_ref::<String>().cloned());
    assert!(
        message.as_deref().is_some_and(|m| m.starts_with("`y` is assigned a value of length 1")),
        "{message:?}"
    );
}

// A grid started from an active boundary value (`vec![boundary; n]`), relaxed in place; a
// table of one (`vec![vec![v; m]; n]`, read as `t[i][j]`); and a `vec![v; n]` only read.
#[allow(clippy::needless_range_loop, clippy::useless_vec)]
#[differentiable]
fn relaxed_grid(boundary: f64, k: f64) -> f64 {
    let n = 6;
    let mut g = vec![boundary; n];
    g[0] = 0.0;
    for _ in 0..10 {
        for i in 1..n - 1 {
            g[i] += k * (g[i - 1] - 2.0 * g[i] + g[i + 1]);
        }
    }
    let mut t = vec![vec![k; 3]; 2];
    t[1][2] = boundary * t[0][1];
    let w = vec![k * 2.0; 3];
    g.iter().sum::<f64>() + w[1] * w.len() as f64 + t[1][2] * t[0][0]
}

#[test]
fn vecs_repeating_an_active_value() {
    check_fn!(relaxed_grid, relaxed_grid_vjp, relaxed_grid_jvp, |v| (v[0], v[1]), &[1.5, 0.2]);
}

//! Slices, arrays and `Vec`s of floats as active parameters: indexing, loops over them, local
//! buffers and iterator forms; each checked against closed forms, central finite differences and
//! the adjoint identity `<J v, w> = <v, Jᵀ w>`.

use autodiff::prelude::*;

mod common;

use common::check;

#[differentiable]
fn weighted(x: &[f64], w: [f64; 3], v: Vec<f64>) -> f64 {
    let a = x[0] * w[0] + x[1] * w[1];
    let b = (x[2] - v[1]).powi(2);
    a * b + w[2] * v[0] + v[x.len() - 1]
}

#[test]
fn slices_arrays_and_vecs_as_parameters() {
    let (x, w, v) = ([0.5, -1.2, 2.0], [1.5, 0.25, -0.75], vec![0.3, 1.1, 4.0]);
    let (value, (gx, gw, gv)) = weighted_grad(&x, w, v.clone());
    assert_eq!(value, weighted(&x, w, v.clone()));
    let (a, b) = (x[0] * w[0] + x[1] * w[1], (x[2] - v[1]).powi(2));
    assert_eq!(gx, vec![w[0] * b, w[1] * b, a * 2.0 * (x[2] - v[1])]);
    assert_eq!(gw, [x[0] * b, x[1] * b, v[0]]);
    assert_eq!(gv, vec![w[2], -a * 2.0 * (x[2] - v[1]), 1.0]);
    // the buffers of f_vjp accumulate
    let (mut bx, mut bw, mut bv) = (vec![1.0; 3], [0.0; 3], vec![0.0; 3]);
    weighted_vjp(&x, w, v.clone(), 1.0, &mut bx, &mut bw, &mut bv);
    assert_eq!(bx[0], 1.0 + gx[0]);
    let (_, t) = weighted_jvp(&x, w, v.clone(), &[1.0, 0.0, 0.0], [0.0; 3], &[0.0; 3]);
    assert_eq!(t, gx[0]);
}

#[differentiable]
fn norm2(x: &[f64]) -> f64 {
    x[0] * x[0] + x[1] * x[1] + x[2] * x[2]
}

#[differentiable(wrt(x, s))]
fn uses_slice_helper(x: &[f64], s: f64, v: &[f64]) -> f64 {
    let local: Vec<f64> = v.to_vec();
    let w: [f64; 3] = [1.5, 2.0, 1.0];
    norm2(x) * s + weighted(x, w, local)
}

#[test]
fn sequences_passed_to_differentiable_functions() {
    let v = vec![0.3, 1.1, 4.0];
    check(
        "uses_slice_helper",
        |x| uses_slice_helper(&x[..3], x[3], &v),
        |x, seed, g| {
            let (gx, gs) = g.split_at_mut(3);
            uses_slice_helper_vjp(&x[..3], x[3], &v, seed, gx, &mut gs[0])
        },
        |x, d| uses_slice_helper_jvp(&x[..3], x[3], &v, &d[..3], d[3]),
        &[0.5, -1.2, 2.0, 0.7],
    );
}

#[differentiable]
fn iterator_forms(x: &[f64], y: &[f64]) -> f64 {
    let mut s = 0.0;
    for &xi in x.iter() {
        s += xi.sin();
    }
    for (i, xi) in x.iter().enumerate() {
        s += (i as f64) * xi * xi;
    }
    for (a, b) in x.iter().zip(y.iter()) {
        s += a * b;
    }
    let dot: f64 = x.iter().zip(y).map(|(a, b)| a * b).sum();
    let prod: f64 = y.iter().map(|v| 1.0 + v * v).product();
    let biggest = x.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let softmax_denominator = x.iter().map(|&v| (v - biggest).exp()).sum::<f64>();
    let nested: f64 = x.iter().map(|&a| y.iter().map(|&b| (a - b).powi(2)).sum::<f64>()).sum();
    s + dot * prod + softmax_denominator.ln() + biggest + nested.sqrt()
}

#[test]
fn iterator_forms_over_slices() {
    let x = [0.5, -1.2, 2.0, 0.3];
    let y = [1.5, 0.25, -0.75, 0.6];
    let z: Vec<f64> = x.iter().chain(&y).copied().collect();
    check(
        "iterator_forms",
        |v| iterator_forms(&v[..4], &v[4..]),
        |v, seed, g| {
            let (gx, gy) = g.split_at_mut(4);
            iterator_forms_vjp(&v[..4], &v[4..], seed, gx, gy)
        },
        |v, d| iterator_forms_jvp(&v[..4], &v[4..], &d[..4], &d[4..]),
        &z,
    );
}

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
    check(
        "buffered",
        |v| buffered(&v[..5], v[5]),
        |v, seed, g| {
            let (gx, gw) = g.split_at_mut(5);
            buffered_vjp(&v[..5], v[5], seed, gx, &mut gw[0])
        },
        |v, d| buffered_jvp(&v[..5], v[5], &d[..5], d[5]),
        &[x.as_slice(), &[0.8]].concat(),
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

// `fill` of part of a buffer or array (a second review found `b[..2].fill(v)` filling all).
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

#[test]
fn buffers_changed_through_places_and_fill() {
    let x = [0.5, -1.2, 2.0, 0.3, 1.1];
    check(
        "places",
        |v| places(&v[..5], v[5]),
        |v, seed, g| {
            let (gx, gw) = g.split_at_mut(5);
            places_vjp(&v[..5], v[5], seed, gx, &mut gw[0])
        },
        |v, d| places_jvp(&v[..5], v[5], &d[..5], d[5]),
        &[x.as_slice(), &[0.8]].concat(),
    );
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
    check(
        "pushed_rows",
        |v| pushed_rows(&v[..4], v[4]),
        |v, seed, g| {
            let (gx, gw) = g.split_at_mut(4);
            pushed_rows_vjp(&v[..4], v[4], seed, gx, &mut gw[0])
        },
        |v, d| pushed_rows_jvp(&v[..4], v[4], &d[..4], d[4]),
        &[x.as_slice(), &[0.8]].concat(),
    );
}

#[test]
fn vec_buffers_declared_inside_loops_and_arms() {
    for x in [[0.7, -1.3], [-0.4, 0.9]] {
        check("arm_buffer", arm_buffer, arm_buffer_vjp, arm_buffer_jvp, &x);
    }
    let x = [0.5, -1.2, 2.0, 0.3, 1.1];
    check(
        "local_buffers",
        |v| local_buffers(&v[..5], v[5]),
        |v, seed, g| {
            let (gx, gw) = g.split_at_mut(5);
            local_buffers_vjp(&v[..5], v[5], seed, gx, &mut gw[0])
        },
        |v, d| local_buffers_jvp(&v[..5], v[5], &d[..5], d[5]),
        &[x.as_slice(), &[0.8]].concat(),
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

#[differentiable]
fn cumulative(x: &[f64], scale: f64) -> Vec<f64> {
    let mut out: Vec<f64> = Vec::with_capacity(x.len());
    let mut acc = 0.0;
    for &xi in x.iter() {
        acc += xi * scale;
        out.push(acc.sin());
    }
    out
}

/// A `Vec` result: `f_vjp` takes a seed of the result's type, `f_jvp` returns its tangent; the
/// Jacobian from reverse mode (rows) equals forward mode's (columns) and finite differences.
#[test]
fn vec_results() {
    let x = [0.5, -1.2, 2.0];
    let n = x.len();
    let point: Vec<f64> = x.iter().copied().chain([0.7]).collect();
    let rows = jacobian(
        |p, y_bar, p_bar| {
            let (gx, gs) = p_bar.split_at_mut(n);
            cumulative_vjp(&p[..n], p[n], y_bar.to_vec(), gx, &mut gs[0]);
        },
        &point,
        n,
    );
    let columns = jacobian_fwd(|p, d| cumulative_jvp(&p[..n], p[n], &d[..n], d[n]).1, &point, n);
    for j in 0..=n {
        let h = 1e-6;
        let (mut up, mut down) = (point.clone(), point.clone());
        up[j] += h;
        down[j] -= h;
        let (fu, fd) = (cumulative(&up[..n], up[n]), cumulative(&down[..n], down[n]));
        for i in 0..n {
            let numeric = (fu[i] - fd[i]) / (2.0 * h);
            assert!(
                (rows[i][j] - numeric).abs() < 1e-6,
                "J[{i}][{j}]: {} vs {numeric}",
                rows[i][j]
            );
            assert!((columns[i][j] - rows[i][j]).abs() < 1e-12, "forward J[{i}][{j}]");
        }
    }
}

/// Items of `x.iter()` are references in Rust: `*v` in a closure or loop body reads them.
#[differentiable]
fn dereferenced_items(x: &[f64], y: &[f64]) -> f64 {
    let squares = x.iter().fold(0.0, |acc, v| acc + *v * *v);
    let mut waves = 0.0;
    for v in x.iter() {
        waves += (*v).sin();
    }
    let cross: f64 = x.iter().zip(y.iter()).map(|(a, b)| *a * *b).sum();
    squares + waves + cross
}

/// Closed form: ∂/∂x = 2x + cos x + y, ∂/∂y = x.
#[test]
fn dereferenced_iterator_items() {
    let (x, y) = ([0.5, -1.5, 2.0], [1.0, 0.25, -3.0]);
    let (_, (gx, gy)) = dereferenced_items_grad(&x, &y);
    for i in 0..3 {
        assert!((gx[i] - (2.0 * x[i] + x[i].cos() + y[i])).abs() < 1e-12);
        assert!((gy[i] - x[i]).abs() < 1e-12);
    }
}

#[differentiable]
fn root_sum_of_squares(v: &[f64]) -> f64 {
    let mut s = 0.0;
    for x in v.iter() {
        s += x * x;
    }
    s.sqrt()
}

/// A buffer filled, then passed to a differentiable function (its adjoint adds into the
/// buffer's adjoint). Closed form: f = 2 √Σx⁴, ∂f/∂x_i = 4 x_i³ / √Σx⁴.
#[differentiable]
fn buffer_passed_on(x: &[f64]) -> f64 {
    let mut squares: Vec<f64> = vec![0.0; x.len()];
    for i in 0..x.len() {
        squares[i] = x[i] * x[i];
    }
    root_sum_of_squares(&squares) * 2.0
}

#[test]
fn buffers_passed_to_functions() {
    let x = [0.5, -1.5, 2.0];
    let (_, g) = buffer_passed_on_grad(&x);
    let s: f64 = x.iter().map(|v| v.powi(4)).sum();
    for (gi, xi) in g.iter().zip(&x) {
        assert!((gi - 4.0 * xi.powi(3) / s.sqrt()).abs() < 1e-12);
    }
    check("buffer_passed_on", buffer_passed_on, buffer_passed_on_vjp, buffer_passed_on_jvp, &x);
}

#[differentiable]
fn weighted_sum(a: &[f64], b: &[f64]) -> f64 {
    let mut s = 0.0;
    for (x, y) in a.iter().zip(b.iter()) {
        s += x * y;
    }
    s
}

/// Constant and inactive sequences passed to a differentiable function: closed form
/// ∂/∂x_i = 1 + i + 0.5 (the two weight vectors summed).
#[differentiable]
fn constants_passed_on(x: &[f64]) -> f64 {
    let w = vec![0.5; x.len()];
    weighted_sum(x, &[1.0, 2.0, 3.0]) + weighted_sum(x, &w)
}

#[test]
fn constant_and_inactive_sequences_as_arguments() {
    let x = [0.3, -1.2, 2.0];
    let (_, g) = constants_passed_on_grad(&x);
    assert_eq!(g, [1.5, 2.5, 3.5]);
    check(
        "constants_passed_on",
        constants_passed_on,
        constants_passed_on_vjp,
        constants_passed_on_jvp,
        &x,
    );
}

/// One read of each parameter per iteration: the buffers are cut to the parameters' length.
#[differentiable]
fn dot_product(a: &[f64], b: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..a.len() {
        s += a[i] * b[i];
    }
    s
}

/// Two reads of `x` per iteration (a stencil): its buffer keeps its bounds checks.
#[differentiable]
fn stencil(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() - 1 {
        s += (x[i + 1] - x[i]).powi(2);
    }
    s
}

#[test]
fn longer_buffers_and_tangents_are_accepted() {
    let (a, b) = ([1.0, 2.0, 3.0], [0.5, -1.0, 2.0]);
    let (mut ga, mut gb) = (vec![10.0; 5], vec![0.0; 4]);
    let value = dot_product_vjp(&a, &b, 2.0, &mut ga, &mut gb);
    assert_eq!(value, 4.5);
    assert_eq!(ga, [11.0, 8.0, 14.0, 10.0, 10.0], "2 b added, the rest untouched");
    assert_eq!(gb, [2.0, 4.0, 6.0, 0.0]);
    let (_, t) = dot_product_jvp(&a, &b, &[1.0, 0.0, 0.0, 9.0], &[0.0, 1.0, 0.0, 9.0]);
    assert_eq!(t, b[0] + a[1]);
    let x = [1.0, 3.0, 2.0];
    let mut gx = vec![0.0; 4];
    assert_eq!(stencil_vjp(&x, 1.0, &mut gx), 5.0);
    assert_eq!(gx, [-4.0, 6.0, -2.0, 0.0]);
}

#[test]
#[should_panic(expected = "the adjoint buffer `b_bar` has 2 entries but `b` has 3")]
fn a_short_adjoint_buffer_panics_with_its_name() {
    let (a, b) = ([1.0, 2.0, 3.0], [0.5, -1.0, 2.0]);
    dot_product_vjp(&a, &b, 1.0, &mut [0.0; 3], &mut [0.0; 2]);
}

#[test]
#[should_panic(expected = "the tangent of `a` has 2 entries but `a` has 3")]
fn a_short_tangent_panics_with_its_name() {
    let (a, b) = ([1.0, 2.0, 3.0], [0.5, -1.0, 2.0]);
    dot_product_jvp(&a, &b, &[0.0; 2], &[0.0; 3]);
}

#[test]
#[should_panic(expected = "index out of bounds")]
fn a_short_stencil_buffer_panics() {
    stencil_vjp(&[1.0, 3.0, 2.0], 1.0, &mut [0.0; 2]);
}

/// Rosenbrock as idiomatic Rust writes it: over the windows of two.
#[differentiable]
fn rosenbrock_windows(x: &[f64]) -> f64 {
    x.windows(2).map(|w| 100.0 * (w[1] - w[0] * w[0]).powi(2) + (1.0 - w[0]).powi(2)).sum()
}

/// Points stored row by row, iterated as chunks of `d`, and the other adapters of slice
/// iterators: `rev`, `skip`, `take`, `step_by`, ranges of a slice, `chunks`, `windows`.
#[differentiable(wrt(x, c))]
fn adapters(x: &[f64], c: &[f64], d: usize) -> f64 {
    let mut s = 0.0;
    for (i, p) in x.chunks_exact(d).enumerate() {
        let mut dist = 0.0;
        for r in 0..p.len() {
            dist += (p[r] - c[r]).powi(2) * (i + 1) as f64;
        }
        s += dist.sqrt();
    }
    for (k, &v) in x.iter().rev().enumerate() {
        s += (k as f64) * v * 0.1;
    }
    let tail: f64 = x.iter().skip(2).take(3).map(|v| v.sin()).sum();
    let every_other: f64 = x.iter().step_by(2).zip(c.iter().rev()).map(|(a, b)| a * b).sum();
    let middle = x[1..x.len() - 1].iter().fold(1.0, |acc, &v| acc * (1.0 + 0.1 * v));
    let mut ragged = 0.0;
    for w in x.chunks(4) {
        ragged += w[w.len() - 1] * w[0];
    }
    let diffs: f64 = c[1..].windows(2).map(|w| (w[1] - w[0]).powi(2)).sum();
    s + tail + every_other + middle + ragged + diffs
}

// Sub-slices of active sequences as values: passed to functions, indexed, iterated.
#[differentiable]
fn rows(x: &[f64], c: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() / 3 {
        let row = &x[i * 3..i * 3 + 3];
        s += norm2(row) * row[1];
        s += dot_product(&x[i * 3..(i + 1) * 3], &c[..3]);
        for &v in row.iter() {
            s += v.sin();
        }
    }
    // two sub-slices of one sequence, and a sub-slice beside the whole, in one call
    s += dot_product(&x[0..3], &x[3..6]) + dot_product(&x[1..4], x);
    let tail = &x[x.len() - 2..];
    s + tail.iter().map(|t| t * t).sum::<f64>() + norm2(&c[1..]) * tail[0]
}

#[test]
fn sub_slices_as_values() {
    let z: Vec<f64> = (0..10).map(|i| 0.5 * (i as f64 * 1.3).cos() + 0.2).collect();
    check(
        "rows",
        |v| rows(&v[..6], &v[6..]),
        |v, seed, g| {
            let (gx, gc) = g.split_at_mut(6);
            rows_vjp(&v[..6], &v[6..], seed, gx, gc)
        },
        |v, d| rows_jvp(&v[..6], &v[6..], &d[..6], &d[6..]),
        &z,
    );
    // Closed form: Σ_rows |row|² through a helper is 2x.
    let x = [0.3, -0.7, 1.1, 0.4, 2.0, -1.5];
    let (value, g) = sum_of_row_norms_grad(&x);
    assert!((value - x.iter().map(|v| v * v).sum::<f64>()).abs() < 1e-12);
    for (gi, xi) in g.iter().zip(x) {
        assert!((gi - 2.0 * xi).abs() < 1e-12);
    }
}

#[differentiable]
fn local_sub_slices(x: [f64; 4], v: Vec<f64>) -> f64 {
    let squares = [x[0] * x[0], x[1] * x[1], x[2] * x[2], x[3]];
    norm2(&squares[1..]) + norm2(&v[..3]) * squares[0] + dot_product(&x[2..], &v[1..3])
}

#[test]
fn sub_slices_of_arrays_and_vecs() {
    let z = [0.3, -0.7, 1.1, 0.4, 0.9, -0.2, 0.6];
    check(
        "local_sub_slices",
        |w| local_sub_slices([w[0], w[1], w[2], w[3]], w[4..].to_vec()),
        |w, seed, g| {
            let (gx, gv) = g.split_at_mut(4);
            let mut ax = [0.0; 4];
            let value =
                local_sub_slices_vjp([w[0], w[1], w[2], w[3]], w[4..].to_vec(), seed, &mut ax, gv);
            for (g, a) in gx.iter_mut().zip(ax) {
                *g += a;
            }
            value
        },
        |w, d| {
            local_sub_slices_jvp(
                [w[0], w[1], w[2], w[3]],
                w[4..].to_vec(),
                [d[0], d[1], d[2], d[3]],
                &d[4..],
            )
        },
        &z,
    );
}

#[differentiable]
fn sum_of_row_norms(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..2 {
        s += norm2(&x[3 * i..3 * i + 3]);
    }
    s
}

// Loops that read `x[a + c]` take the sub-slice they read once, before the loop (a view):
// these are the cases where a view must not be taken, or must be empty.
#[allow(clippy::needless_range_loop)]
#[differentiable]
fn views_edge_cases(x: &[f64], n: usize, k: usize, m: usize) -> f64 {
    let mut s = 0.0;
    // the last iteration skips its read: x may be one shorter than the range
    for c in 0..n {
        if c + 1 == n {
            continue;
        }
        s += x[c] * x[c];
    }
    // no iteration at all, from a start past the end
    for c in 0..m {
        s += x[k + c];
    }
    // the read stops at a break
    for c in 0..n {
        if c + 1 >= x.len() {
            break;
        }
        s += x[c + 1] * 0.5;
    }
    // offsets from an outer loop, each element read once per row
    for i in 0..2 {
        for c in 0..2 {
            s += x[i * 2 + c].sin() * x[c];
        }
    }
    s
}

// Views of loops that start elsewhere than 0, at indices `c` plus or minus invariant terms.
#[allow(clippy::needless_range_loop)]
#[differentiable]
fn triangles(x: &[f64], l: &[f64]) -> f64 {
    let d = x.len();
    let mut s = 0.0;
    for c in 0..d {
        let column = c * d - c * (c + 1) / 2;
        for r in c + 1..d {
            s += l[column + r - c - 1] * x[r] * x[c];
        }
    }
    for r in 1..d {
        s += (x[r] - x[r - 1]).powi(2);
    }
    // empty ranges, one starting past its end, whose first index would underflow
    for r in d - 1..d - 3 {
        s += x[r - 7];
    }
    for r in d..d {
        s += l[r - d - 1];
    }
    s
}

#[test]
fn views_of_ranges_that_do_not_start_at_zero() {
    let z: Vec<f64> = (0..10).map(|i| 0.5 * (i as f64 * 1.3).cos() + 0.2).collect();
    check(
        "triangles",
        |v| triangles(&v[..4], &v[4..]),
        |v, seed, g| {
            let (gx, gl) = g.split_at_mut(4);
            triangles_vjp(&v[..4], &v[4..], seed, gx, gl)
        },
        |v, d| triangles_jvp(&v[..4], &v[4..], &d[..4], &d[4..]),
        &z,
    );
}

#[test]
fn views_where_the_loop_would_not_read_everything() {
    let x = [0.3, -0.7, 1.1, 0.4];
    // n = 5 reads x[0..4] in the first loop (its 5th iteration continues); m = 0 from k = 9
    let f = |v: &[f64]| views_edge_cases(v, 5, 9, 0);
    check(
        "views_edge_cases",
        f,
        |v, seed, g| views_edge_cases_vjp(v, 5, 9, 0, seed, g),
        |v, d| views_edge_cases_jvp(v, 5, 9, 0, d),
        &x,
    );
}

// Adapters whose indices nest inside each other (found by an adversarial review: without
// parentheses `k + 1 * 2` read the wrong elements, and `rev()` of chunks underflowed).
#[differentiable]
fn rev_skip(x: &[f64]) -> f64 {
    x.iter().rev().skip(1).map(|v| v * v).sum::<f64>()
}

#[differentiable]
fn step_skip(x: &[f64]) -> f64 {
    x.iter().step_by(2).skip(1).map(|v| v * v).sum::<f64>()
}

#[differentiable(wrt(x))]
fn step_by_expression(x: &[f64], s: usize) -> f64 {
    x.iter().step_by(s + 1).map(|v| v * v).sum::<f64>()
}

#[differentiable]
fn chunks_rev(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for c in x.chunks(2).rev() {
        s = s * 2.0 + c[0];
    }
    s
}

#[differentiable(wrt(x))]
fn chunks_of_expression(x: &[f64], d: usize) -> f64 {
    let mut s = 0.0;
    for c in x.chunks(d + 1) {
        s += c[0] * c[0];
    }
    s
}

// A fold's accumulator named like the sequence it folds (a body that shadows the sequence a
// window reads is refused: tests/ui/loop_forms.rs).
#[differentiable]
fn window_shadowed(x: &[f64], y: &[f64]) -> f64 {
    let mut s = 0.0;
    for w in x.windows(2) {
        let z = y;
        s += w[0] * z[0] + w[1];
    }
    s + x.iter().fold(0.0, |x, &v| x * 0.5 + v)
}

// Integer arithmetic on `.len()` of an active sequence is inactive (and so are the lengths the
// desugaring computes for `step_by(..).rev()` and `skip(..).rev()`).
#[differentiable]
fn length_arithmetic(x: &[f64], y: &[f64]) -> f64 {
    let last = x[x.len().saturating_sub(1)];
    let stepped: f64 = x.iter().step_by(2).rev().map(|v| v * v).sum();
    let zipped: f64 = x.iter().skip(1).rev().zip(y.iter()).map(|(a, b)| a * b).sum();
    let product: f64 = x.iter().rev().skip(2).map(|v| v + 1.0).product();
    last * (x.len() as f64) + stepped + zipped + product
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

// Buffers of inactive data (counts, indices) written by element beside active code.
#[allow(clippy::needless_range_loop)]
#[differentiable(wrt(x))]
fn histogram_weighted(x: &[f64], bins: &[usize], k: usize) -> f64 {
    let mut count = vec![0usize; k];
    for i in 0..x.len() {
        count[bins[i]] += 1;
    }
    let mut order = Vec::new();
    for j in 0..k {
        if count[j] > 0 {
            order.push(j);
        }
    }
    let mut s = 0.0;
    for i in 0..x.len() {
        s += x[i] * x[i] / count[bins[i]] as f64;
        count[bins[i]] -= 1;
    }
    s + order.len() as f64
}

#[test]
fn buffers_of_inactive_data() {
    let (x, bins) = ([1.0, 2.0, 3.0], [0, 1, 0]);
    // counts [2, 1]; the second loop divides by the count left in each bin: x0²/2, x1²/1, x2²/1
    let (v, g) = histogram_weighted_grad(&x, &bins, 2);
    assert_eq!(v, 0.5 + 4.0 + 9.0 + 2.0);
    assert_eq!(g, vec![1.0, 4.0, 6.0]);
}

#[test]
fn buffers_without_a_type_annotation() {
    let x = [1.0, 2.0, 3.0];
    let (v, g) = unannotated_buffers_grad(&x);
    assert_eq!(v, 14.0 + 2.0);
    assert_eq!(g, vec![2.0 + 4.0, 4.0, 6.0]);
}

#[test]
fn length_arithmetic_is_inactive() {
    let (x, y) = ([1.0, 2.0, 3.0, 4.0], [0.5, -1.0, 2.0]);
    // last = 4 (·4); stepped = 1 + 9; zipped = 4·0.5 + 3·(-1) + 2·2; product = (2 + 1)(1 + 1)
    let (v, (gx, gy)) = length_arithmetic_grad(&x, &y);
    assert_eq!(v, 16.0 + 10.0 + 3.0 + 6.0);
    assert_eq!(gx, vec![2.0 + 3.0, 2.0 + 2.0, 6.0 - 1.0, 4.0 + 0.5]);
    assert_eq!(gy, vec![4.0, 3.0, 2.0]);
}

#[test]
fn adapters_nested_in_each_other_and_shadowed_sequences() {
    let x = [1.0, 2.0, 3.0, 4.0, 5.0];
    let sq = |idx: &[usize]| {
        let value: f64 = idx.iter().map(|&i| x[i] * x[i]).sum();
        let grad: Vec<f64> =
            (0..5).map(|i| if idx.contains(&i) { 2.0 * x[i] } else { 0.0 }).collect();
        (value, grad)
    };
    let got = [
        rev_skip_grad(&x),
        step_skip_grad(&x),
        step_by_expression_grad(&x, 1),
        chunks_of_expression_grad(&x, 1),
    ];
    let want = [sq(&[0, 1, 2, 3]), sq(&[2, 4]), sq(&[0, 2, 4]), sq(&[0, 2, 4])];
    for (k, ((v, g), (wv, wg))) in got.iter().zip(&want).enumerate() {
        assert_eq!(v, wv, "case {k}");
        assert_eq!(g, wg, "case {k}");
    }
    // chunks [1,2] [3,4] [5] in reverse: s = ((0·2 + 5)·2 + 3)·2 + 1 = 27
    let (v, g) = chunks_rev_grad(&x);
    assert_eq!((v, g), (27.0, vec![1.0, 0.0, 2.0, 0.0, 4.0]));
    let (v, t) = chunks_rev_jvp(&x, &[1.0; 5]);
    assert_eq!((v, t), (27.0, 7.0));
    // windows: Σ (w0 · y0 + w1) = (1 + 2)·10 + 2 + 3 = 35; the fold: ((0·.5 + 1)·.5 + 2)·.5 + 3 = 4.25
    let (x, y) = ([1.0, 2.0, 3.0], [10.0, 20.0, 30.0]);
    let (v, (gx, gy)) = window_shadowed_grad(&x, &y);
    assert_eq!(v, 35.0 + 4.25);
    assert_eq!(gx, vec![10.0 + 0.25, 11.0 + 0.5, 1.0 + 1.0]);
    assert_eq!(gy, vec![3.0, 0.0, 0.0]);
}

// Windows and chunks used whole: iterated, reduced, zipped.
#[differentiable]
fn whole_windows(x: &[f64], c: &[f64]) -> f64 {
    let mut s = 0.0;
    for w in x.windows(3) {
        s += w.iter().sum::<f64>() * w[1];
    }
    for p in x.chunks(2) {
        let dot: f64 = p.iter().zip(c).map(|(a, b)| a * b).sum();
        s += dot * dot;
        for &v in p {
            s += v.sin();
        }
    }
    let means: f64 = x.chunks_exact(3).map(|p| p.iter().sum::<f64>() / 3.0).product();
    let zipped: f64 = x.windows(2).map(|w| c.iter().zip(w).map(|(a, b)| a * b).sum::<f64>()).sum();
    s + means + zipped
}

#[test]
fn windows_and_chunks_used_whole() {
    let z: Vec<f64> = (0..9).map(|i| 0.5 * (i as f64 * 1.3).cos() + 0.2).collect();
    check(
        "whole_windows",
        |v| whole_windows(&v[..7], &v[7..]),
        |v, seed, g| {
            let (gx, gc) = g.split_at_mut(7);
            whole_windows_vjp(&v[..7], &v[7..], seed, gx, gc)
        },
        |v, d| whole_windows_jvp(&v[..7], &v[7..], &d[..7], &d[7..]),
        &z,
    );
    // Closed form of one part: the sum over windows of 3 of (w0 + w1 + w2) * w1.
    let x = [0.3, -0.7, 1.1, 0.4];
    let (_, g) = whole_windows_parts_grad(&x);
    // f = (a + b + c) b + (b + c + d) c
    let [a, b, c, d] = x;
    let want = [b, a + 2.0 * b + 2.0 * c, 2.0 * b + 2.0 * c + d, c];
    for (gi, wi) in g.iter().zip(want) {
        assert!((gi - wi).abs() < 1e-12, "{gi} vs {wi}");
    }
}

#[differentiable]
fn whole_windows_parts(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for w in x.windows(3) {
        s += w.iter().sum::<f64>() * w[1];
    }
    s
}

#[test]
fn windows_chunks_and_adapters_of_slice_iterators() {
    let x: Vec<f64> = (0..7).map(|i| 0.3 * (i as f64 * 0.9).sin() + 0.4).collect();
    check(
        "rosenbrock_windows",
        rosenbrock_windows,
        rosenbrock_windows_vjp,
        rosenbrock_windows_jvp,
        &x,
    );
    // against the closed form of Rosenbrock's gradient
    let (_, g) = rosenbrock_windows_grad(&x);
    for (i, gi) in g.iter().enumerate() {
        let mut want = 0.0;
        if i + 1 < x.len() {
            want += -400.0 * x[i] * (x[i + 1] - x[i] * x[i]) - 2.0 * (1.0 - x[i]);
        }
        if i > 0 {
            want += 200.0 * (x[i] - x[i - 1] * x[i - 1]);
        }
        assert!((gi - want).abs() <= 1e-12 * want.abs().max(1.0), "{i}: {gi} vs {want}");
    }
    // 9 coordinates: three points of 3 (and ragged chunks of 4, 4, 1), 3 centre coordinates
    let z: Vec<f64> = (0..12).map(|i| 0.5 * (i as f64 * 1.3).cos() + 0.2).collect();
    check(
        "adapters",
        |v| adapters(&v[..9], &v[9..], 3),
        |v, seed, g| {
            let (gx, gc) = g.split_at_mut(9);
            adapters_vjp(&v[..9], &v[9..], 3, seed, gx, gc)
        },
        |v, t| adapters_jvp(&v[..9], &v[9..], 3, &t[..9], &t[9..]),
        &z,
    );
}

#[differentiable]
fn total(x: &[f64]) -> f64 {
    x.iter().sum()
}

#[test]
fn a_sum_has_the_value_of_std_s_sum_down_to_the_sign_of_zero() {
    for x in [&[][..], &[-0.0], &[-0.0, -0.0], &[1.5, -2.0]] {
        let (value, _) = total_grad(x);
        assert_eq!(value.to_bits(), total(x).to_bits(), "{x:?}");
        assert_eq!(total_jvp(x, x).0.to_bits(), total(x).to_bits(), "{x:?}");
    }
    assert!(total_grad(&[]).0.is_sign_negative(), "std's empty float sum is -0.0");
}

#[differentiable]
fn edges(x: &[f64], y: &[f64]) -> f64 {
    let a: f64 = x[1..].windows(3).map(|w| w[2] * w[0] - w[1]).sum();
    let b: f64 = x.chunks(3).map(|c| c[c.len() - 1] * c.len() as f64).sum();
    let mut c = 0.0;
    for (i, &v) in x.iter().rev().enumerate() {
        c += v * (i as f64 + 1.0);
    }
    let d: f64 = x.iter().skip(1).step_by(2).zip(y.iter().rev()).map(|(p, q)| p * q).sum();
    let e: f64 = x.iter().take(0).map(|v| v * 2.0).sum();
    let f = x[..2].iter().fold(1.0, |acc, &v| acc * (v + 2.0));
    let mut g = 0.0;
    for w in x.windows(2) {
        let j = 1;
        g += w[j] * w[j - 1];
    }
    a + b + c + d + e + f + g
}

/// Edge cases of the iterator forms: windows of a range, a short last chunk and `w.len()`,
/// `.rev().enumerate()`, `.skip(1).step_by(2).zip(.. .rev())`, an empty `.take(0)`, a fold
/// over a range, a window indexed by an expression of a loop-local name.
#[test]
fn edge_cases_of_iterator_forms() {
    let z = [0.3, -0.2, 0.5, 0.4, 0.7, 1.1, -0.6, 0.9, 0.25, 0.15];
    check(
        "edges",
        |v| edges(&v[..7], &v[7..]),
        |v, s, g| {
            let (a, b) = g.split_at_mut(7);
            edges_vjp(&v[..7], &v[7..], s, a, b)
        },
        |v, d| edges_jvp(&v[..7], &v[7..], &d[..7], &d[7..]),
        &z,
    );
    // short inputs (no windows of 3 in x[1..]) agree with the primal bit for bit
    for n in 2..5 {
        let x: Vec<f64> = (0..n).map(|i| i as f64 * 0.5 + 0.1).collect();
        let (v, _) = edges_grad(&x, &[0.5, 0.25]);
        assert_eq!(v.to_bits(), edges(&x, &[0.5, 0.25]).to_bits(), "n = {n}");
    }
}

/// Iterations collected into `Vec`s (typed by a `let`, a turbofish, or the function's result),
/// `to_vec()` copies written in place, and integer ranges mapped, folded and summed.
#[differentiable]
fn collected(x: &[f64], n: usize) -> f64 {
    let e: Vec<f64> = x.iter().map(|v| (0.5 * v).exp()).collect();
    let mut c = x.to_vec();
    for i in 1..c.len() {
        c[i] += c[i - 1] * e[i];
    }
    let weighted = (0..n).map(|i| c[i] * (i as f64 + 1.0)).sum::<f64>();
    let pairs = (1..n).fold(0.0, |acc: f64, i| acc + x[i] * x[i - 1]);
    let odd = (0..x.len()).rev().step_by(2).map(|i| x[i].sin()).sum::<f64>();
    let products = (0..n).map(|i| x[i] * x[n - 1 - i]).collect::<Vec<f64>>();
    let squares = products.iter().map(|p| p * p).collect::<Vec<_>>();
    let largest = x.iter().fold(0.0, |m: f64, &v| m.max(v.abs()));
    weighted + pairs + odd + squares.iter().sum::<f64>() + largest
}

/// Closed form of the collected forms' simplest pieces: with `c` and `e` left out (n = 0),
/// ∂/∂x_i is `cos x_i` at odd-from-the-end indices plus `sign(x_m)` at the largest |x_m|.
#[test]
fn iterations_collected_into_vecs_and_ranges_mapped() {
    let x = [0.4, -1.3, 0.9, 2.1, -0.6];
    let (value, g) = collected_grad(&x, 0);
    let odd: f64 = [4usize, 2, 0].iter().map(|&i| x[i].sin()).sum();
    assert!((value - (odd + 2.1)).abs() < 1e-12, "{value}");
    for i in 0..5 {
        let expected = if i % 2 == 0 { x[i].cos() } else { 0.0 } + if i == 3 { 1.0 } else { 0.0 };
        assert!((g[i] - expected).abs() < 1e-12, "{i}: {} vs {expected}", g[i]);
    }
    for n in [3, 5] {
        check(
            "collected",
            |x| collected(x, n),
            |x, s, g| collected_vjp(x, n, s, g),
            |x, d| collected_jvp(x, n, d),
            &x,
        );
    }
}

#[differentiable]
fn softmax(x: &[f64]) -> Vec<f64> {
    let m = x.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let e = x.iter().map(|v| (v - m).exp()).collect::<Vec<_>>();
    let s: f64 = e.iter().sum();
    e.iter().map(|v| v / s).collect()
}

/// Softmax written with `collect`: its Jacobian is `diag(p) - p pᵀ`, by rows from reverse
/// mode and by columns from forward mode.
#[test]
fn softmax_collected_has_its_closed_form_jacobian() {
    let x = [0.3, -1.2, 2.0, 0.7];
    let p = softmax(&x);
    let rows = jacobian(
        |x, y_bar, x_bar| {
            softmax_vjp(x, y_bar.to_vec(), x_bar);
        },
        &x,
        4,
    );
    let columns = jacobian_fwd(|x, d| softmax_jvp(x, d).1, &x, 4);
    for i in 0..4 {
        for j in 0..4 {
            let expected = if i == j { p[i] } else { 0.0 } - p[i] * p[j];
            assert!((rows[i][j] - expected).abs() < 1e-12, "J[{i}][{j}] = {}", rows[i][j]);
            assert!((columns[i][j] - expected).abs() < 1e-12, "forward J[{i}][{j}]");
        }
    }
}

#[differentiable]
fn swapped(x: f64, y: f64, n: usize) -> f64 {
    let mut a = x;
    let mut b = y;
    for _ in 0..n {
        std::mem::swap(&mut a, &mut b);
        a *= b.sin();
    }
    a + b
}

/// `std::mem::swap` of two locals, here inside a loop that tapes both.
#[test]
fn locals_swapped() {
    // n = 1: a = y sin x, b = x, so f = y sin x + x.
    let (x, y) = (0.7, -1.1);
    let (_, (gx, gy)) = swapped_grad(x, y, 1);
    assert!((gx - (y * x.cos() + 1.0)).abs() < 1e-12 && (gy - x.sin()).abs() < 1e-12);
    check(
        "swapped",
        |p| swapped(p[0], p[1], 4),
        |p, s, g| {
            let (gx, gy) = g.split_at_mut(1);
            swapped_vjp(p[0], p[1], 4, s, &mut gx[0], &mut gy[0])
        },
        |p, d| swapped_jvp(p[0], p[1], 4, d[0], d[1]),
        &[x, y],
    );
}

/// Collections of inactive data (indices) beside active values.
#[differentiable]
fn every_other(x: &[f64]) -> f64 {
    let even: Vec<usize> = (0..x.len()).filter(|i| i % 2 == 0).collect();
    let mut s = 0.0;
    for &i in even.iter() {
        s += x[i] * x[i];
    }
    s
}

#[test]
fn inactive_collections() {
    let x = [1.0, 2.0, 3.0, 4.0, 5.0];
    let (value, g) = every_other_grad(&x);
    assert_eq!(value, 1.0 + 9.0 + 25.0);
    assert_eq!(g, vec![2.0, 0.0, 6.0, 0.0, 10.0]);
}

#[differentiable]
fn copies(x: &[f64], v: Vec<f64>) -> f64 {
    let mut b = vec![0.0; x.len()];
    for i in 0..x.len() {
        b[i] = x[i] * v[i];
    }
    let before = b.clone();
    for i in 1..b.len() {
        b[i] += b[i - 1];
    }
    let mut w = v.clone();
    w[0] = x[0];
    let sum: f64 = before.iter().zip(b.iter()).map(|(p, q)| p * q).sum();
    sum + w.iter().map(|a| a.sin()).sum::<f64>()
}

/// `clone()` of a buffer (a copy of what it holds at that point) and of a `Vec` parameter.
#[test]
fn clones_of_vecs_and_buffers() {
    let (x, v) = ([0.4, -1.3, 0.9, 2.1], vec![1.5, 0.5, -0.7, 1.1]);
    let n = x.len();
    let point: Vec<f64> = x.iter().chain(&v).copied().collect();
    check(
        "copies",
        |p| copies(&p[..n], p[n..].to_vec()),
        |p, s, g| {
            let (gx, gv) = g.split_at_mut(n);
            copies_vjp(&p[..n], p[n..].to_vec(), s, gx, gv)
        },
        |p, d| copies_jvp(&p[..n], p[n..].to_vec(), &d[..n], &d[n..]),
        &point,
    );
}

/// `.filter(..)` before a sum, a fold, a `for` loop and a collection: the items it drops
/// contribute nothing.
#[differentiable]
fn filtered(x: &[f64], y: &[f64]) -> f64 {
    let positive: f64 = x.iter().filter(|v| **v > 0.0).map(|v| v * v).sum();
    let even =
        x.iter().enumerate().filter(|(i, _)| *i % 2 == 0).fold(0.0, |a: f64, (_, v)| a + v.sin());
    let mut pairs = 0.0;
    for (a, b) in x.iter().zip(y).filter(|&(a, b)| a.abs() < b.abs()) {
        pairs += a * b;
    }
    let large: Vec<f64> = y.iter().copied().filter(|&v| v.abs() > 1.0).rev().collect();
    let last = if large.is_empty() { 0.0 } else { large[0] };
    positive + even + pairs + last * x[0]
}

/// Closed form at a point where each filter keeps some items and drops others.
#[test]
fn filters_drop_items() {
    let (x, y) = ([0.5, -1.5, 2.0, -0.25], [1.0, 0.5, -3.0, 2.5]);
    let (value, (gx, gy)) = filtered_grad(&x, &y);
    // positive: 0.25 + 4; even: sin 0.5 + sin 2; pairs: |x| < |y| at 0 (0.5 < 1), 2 (2 < 3),
    // 3 (0.25 < 2.5); large, reversed: [2.5, -3.0], so last = 2.5.
    let expected = 0.25 + 4.0 + 0.5f64.sin() + 2.0f64.sin() + (0.5 - 6.0 - 0.625) + 2.5 * 0.5;
    assert!((value - expected).abs() < 1e-12, "{value} vs {expected}");
    let gx_expected = [1.0 + 0.5f64.cos() + 1.0 + 2.5, 0.0, 4.0 + 2.0f64.cos() - 3.0, 2.5];
    let gy_expected = [0.5, 0.0, 2.0, -0.25 + 0.5];
    for i in 0..4 {
        assert!((gx[i] - gx_expected[i]).abs() < 1e-12, "x {i}: {}", gx[i]);
        assert!((gy[i] - gy_expected[i]).abs() < 1e-12, "y {i}: {}", gy[i]);
    }
    let point = [x.as_slice(), y.as_slice()].concat();
    check(
        "filtered",
        |p| filtered(&p[..4], &p[4..]),
        |p, s, g| {
            let (gx, gy) = g.split_at_mut(4);
            filtered_vjp(&p[..4], &p[4..], s, gx, gy)
        },
        |p, d| filtered_jvp(&p[..4], &p[4..], &d[..4], &d[4..]),
        &point,
    );
}

/// Double buffering: each step reads `a` and writes `b`, then the two are swapped.
#[differentiable]
fn double_buffered(x: &[f64], steps: usize) -> f64 {
    let mut a = x.to_vec();
    let mut b = vec![0.0; x.len()];
    for _ in 0..steps {
        b[0] = a[0];
        for i in 1..a.len() {
            b[i] = a[i] * a[i - 1].sin() + 0.5 * b[i];
        }
        std::mem::swap(&mut a, &mut b);
    }
    a[a.len() - 1] + 0.3 * b[1]
}

/// One step from `b = 0`: `a = [x0, x1 sin x0, x2 sin x1]`, `b = x`, so the result is
/// `x2 sin x1 + 0.3 x1`.
#[test]
fn buffers_swapped() {
    let x = [0.3, -1.2, 2.0];
    let (value, g) = double_buffered_grad(&x, 1);
    assert!((value - (x[2] * x[1].sin() + 0.3 * x[1])).abs() < 1e-12);
    let expected = [0.0, x[2] * x[1].cos() + 0.3, x[1].sin()];
    for i in 0..3 {
        assert!((g[i] - expected[i]).abs() < 1e-12, "{i}: {}", g[i]);
    }
    let x = [0.3, -1.2, 2.0, 0.7, -0.4];
    for steps in [2, 3] {
        check(
            "double_buffered",
            |x| double_buffered(x, steps),
            |x, s, g| double_buffered_vjp(x, steps, s, g),
            |x, d| double_buffered_jvp(x, steps, d),
            &x,
        );
    }
}

/// Copies and collections of data that is not floats stay as written (a set, indices), and a
/// closure's parameter that shares a `Vec`'s name does not stop the `Vec`'s copy.
#[differentiable]
fn indices_and_copies(x: &[f64]) -> f64 {
    let set: std::collections::BTreeSet<usize> = [2usize, 0, 2].into_iter().collect();
    let idx: Vec<usize> = vec![2, 0];
    let j = idx.clone();
    let k = [3usize, 1].to_vec();
    let mut v = x.to_vec();
    let c = v.clone();
    v[0] = 5.0 * v[1];
    let squares = x.iter().map(|v| v * v).sum::<f64>();
    let mut s = 0.0;
    for &i in set.iter() {
        s += x[i] * x[j[0]];
    }
    s + x[k[0]] * x[k[1]] + c[0] * v[0] + squares
}

#[test]
fn copies_of_inactive_data_and_shadowed_names() {
    check(
        "indices_and_copies",
        indices_and_copies,
        indices_and_copies_vjp,
        indices_and_copies_jvp,
        &[0.3, -1.2, 2.0, 0.7],
    );
}

#[differentiable]
fn collected_in_branches(x: &[f64], c: bool) -> f64 {
    let e: Vec<f64> =
        if c { x.iter().map(|v| v.sin()).collect() } else { x.iter().map(|v| v.cos()).collect() };
    e[0] * e[1]
}

#[differentiable]
fn neighbour_products(x: &[f64], n: usize) -> Vec<f64> {
    (1..n).map(|i| x[i] * x[i - 1]).collect()
}

/// A collection as a branch's value, and a range's collection typed by the function's result.
#[test]
fn collections_as_branch_values_and_results() {
    let x = [0.3, -1.2, 2.0, 0.7];
    for c in [true, false] {
        check(
            "collected_in_branches",
            |x| collected_in_branches(x, c),
            |x, s, g| collected_in_branches_vjp(x, c, s, g),
            |x, d| collected_in_branches_jvp(x, c, d),
            &x,
        );
    }
    let rows = jacobian(
        |x, y_bar, x_bar| {
            neighbour_products_vjp(x, 4, y_bar.to_vec(), x_bar);
        },
        &x,
        3,
    );
    let columns = jacobian_fwd(|x, d| neighbour_products_jvp(x, 4, d).1, &x, 3);
    for i in 0..3 {
        for j in 0..4 {
            let expected = if j == i + 1 {
                x[i]
            } else if j == i {
                x[i + 1]
            } else {
                0.0
            };
            assert_eq!(rows[i][j], expected, "J[{i}][{j}]");
            assert_eq!(columns[i][j], expected, "forward J[{i}][{j}]");
        }
    }
}

/// Rows as arrays: `&[[f64; 3]]`, `Vec<[f64; 2]>` and `[[f64; 2]; 2]` are active, read as
/// `p[i][k]`, as items of `p.iter()` and through windows.
#[allow(clippy::needless_range_loop)] // `p[i][k]` is what this tests
#[differentiable]
fn row_sums(p: &[[f64; 3]], q: Vec<[f64; 2]>, m: [[f64; 2]; 2]) -> f64 {
    let mut s = 0.0;
    for i in 0..p.len() {
        s += p[i][0] * p[i][1] + p[i][2].sin() * m[0][1];
    }
    for r in q.iter() {
        s += r[0] * m[0][0] + r[1] * m[1][1];
    }
    for w in q.windows(2) {
        s += (w[1][0] - w[0][1]).powi(2);
    }
    s
}

#[test]
fn rows_of_arrays() {
    let (p, q, m) = (
        vec![[0.3, -1.2, 2.0], [0.7, 0.1, 0.5]],
        vec![[0.3, -1.2], [0.7, 0.1], [2.0, 0.4]],
        [[1.0, 2.0], [3.0, 4.0]],
    );
    // flattened: 6 of p, 6 of q, 4 of m
    let unflatten = |x: &[f64]| {
        let p: Vec<[f64; 3]> = x[..6].chunks(3).map(|c| [c[0], c[1], c[2]]).collect();
        let q: Vec<[f64; 2]> = x[6..12].chunks(2).map(|c| [c[0], c[1]]).collect();
        (p, q, [[x[12], x[13]], [x[14], x[15]]])
    };
    let flatten = |p: &[[f64; 3]], q: &[[f64; 2]], m: &[[f64; 2]; 2]| -> Vec<f64> {
        p.iter().flatten().chain(q.iter().flatten()).chain(m.iter().flatten()).copied().collect()
    };
    let x = flatten(&p, &q, &m);
    check(
        "row_sums",
        |x| {
            let (p, q, m) = unflatten(x);
            row_sums(&p, q, m)
        },
        |x, s, g| {
            let (p, q, m) = unflatten(x);
            let (mut gp, mut gq, mut gm) = (vec![[0.0; 3]; 2], vec![[0.0; 2]; 3], [[0.0; 2]; 2]);
            let value = row_sums_vjp(&p, q, m, s, &mut gp, &mut gq, &mut gm);
            for (a, b) in g.iter_mut().zip(flatten(&gp, &gq, &gm)) {
                *a += b;
            }
            value
        },
        |x, d| {
            let ((p, q, m), (dp, dq, dm)) = (unflatten(x), unflatten(d));
            row_sums_jvp(&p, q, m, &dp, &dq, dm)
        },
        &x,
    );
    // closed form of one entry: ∂/∂m[0][1] = Σ sin p[i][2]
    let (_, (_, _, gm)) = row_sums_grad(&p, q, m);
    assert!((gm[0][1] - (2.0f64.sin() + 0.5f64.sin())).abs() < 1e-12);
}

/// Filter predicates are kept as written, with the references Rust gives them, and a filtered
/// collection of an unknown element type is counted first.
#[differentiable]
fn predicates_as_written(x: &[f64]) -> f64 {
    let a: f64 = x.iter().filter(|v| *v > &0.0).map(|v| v * v).sum();
    let b: f64 = x.iter().filter(|&&v| v < 1.0).map(|v| v.sin()).sum();
    let c =
        x.iter().enumerate().filter(|&(i, v)| i > 0 && *v < 2.0).map(|(_, v)| v * 3.0).sum::<f64>();
    let d = x.windows(2).filter(|w| w[0] < w[1]).map(|w| w[1] - w[0]).sum::<f64>();
    let e = x.iter().filter(|v| **v > 0.0).map(|v| v * 2.0).collect::<Vec<_>>();
    a + b + c + d + e.iter().sum::<f64>() * e[0]
}

/// A name used for something else elsewhere (a loop pattern, a block's `let`) still names a
/// buffer where the buffer is in scope: its copy and its swap are made element by element.
#[differentiable]
fn names_reused(x: &[f64], steps: usize) -> f64 {
    let mut s = 0.0;
    for &v in x.iter() {
        s += v * v;
    }
    let mut u = x.to_vec();
    let mut v = vec![0.0; x.len()];
    for _ in 0..steps {
        for i in 0..u.len() {
            v[i] = u[i] * s.sin();
        }
        std::mem::swap(&mut u, &mut v);
    }
    let r = {
        let b = u[0] * 2.0;
        b * b
    };
    for &c in x.iter() {
        s += c;
    }
    let mut c = x.to_vec();
    c[0] = 3.0 * c[1];
    let d = c.clone();
    u[0] + v[1] + r + d[0] * s
}

#[test]
fn filters_as_written_and_names_in_scope() {
    let x = [0.3, -1.2, 2.2, 0.7, 1.5];
    check(
        "predicates_as_written",
        predicates_as_written,
        predicates_as_written_vjp,
        predicates_as_written_jvp,
        &x,
    );
    check(
        "names_reused",
        |x| names_reused(x, 3),
        |x, s, g| names_reused_vjp(x, 3, s, g),
        |x, d| names_reused_jvp(x, 3, d),
        &x,
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

/// `vec![0; n]` of integers, pushed in a loop: data without a derivative.
#[differentiable]
fn counted_indices(x: &[f64]) -> f64 {
    let mut v: Vec<usize> = vec![0; x.len()];
    for i in 0..x.len() {
        v.push(i);
    }
    x[0] * v.len() as f64
}

#[test]
fn integer_vecs_pushed_in_loops() {
    assert_eq!(counted_indices_grad(&[1.0, 2.0]), (4.0, vec![4.0, 0.0]));
}

/// Gaussian elimination with partial pivoting on a flattened n x n matrix (rows swapped with
/// `b.swap(i, j)`), then the determinant; and a buffer reversed, copied into and extended.
#[differentiable]
fn pivoted_determinant(a: &[f64], n: usize) -> f64 {
    let mut m = a.to_vec();
    let mut det = 1.0;
    for k in 0..n {
        let mut p = k;
        for i in k + 1..n {
            if m[i * n + k].abs() > m[p * n + k].abs() {
                p = i;
            }
        }
        if p != k {
            for j in 0..n {
                m.swap(k * n + j, p * n + j);
            }
            det = -det;
        }
        det *= m[k * n + k];
        for i in k + 1..n {
            let f = m[i * n + k] / m[k * n + k];
            for j in k..n {
                m[i * n + j] -= f * m[k * n + j];
            }
        }
    }
    det
}

#[allow(clippy::needless_range_loop)] // the weights are the positions
#[differentiable]
fn rearranged(x: &[f64]) -> f64 {
    let mut b = vec![0.0; x.len()];
    b.copy_from_slice(x);
    b.reverse();
    b.extend_from_slice(&x[1..]);
    let mut s = 0.0;
    for i in 0..b.len() {
        s += (i as f64 + 1.0) * b[i] * b[i];
    }
    s
}

#[test]
fn elements_swapped_reversed_and_copied_in_place() {
    // det [[1, 2, 0], [3, 1, 4], [0, 5, 2]] = 1(2 - 20) - 2(6 - 0) = -30; ∂det/∂a_ij = cofactor
    let a = [1.0, 2.0, 0.0, 3.0, 1.0, 4.0, 0.0, 5.0, 2.0];
    let (value, g) = pivoted_determinant_grad(&a, 3);
    assert!((value + 30.0).abs() < 1e-12, "{value}");
    let cofactors = [-18.0, -6.0, 15.0, -4.0, 2.0, -5.0, 8.0, -4.0, -5.0];
    for k in 0..9 {
        assert!((g[k] - cofactors[k]).abs() < 1e-12, "{k}: {}", g[k]);
    }
    check(
        "pivoted_determinant",
        |a| pivoted_determinant(a, 3),
        |a, s, g| pivoted_determinant_vjp(a, 3, s, g),
        |a, d| pivoted_determinant_jvp(a, 3, d),
        &a,
    );
    let x = [0.5, -1.0, 2.0, 0.25];
    // b = [0.25, 2, -1, 0.5, -1, 2, 0.25]: x3 at 1, x2 at 2 and 6, x1 at 3 and 5, x0 at 4, x3 at 7
    let (value, g) = rearranged_grad(&x);
    let expected = 0.0625 + 2.0 * 4.0 + 3.0 + 4.0 * 0.25 + 5.0 + 6.0 * 4.0 + 7.0 * 0.0625;
    assert!((value - expected).abs() < 1e-12, "{value}");
    let ge =
        [2.0 * 4.0 * 0.5, -(2.0 * (3.0 + 5.0)), 2.0 * (2.0 + 6.0) * 2.0, 2.0 * (1.0 + 7.0) * 0.25];
    for k in 0..4 {
        assert!((g[k] - ge[k]).abs() < 1e-12, "{k}: {}", g[k]);
    }
}

/// A matrix as `Vec` rows, `&[Vec<f64>]` (and `Vec<Vec<f64>>`), read by element `a[i][j]`:
/// `|A x|²`, whose gradient is `2 (A x) xᵀ` for `A` and `2 Aᵀ A x` for `x`.
#[allow(clippy::needless_range_loop)] // `a[i][j]` is what this tests
#[differentiable]
fn squared_image(a: &[Vec<f64>], x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..a.len() {
        let mut r = 0.0;
        for j in 0..a[i].len() {
            r += a[i][j] * x[j];
        }
        s += r * r;
    }
    s
}

#[differentiable]
fn cross_term(a: Vec<Vec<f64>>) -> f64 {
    a[0][1] * a[1][0] - a[0][0] * a[1][1]
}

#[test]
fn vec_rows_read_by_element() {
    let a = vec![vec![1.0, 2.0, -1.0], vec![3.0, -1.0, 0.5]];
    let x = [0.5, 0.25, 2.0];
    let (value, (ga, gx)) = squared_image_grad(&a, &x);
    let ax: Vec<f64> = a.iter().map(|row| row.iter().zip(&x).map(|(p, q)| p * q).sum()).collect();
    assert!((value - ax.iter().map(|r| r * r).sum::<f64>()).abs() < 1e-12);
    for i in 0..2 {
        for j in 0..3 {
            assert!((ga[i][j] - 2.0 * ax[i] * x[j]).abs() < 1e-12, "A {i} {j}");
        }
    }
    for j in 0..3 {
        let expected: f64 = (0..2).map(|i| 2.0 * a[i][j] * ax[i]).sum();
        assert!((gx[j] - expected).abs() < 1e-12, "x {j}");
    }
    // forward mode along a direction for A agrees with reverse mode
    let da = vec![vec![0.5, 0.0, 1.0], vec![-1.0, 2.0, 0.0]];
    let (_, tangent) = squared_image_jvp(&a, &x, &da, &[0.0; 3]);
    let dot: f64 =
        (0..2).flat_map(|i| (0..3).map(move |j| (i, j))).map(|(i, j)| ga[i][j] * da[i][j]).sum();
    assert!((tangent - dot).abs() < 1e-12);
    let (value, g) = cross_term_grad(vec![vec![1.0, 2.0], vec![3.0, -1.0]]);
    assert_eq!(value, 7.0);
    assert_eq!(g, vec![vec![1.0, 3.0], vec![2.0, -1.0]]);
}

/// Arrays of active values and `collect::<Vec<_>>()` results changed in place.
#[differentiable]
fn literal_arrays_changed(x: &[f64]) -> f64 {
    let mut a = [x[0], x[1], x[2]];
    a.swap(0, 1);
    a[1..3].reverse();
    let mut c = [0.0; 3];
    c.copy_from_slice(&a);
    let mut b = x.iter().map(|v| v * 2.0).collect::<Vec<_>>();
    b.swap(0, 1);
    c[0] * 2.0 + c[1] * c[2] + b[0]
}

#[differentiable]
fn swap_past_a_sub_slice(x: &[f64]) -> f64 {
    let mut b = x.to_vec();
    b[1..3].swap(0, 2);
    b[0] + b[3]
}

#[differentiable]
fn copy_of_another_length(x: &[f64]) -> f64 {
    let mut b = x.to_vec();
    b[1..3].copy_from_slice(&x[0..3]);
    b[0] + b[3]
}

#[test]
fn in_place_methods_on_literal_arrays() {
    // a = [x1, x0, x2] -> [x1, x2, x0]; value 2 x1 + x2 x0 + 2 x1
    let x = [0.5, -1.0, 2.0, 0.3];
    let (value, g) = literal_arrays_changed_grad(&x);
    assert!((value - (4.0 * x[1] + x[2] * x[0])).abs() < 1e-12);
    assert_eq!(g, vec![x[2], 4.0, x[0], 0.0]);
}

#[test]
#[should_panic(expected = "index out of bounds")]
fn a_swap_past_a_sub_slice_panics_as_std_does() {
    swap_past_a_sub_slice_grad(&[0.5, -1.0, 2.0, 0.3, 0.7]);
}

#[test]
#[should_panic(expected = "source slice length does not match destination slice length")]
fn a_copy_of_another_length_panics_as_std_does() {
    copy_of_another_length_grad(&[0.5, -1.0, 2.0, 0.3, 0.7]);
}

/// Array literals of float locals and of elements of rows and points, changed in place; a
/// sub-slice of `Vec` rows passed on.
#[differentiable]
fn literals_of_locals(y: f64, a: &[Vec<f64>]) -> f64 {
    let z = 2.0 * y;
    let mut w = [y, z, a[0][1]];
    w.swap(0, 1);
    w.reverse();
    w[0] * 3.0 + w[1] * w[2]
}

#[allow(clippy::needless_range_loop)] // `a[i][j]` is what this tests
#[differentiable]
fn weighted_rows(a: &[Vec<f64>], x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..a.len() {
        for j in 0..x.len() {
            s += a[i][j] * x[j];
        }
    }
    s
}

#[differentiable]
fn rows_after_the_first(a: &[Vec<f64>], x: &[f64]) -> f64 {
    weighted_rows(&a[1..], x)
}

#[test]
fn literals_of_locals_and_sub_slices_of_rows() {
    // w = [y, 2y, a01] -> [2y, y, a01] -> [a01, y, 2y]: 3 a01 + 2 y²
    let a = vec![vec![1.0, 2.0], vec![3.0, 4.0], vec![5.0, 6.0]];
    let (value, (gy, ga)) = literals_of_locals_grad(1.5, &a);
    assert_eq!(value, 3.0 * 2.0 + 2.0 * 1.5 * 1.5);
    assert_eq!(gy, 4.0 * 1.5);
    assert_eq!(ga, vec![vec![0.0, 3.0], vec![0.0, 0.0], vec![0.0, 0.0]]);
    let (value, (ga, gx)) = rows_after_the_first_grad(&a, &[1.0, 0.5]);
    assert_eq!(value, 13.0);
    assert_eq!(ga, vec![vec![0.0, 0.0], vec![1.0, 0.5], vec![1.0, 0.5]]);
    assert_eq!(gx, vec![8.0, 10.0]);
}

/// `swap` and `reverse` of data that is not `Copy` (strings, rows) stay as written.
#[allow(clippy::useless_vec)] // `Vec`s are what this tests
#[differentiable]
fn strings_and_rows_swapped(x: f64) -> f64 {
    let mut names = vec![String::from("a"), String::from("b")];
    names.swap(0, 1);
    names.reverse();
    let mut rows = vec![vec![1.0, 2.0], vec![3.0, 4.0]];
    rows.swap(0, 1);
    let (a, b) = (String::from("c"), String::from("dd"));
    let mut more = [a, b];
    more.swap(0, 1);
    let r0: Vec<usize> = vec![1, 2];
    let r1: Vec<usize> = vec![3];
    let mut lists = [r0, r1];
    lists.reverse();
    let scale = (more[0].len() * lists[0].len()) as f64 / 2.0;
    if names[0] == "a" { x * x * rows[0][0] * scale } else { 2.0 * x }
}

#[test]
fn swaps_of_data_that_is_not_copy() {
    assert_eq!(strings_and_rows_swapped_grad(0.5), (0.75, 3.0));
}

/// Constant `Vec` rows swapped (a plain value), a copied-then-filtered collection, a literal of
/// locals computed by methods, and array rows iterated and swapped.
#[allow(clippy::manual_memcpy)] // element by element is what this tests
#[differentiable]
fn assorted_forms(x: &[f64], p: &[[f64; 2]]) -> f64 {
    let mut rows: Vec<Vec<f64>> = vec![vec![1.0], vec![2.0, 3.0]];
    rows.swap(0, 1);
    let positive: Vec<f64> = x.iter().copied().filter(|v| *v > 0.0).collect();
    let (y, z) = (x[0] * 2.0, x[1].sin());
    let mut pair = [y, z];
    pair.swap(0, 1);
    let mut s = 0.0;
    for r in p.iter() {
        s += r[0] * r[1];
    }
    let mut q: Vec<[f64; 2]> = vec![[0.0; 2]; p.len()];
    for i in 0..p.len() {
        q[i] = p[i];
    }
    q.swap(0, 1);
    x[0] * rows[0].len() as f64
        + positive.iter().sum::<f64>()
        + pair[0] * 3.0
        + pair[1]
        + s
        + q[0][0]
}

#[test]
fn assorted_forms_from_a_regression_sweep() {
    let (x, p) = ([1.0, 0.5, -2.0], [[1.0, 2.0], [3.0, 4.0]]);
    let (value, (gx, gp)) = assorted_forms_grad(&x, &p);
    let expected = 2.0 + 1.5 + 3.0 * 0.5f64.sin() + 2.0 + 14.0 + 3.0;
    assert!((value - expected).abs() < 1e-12, "{value}");
    assert!(
        (gx[0] - (2.0 + 1.0 + 2.0)).abs() < 1e-12
            && (gx[1] - (1.0 + 3.0 * 0.5f64.cos())).abs() < 1e-12
    );
    assert_eq!(gx[2], 0.0);
    assert_eq!(gp, vec![[2.0, 1.0], [5.0, 3.0]]);
}

/// `Vec` rows left out of `wrt` are data: iterated by row as written.
#[differentiable(wrt(x))]
fn rows_as_data(x: f64, rows: &[Vec<f64>], table: Vec<Vec<f32>>) -> f64 {
    let mut s = 0.0;
    for r in rows.iter() {
        s += r[0];
    }
    let t: f64 = rows.iter().map(|r| r[0]).sum();
    for row in table.iter() {
        for &v in row.iter() {
            s += v as f64;
        }
    }
    x * s + t * x
}

#[test]
fn vec_rows_left_out_of_wrt_are_data() {
    let rows = [vec![1.0, 2.0], vec![3.0, -1.0]];
    let (value, g) = rows_as_data_grad(0.5, &rows, vec![vec![1.0, 2.0], vec![0.5]]);
    assert_eq!((value, g), (0.5 * 11.5, 11.5));
}

/// `Vec`s only ever assigned whole are values: swapping two of different lengths swaps them.
#[differentiable]
fn swapped_values(x: f64) -> f64 {
    let mut a = vec![1.0, 2.0, 3.0];
    let mut b = vec![4.0, 5.0];
    std::mem::swap(&mut a, &mut b);
    x * (a.len() as f64) + x * b[2]
}

#[test]
fn vecs_of_different_lengths_swapped_whole() {
    assert_eq!(swapped_values_grad(0.5), (0.5 * 2.0 + 0.5 * 3.0, 5.0));
}

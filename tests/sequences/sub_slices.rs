//! Sub-slices of active sequences: taken as values, passed to functions, indexed and iterated;
//! and the views loops take of the range of a sequence they read.

use autodiff::prelude::*;

use super::{dot_product, dot_product_jvp, dot_product_vjp, norm2, norm2_jvp, norm2_vjp};
use crate::common::check;

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

#[differentiable]
fn sum_of_row_norms(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..2 {
        s += norm2(&x[3 * i..3 * i + 3]);
    }
    s
}

#[test]
fn sub_slices_as_values() {
    let z: Vec<f64> = (0..10).map(|i| 0.5 * (i as f64 * 1.3).cos() + 0.2).collect();
    check_fn!(rows, rows_vjp, rows_jvp, |v| (&v[..6], &v[6..]), &z);
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

#[test]
fn views_where_the_loop_would_not_read_everything() {
    let x = [0.3, -0.7, 1.1, 0.4];
    // n = 5 reads x[0..4] in the first loop (its 5th iteration continues); m = 0 from k = 9
    check_fn!(
        views_edge_cases,
        views_edge_cases_vjp,
        views_edge_cases_jvp,
        |v| (&v[..], 5, 9, 0),
        &x
    );
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
    check_fn!(triangles, triangles_vjp, triangles_jvp, |v| (&v[..4], &v[4..]), &z);
}

#[differentiable]
fn squares_summed(v: &[f64]) -> f64 {
    v.iter().map(|a| a * a).sum()
}

// A buffer borrowed whole into a name (`let r: &[f64] = &c;`, `let q = &c;`, a closure's
// parameter) and passed on or read through it.
#[differentiable]
fn borrowed_whole(w: &[f64]) -> f64 {
    let mut c = vec![0.0; 3];
    for j in 0..3 {
        c[j] = w[j] * 2.0;
    }
    let r: &[f64] = &c;
    let q = &c;
    let norm = |v: &[f64]| squares_summed(v);
    squares_summed(r) + r[1] * q[2] + norm(&c) + q.len() as f64
}

#[test]
fn buffers_borrowed_whole_into_names() {
    check_fn!(
        borrowed_whole,
        borrowed_whole_vjp,
        borrowed_whole_jvp,
        |v| (&v[..3]),
        &[0.3, -0.7, 1.1]
    );
}

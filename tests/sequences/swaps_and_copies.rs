//! Values moved around whole or in place: `std::mem::swap` of locals and buffers, `clone()` and
//! `to_vec()` copies, and the `swap`, `reverse`, `copy_from_slice` and `extend_from_slice` of
//! buffers and arrays (panicking where std's do), also of data that is not floats or not `Copy`.

use autodiff::prelude::*;

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
    check_fn!(swapped, swapped_vjp, swapped_jvp, |p| (p[0], p[1], 4), &[x, y]);
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
        check_fn!(
            double_buffered,
            double_buffered_vjp,
            double_buffered_jvp,
            |x| (&x[..], steps),
            &x
        );
    }
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
    check_fn!(copies, copies_vjp, copies_jvp, |p| (&p[..n], p[n..].to_vec()), &point);
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
    check_fn!(
        pivoted_determinant,
        pivoted_determinant_vjp,
        pivoted_determinant_jvp,
        |a| (&a[..], 3),
        &a
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

/// Gaussian elimination with partial pivoting on a local array of arrays: rows swapped
/// (`m.swap(0, 1)`) inside a branch, then written element by element (index loops, as
/// numerical code writes them).
#[allow(clippy::needless_range_loop)]
#[differentiable]
fn pivoted_elimination(a: [[f64; 3]; 3]) -> f64 {
    let mut m = a;
    for col in 0..2 {
        let mut piv = col;
        for r in col + 1..3 {
            if m[r][col].abs() > m[piv][col].abs() {
                piv = r;
            }
        }
        if piv != col {
            m.swap(col, piv);
        }
        for r in col + 1..3 {
            let factor = m[r][col] / m[col][col];
            for k in col..3 {
                m[r][k] -= factor * m[col][k];
            }
        }
    }
    m[2][2] * m[1][1] + m[0][2]
}

#[test]
fn rows_of_an_array_swapped_while_pivoting() {
    let unpack = |v: &[f64]| [[v[0], v[1], v[2]], [v[3], v[4], v[5]], [v[6], v[7], v[8]]];
    let point = [1.0, 2.0, 0.5, 4.0, 1.0, -1.0, 0.3, 0.7, 3.0];
    crate::common::check(
        "pivoted_elimination",
        |v| pivoted_elimination(unpack(v)),
        |v, s, g| {
            let mut bar = [[0.0; 3]; 3];
            let value = pivoted_elimination_vjp(unpack(v), s, &mut bar);
            g.iter_mut().zip(bar.concat()).for_each(|(a, b)| *a += b);
            value
        },
        |v, d| pivoted_elimination_jvp(unpack(v), unpack(d)),
        &point,
    );
}

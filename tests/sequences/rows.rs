//! Rows: sequences of float arrays (`&[[f64; 3]]`, `Vec<[f64; 2]>`, `[[f64; 2]; 2]`) and `Vec`
//! rows (`&[Vec<f64>]`, `Vec<Vec<f64>>`), read by element, iterated, passed on as sub-slices, and
//! left out of `wrt` as data.

use autodiff::prelude::*;

use crate::common::check;

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
fn constant_rows_literals_and_array_rows_swapped_beside_a_filtered_copy() {
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

#[differentiable]
fn rows_iterated(w: &[Vec<f64>], x: &[f64]) -> f64 {
    let mut s = 0.0;
    for row in w.iter() {
        for j in 0..row.len() {
            s += row[j] * x[j];
        }
    }
    s
}

/// Logistic-style loss over feature rows left out by `wrt`, each row zipped with the weights.
#[differentiable(wrt(weights, bias))]
fn rows_as_features(weights: &[f64], bias: f64, features: &[Vec<f64>], labels: &[f64]) -> f64 {
    let mut total = 0.0;
    for (x, &y) in features.iter().zip(labels.iter()) {
        let z: f64 = weights.iter().zip(x.iter()).map(|(w, xi)| w * xi).sum::<f64>() + bias;
        let p = 1.0 / (1.0 + (-z).exp());
        total -= y * p.ln() + (1.0 - y) * (1.0 - p).ln();
    }
    total
}

#[test]
fn vec_rows_iterated_row_by_row() {
    let w = vec![vec![1.0, 2.0], vec![3.0, 4.0]];
    let (value, (gw, gx)) = rows_iterated_grad(&w, &[0.5, -1.0]);
    assert_eq!(value, 0.5 - 2.0 + 1.5 - 4.0);
    assert_eq!(gw, vec![vec![0.5, -1.0], vec![0.5, -1.0]]);
    assert_eq!(gx, vec![4.0, 6.0]);
    let (features, labels) =
        (vec![vec![0.5, -1.2], vec![1.5, 0.3], vec![-0.7, 0.9]], [1.0, 0.0, 1.0]);
    check(
        "rows_as_features",
        |v| rows_as_features(&v[..2], v[2], &features, &labels),
        |v, s, g| {
            let (gw, gb) = g.split_at_mut(2);
            rows_as_features_vjp(&v[..2], v[2], &features, &labels, s, gw, &mut gb[0])
        },
        |v, d| rows_as_features_jvp(&v[..2], v[2], &features, &labels, &d[..2], d[2]),
        &[0.3, -0.2, 0.1],
    );
}

fn row_mean(r: &[f64]) -> f64 {
    r.iter().sum::<f64>() / r.len() as f64
}

/// Rows left out by `wrt` and passed whole to a plain function: the loop is kept as written.
#[differentiable(wrt(s))]
fn rows_passed_on(data: &[Vec<f64>], s: f64) -> f64 {
    let mut total = 0.0;
    for row in data.iter() {
        total += row_mean(row) * s * s;
    }
    total
}

#[test]
fn rows_passed_whole_to_plain_functions() {
    let data = vec![vec![1.0, 2.0, 3.0], vec![4.0, 6.0]];
    let (value, g) = rows_passed_on_grad(&data, 0.5);
    assert_eq!(value, rows_passed_on(&data, 0.5));
    assert!((g - 2.0 * 0.5 * (2.0 + 5.0)).abs() < 1e-15);
}

/// A local table whose rows are read whole once it is filled (`t.last().unwrap()`, `&t[i]`,
/// `t[i].iter()`): sub-slices of the buffer after its last write.
#[allow(clippy::needless_range_loop, clippy::manual_memcpy)] // a table filled by index, as dynamic programming is
#[differentiable]
fn table_rows_read_whole(x: &[f64], n: usize) -> f64 {
    let s = x.len();
    let mut t = vec![vec![0.0; s]; n];
    for j in 0..s {
        t[0][j] = x[j];
    }
    for i in 1..n {
        for j in 0..s {
            t[i][j] = (t[i - 1][j] * 0.5 + x[(j + 1) % s]).sin();
        }
    }
    let last = t.last().unwrap();
    let m = last.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let first = &t[0];
    let middle: f64 = t[n / 2].iter().map(|v| v * v).sum();
    m + last.iter().map(|a| (a - m).exp()).sum::<f64>().ln() + first[1] * middle
}

#[test]
fn rows_of_a_filled_table_read_whole() {
    let x = [0.3, -0.7, 0.9, 0.1];
    for n in [1, 2, 5] {
        check(
            &format!("table rows {n}"),
            |x| table_rows_read_whole(x, n),
            |x, s, g| table_rows_read_whole_vjp(x, n, s, g),
            |x, v| table_rows_read_whole_jvp(x, n, v),
            &x,
        );
    }
}

/// A rolling two-row table (`t[i & 1]`) read whole at an index with a bitwise operator, and a
/// row read at a shifted index (found by review: the row's end was `i & 1 + 1`).
#[allow(clippy::needless_range_loop, clippy::manual_memcpy)]
#[differentiable]
fn rolling_rows(x: &[f64], n: usize) -> f64 {
    let m = x.len();
    let mut t = vec![vec![0.0; m]; 2];
    for j in 0..m {
        t[0][j] = x[j];
    }
    for i in 1..=n {
        for j in 0..m {
            t[i & 1][j] =
                (t[(i - 1) & 1][j] * 0.9 + x[(j + i) % m] * t[(i - 1) & 1][(j + 1) % m]).tanh();
        }
    }
    let last: f64 = t[n & 1].iter().map(|v| v * v).sum();
    let row = &t[(n + 2) >> 2 & 1];
    last + row[0] * row[m - 1]
}

/// `t.first().unwrap()` of a table without rows panics, as in the function as written.
#[allow(clippy::needless_range_loop)]
#[differentiable]
fn first_row_sum(x: &[f64], rows: usize) -> f64 {
    let mut t = vec![vec![0.0; 2]; rows];
    for i in 0..rows {
        t[i][0] = x[0] * i as f64;
        t[i][1] = x[1];
    }
    let first = t.first().unwrap();
    first[0] + first[1]
}

#[test]
fn rows_at_computed_indices() {
    let x = [0.3, -0.7, 0.9, 0.1];
    for n in [0, 1, 2, 3, 4, 5] {
        check(
            &format!("rolling rows {n}"),
            |x| rolling_rows(x, n),
            |x, s, g| rolling_rows_vjp(x, n, s, g),
            |x, v| rolling_rows_jvp(x, n, v),
            &x,
        );
    }
    assert_eq!(first_row_sum_grad(&[2.0, 3.0], 2).1, vec![0.0, 1.0]);
    assert!(std::panic::catch_unwind(|| first_row_sum(&[2.0, 3.0], 0)).is_err());
    assert!(std::panic::catch_unwind(|| first_row_sum_grad(&[2.0, 3.0], 0)).is_err());
}

/// Batch cross-entropy as ML code writes it: the logit rows zipped with integer labels.
#[differentiable(wrt(logits))]
fn cross_entropy_rows(logits: &[Vec<f64>], labels: &[usize]) -> f64 {
    let mut total = 0.0;
    for (row, &y) in logits.iter().zip(labels) {
        let m = row.iter().fold(f64::MIN, |a, &b| a.max(b));
        let z: f64 = row.iter().map(|v| (v - m).exp()).sum();
        total += z.ln() + m - row[y];
    }
    total / labels.len() as f64
}

#[test]
fn rows_zipped_with_integer_labels() {
    let logits = vec![vec![0.5, -1.0, 2.0], vec![1.5, 0.3, -0.2]];
    let labels = [2usize, 0];
    let (_, g) = cross_entropy_rows_grad(&logits, &labels);
    // softmax(row) - onehot(label), over the batch
    for (i, row) in logits.iter().enumerate() {
        let z: f64 = row.iter().map(|v| v.exp()).sum();
        for j in 0..3 {
            let onehot = if j == labels[i] { 1.0 } else { 0.0 };
            let exact = (row[j].exp() / z - onehot) / 2.0;
            assert!((g[i][j] - exact).abs() < 1e-12, "{} vs {exact}", g[i][j]);
        }
    }
    let f = |v: &[f64]| cross_entropy_rows(&[v[..3].to_vec(), v[3..].to_vec()], &labels);
    check(
        "cross_entropy_rows",
        f,
        |v, s, g| {
            let rows = [v[..3].to_vec(), v[3..].to_vec()];
            let mut bars = vec![vec![0.0; 3], vec![0.0; 3]];
            let value = cross_entropy_rows_vjp(&rows, &labels, s, &mut bars);
            g.iter_mut().zip(bars.concat()).for_each(|(a, b)| *a += b);
            value
        },
        |v, d| {
            let rows = [v[..3].to_vec(), v[3..].to_vec()];
            let tangents = [d[..3].to_vec(), d[3..].to_vec()];
            cross_entropy_rows_jvp(&rows, &labels, &tangents)
        },
        &[logits.concat()].concat(),
    );
}

/// Gaussian elimination with partial pivoting on a copy of the matrix, as a numerical analyst
/// writes it: the rows collected by `map`/`to_vec`, swapped by `a.swap(k, p)`, eliminated in
/// place; the solution's first entry.
#[allow(clippy::needless_range_loop)] // written as the analyst wrote it
#[differentiable]
fn pivoted_solve(a_in: &[Vec<f64>], b_in: &[f64]) -> f64 {
    let n = b_in.len();
    let mut a: Vec<Vec<f64>> = a_in.iter().map(|row| row.to_vec()).collect();
    let mut b = b_in.to_vec();
    for k in 0..n {
        let mut p = k;
        for i in k + 1..n {
            if a[i][k].abs() > a[p][k].abs() {
                p = i;
            }
        }
        a.swap(k, p);
        b.swap(k, p);
        for i in k + 1..n {
            let f = a[i][k] / a[k][k];
            for j in k..n {
                a[i][j] -= f * a[k][j];
            }
            b[i] -= f * b[k];
        }
    }
    let mut x = vec![0.0; n];
    for i in (0..n).rev() {
        let mut s = b[i];
        for j in i + 1..n {
            s -= a[i][j] * x[j];
        }
        x[i] = s / a[i][i];
    }
    x[0]
}

/// The same without pivoting, on `a_in.to_vec()`: the last entry of the solution.
#[allow(clippy::needless_range_loop)]
#[differentiable]
fn eliminated(a_in: &[Vec<f64>], b_in: &[f64]) -> f64 {
    let n = b_in.len();
    let mut a = a_in.to_vec();
    let mut b = b_in.to_vec();
    for k in 0..n {
        for i in k + 1..n {
            let f = a[i][k] / a[k][k];
            for j in k..n {
                a[i][j] -= f * a[k][j];
            }
            b[i] -= f * b[k];
        }
    }
    b[n - 1] / a[n - 1][n - 1]
}

/// Tables copied from `&[Vec<f64>]` (`iter().map(|row| row.to_vec()).collect()`,
/// `to_vec()`), rows swapped: the gradients of a linear solve's entry `x_k` against their
/// closed forms, `∂x_k/∂b = (A⁻¹)_k` and `∂x_k/∂A_ij = -(A⁻¹)_ki x_j`, and forward mode against
/// reverse mode.
#[test]
fn tables_copied_from_rows_pivoted_and_eliminated() {
    let a = vec![vec![1.0, 2.0, 0.5], vec![4.0, -1.0, 1.0], vec![1.0, 3.0, 2.5]];
    let b = [1.0, 2.0, 3.0];
    // A⁻¹ and x by Cramer's rule (3x3)
    let det = |m: &[Vec<f64>]| {
        m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1])
            - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
            + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
    };
    let d = det(&a);
    let inverse = |k: usize, i: usize| {
        // (A⁻¹)_ki = cofactor C_ik / det
        let minor: Vec<Vec<f64>> = (0..3)
            .filter(|r| *r != i)
            .map(|r| (0..3).filter(|c| *c != k).map(|c| a[r][c]).collect())
            .collect();
        let m = minor[0][0] * minor[1][1] - minor[0][1] * minor[1][0];
        if (i + k).is_multiple_of(2) { m / d } else { -m / d }
    };
    let x: Vec<f64> = (0..3).map(|k| (0..3).map(|i| inverse(k, i) * b[i]).sum()).collect();
    for (k, grad) in [(0, pivoted_solve_grad(&a, &b)), (2, eliminated_grad(&a, &b))] {
        let (value, (ga, gb)) = grad;
        assert!((value - x[k]).abs() < 1e-12, "x_{k}: {value} vs {}", x[k]);
        for i in 0..3 {
            assert!((gb[i] - inverse(k, i)).abs() < 1e-12, "∂x_{k}/∂b_{i}");
            for j in 0..3 {
                let closed = -inverse(k, i) * x[j];
                assert!(
                    (ga[i][j] - closed).abs() < 1e-12,
                    "∂x_{k}/∂A_{i}{j}: {} vs {closed}",
                    ga[i][j]
                );
            }
        }
        let da = vec![vec![0.5, 0.0, 1.0], vec![-1.0, 2.0, 0.0], vec![0.3, 0.2, -0.4]];
        let db = [0.1, -0.7, 0.4];
        let tangent = match k {
            0 => pivoted_solve_jvp(&a, &b, &da, &db).1,
            _ => eliminated_jvp(&a, &b, &da, &db).1,
        };
        let dot: f64 =
            (0..3).map(|i| gb[i] * db[i] + (0..3).map(|j| ga[i][j] * da[i][j]).sum::<f64>()).sum();
        assert!((tangent - dot).abs() < 1e-12, "{tangent} vs {dot}");
    }
}

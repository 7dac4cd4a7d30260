//! `kmeans`: the k-means cost `f(C) = Σ_i min_j |C_j - P_i|²` of `k` centroids `C` for `n`
//! points `P` of dimension `d`, and the Newton direction `dir = J ⊘ H` (`J` the gradient in
//! the centroids, `H` the diagonal of their Hessian, which is diagonal; elementwise division).
//!
//! For the centroid `C_j` whose cluster (the points closest to it) has `n_j` points and mean
//! `M_j`: `J_j = 2 n_j (C_j - M_j)`, `H_j = 2 n_j`, so `dir_j = C_j - M_j`. The eval guarantees
//! every cluster is non-empty (the Hessian is invertible).

use crate::input::{rows, timed, to_rows};
use serde_json::Value;

#[path = "../../../common/kmeans.rs"]
mod objective;

use objective::{cost, cost_hvp};

/// The input, flattened.
struct Input {
    k: usize,
    d: usize,
    centroids: Vec<f64>,
    points: Vec<f64>,
}

/// The rows of `key`, flattened, with their count and (common, non-zero) width.
fn matrix(input: &Value, key: &str) -> Result<(Vec<f64>, usize, usize), String> {
    let data = rows(input, key)?;
    let lens: Vec<usize> = input[key]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| r.as_array().map_or(0, Vec::len))
        .collect();
    match lens.first() {
        Some(&d) if d > 0 && lens.iter().all(|&l| l == d) => Ok((data, lens.len(), d)),
        _ => Err(format!("`{key}` is not non-empty rows of one non-zero length")),
    }
}

fn read(input: &Value) -> Result<Input, String> {
    let (points, _, d) = matrix(input, "points")?;
    let (centroids, k, dc) = matrix(input, "centroids")?;
    if dc != d {
        return Err(format!("the points have {d} coordinates but the centroids {dc}"));
    }
    Ok(Input { k, d, centroids, points })
}

pub fn evaluate(function: &str, input: &Value) -> Result<(Value, Vec<u64>), String> {
    let p = read(input)?;
    let (k, d) = (p.k, p.d);
    match function {
        "cost" => {
            let (v, t) = timed(input, || cost(&p.centroids, &p.points, k, d));
            Ok((Value::from(v), t))
        }
        "dir" => {
            // The Hessian is diagonal, so one Hessian-vector product with v = all ones is its
            // diagonal, and the same sweep adds the gradient: dir = ∇f ⊘ (∇²f · 1). This is also
            // what GradBench's JAX tool does (`jvp` of `grad` with a tangent of ones).
            let ones = vec![1.0; k * d];
            let (mut grad, mut hess, mut dir) =
                (vec![0.0; k * d], vec![0.0; k * d], vec![0.0; k * d]);
            let ((), t) = timed(input, || {
                grad.fill(0.0);
                hess.fill(0.0);
                cost_hvp(&p.centroids, &p.points, k, d, &ones, 1.0, &mut grad, &mut hess);
                for ((o, g), h) in dir.iter_mut().zip(&grad).zip(&hess) {
                    *o = g / h;
                }
            });
            Ok((to_rows(&dir, d), t))
        }
        _ => Err(super::unknown("kmeans", function)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two centroids in the plane and five points: the first three points are closest to
    /// centroid 0, the last two to centroid 1.
    const CENTROIDS: [f64; 4] = [0.0, 0.0, 4.0, 1.0];
    const POINTS: [f64; 10] = [1.0, 0.0, -1.0, 1.0, 0.5, -2.0, 5.0, 1.0, 3.0, 3.0];

    /// Per centroid: its cluster's size and the sum of its points, found by brute force.
    fn clusters() -> ([f64; 2], [f64; 4]) {
        let (mut size, mut sum) = ([0.0; 2], [0.0; 4]);
        for p in POINTS.chunks(2) {
            let dist = |j: usize| {
                (CENTROIDS[2 * j] - p[0]).powi(2) + (CENTROIDS[2 * j + 1] - p[1]).powi(2)
            };
            let j = if dist(0) <= dist(1) { 0 } else { 1 };
            size[j] += 1.0;
            sum[2 * j] += p[0];
            sum[2 * j + 1] += p[1];
        }
        (size, sum)
    }

    #[test]
    fn cost_by_hand() {
        // Distances to the nearest centroid: 1, 2, 0.25 + 4, 1, 1 + 4.
        assert_eq!(cost(&CENTROIDS, &POINTS, 2, 2), 1.0 + 2.0 + 4.25 + 1.0 + 5.0);
        assert_eq!(clusters().0, [3.0, 2.0]);
    }

    /// `∇_j = 2 Σ_{i in cluster j} (C_j - P_i)`, `H_jj = 2 |cluster j|`, and
    /// `dir_j = C_j - mean of cluster j`.
    #[test]
    fn gradient_hessian_and_direction_match_closed_forms() {
        let (size, sum) = clusters();
        let ones = [1.0; 4];
        let (mut grad, mut hess) = ([0.0; 4], [0.0; 4]);
        let (value, _) = cost_hvp(&CENTROIDS, &POINTS, 2, 2, &ones, 1.0, &mut grad, &mut hess);
        assert_eq!(value, cost(&CENTROIDS, &POINTS, 2, 2));
        for m in 0..4 {
            let j = m / 2;
            let want_grad = 2.0 * (size[j] * CENTROIDS[m] - sum[m]);
            assert!((grad[m] - want_grad).abs() < 1e-12, "grad[{m}] = {} vs {want_grad}", grad[m]);
            assert!((hess[m] - 2.0 * size[j]).abs() < 1e-12, "hess[{m}] = {}", hess[m]);
        }
        // The Hessian is diagonal: a one-hot tangent gives one non-zero.
        let mut e0 = [0.0; 4];
        e0[0] = 1.0;
        let (mut g, mut column) = ([0.0; 4], [0.0; 4]);
        cost_hvp(&CENTROIDS, &POINTS, 2, 2, &e0, 1.0, &mut g, &mut column);
        assert_eq!(column, [2.0 * size[0], 0.0, 0.0, 0.0]);

        let input = serde_json::json!({
            "points": POINTS.chunks(2).collect::<Vec<_>>(),
            "centroids": CENTROIDS.chunks(2).collect::<Vec<_>>(),
        });
        let (dir, _) = evaluate("dir", &input).unwrap_or_else(|e| panic!("{e}"));
        for m in 0..4 {
            let want = CENTROIDS[m] - sum[m] / size[m / 2];
            let got = dir[m / 2][m % 2].as_f64().unwrap_or(f64::NAN);
            assert!((got - want).abs() < 1e-12, "dir[{m}] = {got} vs {want}");
        }
        let (c, _) = evaluate("cost", &input).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c, Value::from(13.25));
    }

    #[test]
    fn ragged_or_mismatched_rows_are_errors() {
        let ragged = serde_json::json!({"points": [[1.0, 2.0], [3.0]], "centroids": [[0.0, 0.0]]});
        let mismatched = serde_json::json!({"points": [[1.0, 2.0]], "centroids": [[0.0]]});
        let empty = serde_json::json!({"points": [], "centroids": [[0.0]]});
        for input in [ragged, mismatched, empty] {
            assert!(evaluate("cost", &input).is_err(), "{input}");
        }
        let input = serde_json::json!({"points": [[1.0]], "centroids": [[0.0]]});
        assert!(evaluate("hessian", &input).is_err());
    }
}

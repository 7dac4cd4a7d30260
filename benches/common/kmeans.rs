//! The k-means cost `f(C) = Σ_i min_j |C_j - P_i|²` as a user writes it, differentiated twice:
//! shared by `benches/kmeans.rs` and GradBench's `kmeans` eval (`benches/gradbench/`).

use autodiff::prelude::*;

/// The cost; `centroids` (`k` rows) and `points` are flattened row after row, `d` numbers each.
///
/// The points are walked as chunks (no bounds check on `p[l]` in this primal: about 1.25x
/// faster than indexing `points[i * d + l]`); the centroids are indexed, which the derivative
/// code reads through one checked sub-slice per centroid (with `chunks_exact` and `zip` there
/// too, the primal gains a little more but the Hessian-vector product takes twice as long).
#[differentiable(hessian, wrt(centroids))]
pub fn cost(centroids: &[f64], points: &[f64], k: usize, d: usize) -> f64 {
    let mut total = 0.0;
    for p in points.chunks_exact(d) {
        let mut best = f64::INFINITY;
        for j in 0..k {
            let mut dist = 0.0;
            for l in 0..d {
                let diff = centroids[j * d + l] - p[l];
                dist += diff * diff;
            }
            if dist < best {
                best = dist;
            }
        }
        total += best;
    }
    total
}

//! k-means (GradBench's kmeans objective, k = 100, n = 5000, d = 16): the sum over points of the
//! squared distance to the nearest centroid, written as a loop with a `min` by `if`. Only the
//! nearest centroid's distance has an adjoint, and reverse mode skips the adjoint of every
//! other distance loop (it would add zeros). `cargo bench --bench kmeans` prints `f_vjp` and
//! `f_hvp` (the Hessian's diagonal in one product with a tangent of ones) against the primal
//! and against a hand-written gradient that assigns each point to its centroid.

#[path = "common/kmeans.rs"]
mod kmeans;
#[path = "common/ratios.rs"]
mod ratios;

use criterion::Criterion;
use kmeans::{cost, cost_hvp, cost_vjp};
use std::hint::black_box;

/// The gradient by hand: find each point's nearest centroid, add `2 (c - p)` to it.
fn hand_gradient(centroids: &[f64], points: &[f64], k: usize, d: usize, grad: &mut [f64]) -> f64 {
    let mut total = 0.0;
    for p in points.chunks_exact(d) {
        let (mut best, mut arg) = (f64::INFINITY, 0);
        for j in 0..k {
            let c = &centroids[j * d..(j + 1) * d];
            let dist: f64 = c.iter().zip(p).map(|(c, p)| (c - p) * (c - p)).sum();
            if dist < best {
                (best, arg) = (dist, j);
            }
        }
        total += best;
        for l in 0..d {
            grad[arg * d + l] += 2.0 * (centroids[arg * d + l] - p[l]);
        }
    }
    total
}

fn main() {
    let (k, n, d) = (100, 5000, 16);
    let mut state = 12345u64;
    let mut uniform = || {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let centroids: Vec<f64> = (0..k * d).map(|_| uniform()).collect();
    let points: Vec<f64> = (0..n * d).map(|_| uniform()).collect();
    let ones = vec![1.0; k * d];
    let (mut g, mut h) = (vec![0.0; k * d], vec![0.0; k * d]);
    let mut c = Criterion::default().configure_from_args().sample_size(20);
    let mut group = c.benchmark_group("kmeans");
    group.bench_function("primal", |b| b.iter(|| cost(black_box(&centroids), &points, k, d)));
    group.bench_function("hand", |b| {
        b.iter(|| {
            g.fill(0.0);
            hand_gradient(black_box(&centroids), &points, k, d, &mut g)
        })
    });
    group.bench_function("vjp", |b| {
        b.iter(|| {
            g.fill(0.0);
            cost_vjp(black_box(&centroids), &points, k, d, 1.0, &mut g)
        })
    });
    group.bench_function("hvp", |b| {
        b.iter(|| {
            g.fill(0.0);
            h.fill(0.0);
            cost_hvp(black_box(&centroids), &points, k, d, &ones, 1.0, &mut g, &mut h)
        })
    });
    group.finish();
    ratios::print_ratios(
        "kmeans",
        &[
            ("vjp", "hand"),
            ("vjp", "primal"),
            ("hand", "primal"),
            ("hvp", "primal"),
            ("hvp", "vjp"),
        ],
    );
}

//! Inactive data beside active values: buffers and collections of counts and indices, their
//! copies, and integer `Vec`s pushed in loops.

use autodiff::prelude::*;

use crate::common::check;

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

/// A negative-binomial-like likelihood over integer counts iterated directly (`for &k in counts`:
/// a slice, not an iterator, at the loop's head).
#[differentiable]
fn counts_likelihood(r: f64, p: f64, counts: &[u32]) -> f64 {
    let mut s = 0.0;
    for &k in counts {
        s += r * p.ln() + k as f64 * (1.0 - p).ln() + (r + k as f64).ln();
    }
    s
}

#[test]
fn integer_counts_iterated_directly() {
    let counts = [3u32, 0, 5, 1];
    let (_, (gr, gp)) = counts_likelihood_grad(2.0, 0.3, &counts);
    let exact_r: f64 = counts.iter().map(|&k| 0.3f64.ln() + 1.0 / (2.0 + k as f64)).sum();
    let exact_p: f64 = counts.iter().map(|&k| 2.0 / 0.3 - k as f64 / 0.7).sum();
    assert!((gr - exact_r).abs() < 1e-12 && (gp - exact_p).abs() < 1e-12, "{gr} {gp}");
    check(
        "counts_likelihood",
        |v| counts_likelihood(v[0], v[1], &counts),
        |v, s, g| {
            let (a, b) = g.split_at_mut(1);
            counts_likelihood_vjp(v[0], v[1], &counts, s, &mut a[0], &mut b[0])
        },
        |v, d| counts_likelihood_jvp(v[0], v[1], &counts, d[0], d[1]),
        &[2.0, 0.3],
    );
}

const TENORS: [f64; 5] = [0.5, 1.0, 2.0, 5.0, 10.0];
const RATES: [f64; 5] = [0.01, 0.015, 0.02, 0.025, 0.03];

/// A discount factor interpolated on a curve, its interval found by `partition_point` with a
/// closure comparing the active time (an index: no derivative), and an `any` test.
#[differentiable]
fn discount(t: f64, shift: f64) -> f64 {
    let i = TENORS.partition_point(|&x| x < t).clamp(1, TENORS.len() - 1);
    let w = (t - TENORS[i - 1]) / (TENORS[i] - TENORS[i - 1]);
    let r = RATES[i - 1] * (1.0 - w) + RATES[i] * w + shift;
    if [t, shift].iter().any(|v| *v < 0.0) { 0.0 } else { (-r * t).exp() }
}

#[test]
fn searches_with_closures_comparing_active_values() {
    // on [2, 5]: r = 0.02 + 0.005 (t - 2) / 3 + s, d/dt (-r t) = -(r + t · 0.005 / 3)
    let (t, s) = (3.0, 0.001);
    let (value, (gt, gs)) = discount_grad(t, s);
    let r = 0.02 + 0.005 * (t - 2.0) / 3.0 + s;
    assert!((value - (-r * t).exp()).abs() < 1e-15);
    assert!((gt + value * (r + t * 0.005 / 3.0)).abs() < 1e-14, "{gt}");
    assert!((gs + value * t).abs() < 1e-14, "{gs}");
    check(
        "discount",
        |v| discount(v[0], v[1]),
        |v, s, g| {
            let (a, b) = g.split_at_mut(1);
            discount_vjp(v[0], v[1], s, &mut a[0], &mut b[0])
        },
        |v, d| discount_jvp(v[0], v[1], d[0], d[1]),
        &[3.0, 0.001],
    );
}

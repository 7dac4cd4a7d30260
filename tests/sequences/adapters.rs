//! Windows, chunks and the adapters of slice iterators (`rev`, `skip`, `take`, `step_by`):
//! indexed, iterated whole, nested in each other, and their edge cases (short last chunks, empty
//! ranges, lengths computed from `.len()`).

use autodiff::prelude::*;

use crate::common::check;

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
    check_fn!(adapters, adapters_vjp, adapters_jvp, |v| (&v[..9], &v[9..], 3), &z);
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
    check_fn!(whole_windows, whole_windows_vjp, whole_windows_jvp, |v| (&v[..7], &v[7..]), &z);
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

// Adapters whose indices nest inside each other: `skip` after `rev` or `step_by`, a step or a
// chunk length given by an expression (`step_by(s + 1)`, `chunks(d + 1)`), and chunks taken in
// reverse, the short last chunk first.
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

#[test]
fn length_arithmetic_is_inactive() {
    let (x, y) = ([1.0, 2.0, 3.0, 4.0], [0.5, -1.0, 2.0]);
    // last = 4 (·4); stepped = 1 + 9; zipped = 4·0.5 + 3·(-1) + 2·2; product = (2 + 1)(1 + 1)
    let (v, (gx, gy)) = length_arithmetic_grad(&x, &y);
    assert_eq!(v, 16.0 + 10.0 + 3.0 + 6.0);
    assert_eq!(gx, vec![2.0 + 3.0, 2.0 + 2.0, 6.0 - 1.0, 4.0 + 0.5]);
    assert_eq!(gy, vec![4.0, 3.0, 2.0]);
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
    check_fn!(edges, edges_vjp, edges_jvp, |v| (&v[..7], &v[7..]), &z);
    // short inputs (no windows of 3 in x[1..]) agree with the primal bit for bit
    for n in 2..5 {
        let x: Vec<f64> = (0..n).map(|i| i as f64 * 0.5 + 0.1).collect();
        let (v, _) = edges_grad(&x, &[0.5, 0.25]);
        assert_eq!(v.to_bits(), edges(&x, &[0.5, 0.25]).to_bits(), "n = {n}");
    }
}

use crate::helpers::*;
use autodiff::prelude::*;

#[differentiable]
fn softmin3(a: f64, b: f64, c: f64, gamma: f64) -> f64 {
    let m = a.min(b).min(c);
    let s = (-(a - m) / gamma).exp() + (-(b - m) / gamma).exp() + (-(c - m) / gamma).exp();
    m - gamma * s.ln()
}

/// Soft-DTW on a flat (n+1)x(m+1) table with an index closure.
#[differentiable(wrt(x, y))]
fn soft_dtw(x: &[f64], y: &[f64], gamma: f64) -> f64 {
    let n = x.len();
    let m = y.len();
    let big = 1e10;
    let mut r = vec![big; (n + 1) * (m + 1)];
    let idx = |i: usize, j: usize| i * (m + 1) + j;
    r[idx(0, 0)] = 0.0;
    for i in 1..=n {
        for j in 1..=m {
            let c = (x[i - 1] - y[j - 1]).powi(2);
            r[idx(i, j)] =
                c + softmin3(r[idx(i - 1, j)], r[idx(i, j - 1)], r[idx(i - 1, j - 1)], gamma);
        }
    }
    r[idx(n, m)]
}

#[test]
fn check() {
    let x = [0.0, 0.4, 1.1, 0.7];
    let y = [0.1, 0.9, 0.8, 0.2, -0.1];
    let mut p = x.to_vec();
    p.extend_from_slice(&y);
    let f = |q: &[f64]| soft_dtw(&q[..4], &q[4..], 0.5);
    let (v, (gx, gy)) = soft_dtw_grad(&x, &y, 0.5);
    let mut g = gx.clone();
    g.extend_from_slice(&gy);
    let d = dir(9);
    let (jv, jd) = soft_dtw_jvp(&x, &y, 0.5, &d[..4], &d[4..]);
    verify("soft_dtw", &f, &p, v, &g, jv, jd, &d);
}

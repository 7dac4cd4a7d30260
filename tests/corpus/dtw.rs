use crate::helpers::*;
use autodiff::prelude::*;

/// Dynamic time warping with a Vec<Vec<f64>> DP table initialised to infinity.
#[differentiable]
fn dtw_distance(a: &[f64], b: &[f64]) -> f64 {
    let (n, m) = (a.len(), b.len());
    let mut d = vec![vec![f64::INFINITY; m + 1]; n + 1];
    d[0][0] = 0.0;
    for i in 1..=n {
        for j in 1..=m {
            let cost = (a[i - 1] - b[j - 1]).powi(2);
            d[i][j] = cost + d[i - 1][j].min(d[i][j - 1]).min(d[i - 1][j - 1]);
        }
    }
    d[n][m]
}

#[test]
fn check() {
    let a = [0.0, 0.31, 0.97, 1.42, 0.83, 0.12];
    let b = [0.05, 0.52, 1.23, 1.01, 0.44];
    let mut p = a.to_vec();
    p.extend_from_slice(&b);
    let f = |q: &[f64]| dtw_distance(&q[..6], &q[6..]);
    let (v, (ga, gb)) = dtw_distance_grad(&a, &b);
    let mut g = ga.clone();
    g.extend_from_slice(&gb);
    let d = dir(11);
    let (jv, jd) = dtw_distance_jvp(&a, &b, &d[..6], &d[6..]);
    verify("dtw_distance", &f, &p, v, &g, jv, jd, &d);
}

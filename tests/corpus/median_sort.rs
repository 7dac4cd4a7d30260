use crate::helpers::*;
use autodiff::prelude::*;

/// Mean absolute deviation from the median; median via to_vec + sort_by(partial_cmp).
#[differentiable]
fn mad_from_median(xs: &[f64]) -> f64 {
    let mut sorted = xs.to_vec();
    sorted.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let mid = sorted.len() / 2;
    let median =
        if sorted.len() % 2 == 1 { sorted[mid] } else { 0.5 * (sorted[mid - 1] + sorted[mid]) };
    xs.iter().map(|x| (x - median).abs()).sum::<f64>() / xs.len() as f64
}

#[test]
fn check() {
    let p = [3.1, -0.4, 2.2, 5.7, 1.05, 0.3];
    let f = |q: &[f64]| mad_from_median(q);
    let (v, g) = mad_from_median_grad(&p);
    let d = dir(6);
    let (jv, jd) = mad_from_median_jvp(&p, &d);
    verify("mad_from_median", &f, &p, v, &g, jv, jd, &d);
}

use crate::helpers::*;
use autodiff::prelude::*;

/// Pearson correlation with tuple-initialised accumulators and zip.
#[differentiable]
fn pearson(xs: &[f64], ys: &[f64]) -> f64 {
    let n = xs.len() as f64;
    let mx = xs.iter().sum::<f64>() / n;
    let my = ys.iter().sum::<f64>() / n;
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (x, y) in xs.iter().zip(ys) {
        let dx = x - mx;
        let dy = y - my;
        sxy += dx * dy;
        sxx += dx * dx;
        syy += dy * dy;
    }
    sxy / (sxx * syy).sqrt()
}

#[test]
fn check() {
    let xs = [1.0, 2.1, 2.9, 4.2, 5.1];
    let ys = [0.8, 2.5, 2.7, 3.9, 6.0];
    let mut p = xs.to_vec();
    p.extend_from_slice(&ys);
    let f = |q: &[f64]| pearson(&q[..5], &q[5..]);
    let (v, (gx, gy)) = pearson_grad(&xs, &ys);
    let mut g = gx.clone();
    g.extend_from_slice(&gy);
    let d = dir(10);
    let (jv, jd) = pearson_jvp(&xs, &ys, &d[..5], &d[5..]);
    verify("pearson", &f, &p, v, &g, jv, jd, &d);
}

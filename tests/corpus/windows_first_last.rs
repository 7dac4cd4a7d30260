use crate::helpers::*;
use autodiff::prelude::*;

/// Smoothness penalty with .windows(2) plus a periodicity term from first()/last().
#[differentiable]
fn smoothness_penalty(signal: &[f64], weight: f64) -> f64 {
    let tv: f64 = signal.windows(2).map(|w| (w[1] - w[0]).powi(2)).sum();
    let first = *signal.first().unwrap();
    let last = *signal.last().unwrap();
    weight * tv + (first - last).powi(2)
}

#[test]
fn check() {
    let s = [0.1, 0.5, 0.4, 0.9, 1.3, 0.8];
    let w = 2.0;
    let mut p = s.to_vec();
    p.push(w);
    let f = |q: &[f64]| smoothness_penalty(&q[..6], q[6]);
    let (v, (gs, gw)) = smoothness_penalty_grad(&s, w);
    let mut g = gs.clone();
    g.push(gw);
    let d = dir(7);
    let (jv, jd) = smoothness_penalty_jvp(&s, w, &d[..6], d[6]);
    verify("smoothness_penalty", &f, &p, v, &g, jv, jd, &d);
}

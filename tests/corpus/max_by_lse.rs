use crate::helpers::*;
use autodiff::prelude::*;

/// Temperature-scaled log-sum-exp margin over the best score found with max_by(total_cmp).
#[differentiable]
fn smooth_max_margin(scores: &[f64], temperature: f64) -> f64 {
    let best = scores.iter().copied().max_by(|a, b| a.total_cmp(b)).unwrap();
    let lse = best
        + temperature * scores.iter().map(|s| ((s - best) / temperature).exp()).sum::<f64>().ln();
    lse - 0.5 * best
}

#[test]
fn check() {
    let s = [0.3, 2.0, 1.1, -0.5];
    let t = 0.7;
    let mut p = s.to_vec();
    p.push(t);
    let f = |q: &[f64]| smooth_max_margin(&q[..4], q[4]);
    let (v, (gs, gt)) = smooth_max_margin_grad(&s, t);
    let mut g = gs.clone();
    g.push(gt);
    let d = dir(5);
    let (jv, jd) = smooth_max_margin_jvp(&s, t, &d[..4], d[4]);
    verify("smooth_max_margin", &f, &p, v, &g, jv, jd, &d);
}

use crate::helpers::*;
use autodiff::prelude::*;

#[differentiable]
fn dotp(a: &[f64], b: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..a.len() {
        s += a[i] * b[i];
    }
    s
}

#[differentiable]
fn weighted(x: f64, y: f64) -> f64 {
    x * y.exp()
}

/// Cosine similarity and a self-weighted term: helpers called with the SAME active argument twice.
#[differentiable]
fn cosine_with_self_terms(u: &[f64], v: &[f64], s: f64) -> f64 {
    let uv = dotp(u, v);
    let uu = dotp(u, u);
    let vv = dotp(v, v);
    uv / (uu * vv).sqrt() + weighted(s, s)
}

#[test]
fn check() {
    let u = [1.0, 0.5, -0.3];
    let v = [0.2, 0.9, 0.4];
    let s = 0.4;
    let mut p = u.to_vec();
    p.extend_from_slice(&v);
    p.push(s);
    let f = |q: &[f64]| cosine_with_self_terms(&q[..3], &q[3..6], q[6]);
    let (val, (gu, gv, gs)) = cosine_with_self_terms_grad(&u, &v, s);
    let mut g = gu.clone();
    g.extend_from_slice(&gv);
    g.push(gs);
    let d = dir(7);
    let (jv, jd) = cosine_with_self_terms_jvp(&u, &v, s, &d[..3], &d[3..6], d[6]);
    verify("cosine_with_self_terms", &f, &p, val, &g, jv, jd, &d);
}

use crate::helpers::*;
use autodiff::prelude::*;

/// Scalar random-walk Kalman filter negative log-likelihood (all float inputs active).
#[differentiable]
fn kalman_nll(q: f64, r: f64, zs: &[f64]) -> f64 {
    let mut x = zs[0];
    let mut p = 1.0;
    let mut nll = 0.0;
    for &z in &zs[1..] {
        // predict
        let p_pred = p + q;
        // update
        let s = p_pred + r;
        let innov = z - x;
        nll += 0.5 * (innov * innov / s + s.ln() + (2.0 * std::f64::consts::PI).ln());
        let gain = p_pred / s;
        x += gain * innov;
        p = (1.0 - gain) * p_pred;
    }
    nll
}

#[test]
fn check() {
    let zs = [0.1, 0.4, 0.35, 0.8, 1.1, 0.9, 1.4];
    let mut p = vec![0.05, 0.2];
    p.extend_from_slice(&zs);
    let f = |q: &[f64]| kalman_nll(q[0], q[1], &q[2..]);
    let (v, (gq, gr, gz)) = kalman_nll_grad(p[0], p[1], &zs);
    let mut g = vec![gq, gr];
    g.extend_from_slice(&gz);
    let d = dir(p.len());
    let (jv, jd) = kalman_nll_jvp(p[0], p[1], &zs, d[0], d[1], &d[2..]);
    verify("kalman_nll", &f, &p, v, &g, jv, jd, &d);
}

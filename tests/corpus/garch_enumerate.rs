use crate::helpers::*;
use autodiff::prelude::*;

/// GARCH(1,1) Gaussian NLL with enumerate() and a lagged index into the data.
#[differentiable(wrt(omega, alpha, beta))]
fn garch_nll(omega: f64, alpha: f64, beta: f64, returns: &[f64]) -> f64 {
    let var0 = returns.iter().map(|r| r * r).sum::<f64>() / returns.len() as f64;
    let mut h = var0;
    let mut nll = 0.0;
    for (t, r) in returns.iter().enumerate() {
        if t > 0 {
            h = omega + alpha * returns[t - 1].powi(2) + beta * h;
        }
        nll += 0.5 * (h.ln() + r * r / h);
    }
    nll
}

#[test]
fn check() {
    let rets = [0.01, -0.02, 0.015, 0.03, -0.01, 0.005, -0.025, 0.02];
    let p = [1e-5, 0.1, 0.85];
    let f = |q: &[f64]| garch_nll(q[0], q[1], q[2], &rets);
    let (v, (g0, g1, g2)) = garch_nll_grad(p[0], p[1], p[2], &rets);
    let d = dir(3);
    let (jv, jd) = garch_nll_jvp(p[0], p[1], p[2], &rets, d[0], d[1], d[2]);
    verify("garch_nll", &f, &p, v, &[g0, g1, g2], jv, jd, &d);
}

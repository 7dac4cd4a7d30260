use crate::helpers::*;
use autodiff::prelude::*;

/// Hagan SABR lognormal implied vol: long closed form with powf/ln/sqrt, 7 active params.
#[differentiable]
fn sabr_vol(f: f64, k: f64, t: f64, alpha: f64, beta: f64, rho: f64, nu: f64) -> f64 {
    let fk = (f * k).powf((1.0 - beta) / 2.0);
    let log_fk = (f / k).ln();
    let z = nu / alpha * fk * log_fk;
    let x = (((1.0 - 2.0 * rho * z + z * z).sqrt() + z - rho) / (1.0 - rho)).ln();
    let omb = 1.0 - beta;
    let denom =
        fk * (1.0 + omb.powi(2) / 24.0 * log_fk.powi(2) + omb.powi(4) / 1920.0 * log_fk.powi(4));
    let corr = 1.0
        + (omb.powi(2) / 24.0 * alpha * alpha / fk.powi(2)
            + 0.25 * rho * beta * nu * alpha / fk
            + (2.0 - 3.0 * rho * rho) / 24.0 * nu * nu)
            * t;
    alpha / denom * (z / x) * corr
}

#[test]
fn check() {
    let p = [0.03, 0.035, 2.0, 0.04, 0.6, -0.3, 0.5];
    let f = |q: &[f64]| sabr_vol(q[0], q[1], q[2], q[3], q[4], q[5], q[6]);
    let (v, (g0, g1, g2, g3, g4, g5, g6)) = sabr_vol_grad(p[0], p[1], p[2], p[3], p[4], p[5], p[6]);
    let d = dir(7);
    let (jv, jd) = sabr_vol_jvp(
        p[0], p[1], p[2], p[3], p[4], p[5], p[6], d[0], d[1], d[2], d[3], d[4], d[5], d[6],
    );
    verify("sabr_vol", &f, &p, v, &[g0, g1, g2, g3, g4, g5, g6], jv, jd, &d);
}

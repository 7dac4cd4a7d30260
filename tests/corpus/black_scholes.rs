use crate::helpers::*;
use autodiff::prelude::*;

const ERF_A: [f64; 5] = [0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429];
const ERF_P: f64 = 0.3275911;

/// Abramowitz-Stegun 7.1.26.
#[differentiable]
fn erf_approx(x: f64) -> f64 {
    let sign = if x < 0.0 { -1.0 } else { 1.0 };
    let x = x.abs();
    let t = 1.0 / (1.0 + ERF_P * x);
    let poly = ERF_A.iter().rev().fold(0.0, |acc, &a| acc * t + a) * t;
    sign * (1.0 - poly * (-x * x).exp())
}

#[differentiable]
fn norm_cdf(x: f64) -> f64 {
    0.5 * (1.0 + erf_approx(x / std::f64::consts::SQRT_2))
}

/// Black-Scholes call: greeks (delta, strike-sens, rho, vega, theta) by AD.
#[differentiable]
fn bs_call(s: f64, k: f64, r: f64, sigma: f64, t: f64) -> f64 {
    let sqrt_t = t.sqrt();
    let d1 = ((s / k).ln() + (r + 0.5 * sigma * sigma) * t) / (sigma * sqrt_t);
    let d2 = d1 - sigma * sqrt_t;
    s * norm_cdf(d1) - k * (-r * t).exp() * norm_cdf(d2)
}

#[test]
fn check() {
    let p = [100.0, 95.0, 0.03, 0.25, 0.75];
    let f = |q: &[f64]| bs_call(q[0], q[1], q[2], q[3], q[4]);
    let (v, (g0, g1, g2, g3, g4)) = bs_call_grad(p[0], p[1], p[2], p[3], p[4]);
    let d = dir(5);
    let (jv, jd) = bs_call_jvp(p[0], p[1], p[2], p[3], p[4], d[0], d[1], d[2], d[3], d[4]);
    verify("bs_call", &f, &p, v, &[g0, g1, g2, g3, g4], jv, jd, &d);
}

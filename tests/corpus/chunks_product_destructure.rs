use crate::helpers::*;
use autodiff::prelude::*;

/// Geometric-mean growth over (price, dividend) pairs: chunks(2), array destructuring, product().
#[differentiable]
fn total_return_growth(flows: &[f64], fee: f64) -> f64 {
    let growth: Vec<f64> = flows.chunks(2).map(|c| (c[0] + c[1]) / 100.0 * (1.0 - fee)).collect();
    let total: f64 = growth.iter().product();
    let [first_price, first_div] = [flows[0], flows[1]];
    total.powf(1.0 / growth.len() as f64) + 1e-3 * first_price * first_div
}

#[test]
fn check() {
    let flows = [101.0, 0.5, 98.0, 0.4, 104.0, 0.6, 103.5, 0.5];
    let fee = 0.01;
    let mut p = flows.to_vec();
    p.push(fee);
    let f = |q: &[f64]| total_return_growth(&q[..8], q[8]);
    let (v, (gf, gfee)) = total_return_growth_grad(&flows, fee);
    let mut g = gf.clone();
    g.push(gfee);
    let d = dir(9);
    let (jv, jd) = total_return_growth_jvp(&flows, fee, &d[..8], d[8]);
    verify("total_return_growth", &f, &p, v, &g, jv, jd, &d);
}

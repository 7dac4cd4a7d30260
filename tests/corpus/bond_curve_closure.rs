use crate::helpers::*;
use autodiff::prelude::*;

/// Bond PV off a piecewise-linear zero curve; interpolation closure with early returns and position().
#[differentiable(wrt(zero_rates))]
fn bond_price(zero_rates: &[f64], pillars: &[f64], coupon: f64, maturity: usize) -> f64 {
    let interp = |t: f64| -> f64 {
        if t <= pillars[0] {
            return zero_rates[0];
        }
        if t >= *pillars.last().unwrap() {
            return *zero_rates.last().unwrap();
        }
        let i = pillars.iter().position(|&p| p > t).unwrap();
        let w = (t - pillars[i - 1]) / (pillars[i] - pillars[i - 1]);
        zero_rates[i - 1] * (1.0 - w) + zero_rates[i] * w
    };
    let mut pv = 0.0;
    for year in 1..=maturity {
        let t = year as f64;
        let cf = if year == maturity { 100.0 + coupon } else { coupon };
        pv += cf * (-interp(t) * t).exp();
    }
    pv
}

#[test]
fn check() {
    let pillars = [0.5, 2.0, 5.0, 10.0];
    let p = [0.010, 0.018, 0.025, 0.031];
    let f = |q: &[f64]| bond_price(q, &pillars, 4.0, 12);
    let (v, g) = bond_price_grad(&p, &pillars, 4.0, 12);
    let d = dir(4);
    let (jv, jd) = bond_price_jvp(&p, &pillars, 4.0, 12, &d);
    verify("bond_price", &f, &p, v, &g, jv, jd, &d);
}

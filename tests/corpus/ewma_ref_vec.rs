use crate::helpers::*;
use autodiff::prelude::*;

/// EWMA (RiskMetrics) variance forecast error; data passed as &Vec<f64>.
#[differentiable]
fn ewma_forecast_error(lambda: f64, returns: &Vec<f64>) -> f64 {
    let mut var = returns[0].powi(2);
    let mut sse = 0.0;
    for r in returns.iter().skip(1) {
        let realized = r * r;
        sse += (realized - var).powi(2);
        var = lambda * var + (1.0 - lambda) * realized;
    }
    sse.sqrt()
}

#[test]
fn check() {
    let rets = vec![0.5, -1.2, 0.8, 2.0, -0.3, 1.1, -1.7];
    let mut p = vec![0.94];
    p.extend_from_slice(&rets);
    let f = |q: &[f64]| ewma_forecast_error(q[0], &q[1..].to_vec());
    let (v, (gl, gr)) = ewma_forecast_error_grad(0.94, &rets);
    let mut g = vec![gl];
    g.extend_from_slice(&gr);
    let d = dir(8);
    let (jv, jd) = ewma_forecast_error_jvp(0.94, &rets, d[0], &d[1..]);
    verify("ewma_forecast_error", &f, &p, v, &g, jv, jd, &d);
}

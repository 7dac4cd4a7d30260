use crate::helpers::*;
use autodiff::prelude::*;

/// Kepler's equation solved with `loop { .. break }`, then the true anomaly.
#[differentiable]
fn kepler_true_anomaly(mean_anomaly: f64, ecc: f64) -> f64 {
    let mut e = mean_anomaly;
    let mut iter = 0;
    loop {
        let f = e - ecc * e.sin() - mean_anomaly;
        let fp = 1.0 - ecc * e.cos();
        let step = f / fp;
        e -= step;
        iter += 1;
        if step.abs() < 1e-14 || iter >= 50 {
            break;
        }
    }
    2.0 * (((1.0 + ecc) / (1.0 - ecc)).sqrt() * (e / 2.0).tan()).atan()
}

#[test]
fn check() {
    let p = [1.1, 0.3];
    let f = |q: &[f64]| kepler_true_anomaly(q[0], q[1]);
    let (v, (g0, g1)) = kepler_true_anomaly_grad(p[0], p[1]);
    let d = dir(2);
    let (jv, jd) = kepler_true_anomaly_jvp(p[0], p[1], d[0], d[1]);
    verify("kepler_true_anomaly", &f, &p, v, &[g0, g1], jv, jd, &d);
}

use crate::helpers::*;
use autodiff::prelude::*;
use nalgebra::{Matrix2, RowVector2, Vector2};

/// Constant-velocity Kalman filter with nalgebra Matrix2; gradient of the NLL wrt noise levels.
#[differentiable(wrt(q, r))]
fn cv_kalman_nll(q: f64, r: f64, zs: &[f64], dt: f64) -> f64 {
    let f = Matrix2::new(1.0, dt, 0.0, 1.0);
    let h = RowVector2::new(1.0, 0.0);
    let qm = Matrix2::new(dt.powi(3) / 3.0, dt.powi(2) / 2.0, dt.powi(2) / 2.0, dt) * q;
    let mut x = Vector2::new(zs[0], 0.0);
    let mut p = Matrix2::identity() * 10.0;
    let mut nll = 0.0;
    for z in zs.iter().skip(1) {
        x = f * x;
        p = f * p * f.transpose() + qm;
        let y = z - (h * x)[0];
        let s = (h * p * h.transpose())[0] + r;
        let k = p * h.transpose() / s;
        x += k * y;
        p = (Matrix2::identity() - k * h) * p;
        nll += 0.5 * (y * y / s + s.ln());
    }
    nll
}

#[test]
fn check() {
    let zs = [0.0, 0.12, 0.19, 0.33, 0.41, 0.55, 0.62, 0.70];
    let p = [0.02, 0.01];
    let f = |q: &[f64]| cv_kalman_nll(q[0], q[1], &zs, 0.1);
    let (v, (gq, gr)) = cv_kalman_nll_grad(p[0], p[1], &zs, 0.1);
    let d = dir(2);
    let (jv, jd) = cv_kalman_nll_jvp(p[0], p[1], &zs, 0.1, d[0], d[1]);
    verify("cv_kalman_nll", &f, &p, v, &[gq, gr], jv, jd, &d);
}

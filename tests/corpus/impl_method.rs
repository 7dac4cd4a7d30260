use crate::helpers::*;
use autodiff::prelude::*;

pub struct Pendulum {
    pub length: f64,
    pub gravity: f64,
}

impl Pendulum {
    /// Large-amplitude pendulum period (series), as a method on a physics struct.
    #[differentiable]
    pub fn period(&self, amplitude: f64) -> f64 {
        let w0 = (self.gravity / self.length).sqrt();
        let t0 = 2.0 * std::f64::consts::PI / w0;
        t0 * (1.0 + amplitude * amplitude / 16.0 + 11.0 * amplitude.powi(4) / 3072.0)
    }
}

#[test]
fn check() {
    let pend = Pendulum { length: 1.3, gravity: 9.81 };
    let p = [0.6];
    let f = |q: &[f64]| pend.period(q[0]);
    let (v, g) = pend.period_grad(p[0]);
    let d = dir(1);
    let (jv, jd) = pend.period_jvp(p[0], d[0]);
    verify("period", &f, &p, v, &[g], jv, jd, &d);
}

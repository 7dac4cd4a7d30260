use crate::helpers::*;
use autodiff::prelude::*;

pub struct Material {
    pub youngs: f64,
    pub poisson: f64,
}

impl Material {
    pub fn lame(&self) -> (f64, f64) {
        let e = self.youngs;
        let nu = self.poisson;
        (e * nu / ((1.0 + nu) * (1.0 - 2.0 * nu)), e / (2.0 * (1.0 + nu)))
    }
}

/// Plane-strain elastic energy density; material passed as an inactive struct, method call returns a tuple.
#[differentiable]
fn strain_energy(strain: [f64; 3], mat: &Material) -> f64 {
    let (lambda, mu) = mat.lame();
    let tr = strain[0] + strain[1];
    0.5 * lambda * tr * tr + mu * (strain[0].powi(2) + strain[1].powi(2) + 2.0 * strain[2].powi(2))
}

#[test]
fn check() {
    let mat = Material { youngs: 200.0, poisson: 0.3 };
    let p = [0.01, -0.004, 0.002];
    let f = |q: &[f64]| strain_energy([q[0], q[1], q[2]], &mat);
    let (v, g) = strain_energy_grad([p[0], p[1], p[2]], &mat);
    let d = dir(3);
    let (jv, jd) = strain_energy_jvp([p[0], p[1], p[2]], &mat, [d[0], d[1], d[2]]);
    verify("strain_energy", &f, &p, v, &[g[0], g[1], g[2]], jv, jd, &d);
}

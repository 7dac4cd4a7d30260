use crate::helpers::*;
use autodiff::prelude::*;

#[differentiable]
fn lj_pair(r2: f64, eps: f64, sigma: f64) -> f64 {
    let s2 = sigma * sigma / r2;
    let s6 = s2 * s2 * s2;
    4.0 * eps * (s6 * s6 - s6)
}

/// Lennard-Jones cluster energy over flattened xyz coordinates; eps/sigma are held fixed.
#[differentiable(wrt(pos))]
fn lj_energy(pos: &[f64], eps: f64, sigma: f64) -> f64 {
    let n = pos.len() / 3;
    let mut e = 0.0;
    for i in 0..n {
        for j in (i + 1)..n {
            let dx = pos[3 * i] - pos[3 * j];
            let dy = pos[3 * i + 1] - pos[3 * j + 1];
            let dz = pos[3 * i + 2] - pos[3 * j + 2];
            let r2 = dx * dx + dy * dy + dz * dz;
            e += lj_pair(r2, eps, sigma);
        }
    }
    e
}

#[test]
fn check() {
    let p = [0.0, 0.0, 0.0, 1.1, 0.05, -0.1, 0.5, 1.0, 0.2, 0.4, 0.3, 1.05];
    let f = |q: &[f64]| lj_energy(q, 1.0, 1.0);
    let (v, g) = lj_energy_grad(&p, 1.0, 1.0);
    let d = dir(p.len());
    let (jv, jd) = lj_energy_jvp(&p, 1.0, 1.0, &d);
    verify("lj_energy", &f, &p, v, &g, jv, jd, &d);
}

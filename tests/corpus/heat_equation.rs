use crate::helpers::*;
use autodiff::prelude::*;

/// Explicit 1-D heat equation with Dirichlet ends; double buffer swapped with mem::swap.
#[differentiable]
fn heat_final_energy(u0: &[f64], alpha: f64, steps: usize) -> f64 {
    let n = u0.len();
    let mut u = u0.to_vec();
    let mut next = vec![0.0; n];
    for _ in 0..steps {
        next[0] = 0.0;
        next[n - 1] = 0.0;
        for i in 1..n - 1 {
            next[i] = u[i] + alpha * (u[i - 1] - 2.0 * u[i] + u[i + 1]);
        }
        std::mem::swap(&mut u, &mut next);
    }
    u.iter().map(|v| v * v).sum::<f64>()
}

#[test]
fn check() {
    let u0 = [0.0, 0.3, 0.9, 1.0, 0.7, 0.2, 0.0];
    let alpha = 0.2;
    let mut p = u0.to_vec();
    p.push(alpha);
    let f = |q: &[f64]| heat_final_energy(&q[..7], q[7], 25);
    let (v, (gu, ga)) = heat_final_energy_grad(&u0, alpha, 25);
    let mut g = gu.clone();
    g.push(ga);
    let d = dir(8);
    let (jv, jd) = heat_final_energy_jvp(&u0, alpha, 25, &d[..7], d[7]);
    verify("heat_final_energy", &f, &p, v, &g, jv, jd, &d);
}

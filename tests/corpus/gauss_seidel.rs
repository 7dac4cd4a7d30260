use crate::helpers::*;
use autodiff::prelude::*;

/// Gauss-Seidel sweeps for a 1-D Poisson-like system, boundary handled with if/else.
#[differentiable(wrt(diag, rhs))]
fn gauss_seidel_poisson(diag: f64, rhs: &[f64], iters: usize) -> f64 {
    let n = rhs.len();
    let mut u = vec![0.0; n];
    for _ in 0..iters {
        for i in 0..n {
            let left = if i > 0 { u[i - 1] } else { 0.0 };
            let right = if i + 1 < n { u[i + 1] } else { 0.0 };
            u[i] = (rhs[i] + left + right) / diag;
        }
    }
    u.iter().zip(rhs).map(|(a, b)| a * b).sum()
}

#[test]
fn check() {
    let rhs = [1.0, 0.5, -0.2, 0.8, 0.3];
    let mut p = vec![2.5];
    p.extend_from_slice(&rhs);
    let f = |q: &[f64]| gauss_seidel_poisson(q[0], &q[1..], 30);
    let (v, (gd, gr)) = gauss_seidel_poisson_grad(p[0], &rhs, 30);
    let mut g = vec![gd];
    g.extend_from_slice(&gr);
    let d = dir(6);
    let (jv, jd) = gauss_seidel_poisson_jvp(p[0], &rhs, 30, d[0], &d[1..]);
    verify("gauss_seidel_poisson", &f, &p, v, &g, jv, jd, &d);
}

use crate::helpers::*;
use autodiff::prelude::*;

/// Pairwise soft-repulsion over particles with `continue` for far pairs and a labeled break.
#[differentiable(wrt(xs))]
fn repulsion_energy(xs: &[f64], cutoff: f64, max_pairs: usize) -> f64 {
    let n = xs.len();
    let mut e = 0.0;
    let mut pairs = 0;
    'outer: for i in 0..n {
        for j in (i + 1)..n {
            let r = (xs[i] - xs[j]).abs();
            if r > cutoff {
                continue;
            }
            e += (1.0 - r / cutoff).powi(2);
            pairs += 1;
            if pairs >= max_pairs {
                break 'outer;
            }
        }
    }
    e
}

#[test]
fn check() {
    let p = [0.0, 0.35, 1.4, 0.8, 2.05, 1.1];
    let f = |q: &[f64]| repulsion_energy(q, 1.0, 6);
    let (v, g) = repulsion_energy_grad(&p, 1.0, 6);
    let d = dir(6);
    let (jv, jd) = repulsion_energy_jvp(&p, 1.0, 6, &d);
    verify("repulsion_energy", &f, &p, v, &g, jv, jd, &d);
}

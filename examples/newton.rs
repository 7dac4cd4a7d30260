//! Newton's method with exact second derivatives: `#[differentiable(hessian)]` gives
//! `loss_hessian` (value, gradient and Hessian), and nalgebra's Cholesky factorisation solves
//! each Newton step `H·d = -∇f`. The problem is not quadratic (an L2-regularised logistic
//! regression), so the gradient norm printed per step shows Newton's quadratic convergence:
//! the number of correct digits roughly doubles each step.
//!
//! Run with `cargo run --release --example newton`.

use autodiff::prelude::*;
use nalgebra::{DMatrix, DVector};

/// Features (two columns and a constant) and labels of a small classification problem.
const DATA: [([f64; 3], f64); 10] = [
    ([0.5, 1.2, 1.0], 1.0),
    ([-1.1, 0.3, 1.0], 0.0),
    ([2.0, -0.4, 1.0], 1.0),
    ([0.1, -1.5, 1.0], 0.0),
    ([1.4, 0.9, 1.0], 1.0),
    ([-0.7, -0.2, 1.0], 0.0),
    ([0.3, 0.4, 1.0], 0.0),
    ([-0.2, 1.8, 1.0], 1.0),
    ([1.0, -1.0, 1.0], 1.0),
    ([-1.6, 0.6, 1.0], 0.0),
];

/// The negative log-likelihood of logistic regression plus `0.05·|w|²`, written as one would
/// write it by hand: `ln(1 + eᶻ) - y·z` per point.
#[differentiable(hessian)]
fn loss(w: &[f64]) -> f64 {
    let mut total = 0.0;
    for (x, y) in DATA.iter() {
        let z = w[0] * x[0] + w[1] * x[1] + w[2] * x[2];
        total += z.exp().ln_1p() - y * z;
    }
    let mut penalty = 0.0;
    for wi in w.iter() {
        penalty += wi * wi;
    }
    total + 0.05 * penalty
}

fn main() {
    let mut w = vec![0.0; 3];
    println!("Newton's method on a regularised logistic regression (3 weights)");
    println!("step        loss             |gradient|");
    for step in 0..8 {
        let (value, gradient, hessian): (f64, Vec<f64>, DMatrix<f64>) = loss_hessian(&w);
        let norm = gradient.iter().map(|g| g * g).sum::<f64>().sqrt();
        println!("{step:>4}  {value:.15}  {norm:.3e}");
        if norm < 1e-14 {
            println!("converged: the gradient is zero to machine precision");
            break;
        }
        let Some(cholesky) = hessian.cholesky() else {
            println!("the Hessian is not positive definite here; stopping");
            break;
        };
        let step_dir = cholesky.solve(&-DVector::from_vec(gradient));
        for (wi, di) in w.iter_mut().zip(step_dir.iter()) {
            *wi += di;
        }
    }
    println!("weights: {:.6?}", w);
    // The Hessian-vector product without forming the matrix: one forward and one reverse sweep.
    let v = [1.0, 0.0, 0.0];
    let (mut g, mut hv) = (vec![0.0; 3], vec![0.0; 3]);
    loss_hvp(&w, &v, 1.0, &mut g, &mut hv);
    println!("H·e₀ at the minimum (f_hvp): {:.6?}", hv);
}

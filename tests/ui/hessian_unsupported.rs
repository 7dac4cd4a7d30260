use autodiff::prelude::*;

// A tuple holding a `Vec` (a tuple of floats, a `Vec` alone get `pair_hvp`).
#[differentiable(hessian)]
fn pair(x: f64) -> (f64, Vec<f64>) {
    (x * x, vec![x.sin()])
}

#[differentiable(hessian)]
fn energy(x: f64) -> f64 {
    x.powi(4)
}

#[differentiable(hessian)]
fn force_squared(x: f64) -> f64 {
    let (_, g) = energy_grad(x);
    g * g
}

#[derive(Clone, Differentiable)]
struct Weights {
    w: Vec<f64>,
}

// A model's field borrowed whole as a slice.
#[differentiable(hessian, wrt(m))]
fn weighted(m: &Weights, x: &[f64]) -> f64 {
    let w: &[f64] = &m.w;
    w[0] * x[0] + w[1] * x[1]
}

fn main() {}

use autodiff::prelude::*;

#[differentiable]
fn f(x: &[f64]) -> f64 {
    let mut squares: Vec<f64> = vec![0.0; x.len()];
    squares[0] = x[0] * x[0];
    let copy = x.to_vec();
    squares[0] + vec![x[1], x[2]][0] + copy[0]
}

fn main() {}

use autodiff::prelude::*;

#[differentiable]
fn f(x: &[f64]) -> f64 {
    let mut e: Vec<f64> = vec![0.0; x.len()];
    for i in 0..x.len() {
        e[i] = x[i].exp();
    }
    let total = e[0] + e[1];
    e.rotate_left(1);
    total
}

fn main() {}

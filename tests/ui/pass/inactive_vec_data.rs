use autodiff::prelude::*;

#[differentiable]
fn weighted(x: &[f64], n: usize) -> f64 {
    let weights: Vec<f64> = vec![0.5; n];
    let offsets = vec![1.0, 2.0, 3.0];
    let mut s = 0.0;
    for i in 0..x.len() {
        s += weights[i % n] * x[i] + offsets[i % 3];
    }
    s
}

fn main() {
    let (_, g) = weighted_grad(&[1.0, 2.0], 2);
    assert_eq!(g, vec![0.5, 0.5]);
}

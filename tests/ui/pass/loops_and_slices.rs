use autodiff::prelude::*;

#[differentiable]
fn norm2(x: &[f64]) -> f64 {
    x.iter().map(|&v| v * v).sum()
}

fn main() {
    let (_, g) = norm2_grad(&[1.0, 2.0]);
    assert_eq!(g, vec![2.0, 4.0]);
}

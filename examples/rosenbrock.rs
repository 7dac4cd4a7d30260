//! Minimising Rosenbrock's function of 100 variables by gradient descent, the gradient written
//! by `#[differentiable]` from the plain loop. Run with
//! `cargo run --release --example rosenbrock`.

use autodiff::prelude::*;

/// Σ 100 (x[i+1] - x[i]²)² + (1 - x[i])²; its minimum is 0 at x = (1, ..., 1).
#[differentiable]
fn rosenbrock(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() - 1 {
        let a = x[i + 1] - x[i] * x[i];
        let b = 1.0 - x[i];
        s += 100.0 * a * a + b * b;
    }
    s
}

fn main() {
    let n = 100;
    let mut x = Param::new(vec![-1.2; n]);
    let mut opt = Sgd::new(2e-4).momentum(0.9);
    for step in 0..=20_000 {
        x.zero_grad();
        let value = rosenbrock_vjp(&x.value, 1.0, &mut x.grad);
        if step % 2_000 == 0 {
            let norm = x.grad.iter().map(|g| g * g).sum::<f64>().sqrt();
            println!(
                "step {step:6}: f = {value:12.6e}, |gradient| = {norm:10.3e}, x[0] = {:.6}",
                x.value[0]
            );
        }
        opt.step(&mut [&mut x]);
    }
    let far = x
        .value
        .iter()
        .map(|v| (v - 1.0).abs())
        .fold(0.0, |a: f64, b| if b.is_nan() { b } else { a.max(b) });
    println!("largest distance of a coordinate from the minimum at 1: {far:.3e}");
}

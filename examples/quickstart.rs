//! Quickstart: the gradient of a function you already wrote, in three ways, and a few steps of
//! gradient descent. Run with `cargo run --release --example quickstart`.

use autodiff::prelude::*;

/// SEEDS S1: a bowl with its minimum at the origin.
#[differentiable]
fn bowl(x0: f64, x1: f64) -> f64 {
    x0 * x0 + 2.0 * x1 * x1
}

/// SEEDS S6/S7: `c·sin(x) + x + c`.
#[differentiable]
fn wave(x: f64, c: f64) -> f64 {
    c * x.sin() + x + c
}

fn main() {
    // 1. The gradient: value and ∂f/∂x0, ∂f/∂x1.
    let (value, (g0, g1)) = bowl_grad(-5.0, -2.0);
    println!(
        "the gradient: bowl(x0, x1) = x0² + 2·x1² at (-5, -2) is {value}, its gradient [{g0}, {g1}]"
    );

    // 2. Reverse mode ADDS into gradient buffers, like PyTorch's .grad.
    let (mut x0, mut x1) = (Param::new(-5.0), Param::new(-2.0));
    bowl_vjp(x0.value, x1.value, 1.0, &mut x0.grad, &mut x1.grad);
    bowl_vjp(x0.value, x1.value, 1.0, &mut x0.grad, &mut x1.grad);
    println!(
        "gradients accumulate: two backward passes leave [{}, {}] in the buffers",
        x0.grad, x1.grad
    );
    x0.zero_grad();
    x1.zero_grad();
    println!("                      and zero_grad empties them: [{}, {}]", x0.grad, x1.grad);

    // 3. Forward mode: the derivative along one direction, in one pass.
    let (y, dy_dx) = wave_jvp(5.0, 3.0, 1.0, 0.0);
    let (_, dy_dc) = wave_jvp(5.0, 3.0, 0.0, 1.0);
    println!(
        "forward mode: wave(x, c) = c·sin(x) + x + c at (5, 3) is {y:.4}; ∂/∂x = {dy_dx:.4}, ∂/∂c = {dy_dc:.4}"
    );

    // Gradient descent from (5, 2): the update happens outside differentiated code.
    let (mut x0, mut x1) = (Param::new(5.0), Param::new(2.0));
    let mut opt = Sgd::new(0.1);
    println!("gradient descent on the bowl from (5, 2), learning rate 0.1:");
    for step in 0..=20 {
        x0.zero_grad();
        x1.zero_grad();
        let loss = bowl_vjp(x0.value, x1.value, 1.0, &mut x0.grad, &mut x1.grad);
        if step % 5 == 0 {
            println!("  step {step:2}: x = [{:.5}, {:.5}], loss = {loss:.6}", x0.value, x1.value);
        }
        opt.step(&mut [&mut x0, &mut x1]);
    }
}

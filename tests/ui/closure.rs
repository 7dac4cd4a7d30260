use autodiff::prelude::*;

fn integrate(f: impl Fn(f64) -> f64, a: f64, b: f64) -> f64 {
    let n = 100;
    let h = (b - a) / n as f64;
    (0..n).map(|i| f(a + (i as f64 + 0.5) * h) * h).sum()
}

// A closure passed to a higher-order function.
#[differentiable]
fn passed(x: f64) -> f64 {
    integrate(|t| t * x, 0.0, 1.0)
}

// A name the closure reads is assigned before its call: inlining would read the new value.
// (Bound again by a `let`, it is renamed after the closure instead: that compiles.)
#[differentiable]
fn assigned(x: f64) -> f64 {
    let mut y = x;
    let scale = move |t: f64| t * y;
    y = 3.0;
    scale(y)
}

// Kept as a value.
#[differentiable]
fn stored(x: f64) -> f64 {
    let scale = |t: f64| t * x;
    let g = scale;
    g(2.0)
}

fn main() {}

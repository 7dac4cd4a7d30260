use autodiff::prelude::*;

#[differentiable]
fn f(x: f64) -> f64 {
    let bits = x.to_bits();
    x * bits as f64
}

// An iterator adapter the macro does not turn into a loop: the help lists the forms that do.
#[differentiable]
fn product(x: &[f64]) -> f64 {
    x.iter().copied().reduce(|a, b| a * b).unwrap_or(0.0)
}

fn main() {}

use autodiff::prelude::*;

#[differentiable(speed = 3)]
fn f(x: f64) -> f64 {
    x * x
}

fn main() {}

use autodiff::prelude::*;

#[differentiable]
fn f(mut x: f64, y: f64) -> f64 {
    x += y;
    x
}

fn main() {}

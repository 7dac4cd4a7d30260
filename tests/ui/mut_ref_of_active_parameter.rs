use autodiff::prelude::*;

#[differentiable]
fn f(mut x: f64) -> f64 {
    let r = &mut x;
    *r * 2.0
}

fn main() {}

use autodiff::prelude::*;

#[differentiable(jvp = forward, jvp = tangent)]
fn f(x: f64) -> f64 {
    x * x
}

fn main() {}

use autodiff::prelude::*;

#[differentiable]
struct Model {
    weight: f64,
}

fn main() {}

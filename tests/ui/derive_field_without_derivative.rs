use autodiff::prelude::*;

#[derive(Clone, Differentiable)]
struct Model {
    w: Tensor,
    layers: usize,
}

fn main() {}

use autodiff::prelude::*;

#[derive(Clone, Differentiable)]
struct Model {
    #[autodiff(frozen)]
    w: Tensor,
}

fn main() {}

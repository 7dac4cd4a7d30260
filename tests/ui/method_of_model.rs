use autodiff::prelude::*;

#[derive(Clone, Differentiable)]
struct Model {
    w: Tensor,
}

impl Model {
    fn forward(&self, x: &Tensor) -> Tensor {
        x.matmul(&self.w)
    }
}

#[differentiable(wrt(model))]
fn loss(model: &Model, x: &Tensor) -> Tensor {
    model.forward(x).sum()
}

fn main() {}

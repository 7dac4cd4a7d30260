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

// `.item()` of an active tensor without its element type
#[differentiable]
fn squared_sum(w: &Tensor) -> f64 {
    let v: f64 = w.sum().item();
    v * v
}

fn main() {}

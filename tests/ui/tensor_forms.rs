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

// a `Vec` of tensors filled by `push`
#[differentiable]
fn states(w: &Tensor, x0: &Tensor) -> Tensor {
    let mut h = x0.clone();
    let mut outs: Vec<Tensor> = Vec::new();
    for _ in 0..3 {
        h = h.matmul(w).tanh();
        outs.push(h.clone());
    }
    Tensor::cat(&outs, 0).sum()
}

// forward mode along several directions, of a tensor function
#[differentiable(batch)]
fn total(x: &Tensor) -> Tensor {
    x.sum()
}

// A sequence of tensors, by default and named in `wrt` (layers' weights: parameters of their
// own or a model's fields).
#[differentiable]
fn deep(ws: &[Tensor], x: &Tensor) -> Tensor {
    ws[0].matmul(x).sum()
}

#[differentiable(wrt(ws))]
fn deep_wrt(ws: &[Tensor], x: &Tensor) -> Tensor {
    ws[0].matmul(x).sum()
}

fn main() {}

// A tensor `clamp` whose bounds depend on an active float: their derivative is not taken, so
// this is refused rather than silently zero.
#[differentiable]
fn clamped(x: &Tensor, lo: f64) -> Tensor {
    x.clamp(lo, 1.0).sum()
}

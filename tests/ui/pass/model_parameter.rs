//! A model struct as a parameter: the generated signatures take the struct itself as tangent,
//! adjoint buffer and gradient.
use autodiff::prelude::*;

#[derive(Clone, Differentiable)]
struct Model {
    w: Tensor,
    scale: f64,
    #[autodiff(skip)]
    name: String,
}

#[differentiable(wrt(model))]
fn loss(model: &Model, x: &Tensor) -> Tensor {
    (x.matmul(&model.w) * model.scale).sum()
}

fn main() {
    let model = Model { w: Tensor::ones(&[2, 2]), scale: 2.0, name: "m".into() };
    let x = Tensor::ones(&[1, 2]);
    let _: (Tensor, Tensor) = loss_jvp(&model, &x, &model);
    let mut bar: Model = model.zero_like();
    let _: Tensor = loss_vjp(&model, &x, Tensor::scalar(1.0f32), &mut bar);
    let (_, grad): (Tensor, Model) = loss_grad(&model, &x);
    assert_eq!(grad.name, model.name);
}

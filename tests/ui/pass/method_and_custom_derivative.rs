use autodiff::prelude::*;

fn softplus(x: f64) -> f64 {
    x.exp().ln_1p()
}
fn softplus_jvp(x: f64, x_dot: f64) -> (f64, f64) {
    (softplus(x), x_dot / (1.0 + (-x).exp()))
}
fn softplus_vjp(x: f64, seed: f64, x_bar: &mut f64) -> f64 {
    *x_bar += seed / (1.0 + (-x).exp());
    softplus(x)
}

struct Model {
    w: f64,
}

impl Model {
    #[differentiable]
    fn loss(&self, x: f64) -> f64 {
        softplus(self.w * x)
    }
}

fn main() {
    let m = Model { w: 2.0 };
    let _ = m.loss_grad(0.5);
}

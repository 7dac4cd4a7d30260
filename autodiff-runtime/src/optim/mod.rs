//! Optimisers: they update [`Param`](crate::Param) values from their gradients, outside any
//! differentiated code (what PyTorch wraps in `no_grad`).

mod adam;
mod clip;
mod sgd;
mod update;

pub use adam::Adam;
pub use clip::clip_grad_norm;
pub use sgd::Sgd;
pub use update::Update;

/// The gradient with L2 weight decay, `grad + wd · value`; `None` (the gradient as it is)
/// without decay.
fn decayed<T: Update>(value: &T, grad: &T, wd: f64) -> Option<T> {
    (wd != 0.0).then(|| {
        let mut g = grad.clone();
        g.add_scaled(wd, value);
        g
    })
}

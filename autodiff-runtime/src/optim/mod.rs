//! Optimisers: they update [`Param`](crate::Param) values from their gradients, outside any
//! differentiated code (what PyTorch wraps in `no_grad`).

mod adam;
mod sgd;
mod update;

pub use adam::Adam;
pub use sgd::Sgd;
pub use update::Update;

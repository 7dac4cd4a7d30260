//! [`Tensor`]: n-dimensional arrays of `f32` or `f64`, a cheap handle over shared storage, with
//! NumPy broadcasting, reductions, `matmul`, and a `Display` like PyTorch's.

mod activations;
mod axes;
mod core;
mod display;
mod index;
mod linalg;
mod ops;
mod reduce;
mod shape;

pub use self::core::{DType, Element, Tensor};
// what the GPU code (the `cuda` feature) reaches into
#[cfg(feature = "cuda")]
pub(crate) use self::{
    core::Storage,
    ops::{Binary, Unary, strides_in},
    reduce::Reduce,
    shape::Shape,
};

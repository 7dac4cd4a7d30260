//! [`Tensor`]: n-dimensional arrays of `f32` or `f64`, a cheap handle over shared storage, with
//! NumPy broadcasting, reductions, `matmul`, and a `Display` like PyTorch's.

mod core;
mod display;
mod index;
mod linalg;
mod ops;
mod reduce;

#[allow(unused_imports)]
pub(crate) use self::core::Storage;
pub use self::core::{DType, Element, Tensor};
#[allow(unused_imports)]
pub(crate) use self::ops::{Binary, Unary, broadcast_shape, strides_in};
#[allow(unused_imports)]
pub(crate) use self::reduce::Reduce;

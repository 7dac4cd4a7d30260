//! Tensors on NVIDIA GPUs (the `cuda` feature): devices opened through cudarc, our kernels from
//! `autodiff-runtime/kernels/` compiled by NVRTC once per device, cuBLAS for `matmul`.
//!
//! `unsafe` lives here only: each kernel launch says why its buffers are large enough.

mod context;
mod kernels;
mod storage;
mod tensor_ops;

pub(crate) use context::Gpu;
pub(crate) use storage::CudaStorage;
pub(crate) use tensor_ops::*;

//! The examples' `--device cuda` flag: the first GPU when it can be used, else the CPU with a
//! message saying why (a build without `--features cuda`, no driver, no card).

use autodiff::prelude::*;

/// The device the command line asks for (`--device cuda`, `--device=cuda`), printed.
pub fn from_args() -> Device {
    let wants_cuda = std::env::args().any(|a| a == "cuda" || a == "--device=cuda");
    let device = if wants_cuda {
        Device::cuda(0).unwrap_or_else(|e| {
            println!("no usable CUDA device ({e}): running on the CPU");
            Device::Cpu
        })
    } else {
        Device::Cpu
    };
    println!("device: {device}");
    device
}

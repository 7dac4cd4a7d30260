//! Tensors on the GPU against PyTorch on the same card, in one run:
//! `cargo bench --features cuda --bench cuda`.
//!
//! - elementwise kernels (`x * 2`, `x + y`, `tanh`) and `sum` over 2²⁶ `f32`s, as bandwidth
//!   (bytes read and written per second) and as a fraction of PyTorch's device-to-device copy,
//!   the practical peak of the card's memory;
//! - `matmul` of two 4096 × 4096 matrices (cuBLAS), `f32` and `f64`, in TFLOP/s;
//! - one S13 training step (forward, gradient, Adam).
//!
//! Each is also timed in PyTorch (`benches/cuda_torch.py`, run from here) and the ratio ours /
//! PyTorch printed. Without a usable GPU it says why and measures nothing.

#[path = "common/ratios.rs"]
mod ratios;

use autodiff::prelude::*;
use criterion::Criterion;
use std::hint::black_box;

#[path = "common/two_layer.rs"]
mod two_layer;

fn main() {
    let device = match Device::cuda(0) {
        Ok(d) => d,
        Err(e) => {
            println!("cuda bench skipped: no usable GPU: {e}");
            return;
        }
    };
    let on = |t: Tensor| t.to_device(&device).expect("the GPU takes the bench's tensors");
    let sync = || device.synchronize().expect("the GPU finishes its work");
    let n = 1usize << 26;
    let (x, y) = (on(Tensor::randn(&[n], 1)), on(Tensor::randn(&[n], 2)));
    let a32 = on(Tensor::randn(&[4096, 4096], 3));
    let b32 = on(Tensor::randn(&[4096, 4096], 4));
    let (a64, b64) = (a32.to_dtype(DType::F64), b32.to_dtype(DType::F64));

    // S13's step, as in benches/two_layer.rs, on the GPU
    let (xs, ys) = two_layer::data(&device);
    let mut net = two_layer::Net::new(&device);

    let mut c = Criterion::default().sample_size(20).configure_from_args();
    let mut group = c.benchmark_group("cuda");
    group.bench_function("scale", |b| b.iter(|| (black_box(&x) * 2.0, sync())));
    group.bench_function("add", |b| b.iter(|| (black_box(&x) + &y, sync())));
    group.bench_function("tanh", |b| b.iter(|| (black_box(&x).tanh(), sync())));
    group.bench_function("sum", |b| b.iter(|| (black_box(&x).sum(), sync())));
    group.bench_function("matmul_f32", |b| b.iter(|| (black_box(&a32).matmul(&b32), sync())));
    group.bench_function("matmul_f64", |b| b.iter(|| (black_box(&a64).matmul(&b64), sync())));
    group.bench_function("s13_step", |b| b.iter(|| (net.step(&xs, &ys), sync())));
    group.finish();
    c.final_summary();

    let torch = ratios::python_times("cuda_torch.py", "PyTorch");
    let theirs = |name: &str| torch.iter().find(|(n, _)| n == name).map(|(_, s)| *s);
    let peak = theirs("copy").map(|s| 8.0 * n as f64 / s);
    println!("\ncuda: ours against PyTorch on the same GPU (median times of this run)");
    if let Some(p) = peak {
        println!("  PyTorch's copy: {:.0} GB/s (the practical peak below)", p / 1e9);
    }
    let bytes = [("scale", 8.0), ("add", 12.0), ("tanh", 8.0), ("sum", 4.0)];
    for (name, per_element) in bytes {
        let Some(ours) = ratios::median_ns("cuda", name).map(|ns| ns * 1e-9) else { continue };
        let rate = per_element * n as f64 / ours;
        let fraction =
            peak.map_or(String::new(), |p| format!(", {:.0}% of the peak", 100.0 * rate / p));
        let vs =
            theirs(name).map_or(String::new(), |t| format!(", ours / PyTorch = {:.2}", ours / t));
        println!("  {name:>10}: {:.0} GB/s{fraction}{vs}", rate / 1e9);
    }
    for name in ["matmul_f32", "matmul_f64"] {
        let Some(ours) = ratios::median_ns("cuda", name).map(|ns| ns * 1e-9) else { continue };
        let flops = 2.0 * 4096f64.powi(3);
        let vs = theirs(name).map_or(String::new(), |t| {
            format!(", PyTorch {:.1} TFLOP/s, ours / PyTorch = {:.2}", flops / t / 1e12, ours / t)
        });
        println!("  {name:>10}: {:.1} TFLOP/s{vs}", flops / ours / 1e12);
    }
    if let Some(ours) = ratios::median_ns("cuda", "s13_step").map(|ns| ns * 1e-9) {
        let vs = theirs("s13_step").map_or(String::new(), |t| {
            format!(", PyTorch {:.0} µs, ours / PyTorch = {:.2}", t * 1e6, ours / t)
        });
        println!("  {:>10}: {:.0} µs{vs}", "s13_step", ours * 1e6);
    }
}

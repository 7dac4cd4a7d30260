//! SEEDS S13: one training step of the two-layer net (N = 64, D_in = 1000, H = 100, D_out = 10,
//! Linear-ReLU-Linear, summed squared error, Adam): forward, gradient and update, with the
//! gradient from `#[differentiable]` against the same step with the gradient written by hand
//! on the same tensor kernels. `cargo bench --bench two_layer` prints the ratio, and the ratios
//! to JAX on the CPU (`benches/two_layer_jax.py`: one jit per step, and 500 steps in one jit)
//! where Python with JAX is installed (`AUTODIFF_PYTHON=path/to/python` picks the interpreter).

#[path = "common/ratios.rs"]
mod ratios;

use autodiff::prelude::*;
use criterion::Criterion;
use std::hint::black_box;

#[path = "common/two_layer.rs"]
mod two_layer;

use two_layer::Net;

/// One step with the gradient written by hand, on the same tensor kernels:
/// `g = 2 (pred - y)`, `∂w2 = gᵀ h`, `∂b2 = Σ_rows g`, `∂h = g w2`, masked by `h_pre > 0`,
/// `∂w1 = ∂h_preᵀ x`, `∂b1 = Σ_rows ∂h_pre`.
fn step_hand(net: &mut Net, x: &Tensor, y: &Tensor) -> Tensor {
    let (w1, b1) = (&net.l1.weight.value, &net.l1.bias.value);
    let (w2, b2) = (&net.l2.weight.value, &net.l2.bias.value);
    let h_pre = x.matmul(&w1.t()) + b1;
    let h = h_pre.relu();
    let pred = h.matmul(&w2.t()) + b2;
    let diff = &pred - y;
    let value = (&diff * &diff).sum();
    let g = &diff * 2.0;
    let grads = {
        let g_w2 = g.t().matmul(&h);
        let g_b2 = g.sum_dim(0, false);
        let mask: Vec<f32> =
            h_pre.to_vec::<f32>().iter().map(|v| if *v > 0.0 { 1.0 } else { 0.0 }).collect();
        let g_pre = g.matmul(w2) * Tensor::from_vec(mask, h_pre.shape());
        [g_pre.t().matmul(x), g_pre.sum_dim(0, false), g_w2, g_b2]
    };
    for (p, g) in net.params().into_iter().zip(grads) {
        p.grad = g;
    }
    net.update();
    value
}

fn main() {
    let (x, y) = two_layer::data(&Device::Cpu);
    // The baseline must be right: both steps give the same gradients and the same trajectory.
    let (mut a, mut b) = (Net::new(&Device::Cpu), Net::new(&Device::Cpu));
    for _ in 0..3 {
        let (va, vb) = (a.step(&x, &y).item::<f64>(), step_hand(&mut b, &x, &y).item::<f64>());
        assert!((va - vb).abs() <= 1e-4 * vb.abs(), "loss {va} vs hand-written {vb}");
    }
    let (wa, wb) = (a.l1.weight.value.to_vec::<f64>(), b.l1.weight.value.to_vec::<f64>());
    assert!(wa.iter().zip(&wb).all(|(p, q)| (p - q).abs() < 1e-5), "weights diverged");

    let mut c = Criterion::default().configure_from_args();
    let mut group = c.benchmark_group("two_layer");
    group.bench_function("ours", |bench| bench.iter(|| a.step(black_box(&x), &y)));
    group.bench_function("hand", |bench| bench.iter(|| step_hand(&mut b, black_box(&x), &y)));
    group.finish();
    c.final_summary();
    ratios::print_ratios("two_layer", &[("ours", "hand")]);
    let jax = ratios::python_times("two_layer_jax.py", "JAX");
    if let Some(ours) = ratios::median_ns("two_layer", "ours").map(|ns| ns * 1e-9) {
        for (name, theirs) in jax {
            println!(
                "  ours / JAX ({name:>4})  = {:.3}   ({:.0} us / {:.0} us)",
                ours / theirs,
                ours * 1e6,
                theirs * 1e6
            );
        }
    }
}

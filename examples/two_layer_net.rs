//! SEEDS S13: a two-layer network (N = 64, D_in = 1000, H = 100, D_out = 10, Linear-ReLU-Linear)
//! fitted to random data with the summed squared error and Adam (lr 1e-4), printing the loss
//! every 100 steps. Run with `cargo run --release --example two_layer_net [-- --device cuda]`.

use autodiff::prelude::*;

#[differentiable(wrt(w1, b1, w2, b2))]
fn loss(x: &Tensor, y: &Tensor, w1: &Tensor, b1: &Tensor, w2: &Tensor, b2: &Tensor) -> Tensor {
    let h = nn::linear(x, w1, b1).relu();
    loss::mse_sum(&nn::linear(&h, w2, b2), y)
}

fn main() {
    let wants_cuda = std::env::args().any(|a| a == "cuda" || a == "--device=cuda");
    let device = if wants_cuda { Device::cuda_if_available(0) } else { Device::Cpu };
    if wants_cuda && device == Device::Cpu {
        println!("no usable CUDA device (this build has no CUDA support yet): running on the CPU");
    }
    println!("device: {device}");
    let (n, d_in, h, d_out) = (64, 1000, 100, 10);
    let x = Tensor::randn(&[n, d_in], 10);
    let y = Tensor::randn(&[n, d_out], 11);
    let (mut l1, mut l2) = (nn::Linear::new(d_in, h), nn::Linear::new(h, d_out));
    let mut opt = Adam::new(1e-4);
    let start = std::time::Instant::now();
    for step in 0..500 {
        l1.zero_grad();
        l2.zero_grad();
        let value = loss_vjp(
            &x,
            &y,
            &l1.weight.value,
            &l1.bias.value,
            &l2.weight.value,
            &l2.bias.value,
            Tensor::scalar(1.0f32),
            &mut l1.weight.grad,
            &mut l1.bias.grad,
            &mut l2.weight.grad,
            &mut l2.bias.grad,
        );
        if step % 100 == 99 || step == 0 {
            println!("step {:3}: loss = {:.6e}", step, value.item::<f32>());
        }
        opt.step(&mut [&mut l1.weight, &mut l1.bias, &mut l2.weight, &mut l2.bias]);
    }
    println!("500 steps in {:.0} ms", start.elapsed().as_secs_f64() * 1e3);
}

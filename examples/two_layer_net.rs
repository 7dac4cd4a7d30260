//! SEEDS S13: a two-layer network (N = 64, D_in = 1000, H = 100, D_out = 10, Linear-ReLU-Linear)
//! fitted to random data with the summed squared error and Adam (lr 1e-4), printing the loss
//! every 100 steps. Run with `cargo run --release --example two_layer_net`, or on a GPU with
//! `cargo run --release --features cuda --example two_layer_net -- --device cuda`.

use autodiff::prelude::*;

#[path = "common/device.rs"]
mod device;

/// The network's parameters, one struct: its gradient is a `TwoLayerNet` too, and Adam steps
/// every field (PyTorch's `model.parameters()`).
#[derive(Clone, Differentiable)]
struct TwoLayerNet {
    w1: Tensor,
    b1: Tensor,
    w2: Tensor,
    b2: Tensor,
}

impl TwoLayerNet {
    /// PyTorch's initialisation of two `Linear` layers.
    fn new(d_in: usize, h: usize, d_out: usize) -> TwoLayerNet {
        let (l1, l2) = (nn::Linear::new(d_in, h), nn::Linear::new(h, d_out));
        TwoLayerNet {
            w1: l1.weight.value,
            b1: l1.bias.value,
            w2: l2.weight.value,
            b2: l2.bias.value,
        }
    }

    /// The network with every tensor on `device`.
    fn to_device(&self, device: &Device) -> Result<TwoLayerNet, Error> {
        Ok(TwoLayerNet {
            w1: self.w1.to_device(device)?,
            b1: self.b1.to_device(device)?,
            w2: self.w2.to_device(device)?,
            b2: self.b2.to_device(device)?,
        })
    }
}

#[differentiable(wrt(net))]
fn loss(net: &TwoLayerNet, x: &Tensor, y: &Tensor) -> Tensor {
    let h = nn::linear(x, &net.w1, &net.b1).relu();
    loss::mse_sum(&nn::linear(&h, &net.w2, &net.b2), y)
}

fn main() -> Result<(), Error> {
    let device = device::from_args();
    let (n, d_in, h, d_out) = (64, 1000, 100, 10);
    let x = Tensor::randn(&[n, d_in], 10).to_device(&device)?;
    let y = Tensor::randn(&[n, d_out], 11).to_device(&device)?;
    let mut net = Param::new(TwoLayerNet::new(d_in, h, d_out).to_device(&device)?);
    let mut opt = Adam::new(1e-4);
    if device != Device::Cpu {
        // one step before the clock starts: the first use of a GPU loads its libraries (on the
        // CPU this would only disturb the allocator's state: glibc then returns memory to the
        // system every step, and the steps take half as long again)
        let mut warm = net.clone();
        loss_vjp(&warm.value, &x, &y, Tensor::scalar(1.0f32), &mut warm.grad);
        device.synchronize()?;
    }
    let start = std::time::Instant::now();
    for step in 0..500 {
        net.zero_grad();
        let value = loss_vjp(&net.value, &x, &y, Tensor::scalar(1.0f32), &mut net.grad);
        if step % 100 == 99 || step == 0 {
            println!("step {:3}: loss = {:.6e}", step, value.item::<f32>());
        }
        opt.step(&mut [&mut net]);
    }
    device.synchronize()?;
    println!("500 steps in {:.0} ms", start.elapsed().as_secs_f64() * 1e3);
    Ok(())
}

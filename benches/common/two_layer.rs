//! SEEDS S13: the two-layer network (N = 64, D_in = 1000, H = 100, D_out = 10,
//! Linear-ReLU-Linear, summed squared error, Adam lr 1e-4) and one training step with the
//! gradient from `#[differentiable]`, on any device; shared by the tests and benches.

#![allow(dead_code)]

use autodiff::prelude::*;

/// The summed squared error of the network's prediction for `x` against `y`.
#[differentiable(wrt(w1, b1, w2, b2))]
pub fn loss(x: &Tensor, y: &Tensor, w1: &Tensor, b1: &Tensor, w2: &Tensor, b2: &Tensor) -> Tensor {
    let h = nn::linear(x, w1, b1).relu();
    loss::mse_sum(&nn::linear(&h, w2, b2), y)
}

/// S13's data on `device`: `x` (64 × 1000, seed 10) and `y` (64 × 10, seed 11).
pub fn data(device: &Device) -> (Tensor, Tensor) {
    let on = |t: Tensor| t.to_device(device).expect("the device takes S13's data");
    (on(Tensor::randn(&[64, 1000], 10)), on(Tensor::randn(&[64, 10], 11)))
}

/// The network's two layers (seeds 12 and 14) and its optimiser.
pub struct Net {
    pub l1: nn::Linear,
    pub l2: nn::Linear,
    pub opt: Adam,
}

impl Net {
    /// The network on `device`.
    pub fn new(device: &Device) -> Net {
        let layer = |inputs, outputs, seed| {
            nn::Linear::seeded(inputs, outputs, seed)
                .to_device(device)
                .expect("layer on the device")
        };
        Net { l1: layer(1000, 100, 12), l2: layer(100, 10, 14), opt: Adam::new(1e-4) }
    }

    /// The four parameters, in `loss`'s order.
    pub fn params(&mut self) -> [&mut Param<Tensor>; 4] {
        [&mut self.l1.weight, &mut self.l1.bias, &mut self.l2.weight, &mut self.l2.bias]
    }

    /// Adam's step on every parameter.
    pub fn update(&mut self) {
        let Net { l1, l2, opt } = self;
        opt.step(&mut [&mut l1.weight, &mut l1.bias, &mut l2.weight, &mut l2.bias]);
    }

    /// One step: gradients zeroed, loss and gradient by `loss_vjp`, Adam. Returns the loss.
    pub fn step(&mut self, x: &Tensor, y: &Tensor) -> Tensor {
        self.params().into_iter().for_each(|p| p.zero_grad());
        let (l1, l2) = (&mut self.l1, &mut self.l2);
        let value = loss_vjp(
            x,
            y,
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
        self.update();
        value
    }
}

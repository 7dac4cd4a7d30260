//! Layers: [`Linear`] (with PyTorch's initialisation) and the differentiable function
//! [`linear`] that computes it, for use inside `#[differentiable]` code.

use crate::{Param, Tensor};
use autodiff_macros::differentiable;
use std::sync::atomic::{AtomicU64, Ordering};

/// `x Wᵀ + b`: the affine map of a [`Linear`] layer, differentiable in all three.
///
/// ```
/// use autodiff_runtime::{nn, Tensor};
/// let y = nn::linear(&Tensor::ones(&[1, 2]), &Tensor::ones(&[3, 2]), &Tensor::zeros(&[3]));
/// assert_eq!(y.to_vec::<f32>(), [2.0, 2.0, 2.0]);
/// ```
#[differentiable(crate = crate)]
pub fn linear(x: &Tensor, weight: &Tensor, bias: &Tensor) -> Tensor {
    x.matmul(&weight.t()) + bias
}

/// A fully connected layer: `weight` is `outputs × inputs`, `bias` has `outputs` entries, both
/// drawn uniformly from `±1/√inputs` as PyTorch's `nn.Linear` does.
///
/// ```
/// use autodiff_runtime::{nn::Linear, Tensor};
/// let layer = Linear::new(4, 2);
/// assert_eq!(layer.weight.value.shape(), &[2, 4]);
/// assert!(layer.weight.value.abs().to_vec::<f32>().iter().all(|w| *w <= 0.5));
/// assert_eq!(layer.forward(&Tensor::ones(&[3, 4])).shape(), &[3, 2]);
/// ```
#[derive(Clone, Debug)]
pub struct Linear {
    /// The weight, `outputs × inputs`.
    pub weight: Param<Tensor>,
    /// The bias, `outputs`.
    pub bias: Param<Tensor>,
}

static SEEDS: AtomicU64 = AtomicU64::new(1);

impl Linear {
    /// A layer from `inputs` to `outputs` features, initialised like PyTorch's (each layer
    /// draws from the next seed of a process-wide counter; [`Linear::seeded`] chooses it).
    ///
    /// ```
    /// let a = autodiff_runtime::nn::Linear::new(3, 3);
    /// let b = autodiff_runtime::nn::Linear::new(3, 3);
    /// assert_ne!(a.weight.value, b.weight.value);
    /// ```
    pub fn new(inputs: usize, outputs: usize) -> Linear {
        Linear::seeded(inputs, outputs, SEEDS.fetch_add(2, Ordering::Relaxed))
    }

    /// A layer initialised from `seed` (reproducible).
    ///
    /// ```
    /// use autodiff_runtime::nn::Linear;
    /// assert_eq!(Linear::seeded(3, 2, 7).weight.value, Linear::seeded(3, 2, 7).weight.value);
    /// ```
    pub fn seeded(inputs: usize, outputs: usize, seed: u64) -> Linear {
        let bound = 1.0 / (inputs.max(1) as f64).sqrt();
        let uniform =
            |shape: &[usize], seed: u64| &(&Tensor::rand(shape, seed) * (2.0 * bound)) - bound;
        Linear {
            weight: Param::new(uniform(&[outputs, inputs], seed)),
            bias: Param::new(uniform(&[outputs], seed + 1)),
        }
    }

    /// `x Wᵀ + b` with the current values.
    ///
    /// ```
    /// let layer = autodiff_runtime::nn::Linear::new(2, 1);
    /// let y = layer.forward(&autodiff_runtime::Tensor::zeros(&[1, 2]));
    /// assert_eq!(y, layer.bias.value.reshape(&[1, 1]));
    /// ```
    pub fn forward(&self, x: &Tensor) -> Tensor {
        linear(x, &self.weight.value, &self.bias.value)
    }

    /// Zeros both gradients.
    ///
    /// ```
    /// let mut layer = autodiff_runtime::nn::Linear::new(2, 1);
    /// layer.weight.grad = layer.weight.value.clone();
    /// layer.zero_grad();
    /// assert_eq!(layer.weight.grad.sum().item::<f32>(), 0.0);
    /// ```
    pub fn zero_grad(&mut self) {
        self.weight.zero_grad();
        self.bias.zero_grad();
    }
}

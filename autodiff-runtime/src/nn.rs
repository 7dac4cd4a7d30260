//! Layers: [`Linear`] (with PyTorch's initialisation) and the differentiable function
//! [`linear`] that computes it, for use inside `#[differentiable]` code.

use crate::{Param, Tensor};
use std::sync::atomic::{AtomicU64, Ordering};

/// `x Wᵀ + b`: the affine map of a [`Linear`] layer, differentiable in all three (its
/// derivatives, [`linear_jvp`] and [`linear_vjp`], are written by hand so that no transpose of
/// the weight is ever copied). `x` is `(.., inputs)`, `weight` `(outputs, inputs)`, `bias`
/// `(outputs)`; the result is `(.., outputs)`.
///
/// # Panics
///
/// If the shapes do not fit, naming them.
///
/// ```
/// use autodiff_runtime::{nn, Tensor};
/// let y = nn::linear(&Tensor::ones(&[1, 2]), &Tensor::ones(&[3, 2]), &Tensor::zeros(&[3]));
/// assert_eq!(y.to_vec::<f32>(), [2.0, 2.0, 2.0]);
/// ```
#[track_caller]
pub fn linear(x: &Tensor, weight: &Tensor, bias: &Tensor) -> Tensor {
    let (rows, out_shape) = linear_shapes(x, weight, bias);
    let x2 = x.reshape(&[rows, weight.shape()[1]]);
    (&x2.matmul_t(weight, false, true) + bias).reshape(&out_shape)
}

/// Checks the shapes of [`linear`]'s operands: the number of rows of `x` flattened to 2-d, and
/// the result's shape.
#[track_caller]
fn linear_shapes(x: &Tensor, weight: &Tensor, bias: &Tensor) -> (usize, Vec<usize>) {
    let (xs, ws, bs) = (x.shape(), weight.shape(), bias.shape());
    match (xs.split_last(), ws) {
        (Some((&inputs, lead)), &[outputs, w_in]) if inputs == w_in && bs == [outputs] => {
            let mut out = lead.to_vec();
            out.push(outputs);
            (lead.iter().product(), out)
        }
        _ => panic!(
            "linear: input of shape {xs:?}, weight of shape {ws:?} and bias of shape {bs:?} do not fit (expected (.., inputs), (outputs, inputs) and (outputs))"
        ),
    }
}

/// Forward mode of [`linear`]: `dx Wᵀ + x dWᵀ + db`.
///
/// ```
/// use autodiff_runtime::{nn, Tensor};
/// let (x, w, b) = (Tensor::ones(&[1, 2]), Tensor::ones(&[1, 2]), Tensor::zeros(&[1]));
/// let (_, d) = nn::linear_jvp(&x, &w, &b, &x, &Tensor::zeros(&[1, 2]), &Tensor::ones(&[1]));
/// assert_eq!(d.to_vec::<f32>(), [3.0]);
/// ```
#[track_caller]
pub fn linear_jvp(
    x: &Tensor,
    weight: &Tensor,
    bias: &Tensor,
    x_dot: &Tensor,
    weight_dot: &Tensor,
    bias_dot: &Tensor,
) -> (Tensor, Tensor) {
    let zero_bias = bias.full_like(bias.shape(), 0.0);
    let d = &linear(x_dot, weight, bias_dot) + &linear(x, weight_dot, &zero_bias);
    (linear(x, weight, bias), d)
}

/// Reverse mode of [`linear`]: returns its value and ADDS `g W` into `x_bar`, `gᵀ x` into
/// `weight_bar` and `g` summed over the rows into `bias_bar` (`g` is `seed` broadcast to the
/// result's shape).
///
/// ```
/// use autodiff_runtime::{nn, Tensor};
/// let (x, w, b) = (Tensor::ones(&[1, 2]), Tensor::ones(&[1, 2]), Tensor::zeros(&[1]));
/// let (mut gx, mut gw, mut gb) = (Tensor::zeros(&[1, 2]), Tensor::zeros(&[1, 2]), Tensor::zeros(&[1]));
/// nn::linear_vjp(&x, &w, &b, Tensor::ones(&[1, 1]), &mut gx, &mut gw, &mut gb);
/// assert_eq!((gx.to_vec::<f32>(), gw.to_vec::<f32>(), gb.to_vec::<f32>()), (vec![1.0, 1.0], vec![1.0, 1.0], vec![1.0]));
/// ```
#[track_caller]
pub fn linear_vjp(
    x: &Tensor,
    weight: &Tensor,
    bias: &Tensor,
    seed: Tensor,
    x_bar: &mut Tensor,
    weight_bar: &mut Tensor,
    bias_bar: &mut Tensor,
) -> Tensor {
    let y = linear(x, weight, bias);
    linear_adjoint(x, weight, &y, seed, x_bar, weight_bar, bias_bar);
    y
}

/// ADDS the adjoints of [`linear`]'s operands into the wanted buffers, `y` being its value
/// (of which only the shape, data type and device are read).
fn linear_adjoint(
    x: &Tensor,
    weight: &Tensor,
    y: &Tensor,
    seed: Tensor,
    x_bar: &mut Tensor,
    weight_bar: &mut Tensor,
    bias_bar: &mut Tensor,
) {
    use crate::Differentiable;
    use crate::differentiable::wanted;
    let rows: usize = x.shape().split_last().map_or(1, |(_, lead)| lead.iter().product());
    let outputs = weight.shape()[0];
    let g =
        seed.to_device_of(y).broadcast_to(y.shape()).to_dtype(y.dtype()).reshape(&[rows, outputs]);
    // (straight into the buffers when they take the product as it is: no product allocated)
    if wanted(x_bar) && !x_bar.add_matmul_t(&g, weight, false, false) {
        x_bar.accumulate(g.matmul_t(weight, false, false).reshape(x.shape()));
    }
    if wanted(weight_bar) {
        let x2 = x.reshape(&[rows, weight.shape()[1]]);
        if !weight_bar.add_matmul_t(&g, &x2, true, false) {
            weight_bar.accumulate(g.matmul_t(&x2, true, false));
        }
    }
    if wanted(bias_bar) {
        bias_bar.accumulate(g.sum_dim(0, false));
    }
}

/// Reverse mode of [`linear`] in split mode: its value and a pullback that ADDS into the
/// buffers as [`linear_vjp`] does, without computing the product again (a `#[differentiable]`
/// caller calls this instead of [`linear_vjp`]; the pullback holds `x` and `weight`, which are
/// handles).
///
/// ```
/// use autodiff_runtime::{nn, Tensor};
/// let (x, w, b) = (Tensor::ones(&[1, 2]), Tensor::ones(&[1, 2]), Tensor::zeros(&[1]));
/// let (y, pullback) = nn::linear_pullback(&x, &w, &b);
/// let (mut gx, mut gw, mut gb) = (Tensor::zeros(&[1, 2]), Tensor::zeros(&[1, 2]), Tensor::zeros(&[1]));
/// pullback(Tensor::ones(&[1, 1]), &mut gx, &mut gw, &mut gb);
/// assert_eq!(y.to_vec::<f32>(), [2.0]);
/// assert_eq!((gx.to_vec::<f32>(), gw.to_vec::<f32>(), gb.to_vec::<f32>()), (vec![1.0, 1.0], vec![1.0, 1.0], vec![1.0]));
/// ```
#[track_caller]
pub fn linear_pullback(
    x: &Tensor,
    weight: &Tensor,
    bias: &Tensor,
) -> (Tensor, impl FnOnce(Tensor, &mut Tensor, &mut Tensor, &mut Tensor) + use<>) {
    let y = linear(x, weight, bias);
    let (x, weight, like) = (x.clone(), weight.clone(), y.clone());
    let pullback =
        move |seed: Tensor, x_bar: &mut Tensor, weight_bar: &mut Tensor, bias_bar: &mut Tensor| {
            linear_adjoint(&x, &weight, &like, seed, x_bar, weight_bar, bias_bar);
        };
    (y, pullback)
}

/// Second order of [`linear`] (for `#[differentiable(hessian)]` callers): returns its value and
/// tangent as [`linear_jvp`] does, ADDS `g W`, `gᵀ x` and `g` summed over the rows into the
/// tangents' buffers (`g` the seed of the tangent, as [`linear_vjp`]) and the bilinear part,
/// `g Ẇ` and `gᵀ ẋ`, into the values' buffers (the bias enters linearly: nothing).
///
/// ```
/// use autodiff_runtime::{nn, Tensor};
/// let (x, w, b) = (Tensor::ones(&[1, 2]), Tensor::ones(&[1, 2]), Tensor::zeros(&[1]));
/// let (dx, dw, db) = (Tensor::zeros(&[1, 2]), Tensor::full(&[1, 2], 3.0f32), Tensor::zeros(&[1]));
/// let z = || (Tensor::zeros(&[1, 2]), Tensor::zeros(&[1, 2]), Tensor::zeros(&[1]));
/// let ((mut gx, mut gw, mut gb), (mut hx, mut hw, mut hb)) = (z(), z());
/// let (_, d) = nn::linear_hvp(&x, &w, &b, &dx, &dw, &db, Tensor::ones(&[1, 1]),
///     &mut gx, &mut gw, &mut gb, &mut hx, &mut hw, &mut hb);
/// assert_eq!(d.to_vec::<f32>(), [6.0]);
/// assert_eq!((gw.to_vec::<f32>(), hx.to_vec::<f32>()), (vec![1.0, 1.0], vec![3.0, 3.0]));
/// ```
#[track_caller]
#[allow(clippy::too_many_arguments)]
pub fn linear_hvp(
    x: &Tensor,
    weight: &Tensor,
    bias: &Tensor,
    x_dot: &Tensor,
    weight_dot: &Tensor,
    bias_dot: &Tensor,
    seed: Tensor,
    x_dot_bar: &mut Tensor,
    weight_dot_bar: &mut Tensor,
    bias_dot_bar: &mut Tensor,
    x_bar: &mut Tensor,
    weight_bar: &mut Tensor,
    _bias_bar: &mut Tensor,
) -> (Tensor, Tensor) {
    let out = linear_jvp(x, weight, bias, x_dot, weight_dot, bias_dot);
    linear_vjp(x, weight, bias, seed.clone(), x_dot_bar, weight_dot_bar, bias_dot_bar);
    // `ẏ = ẋ Wᵀ + x Ẇᵀ + ḃ`: its adjoint through `x` is `g Ẇ`, through `W` is `gᵀ ẋ`, which
    // are `linear_vjp`'s with `ẋ` for `x` and `Ẇ` for `W`.
    let mut no_bias = crate::differentiable::discard_like(bias);
    linear_vjp(x_dot, weight_dot, bias, seed, x_bar, weight_bar, &mut no_bias);
    out
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

    /// The layer with its parameters on `device` (PyTorch's `layer.to(device)`).
    ///
    /// ```
    /// use autodiff_runtime::{nn::Linear, Device, Tensor};
    /// let layer = Linear::seeded(3, 2, 1).to_device(&Device::cuda_if_available(0)).unwrap();
    /// assert_eq!(layer.weight.value.shape(), &[2, 3]);
    /// ```
    pub fn to_device(&self, device: &crate::Device) -> Result<Linear, crate::Error> {
        Ok(Linear { weight: self.weight.to_device(device)?, bias: self.bias.to_device(device)? })
    }
}

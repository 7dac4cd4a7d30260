//! [`Param`]: a value with its gradient buffer, like a PyTorch leaf tensor with `requires_grad`.

use crate::Differentiable;

/// A trainable value and the buffer its gradient accumulates into.
///
/// Pass `&mut p.grad` as the adjoint buffer of a generated `f_vjp` (which ADDS into it, as
/// PyTorch's `.grad` accumulates), step an optimiser, and call [`Param::zero_grad`] before the
/// next gradient. Optimisers skip parameters whose `requires_grad` is `false`.
///
/// ```
/// use autodiff_runtime::Param;
/// let mut p = Param::new(3.0f64);
/// p.grad += 1.5; // what a generated `f_vjp(.., &mut p.grad)` does
/// p.grad += 1.5;
/// assert_eq!(p.grad, 3.0);
/// p.zero_grad();
/// assert_eq!(p.grad, 0.0);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Param<T> {
    /// The current value.
    pub value: T,
    /// The accumulated gradient, zeros shaped like `value` until something adds into it.
    pub grad: T,
    /// Whether optimisers update this parameter.
    pub requires_grad: bool,
}

impl<T: Differentiable> Param<T> {
    /// A parameter holding `value`, with a zero gradient and `requires_grad = true`.
    ///
    /// ```
    /// let p = autodiff_runtime::Param::new(2.0f32);
    /// assert_eq!((p.value, p.grad, p.requires_grad), (2.0, 0.0, true));
    /// ```
    pub fn new(value: T) -> Self {
        let grad = value.zero_like();
        Param { value, grad, requires_grad: true }
    }

    /// Resets the gradient to zeros (PyTorch's `p.grad.zero_()`).
    ///
    /// ```
    /// let mut p = autodiff_runtime::Param::new(2.0f64);
    /// p.grad = 5.0;
    /// p.zero_grad();
    /// assert_eq!(p.grad, 0.0);
    /// ```
    pub fn zero_grad(&mut self) {
        self.grad.set_zero();
    }
}

impl Param<crate::Tensor> {
    /// The parameter with its value and gradient on `device` (PyTorch's `.to(device)`).
    ///
    /// ```
    /// use autodiff_runtime::{Device, Param, Tensor};
    /// let p = Param::new(Tensor::ones(&[2]));
    /// let q = p.to_device(&Device::cuda_if_available(0)).unwrap();
    /// assert_eq!(q.value.to_vec::<f32>(), [1.0, 1.0]);
    /// ```
    pub fn to_device(&self, device: &crate::Device) -> Result<Self, crate::Error> {
        Ok(Param {
            value: self.value.to_device(device)?,
            grad: self.grad.to_device(device)?,
            requires_grad: self.requires_grad,
        })
    }
}

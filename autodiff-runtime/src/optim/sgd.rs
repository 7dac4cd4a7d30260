//! [`Sgd`]: stochastic gradient descent with optional momentum, as PyTorch's `optim.SGD`.

use crate::Param;
use crate::optim::Update;
use std::any::Any;

/// Gradient descent: `v ← v - lr · g`, or with momentum `m`: `b ← m · b + g; v ← v - lr · b`
/// (PyTorch's `SGD(momentum=m)` with no dampening; the first step uses `b = g`).
///
/// [`Sgd::step`] reads each parameter's `grad`, skips those with `requires_grad == false`, and
/// does not zero the gradients. Momentum buffers belong to positions in the slice given to
/// `step`: pass the parameters in the same order every time.
///
/// ```
/// use autodiff_runtime::{Param, Sgd};
/// let mut x = Param::new(5.0f64);
/// let mut opt = Sgd::new(0.1);
/// x.grad = 2.0 * x.value; // gradient of x²
/// opt.step(&mut [&mut x]);
/// assert!((x.value - 4.0).abs() < 1e-12);
/// ```
#[derive(Debug)]
pub struct Sgd {
    lr: f64,
    momentum: f64,
    weight_decay: f64,
    /// By position in the slice given to `step` and parameter type.
    buffers: std::collections::HashMap<(usize, std::any::TypeId), Box<dyn Any>>,
}

impl Sgd {
    /// Plain gradient descent with learning rate `lr`.
    ///
    /// ```
    /// let opt = autodiff_runtime::Sgd::new(0.01);
    /// assert_eq!(opt.lr(), 0.01);
    /// ```
    pub fn new(lr: f64) -> Self {
        Sgd { lr, momentum: 0.0, weight_decay: 0.0, buffers: std::collections::HashMap::new() }
    }

    /// The same optimiser with momentum `m` (PyTorch's `momentum=m`).
    ///
    /// ```
    /// use autodiff_runtime::{Param, Sgd};
    /// let mut x = Param::new(0.0f64);
    /// let mut opt = Sgd::new(1.0).momentum(0.5);
    /// x.grad = 1.0;
    /// opt.step(&mut [&mut x]); // b = 1
    /// opt.step(&mut [&mut x]); // b = 0.5 + 1
    /// assert_eq!(x.value, -2.5);
    /// ```
    pub fn momentum(mut self, m: f64) -> Self {
        self.momentum = m;
        self
    }

    /// The learning rate.
    ///
    /// ```
    /// assert_eq!(autodiff_runtime::Sgd::new(0.5).lr(), 0.5);
    /// ```
    pub fn lr(&self) -> f64 {
        self.lr
    }

    /// Changes the learning rate from the next step on (a schedule: warm-up, decay), keeping
    /// the optimiser's state.
    ///
    /// ```
    /// let mut opt = autodiff_runtime::Sgd::new(0.1);
    /// opt.set_lr(opt.lr() * 0.5);
    /// assert_eq!(opt.lr(), 0.05);
    /// ```
    pub fn set_lr(&mut self, lr: f64) {
        self.lr = lr;
    }

    /// The same optimiser with L2 weight decay `wd`: each step takes the gradient as
    /// `grad + wd · value` (PyTorch's `weight_decay=wd`; the parameters' `grad` stay as they
    /// are).
    ///
    /// ```
    /// use autodiff_runtime::{Param, Sgd};
    /// let mut x = Param::new(2.0f64);
    /// // no loss gradient: only the decay pulls the value towards 0
    /// Sgd::new(0.1).weight_decay(0.5).step(&mut [&mut x]);
    /// assert!(x.value < 2.0 && x.grad == 0.0);
    /// ```
    pub fn weight_decay(mut self, wd: f64) -> Self {
        self.weight_decay = wd;
        self
    }

    /// Updates every parameter that requires a gradient from its `grad`.
    ///
    /// ```
    /// use autodiff_runtime::{Param, Sgd};
    /// let (mut a, mut b) = (Param::new(1.0f64), Param::new(1.0f64));
    /// b.requires_grad = false;
    /// a.grad = 1.0;
    /// b.grad = 1.0;
    /// Sgd::new(0.5).step(&mut [&mut a, &mut b]);
    /// assert_eq!((a.value, b.value), (0.5, 1.0));
    /// ```
    pub fn step<T: Update>(&mut self, params: &mut [&mut Param<T>]) {
        for (position, param) in params.iter_mut().enumerate() {
            if !param.requires_grad {
                continue;
            }
            let decayed = super::decayed(&param.value, &param.grad, self.weight_decay);
            let grad = decayed.as_ref().unwrap_or(&param.grad);
            if self.momentum == 0.0 {
                param.value.add_scaled(-self.lr, grad);
                continue;
            }
            let key = (position, std::any::TypeId::of::<T>());
            let buffer = match self.buffers.get_mut(&key).and_then(|b| b.downcast_mut::<T>()) {
                Some(buffer) => {
                    buffer.scale(self.momentum);
                    buffer.add_scaled(1.0, grad);
                    buffer
                }
                None => self
                    .buffers
                    .entry(key)
                    .or_insert(Box::new(grad.clone()))
                    .downcast_mut::<T>()
                    .expect(
                        "internal error: a momentum buffer just stored has the parameter's type",
                    ),
            };
            param.value.add_scaled(-self.lr, buffer);
        }
    }
}

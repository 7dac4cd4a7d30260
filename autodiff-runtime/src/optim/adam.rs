//! [`Adam`]: PyTorch's `optim.Adam` (betas 0.9/0.999, eps 1e-8, bias-corrected).

use crate::Param;
use crate::optim::Update;
use std::any::Any;

/// Adam: for each parameter with gradient `g`, at step `t`,
/// `m ← β₁ m + (1-β₁) g`, `v ← β₂ v + (1-β₂) g²`,
/// `p ← p - lr · m / (1-β₁ᵗ) / (√(v / (1-β₂ᵗ)) + ε)` — PyTorch's update, bias correction
/// included. Like [`crate::Sgd`], it skips parameters with `requires_grad == false`, does not
/// zero gradients, and keeps its moments and step count per parameter, by position in the
/// slice given to `step` and the parameter's type (a weight tensor and a float bias stepped by
/// two calls keep their own states).
///
/// ```
/// use autodiff_runtime::{Adam, Param};
/// let mut x = Param::new(1.0f64);
/// let mut opt = Adam::new(0.1);
/// x.grad = 4.0;
/// opt.step(&mut [&mut x]);
/// // the first step moves by lr whatever the gradient's size
/// assert!((x.value - 0.9).abs() < 1e-6);
/// ```
#[derive(Debug)]
pub struct Adam {
    lr: f64,
    betas: (f64, f64),
    eps: f64,
    weight_decay: f64,
    /// By position in the slice given to `step` and parameter type: the moments and the
    /// parameter's own step count (PyTorch's per-parameter `state["step"]`).
    moments: std::collections::HashMap<(usize, std::any::TypeId), Box<dyn Any>>,
}

impl Adam {
    /// Adam with learning rate `lr` and PyTorch's defaults.
    ///
    /// ```
    /// assert_eq!(autodiff_runtime::Adam::new(1e-4).lr(), 1e-4);
    /// ```
    pub fn new(lr: f64) -> Self {
        Adam {
            lr,
            betas: (0.9, 0.999),
            eps: 1e-8,
            weight_decay: 0.0,
            moments: std::collections::HashMap::new(),
        }
    }

    /// The same optimiser with other betas.
    ///
    /// ```
    /// let opt = autodiff_runtime::Adam::new(0.1).betas(0.8, 0.99);
    /// ```
    pub fn betas(mut self, beta1: f64, beta2: f64) -> Self {
        self.betas = (beta1, beta2);
        self
    }

    /// The same optimiser with another epsilon.
    ///
    /// ```
    /// let opt = autodiff_runtime::Adam::new(0.1).eps(1e-6);
    /// ```
    pub fn eps(mut self, eps: f64) -> Self {
        self.eps = eps;
        self
    }

    /// The learning rate.
    ///
    /// ```
    /// assert_eq!(autodiff_runtime::Adam::new(0.5).lr(), 0.5);
    /// ```
    pub fn lr(&self) -> f64 {
        self.lr
    }

    /// Changes the learning rate from the next step on (a schedule: warm-up, decay), keeping
    /// the optimiser's state.
    ///
    /// ```
    /// let mut opt = autodiff_runtime::Adam::new(0.1);
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
    /// use autodiff_runtime::{Param, Adam};
    /// let mut x = Param::new(2.0f64);
    /// // no loss gradient: only the decay pulls the value towards 0
    /// Adam::new(0.1).weight_decay(0.5).step(&mut [&mut x]);
    /// assert!(x.value < 2.0 && x.grad == 0.0);
    /// ```
    pub fn weight_decay(mut self, wd: f64) -> Self {
        self.weight_decay = wd;
        self
    }

    /// One step for every parameter that requires a gradient.
    ///
    /// ```
    /// use autodiff_runtime::{Adam, Param};
    /// let (mut a, mut b) = (Param::new(vec![1.0f64, 2.0]), Param::new(vec![3.0f64]));
    /// a.grad = vec![1.0, -1.0];
    /// b.requires_grad = false;
    /// Adam::new(0.5).step(&mut [&mut a]);
    /// Adam::new(0.5).step(&mut [&mut b]);
    /// assert!((a.value[0] - 0.5).abs() < 1e-6 && (a.value[1] - 2.5).abs() < 1e-6);
    /// assert_eq!(b.value, [3.0]);
    /// ```
    pub fn step<T: Update>(&mut self, params: &mut [&mut Param<T>]) {
        let (b1, b2) = self.betas;
        for (position, param) in params.iter_mut().enumerate() {
            if !param.requires_grad {
                continue;
            }
            let key = (position, std::any::TypeId::of::<T>());
            let state = self.moments.entry(key).or_insert_with(|| {
                let zero = param.value.zero_like();
                Box::new((zero.clone(), zero, 0u64)) as Box<dyn Any>
            });
            let Some((m, v, steps)) = state.downcast_mut::<(T, T, u64)>() else {
                continue;
            };
            *steps += 1;
            let t = i32::try_from(*steps).unwrap_or(i32::MAX);
            let step = self.lr / (1.0 - b1.powi(t));
            let bias2 = 1.0 - b2.powi(t);
            let decayed = super::decayed(&param.value, &param.grad, self.weight_decay);
            let grad = decayed.as_ref().unwrap_or(&param.grad);
            param.value.adam_update(m, v, grad, (b1, b2), (step, bias2, self.eps));
        }
    }
}

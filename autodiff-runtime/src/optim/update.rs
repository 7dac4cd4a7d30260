//! [`Update`]: the arithmetic an optimiser needs on a parameter's value.

use crate::Differentiable;

/// Values an optimiser can update: `self += alpha * x` and `self *= beta`.
///
/// ```
/// use autodiff_runtime::optim::Update;
/// let mut v = 1.0f64;
/// v.add_scaled(-0.5, &2.0);
/// v.scale(3.0);
/// assert_eq!(v, 0.0);
/// ```
#[diagnostic::on_unimplemented(
    message = "an optimiser cannot update `{Self}`",
    label = "not updatable",
    note = "floats, arrays and `Vec`s of them, nalgebra vectors and matrices, `Tensor`, and `Clone` structs with `#[derive(Differentiable)]` can; mark a constant field of such a struct `#[autodiff(skip)]`"
)]
pub trait Update: Differentiable + Clone + 'static {
    /// `self += alpha * x`.
    fn add_scaled(&mut self, alpha: f64, x: &Self);
    /// `self *= beta`.
    fn scale(&mut self, beta: f64);
    /// `self += alpha * x²`, elementwise.
    fn add_squared(&mut self, alpha: f64, x: &Self);
    /// The sum of the squares of the elements (the squared Euclidean norm), in `f64`: what
    /// [`crate::clip_grad_norm`] measures a gradient by.
    ///
    /// ```
    /// use autodiff_runtime::optim::Update;
    /// assert_eq!(vec![3.0f32, 4.0].sum_of_squares(), 25.0);
    /// ```
    fn sum_of_squares(&self) -> f64;
    /// Adam's step, elementwise: `self -= step * m / (√(v / bias2) + eps)`.
    fn adam_step(&mut self, m: &Self, v: &Self, step: f64, bias2: f64, eps: f64);
    /// A whole Adam update from the gradient `grad`: the moments
    /// `m = b1 m + (1 - b1) grad`, `v = b2 v + (1 - b2) grad²`, then [`Update::adam_step`].
    /// GPU tensors do it in one fused kernel.
    ///
    /// ```
    /// use autodiff_runtime::optim::Update;
    /// let (mut p, mut m, mut v) = (1.0f64, 0.0, 0.0);
    /// p.adam_update(&mut m, &mut v, &2.0, (0.5, 0.75), (0.1, 0.25, 0.0));
    /// assert_eq!((m, v), (1.0, 1.0));
    /// assert_eq!(p, 1.0 - 0.1 * 1.0 / (1.0f64 / 0.25).sqrt());
    /// ```
    fn adam_update(
        &mut self,
        m: &mut Self,
        v: &mut Self,
        grad: &Self,
        betas: (f64, f64),
        steps: (f64, f64, f64),
    ) {
        adam_in_steps(self, m, v, grad, betas, steps);
    }
}

/// [`Update::adam_update`] from the other four operations.
fn adam_in_steps<T: Update>(
    p: &mut T,
    m: &mut T,
    v: &mut T,
    grad: &T,
    (b1, b2): (f64, f64),
    (step, bias2, eps): (f64, f64, f64),
) {
    m.scale(b1);
    m.add_scaled(1.0 - b1, grad);
    v.scale(b2);
    v.add_squared(1.0 - b2, grad);
    p.adam_step(m, v, step, bias2, eps);
}

/// One element of Adam's step.
#[inline]
fn adam(p: f64, m: f64, v: f64, step: f64, bias2: f64, eps: f64) -> f64 {
    p - step * m / ((v / bias2).sqrt() + eps)
}

impl Update for f64 {
    #[inline]
    fn add_squared(&mut self, alpha: f64, x: &Self) {
        *self += (alpha) * x * x;
    }
    #[inline]
    fn sum_of_squares(&self) -> f64 {
        self * self
    }
    #[inline]
    fn adam_step(&mut self, m: &Self, v: &Self, step: f64, bias2: f64, eps: f64) {
        *self = adam(*self, *m, *v, step, bias2, eps);
    }
    #[inline]
    fn add_scaled(&mut self, alpha: f64, x: &Self) {
        *self += alpha * x;
    }
    #[inline]
    fn scale(&mut self, beta: f64) {
        *self *= beta;
    }
}

impl Update for f32 {
    #[inline]
    fn add_squared(&mut self, alpha: f64, x: &Self) {
        *self += (alpha as f32) * x * x;
    }
    #[inline]
    fn sum_of_squares(&self) -> f64 {
        f64::from(*self) * f64::from(*self)
    }
    #[inline]
    fn adam_step(&mut self, m: &Self, v: &Self, step: f64, bias2: f64, eps: f64) {
        *self = adam(*self as f64, *m as f64, *v as f64, step, bias2, eps) as f32;
    }
    #[inline]
    fn add_scaled(&mut self, alpha: f64, x: &Self) {
        *self += alpha as f32 * x;
    }
    #[inline]
    fn scale(&mut self, beta: f64) {
        *self *= beta as f32;
    }
}

/// Sequences update element by element.
macro_rules! impl_sequence {
    ($([$($generics:tt)*] $t:ty),*) => {$(
        impl<$($generics)*> Update for $t {
            fn add_squared(&mut self, alpha: f64, x: &Self) {
                self.iter_mut().zip(x).for_each(|(a, b)| a.add_squared(alpha, b));
            }
            fn sum_of_squares(&self) -> f64 {
                self.iter().map(Update::sum_of_squares).sum()
            }
            fn adam_step(&mut self, m: &Self, v: &Self, step: f64, bias2: f64, eps: f64) {
                for ((p, m), v) in self.iter_mut().zip(m).zip(v) {
                    p.adam_step(m, v, step, bias2, eps);
                }
            }
            fn add_scaled(&mut self, alpha: f64, x: &Self) {
                self.iter_mut().zip(x).for_each(|(a, b)| a.add_scaled(alpha, b));
            }
            fn scale(&mut self, beta: f64) {
                self.iter_mut().for_each(|a| a.scale(beta));
            }
        }
    )*};
}
impl_sequence!([T: Update + Copy] Vec<T>, [T: Update + Copy, const N: usize] [T; N]);

macro_rules! impl_fixed_size {
    ($($t:ty),*) => {$(
        impl<const R: usize, const C: usize> Update for nalgebra::SMatrix<$t, R, C> {
            fn add_squared(&mut self, alpha: f64, x: &Self) {
                self.iter_mut().zip(x.iter()).for_each(|(a, b)| a.add_squared(alpha, b));
            }
            fn sum_of_squares(&self) -> f64 {
                self.iter().map(Update::sum_of_squares).sum()
            }
            fn adam_step(&mut self, m: &Self, v: &Self, step: f64, bias2: f64, eps: f64) {
                for ((p, m), v) in self.iter_mut().zip(m.iter()).zip(v.iter()) {
                    p.adam_step(m, v, step, bias2, eps);
                }
            }
            fn add_scaled(&mut self, alpha: f64, x: &Self) {
                *self += x * (alpha as $t);
            }
            fn scale(&mut self, beta: f64) {
                *self *= beta as $t;
            }
        }
    )*};
}
impl_fixed_size!(f32, f64);

/// Tensors update in place: Adam on `f32` CPU tensors in one pass; on a GPU through the
/// kernels of `kernels/optim.cu`, where an
/// error (a gradient on another device that cannot be moved, the device out of memory) panics
/// with its message.
impl Update for crate::Tensor {
    fn add_squared(&mut self, alpha: f64, x: &Self) {
        #[cfg(feature = "cuda")]
        if crate::cuda::update(self, 1, alpha, x) {
            return;
        }
        self.zip3_in_place(x, x, |p, x, _| p + alpha * x * x);
    }
    fn sum_of_squares(&self) -> f64 {
        (self * self).sum().to_dtype(crate::DType::F64).item::<f64>()
    }
    fn adam_step(&mut self, m: &Self, v: &Self, step: f64, bias2: f64, eps: f64) {
        #[cfg(feature = "cuda")]
        if crate::cuda::adam_step(self, (m, v), step, bias2, eps) {
            return;
        }
        self.zip3_in_place(m, v, |p, m, v| adam(p, m, v, step, bias2, eps));
    }
    fn add_scaled(&mut self, alpha: f64, x: &Self) {
        #[cfg(feature = "cuda")]
        if crate::cuda::update(self, 0, alpha, x) {
            return;
        }
        self.zip3_in_place(x, x, |p, x, _| p + alpha * x);
    }
    fn scale(&mut self, beta: f64) {
        // on a GPU too: one scalar kernel into a new buffer
        *self = (&*self * beta).to_dtype(self.dtype());
    }
    fn adam_update(
        &mut self,
        m: &mut Self,
        v: &mut Self,
        grad: &Self,
        betas: (f64, f64),
        steps: (f64, f64, f64),
    ) {
        #[cfg(feature = "cuda")]
        if crate::cuda::adam(self, (m, v), grad, betas, steps) {
            return;
        }
        // `f32` on the CPU: one pass (the steps below make five, allocating for `scale`)
        if self.adam_fused(m, v, grad, betas, steps) {
            return;
        }
        adam_in_steps(self, m, v, grad, betas, steps);
    }
}

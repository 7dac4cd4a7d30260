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
pub trait Update: Differentiable + Clone + 'static {
    /// `self += alpha * x`.
    fn add_scaled(&mut self, alpha: f64, x: &Self);
    /// `self *= beta`.
    fn scale(&mut self, beta: f64);
}

impl Update for f64 {
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
    fn add_scaled(&mut self, alpha: f64, x: &Self) {
        *self += alpha as f32 * x;
    }
    #[inline]
    fn scale(&mut self, beta: f64) {
        *self *= beta as f32;
    }
}

impl<T: Update + Copy> Update for Vec<T> {
    fn add_scaled(&mut self, alpha: f64, x: &Self) {
        self.iter_mut().zip(x).for_each(|(a, b)| a.add_scaled(alpha, b));
    }
    fn scale(&mut self, beta: f64) {
        self.iter_mut().for_each(|a| a.scale(beta));
    }
}

impl<T: Update + Copy, const N: usize> Update for [T; N] {
    fn add_scaled(&mut self, alpha: f64, x: &Self) {
        self.iter_mut().zip(x).for_each(|(a, b)| a.add_scaled(alpha, b));
    }
    fn scale(&mut self, beta: f64) {
        self.iter_mut().for_each(|a| a.scale(beta));
    }
}

macro_rules! impl_fixed_size {
    ($($t:ty),*) => {$(
        impl<const R: usize, const C: usize> Update for nalgebra::SMatrix<$t, R, C> {
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

impl Update for crate::Tensor {
    fn add_scaled(&mut self, alpha: f64, x: &Self) {
        *self = (&*self + &(x * alpha)).to_dtype(self.dtype());
    }
    fn scale(&mut self, beta: f64) {
        *self = (&*self * beta).to_dtype(self.dtype());
    }
}

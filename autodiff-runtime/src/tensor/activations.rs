//! Functions of whole slices and bounded values that networks use: `softmax`, `log_softmax`
//! (along a dimension, computed from the maximum for stability), `clamp`, and `argmax`.

use super::core::{Storage, Tensor};
use crate::Error;
use crate::error::OrPanic;

impl Tensor {
    /// `e^x / Σ e^x` along dimension `dim` (PyTorch's `softmax(dim)`): each slice along `dim`
    /// becomes positive and sums to 1. Computed from `x - max`, so large entries do not
    /// overflow.
    ///
    /// # Panics
    ///
    /// If `dim` is out of range; [`Tensor::try_softmax`] returns the error.
    ///
    /// ```
    /// use autodiff_runtime::Tensor;
    /// let x = Tensor::from_vec(vec![0.0f64, 2f64.ln(), 1000.0, 1000.0], &[2, 2]);
    /// let p = x.softmax(1).to_vec::<f64>();
    /// assert!((p[0] - 1.0 / 3.0).abs() < 1e-15 && (p[1] - 2.0 / 3.0).abs() < 1e-15);
    /// assert_eq!(&p[2..], [0.5, 0.5]);
    /// ```
    #[track_caller]
    pub fn softmax(&self, dim: usize) -> Tensor {
        self.try_softmax(dim).or_panic()
    }

    /// [`Tensor::softmax`], returning an error for a dimension out of range.
    ///
    /// ```
    /// assert!(autodiff_runtime::Tensor::ones(&[2]).try_softmax(1).is_err());
    /// ```
    pub fn try_softmax(&self, dim: usize) -> Result<Tensor, Error> {
        let e = (self - &self.try_max_dim(dim, true)?).exp();
        Ok(&e / &e.sum_dim(dim, true))
    }

    /// `x - ln Σ e^x` along dimension `dim` (PyTorch's `log_softmax(dim)`): the logarithm of
    /// [`Tensor::softmax`], computed without forming it (no `ln 0` for very unlikely classes).
    ///
    /// # Panics
    ///
    /// If `dim` is out of range; [`Tensor::try_log_softmax`] returns the error.
    ///
    /// ```
    /// use autodiff_runtime::Tensor;
    /// let x = Tensor::from_vec(vec![0.0f64, 1000.0], &[2]);
    /// assert_eq!(x.log_softmax(0).to_vec::<f64>(), [-1000.0, 0.0]);
    /// ```
    #[track_caller]
    pub fn log_softmax(&self, dim: usize) -> Tensor {
        self.try_log_softmax(dim).or_panic()
    }

    /// [`Tensor::log_softmax`], returning an error for a dimension out of range.
    ///
    /// ```
    /// assert!(autodiff_runtime::Tensor::ones(&[2]).try_log_softmax(1).is_err());
    /// ```
    pub fn try_log_softmax(&self, dim: usize) -> Result<Tensor, Error> {
        let z = self - &self.try_max_dim(dim, true)?;
        let total = z.exp().sum_dim(dim, true).ln();
        Ok(&z - &total)
    }

    /// Each element limited to `[lo, hi]`: `min(max(x, lo), hi)` (PyTorch's `clamp`; with
    /// `lo > hi` every element is `hi`, as there). On a GPU it runs through the host.
    ///
    /// # Panics
    ///
    /// If a GPU fails.
    ///
    /// ```
    /// let x = autodiff_runtime::Tensor::from_vec(vec![-2.0f32, 0.5, 3.0], &[3]);
    /// assert_eq!(x.clamp(0.0, 1.0).to_vec::<f32>(), [0.0, 0.5, 1.0]);
    /// ```
    #[track_caller]
    pub fn clamp(&self, lo: f64, hi: f64) -> Tensor {
        fn clamped<E: crate::Real>(x: E, lo: E, hi: E) -> E {
            x.max(lo).min(hi)
        }
        self.map_on_host(|x| clamped(x, lo as f32, hi as f32), |x| clamped(x, lo, hi))
    }

    /// 1 where `lo ≤ x ≤ hi`, else 0: where [`Tensor::clamp`] passes its input through (its
    /// derivative, as PyTorch takes it at the bounds).
    pub(crate) fn within(&self, lo: f64, hi: f64) -> Tensor {
        fn inside<E: crate::Real>(x: E, lo: E, hi: E) -> E {
            if x >= lo && x <= hi { E::ONE } else { E::ZERO }
        }
        self.map_on_host(|x| inside(x, lo as f32, hi as f32), |x| inside(x, lo, hi))
    }

    /// Each element through `f32f` or `f64f`, on the CPU (GPU data goes through the host:
    /// these operations have no kernel yet).
    #[track_caller]
    fn map_on_host(&self, f32f: impl Fn(f32) -> f32, f64f: impl Fn(f64) -> f64) -> Tensor {
        let storage = match &*self.data {
            Storage::F32(v) => Storage::F32(v.iter().map(|x| f32f(*x)).collect()),
            Storage::F64(v) => Storage::F64(v.iter().map(|x| f64f(*x)).collect()),
            #[cfg(feature = "cuda")]
            Storage::Cuda(_) => {
                let device = self.device();
                let host = self.to_device(&crate::Device::Cpu).or_panic();
                return host.map_on_host(f32f, f64f).to_device(&device).or_panic();
            }
        };
        Tensor::from_parts(storage, self.shape.clone())
    }

    /// The index of the largest element of each slice along dimension `dim` (the first of
    /// ties; NaN counts as largest), in row-major order of the other dimensions: for logits of
    /// shape `[batch, classes]`, `argmax(1)` is each row's predicted class. Not
    /// differentiable (an index); in a `#[differentiable]` function it is an inactive value.
    ///
    /// # Panics
    ///
    /// If `dim` is out of range; [`Tensor::try_argmax`] returns the error.
    ///
    /// ```
    /// let logits = autodiff_runtime::Tensor::from_vec(vec![0.1f32, 2.0, -1.0, 3.0, 0.0, 1.0], &[2, 3]);
    /// assert_eq!(logits.argmax(1), [1, 0]);
    /// assert_eq!(logits.argmax(0), [1, 0, 1]);
    /// ```
    #[track_caller]
    pub fn argmax(&self, dim: usize) -> Vec<usize> {
        self.try_argmax(dim).or_panic()
    }

    /// [`Tensor::argmax`], returning an error for a dimension out of range.
    ///
    /// ```
    /// assert!(autodiff_runtime::Tensor::ones(&[2]).try_argmax(1).is_err());
    /// ```
    pub fn try_argmax(&self, dim: usize) -> Result<Vec<usize>, Error> {
        if dim >= self.shape.len() || self.shape[dim] == 0 {
            return Err(Error::Dimension { op: "argmax", dim, shape: self.shape.to_vec() });
        }
        let v = self.try_to_vec::<f64>()?;
        let outer: usize = self.shape[..dim].iter().product();
        let n = self.shape[dim];
        let inner: usize = self.shape[dim + 1..].iter().product();
        let mut out = Vec::with_capacity(outer * inner);
        for o in 0..outer {
            for i in 0..inner {
                let at = |k: usize| v[(o * n + k) * inner + i];
                let best = (0..n).fold(0, |best, k| {
                    let (x, b) = (at(k), at(best));
                    if x > b || (x.is_nan() && !b.is_nan()) { k } else { best }
                });
                out.push(best);
            }
        }
        Ok(out)
    }
}

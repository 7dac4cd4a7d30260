//! Reductions: `sum`, `mean` (one-element results), `sum_dim`, `max_dim`.

use super::core::{Element, Storage, Tensor};
use crate::Error;
use crate::error::OrPanic;

/// A reduction, by name, so that each device can run its own kernel for it.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Reduce {
    Sum,
    Max,
}

/// Reduces dimension `dim` of a row-major array of `shape` with `f`, starting from `init`.
fn reduce_dim<E: Element>(
    data: &[E],
    shape: &[usize],
    dim: usize,
    init: E,
    f: impl Fn(E, E) -> E,
) -> Vec<E> {
    let outer: usize = shape[..dim].iter().product();
    let n = shape[dim];
    let inner: usize = shape[dim + 1..].iter().product();
    if inner == 1 && n > 0 {
        // the last dimension: each output folds one contiguous row
        return data
            .chunks_exact(n)
            .take(outer)
            .map(|row| row.iter().fold(init, |a, x| f(a, *x)))
            .collect();
    }
    let mut out = vec![init; outer * inner];
    for o in 0..outer {
        for k in 0..n {
            let row = &data[(o * n + k) * inner..(o * n + k + 1) * inner];
            for (acc, x) in out[o * inner..(o + 1) * inner].iter_mut().zip(row) {
                *acc = f(*acc, *x);
            }
        }
    }
    out
}

impl Tensor {
    /// The sum of all elements, as a zero-dimensional tensor.
    ///
    /// ```
    /// assert_eq!(autodiff_runtime::Tensor::ones(&[2, 3]).sum().item::<f32>(), 6.0);
    /// ```
    ///
    /// # Panics
    ///
    /// If a GPU runs out of memory.
    #[track_caller]
    pub fn sum(&self) -> Tensor {
        match &*self.data {
            Storage::F32(v) => Tensor::scalar(v.iter().sum::<f32>()),
            Storage::F64(v) => Tensor::scalar(v.iter().sum::<f64>()),
            #[cfg(feature = "cuda")]
            Storage::Cuda(_) => {
                crate::cuda::reduce(self, 1, self.numel(), 1, Reduce::Sum, vec![]).or_panic()
            }
        }
    }

    /// The mean of all elements, as a zero-dimensional tensor.
    ///
    /// ```
    /// let t = autodiff_runtime::Tensor::from_vec(vec![1.0f64, 2.0, 6.0], &[3]);
    /// assert_eq!(t.mean().item::<f64>(), 3.0);
    /// ```
    pub fn mean(&self) -> Tensor {
        let n = self.numel().max(1) as f64;
        &self.sum() / n
    }

    /// Sums over dimension `dim`, keeping it with size 1 if `keepdim`.
    ///
    /// # Panics
    ///
    /// If `dim` is out of range; [`Tensor::try_sum_dim`] returns the error.
    ///
    /// ```
    /// let t = autodiff_runtime::Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[2, 2]);
    /// assert_eq!(t.sum_dim(0, false).to_vec::<f32>(), [4.0, 6.0]);
    /// assert_eq!(t.sum_dim(1, true).shape(), &[2, 1]);
    /// ```
    #[track_caller]
    pub fn sum_dim(&self, dim: usize, keepdim: bool) -> Tensor {
        self.try_sum_dim(dim, keepdim).or_panic()
    }

    /// [`Tensor::sum_dim`], returning an error for a dimension out of range.
    ///
    /// ```
    /// assert!(autodiff_runtime::Tensor::ones(&[2]).try_sum_dim(1, false).is_err());
    /// ```
    pub fn try_sum_dim(&self, dim: usize, keepdim: bool) -> Result<Tensor, Error> {
        self.reduce(dim, keepdim, Reduce::Sum, |a: f32, b| a + b, |a: f64, b| a + b, 0.0, 0.0)
    }

    /// The maximum over dimension `dim` (values only), keeping it with size 1 if `keepdim`.
    ///
    /// # Panics
    ///
    /// If `dim` is out of range; [`Tensor::try_max_dim`] returns the error.
    ///
    /// ```
    /// let t = autodiff_runtime::Tensor::from_vec(vec![1.0f32, 5.0, 3.0, 4.0], &[2, 2]);
    /// assert_eq!(t.max_dim(1, false).to_vec::<f32>(), [5.0, 4.0]);
    /// ```
    #[track_caller]
    pub fn max_dim(&self, dim: usize, keepdim: bool) -> Tensor {
        self.try_max_dim(dim, keepdim).or_panic()
    }

    /// [`Tensor::max_dim`], returning an error for a dimension out of range.
    ///
    /// ```
    /// assert!(autodiff_runtime::Tensor::ones(&[2]).try_max_dim(3, true).is_err());
    /// ```
    pub fn try_max_dim(&self, dim: usize, keepdim: bool) -> Result<Tensor, Error> {
        self.reduce(
            dim,
            keepdim,
            Reduce::Max,
            f32::max,
            f64::max,
            f32::NEG_INFINITY,
            f64::NEG_INFINITY,
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn reduce(
        &self,
        dim: usize,
        keepdim: bool,
        reduction: Reduce,
        f32f: impl Fn(f32, f32) -> f32,
        f64f: impl Fn(f64, f64) -> f64,
        init32: f32,
        init64: f64,
    ) -> Result<Tensor, Error> {
        let op = match reduction {
            Reduce::Sum => "sum_dim",
            Reduce::Max => "max_dim",
        };
        if dim >= self.shape.len() {
            return Err(Error::Dimension { op, dim, shape: self.shape.to_vec() });
        }
        let mut shape = self.shape.clone();
        if keepdim {
            shape[dim] = 1;
        } else {
            shape.remove(dim);
        }
        let storage = match &*self.data {
            Storage::F32(v) => Storage::F32(reduce_dim(v, &self.shape, dim, init32, f32f)),
            Storage::F64(v) => Storage::F64(reduce_dim(v, &self.shape, dim, init64, f64f)),
            #[cfg(feature = "cuda")]
            Storage::Cuda(_) => {
                let outer = self.shape[..dim].iter().product();
                let inner = self.shape[dim + 1..].iter().product();
                return crate::cuda::reduce(self, outer, self.shape[dim], inner, reduction, shape);
            }
        };
        Ok(Tensor::from_parts(storage, shape))
    }
}

impl Tensor {
    /// Sums a broadcast result back to `shape` (the adjoint of broadcasting): over leading
    /// dimensions `shape` lacks, and over dimensions where `shape` has size 1.
    ///
    /// ```
    /// use autodiff_runtime::Tensor;
    /// let g = Tensor::ones(&[2, 3]);
    /// assert_eq!(g.sum_to(&[3]).to_vec::<f32>(), [2.0, 2.0, 2.0]);
    /// assert_eq!(g.sum_to(&[2, 1]).to_vec::<f32>(), [3.0, 3.0]);
    /// assert_eq!(g.sum_to(&[]).item::<f32>(), 6.0);
    /// // a seed with fewer dimensions spreads over the shape
    /// assert_eq!(Tensor::scalar(2.0f32).sum_to(&[1, 2]).to_vec::<f32>(), [2.0, 2.0]);
    /// ```
    pub fn sum_to(&self, shape: &[usize]) -> Tensor {
        if self.shape == shape {
            return self.clone();
        }
        let mut t = self.clone();
        while t.shape.len() > shape.len() {
            t = t.sum_dim(0, false);
        }
        if t.shape.len() < shape.len() {
            let mut padded = vec![1; shape.len() - t.shape.len()];
            padded.extend_from_slice(&t.shape);
            t = t.reshape(&padded);
        }
        for (d, &size) in shape.iter().enumerate() {
            if size == 1 && t.shape[d] != 1 {
                t = t.sum_dim(d, true);
            }
        }
        // Dimensions of size 1 (a 0-d seed of a one-element result) spread over `shape`.
        t.broadcast_to(shape)
    }
}

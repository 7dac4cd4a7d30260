//! Rearranging dimensions: `transpose(d0, d1)` (any two dimensions swapped, a copy),
//! `unsqueeze` and `squeeze` (a dimension of size 1 added or removed, no copy).

use super::core::{Storage, Tensor};
use crate::Error;
use crate::error::OrPanic;

/// The elements of a row-major array of `shape` in the order of the array with dimensions `a`
/// and `b` swapped.
fn swapped<E: Copy>(v: &[E], shape: &[usize], a: usize, b: usize) -> Vec<E> {
    let mut strides = vec![1; shape.len()];
    for d in (0..shape.len().saturating_sub(1)).rev() {
        strides[d] = strides[d + 1] * shape[d + 1];
    }
    let (mut out_shape, mut from) = (shape.to_vec(), strides);
    out_shape.swap(a, b);
    from.swap(a, b);
    // walk the result's indices in order, `at` following them in the source
    let mut index = vec![0; out_shape.len()];
    let (mut out, mut at) = (Vec::with_capacity(v.len()), 0usize);
    for _ in 0..v.len() {
        out.push(v[at]);
        for d in (0..out_shape.len()).rev() {
            index[d] += 1;
            at += from[d];
            if index[d] < out_shape[d] {
                break;
            }
            at -= from[d] * out_shape[d];
            index[d] = 0;
        }
    }
    out
}

impl Tensor {
    /// The tensor with dimensions `d0` and `d1` swapped (PyTorch's `transpose`; a copy).
    /// `x.transpose(0, 1)` of a 2-d tensor is `x.t()`.
    ///
    /// # Panics
    ///
    /// If a dimension is out of range; [`Tensor::try_transpose`] returns the error.
    ///
    /// ```
    /// use autodiff_runtime::Tensor;
    /// let x = Tensor::arange(0.0, 6.0, 1.0).reshape(&[1, 2, 3]);
    /// let y = x.transpose(1, 2);
    /// assert_eq!(y.shape(), &[1, 3, 2]);
    /// assert_eq!(y.to_vec::<f32>(), [0.0, 3.0, 1.0, 4.0, 2.0, 5.0]);
    /// ```
    #[track_caller]
    pub fn transpose(&self, d0: usize, d1: usize) -> Tensor {
        self.try_transpose(d0, d1).or_panic()
    }

    /// [`Tensor::transpose`], returning an error for a dimension out of range.
    ///
    /// ```
    /// assert!(autodiff_runtime::Tensor::ones(&[2, 3]).try_transpose(0, 2).is_err());
    /// ```
    pub fn try_transpose(&self, d0: usize, d1: usize) -> Result<Tensor, Error> {
        let rank = self.shape.len();
        if let Some(dim) = [d0, d1].into_iter().find(|d| *d >= rank) {
            return Err(Error::Dimension { op: "transpose", dim, shape: self.shape.to_vec() });
        }
        let mut shape = self.shape.clone();
        shape.swap(d0, d1);
        if d0 == d1 {
            return Ok(self.clone());
        }
        let storage = match &*self.data {
            Storage::F32(v) => Storage::F32(swapped(v, &self.shape, d0, d1)),
            Storage::F64(v) => Storage::F64(swapped(v, &self.shape, d0, d1)),
            // (on a GPU, through the host: there is no kernel for it yet)
            #[cfg(feature = "cuda")]
            Storage::Cuda(_) => {
                let device = self.device();
                let host = self.to_device(&crate::Device::Cpu)?;
                return host.try_transpose(d0, d1)?.to_device(&device);
            }
        };
        Ok(Tensor::from_parts(storage, shape))
    }

    /// The tensor with a dimension of size 1 inserted at `dim` (`0..=rank`; no copy).
    ///
    /// # Panics
    ///
    /// If `dim` is greater than the rank; [`Tensor::try_unsqueeze`] returns the error.
    ///
    /// ```
    /// let x = autodiff_runtime::Tensor::ones(&[2, 3]);
    /// assert_eq!(x.unsqueeze(1).shape(), &[2, 1, 3]);
    /// assert_eq!(x.unsqueeze(2).shape(), &[2, 3, 1]);
    /// ```
    #[track_caller]
    pub fn unsqueeze(&self, dim: usize) -> Tensor {
        self.try_unsqueeze(dim).or_panic()
    }

    /// [`Tensor::unsqueeze`], returning an error for a dimension out of range.
    ///
    /// ```
    /// assert!(autodiff_runtime::Tensor::ones(&[2]).try_unsqueeze(2).is_err());
    /// ```
    pub fn try_unsqueeze(&self, dim: usize) -> Result<Tensor, Error> {
        if dim > self.shape.len() {
            return Err(Error::Dimension { op: "unsqueeze", dim, shape: self.shape.to_vec() });
        }
        let mut shape = self.shape.clone();
        shape.insert(dim, 1);
        self.try_reshape(&shape)
    }

    /// The tensor with dimension `dim` removed if its size is 1 (else the tensor itself, as
    /// PyTorch's `squeeze(dim)`; no copy).
    ///
    /// # Panics
    ///
    /// If `dim` is out of range; [`Tensor::try_squeeze`] returns the error.
    ///
    /// ```
    /// let x = autodiff_runtime::Tensor::ones(&[2, 1, 3]);
    /// assert_eq!(x.squeeze(1).shape(), &[2, 3]);
    /// assert_eq!(x.squeeze(0).shape(), &[2, 1, 3]);
    /// ```
    #[track_caller]
    pub fn squeeze(&self, dim: usize) -> Tensor {
        self.try_squeeze(dim).or_panic()
    }

    /// [`Tensor::squeeze`], returning an error for a dimension out of range.
    ///
    /// ```
    /// assert!(autodiff_runtime::Tensor::ones(&[2]).try_squeeze(1).is_err());
    /// ```
    pub fn try_squeeze(&self, dim: usize) -> Result<Tensor, Error> {
        if dim >= self.shape.len() {
            return Err(Error::Dimension { op: "squeeze", dim, shape: self.shape.to_vec() });
        }
        let mut shape = self.shape.clone();
        if shape[dim] == 1 {
            shape.remove(dim);
        }
        self.try_reshape(&shape)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Swapping two dimensions of a 3-d array moves each element to the index with those two
    /// coordinates exchanged; swapping back gives the array again.
    #[test]
    fn transpose_exchanges_coordinates() {
        let (a, b, c) = (2, 3, 4);
        let x = Tensor::arange(0.0, (a * b * c) as f64, 1.0)
            .reshape(&[a, b, c])
            .to_dtype(super::super::DType::F64);
        let y = x.transpose(0, 2);
        assert_eq!(y.shape(), &[c, b, a]);
        let (xv, yv) = (x.to_vec::<f64>(), y.to_vec::<f64>());
        for i in 0..a {
            for j in 0..b {
                for k in 0..c {
                    assert_eq!(yv[(k * b + j) * a + i], xv[(i * b + j) * c + k]);
                }
            }
        }
        assert_eq!(y.transpose(2, 0), x);
        assert_eq!(x.transpose(1, 1), x);
        let m = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
        assert_eq!(m.transpose(1, 0), m.t());
    }
}

//! Indexing and slicing: `narrow` (a range along one dimension), `select` (one index, the
//! dimension dropped), `cat` (joining along a dimension) and `meshgrid`.

use super::core::{DType, Storage, Tensor};
use crate::Error;
use crate::error::OrPanic;

/// The sizes before, at and after `dim`: `(outer, size, inner)`.
fn split(shape: &[usize], dim: usize) -> (usize, usize, usize) {
    (shape[..dim].iter().product(), shape[dim], shape[dim + 1..].iter().product())
}

/// Elements `start..start + len` along a dimension of size `size` from each of `outer` blocks.
fn narrow_data<E: Copy>(
    v: &[E],
    outer: usize,
    size: usize,
    inner: usize,
    start: usize,
    len: usize,
) -> Vec<E> {
    let mut out = Vec::with_capacity(outer * len * inner);
    for o in 0..outer {
        let base = (o * size + start) * inner;
        out.extend_from_slice(&v[base..base + len * inner]);
    }
    out
}

/// The blocks of each part, interleaved: part `p` contributes `sizes[p] * inner` elements per
/// outer index.
fn cat_data<E: Copy>(parts: &[&[E]], sizes: &[usize], outer: usize, inner: usize) -> Vec<E> {
    let total: usize = parts.iter().map(|p| p.len()).sum();
    let mut out = Vec::with_capacity(total);
    for o in 0..outer {
        for (p, s) in parts.iter().zip(sizes) {
            out.extend_from_slice(&p[o * s * inner..(o + 1) * s * inner]);
        }
    }
    out
}

impl Tensor {
    /// The elements `start..start + len` along dimension `dim` (PyTorch's `narrow`, and the
    /// slice `x[.., start..start + len, ..]`), as a new tensor.
    ///
    /// # Panics
    ///
    /// If `dim` or the range is out of bounds; [`Tensor::try_narrow`] returns the error.
    ///
    /// ```
    /// let t = autodiff_runtime::Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
    /// assert_eq!(t.narrow(1, 1, 2).to_vec::<f32>(), [2.0, 3.0, 5.0, 6.0]);
    /// ```
    #[track_caller]
    pub fn narrow(&self, dim: usize, start: usize, len: usize) -> Tensor {
        self.try_narrow(dim, start, len).or_panic()
    }

    /// [`Tensor::narrow`], returning an error for a dimension or range out of bounds.
    ///
    /// ```
    /// assert!(autodiff_runtime::Tensor::ones(&[3]).try_narrow(0, 2, 2).is_err());
    /// ```
    pub fn try_narrow(&self, dim: usize, start: usize, len: usize) -> Result<Tensor, Error> {
        let shape = self.shape.clone();
        if dim >= shape.len() {
            return Err(Error::Dimension { op: "narrow", dim, shape: shape.to_vec() });
        }
        if start.checked_add(len).is_none_or(|end| end > shape[dim]) {
            return Err(Error::OutOfRange { op: "narrow", dim, start, len, shape: shape.to_vec() });
        }
        let (outer, size, inner) = split(&shape, dim);
        let mut out = shape;
        out[dim] = len;
        let storage = match &*self.data {
            Storage::F32(v) => Storage::F32(narrow_data(v, outer, size, inner, start, len)),
            Storage::F64(v) => Storage::F64(narrow_data(v, outer, size, inner, start, len)),
            #[cfg(feature = "cuda")]
            Storage::Cuda(_) => {
                return crate::cuda::narrow(self, (outer, size, inner), start, len, out);
            }
        };
        Ok(Tensor::from_parts(storage, out))
    }

    /// The slice at `index` along dimension `dim`, that dimension removed (PyTorch's `select`,
    /// and `x[i]` for `dim` 0).
    ///
    /// # Panics
    ///
    /// If `dim` or `index` is out of bounds; [`Tensor::try_select`] returns the error.
    ///
    /// ```
    /// let t = autodiff_runtime::Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
    /// assert_eq!(t.select(0, 1).to_vec::<f32>(), [4.0, 5.0, 6.0]);
    /// assert_eq!(t.select(1, 2).shape(), &[2]);
    /// ```
    #[track_caller]
    pub fn select(&self, dim: usize, index: usize) -> Tensor {
        self.try_select(dim, index).or_panic()
    }

    /// [`Tensor::select`], returning an error for a dimension or index out of bounds.
    ///
    /// ```
    /// assert!(autodiff_runtime::Tensor::ones(&[2, 2]).try_select(1, 2).is_err());
    /// ```
    pub fn try_select(&self, dim: usize, index: usize) -> Result<Tensor, Error> {
        let t = self.try_narrow(dim, index, 1).map_err(|e| match e {
            Error::OutOfRange { dim, start, len, shape, .. } => {
                Error::OutOfRange { op: "select", dim, start, len, shape }
            }
            Error::Dimension { dim, shape, .. } => Error::Dimension { op: "select", dim, shape },
            e => e,
        })?;
        let mut shape = self.shape.clone();
        shape.remove(dim);
        Ok(Tensor { shape, ..t })
    }

    /// Joins tensors along dimension `dim` (PyTorch's `torch.cat`); their other dimensions must
    /// agree. The result is `f64` if any part is.
    ///
    /// # Panics
    ///
    /// If `parts` is empty, `dim` is out of range or the shapes disagree; [`Tensor::try_cat`]
    /// returns the error.
    ///
    /// ```
    /// use autodiff_runtime::Tensor;
    /// let (a, b) = (Tensor::ones(&[2, 1]), Tensor::zeros(&[2, 2]));
    /// assert_eq!(Tensor::cat(&[a, b], 1).to_vec::<f32>(), [1.0, 0.0, 0.0, 1.0, 0.0, 0.0]);
    /// ```
    #[track_caller]
    pub fn cat(parts: &[Tensor], dim: usize) -> Tensor {
        Tensor::try_cat(parts, dim).or_panic()
    }

    /// [`Tensor::cat`], returning an error for no parts, a dimension out of range or shapes
    /// that disagree.
    ///
    /// ```
    /// use autodiff_runtime::Tensor;
    /// assert!(Tensor::try_cat(&[Tensor::ones(&[2, 1]), Tensor::ones(&[3, 1])], 1).is_err());
    /// ```
    pub fn try_cat(parts: &[Tensor], dim: usize) -> Result<Tensor, Error> {
        let Some(first) = parts.first() else {
            return Err(Error::Dimension { op: "cat (of no tensors)", dim, shape: Vec::new() });
        };
        if dim >= first.shape.len() {
            return Err(Error::Dimension { op: "cat", dim, shape: first.shape.to_vec() });
        }
        let mut out = first.shape.clone();
        out[dim] = 0;
        for p in parts {
            let agrees = p.shape.len() == out.len()
                && p.shape.iter().zip(out.iter()).enumerate().all(|(d, (a, b))| d == dim || a == b);
            if !agrees {
                return Err(Error::ShapeMismatch {
                    op: "cat",
                    lhs: first.shape.to_vec(),
                    rhs: p.shape.to_vec(),
                });
            }
            out[dim] += p.shape[dim];
        }
        let (outer, _, inner) = split(&out, dim);
        let sizes: Vec<usize> = parts.iter().map(|p| p.shape[dim]).collect();
        #[cfg(feature = "cuda")]
        if parts.iter().any(Tensor::is_cuda) {
            return crate::cuda::cat(parts, &sizes, outer, inner, out);
        }
        let storage = if parts.iter().all(|p| p.dtype() == DType::F32) {
            let data: Vec<&[f32]> = parts.iter().filter_map(|p| p.slice::<f32>()).collect();
            Storage::F32(cat_data(&data, &sizes, outer, inner))
        } else {
            let owned: Vec<Vec<f64>> = parts.iter().map(|p| p.to_vec::<f64>()).collect();
            let data: Vec<&[f64]> = owned.iter().map(Vec::as_slice).collect();
            Storage::F64(cat_data(&data, &sizes, outer, inner))
        };
        Ok(Tensor::from_parts(storage, out))
    }

    /// Forward mode of [`Tensor::cat`] (the custom-derivative convention, so `Tensor::cat`
    /// differentiates inside `#[differentiable]` code): the tangent of a concatenation is the
    /// concatenation of the parts' tangents.
    ///
    /// ```
    /// use autodiff_runtime::Tensor;
    /// let (a, b) = (Tensor::ones(&[1]), Tensor::zeros(&[2]));
    /// let (y, y_dot) = Tensor::cat_jvp(&[a.clone(), b.clone()], 0, &[a * 3.0, b + 1.0]);
    /// assert_eq!(y.to_vec::<f32>(), [1.0, 0.0, 0.0]);
    /// assert_eq!(y_dot.to_vec::<f32>(), [3.0, 1.0, 1.0]);
    /// ```
    #[track_caller]
    pub fn cat_jvp(parts: &[Tensor], dim: usize, parts_dot: &[Tensor]) -> (Tensor, Tensor) {
        let tangents: Vec<Tensor> =
            parts.iter().zip(parts_dot).map(|(p, d)| d.broadcast_to(p.shape())).collect();
        (Tensor::cat(parts, dim), Tensor::cat(&tangents, dim))
    }

    /// Reverse mode of [`Tensor::cat`]: each part's adjoint is its slice of the result's
    /// adjoint `seed` along `dim`, ADDED into `parts_bar` (parts whose buffer is a discard
    /// buffer are skipped). Returns the concatenation.
    ///
    /// ```
    /// use autodiff_runtime::Tensor;
    /// let parts = [Tensor::ones(&[1]), Tensor::ones(&[2])];
    /// let mut bars = [Tensor::zeros(&[1]), Tensor::zeros(&[2])];
    /// let seed = Tensor::from_vec(vec![1.0f32, 2.0, 3.0], &[3]);
    /// Tensor::cat_vjp(&parts, 0, seed, &mut bars);
    /// assert_eq!(bars[1].to_vec::<f32>(), [2.0, 3.0]);
    /// ```
    #[track_caller]
    pub fn cat_vjp(parts: &[Tensor], dim: usize, seed: Tensor, parts_bar: &mut [Tensor]) -> Tensor {
        use crate::Differentiable;
        let y = Tensor::cat(parts, dim);
        let seed = seed.to_device_of(&y).broadcast_to(y.shape());
        let mut start = 0;
        for (p, bar) in parts.iter().zip(parts_bar) {
            let len = p.shape[dim];
            if !bar.is_discard() {
                bar.accumulate(seed.narrow(dim, start, len));
            }
            start += len;
        }
        y
    }

    /// Second order of [`Tensor::cat`] (for `#[differentiable(hessian)]` callers): the value
    /// and tangent of [`Tensor::cat_jvp`], `seed`'s slices ADDED into `parts_dot_bar` as
    /// [`Tensor::cat_vjp`] does; a concatenation is linear, so `parts_bar` gets nothing.
    ///
    /// ```
    /// use autodiff_runtime::Tensor;
    /// let parts = [Tensor::ones(&[1]), Tensor::ones(&[2])];
    /// let mut dot_bars = [Tensor::zeros(&[1]), Tensor::zeros(&[2])];
    /// let mut bars = [Tensor::zeros(&[1]), Tensor::zeros(&[2])];
    /// let seed = Tensor::from_vec(vec![1.0f32, 2.0, 3.0], &[3]);
    /// let (_, t) = Tensor::cat_hvp(&parts, 0, &parts, seed, &mut dot_bars, &mut bars);
    /// assert_eq!((t.to_vec::<f32>(), dot_bars[1].to_vec::<f32>()), (vec![1.0; 3], vec![2.0, 3.0]));
    /// assert_eq!(bars[1].to_vec::<f32>(), [0.0, 0.0]);
    /// ```
    #[track_caller]
    pub fn cat_hvp(
        parts: &[Tensor],
        dim: usize,
        parts_dot: &[Tensor],
        seed: Tensor,
        parts_dot_bar: &mut [Tensor],
        _parts_bar: &mut [Tensor],
    ) -> (Tensor, Tensor) {
        Tensor::cat_vjp(parts, dim, seed, parts_dot_bar);
        Tensor::cat_jvp(parts, dim, parts_dot)
    }

    /// Coordinate grids from 1-d tensors, with matrix (`ij`) indexing as PyTorch's default:
    /// the `k`-th result has shape `(len_0, len_1, ..)` and varies along dimension `k`.
    ///
    /// # Panics
    ///
    /// If an input is not 1-d.
    ///
    /// ```
    /// use autodiff_runtime::Tensor;
    /// let g = Tensor::meshgrid(&[Tensor::arange(0.0, 2.0, 1.0), Tensor::arange(0.0, 3.0, 1.0)]);
    /// assert_eq!(g[0].to_vec::<f32>(), [0.0, 0.0, 0.0, 1.0, 1.0, 1.0]);
    /// assert_eq!(g[1].to_vec::<f32>(), [0.0, 1.0, 2.0, 0.0, 1.0, 2.0]);
    /// ```
    #[track_caller]
    pub fn meshgrid(axes: &[Tensor]) -> Vec<Tensor> {
        let lens: Vec<usize> = axes
            .iter()
            .map(|a| match a.shape() {
                &[n] => n,
                s => panic!("meshgrid: every input must be 1-d, got shape {s:?}"),
            })
            .collect();
        axes.iter()
            .enumerate()
            .map(|(k, a)| {
                let mut along = vec![1; lens.len()];
                along[k] = lens[k];
                a.reshape(&along).broadcast_to(&lens)
            })
            .collect()
    }

    /// Forward mode of [`Tensor::meshgrid`]: the grids of the axes' tangents.
    ///
    /// ```
    /// use autodiff_runtime::Tensor;
    /// let axes = [Tensor::arange(0.0, 2.0, 1.0), Tensor::arange(0.0, 3.0, 1.0)];
    /// let (_, dots) = Tensor::meshgrid_jvp(&axes, &[Tensor::ones(&[2]), Tensor::zeros(&[3])]);
    /// assert_eq!(dots[0].to_vec::<f32>(), [1.0; 6]);
    /// ```
    #[track_caller]
    pub fn meshgrid_jvp(axes: &[Tensor], axes_dot: &[Tensor]) -> (Vec<Tensor>, Vec<Tensor>) {
        let tangents: Vec<Tensor> =
            axes.iter().zip(axes_dot).map(|(a, d)| d.broadcast_to(a.shape())).collect();
        (Tensor::meshgrid(axes), Tensor::meshgrid(&tangents))
    }

    /// Reverse mode of [`Tensor::meshgrid`]: axis `k`'s adjoint is grid `k`'s adjoint summed
    /// over every other dimension, ADDED into `axes_bar[k]` (discard buffers are skipped).
    /// Returns the grids.
    ///
    /// ```
    /// use autodiff_runtime::Tensor;
    /// let axes = [Tensor::arange(0.0, 2.0, 1.0), Tensor::arange(0.0, 3.0, 1.0)];
    /// let mut bars = [Tensor::zeros(&[2]), Tensor::zeros(&[3])];
    /// let seeds = vec![Tensor::ones(&[2, 3]), Tensor::scalar(2.0f32)];
    /// Tensor::meshgrid_vjp(&axes, seeds, &mut bars);
    /// assert_eq!(bars[0].to_vec::<f32>(), [3.0, 3.0]);
    /// assert_eq!(bars[1].to_vec::<f32>(), [4.0, 4.0, 4.0]);
    /// ```
    #[track_caller]
    pub fn meshgrid_vjp(
        axes: &[Tensor],
        seeds: Vec<Tensor>,
        axes_bar: &mut [Tensor],
    ) -> Vec<Tensor> {
        use crate::Differentiable;
        let grids = Tensor::meshgrid(axes);
        let n = grids.len();
        for (k, ((seed, grid), bar)) in seeds.into_iter().zip(&grids).zip(axes_bar).enumerate() {
            if bar.is_discard() {
                continue;
            }
            let mut along = vec![1; n];
            along[k] = grid.shape()[k];
            let summed = seed.to_device_of(grid).broadcast_to(grid.shape()).sum_to(&along);
            bar.accumulate(summed.reshape(&[along[k]]));
        }
        grids
    }

    /// Second order of [`Tensor::meshgrid`] (for `#[differentiable(hessian)]` callers): the
    /// grids and their tangents as [`Tensor::meshgrid_jvp`], the seeds summed into
    /// `axes_dot_bar` as [`Tensor::meshgrid_vjp`] does; grids are linear in the axes, so
    /// `axes_bar` gets nothing.
    ///
    /// ```
    /// use autodiff_runtime::Tensor;
    /// let axes = [Tensor::arange(0.0, 2.0, 1.0), Tensor::arange(0.0, 3.0, 1.0)];
    /// let zeros = || [Tensor::zeros(&[2]), Tensor::zeros(&[3])];
    /// let (mut dot_bars, mut bars) = (zeros(), zeros());
    /// let seeds = vec![Tensor::ones(&[2, 3]), Tensor::scalar(2.0f32)];
    /// Tensor::meshgrid_hvp(&axes, &axes, seeds, &mut dot_bars, &mut bars);
    /// assert_eq!(dot_bars[1].to_vec::<f32>(), [4.0, 4.0, 4.0]);
    /// ```
    #[track_caller]
    pub fn meshgrid_hvp(
        axes: &[Tensor],
        axes_dot: &[Tensor],
        seeds: Vec<Tensor>,
        axes_dot_bar: &mut [Tensor],
        _axes_bar: &mut [Tensor],
    ) -> (Vec<Tensor>, Vec<Tensor>) {
        Tensor::meshgrid_vjp(axes, seeds, axes_dot_bar);
        Tensor::meshgrid_jvp(axes, axes_dot)
    }
}

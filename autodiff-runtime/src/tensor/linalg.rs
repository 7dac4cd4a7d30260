//! `matmul` (through `matrixmultiply`, reading transposed operands in place), `t` and `reshape`.

use super::core::{Element, Storage, Tensor};
use crate::Error;
use crate::error::OrPanic;

/// The matrix-multiply kernel for one element type: `matrixmultiply`'s `sgemm`/`dgemm`, which
/// take any row and column strides, so transposed operands are read in place.
///
/// We call `matrixmultiply` directly rather than through nalgebra views: nalgebra's path for
/// small matrices indexes strided (transposed) views past their end.
pub(crate) trait Gemm: Element + Copy + Default {
    /// `c = op(a) op(b) + beta c` with `op(a)` `m × k` and `op(b)` `k × n` read through the
    /// strides, `c` row-major `m × n`.
    #[allow(clippy::too_many_arguments)]
    fn gemm_into(
        a: &[Self],
        sa: (usize, usize),
        b: &[Self],
        sb: (usize, usize),
        mkn: (usize, usize, usize),
        c: &mut [Self],
        beta: Self,
    );
}

macro_rules! impl_gemm {
    ($t:ty, $kernel:path) => {
        impl Gemm for $t {
            fn gemm_into(
                a: &[Self],
                sa: (usize, usize),
                b: &[Self],
                sb: (usize, usize),
                (m, k, n): (usize, usize, usize),
                c: &mut [Self],
                beta: Self,
            ) {
                let last = |rows: usize, cols: usize, (rs, cs): (usize, usize)| {
                    if rows == 0 || cols == 0 { 0 } else { (rows - 1) * rs + (cols - 1) * cs + 1 }
                };
                assert!(
                    a.len() >= last(m, k, sa) && b.len() >= last(k, n, sb) && c.len() == m * n,
                    "matmul kernel: operand data shorter than its shape"
                );
                // SAFETY: the assertion above keeps every strided read inside `a` and `b`, and
                // `c` holds exactly `m × n` elements written row-major (strides `n`, 1).
                unsafe {
                    $kernel(
                        m,
                        k,
                        n,
                        1.0,
                        a.as_ptr(),
                        sa.0 as isize,
                        sa.1 as isize,
                        b.as_ptr(),
                        sb.0 as isize,
                        sb.1 as isize,
                        beta,
                        c.as_mut_ptr(),
                        n as isize,
                        1,
                    );
                }
            }
        }
    };
}
impl_gemm!(f32, matrixmultiply::sgemm);
impl_gemm!(f64, matrixmultiply::dgemm);

/// `op(a) op(b)` for row-major data, `op` transposing when asked, without copying operands:
/// `a` holds an `m × k` matrix (or `k × m` when `ta`), `b` a `k × n` one (or `n × k` when `tb`).
fn matmul_views<E: Gemm>(
    a: &[E],
    b: &[E],
    m: usize,
    k: usize,
    n: usize,
    ta: bool,
    tb: bool,
) -> Vec<E> {
    let mut c = vec![E::default(); m * n];
    matmul_views_into(a, b, (m, k, n), (ta, tb), &mut c, E::default());
    c
}

/// [`matmul_views`] into `c`: `c = op(a) op(b) + beta c`.
fn matmul_views_into<E: Gemm>(
    a: &[E],
    b: &[E],
    (m, k, n): (usize, usize, usize),
    (ta, tb): (bool, bool),
    c: &mut [E],
    beta: E,
) {
    let sa = if ta { (1, m) } else { (k, 1) };
    let sb = if tb { (1, k) } else { (n, 1) };
    E::gemm_into(a, sa, b, sb, (m, k, n), c, beta);
}

impl Tensor {
    /// `op(self) op(other)` for 2-d tensors, `op` transposing when asked, without copying the
    /// operands: what the adjoints of `matmul` compute (`g bᵀ`, `aᵀ g`).
    pub(crate) fn matmul_t(
        &self,
        other: &Tensor,
        transpose_self: bool,
        transpose_other: bool,
    ) -> Tensor {
        let (&[r0, c0], &[r1, c1]) = (self.shape(), other.shape()) else {
            let a = if transpose_self { self.transpose_last2() } else { self.clone() };
            let b = if transpose_other { other.transpose_last2() } else { other.clone() };
            return a.matmul(&b);
        };
        let (m, k) = if transpose_self { (c0, r0) } else { (r0, c0) };
        let (k1, n) = if transpose_other { (c1, r1) } else { (r1, c1) };
        assert_eq!(
            k, k1,
            "matmul: inner dimensions of {:?} and {:?} differ",
            self.shape, other.shape
        );
        #[cfg(feature = "cuda")]
        if self.is_cuda() || other.is_cuda() {
            let shapes = crate::cuda::Gemm {
                batches: 1,
                b_batched: false,
                mkn: (m, k, n),
                transpose: (transpose_self, transpose_other),
            };
            return crate::cuda::matmul(self, other, shapes, vec![m, n]).or_panic();
        }
        let storage = match (self.slice::<f32>(), other.slice::<f32>()) {
            (Some(x), Some(y)) => {
                Storage::F32(matmul_views(x, y, m, k, n, transpose_self, transpose_other))
            }
            _ => {
                let (x, y) = (self.to_vec::<f64>(), other.to_vec::<f64>());
                Storage::F64(matmul_views(&x, &y, m, k, n, transpose_self, transpose_other))
            }
        };
        Tensor::from_parts(storage, vec![m, n])
    }
}

impl Tensor {
    /// `self += op(a) op(b)` in place (`op` transposing when asked) for 2-d CPU tensors of one
    /// float type, when the product has `self`'s shape and `self`'s storage is its own: what
    /// [`crate::nn::linear`]'s adjoint adds into a weight's gradient, without allocating the
    /// product. Returns whether it did; otherwise nothing changed.
    pub(crate) fn add_matmul_t(&mut self, a: &Tensor, b: &Tensor, ta: bool, tb: bool) -> bool {
        let (&[r0, c0], &[r1, c1]) = (a.shape(), b.shape()) else {
            return false;
        };
        let (m, k) = if ta { (c0, r0) } else { (r0, c0) };
        let (k1, n) = if tb { (c1, r1) } else { (r1, c1) };
        if k != k1 || self.shape() != [m, n] || self.discard {
            return false;
        }
        let Some(data) = std::sync::Arc::get_mut(&mut self.data) else { return false };
        match (data, &*a.data, &*b.data) {
            (Storage::F32(c), Storage::F32(x), Storage::F32(y)) => {
                matmul_views_into(x, y, (m, k, n), (ta, tb), c, 1.0);
            }
            (Storage::F64(c), Storage::F64(x), Storage::F64(y)) => {
                matmul_views_into(x, y, (m, k, n), (ta, tb), c, 1.0);
            }
            _ => return false,
        }
        true
    }

    /// Matrix product: `(m, k) @ (k, n)`, or batched `(b, m, k) @ (b, k, n)` (a 2-d right
    /// operand is shared by every batch).
    ///
    /// # Panics
    ///
    /// If the shapes do not multiply; [`Tensor::try_matmul`] returns the error.
    ///
    /// ```
    /// use autodiff_runtime::Tensor;
    /// let a = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[2, 2]);
    /// assert_eq!(a.matmul(&Tensor::eye(2)), a);
    /// ```
    #[track_caller]
    pub fn matmul(&self, other: &Tensor) -> Tensor {
        self.try_matmul(other).or_panic()
    }

    /// [`Tensor::matmul`], returning an error naming both shapes when they do not multiply.
    ///
    /// ```
    /// use autodiff_runtime::Tensor;
    /// assert!(Tensor::ones(&[2, 3]).try_matmul(&Tensor::ones(&[2, 3])).is_err());
    /// ```
    pub fn try_matmul(&self, other: &Tensor) -> Result<Tensor, Error> {
        let mismatch = || Error::ShapeMismatch {
            op: "matmul",
            lhs: self.shape.to_vec(),
            rhs: other.shape.to_vec(),
        };
        let (batch, m, k) = match self.shape() {
            [m, k] => (None, *m, *k),
            [b, m, k] => (Some(*b), *m, *k),
            _ => return Err(mismatch()),
        };
        let (other_batch, k2, n) = match other.shape() {
            [k2, n] => (None, *k2, *n),
            [b, k2, n] => (Some(*b), *k2, *n),
            _ => return Err(mismatch()),
        };
        if k != k2 || (other_batch.is_some() && other_batch != batch) {
            return Err(mismatch());
        }
        let batches = batch.unwrap_or(1);
        let shape = match batch {
            Some(b) => vec![b, m, n],
            None => vec![m, n],
        };
        #[cfg(feature = "cuda")]
        if self.is_cuda() || other.is_cuda() {
            let shapes = crate::cuda::Gemm {
                batches,
                b_batched: other_batch.is_some(),
                mkn: (m, k, n),
                transpose: (false, false),
            };
            return crate::cuda::matmul(self, other, shapes, shape);
        }
        let compute = |a: &Tensor, b: &Tensor| -> Storage {
            match (a.slice::<f32>(), b.slice::<f32>()) {
                (Some(x), Some(y)) => {
                    Storage::F32(batched(x, y, batches, other_batch.is_some(), m, k, n))
                }
                _ => {
                    let (x, y) = (a.to_vec::<f64>(), b.to_vec::<f64>());
                    Storage::F64(batched(&x, &y, batches, other_batch.is_some(), m, k, n))
                }
            }
        };
        let storage = compute(self, other);
        Ok(Tensor::from_parts(storage, shape))
    }

    /// The transpose of a 2-d tensor (a copy).
    ///
    /// # Panics
    ///
    /// If the tensor is not 2-d.
    ///
    /// ```
    /// use autodiff_runtime::Tensor;
    /// let a = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
    /// assert_eq!(a.t().to_vec::<f32>(), [1.0, 4.0, 2.0, 5.0, 3.0, 6.0]);
    /// ```
    #[track_caller]
    pub fn t(&self) -> Tensor {
        let [m, n] = self.shape() else {
            panic!("t: a 2-d tensor is needed, the shape is {:?}", self.shape);
        };
        let (m, n) = (*m, *n);
        fn transpose<E: Copy>(v: &[E], m: usize, n: usize) -> Vec<E> {
            (0..n * m).map(|k| v[(k % m) * n + k / m]).collect()
        }
        let storage = match &*self.data {
            Storage::F32(v) => Storage::F32(transpose(v, m, n)),
            Storage::F64(v) => Storage::F64(transpose(v, m, n)),
            #[cfg(feature = "cuda")]
            Storage::Cuda(_) => {
                return crate::cuda::transpose(self, 1, m, n, vec![n, m]).or_panic();
            }
        };
        Tensor::from_parts(storage, vec![n, m])
    }

    /// The same data with another shape of the same number of elements (shared, no copy).
    ///
    /// # Panics
    ///
    /// If the numbers of elements differ; [`Tensor::try_reshape`] returns the error.
    ///
    /// ```
    /// let t = autodiff_runtime::Tensor::ones(&[2, 3]).reshape(&[3, 2]);
    /// assert_eq!(t.shape(), &[3, 2]);
    /// ```
    #[track_caller]
    pub fn reshape(&self, shape: &[usize]) -> Tensor {
        self.try_reshape(shape).or_panic()
    }

    /// [`Tensor::reshape`], returning an error when the numbers of elements differ.
    ///
    /// ```
    /// assert!(autodiff_runtime::Tensor::ones(&[2, 3]).try_reshape(&[4]).is_err());
    /// ```
    pub fn try_reshape(&self, shape: &[usize]) -> Result<Tensor, Error> {
        if shape.iter().product::<usize>() != self.numel() {
            return Err(Error::ShapeMismatch {
                op: "reshape",
                lhs: self.shape.to_vec(),
                rhs: shape.to_vec(),
            });
        }
        Ok(Tensor { shape: shape.into(), data: self.data.clone(), discard: false })
    }
}

#[allow(clippy::too_many_arguments)]
fn batched<E: Gemm>(
    a: &[E],
    b: &[E],
    batches: usize,
    b_batched: bool,
    m: usize,
    k: usize,
    n: usize,
) -> Vec<E> {
    let mut out = Vec::with_capacity(batches * m * n);
    for i in 0..batches {
        let x = &a[i * m * k..(i + 1) * m * k];
        let y = if b_batched { &b[i * k * n..(i + 1) * k * n] } else { b };
        out.extend(matmul_views(x, y, m, k, n, false, false));
    }
    out
}

impl Tensor {
    /// Swaps the last two dimensions (a copy): `t` for 2-d tensors, per batch for 3-d ones.
    pub(crate) fn transpose_last2(&self) -> Tensor {
        match self.shape() {
            [_, _] => self.t(),
            [b, m, n] => {
                let (b, m, n) = (*b, *m, *n);
                #[cfg(feature = "cuda")]
                if self.is_cuda() {
                    return crate::cuda::transpose(self, b, m, n, vec![b, n, m]).or_panic();
                }
                let parts: Vec<Tensor> =
                    (0..b).map(|i| self.batch(i, m * n).reshape(&[m, n]).t()).collect();
                Tensor::stack_batches(&parts, &[b, n, m])
            }
            _ => self.clone(),
        }
    }

    fn batch(&self, i: usize, size: usize) -> Tensor {
        let storage = match &*self.data {
            Storage::F32(v) => Storage::F32(v[i * size..(i + 1) * size].to_vec()),
            Storage::F64(v) => Storage::F64(v[i * size..(i + 1) * size].to_vec()),
            #[cfg(feature = "cuda")]
            Storage::Cuda(_) => return self.reshape(&[self.numel()]).narrow(0, i * size, size),
        };
        Tensor::from_parts(storage, vec![size])
    }

    fn stack_batches(parts: &[Tensor], shape: &[usize]) -> Tensor {
        match parts.first().map(Tensor::dtype) {
            Some(super::DType::F64) => {
                Tensor::from_vec(parts.iter().flat_map(|p| p.to_vec::<f64>()).collect(), shape)
            }
            _ => Tensor::from_vec(parts.iter().flat_map(|p| p.to_vec::<f32>()).collect(), shape),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `add_matmul_t` ADDS `op(a) op(b)` into its own storage, for each transposition, and
    /// leaves a shared or misshapen buffer alone (its callers then add a product).
    #[test]
    fn add_matmul_t_adds_the_product_in_place_or_does_nothing() {
        let a = Tensor::from_vec(vec![1.0f64, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
        let b = Tensor::from_vec(vec![1.0f64, 0.5, -1.0, 2.0, 0.0, 1.0], &[3, 2]);
        for (ta, tb) in [(false, false), (true, true)] {
            let (x, y) = if ta { (a.t(), b.t()) } else { (a.clone(), b.clone()) };
            let mut c = Tensor::from_vec(vec![10.0f64, 20.0, 30.0, 40.0], &[2, 2]);
            assert!(c.add_matmul_t(&x, &y, ta, tb));
            // a·b = [[-1, 7.5], [-1, 18]]
            assert_eq!(c.to_vec::<f64>(), [9.0, 27.5, 29.0, 58.0]);
        }
        let mut shared = Tensor::from_vec(vec![1.0f64; 4], &[2, 2]);
        let other = shared.clone();
        assert!(!shared.add_matmul_t(&a, &b, false, false));
        assert_eq!((shared.to_vec::<f64>(), other.to_vec::<f64>()), (vec![1.0; 4], vec![1.0; 4]));
        let mut wrong = Tensor::from_vec(vec![0.0f64; 6], &[3, 2]);
        assert!(!wrong.add_matmul_t(&a, &b, false, false));
        let mut mixed = Tensor::from_vec(vec![0.0f32; 4], &[2, 2]);
        assert!(!mixed.add_matmul_t(&a, &b, false, false));
    }
}

//! What second-order code needs at run time: constants of a value's float type, and the
//! assembly of a dense Hessian from Hessian-vector products over parameters flattened in
//! order (DESIGN.md: a scalar is one entry, a sequence its elements in order, an nalgebra
//! value its entries column-major).

use crate::Real;

/// The constant `v` in the float type of `x` (generated tangent formulas use it, so they work
/// for `f32`, `f64` and a generic `T: Real` alike); for a tensor, the `f64` scalar that tensor
/// arithmetic takes (it keeps the tensor's dtype).
///
/// ```
/// use autodiff_runtime::{Tensor, __private::like};
/// assert_eq!(like(&2.0f32, 0.5), 0.5f32);
/// assert_eq!(like(&Tensor::ones(&[2]), 0.5), 0.5f64);
/// ```
#[inline(always)]
pub fn like<T: Like + ?Sized>(x: &T, v: f64) -> T::Constant {
    x.constant(v)
}

/// One, shaped like `y`: the seed at which a piecewise linear rule's tangent is its partial
/// derivative (`relu`'s step, `abs`'s sign), for floats and tensors alike.
///
/// ```
/// use autodiff_runtime::{Tensor, __private::unit_like};
/// assert_eq!(unit_like(&3.0f64), 1.0);
/// assert_eq!(unit_like(&Tensor::zeros(&[2])).to_vec::<f32>(), [1.0, 1.0]);
/// ```
#[inline(always)]
pub fn unit_like<T: Like>(y: &T) -> T::Owned {
    y.unit()
}

/// What a constant of a value's type is (see [`like`]).
pub trait Like {
    /// The type of a constant in arithmetic with this value.
    type Constant;
    /// The value's own type (a tensor for a reference to one).
    type Owned;
    /// The constant `v`.
    fn constant(&self, v: f64) -> Self::Constant;
    /// One, shaped like this value.
    fn unit(&self) -> Self::Owned;
}

impl<T: Real> Like for T {
    type Constant = T;
    type Owned = T;
    #[inline(always)]
    fn constant(&self, v: f64) -> T {
        T::from_f64(v)
    }
    #[inline(always)]
    fn unit(&self) -> T {
        T::ONE
    }
}

impl Like for crate::Tensor {
    type Constant = f64;
    type Owned = crate::Tensor;
    fn constant(&self, v: f64) -> f64 {
        v
    }
    fn unit(&self) -> crate::Tensor {
        self.full_like(self.shape(), 1.0)
    }
}

impl Like for &crate::Tensor {
    type Constant = f64;
    type Owned = crate::Tensor;
    fn constant(&self, v: f64) -> f64 {
        v
    }
    fn unit(&self) -> crate::Tensor {
        (**self).unit()
    }
}

/// A parameter (or its tangent, or its gradient) seen as a flat list of `E`s.
///
/// ```
/// use autodiff_runtime::__private::Flat;
/// let mut v = vec![[1.0f64, 2.0], [3.0, 4.0]];
/// assert_eq!(Flat::<f64>::flat_len(&v), 4);
/// assert_eq!(v.flat_get(2), 3.0);
/// v.flat_set(1, 9.0);
/// assert_eq!(v[0][1], 9.0);
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be flattened into the rows of a Hessian of `{E}`",
    label = "not a parameter `f_hessian` can flatten",
    note = "`f_hessian` takes floats, arrays, slices, `Vec`s, nalgebra values and `#[derive(Differentiable)]` structs of those (not tensors); `f_hvp` needs none of this"
)]
pub trait Flat<E> {
    /// How many entries.
    fn flat_len(&self) -> usize;
    /// Entry `i` (`i < flat_len()`).
    fn flat_get(&self, i: usize) -> E;
    /// Sets entry `i` (`i < flat_len()`).
    fn flat_set(&mut self, i: usize, v: E);
}

macro_rules! impl_flat_float {
    ($($t:ty),*) => {$(
        impl Flat<$t> for $t {
            fn flat_len(&self) -> usize {
                1
            }
            fn flat_get(&self, _: usize) -> $t {
                *self
            }
            fn flat_set(&mut self, _: usize, v: $t) {
                *self = v;
            }
        }

        impl<R: nalgebra::Dim, C: nalgebra::Dim, S> Flat<$t> for nalgebra::Matrix<$t, R, C, S>
        where
            S: nalgebra::RawStorageMut<$t, R, C> + nalgebra::IsContiguous,
        {
            fn flat_len(&self) -> usize {
                self.len()
            }
            fn flat_get(&self, i: usize) -> $t {
                self.as_slice()[i]
            }
            fn flat_set(&mut self, i: usize, v: $t) {
                self.as_mut_slice()[i] = v;
            }
        }
    )*};
}
impl_flat_float!(f32, f64);

/// Finds the element holding flat entry `i` of a sequence of elements.
fn locate<E, T: Flat<E>>(items: &[T], mut i: usize) -> (usize, usize) {
    for (k, item) in items.iter().enumerate() {
        let n = item.flat_len();
        if i < n {
            return (k, i);
        }
        i -= n;
    }
    panic!("flat index out of range")
}

impl<E, T: Flat<E>> Flat<E> for [T] {
    fn flat_len(&self) -> usize {
        self.iter().map(Flat::flat_len).sum()
    }
    fn flat_get(&self, i: usize) -> E {
        let (k, j) = locate(self, i);
        self[k].flat_get(j)
    }
    fn flat_set(&mut self, i: usize, v: E) {
        let (k, j) = locate(self, i);
        self[k].flat_set(j, v);
    }
}

/// `Vec`s and arrays are flat as their slices.
macro_rules! flat_as_slice {
    ($($ty:ty $(, const $n:ident)?;)*) => {$(
        impl<E, T: Flat<E> $(, const $n: usize)?> Flat<E> for $ty {
            fn flat_len(&self) -> usize {
                self.as_slice().flat_len()
            }
            fn flat_get(&self, i: usize) -> E {
                self.as_slice().flat_get(i)
            }
            fn flat_set(&mut self, i: usize, v: E) {
                self.as_mut_slice().flat_set(i, v);
            }
        }
    )*};
}
flat_as_slice! {
    Vec<T>;
    [T; N], const N;
}

/// Sets entry `j` of the concatenation of `parts` to one (the `j`-th unit tangent, the others
/// being zeros).
///
/// ```
/// use autodiff_runtime::__private::{Flat, set_unit};
/// let (mut a, mut b) = (vec![0.0f64; 2], 0.0f64);
/// set_unit::<f64>(2, &mut [&mut a, &mut b]);
/// assert_eq!((a, b), (vec![0.0, 0.0], 1.0));
/// ```
pub fn set_unit<E: Real>(j: usize, parts: &mut [&mut dyn Flat<E>]) {
    let mut j = j;
    for p in parts.iter_mut() {
        let n = p.flat_len();
        if j < n {
            p.flat_set(j, E::ONE);
            return;
        }
        j -= n;
    }
}

/// Writes the concatenation of `parts` into `out`.
///
/// ```
/// use autodiff_runtime::__private::{Flat, gather};
/// let mut out = [0.0f64; 3];
/// gather::<f64>(&[&vec![1.0f64, 2.0], &3.0f64], &mut out);
/// assert_eq!(out, [1.0, 2.0, 3.0]);
/// ```
pub fn gather<E: Real>(parts: &[&dyn Flat<E>], out: &mut [E]) {
    let mut k = 0;
    for p in parts {
        for i in 0..p.flat_len() {
            out[k] = p.flat_get(i);
            k += 1;
        }
    }
}

/// The `n x n` Hessian from its columns (`column(j, out)` writes `H·eⱼ` into `out`), made
/// exactly symmetric by averaging it with its transpose (the columns of reverse-over-forward
/// agree with the rows up to rounding).
///
/// ```
/// // f(x, y) = x²y: H = [[2y, 2x], [2x, 0]] at (1, 3)
/// let h = autodiff_runtime::__private::hessian_from_columns::<f64>(2, |j, col| {
///     let c = [[6.0, 2.0], [2.0, 0.0]][j];
///     col.copy_from_slice(&c);
/// });
/// assert_eq!(h[(0, 1)], 2.0);
/// assert_eq!(h, h.transpose());
/// ```
pub fn hessian_from_columns<E: Real>(
    n: usize,
    mut column: impl FnMut(usize, &mut [E]),
) -> nalgebra::DMatrix<E> {
    let mut h = nalgebra::DMatrix::from_element(n, n, E::ZERO);
    let mut col = vec![E::ZERO; n];
    for j in 0..n {
        col.iter_mut().for_each(|c| *c = E::ZERO);
        column(j, &mut col);
        for (i, c) in col.iter().enumerate() {
            h[(i, j)] = *c;
        }
    }
    let half = E::from_f64(0.5);
    for j in 0..n {
        for i in 0..j {
            let m = (h[(i, j)] + h[(j, i)]) * half;
            h[(i, j)] = m;
            h[(j, i)] = m;
        }
    }
    h
}

/// `bar += s · g`, entry by entry (`f_grad_vjp`: the gradient's share of the value's seed).
///
/// ```
/// let mut bar = vec![1.0f64, 1.0];
/// autodiff_runtime::__private::add_scaled::<f64, _, _>(&mut bar[..], 2.0, &vec![0.5, 3.0]);
/// assert_eq!(bar, [2.0, 7.0]);
/// ```
pub fn add_scaled<E: Real, B: Flat<E> + ?Sized, G: Flat<E> + ?Sized>(bar: &mut B, s: E, g: &G) {
    for i in 0..bar.flat_len() {
        bar.flat_set(i, bar.flat_get(i) + s * g.flat_get(i));
    }
}

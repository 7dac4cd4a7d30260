//! Elementwise operations: arithmetic with NumPy broadcasting (tensors and scalars, owned and
//! borrowed), unary functions, and the operators.

use super::core::{Element, Storage, Tensor};
use crate::error::OrPanic;
use crate::{Error, Real};
use std::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Sub, SubAssign};

/// A binary elementwise operation.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Binary {
    Add,
    Sub,
    Mul,
    Div,
    /// 1 where equal, else 0 (masks of maxima).
    Eq,
}

impl Binary {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Binary::Add => "add",
            Binary::Sub => "sub",
            Binary::Mul => "mul",
            Binary::Div => "div",
            Binary::Eq => "eq",
        }
    }

    /// `x op s` (or `s op x` when `scalar_first`) as a unary operation with the scalar `s` as
    /// its parameter; `None` for `Eq`, which has no such form.
    pub(crate) fn with_scalar(self, s: f64, scalar_first: bool) -> Option<Unary> {
        Some(match (self, scalar_first) {
            (Binary::Add, _) => Unary::AddScalar(s),
            (Binary::Sub, false) => Unary::SubScalar(s),
            (Binary::Sub, true) => Unary::ScalarSub(s),
            (Binary::Mul, _) => Unary::MulScalar(s),
            (Binary::Div, false) => Unary::DivScalar(s),
            (Binary::Div, true) => Unary::ScalarDiv(s),
            (Binary::Eq, _) => return None,
        })
    }

    /// `a op b` elementwise over the broadcast shape `out`, the operation chosen once (not
    /// per element: each arm's loop is its own, and vectorises).
    fn zip<E: Element>(
        self,
        a: &[E],
        sa: &[usize],
        b: &[E],
        sb: &[usize],
        out: &[usize],
    ) -> Vec<E> {
        match self {
            Binary::Add => zip_broadcast(a, sa, b, sb, out, |x, y| x + y),
            Binary::Sub => zip_broadcast(a, sa, b, sb, out, |x, y| x - y),
            Binary::Mul => zip_broadcast(a, sa, b, sb, out, |x, y| x * y),
            Binary::Div => zip_broadcast(a, sa, b, sb, out, |x, y| x / y),
            Binary::Eq => zip_broadcast(a, sa, b, sb, out, |x, y| Binary::Eq.apply(x, y)),
        }
    }

    fn apply<E: Real>(self, a: E, b: E) -> E {
        match self {
            Binary::Add => a + b,
            Binary::Sub => a - b,
            Binary::Mul => a * b,
            Binary::Div => a / b,
            Binary::Eq => {
                if a == b {
                    E::ONE
                } else {
                    E::ZERO
                }
            }
        }
    }
}

/// A unary elementwise operation, by name, so that each device can run its own kernel for it.
#[derive(Clone, Copy, Debug)]
#[cfg_attr(not(feature = "cuda"), allow(dead_code))]
pub(crate) enum Unary {
    Neg,
    Relu,
    Sigmoid,
    Tanh,
    Exp,
    Ln,
    Sin,
    Cos,
    Sqrt,
    Abs,
    /// -1, 0 or 1.
    Sign,
    /// 1 where positive, else 0 (relu's derivative).
    Step,
    Powi(i32),
    Powf(f64),
    /// `x + s`.
    AddScalar(f64),
    /// `x - s`.
    SubScalar(f64),
    /// `s - x`.
    ScalarSub(f64),
    /// `x * s`.
    MulScalar(f64),
    /// `x / s`.
    DivScalar(f64),
    /// `s / x`.
    ScalarDiv(f64),
}

/// The shape two shapes broadcast to (NumPy's rules: align on the right; each pair of sizes
/// equal, or one of them 1).
pub(crate) fn broadcast_shape(a: &[usize], b: &[usize]) -> Option<Vec<usize>> {
    let n = a.len().max(b.len());
    let dim = |s: &[usize], i: usize| if i + s.len() < n { 1 } else { s[i + s.len() - n] };
    (0..n)
        .map(|i| match (dim(a, i), dim(b, i)) {
            (x, y) if x == y => Some(x),
            (1, y) => Some(y),
            (x, 1) => Some(x),
            _ => None,
        })
        .collect()
}

/// Row-major strides of `shape` seen as `out`'s shape: 0 along broadcast dimensions.
pub(crate) fn strides_in(shape: &[usize], out: &[usize]) -> Vec<usize> {
    let mut strides = vec![0; out.len()];
    let mut stride = 1;
    for (i, &d) in shape.iter().enumerate().rev() {
        let j = i + out.len() - shape.len();
        strides[j] = if d == 1 { 0 } else { stride };
        stride *= d;
    }
    strides
}

/// `f(a[i], b[i])` over the broadcast of the two shapes.
fn zip_broadcast<E: Element>(
    a: &[E],
    sa: &[usize],
    b: &[E],
    sb: &[usize],
    out: &[usize],
    f: impl Fn(E, E) -> E,
) -> Vec<E> {
    if sa == sb {
        return a.iter().zip(b).map(|(x, y)| f(*x, *y)).collect();
    }
    // Fast paths: a one-element operand, or one operand repeating along leading dimensions
    // (a bias row added to every row of a batch).
    let n: usize = out.iter().product();
    if b.len() == 1 && a.len() == n {
        return a.iter().map(|x| f(*x, b[0])).collect();
    }
    if a.len() == 1 && b.len() == n {
        return b.iter().map(|y| f(a[0], *y)).collect();
    }
    let trailing =
        |s: &[usize]| !s.is_empty() && out.ends_with(s.strip_prefix(&[1][..]).unwrap_or(s));
    if a.len() == n && !b.is_empty() && trailing(sb) && n.is_multiple_of(b.len()) {
        return a
            .chunks(b.len())
            .flat_map(|row| row.iter().zip(b).map(|(x, y)| f(*x, *y)))
            .collect();
    }
    if b.len() == n && !a.is_empty() && trailing(sa) && n.is_multiple_of(a.len()) {
        return b
            .chunks(a.len())
            .flat_map(|row| a.iter().zip(row).map(|(x, y)| f(*x, *y)))
            .collect();
    }
    let (ta, tb) = (strides_in(sa, out), strides_in(sb, out));
    let mut index = vec![0usize; out.len()];
    let (mut ia, mut ib) = (0usize, 0usize);
    let mut result = Vec::with_capacity(n);
    for _ in 0..n {
        result.push(f(a[ia], b[ib]));
        // advance the multi-index, updating both offsets
        for d in (0..out.len()).rev() {
            index[d] += 1;
            ia += ta[d];
            ib += tb[d];
            if index[d] < out[d] {
                break;
            }
            ia -= ta[d] * out[d];
            ib -= tb[d] * out[d];
            index[d] = 0;
        }
    }
    result
}

impl Tensor {
    /// `self op other` with broadcasting; `f64` if either is `f64`.
    pub(crate) fn try_binary(&self, other: &Tensor, op: Binary) -> Result<Tensor, Error> {
        let shape =
            broadcast_shape(&self.shape, &other.shape).ok_or_else(|| Error::ShapeMismatch {
                op: op.name(),
                lhs: self.shape.to_vec(),
                rhs: other.shape.to_vec(),
            })?;
        let (sa, sb) = (&self.shape[..], &other.shape[..]);
        let storage = match (&*self.data, &*other.data) {
            #[cfg(feature = "cuda")]
            (Storage::Cuda(_), _) | (_, Storage::Cuda(_)) => {
                return crate::cuda::binary(self, other, op, shape);
            }
            (Storage::F32(a), Storage::F32(b)) => Storage::F32(op.zip(a, sa, b, sb, &shape)),
            (Storage::F64(a), Storage::F64(b)) => Storage::F64(op.zip(a, sa, b, sb, &shape)),
            _ => {
                let (a, b) = (self.to_vec::<f64>(), other.to_vec::<f64>());
                Storage::F64(op.zip(&a, sa, &b, sb, &shape))
            }
        };
        Ok(Tensor::from_parts(storage, shape))
    }

    #[track_caller]
    fn binary(&self, other: &Tensor, op: Binary) -> Tensor {
        self.try_binary(other, op).or_panic()
    }

    /// `self + other` with broadcasting, or an error naming both shapes.
    ///
    /// ```
    /// use autodiff_runtime::Tensor;
    /// let (a, b) = (Tensor::ones(&[2, 3]), Tensor::ones(&[3]));
    /// assert_eq!(a.try_add(&b).unwrap().shape(), &[2, 3]);
    /// assert!(a.try_add(&Tensor::ones(&[2])).is_err());
    /// ```
    pub fn try_add(&self, other: &Tensor) -> Result<Tensor, Error> {
        self.try_binary(other, Binary::Add)
    }

    /// `self - other` with broadcasting, or an error naming both shapes.
    ///
    /// ```
    /// use autodiff_runtime::Tensor;
    /// assert!(Tensor::ones(&[2]).try_sub(&Tensor::ones(&[3])).is_err());
    /// ```
    pub fn try_sub(&self, other: &Tensor) -> Result<Tensor, Error> {
        self.try_binary(other, Binary::Sub)
    }

    /// `self * other` elementwise with broadcasting, or an error naming both shapes.
    ///
    /// ```
    /// use autodiff_runtime::Tensor;
    /// let c = Tensor::ones(&[2, 1]).try_mul(&Tensor::full(&[3], 2.0f32)).unwrap();
    /// assert_eq!(c.shape(), &[2, 3]);
    /// ```
    pub fn try_mul(&self, other: &Tensor) -> Result<Tensor, Error> {
        self.try_binary(other, Binary::Mul)
    }

    /// `self / other` elementwise with broadcasting, or an error naming both shapes.
    ///
    /// ```
    /// use autodiff_runtime::Tensor;
    /// assert!(Tensor::ones(&[2]).try_div(&Tensor::ones(&[2])).is_ok());
    /// ```
    pub fn try_div(&self, other: &Tensor) -> Result<Tensor, Error> {
        self.try_binary(other, Binary::Div)
    }

    /// 1 where `self` equals `other` (broadcast), else 0.
    #[track_caller]
    pub(crate) fn eq_mask(&self, other: &Tensor) -> Tensor {
        self.binary(other, Binary::Eq)
    }

    /// `self` on `other`'s device: moved when `self` is a CPU tensor and `other` is on a GPU
    /// (seeds and scalars that the rules make on the CPU), else `self` itself.
    ///
    /// # Panics
    ///
    /// If the copy to the GPU fails.
    #[track_caller]
    pub(crate) fn to_device_of(&self, other: &Tensor) -> Tensor {
        let device = other.device();
        if self.device() == device || device == crate::Device::Cpu {
            return self.clone();
        }
        self.to_device(&device).or_panic()
    }

    /// `self` repeated to `shape` by broadcasting (the result has exactly `shape`).
    pub(crate) fn try_broadcast_to(&self, shape: &[usize]) -> Result<Tensor, Error> {
        if self.shape == shape {
            return Ok(self.clone());
        }
        let out = self.try_add(&self.full_like(shape, 0.0))?;
        if out.shape != shape {
            return Err(Error::ShapeMismatch {
                op: "broadcast_to",
                lhs: self.shape.to_vec(),
                rhs: shape.to_vec(),
            });
        }
        Ok(out)
    }

    /// [`Tensor::try_broadcast_to`], panicking with its message.
    #[track_caller]
    pub(crate) fn broadcast_to(&self, shape: &[usize]) -> Tensor {
        self.try_broadcast_to(shape).or_panic()
    }

    /// Sets every element to zero in place, when the CPU data is this handle's alone; returns
    /// whether it did (shared or GPU data is left to the caller).
    pub(crate) fn zero_in_place(&mut self) -> bool {
        match std::sync::Arc::get_mut(&mut self.data) {
            Some(Storage::F32(a)) => a.fill(0.0),
            Some(Storage::F64(a)) => a.fill(0.0),
            _ => return false,
        }
        true
    }

    /// `self += other` for tensors of one shape and dtype, in place when the data is not shared.
    ///
    /// # Panics
    ///
    /// If the shapes do not broadcast, the devices differ, or a GPU runs out of memory.
    #[track_caller]
    pub(crate) fn add_in_place(&mut self, other: &Tensor) {
        #[cfg(feature = "cuda")]
        if crate::cuda::add_in_place(self, other) {
            return;
        }
        match (std::sync::Arc::make_mut(&mut self.data), &*other.data) {
            (Storage::F32(a), Storage::F32(b)) if a.len() == b.len() => {
                a.iter_mut().zip(b).for_each(|(x, y)| *x += *y);
            }
            (Storage::F64(a), Storage::F64(b)) if a.len() == b.len() => {
                a.iter_mut().zip(b).for_each(|(x, y)| *x += *y);
            }
            _ => *self = (&*self + other).to_dtype(self.dtype()),
        }
    }

    /// Adam's whole update of `f32` tensors on the CPU in one pass, in `f32` (as PyTorch
    /// computes it): `m = b1 m + (1 - b1) g`, `v = b2 v + (1 - b2) g²`,
    /// `self -= step · m / (√v / √bias2 + eps)`. False, changing nothing, for anything else
    /// (other dtypes, a gradient of another shape, GPU tensors), which the caller updates in
    /// steps.
    pub(crate) fn adam_fused(
        &mut self,
        m: &mut Tensor,
        v: &mut Tensor,
        grad: &Tensor,
        (b1, b2): (f64, f64),
        (step, bias2, eps): (f64, f64, f64),
    ) -> bool {
        let same = |t: &Tensor| t.shape == self.shape && t.slice::<f32>().is_some();
        if !(same(m) && same(v) && same(grad) && self.slice::<f32>().is_some()) {
            return false;
        }
        let Some(g) = grad.slice::<f32>() else { return false };
        let (Storage::F32(p), Storage::F32(m), Storage::F32(v)) = (
            std::sync::Arc::make_mut(&mut self.data),
            std::sync::Arc::make_mut(&mut m.data),
            std::sync::Arc::make_mut(&mut v.data),
        ) else {
            return false;
        };
        // `√v / √bias2` (PyTorch's order): `v / bias2` overflows `f32` first for huge gradients
        let k = [b1 as f32, b2 as f32, step as f32, bias2.sqrt() as f32, eps as f32];
        // The square roots and divisions bound this loop: eight lanes at a time where the CPU
        // has them (the same operations in the same order, so the same numbers).
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2, checked just above.
            unsafe { adam_avx2(p, m, v, g, k) };
            return true;
        }
        adam_f32(p, m, v, g, k);
        true
    }

    /// `self[i] = f(self[i], a[i], b[i])` in place (computed in `f64`); `a` and `b` broadcast to
    /// `self`'s shape.
    ///
    /// # Panics
    ///
    /// If `a` or `b` does not broadcast to `self`'s shape (a gradient that does not fit its
    /// parameter), naming both shapes.
    #[track_caller]
    pub(crate) fn zip3_in_place(
        &mut self,
        a: &Tensor,
        b: &Tensor,
        f: impl Fn(f64, f64, f64) -> f64,
    ) {
        let fit = |t: &Tensor| {
            t.try_broadcast_to(&self.shape).unwrap_or_else(|_| {
                panic!(
                    "optimiser update: a gradient of shape {:?} does not fit a parameter of shape {:?}",
                    t.shape, self.shape
                )
            })
        };
        let (a, b) = (&fit(a), &fit(b));
        match (std::sync::Arc::make_mut(&mut self.data), a.slice::<f32>(), b.slice::<f32>()) {
            (Storage::F32(p), Some(x), Some(y)) => {
                p.iter_mut().zip(x).zip(y).for_each(|((p, x), y)| {
                    *p = f(f64::from(*p), f64::from(*x), f64::from(*y)) as f32;
                })
            }
            (Storage::F32(p), _, _) => {
                let (x, y) = (a.to_vec::<f64>(), b.to_vec::<f64>());
                p.iter_mut()
                    .zip(x)
                    .zip(y)
                    .for_each(|((p, x), y)| *p = f(f64::from(*p), x, y) as f32);
            }
            (Storage::F64(p), _, _) => {
                let (x, y) = (a.to_vec::<f64>(), b.to_vec::<f64>());
                p.iter_mut().zip(x).zip(y).for_each(|((p, x), y)| *p = f(*p, x, y));
            }
            // GPU parameters are updated by their kernels (`Update for Tensor`) before this.
            #[cfg(feature = "cuda")]
            (Storage::Cuda(_), _, _) => {
                panic!("internal error: a closure update reached a GPU tensor")
            }
        }
    }

    /// Applies `op` to every element, keeping the dtype: on the CPU through `f32f`/`f64f`
    /// (which compute `op`), on a GPU through its kernel.
    ///
    /// # Panics
    ///
    /// If a GPU runs out of memory.
    #[track_caller]
    pub(crate) fn map(
        &self,
        #[cfg_attr(not(feature = "cuda"), allow(unused_variables))] op: Unary,
        f32f: impl Fn(f32) -> f32,
        f64f: impl Fn(f64) -> f64,
    ) -> Tensor {
        let storage = match &*self.data {
            Storage::F32(v) => Storage::F32(v.iter().map(|x| f32f(*x)).collect()),
            Storage::F64(v) => Storage::F64(v.iter().map(|x| f64f(*x)).collect()),
            #[cfg(feature = "cuda")]
            Storage::Cuda(s) => Storage::Cuda(s.unary(op).or_panic()),
        };
        Tensor::from_parts(storage, self.shape.clone())
    }
}

macro_rules! unary {
    ($($(#[$doc:meta])* $name:ident $op:ident => |$x:ident| $body:expr;)*) => {
        impl Tensor {
            $(
                $(#[$doc])*
                pub fn $name(&self) -> Tensor {
                    fn apply<E: Real>($x: E) -> E { $body }
                    self.map(Unary::$op, apply::<f32>, apply::<f64>)
                }
            )*
        }
    };
}

unary! {
    /// `max(x, 0)` elementwise.
    ///
    /// ```
    /// let t = autodiff_runtime::Tensor::from_vec(vec![-1.0f32, 2.0], &[2]);
    /// assert_eq!(t.relu().to_vec::<f32>(), [0.0, 2.0]);
    /// ```
    relu Relu => |x| if x > E::ZERO { x } else { E::ZERO };
    /// `1 / (1 + e^-x)` elementwise.
    ///
    /// ```
    /// assert_eq!(autodiff_runtime::Tensor::zeros(&[1]).sigmoid().item::<f32>(), 0.5);
    /// ```
    sigmoid Sigmoid => |x| E::ONE / (E::ONE + (-x).exp());
    /// `tanh` elementwise.
    ///
    /// ```
    /// assert_eq!(autodiff_runtime::Tensor::zeros(&[1]).tanh().item::<f32>(), 0.0);
    /// ```
    tanh Tanh => |x| x.tanh();
    /// `e^x` elementwise.
    ///
    /// ```
    /// assert_eq!(autodiff_runtime::Tensor::zeros(&[1]).exp().item::<f32>(), 1.0);
    /// ```
    exp Exp => |x| x.exp();
    /// Natural logarithm elementwise.
    ///
    /// ```
    /// assert_eq!(autodiff_runtime::Tensor::ones(&[1]).ln().item::<f32>(), 0.0);
    /// ```
    ln Ln => |x| x.ln();
    /// `sin` elementwise.
    ///
    /// ```
    /// assert_eq!(autodiff_runtime::Tensor::zeros(&[1]).sin().item::<f32>(), 0.0);
    /// ```
    sin Sin => |x| x.sin();
    /// `cos` elementwise.
    ///
    /// ```
    /// assert_eq!(autodiff_runtime::Tensor::zeros(&[1]).cos().item::<f32>(), 1.0);
    /// ```
    cos Cos => |x| x.cos();
    /// Square root elementwise.
    ///
    /// ```
    /// assert_eq!(autodiff_runtime::Tensor::full(&[1], 4.0f32).sqrt().item::<f32>(), 2.0);
    /// ```
    sqrt Sqrt => |x| x.sqrt();
    /// Absolute value elementwise.
    ///
    /// ```
    /// assert_eq!(autodiff_runtime::Tensor::full(&[1], -4.0f32).abs().item::<f32>(), 4.0);
    /// ```
    abs Abs => |x| x.abs();
}

impl Tensor {
    /// `x^n` elementwise.
    ///
    /// ```
    /// assert_eq!(autodiff_runtime::Tensor::full(&[1], 3.0f32).powi(2).item::<f32>(), 9.0);
    /// ```
    pub fn powi(&self, n: i32) -> Tensor {
        self.map(Unary::Powi(n), |x| x.powi(n), |x| x.powi(n))
    }

    /// `x^p` elementwise.
    ///
    /// ```
    /// assert_eq!(autodiff_runtime::Tensor::full(&[1], 4.0f32).powf(0.5).item::<f32>(), 2.0);
    /// ```
    pub fn powf(&self, p: f64) -> Tensor {
        self.map(Unary::Powf(p), |x| x.powf(p as f32), |x| x.powf(p))
    }

    /// The sign of each element: -1, 0 or 1 (`abs`'s derivative).
    pub(crate) fn sign(&self) -> Tensor {
        self.map(Unary::Sign, Real::sign, Real::sign)
    }

    /// 1 where an element is positive, else 0 (`relu`'s derivative).
    pub(crate) fn step(&self) -> Tensor {
        fn step<E: Real>(x: E) -> E {
            if x > E::ZERO { E::ONE } else { E::ZERO }
        }
        self.map(Unary::Step, step::<f32>, step::<f64>)
    }

    fn with_scalar(&self, s: f64, op: Binary, scalar_first: bool) -> Tensor {
        let s32 = s as f32;
        let Some(named) = op.with_scalar(s, scalar_first) else {
            return self.binary(&Tensor::scalar(s).to_dtype(self.dtype()), op);
        };
        // (the operation chosen once, not per element)
        match named {
            Unary::AddScalar(_) => self.map(named, |x| x + s32, |x| x + s),
            Unary::SubScalar(_) => self.map(named, |x| x - s32, |x| x - s),
            Unary::ScalarSub(_) => self.map(named, |x| s32 - x, |x| s - x),
            Unary::MulScalar(_) => self.map(named, |x| x * s32, |x| x * s),
            Unary::DivScalar(_) => self.map(named, |x| x / s32, |x| x / s),
            Unary::ScalarDiv(_) => self.map(named, |x| s32 / x, |x| s / x),
            _ => self.map(
                named,
                |x| if scalar_first { op.apply(s32, x) } else { op.apply(x, s32) },
                |x| if scalar_first { op.apply(s, x) } else { op.apply(x, s) },
            ),
        }
    }
}

macro_rules! operators {
    ($($trait:ident $method:ident $op:ident;)*) => {$(
        impl $trait<&Tensor> for &Tensor {
            type Output = Tensor;
            /// Elementwise with broadcasting.
            ///
            /// # Panics
            ///
            /// If the shapes do not broadcast; the message names both (see the `try_` form).
            #[track_caller]
            fn $method(self, rhs: &Tensor) -> Tensor { self.binary(rhs, Binary::$op) }
        }
        impl $trait<Tensor> for Tensor {
            type Output = Tensor;
            #[track_caller]
            fn $method(self, rhs: Tensor) -> Tensor { self.binary(&rhs, Binary::$op) }
        }
        impl $trait<&Tensor> for Tensor {
            type Output = Tensor;
            #[track_caller]
            fn $method(self, rhs: &Tensor) -> Tensor { self.binary(rhs, Binary::$op) }
        }
        impl $trait<Tensor> for &Tensor {
            type Output = Tensor;
            #[track_caller]
            fn $method(self, rhs: Tensor) -> Tensor { self.binary(&rhs, Binary::$op) }
        }
        // Scalars are `f64` only: with an `f32` impl too, `&t * 2.0` would not infer.
        operators!(@scalar $trait $method $op f64);
    )*};
    (@scalar $trait:ident $method:ident $op:ident $t:ty) => {
        impl $trait<$t> for &Tensor {
            type Output = Tensor;
            fn $method(self, rhs: $t) -> Tensor { self.with_scalar(f64::from(rhs), Binary::$op, false) }
        }
        impl $trait<$t> for Tensor {
            type Output = Tensor;
            fn $method(self, rhs: $t) -> Tensor { self.with_scalar(f64::from(rhs), Binary::$op, false) }
        }
        impl $trait<&Tensor> for $t {
            type Output = Tensor;
            fn $method(self, rhs: &Tensor) -> Tensor { rhs.with_scalar(f64::from(self), Binary::$op, true) }
        }
        impl $trait<Tensor> for $t {
            type Output = Tensor;
            fn $method(self, rhs: Tensor) -> Tensor { rhs.with_scalar(f64::from(self), Binary::$op, true) }
        }
    };
}

macro_rules! assign_operators {
    ($($trait:ident $method:ident $op:ident;)*) => {$(
        impl $trait<&Tensor> for Tensor {
            /// Elementwise with broadcasting, the result taking the place of `self` (a new
            /// tensor: other handles of the old one keep it).
            ///
            /// # Panics
            ///
            /// If the shapes do not broadcast.
            #[track_caller]
            fn $method(&mut self, rhs: &Tensor) {
                if !self.assign_in_place(rhs, Binary::$op) {
                    *self = self.binary(rhs, Binary::$op);
                }
            }
        }
        impl $trait<Tensor> for Tensor {
            #[track_caller]
            fn $method(&mut self, rhs: Tensor) {
                if !self.assign_in_place(&rhs, Binary::$op) {
                    *self = self.binary(&rhs, Binary::$op);
                }
            }
        }
        impl $trait<f64> for Tensor {
            fn $method(&mut self, rhs: f64) { *self = self.with_scalar(rhs, Binary::$op, false); }
        }
    )*};
}

impl Tensor {
    /// `self op= other` in place, when `self`'s data is its own, on the CPU, and `other` has
    /// its shape and dtype; returns whether it did (else the caller makes a new tensor).
    fn assign_in_place(&mut self, other: &Tensor, op: Binary) -> bool {
        if self.shape != other.shape {
            return false;
        }
        fn apply<E: Element>(a: &mut [E], b: &[E], op: Binary) {
            match op {
                Binary::Add => a.iter_mut().zip(b).for_each(|(x, y)| *x += *y),
                Binary::Sub => a.iter_mut().zip(b).for_each(|(x, y)| *x -= *y),
                Binary::Mul => a.iter_mut().zip(b).for_each(|(x, y)| *x *= *y),
                Binary::Div => a.iter_mut().zip(b).for_each(|(x, y)| *x /= *y),
                Binary::Eq => a.iter_mut().zip(b).for_each(|(x, y)| *x = Binary::Eq.apply(*x, *y)),
            }
        }
        match (std::sync::Arc::get_mut(&mut self.data), &*other.data) {
            (Some(Storage::F32(a)), Storage::F32(b)) => apply(a, b, op),
            (Some(Storage::F64(a)), Storage::F64(b)) => apply(a, b, op),
            _ => return false,
        }
        true
    }
}

// `loss += term`, as PyTorch code accumulates (tests/tensors.rs); in place where the data is
// the tensor's own and the operand has its shape and dtype.
assign_operators! {
    AddAssign add_assign Add;
    SubAssign sub_assign Sub;
    MulAssign mul_assign Mul;
    DivAssign div_assign Div;
}

operators! {
    Add add Add;
    Sub sub Sub;
    Mul mul Mul;
    Div div Div;
}

impl Neg for &Tensor {
    type Output = Tensor;
    fn neg(self) -> Tensor {
        self.map(Unary::Neg, |x| -x, |x| -x)
    }
}

impl Neg for Tensor {
    type Output = Tensor;
    fn neg(self) -> Tensor {
        -&self
    }
}

/// Adam's step on `f32` data in one pass (see [`Tensor::adam_fused`]); `k` holds `β₁`, `β₂`,
/// the step size, `√(1 - β₂ᵗ)` and `ε`.
#[inline(always)]
fn adam_f32(p: &mut [f32], m: &mut [f32], v: &mut [f32], g: &[f32], k: [f32; 5]) {
    let [b1, b2, step, root2, eps] = k;
    for (((p, m), v), g) in p.iter_mut().zip(m.iter_mut()).zip(v.iter_mut()).zip(g) {
        *m = b1 * *m + (1.0 - b1) * g;
        *v = b2 * *v + (1.0 - b2) * g * g;
        *p -= step * *m / (v.sqrt() / root2 + eps);
    }
}

/// [`adam_f32`] compiled for AVX2.
///
/// # Safety
///
/// The CPU must have AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn adam_avx2(p: &mut [f32], m: &mut [f32], v: &mut [f32], g: &[f32], k: [f32; 5]) {
    adam_f32(p, m, v, g, k);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broadcasting_follows_numpy() {
        assert_eq!(broadcast_shape(&[2, 3], &[3]), Some(vec![2, 3]));
        assert_eq!(broadcast_shape(&[2, 1], &[1, 3]), Some(vec![2, 3]));
        assert_eq!(broadcast_shape(&[4, 1, 3], &[2, 1]), Some(vec![4, 2, 3]));
        assert_eq!(broadcast_shape(&[], &[2]), Some(vec![2]));
        assert_eq!(broadcast_shape(&[2], &[3]), None);
        let a = Tensor::from_vec(vec![1.0f32, 2.0], &[2, 1]);
        let b = Tensor::from_vec(vec![10.0f32, 20.0, 30.0], &[3]);
        assert_eq!((&a + &b).to_vec::<f32>(), [11.0, 21.0, 31.0, 12.0, 22.0, 32.0]);
        assert_eq!((&b - &a).to_vec::<f32>(), [9.0, 19.0, 29.0, 8.0, 18.0, 28.0]);
    }
}

//! [`Differentiable`]: what every value that carries a derivative can do, and the two free
//! functions generated code calls, [`zero_like`] and [`accumulate`].

/// Whether an adjoint is zero: reverse mode skips the adjoint of a loop whose results' adjoints
/// all are (it would add nothing).
///
/// ```
/// assert!(autodiff_runtime::__private::is_zero(&0.0f64));
/// assert!(!autodiff_runtime::__private::is_zero(&f32::NAN));
/// ```
#[inline(always)]
pub fn is_zero<T: Differentiable + PartialEq>(adjoint: &T) -> bool {
    *adjoint == adjoint.zero_like()
}

/// A value that has tangents and adjoints of its own type.
///
/// Generated code never names a type: an adjoint starts as [`zero_like`] of its primal and
/// contributions are added with [`accumulate`]. For `f32` and `f64` both inline to one float
/// operation.
///
/// ```
/// use autodiff_runtime::Differentiable;
/// let mut g = 2.5f64.zero_like();
/// g.accumulate(1.5);
/// g.accumulate(0.5);
/// assert_eq!(g, 2.0);
/// let mut v = vec![1.0, 2.0].zero_like();
/// v.accumulate(vec![0.5, 0.25]);
/// assert_eq!(v, [0.5, 0.25]);
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot carry a derivative",
    label = "not differentiable",
    note = "floats, arrays, `Vec`s and slices of them, nalgebra vectors and matrices, `Tensor`, and structs with `#[derive(Differentiable)]` can; mark a constant field of such a struct `#[autodiff(skip)]`"
)]
pub trait Differentiable: Sized {
    /// A zero of the same shape as `self`.
    fn zero_like(&self) -> Self;
    /// Adds `contribution` into `self` (gradient accumulation).
    fn accumulate(&mut self, contribution: Self);
    /// The zero an adjoint inside generated code starts from (see [`zero_adjoint`]): the same
    /// as [`zero_like`](Differentiable::zero_like) except for floats.
    #[doc(hidden)]
    #[inline(always)]
    fn adjoint_zero(&self) -> Self {
        self.zero_like()
    }
    /// Sets `self` to zero, reusing its storage where it can (a gradient buffer between steps:
    /// `Param::zero_grad`).
    ///
    /// ```
    /// use autodiff_runtime::{Differentiable, Tensor};
    /// let mut g = Tensor::ones(&[2, 2]);
    /// g.set_zero();
    /// assert_eq!(g.to_vec::<f32>(), [0.0; 4]);
    /// ```
    fn set_zero(&mut self) {
        *self = self.zero_like();
    }
}

macro_rules! impl_float {
    ($($t:ty),*) => {$(
        impl Differentiable for $t {
            #[inline(always)]
            fn zero_like(&self) -> Self {
                0.0
            }
            #[inline(always)]
            fn accumulate(&mut self, contribution: Self) {
                *self += contribution;
            }
            #[inline(always)]
            fn adjoint_zero(&self) -> Self {
                -0.0
            }
        }

        impl Zeros for $t {
            type Output = $t;
            #[inline(always)]
            fn zeros(&self) -> $t {
                0.0
            }
            #[inline(always)]
            fn adjoint_zeros(&self) -> $t {
                -0.0
            }
        }
    )*};
}
impl_float!(f32, f64);

impl<T: Differentiable, const N: usize> Differentiable for [T; N] {
    #[inline]
    fn zero_like(&self) -> Self {
        core::array::from_fn(|i| self[i].zero_like())
    }
    #[inline]
    fn accumulate(&mut self, contribution: Self) {
        for (a, c) in self.iter_mut().zip(contribution) {
            a.accumulate(c);
        }
    }
    #[inline]
    fn adjoint_zero(&self) -> Self {
        core::array::from_fn(|i| self[i].adjoint_zero())
    }
}

/// Tuples of differentiable values, element by element: the results of functions that return
/// several values, their tangents and their adjoints.
///
/// ```
/// use autodiff_runtime::Differentiable;
/// let mut g = (1.0f64, [2.0f64, 3.0]).zero_like();
/// g.accumulate((0.5, [1.0, 2.0]));
/// assert_eq!(g, (0.5, [1.0, 2.0]));
/// ```
macro_rules! impl_tuple {
    ($(($($t:ident $k:tt),+)),*) => {$(
        impl<$($t: Differentiable),+> Differentiable for ($($t,)+) {
            #[inline]
            fn zero_like(&self) -> Self {
                ($(self.$k.zero_like(),)+)
            }
            #[inline]
            fn accumulate(&mut self, contribution: Self) {
                $(self.$k.accumulate(contribution.$k);)+
            }
            #[inline]
            fn adjoint_zero(&self) -> Self {
                ($(self.$k.adjoint_zero(),)+)
            }
        }

        impl<$($t: Differentiable),+> Zeros for ($($t,)+) {
            type Output = Self;
            #[inline]
            fn zeros(&self) -> Self {
                self.zero_like()
            }
            #[inline]
            fn adjoint_zeros(&self) -> Self {
                self.adjoint_zero()
            }
        }
    )*};
}
impl_tuple!((A 0, B 1), (A 0, B 1, C 2), (A 0, B 1, C 2, D 3));

/// Vectors of different lengths are a caller's bug; the shorter length is used.
impl<T: Differentiable> Differentiable for Vec<T> {
    fn zero_like(&self) -> Self {
        self.iter().map(Differentiable::zero_like).collect()
    }
    fn accumulate(&mut self, contribution: Self) {
        self.as_mut_slice().accumulate_from(contribution);
    }
}

/// Values whose zero adjoint is an owned buffer: a value itself, and also a slice `[T]` (whose
/// adjoint is a `Vec<T>`) or a reference to any of them. Generated code calls [`zero_like`].
pub trait Zeros {
    /// The type of the zero: `Self` for owned values, `Vec<T>` for slices.
    type Output;
    /// A zero shaped like `self`.
    fn zeros(&self) -> Self::Output;
    /// The zero an adjoint inside generated code starts from (see [`zero_adjoint`]).
    #[doc(hidden)]
    #[inline(always)]
    fn adjoint_zeros(&self) -> Self::Output {
        self.zeros()
    }
}

impl<T: Differentiable, const N: usize> Zeros for [T; N] {
    type Output = [T; N];
    #[inline]
    fn zeros(&self) -> [T; N] {
        self.zero_like()
    }
    #[inline]
    fn adjoint_zeros(&self) -> [T; N] {
        self.adjoint_zero()
    }
}

impl<T: Differentiable> Zeros for Vec<T> {
    type Output = Vec<T>;
    fn zeros(&self) -> Vec<T> {
        self.zero_like()
    }
}

impl<T: Differentiable> Zeros for [T] {
    type Output = Vec<T>;
    fn zeros(&self) -> Vec<T> {
        self.iter().map(Differentiable::zero_like).collect()
    }
}

impl<S: Zeros + ?Sized> Zeros for &S {
    type Output = S::Output;
    #[inline(always)]
    fn zeros(&self) -> S::Output {
        (**self).zeros()
    }
    #[inline(always)]
    fn adjoint_zeros(&self) -> S::Output {
        (**self).adjoint_zeros()
    }
}

/// One zero tangent (from [`zero_like`]) borrowed `N` times, as the callee's parameter takes
/// it (`T`, inferred from the call): an array's zero as the array or as a slice, a `Vec`'s as a
/// slice, anything else as itself. Batch forward code hands it to every direction.
///
/// ```
/// use autodiff_runtime::__private::zeros_as;
/// let z = [0.0f64; 2];
/// let as_slices: [&[f64]; 3] = zeros_as(&z);
/// let as_arrays: [&[f64; 2]; 3] = zeros_as(&z);
/// let v = vec![0.0; 4];
/// let of_vec: [&[f64]; 2] = zeros_as(&v);
/// assert_eq!((as_slices[2].len(), as_arrays[0].len(), of_vec[1].len()), (2, 2, 4));
/// ```
#[doc(hidden)]
#[inline(always)]
pub fn zeros_as<Z: ZeroAs<T> + ?Sized, T: ?Sized, const N: usize>(zero: &Z) -> [&T; N] {
    [zero.zero_as(); N]
}

/// See [`zeros_as`].
#[doc(hidden)]
pub trait ZeroAs<T: ?Sized> {
    /// The borrow.
    fn zero_as(&self) -> &T;
}

impl<T> ZeroAs<[T]> for Vec<T> {
    fn zero_as(&self) -> &[T] {
        self
    }
}

impl<T, const N: usize> ZeroAs<[T; N]> for [T; N] {
    fn zero_as(&self) -> &[T; N] {
        self
    }
}

impl<T, const N: usize> ZeroAs<[T]> for [T; N] {
    fn zero_as(&self) -> &[T] {
        self
    }
}

impl<T, R, C, S> ZeroAs<Self> for nalgebra::Matrix<T, R, C, S> {
    fn zero_as(&self) -> &Self {
        self
    }
}

macro_rules! zero_as_itself {
    ($($t:ty),*) => {$(
        impl ZeroAs<$t> for $t {
            fn zero_as(&self) -> &$t {
                self
            }
        }
    )*};
}
zero_as_itself!(f32, f64, crate::Tensor);

/// A zero shaped like `value`: the starting point of every adjoint and of constant tangents.
/// For a slice it is a `Vec` of zeros.
///
/// ```
/// use autodiff_runtime::zero_like;
/// assert_eq!(zero_like(&3.0f32), 0.0);
/// let x: &[f64] = &[1.0, 2.0];
/// assert_eq!(zero_like(&x), vec![0.0, 0.0]);
/// ```
#[inline(always)]
pub fn zero_like<T: Zeros + ?Sized>(value: &T) -> T::Output {
    value.zeros()
}

/// The zero that adjoints inside generated reverse-mode code start from: [`zero_like`], except
/// that floats (also in arrays and nalgebra types) start from `-0.0`, the additive identity of
/// IEEE arithmetic: `-0.0 + x` is `x` for every `x`, so the optimiser drops the addition, while
/// `0.0 + x` must be kept (it turns `-0.0` into `0.0`). Such adjoints only ever reach a
/// caller's buffer by addition, so the sign of an untouched zero never shows.
///
/// ```
/// use autodiff_runtime::__private::zero_adjoint;
/// let z = zero_adjoint(&2.0f64);
/// assert!(z == 0.0 && z.is_sign_negative());
/// assert_eq!((z + 0.0).to_bits(), 0.0f64.to_bits());
/// ```
#[doc(hidden)]
#[inline(always)]
pub fn zero_adjoint<T: Zeros + ?Sized>(value: &T) -> T::Output {
    value.adjoint_zeros()
}

/// The adjoint of a buffer pushed into inside a loop body: `len` zeros, `len` being the
/// buffer's length at the end of that body (the buffer itself is as declared when the adjoint
/// runs; it only gives the element type).
///
/// ```
/// let declared: Vec<f64> = Vec::with_capacity(3);
/// assert_eq!(autodiff_runtime::__private::adjoint_of_length(&declared, 2), [0.0, 0.0]);
/// ```
pub fn adjoint_of_length<T: Default + Clone>(_buffer: &[T], len: usize) -> Vec<T> {
    vec![T::default(); len]
}

/// Adjoint buffers that contributions of type `C` can be added into.
pub trait Accumulate<C> {
    /// Adds `contribution` into `self`.
    fn accumulate_from(&mut self, contribution: C);
}

impl<T: Differentiable> Accumulate<T> for T {
    #[inline(always)]
    fn accumulate_from(&mut self, contribution: T) {
        self.accumulate(contribution);
    }
}

impl<T: Differentiable> Accumulate<Vec<T>> for [T] {
    fn accumulate_from(&mut self, contribution: Vec<T>) {
        for (a, c) in self.iter_mut().zip(contribution) {
            a.accumulate(c);
        }
    }
}

/// Adds `contribution` into the adjoint `adjoint` (a slice's adjoint takes a `Vec`).
///
/// ```
/// let mut a = 1.0f64;
/// autodiff_runtime::accumulate(&mut a, 2.0);
/// assert_eq!(a, 3.0);
/// let mut buffer = [1.0, 1.0];
/// let slice: &mut [f64] = &mut buffer;
/// autodiff_runtime::accumulate(slice, vec![0.5, 2.0]);
/// assert_eq!(buffer, [1.5, 3.0]);
/// ```
#[inline(always)]
pub fn accumulate<A: Accumulate<C> + ?Sized, C>(adjoint: &mut A, contribution: C) {
    adjoint.accumulate_from(contribution);
}

/// Outputs for which a gradient (`f_grad`) is defined: the seed of reverse mode is one.
///
/// ```
/// use autodiff_runtime::GradOutput;
/// assert_eq!(<f64 as GradOutput>::unit_seed(), 1.0);
/// ```
pub trait GradOutput: Differentiable {
    /// The seed `1` that makes `f_vjp` compute a gradient.
    fn unit_seed() -> Self;
}

impl GradOutput for f32 {
    #[inline(always)]
    fn unit_seed() -> Self {
        1.0
    }
}

impl GradOutput for f64 {
    #[inline(always)]
    fn unit_seed() -> Self {
        1.0
    }
}

/// nalgebra's fixed-size vectors and matrices of `f32`/`f64`, or of a generic float `T: Real +
/// RealField` (`Vector3`, `Matrix3`, `SVector`, ...): zero-shaped adjoints and componentwise
/// accumulation, like floats.
impl<T: crate::Real + nalgebra::RealField, const R: usize, const C: usize> Differentiable
    for nalgebra::SMatrix<T, R, C>
{
    #[inline]
    fn zero_like(&self) -> Self {
        Self::zeros()
    }
    #[inline]
    fn accumulate(&mut self, contribution: Self) {
        *self += contribution;
    }
    #[inline]
    fn adjoint_zero(&self) -> Self {
        Self::from_element(-<T as crate::Real>::ZERO)
    }
}

impl<T: crate::Real + nalgebra::RealField, const R: usize, const C: usize> Zeros
    for nalgebra::SMatrix<T, R, C>
{
    type Output = Self;
    #[inline]
    fn zeros(&self) -> Self {
        Self::zeros()
    }
    #[inline]
    fn adjoint_zeros(&self) -> Self {
        Self::from_element(-<T as crate::Real>::ZERO)
    }
}

/// nalgebra's dynamic vectors and matrices (`DVector`, `DMatrix`) of `f32`/`f64`: zeros of
/// the same shape and componentwise accumulation (a parameter's gradient in `f_grad`).
///
/// ```
/// use autodiff_runtime::Differentiable;
/// let mut g = nalgebra::DVector::from_vec(vec![1.0f64, 2.0]).zero_like();
/// g.accumulate(nalgebra::DVector::from_vec(vec![0.5, 0.25]));
/// assert_eq!(g.as_slice(), &[0.5, 0.25]);
/// let m = nalgebra::DMatrix::from_element(2, 3, 1.0f64).zero_like();
/// assert_eq!(m.shape(), (2, 3));
/// ```
macro_rules! impl_dynamic_vector {
    ($($t:ty),*) => {$(
        impl Differentiable for nalgebra::DVector<$t> {
            fn zero_like(&self) -> Self {
                Self::zeros(self.len())
            }
            fn accumulate(&mut self, contribution: Self) {
                *self += contribution;
            }
        }

        impl Zeros for nalgebra::DVector<$t> {
            type Output = Self;
            fn zeros(&self) -> Self {
                Self::zeros(self.len())
            }
        }

        impl Differentiable for nalgebra::DMatrix<$t> {
            fn zero_like(&self) -> Self {
                Self::zeros(self.nrows(), self.ncols())
            }
            fn accumulate(&mut self, contribution: Self) {
                *self += contribution;
            }
        }

        impl Zeros for nalgebra::DMatrix<$t> {
            type Output = Self;
            fn zeros(&self) -> Self {
                Self::zeros(self.nrows(), self.ncols())
            }
        }
    )*};
}
impl_dynamic_vector!(f32, f64);

/// The first `len` elements of the tangent of the slice `name`: generated `f_jvp`s cut each
/// slice's tangent to its primal's length, so that loops index both without bounds checks.
///
/// # Panics
///
/// If the tangent is shorter than its primal: a tangent has one entry per primal entry.
///
/// ```
/// assert_eq!(autodiff_runtime::cut_to_length(&[1.0, 2.0, 3.0], 2, "x"), &[1.0, 2.0]);
/// ```
#[inline]
#[track_caller]
pub fn cut_to_length<'a, T>(tangent: &'a [T], len: usize, name: &str) -> &'a [T] {
    match tangent.get(..len) {
        Some(t) => t,
        None => {
            panic!("the tangent of `{name}` has {} entries but `{name}` has {len}", tangent.len())
        }
    }
}

/// The first `len` elements of the adjoint buffer of the slice `name`: generated `f_vjp`s cut
/// each slice's buffer to its primal's length, so that the optimiser knows both have one length
/// and drops the buffer's bounds checks in loops that index both.
///
/// # Panics
///
/// If the buffer is shorter than its primal: an adjoint has one entry per primal entry.
///
/// ```
/// let mut buffer = [0.0, 0.0, 0.0];
/// assert_eq!(autodiff_runtime::cut_to_length_mut(&mut buffer, 2, "x").len(), 2);
/// ```
#[inline]
#[track_caller]
pub fn cut_to_length_mut<'a, T>(adjoint: &'a mut [T], len: usize, name: &str) -> &'a mut [T] {
    let available = adjoint.len();
    match adjoint.get_mut(..len) {
        Some(a) => a,
        None => {
            panic!("the adjoint buffer `{name}_bar` has {available} entries but `{name}` has {len}")
        }
    }
}

/// Tensors: adjoints are zeros of the same shape and dtype; a contribution of a broadcast shape
/// is summed back to the adjoint's shape, and converted to its dtype.
impl Differentiable for crate::Tensor {
    fn zero_like(&self) -> Self {
        self.full_like(self.shape(), 0.0)
    }
    fn accumulate(&mut self, contribution: Self) {
        if self.is_discard() {
            return;
        }
        let c = contribution.to_device_of(self).sum_to(self.shape()).to_dtype(self.dtype());
        self.add_in_place(&c);
    }
    /// In place when its storage is its own, on the CPU (no allocation per training step).
    fn set_zero(&mut self) {
        if !self.zero_in_place() {
            *self = self.zero_like();
        }
    }
}

impl Zeros for crate::Tensor {
    type Output = crate::Tensor;
    fn zeros(&self) -> crate::Tensor {
        self.zero_like()
    }
}

/// The seed of `f_grad` for a tensor result: a zero-dimensional one, which broadcasts, so a
/// result with several elements gets the gradient of their sum.
impl GradOutput for crate::Tensor {
    fn unit_seed() -> Self {
        crate::Tensor::scalar(1.0f32)
    }
}

/// The adjoint buffer generated code passes for an inactive tensor argument of a call: the
/// callee skips its contributions (see [`wanted`]).
#[doc(hidden)]
pub fn discard_like(x: &crate::Tensor) -> crate::Tensor {
    crate::Tensor::discard(x)
}

/// Whether a callee's adjoint buffer wants contributions (false for [`discard_like`] buffers).
#[doc(hidden)]
pub fn wanted(bar: &crate::Tensor) -> bool {
    !bar.is_discard()
}

/// A float operand of a rule, by value: the rules take `&T` of a float `T`, and an inactive
/// operand may be a reference to one (an item of `TABLE.iter()`, `v.get(i).unwrap()`).
///
/// ```
/// use autodiff_runtime::__private::{Value, value};
/// let table = [0.5f64, 2.0];
/// let w: &f64 = &table[1];
/// assert_eq!(value(&w), 2.0);
/// assert_eq!(value(&3.0f32), 3.0);
/// ```
#[doc(hidden)]
pub trait Value {
    /// The float.
    type Float;
    /// The float, copied.
    fn float(&self) -> Self::Float;
}

impl<T: crate::Real> Value for T {
    type Float = T;
    #[inline(always)]
    fn float(&self) -> T {
        *self
    }
}

macro_rules! impl_value_of_reference {
    ($($t:ty),*) => {$(
        impl Value for &$t {
            type Float = $t;
            #[inline(always)]
            fn float(&self) -> $t {
                **self
            }
        }

        impl Value for &&$t {
            type Float = $t;
            #[inline(always)]
            fn float(&self) -> $t {
                ***self
            }
        }
    )*};
}
impl_value_of_reference!(f32, f64);

/// The float an operand holds (see [`Value`]).
#[doc(hidden)]
#[inline(always)]
pub fn value<V: Value>(operand: &V) -> V::Float {
    operand.float()
}

/// `vec![v; n]` as generated code writes it (the macro's `Form::Repeat`).
///
/// ```
/// assert_eq!(autodiff_runtime::__private::repeat(1.5, 3), vec![1.5, 1.5, 1.5]);
/// ```
#[doc(hidden)]
#[inline]
pub fn repeat<T: Clone>(v: T, n: usize) -> Vec<T> {
    vec![v; n]
}

/// The adjoint of `v` in `vec![v; n]`: the sum of the entries' adjoints `g` (zero, shaped like
/// `v`, when `n` is 0).
///
/// ```
/// assert_eq!(autodiff_runtime::__private::sum_of_repeated(&[1.0, 2.0, 0.5], &3.0), 3.5);
/// ```
#[doc(hidden)]
pub fn sum_of_repeated<T: Differentiable + Clone>(g: &[T], v: &T) -> T {
    let mut sum = v.zero_like();
    for entry in g {
        sum.accumulate(entry.clone());
    }
    sum
}

//! Linear algebra on nalgebra's fixed-size vectors and matrices (`SMatrix`, hence `Vector3`,
//! `Matrix3`, `SVector`, ...): `+ - *`, `/` by a scalar, unary `-`, `dot`, `cross`, `norm`,
//! `norm_squared`, `normalize`, `transpose`, and building vectors with `new`.
//!
//! The macro calls these (instead of the scalar rules) when an operand is a nalgebra value.
//! Products dispatch on the operand types through [`MulRule`]: scalar × matrix, matrix ×
//! scalar and matrix × matrix (matrix × vector included). All operands are read.

use nalgebra::{RealField, SMatrix, SVector, Vector3};
use std::ops::{Add, Neg, Sub};

/// The derivatives of `a * b` for the operand types `A = Self`, `B`.
pub trait MulRule<B>: Sized {
    /// The type of `a * b`.
    type Out;
    /// `∂(a b)` along `da`: `da · b`.
    fn tangent_lhs(da: &Self, b: &B) -> Self::Out;
    /// `∂(a b)` along `db`: `a · db`.
    fn tangent_rhs(a: &Self, db: &B) -> Self::Out;
    /// The adjoint contribution to `a` of `g = ȳ`.
    fn adjoint_lhs(b: &B, g: &Self::Out) -> Self;
    /// The adjoint contribution to `b` of `g = ȳ`.
    fn adjoint_rhs(a: &Self, g: &Self::Out) -> B;
}

/// scalar × matrix: `∂/∂a = ⟨b, g⟩`, `∂/∂b = a g`.
impl<T: crate::Real + RealField, const R: usize, const C: usize> MulRule<SMatrix<T, R, C>> for T {
    type Out = SMatrix<T, R, C>;
    fn tangent_lhs(da: &T, b: &SMatrix<T, R, C>) -> Self::Out {
        b * *da
    }
    fn tangent_rhs(a: &T, db: &SMatrix<T, R, C>) -> Self::Out {
        db * *a
    }
    fn adjoint_lhs(b: &SMatrix<T, R, C>, g: &Self::Out) -> T {
        b.dot(g)
    }
    fn adjoint_rhs(a: &T, g: &Self::Out) -> SMatrix<T, R, C> {
        g * *a
    }
}

/// matrix × scalar: `∂/∂a = b g`, `∂/∂b = ⟨a, g⟩`.
impl<T: crate::Real + RealField, const R: usize, const C: usize> MulRule<T> for SMatrix<T, R, C> {
    type Out = SMatrix<T, R, C>;
    fn tangent_lhs(da: &Self, b: &T) -> Self::Out {
        da * *b
    }
    fn tangent_rhs(a: &Self, db: &T) -> Self::Out {
        a * *db
    }
    fn adjoint_lhs(b: &T, g: &Self::Out) -> Self {
        g * *b
    }
    fn adjoint_rhs(a: &Self, g: &Self::Out) -> T {
        a.dot(g)
    }
}

/// matrix × matrix (and matrix × vector): `∂/∂a = g bᵀ`, `∂/∂b = aᵀ g`.
impl<T: crate::Real + RealField, const R: usize, const C: usize, const K: usize>
    MulRule<SMatrix<T, C, K>> for SMatrix<T, R, C>
{
    type Out = SMatrix<T, R, K>;
    fn tangent_lhs(da: &Self, b: &SMatrix<T, C, K>) -> Self::Out {
        da * b
    }
    fn tangent_rhs(a: &Self, db: &SMatrix<T, C, K>) -> Self::Out {
        a * db
    }
    fn adjoint_lhs(b: &SMatrix<T, C, K>, g: &Self::Out) -> Self {
        g * b.transpose()
    }
    fn adjoint_rhs(a: &Self, g: &Self::Out) -> SMatrix<T, C, K> {
        a.transpose() * g
    }
}

/// scalar × scalar, for products whose other operand is a matrix elsewhere in the code.
impl<T: crate::Real> MulRule<T> for T {
    type Out = T;
    fn tangent_lhs(da: &T, b: &T) -> T {
        *da * *b
    }
    fn tangent_rhs(a: &T, db: &T) -> T {
        *a * *db
    }
    fn adjoint_lhs(b: &T, g: &T) -> T {
        *b * *g
    }
    fn adjoint_rhs(a: &T, g: &T) -> T {
        *a * *g
    }
}

/// Tangent of `a * b` along `a`.
///
/// ```
/// use nalgebra::{Matrix2, Vector2};
/// let (m, v) = (Matrix2::new(1.0, 2.0, 3.0, 4.0), Vector2::new(1.0, -1.0));
/// let t = autodiff_runtime::rules::algebra::mul_jvp_0(&m, &v, &(m * v), &Matrix2::identity());
/// assert_eq!(t, v);
/// ```
pub fn mul_jvp_0<A: MulRule<B>, B>(_a: &A, b: &B, _y: &A::Out, da: &A) -> A::Out {
    A::tangent_lhs(da, b)
}

/// Tangent of `a * b` along `b`.
///
/// ```
/// use nalgebra::Vector2;
/// let v = Vector2::new(1.0, -1.0);
/// assert_eq!(autodiff_runtime::rules::algebra::mul_jvp_1(&2.0, &v, &(v * 2.0), &v), v * 2.0);
/// ```
pub fn mul_jvp_1<A: MulRule<B>, B>(a: &A, _b: &B, _y: &A::Out, db: &B) -> A::Out {
    A::tangent_rhs(a, db)
}

/// Adjoint of `a * b` for `a`.
///
/// ```
/// use nalgebra::Vector2;
/// let v = Vector2::new(1.0, -1.0);
/// // d(s v)/ds seen through g = (1, 1): ⟨v, g⟩ = 0
/// assert_eq!(autodiff_runtime::rules::algebra::mul_vjp_0(&2.0, &v, &(v * 2.0), &Vector2::new(1.0, 1.0)), 0.0);
/// ```
pub fn mul_vjp_0<A: MulRule<B>, B>(_a: &A, b: &B, _y: &A::Out, g: &A::Out) -> A {
    A::adjoint_lhs(b, g)
}

/// Adjoint of `a * b` for `b`.
///
/// ```
/// use nalgebra::{Matrix2, Vector2};
/// let m = Matrix2::new(1.0, 2.0, 3.0, 4.0);
/// let g = Vector2::new(1.0, 0.0);
/// let v = Vector2::new(0.5, 0.5);
/// assert_eq!(autodiff_runtime::rules::algebra::mul_vjp_1(&m, &v, &(m * v), &g), m.transpose() * g);
/// ```
pub fn mul_vjp_1<A: MulRule<B>, B>(a: &A, _b: &B, _y: &A::Out, g: &A::Out) -> B {
    A::adjoint_rhs(a, g)
}

macro_rules! linear {
    ($name:ident, $what:literal, $($neg:tt)?) => {
        #[doc = concat!("Rule of `", $what, "`: the tangent or adjoint passes through.")]
        ///
        /// ```
        /// use nalgebra::Vector2;
        /// let g = Vector2::new(1.0, 2.0);
        #[doc = concat!("let r = autodiff_runtime::rules::algebra::", stringify!($name), "(&g, &g, &g, &g);")]
        /// assert!(r == g || r == -g);
        /// ```
        pub fn $name<A, B, Y, G: Clone + Neg<Output = G>>(_a: &A, _b: &B, _y: &Y, g: &G) -> G {
            $($neg)? g.clone()
        }
    };
}

linear!(add_jvp_0, "a + b` along `a",);
linear!(add_jvp_1, "a + b` along `b",);
linear!(add_vjp_0, "a + b` for `a",);
linear!(add_vjp_1, "a + b` for `b",);
linear!(sub_jvp_0, "a - b` along `a",);
linear!(sub_vjp_0, "a - b` for `a",);
linear!(sub_jvp_1, "a - b` along `b`, negated", -);
linear!(sub_vjp_1, "a - b` for `b`, negated", -);

/// Tangent of `-a`.
///
/// ```
/// use nalgebra::Vector2;
/// let d = Vector2::new(1.0, 2.0);
/// assert_eq!(autodiff_runtime::rules::algebra::neg_jvp(&d, &d, &d), -d);
/// ```
pub fn neg_jvp<A, Y, D: Clone + Neg<Output = D>>(_a: &A, _y: &Y, d: &D) -> D {
    -d.clone()
}

/// Adjoint of `-a`.
///
/// ```
/// use nalgebra::Vector2;
/// let g = Vector2::new(1.0, 2.0);
/// assert_eq!(autodiff_runtime::rules::algebra::neg_vjp(&g, &g, &g), -g);
/// ```
pub fn neg_vjp<A, Y, G: Clone + Neg<Output = G>>(_a: &A, _y: &Y, g: &G) -> G {
    -g.clone()
}

/// Linear-algebra operations whose results and rules differ by element type: implemented for
/// nalgebra matrices of `f32` and `f64`.
pub trait AlgebraRules:
    Sized + Clone + Add<Output = Self> + Sub<Output = Self> + Neg<Output = Self>
{
    /// The element type.
    type Scalar: crate::Real;
    /// `⟨a, b⟩`.
    fn inner(a: &Self, b: &Self) -> Self::Scalar;
    /// `a · s`.
    fn scaled(a: &Self, s: Self::Scalar) -> Self;
    /// `√⟨a, a⟩`.
    fn length(a: &Self) -> Self::Scalar;
}

impl<T: crate::Real + RealField, const R: usize, const C: usize> AlgebraRules for SMatrix<T, R, C> {
    type Scalar = T;
    fn inner(a: &Self, b: &Self) -> T {
        a.dot(b)
    }
    fn scaled(a: &Self, s: T) -> Self {
        a * s
    }
    fn length(a: &Self) -> T {
        a.norm()
    }
}

macro_rules! impl_scalar_algebra_rules {
    ($($t:ty),*) => {$(
        /// A float as a one-element vector: for arithmetic on a value the macro could not tell
        /// from an nalgebra one (a call's result bound without a type), which takes these rules.
        impl AlgebraRules for $t {
            type Scalar = $t;
            fn inner(a: &Self, b: &Self) -> $t { a * b }
            fn scaled(a: &Self, s: $t) -> Self { a * s }
            fn length(a: &Self) -> $t { a.abs() }
        }
    )*};
}
impl_scalar_algebra_rules!(f32, f64);

/// Tangent of `a / s` (a matrix by a scalar) along `a`: `da / s`.
///
/// ```
/// use nalgebra::Vector2;
/// let v = Vector2::new(2.0, 4.0);
/// assert_eq!(autodiff_runtime::rules::algebra::div_jvp_0(&v, &2.0, &(v / 2.0), &v), v / 2.0);
/// ```
pub fn div_jvp_0<A: AlgebraRules>(_a: &A, s: &A::Scalar, _y: &A, da: &A) -> A {
    A::scaled(da, <A::Scalar as crate::Real>::ONE / *s)
}

/// Tangent of `a / s` along `s`: `-y ds / s`.
///
/// ```
/// use nalgebra::Vector2;
/// let v = Vector2::new(2.0, 4.0);
/// assert_eq!(autodiff_runtime::rules::algebra::div_jvp_1(&v, &2.0, &(v / 2.0), &1.0), -v / 4.0);
/// ```
pub fn div_jvp_1<A: AlgebraRules>(_a: &A, s: &A::Scalar, y: &A, ds: &A::Scalar) -> A {
    A::scaled(y, -*ds / *s)
}

/// Adjoint of `a / s` for `a`: `g / s`.
///
/// ```
/// use nalgebra::Vector2;
/// let g = Vector2::new(2.0, 4.0);
/// assert_eq!(autodiff_runtime::rules::algebra::div_vjp_0(&g, &2.0, &g, &g), g / 2.0);
/// ```
pub fn div_vjp_0<A: AlgebraRules>(_a: &A, s: &A::Scalar, _y: &A, g: &A) -> A {
    A::scaled(g, <A::Scalar as crate::Real>::ONE / *s)
}

/// Adjoint of `a / s` for `s`: `-⟨y, g⟩ / s`.
///
/// ```
/// use nalgebra::Vector2;
/// let (v, g) = (Vector2::new(2.0, 4.0), Vector2::new(1.0, 0.0));
/// assert_eq!(autodiff_runtime::rules::algebra::div_vjp_1(&v, &2.0, &(v / 2.0), &g), -0.5);
/// ```
pub fn div_vjp_1<A: AlgebraRules>(_a: &A, s: &A::Scalar, y: &A, g: &A) -> A::Scalar {
    -A::inner(y, g) / *s
}

/// Tangent of `a.dot(&b)` along `a`: `⟨da, b⟩`.
///
/// ```
/// use nalgebra::Vector2;
/// let (a, b) = (Vector2::new(1.0, 2.0), Vector2::new(3.0, 4.0));
/// assert_eq!(autodiff_runtime::rules::algebra::dot_jvp_0(&a, &b, &11.0, &a), 11.0);
/// ```
pub fn dot_jvp_0<A: AlgebraRules>(_a: &A, b: &A, _y: &A::Scalar, da: &A) -> A::Scalar {
    A::inner(da, b)
}

/// Tangent of `a.dot(&b)` along `b`: `⟨a, db⟩`.
///
/// ```
/// use nalgebra::Vector2;
/// let (a, b) = (Vector2::new(1.0, 2.0), Vector2::new(3.0, 4.0));
/// assert_eq!(autodiff_runtime::rules::algebra::dot_jvp_1(&a, &b, &11.0, &b), 11.0);
/// ```
pub fn dot_jvp_1<A: AlgebraRules>(a: &A, _b: &A, _y: &A::Scalar, db: &A) -> A::Scalar {
    A::inner(a, db)
}

/// Adjoint of `a.dot(&b)` for `a`: `g b`.
///
/// ```
/// use nalgebra::Vector2;
/// let (a, b) = (Vector2::new(1.0, 2.0), Vector2::new(3.0, 4.0));
/// assert_eq!(autodiff_runtime::rules::algebra::dot_vjp_0(&a, &b, &11.0, &2.0), b * 2.0);
/// ```
pub fn dot_vjp_0<A: AlgebraRules>(_a: &A, b: &A, _y: &A::Scalar, g: &A::Scalar) -> A {
    A::scaled(b, *g)
}

/// Adjoint of `a.dot(&b)` for `b`: `g a`.
///
/// ```
/// use nalgebra::Vector2;
/// let (a, b) = (Vector2::new(1.0, 2.0), Vector2::new(3.0, 4.0));
/// assert_eq!(autodiff_runtime::rules::algebra::dot_vjp_1(&a, &b, &11.0, &2.0), a * 2.0);
/// ```
pub fn dot_vjp_1<A: AlgebraRules>(a: &A, _b: &A, _y: &A::Scalar, g: &A::Scalar) -> A {
    A::scaled(a, *g)
}

/// Tangent of `a.norm_squared()`: `2 ⟨a, da⟩`.
///
/// ```
/// use nalgebra::Vector2;
/// let a = Vector2::new(1.0, 2.0);
/// assert_eq!(autodiff_runtime::rules::algebra::norm_squared_jvp(&a, &5.0, &a), 10.0);
/// ```
pub fn norm_squared_jvp<A: AlgebraRules>(a: &A, _y: &A::Scalar, da: &A) -> A::Scalar {
    let two = <A::Scalar as crate::Real>::from_f64(2.0);
    two * A::inner(a, da)
}

/// Adjoint of `a.norm_squared()`: `2 g a`.
///
/// ```
/// use nalgebra::Vector2;
/// let a = Vector2::new(1.0, 2.0);
/// assert_eq!(autodiff_runtime::rules::algebra::norm_squared_vjp(&a, &5.0, &1.0), a * 2.0);
/// ```
pub fn norm_squared_vjp<A: AlgebraRules>(a: &A, _y: &A::Scalar, g: &A::Scalar) -> A {
    let two = <A::Scalar as crate::Real>::from_f64(2.0);
    A::scaled(a, two * *g)
}

/// Tangent of `a.norm()`: `⟨a, da⟩ / |a|` (0 at `a = 0`, as PyTorch's subgradient).
///
/// ```
/// use nalgebra::Vector2;
/// let a = Vector2::new(3.0, 4.0);
/// assert_eq!(autodiff_runtime::rules::algebra::norm_jvp(&a, &5.0, &a), 5.0);
/// ```
pub fn norm_jvp<A: AlgebraRules>(a: &A, y: &A::Scalar, da: &A) -> A::Scalar {
    if *y == <A::Scalar as crate::Real>::ZERO { *y } else { A::inner(a, da) / *y }
}

/// Adjoint of `a.norm()`: `g a / |a|` (0 at `a = 0`).
///
/// ```
/// use nalgebra::Vector2;
/// let a = Vector2::new(3.0, 4.0);
/// assert_eq!(autodiff_runtime::rules::algebra::norm_vjp(&a, &5.0, &5.0), a);
/// ```
pub fn norm_vjp<A: AlgebraRules>(a: &A, y: &A::Scalar, g: &A::Scalar) -> A {
    if *y == <A::Scalar as crate::Real>::ZERO { A::scaled(a, *y) } else { A::scaled(a, *g / *y) }
}

/// Tangent of `a.normalize()` (`u = a / |a|`): `(da - u ⟨u, da⟩) / |a|`.
///
/// ```
/// use nalgebra::Vector2;
/// let a = Vector2::new(3.0, 0.0);
/// let t = autodiff_runtime::rules::algebra::normalize_jvp(&a, &a.normalize(), &Vector2::new(0.0, 3.0));
/// assert_eq!(t, Vector2::new(0.0, 1.0));
/// ```
pub fn normalize_jvp<A: AlgebraRules>(a: &A, u: &A, da: &A) -> A {
    let n = A::length(a);
    A::scaled(&(da.clone() - A::scaled(u, A::inner(u, da))), <A::Scalar as crate::Real>::ONE / n)
}

/// Adjoint of `a.normalize()`: `(g - u ⟨u, g⟩) / |a|`.
///
/// ```
/// use nalgebra::Vector2;
/// let a = Vector2::new(3.0, 0.0);
/// let g = autodiff_runtime::rules::algebra::normalize_vjp(&a, &a.normalize(), &Vector2::new(1.0, 1.0));
/// assert_eq!(g, Vector2::new(0.0, 1.0 / 3.0));
/// ```
pub fn normalize_vjp<A: AlgebraRules>(a: &A, u: &A, g: &A) -> A {
    normalize_jvp(a, u, g)
}

/// Tangent of `a.cross(&b)` along `a`: `da × b`.
///
/// ```
/// use nalgebra::Vector3;
/// let (x, y) = (Vector3::<f64>::x(), Vector3::<f64>::y());
/// assert_eq!(autodiff_runtime::rules::algebra::cross_jvp_0(&x, &y, &x.cross(&y), &x), Vector3::z());
/// ```
pub fn cross_jvp_0<T: crate::Real + nalgebra::RealField>(
    _a: &Vector3<T>,
    b: &Vector3<T>,
    _y: &Vector3<T>,
    da: &Vector3<T>,
) -> Vector3<T> {
    da.cross(b)
}

/// Tangent of `a.cross(&b)` along `b`: `a × db`.
///
/// ```
/// use nalgebra::Vector3;
/// let (x, y) = (Vector3::<f64>::x(), Vector3::<f64>::y());
/// assert_eq!(autodiff_runtime::rules::algebra::cross_jvp_1(&x, &y, &x.cross(&y), &y), Vector3::z());
/// ```
pub fn cross_jvp_1<T: crate::Real + nalgebra::RealField>(
    a: &Vector3<T>,
    _b: &Vector3<T>,
    _y: &Vector3<T>,
    db: &Vector3<T>,
) -> Vector3<T> {
    a.cross(db)
}

/// Adjoint of `a.cross(&b)` for `a`: `b × g`.
///
/// ```
/// use nalgebra::Vector3;
/// let (x, y) = (Vector3::<f64>::x(), Vector3::<f64>::y());
/// assert_eq!(autodiff_runtime::rules::algebra::cross_vjp_0(&x, &y, &Vector3::z(), &Vector3::z()), Vector3::x());
/// ```
pub fn cross_vjp_0<T: crate::Real + nalgebra::RealField>(
    _a: &Vector3<T>,
    b: &Vector3<T>,
    _y: &Vector3<T>,
    g: &Vector3<T>,
) -> Vector3<T> {
    b.cross(g)
}

/// Adjoint of `a.cross(&b)` for `b`: `g × a`.
///
/// ```
/// use nalgebra::Vector3;
/// let (x, y) = (Vector3::<f64>::x(), Vector3::<f64>::y());
/// assert_eq!(autodiff_runtime::rules::algebra::cross_vjp_1(&x, &y, &Vector3::z(), &Vector3::z()), Vector3::y());
/// ```
pub fn cross_vjp_1<T: crate::Real + nalgebra::RealField>(
    a: &Vector3<T>,
    _b: &Vector3<T>,
    _y: &Vector3<T>,
    g: &Vector3<T>,
) -> Vector3<T> {
    g.cross(a)
}

/// Tangent of `a.transpose()`: `daᵀ`.
///
/// ```
/// use nalgebra::Matrix2x3;
/// let m = Matrix2x3::new(1.0, 2.0, 3.0, 4.0, 5.0, 6.0);
/// assert_eq!(autodiff_runtime::rules::algebra::transpose_jvp(&m, &m.transpose(), &m), m.transpose());
/// ```
pub fn transpose_jvp<T: crate::Real + nalgebra::Scalar, const R: usize, const C: usize>(
    _a: &SMatrix<T, R, C>,
    _y: &SMatrix<T, C, R>,
    da: &SMatrix<T, R, C>,
) -> SMatrix<T, C, R> {
    da.transpose()
}

/// Adjoint of `a.transpose()`: `gᵀ`.
///
/// ```
/// use nalgebra::Matrix2x3;
/// let m = Matrix2x3::new(1.0, 2.0, 3.0, 4.0, 5.0, 6.0);
/// assert_eq!(autodiff_runtime::rules::algebra::transpose_vjp(&m, &m.transpose(), &m.transpose()), m);
/// ```
pub fn transpose_vjp<T: crate::Real + nalgebra::Scalar, const R: usize, const C: usize>(
    _a: &SMatrix<T, R, C>,
    _y: &SMatrix<T, C, R>,
    g: &SMatrix<T, C, R>,
) -> SMatrix<T, R, C> {
    g.transpose()
}

/// A vector built from its components (`Vector3::new(a, b, c)`): the tangent is the vector of
/// the components' tangents.
///
/// ```
/// use nalgebra::Vector2;
/// let v: Vector2<f64> = autodiff_runtime::rules::algebra::vector_from([1.0, 2.0]);
/// assert_eq!(v, Vector2::new(1.0, 2.0));
/// ```
pub fn vector_from<T: nalgebra::Scalar, const N: usize>(components: [T; N]) -> SVector<T, N> {
    SVector::from(components)
}

/// Tangent of `a.trace()` of a square matrix: `trace(ȧ)`.
///
/// ```
/// use nalgebra::Matrix2;
/// let (m, dm) = (Matrix2::new(1.0, 2.0, 3.0, 4.0), Matrix2::new(0.5, 9.0, 9.0, 0.25));
/// assert_eq!(autodiff_runtime::rules::algebra::trace_jvp(&m, &5.0, &dm), 0.75);
/// ```
pub fn trace_jvp<T: crate::Real + nalgebra::Scalar, const N: usize>(
    _a: &SMatrix<T, N, N>,
    _y: &T,
    da: &SMatrix<T, N, N>,
) -> T {
    (0..N).fold(T::ZERO, |s, i| s + da[(i, i)])
}

/// Adjoint of `a.trace()`: `ȳ · I`.
///
/// ```
/// use nalgebra::Matrix2;
/// let m = Matrix2::new(1.0, 2.0, 3.0, 4.0);
/// assert_eq!(autodiff_runtime::rules::algebra::trace_vjp(&m, &5.0, &2.0), Matrix2::new(2.0, 0.0, 0.0, 2.0));
/// ```
pub fn trace_vjp<T: crate::Real + nalgebra::Scalar, const N: usize>(
    _a: &SMatrix<T, N, N>,
    _y: &T,
    g: &T,
) -> SMatrix<T, N, N> {
    SMatrix::from_fn(|i, j| if i == j { *g } else { T::ZERO })
}

/// Tangent of `a.component_mul(&b)` for `a`: `ȧ ∘ b` (elementwise).
///
/// ```
/// use nalgebra::Vector2;
/// use autodiff_runtime::rules::algebra::component_mul_jvp_0;
/// let (a, b) = (Vector2::new(1.0, 2.0), Vector2::new(3.0, 4.0));
/// assert_eq!(component_mul_jvp_0(&a, &b, &a.component_mul(&b), &Vector2::new(1.0, 0.0)), Vector2::new(3.0, 0.0));
/// ```
pub fn component_mul_jvp_0<T: crate::Real + nalgebra::Scalar, const R: usize, const C: usize>(
    _a: &SMatrix<T, R, C>,
    b: &SMatrix<T, R, C>,
    _y: &SMatrix<T, R, C>,
    da: &SMatrix<T, R, C>,
) -> SMatrix<T, R, C> {
    SMatrix::from_fn(|i, j| da[(i, j)] * b[(i, j)])
}

/// Tangent of `a.component_mul(&b)` for `b`: `a ∘ ḃ`.
///
/// ```
/// use nalgebra::Vector2;
/// use autodiff_runtime::rules::algebra::component_mul_jvp_1;
/// let (a, b) = (Vector2::new(1.0, 2.0), Vector2::new(3.0, 4.0));
/// assert_eq!(component_mul_jvp_1(&a, &b, &a.component_mul(&b), &Vector2::new(0.0, 1.0)), Vector2::new(0.0, 2.0));
/// ```
pub fn component_mul_jvp_1<T: crate::Real + nalgebra::Scalar, const R: usize, const C: usize>(
    a: &SMatrix<T, R, C>,
    _b: &SMatrix<T, R, C>,
    _y: &SMatrix<T, R, C>,
    db: &SMatrix<T, R, C>,
) -> SMatrix<T, R, C> {
    SMatrix::from_fn(|i, j| a[(i, j)] * db[(i, j)])
}

/// Adjoint of `a.component_mul(&b)` for `a`: `ḡ ∘ b`.
///
/// ```
/// use nalgebra::Vector2;
/// use autodiff_runtime::rules::algebra::component_mul_vjp_0;
/// let (a, b) = (Vector2::new(1.0, 2.0), Vector2::new(3.0, 4.0));
/// assert_eq!(component_mul_vjp_0(&a, &b, &a.component_mul(&b), &Vector2::new(1.0, 1.0)), b);
/// ```
pub fn component_mul_vjp_0<T: crate::Real + nalgebra::Scalar, const R: usize, const C: usize>(
    _a: &SMatrix<T, R, C>,
    b: &SMatrix<T, R, C>,
    _y: &SMatrix<T, R, C>,
    g: &SMatrix<T, R, C>,
) -> SMatrix<T, R, C> {
    SMatrix::from_fn(|i, j| g[(i, j)] * b[(i, j)])
}

/// Adjoint of `a.component_mul(&b)` for `b`: `a ∘ ḡ`.
///
/// ```
/// use nalgebra::Vector2;
/// use autodiff_runtime::rules::algebra::component_mul_vjp_1;
/// let (a, b) = (Vector2::new(1.0, 2.0), Vector2::new(3.0, 4.0));
/// assert_eq!(component_mul_vjp_1(&a, &b, &a.component_mul(&b), &Vector2::new(1.0, 1.0)), a);
/// ```
pub fn component_mul_vjp_1<T: crate::Real + nalgebra::Scalar, const R: usize, const C: usize>(
    a: &SMatrix<T, R, C>,
    _b: &SMatrix<T, R, C>,
    _y: &SMatrix<T, R, C>,
    g: &SMatrix<T, R, C>,
) -> SMatrix<T, R, C> {
    SMatrix::from_fn(|i, j| a[(i, j)] * g[(i, j)])
}

/// The cofactor matrix of `a`: `C_ij = (-1)^(i+j) det(a without row i and column j)`, which is
/// `det(a) · a⁻ᵀ` where `a` is invertible, and defined where it is not. The tangent of
/// `determinant` is `C · ȧ` (summed), so second derivatives of `determinant` differentiate this.
///
/// ```
/// use nalgebra::Matrix2;
/// let c = autodiff_runtime::rules::algebra::cofactors(Matrix2::new(1.0, 2.0, 3.0, 4.0));
/// assert_eq!(c, Matrix2::new(4.0, -3.0, -2.0, 1.0));
/// ```
pub fn cofactors<T: crate::Real + nalgebra::RealField, const N: usize>(
    a: SMatrix<T, N, N>,
) -> SMatrix<T, N, N> {
    SMatrix::from_fn(|i, j| signed(i + j, minor_det(&a, &[i], &[j])))
}

/// `v` for an even `parity`, `-v` for an odd one.
fn signed<T: crate::Real + nalgebra::RealField>(parity: usize, v: T) -> T {
    if parity.is_multiple_of(2) { v } else { -v }
}

/// The determinant of `a` without the given rows and columns (distinct, as many of each); 1
/// for nothing left.
fn minor_det<T: crate::Real + nalgebra::RealField, const N: usize>(
    a: &SMatrix<T, N, N>,
    rows: &[usize],
    cols: &[usize],
) -> T {
    let n = N - rows.len();
    if n == 0 {
        return T::one();
    }
    let kept = |skip: &[usize]| (0..N).filter(|r| !skip.contains(r)).collect::<Vec<_>>();
    let (kr, kc) = (kept(rows), kept(cols));
    nalgebra::DMatrix::from_fn(n, n, |r, c| a[(kr[r], kc[c])]).determinant()
}

/// `∂C_ij / ∂a_kl`: zero in row `i` or column `j` of `a` (the minor leaves them out); otherwise
/// the cofactor of the minor at `a_kl`'s place in it.
fn cofactor_partial<T: crate::Real + nalgebra::RealField, const N: usize>(
    a: &SMatrix<T, N, N>,
    (i, j): (usize, usize),
    (k, l): (usize, usize),
) -> T {
    if k == i || l == j {
        return T::zero();
    }
    // the place of a_kl in the minor without row i and column j
    let (kk, ll) = (k - usize::from(k > i), l - usize::from(l > j));
    signed(i + j + kk + ll, minor_det(a, &[i, k], &[j, l]))
}

/// Tangent of [`cofactors`]: `Ċ_ij = Σ_kl ∂C_ij/∂a_kl · ȧ_kl`.
///
/// ```
/// use nalgebra::Matrix2;
/// let (a, da) = (Matrix2::new(1.0, 2.0, 3.0, 4.0), Matrix2::new(1.0, 0.0, 0.0, 0.0));
/// let y = autodiff_runtime::rules::algebra::cofactors(a);
/// // C = [[d, -c], [-b, a]]: only C_11 moves with a_00
/// let dc = autodiff_runtime::rules::algebra::cofactors_jvp(&a, &y, &da);
/// assert_eq!(dc, Matrix2::new(0.0, 0.0, 0.0, 1.0));
/// ```
pub fn cofactors_jvp<T: crate::Real + nalgebra::RealField, const N: usize>(
    a: &SMatrix<T, N, N>,
    _y: &SMatrix<T, N, N>,
    da: &SMatrix<T, N, N>,
) -> SMatrix<T, N, N> {
    SMatrix::from_fn(|i, j| {
        let mut d = T::zero();
        for k in 0..N {
            for l in 0..N {
                d += cofactor_partial(a, (i, j), (k, l)) * da[(k, l)];
            }
        }
        d
    })
}

/// Adjoint of [`cofactors`]: `ā_kl = Σ_ij ḡ_ij ∂C_ij/∂a_kl`.
///
/// ```
/// use nalgebra::Matrix2;
/// let a = Matrix2::new(1.0, 2.0, 3.0, 4.0);
/// let y = autodiff_runtime::rules::algebra::cofactors(a);
/// let g = autodiff_runtime::rules::algebra::cofactors_vjp(&a, &y, &Matrix2::new(0.0, 0.0, 0.0, 1.0));
/// assert_eq!(g, Matrix2::new(1.0, 0.0, 0.0, 0.0));
/// ```
pub fn cofactors_vjp<T: crate::Real + nalgebra::RealField, const N: usize>(
    a: &SMatrix<T, N, N>,
    _y: &SMatrix<T, N, N>,
    g: &SMatrix<T, N, N>,
) -> SMatrix<T, N, N> {
    SMatrix::from_fn(|k, l| {
        let mut d = T::zero();
        for i in 0..N {
            for j in 0..N {
                d += g[(i, j)] * cofactor_partial(a, (i, j), (k, l));
            }
        }
        d
    })
}

/// Tangent of `a.determinant()`: `tr(adj(a) · ȧ)`, the cofactors weighing `ȧ`'s entries.
///
/// ```
/// use nalgebra::Matrix2;
/// let (m, dm) = (Matrix2::new(1.0, 2.0, 3.0, 4.0), Matrix2::new(1.0, 0.0, 0.0, 0.0));
/// assert_eq!(autodiff_runtime::rules::algebra::determinant_jvp(&m, &m.determinant(), &dm), 4.0);
/// ```
pub fn determinant_jvp<T: crate::Real + nalgebra::RealField, const N: usize>(
    a: &SMatrix<T, N, N>,
    _y: &T,
    da: &SMatrix<T, N, N>,
) -> T {
    cofactors(*a).component_mul(da).sum()
}

/// Adjoint of `a.determinant()`: `ȳ` times the cofactor matrix (`ȳ · det(a) · a⁻ᵀ`).
///
/// ```
/// use nalgebra::Matrix2;
/// let m = Matrix2::new(1.0, 2.0, 3.0, 4.0);
/// let g = autodiff_runtime::rules::algebra::determinant_vjp(&m, &m.determinant(), &1.0);
/// assert_eq!(g, Matrix2::new(4.0, -3.0, -2.0, 1.0));
/// ```
pub fn determinant_vjp<T: crate::Real + nalgebra::RealField, const N: usize>(
    a: &SMatrix<T, N, N>,
    _y: &T,
    g: &T,
) -> SMatrix<T, N, N> {
    cofactors(*a) * *g
}

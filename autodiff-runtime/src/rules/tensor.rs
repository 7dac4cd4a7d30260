//! Tensors: the rules of `+ - * /` (with NumPy broadcasting: an operand's adjoint is the
//! result's adjoint summed back to the operand's shape), unary functions, reductions (`sum`,
//! `mean`, `sum_dim`, `max_dim`), `narrow` and `select`, `matmul`,
//! `t` and `reshape` (and, in `activations.rs`, `softmax`, `log_softmax`, `clamp`, `transpose`,
//! `unsqueeze`, `squeeze`). Operands may be tensors (owned or borrowed) or `f64`/`f32` scalars mixed
//! with tensors; the macro calls these when an operand is a tensor. All operands are read.

use crate::Tensor;

mod activations;
pub use activations::*;

/// An operand of a tensor operation: a tensor, a reference to one, or a scalar.
pub trait TensorOperand {
    /// The type of its tangent and adjoint: `Tensor` for tensors, the scalar for scalars.
    type Adjoint;
    /// The operand as a tensor (a scalar as a zero-dimensional one).
    fn to_tensor(&self) -> Tensor;
    /// The adjoint contribution of a (broadcast) adjoint `g` of the result: summed back to
    /// this operand's shape and dtype.
    fn reduce(&self, g: Tensor) -> Self::Adjoint;
}

impl TensorOperand for Tensor {
    type Adjoint = Tensor;
    fn to_tensor(&self) -> Tensor {
        self.clone()
    }
    fn reduce(&self, g: Tensor) -> Tensor {
        g.to_device_of(self).sum_to(self.shape()).to_dtype(self.dtype())
    }
}

impl<T: TensorOperand> TensorOperand for &T {
    type Adjoint = T::Adjoint;
    fn to_tensor(&self) -> Tensor {
        (**self).to_tensor()
    }
    fn reduce(&self, g: Tensor) -> T::Adjoint {
        (**self).reduce(g)
    }
}

macro_rules! scalar_operand {
    ($($t:ty),*) => {$(
        impl TensorOperand for $t {
            type Adjoint = $t;
            fn to_tensor(&self) -> Tensor {
                Tensor::scalar(*self)
            }
            fn reduce(&self, g: Tensor) -> $t {
                g.sum().item::<$t>()
            }
        }
    )*};
}
scalar_operand!(f32, f64);

/// A tangent of the result `y`, broadcast to `y`'s shape.
fn expand(y: &Tensor, t: Tensor) -> Tensor {
    t.to_device_of(y).broadcast_to(y.shape())
}

macro_rules! binary_rules {
    ($(
        $(#[$doc:meta])*
        $jvp0:ident, $jvp1:ident, $vjp0:ident, $vjp1:ident:
        |$a:ident, $b:ident, $y:ident, $g:ident| lhs = $lhs:expr, rhs = $rhs:expr;
    )*) => {$(
        $(#[$doc])*
        pub fn $jvp0<A: TensorOperand, B: TensorOperand, D: TensorOperand>(a: &A, b: &B, y: &Tensor, d: &D) -> Tensor {
            let ($a, $b, $y, $g) = (a.to_tensor(), b.to_tensor(), y.clone(), d.to_tensor());
            let _ = (&$a, &$b, &$y);
            expand(&$y, $lhs)
        }
        $(#[$doc])*
        pub fn $jvp1<A: TensorOperand, B: TensorOperand, D: TensorOperand>(a: &A, b: &B, y: &Tensor, d: &D) -> Tensor {
            let ($a, $b, $y, $g) = (a.to_tensor(), b.to_tensor(), y.clone(), d.to_tensor());
            let _ = (&$a, &$b, &$y);
            expand(&$y, $rhs)
        }
        $(#[$doc])*
        pub fn $vjp0<A: TensorOperand, B: TensorOperand>(a: &A, b: &B, y: &Tensor, g: &Tensor) -> A::Adjoint {
            let ($a, $b, $y, $g) = (a.to_tensor(), b.to_tensor(), y.clone(), g.clone());
            let _ = (&$a, &$b, &$y);
            a.reduce($lhs)
        }
        $(#[$doc])*
        pub fn $vjp1<A: TensorOperand, B: TensorOperand>(a: &A, b: &B, y: &Tensor, g: &Tensor) -> B::Adjoint {
            let ($a, $b, $y, $g) = (a.to_tensor(), b.to_tensor(), y.clone(), g.clone());
            let _ = (&$a, &$b, &$y);
            b.reduce($rhs)
        }
    )*};
}

binary_rules! {
    /// Rule of `a + b` (broadcasting): `∂/∂a = ∂/∂b = 1`, each summed back to its shape.
    ///
    /// ```
    /// use autodiff_runtime::{rules::tensor::add_vjp_0, Tensor};
    /// let (a, b) = (Tensor::ones(&[3]), Tensor::ones(&[2, 3]));
    /// let g = add_vjp_0(&a, &b, &(&a + &b), &Tensor::ones(&[2, 3]));
    /// assert_eq!(g.to_vec::<f32>(), [2.0, 2.0, 2.0]);
    /// ```
    add_jvp_0, add_jvp_1, add_vjp_0, add_vjp_1: |a, b, y, g| lhs = g.clone(), rhs = g.clone();
    /// Rule of `a - b` (broadcasting): `∂/∂a = 1`, `∂/∂b = -1`.
    ///
    /// ```
    /// use autodiff_runtime::{rules::tensor::sub_vjp_1, Tensor};
    /// let (a, b) = (Tensor::ones(&[2]), 3.0);
    /// assert_eq!(sub_vjp_1(&a, &b, &(&a - b), &Tensor::ones(&[2])), -2.0);
    /// ```
    sub_jvp_0, sub_jvp_1, sub_vjp_0, sub_vjp_1: |a, b, y, g| lhs = g.clone(), rhs = -&g;
    /// Rule of `a * b` elementwise (broadcasting): `∂/∂a = b`, `∂/∂b = a`.
    ///
    /// ```
    /// use autodiff_runtime::{rules::tensor::mul_vjp_1, Tensor};
    /// let (a, b) = (Tensor::full(&[2], 3.0f32), 2.0);
    /// assert_eq!(mul_vjp_1(&a, &b, &(&a * b), &Tensor::ones(&[2])), 6.0);
    /// ```
    mul_jvp_0, mul_jvp_1, mul_vjp_0, mul_vjp_1: |a, b, y, g| lhs = &g * &b, rhs = &g * &a;
    /// Rule of `a / b` elementwise (broadcasting): `∂/∂a = 1/b`, `∂/∂b = -y/b`.
    ///
    /// ```
    /// use autodiff_runtime::{rules::tensor::div_vjp_0, Tensor};
    /// let (a, b) = (Tensor::ones(&[2]), Tensor::full(&[2], 4.0f32));
    /// assert_eq!(div_vjp_0(&a, &b, &(&a / &b), &Tensor::ones(&[2])).to_vec::<f32>(), [0.25, 0.25]);
    /// ```
    div_jvp_0, div_jvp_1, div_vjp_0, div_vjp_1: |a, b, y, g| lhs = &g / &b, rhs = -&(&(&g * &y) / &b);
}

/// Tangent of `-x`.
///
/// ```
/// use autodiff_runtime::{rules::tensor::neg_jvp, Tensor};
/// let x = Tensor::ones(&[1]);
/// assert_eq!(neg_jvp(&x, &-&x, &x).item::<f32>(), -1.0);
/// ```
pub fn neg_jvp<X: TensorOperand, D: TensorOperand>(_x: &X, _y: &Tensor, d: &D) -> Tensor {
    -&d.to_tensor()
}

/// Adjoint of `-x`.
///
/// ```
/// use autodiff_runtime::{rules::tensor::neg_vjp, Tensor};
/// let x = Tensor::ones(&[1]);
/// assert_eq!(neg_vjp(&x, &-&x, &x).item::<f32>(), -1.0);
/// ```
pub fn neg_vjp<X: TensorOperand>(x: &X, _y: &Tensor, g: &Tensor) -> X::Adjoint {
    x.reduce(-g)
}

macro_rules! unary_rules {
    ($(
        $(#[$doc:meta])*
        $jvp:ident, $vjp:ident: |$x:ident, $y:ident| $d:expr;
    )*) => {$(
        $(#[$doc])*
        pub fn $jvp<X: TensorOperand, D: TensorOperand>(x: &X, y: &Tensor, d: &D) -> Tensor {
            let ($x, $y) = (x.to_tensor(), y.clone());
            let _ = (&$x, &$y);
            &d.to_tensor() * &$d
        }
        $(#[$doc])*
        pub fn $vjp<X: TensorOperand>(x: &X, y: &Tensor, g: &Tensor) -> X::Adjoint {
            let ($x, $y) = (x.to_tensor(), y.clone());
            let _ = (&$x, &$y);
            x.reduce(g * &$d)
        }
    )*};
}

unary_rules! {
    /// Rule of `x.relu()`: `∂ = 1 where x > 0, else 0` (0 at 0, as PyTorch).
    ///
    /// ```
    /// use autodiff_runtime::{rules::tensor::relu_vjp, Tensor};
    /// let x = Tensor::from_vec(vec![-1.0f32, 0.0, 2.0], &[3]);
    /// assert_eq!(relu_vjp(&x, &x.relu(), &Tensor::ones(&[3])).to_vec::<f32>(), [0.0, 0.0, 1.0]);
    /// ```
    relu_jvp, relu_vjp: |x, y| x.step();
    /// Rule of `x.sigmoid()`: `∂ = y (1 - y)`.
    ///
    /// ```
    /// use autodiff_runtime::{rules::tensor::sigmoid_vjp, Tensor};
    /// let x = Tensor::zeros(&[1]);
    /// assert_eq!(sigmoid_vjp(&x, &x.sigmoid(), &Tensor::ones(&[1])).item::<f32>(), 0.25);
    /// ```
    sigmoid_jvp, sigmoid_vjp: |x, y| &y * &(1.0 - &y);
    /// Rule of `x.tanh()`: `∂ = 1 - y²`.
    ///
    /// ```
    /// use autodiff_runtime::{rules::tensor::tanh_vjp, Tensor};
    /// let x = Tensor::zeros(&[1]);
    /// assert_eq!(tanh_vjp(&x, &x.tanh(), &Tensor::ones(&[1])).item::<f32>(), 1.0);
    /// ```
    tanh_jvp, tanh_vjp: |x, y| 1.0 - &(&y * &y);
    /// Rule of `x.exp()`: `∂ = y`.
    ///
    /// ```
    /// use autodiff_runtime::{rules::tensor::exp_vjp, Tensor};
    /// let x = Tensor::zeros(&[1]);
    /// assert_eq!(exp_vjp(&x, &x.exp(), &Tensor::ones(&[1])).item::<f32>(), 1.0);
    /// ```
    exp_jvp, exp_vjp: |x, y| y.clone();
    /// Rule of `x.ln()`: `∂ = 1/x`.
    ///
    /// ```
    /// use autodiff_runtime::{rules::tensor::ln_vjp, Tensor};
    /// let x = Tensor::full(&[1], 2.0f32);
    /// assert_eq!(ln_vjp(&x, &x.ln(), &Tensor::ones(&[1])).item::<f32>(), 0.5);
    /// ```
    ln_jvp, ln_vjp: |x, y| 1.0 / &x;
    /// Rule of `x.sin()`: `∂ = cos x`.
    ///
    /// ```
    /// use autodiff_runtime::{rules::tensor::sin_vjp, Tensor};
    /// let x = Tensor::zeros(&[1]);
    /// assert_eq!(sin_vjp(&x, &x.sin(), &Tensor::ones(&[1])).item::<f32>(), 1.0);
    /// ```
    sin_jvp, sin_vjp: |x, y| x.cos();
    /// Rule of `x.cos()`: `∂ = -sin x`.
    ///
    /// ```
    /// use autodiff_runtime::{rules::tensor::cos_vjp, Tensor};
    /// let x = Tensor::zeros(&[1]);
    /// assert_eq!(cos_vjp(&x, &x.cos(), &Tensor::ones(&[1])).item::<f32>(), 0.0);
    /// ```
    cos_jvp, cos_vjp: |x, y| -&x.sin();
    /// Rule of `x.sqrt()`: `∂ = 1 / (2y)`.
    ///
    /// ```
    /// use autodiff_runtime::{rules::tensor::sqrt_vjp, Tensor};
    /// let x = Tensor::full(&[1], 4.0f32);
    /// assert_eq!(sqrt_vjp(&x, &x.sqrt(), &Tensor::ones(&[1])).item::<f32>(), 0.25);
    /// ```
    sqrt_jvp, sqrt_vjp: |x, y| 0.5 / &y;
    /// Rule of `x.abs()`: `∂ = sign x` (0 at 0, as PyTorch).
    ///
    /// ```
    /// use autodiff_runtime::{rules::tensor::abs_vjp, Tensor};
    /// let x = Tensor::from_vec(vec![-2.0f32, 0.0, 3.0], &[3]);
    /// assert_eq!(abs_vjp(&x, &x.abs(), &Tensor::ones(&[3])).to_vec::<f32>(), [-1.0, 0.0, 1.0]);
    /// ```
    abs_jvp, abs_vjp: |x, y| x.sign();
}

/// Tangent of `x.powi(n)`: `n x^(n-1) dx`.
///
/// ```
/// use autodiff_runtime::{rules::tensor::powi_jvp, Tensor};
/// let x = Tensor::full(&[1], 3.0f32);
/// assert_eq!(powi_jvp(&x, &2, &x.powi(2), &Tensor::ones(&[1])).item::<f32>(), 6.0);
/// ```
pub fn powi_jvp<X: TensorOperand, D: TensorOperand>(x: &X, n: &i32, y: &Tensor, d: &D) -> Tensor {
    &d.to_tensor() * &powi_dx(&x.to_tensor(), *n, y)
}

/// `∂(xⁿ)/∂x = n xⁿ⁻¹`, 0 everywhere when `n = 0` (as the float rule: `0 · x⁻¹` at `x = 0`
/// would be NaN).
fn powi_dx(x: &Tensor, n: i32, y: &Tensor) -> Tensor {
    if n == 0 { y.full_like(y.shape(), 0.0) } else { &x.powi(n - 1) * f64::from(n) }
}

/// Adjoint of `x.powi(n)`: `n x^(n-1) g`.
///
/// ```
/// use autodiff_runtime::{rules::tensor::powi_vjp, Tensor};
/// let x = Tensor::full(&[1], 3.0f32);
/// assert_eq!(powi_vjp(&x, &2, &x.powi(2), &Tensor::ones(&[1])).item::<f32>(), 6.0);
/// ```
pub fn powi_vjp<X: TensorOperand>(x: &X, n: &i32, y: &Tensor, g: &Tensor) -> X::Adjoint {
    x.reduce(g * &powi_dx(&x.to_tensor(), *n, y))
}

/// Tangent of `x.powf(p)` in `x`: `p x^(p-1) dx` (0 where `p = 0`, as PyTorch).
///
/// ```
/// use autodiff_runtime::{rules::tensor::powf_jvp_0, Tensor};
/// let x = Tensor::full(&[1], 4.0f32);
/// assert_eq!(powf_jvp_0(&x, &0.5, &x.powf(0.5), &Tensor::ones(&[1])).item::<f32>(), 0.25);
/// ```
pub fn powf_jvp_0<X: TensorOperand, D: TensorOperand>(x: &X, p: &f64, y: &Tensor, d: &D) -> Tensor {
    &d.to_tensor() * &powf_dx(&x.to_tensor(), *p, y)
}

/// Adjoint of `x.powf(p)` in `x`: `p x^(p-1) g` (0 where `p = 0`, as PyTorch).
///
/// ```
/// use autodiff_runtime::{rules::tensor::powf_vjp_0, Tensor};
/// let x = Tensor::full(&[1], 4.0f32);
/// assert_eq!(powf_vjp_0(&x, &0.5, &x.powf(0.5), &Tensor::ones(&[1])).item::<f32>(), 0.25);
/// ```
pub fn powf_vjp_0<X: TensorOperand>(x: &X, p: &f64, y: &Tensor, g: &Tensor) -> X::Adjoint {
    x.reduce(g * &powf_dx(&x.to_tensor(), *p, y))
}

/// Tangent of `x.powf(p)` in the exponent: `y ln x dp` (0 where `x = 0` and `p ≥ 0`, as
/// PyTorch).
///
/// ```
/// use autodiff_runtime::{rules::tensor::powf_jvp_1, Tensor};
/// let x = Tensor::from_vec(vec![2.0f64, 0.0], &[2]);
/// let t = powf_jvp_1(&x, &3.0, &x.powf(3.0), &1.0);
/// assert_eq!(t.to_vec::<f64>(), [8.0 * 2f64.ln(), 0.0]);
/// ```
pub fn powf_jvp_1<X: TensorOperand>(x: &X, p: &f64, y: &Tensor, d: &f64) -> Tensor {
    &powf_dp(&x.to_tensor(), *p, y) * *d
}

/// Adjoint of `x.powf(p)` in the exponent: `Σ g y ln x` (0 where `x = 0` and `p ≥ 0`, as
/// PyTorch).
///
/// ```
/// use autodiff_runtime::{rules::tensor::powf_vjp_1, Tensor};
/// let x = Tensor::from_vec(vec![2.0f64, 0.0], &[2]);
/// assert_eq!(powf_vjp_1(&x, &3.0, &x.powf(3.0), &Tensor::ones(&[2])), 8.0 * 2f64.ln());
/// ```
pub fn powf_vjp_1<X: TensorOperand>(x: &X, p: &f64, y: &Tensor, g: &Tensor) -> f64 {
    let t = &(g * &powf_dp(&x.to_tensor(), *p, y)).sum();
    t.to_dtype(crate::DType::F64).item::<f64>()
}

/// `∂(xᵖ)/∂x = p x^(p-1)`, 0 everywhere when `p = 0`.
fn powf_dx(x: &Tensor, p: f64, y: &Tensor) -> Tensor {
    if p == 0.0 { y.full_like(y.shape(), 0.0) } else { &x.powf(p - 1.0) * p }
}

/// `∂(xᵖ)/∂p = y ln x`, 0 where `x = 0` and `p ≥ 0` (where `y ln x` would be `0 · -∞`).
fn powf_dp(x: &Tensor, p: f64, y: &Tensor) -> Tensor {
    if p >= 0.0 {
        // `ln` of 1 where `x = 0`
        let at_zero = 1.0 - &x.abs().sign();
        y * &(x + &at_zero).ln()
    } else {
        y * &x.ln()
    }
}

/// Tangent of `Tensor::full(shape, v)` in `v`: the tangent everywhere.
///
/// ```
/// use autodiff_runtime::{rules::tensor::full_jvp, Tensor};
/// let y = Tensor::full(&[2], 3.0f64);
/// assert_eq!(full_jvp(&[2usize], &3.0f64, &y, &0.5f64).to_vec::<f64>(), [0.5, 0.5]);
/// ```
pub fn full_jvp<S: ?Sized, E: crate::tensor::Element>(
    _shape: &S,
    _v: &E,
    y: &Tensor,
    d: &E,
) -> Tensor {
    y.full_like(y.shape(), d.to_f64())
}

/// Adjoint of `Tensor::full(shape, v)` in `v`: the adjoint's sum.
///
/// ```
/// use autodiff_runtime::{rules::tensor::full_vjp, Tensor};
/// let y = Tensor::full(&[2], 3.0f64);
/// assert_eq!(full_vjp(&[2usize], &3.0f64, &y, &Tensor::ones(&[2])), 2.0f64);
/// ```
pub fn full_vjp<S: ?Sized, E: crate::tensor::Element>(
    _shape: &S,
    _v: &E,
    y: &Tensor,
    g: &Tensor,
) -> E {
    summed(y, g)
}

/// The adjoint `g` of a tensor `y` made of one float, summed into that float's type.
fn summed<E: crate::tensor::Element>(y: &Tensor, g: &Tensor) -> E {
    expand(y, g.clone()).sum().to_dtype(E::DTYPE).item::<E>()
}

/// Tangent of `Tensor::scalar(v)`: the tangent as a scalar tensor.
///
/// ```
/// use autodiff_runtime::{rules::tensor::scalar_jvp, Tensor};
/// assert_eq!(scalar_jvp(&3.0f32, &Tensor::scalar(3.0f32), &0.5f32).item::<f32>(), 0.5);
/// ```
pub fn scalar_jvp<E: crate::tensor::Element>(_v: &E, _y: &Tensor, d: &E) -> Tensor {
    Tensor::scalar(*d)
}

/// Adjoint of `Tensor::scalar(v)`: the adjoint's sum (it may have been broadcast).
///
/// ```
/// use autodiff_runtime::{rules::tensor::scalar_vjp, Tensor};
/// assert_eq!(scalar_vjp(&3.0f64, &Tensor::scalar(3.0f64), &Tensor::scalar(2.0f64)), 2.0f64);
/// ```
pub fn scalar_vjp<E: crate::tensor::Element>(_v: &E, y: &Tensor, g: &Tensor) -> E {
    summed(y, g)
}

/// `x.item::<E>()` as a function: the form differentiable code calls (the value of a
/// one-element tensor as a float, so tensor code and float code mix).
///
/// ```
/// use autodiff_runtime::{rules::tensor::item, Tensor};
/// assert_eq!(item::<f64>(&Tensor::full(&[1, 1], 2.5f32)), 2.5);
/// ```
#[track_caller]
pub fn item<E: crate::tensor::Element>(x: &Tensor) -> E {
    x.item::<E>()
}

/// Tangent of `x.item::<E>()`: the tangent's one element.
///
/// ```
/// use autodiff_runtime::{rules::tensor::item_jvp, Tensor};
/// let x = Tensor::scalar(1.0f64);
/// assert_eq!(item_jvp(&x, &1.0f64, &Tensor::scalar(3.0f32)), 3.0f64);
/// ```
#[track_caller]
pub fn item_jvp<X: TensorOperand, E: crate::tensor::Element, D: TensorOperand>(
    _x: &X,
    _y: &E,
    d: &D,
) -> E {
    d.to_tensor().item::<E>()
}

/// Adjoint of `x.item::<E>()`: `g` in the one element, shaped (and typed) like `x`.
///
/// ```
/// use autodiff_runtime::{rules::tensor::item_vjp, Tensor};
/// let x = Tensor::zeros(&[1, 1]);
/// assert_eq!(item_vjp(&x, &0.0f64, &2.0f64).to_vec::<f32>(), [2.0]);
/// ```
pub fn item_vjp<X: TensorOperand, E: crate::tensor::Element>(x: &X, _y: &E, g: &E) -> X::Adjoint {
    let t = x.to_tensor();
    x.reduce(t.full_like(t.shape(), g.to_f64()))
}

/// Tangent of `x.sum()`: the sum of the tangent.
///
/// ```
/// use autodiff_runtime::{rules::tensor::sum_jvp, Tensor};
/// let x = Tensor::ones(&[3]);
/// assert_eq!(sum_jvp(&x, &x.sum(), &x).item::<f32>(), 3.0);
/// ```
pub fn sum_jvp<X: TensorOperand, D: TensorOperand>(_x: &X, _y: &Tensor, d: &D) -> Tensor {
    d.to_tensor().sum()
}

/// Adjoint of `x.sum()`: `g` in every element.
///
/// ```
/// use autodiff_runtime::{rules::tensor::sum_vjp, Tensor};
/// let x = Tensor::ones(&[3]);
/// assert_eq!(sum_vjp(&x, &x.sum(), &Tensor::scalar(2.0f32)).to_vec::<f32>(), [2.0; 3]);
/// ```
pub fn sum_vjp<X: TensorOperand>(x: &X, _y: &Tensor, g: &Tensor) -> X::Adjoint {
    let t = x.to_tensor();
    x.reduce(g * &t.full_like(t.shape(), 1.0))
}

/// Tangent of `x.mean()`: the mean of the tangent.
///
/// ```
/// use autodiff_runtime::{rules::tensor::mean_jvp, Tensor};
/// let x = Tensor::ones(&[4]);
/// assert_eq!(mean_jvp(&x, &x.mean(), &x).item::<f32>(), 1.0);
/// ```
pub fn mean_jvp<X: TensorOperand, D: TensorOperand>(_x: &X, _y: &Tensor, d: &D) -> Tensor {
    d.to_tensor().mean()
}

/// Adjoint of `x.mean()`: `g / n` in every element.
///
/// ```
/// use autodiff_runtime::{rules::tensor::mean_vjp, Tensor};
/// let x = Tensor::ones(&[4]);
/// assert_eq!(mean_vjp(&x, &x.mean(), &Tensor::scalar(1.0f32)).to_vec::<f32>(), [0.25; 4]);
/// ```
pub fn mean_vjp<X: TensorOperand>(x: &X, _y: &Tensor, g: &Tensor) -> X::Adjoint {
    let t = x.to_tensor();
    let n = t.numel().max(1) as f64;
    x.reduce(&(g * &t.full_like(t.shape(), 1.0)) / n)
}

/// Tangent of `x.sum_dim(d, keepdim)`.
///
/// ```
/// use autodiff_runtime::{rules::tensor::sum_dim_jvp, Tensor};
/// let x = Tensor::ones(&[2, 3]);
/// assert_eq!(sum_dim_jvp(&x, &1, &false, &x.sum_dim(1, false), &x).to_vec::<f32>(), [3.0, 3.0]);
/// ```
pub fn sum_dim_jvp<X: TensorOperand, D: TensorOperand>(
    _x: &X,
    dim: &usize,
    keepdim: &bool,
    _y: &Tensor,
    d: &D,
) -> Tensor {
    d.to_tensor().sum_dim(*dim, *keepdim)
}

/// Adjoint of `x.sum_dim(d, keepdim)`: `g` spread along dimension `d`.
///
/// ```
/// use autodiff_runtime::{rules::tensor::sum_dim_vjp, Tensor};
/// let x = Tensor::ones(&[2, 3]);
/// let g = Tensor::from_vec(vec![1.0f32, 2.0], &[2]);
/// assert_eq!(sum_dim_vjp(&x, &1, &false, &x.sum_dim(1, false), &g).to_vec::<f32>(), [1.0, 1.0, 1.0, 2.0, 2.0, 2.0]);
/// ```
pub fn sum_dim_vjp<X: TensorOperand>(
    x: &X,
    dim: &usize,
    keepdim: &bool,
    _y: &Tensor,
    g: &Tensor,
) -> X::Adjoint {
    let t = x.to_tensor();
    x.reduce(&kept(&t, *dim, *keepdim, g) * &t.full_like(t.shape(), 1.0))
}

/// Where `x` attains its maximum along `dim`, as weights: `1/k` at each of the `k` maxima of a
/// slice (ties share the derivative, as PyTorch's `amax` does), 0 elsewhere; shaped like `x`.
fn argmax_weights(x: &Tensor, dim: usize, y_kept: &Tensor) -> Tensor {
    let mask = x.eq_mask(&y_kept.to_dtype(x.dtype()));
    &mask / &mask.sum_dim(dim, true)
}

/// `y` with dimension `dim` kept (size 1), whether or not the reduction kept it.
fn kept(x: &Tensor, dim: usize, keepdim: bool, y: &Tensor) -> Tensor {
    let mut shape = x.shape().to_vec();
    shape[dim] = 1;
    if keepdim { y.clone() } else { y.reshape(&shape) }
}

/// Tangent of `x.max_dim(d, keepdim)`: the tangent at the maximum (averaged over ties).
///
/// ```
/// use autodiff_runtime::{rules::tensor::max_dim_jvp, Tensor};
/// let x = Tensor::from_vec(vec![1.0f32, 5.0, 3.0, 4.0], &[2, 2]);
/// let d = Tensor::from_vec(vec![10.0f32, 20.0, 30.0, 40.0], &[2, 2]);
/// assert_eq!(max_dim_jvp(&x, &1, &false, &x.max_dim(1, false), &d).to_vec::<f32>(), [20.0, 40.0]);
/// ```
pub fn max_dim_jvp<X: TensorOperand, D: TensorOperand>(
    x: &X,
    dim: &usize,
    keepdim: &bool,
    y: &Tensor,
    d: &D,
) -> Tensor {
    let x = x.to_tensor();
    let w = argmax_weights(&x, *dim, &kept(&x, *dim, *keepdim, y));
    (&w * &d.to_tensor()).sum_dim(*dim, *keepdim)
}

/// Where `x.max_dim(dim, keepdim)` takes its values: 1 at the maximum of each slice (shared
/// among ties), 0 elsewhere, shaped like `x`; the tangent of the maximum is
/// `(w ⊙ ẋ).sum_dim(dim, keepdim)` (second-order code differentiates that).
///
/// ```
/// use autodiff_runtime::{rules::tensor::max_dim_weights, Tensor};
/// let x = Tensor::from_vec(vec![1.0f32, 5.0, 3.0, 4.0], &[2, 2]);
/// let w = max_dim_weights(&x, 1, false, &x.max_dim(1, false));
/// assert_eq!(w.to_vec::<f32>(), [0.0, 1.0, 0.0, 1.0]);
/// ```
pub fn max_dim_weights(x: &Tensor, dim: usize, keepdim: bool, y: &Tensor) -> Tensor {
    argmax_weights(x, dim, &kept(x, dim, keepdim, y))
}

/// Adjoint of `x.max_dim(d, keepdim)`: `g` at the maximum of each slice (shared among ties).
///
/// ```
/// use autodiff_runtime::{rules::tensor::max_dim_vjp, Tensor};
/// let x = Tensor::from_vec(vec![1.0f32, 5.0, 3.0, 4.0], &[2, 2]);
/// let g = Tensor::from_vec(vec![1.0f32, 2.0], &[2]);
/// assert_eq!(max_dim_vjp(&x, &1, &false, &x.max_dim(1, false), &g).to_vec::<f32>(), [0.0, 1.0, 0.0, 2.0]);
/// ```
pub fn max_dim_vjp<X: TensorOperand>(
    x: &X,
    dim: &usize,
    keepdim: &bool,
    y: &Tensor,
    g: &Tensor,
) -> X::Adjoint {
    let t = x.to_tensor();
    let w = argmax_weights(&t, *dim, &kept(&t, *dim, *keepdim, y));
    x.reduce(&w * &kept(&t, *dim, *keepdim, g))
}

/// `g` (the adjoint of `x.narrow(dim, start, ..)`) placed into zeros shaped like `x`.
fn pad(x: &Tensor, dim: usize, start: usize, g: &Tensor) -> Tensor {
    let zeros = |len: usize| {
        let mut shape = x.shape().to_vec();
        shape[dim] = len;
        g.full_like(&shape, 0.0)
    };
    let after = x.shape()[dim] - start - g.shape()[dim];
    Tensor::cat(&[zeros(start), g.clone(), zeros(after)], dim)
}

/// Tangent of `x.narrow(dim, start, len)`: the same slice of the tangent.
///
/// ```
/// use autodiff_runtime::{rules::tensor::narrow_jvp, Tensor};
/// let x = Tensor::arange(0.0, 4.0, 1.0);
/// assert_eq!(narrow_jvp(&x, &0, &1, &2, &x.narrow(0, 1, 2), &x).to_vec::<f32>(), [1.0, 2.0]);
/// ```
pub fn narrow_jvp<X: TensorOperand, D: TensorOperand>(
    _x: &X,
    dim: &usize,
    start: &usize,
    len: &usize,
    _y: &Tensor,
    d: &D,
) -> Tensor {
    d.to_tensor().narrow(*dim, *start, *len)
}

/// Adjoint of `x.narrow(dim, start, len)`: `g` in the slice, zero elsewhere.
///
/// ```
/// use autodiff_runtime::{rules::tensor::narrow_vjp, Tensor};
/// let x = Tensor::arange(0.0, 4.0, 1.0);
/// let g = narrow_vjp(&x, &0, &1, &2, &x.narrow(0, 1, 2), &Tensor::ones(&[2]));
/// assert_eq!(g.to_vec::<f32>(), [0.0, 1.0, 1.0, 0.0]);
/// ```
pub fn narrow_vjp<X: TensorOperand>(
    x: &X,
    dim: &usize,
    start: &usize,
    _len: &usize,
    y: &Tensor,
    g: &Tensor,
) -> X::Adjoint {
    x.reduce(pad(&x.to_tensor(), *dim, *start, &expand(y, g.clone())))
}

/// Tangent of `x.select(dim, index)`: the same slice of the tangent.
///
/// ```
/// use autodiff_runtime::{rules::tensor::select_jvp, Tensor};
/// let x = Tensor::eye(2);
/// assert_eq!(select_jvp(&x, &0, &1, &x.select(0, 1), &x).to_vec::<f32>(), [0.0, 1.0]);
/// ```
pub fn select_jvp<X: TensorOperand, D: TensorOperand>(
    _x: &X,
    dim: &usize,
    index: &usize,
    _y: &Tensor,
    d: &D,
) -> Tensor {
    d.to_tensor().select(*dim, *index)
}

/// Adjoint of `x.select(dim, index)`: `g` at the index, zero elsewhere.
///
/// ```
/// use autodiff_runtime::{rules::tensor::select_vjp, Tensor};
/// let x = Tensor::zeros(&[2, 2]);
/// let g = select_vjp(&x, &1, &0, &x.select(1, 0), &Tensor::ones(&[2]));
/// assert_eq!(g.to_vec::<f32>(), [1.0, 0.0, 1.0, 0.0]);
/// ```
pub fn select_vjp<X: TensorOperand>(
    x: &X,
    dim: &usize,
    index: &usize,
    y: &Tensor,
    g: &Tensor,
) -> X::Adjoint {
    let t = x.to_tensor();
    let mut kept = t.shape().to_vec();
    kept[*dim] = 1;
    x.reduce(pad(&t, *dim, *index, &expand(y, g.clone()).reshape(&kept)))
}

/// Tangent of `a.matmul(b)` along `a`: `da b`.
///
/// ```
/// use autodiff_runtime::{rules::tensor::matmul_jvp_0, Tensor};
/// let (a, b) = (Tensor::eye(2), Tensor::ones(&[2, 2]));
/// assert_eq!(matmul_jvp_0(&a, &b, &a.matmul(&b), &a), b);
/// ```
pub fn matmul_jvp_0<A: TensorOperand, B: TensorOperand, D: TensorOperand>(
    _a: &A,
    b: &B,
    _y: &Tensor,
    d: &D,
) -> Tensor {
    d.to_tensor().matmul(&b.to_tensor())
}

/// Tangent of `a.matmul(b)` along `b`: `a db`.
///
/// ```
/// use autodiff_runtime::{rules::tensor::matmul_jvp_1, Tensor};
/// let (a, b) = (Tensor::eye(2), Tensor::ones(&[2, 2]));
/// assert_eq!(matmul_jvp_1(&a, &b, &a.matmul(&b), &b), b);
/// ```
pub fn matmul_jvp_1<A: TensorOperand, B: TensorOperand, D: TensorOperand>(
    a: &A,
    _b: &B,
    _y: &Tensor,
    d: &D,
) -> Tensor {
    a.to_tensor().matmul(&d.to_tensor())
}

/// Adjoint of `a.matmul(b)` for `a`: `g bᵀ`.
///
/// ```
/// use autodiff_runtime::{rules::tensor::matmul_vjp_0, Tensor};
/// let (a, b) = (Tensor::eye(2), Tensor::eye(2));
/// assert_eq!(matmul_vjp_0(&a, &b, &a, &Tensor::ones(&[2, 2])), Tensor::ones(&[2, 2]));
/// ```
pub fn matmul_vjp_0<A: TensorOperand, B: TensorOperand>(
    a: &A,
    b: &B,
    _y: &Tensor,
    g: &Tensor,
) -> A::Adjoint {
    a.reduce(g.matmul_t(&b.to_tensor(), false, true))
}

/// Adjoint of `a.matmul(b)` for `b`: `aᵀ g` (summed over batches when `b` is shared).
///
/// ```
/// use autodiff_runtime::{rules::tensor::matmul_vjp_1, Tensor};
/// let (a, b) = (Tensor::eye(2), Tensor::eye(2));
/// assert_eq!(matmul_vjp_1(&a, &b, &a, &Tensor::ones(&[2, 2])), Tensor::ones(&[2, 2]));
/// ```
pub fn matmul_vjp_1<A: TensorOperand, B: TensorOperand>(
    a: &A,
    b: &B,
    _y: &Tensor,
    g: &Tensor,
) -> B::Adjoint {
    b.reduce(a.to_tensor().matmul_t(g, true, false))
}

/// Tangent of `x.clone()` (an owned copy of a borrowed tensor): the tangent itself.
///
/// ```
/// use autodiff_runtime::{rules::tensor::clone_jvp, Tensor};
/// let x = Tensor::ones(&[2]);
/// assert_eq!(clone_jvp(&&x, &x, &(&x * 3.0)).to_vec::<f32>(), [3.0, 3.0]);
/// ```
pub fn clone_jvp<X: TensorOperand, D: TensorOperand>(_x: &X, _y: &Tensor, d: &D) -> Tensor {
    d.to_tensor()
}

/// Adjoint of `x.clone()`: the result's adjoint itself.
///
/// ```
/// use autodiff_runtime::{rules::tensor::clone_vjp, Tensor};
/// let x = Tensor::ones(&[2]);
/// assert_eq!(clone_vjp(&x, &x, &(&x * 2.0)).to_vec::<f32>(), [2.0, 2.0]);
/// ```
pub fn clone_vjp<X: TensorOperand>(x: &X, _y: &Tensor, g: &Tensor) -> X::Adjoint {
    x.reduce(g.clone())
}

/// Tangent of `x.t()`.
///
/// ```
/// use autodiff_runtime::{rules::tensor::t_jvp, Tensor};
/// let x = Tensor::ones(&[2, 3]);
/// assert_eq!(t_jvp(&x, &x.t(), &x).shape(), &[3, 2]);
/// ```
pub fn t_jvp<X: TensorOperand, D: TensorOperand>(_x: &X, _y: &Tensor, d: &D) -> Tensor {
    d.to_tensor().t()
}

/// Adjoint of `x.t()`: `gᵀ`.
///
/// ```
/// use autodiff_runtime::{rules::tensor::t_vjp, Tensor};
/// let x = Tensor::ones(&[2, 3]);
/// assert_eq!(t_vjp(&x, &x.t(), &Tensor::ones(&[3, 2])).shape(), &[2, 3]);
/// ```
pub fn t_vjp<X: TensorOperand>(x: &X, _y: &Tensor, g: &Tensor) -> X::Adjoint {
    x.reduce(g.t())
}

/// Tangent of `x.reshape(shape)`.
///
/// ```
/// use autodiff_runtime::{rules::tensor::reshape_jvp, Tensor};
/// let x = Tensor::ones(&[2, 3]);
/// assert_eq!(reshape_jvp(&x, &[6], &x.reshape(&[6]), &x).shape(), &[6]);
/// ```
pub fn reshape_jvp<X: TensorOperand, S: AsRef<[usize]>, D: TensorOperand>(
    _x: &X,
    shape: &S,
    _y: &Tensor,
    d: &D,
) -> Tensor {
    d.to_tensor().reshape(shape.as_ref())
}

/// Adjoint of `x.reshape(shape)`: `g` in `x`'s shape.
///
/// ```
/// use autodiff_runtime::{rules::tensor::reshape_vjp, Tensor};
/// let x = Tensor::ones(&[2, 3]);
/// assert_eq!(reshape_vjp(&x, &[6], &x.reshape(&[6]), &Tensor::ones(&[6])).shape(), &[2, 3]);
/// ```
pub fn reshape_vjp<X: TensorOperand, S: AsRef<[usize]>>(
    x: &X,
    _shape: &S,
    _y: &Tensor,
    g: &Tensor,
) -> X::Adjoint {
    x.reduce(g.reshape(x.to_tensor().shape()))
}

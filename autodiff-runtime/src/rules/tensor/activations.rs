//! The rules of `softmax`, `log_softmax`, `clamp` and of the operations that rearrange
//! dimensions (`transpose`, `unsqueeze`, `squeeze`).

use super::{TensorOperand, expand};
use crate::Tensor;

/// Tangent of `y = x.softmax(dim)`: `y ⊙ (ẋ - Σ_dim y ⊙ ẋ)`.
///
/// ```
/// use autodiff_runtime::{rules::tensor::softmax_jvp, Tensor};
/// let x = Tensor::zeros(&[2]);
/// // moving both logits together changes nothing
/// assert_eq!(softmax_jvp(&x, &0, &x.softmax(0), &Tensor::ones(&[2])).to_vec::<f32>(), [0.0, 0.0]);
/// ```
pub fn softmax_jvp<X: TensorOperand, D: TensorOperand>(
    _x: &X,
    dim: &usize,
    y: &Tensor,
    d: &D,
) -> Tensor {
    let d = expand(y, d.to_tensor());
    y * &(&d - &(&d * y).sum_dim(*dim, true))
}

/// Adjoint of `y = x.softmax(dim)`: `y ⊙ (ȳ - Σ_dim y ⊙ ȳ)`.
///
/// ```
/// use autodiff_runtime::{rules::tensor::softmax_vjp, Tensor};
/// let x = Tensor::zeros(&[2]);
/// let g = Tensor::from_vec(vec![1.0f32, 0.0], &[2]);
/// assert_eq!(softmax_vjp(&x, &0, &x.softmax(0), &g).to_vec::<f32>(), [0.25, -0.25]);
/// ```
pub fn softmax_vjp<X: TensorOperand>(x: &X, dim: &usize, y: &Tensor, g: &Tensor) -> X::Adjoint {
    let g = expand(y, g.clone());
    x.reduce(y * &(&g - &(&g * y).sum_dim(*dim, true)))
}

/// Tangent of `y = x.log_softmax(dim)`: `ẋ - Σ_dim e^y ⊙ ẋ`.
///
/// ```
/// use autodiff_runtime::{rules::tensor::log_softmax_jvp, Tensor};
/// let x = Tensor::zeros(&[2]);
/// let d = Tensor::from_vec(vec![1.0f32, 0.0], &[2]);
/// assert_eq!(log_softmax_jvp(&x, &0, &x.log_softmax(0), &d).to_vec::<f32>(), [0.5, -0.5]);
/// ```
pub fn log_softmax_jvp<X: TensorOperand, D: TensorOperand>(
    _x: &X,
    dim: &usize,
    y: &Tensor,
    d: &D,
) -> Tensor {
    let d = expand(y, d.to_tensor());
    &d - &(&y.exp() * &d).sum_dim(*dim, true)
}

/// Adjoint of `y = x.log_softmax(dim)`: `ȳ - e^y ⊙ Σ_dim ȳ`.
///
/// ```
/// use autodiff_runtime::{rules::tensor::log_softmax_vjp, Tensor};
/// let x = Tensor::zeros(&[2]);
/// let g = Tensor::from_vec(vec![1.0f32, 0.0], &[2]);
/// assert_eq!(log_softmax_vjp(&x, &0, &x.log_softmax(0), &g).to_vec::<f32>(), [0.5, -0.5]);
/// ```
pub fn log_softmax_vjp<X: TensorOperand>(x: &X, dim: &usize, y: &Tensor, g: &Tensor) -> X::Adjoint {
    let g = expand(y, g.clone());
    x.reduce(&g - &(&y.exp() * &g.sum_dim(*dim, true)))
}

/// Where `x.clamp(lo, hi)` passes `x` through: 1 where `lo ≤ x ≤ hi`, else 0 (its derivative,
/// 1 at the bounds as in PyTorch).
///
/// ```
/// use autodiff_runtime::{rules::tensor::clamp_mask, Tensor};
/// let x = Tensor::from_vec(vec![-1.0f32, 0.0, 0.5, 2.0], &[4]);
/// assert_eq!(clamp_mask(&x, 0.0, 1.0).to_vec::<f32>(), [0.0, 1.0, 1.0, 0.0]);
/// ```
pub fn clamp_mask(x: &Tensor, lo: f64, hi: f64) -> Tensor {
    x.within(lo, hi)
}

/// Tangent of `x.clamp(lo, hi)`: `ẋ` where `x` is passed through, else 0.
///
/// ```
/// use autodiff_runtime::{rules::tensor::clamp_jvp, Tensor};
/// let x = Tensor::from_vec(vec![-1.0f32, 0.5], &[2]);
/// let d = Tensor::ones(&[2]);
/// assert_eq!(clamp_jvp(&x, &0.0, &1.0, &x.clamp(0.0, 1.0), &d).to_vec::<f32>(), [0.0, 1.0]);
/// ```
pub fn clamp_jvp<X: TensorOperand, D: TensorOperand>(
    x: &X,
    lo: &f64,
    hi: &f64,
    y: &Tensor,
    d: &D,
) -> Tensor {
    &clamp_mask(&x.to_tensor(), *lo, *hi) * &expand(y, d.to_tensor())
}

/// Adjoint of `x.clamp(lo, hi)`: `ȳ` where `x` is passed through, else 0.
///
/// ```
/// use autodiff_runtime::{rules::tensor::clamp_vjp, Tensor};
/// let x = Tensor::from_vec(vec![-1.0f32, 0.5], &[2]);
/// let g = Tensor::ones(&[2]);
/// assert_eq!(clamp_vjp(&x, &0.0, &1.0, &x.clamp(0.0, 1.0), &g).to_vec::<f32>(), [0.0, 1.0]);
/// ```
pub fn clamp_vjp<X: TensorOperand>(
    x: &X,
    lo: &f64,
    hi: &f64,
    y: &Tensor,
    g: &Tensor,
) -> X::Adjoint {
    x.reduce(&clamp_mask(&x.to_tensor(), *lo, *hi) * &expand(y, g.clone()))
}

/// Tangent of `x.transpose(d0, d1)`: the tangent transposed alike.
///
/// ```
/// use autodiff_runtime::{rules::tensor::transpose_jvp, Tensor};
/// let x = Tensor::ones(&[2, 3, 4]);
/// assert_eq!(transpose_jvp(&x, &0, &2, &x.transpose(0, 2), &x).shape(), &[4, 3, 2]);
/// ```
pub fn transpose_jvp<X: TensorOperand, D: TensorOperand>(
    x: &X,
    d0: &usize,
    d1: &usize,
    _y: &Tensor,
    d: &D,
) -> Tensor {
    expand(&x.to_tensor(), d.to_tensor()).transpose(*d0, *d1)
}

/// Adjoint of `x.transpose(d0, d1)`: the adjoint transposed back.
///
/// ```
/// use autodiff_runtime::{rules::tensor::transpose_vjp, Tensor};
/// let x = Tensor::ones(&[2, 3, 4]);
/// assert_eq!(transpose_vjp(&x, &0, &2, &x.transpose(0, 2), &Tensor::ones(&[4, 3, 2])).shape(), &[2, 3, 4]);
/// ```
pub fn transpose_vjp<X: TensorOperand>(
    x: &X,
    d0: &usize,
    d1: &usize,
    y: &Tensor,
    g: &Tensor,
) -> X::Adjoint {
    x.reduce(expand(y, g.clone()).transpose(*d0, *d1))
}

/// Tangent of `x.unsqueeze(dim)`: the tangent with the same dimension added.
///
/// ```
/// use autodiff_runtime::{rules::tensor::unsqueeze_jvp, Tensor};
/// let x = Tensor::ones(&[3]);
/// assert_eq!(unsqueeze_jvp(&x, &0, &x.unsqueeze(0), &x).shape(), &[1, 3]);
/// ```
pub fn unsqueeze_jvp<X: TensorOperand, D: TensorOperand>(
    x: &X,
    _dim: &usize,
    y: &Tensor,
    d: &D,
) -> Tensor {
    reshaped_tangent(x, y, d)
}

/// Adjoint of `x.unsqueeze(dim)`: the adjoint in `x`'s shape.
///
/// ```
/// use autodiff_runtime::{rules::tensor::unsqueeze_vjp, Tensor};
/// let x = Tensor::ones(&[3]);
/// assert_eq!(unsqueeze_vjp(&x, &0, &x.unsqueeze(0), &Tensor::ones(&[1, 3])).shape(), &[3]);
/// ```
pub fn unsqueeze_vjp<X: TensorOperand>(x: &X, _dim: &usize, y: &Tensor, g: &Tensor) -> X::Adjoint {
    reshaped_adjoint(x, y, g)
}

/// Tangent of `x.squeeze(dim)`: the tangent with the same dimension removed.
///
/// ```
/// use autodiff_runtime::{rules::tensor::squeeze_jvp, Tensor};
/// let x = Tensor::ones(&[1, 3]);
/// assert_eq!(squeeze_jvp(&x, &0, &x.squeeze(0), &x).shape(), &[3]);
/// ```
pub fn squeeze_jvp<X: TensorOperand, D: TensorOperand>(
    x: &X,
    _dim: &usize,
    y: &Tensor,
    d: &D,
) -> Tensor {
    reshaped_tangent(x, y, d)
}

/// Adjoint of `x.squeeze(dim)`: the adjoint in `x`'s shape.
///
/// ```
/// use autodiff_runtime::{rules::tensor::squeeze_vjp, Tensor};
/// let x = Tensor::ones(&[1, 3]);
/// assert_eq!(squeeze_vjp(&x, &0, &x.squeeze(0), &Tensor::ones(&[3])).shape(), &[1, 3]);
/// ```
pub fn squeeze_vjp<X: TensorOperand>(x: &X, _dim: &usize, y: &Tensor, g: &Tensor) -> X::Adjoint {
    reshaped_adjoint(x, y, g)
}

/// The tangent `d` of `x` in the shape of `y`, a reshape of `x` (`unsqueeze`, `squeeze`).
fn reshaped_tangent<X: TensorOperand, D: TensorOperand>(x: &X, y: &Tensor, d: &D) -> Tensor {
    expand(&x.to_tensor(), d.to_tensor()).reshape(y.shape())
}

/// The adjoint `g` of `y`, a reshape of `x`, in the shape of `x`.
fn reshaped_adjoint<X: TensorOperand>(x: &X, y: &Tensor, g: &Tensor) -> X::Adjoint {
    x.reduce(expand(y, g.clone()).reshape(x.to_tensor().shape()))
}

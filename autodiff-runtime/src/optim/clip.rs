//! [`clip_grad_norm`]: gradients scaled down together when their joint norm is too large.

use crate::Param;
use crate::optim::Update;

/// Scales the gradients of `params` (those with `requires_grad`) so that their joint
/// Euclidean norm is at most `max_norm`, as PyTorch's `clip_grad_norm_`: when the norm `n`
/// exceeds `max_norm`, each gradient is multiplied by `max_norm / (n + 1e-6)`. Returns `n`,
/// the norm before clipping (a NaN or infinite norm is returned and nothing is scaled, so
/// the caller can skip the step).
///
/// ```
/// use autodiff_runtime::{clip_grad_norm, Param};
/// let (mut a, mut b) = (Param::new(vec![0.0f64, 0.0]), Param::new(vec![0.0f64]));
/// a.grad = vec![3.0, 0.0];
/// b.grad = vec![4.0];
/// let norm = clip_grad_norm(&mut [&mut a, &mut b], 1.0);
/// assert_eq!(norm, 5.0);
/// assert!((a.grad[0] - 0.6).abs() < 1e-6 && (b.grad[0] - 0.8).abs() < 1e-6);
/// ```
pub fn clip_grad_norm<T: Update>(params: &mut [&mut Param<T>], max_norm: f64) -> f64 {
    let squares = params.iter().filter(|p| p.requires_grad).map(|p| p.grad.sum_of_squares());
    let norm = squares.sum::<f64>().sqrt();
    if norm.is_finite() && norm > max_norm {
        let factor = max_norm / (norm + 1e-6);
        params.iter_mut().filter(|p| p.requires_grad).for_each(|p| p.grad.scale(factor));
    }
    norm
}

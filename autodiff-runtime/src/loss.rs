//! Losses: `mse`, `mse_sum` and `bce_with_logits`, each differentiable (their `_jvp`/`_vjp`
//! companions exist), so a `#[differentiable]` function can call them.

use crate::Tensor;
use autodiff_macros::differentiable;

/// The mean squared error `mean((pred - target)²)` (PyTorch's `MSELoss()`).
///
/// ```
/// use autodiff_runtime::{loss, Tensor};
/// let (p, t) = (Tensor::from_vec(vec![1.0f32, 3.0], &[2]), Tensor::zeros(&[2]));
/// assert_eq!(loss::mse(&p, &t).item::<f32>(), 5.0);
/// ```
#[differentiable(crate = crate)]
pub fn mse(pred: &Tensor, target: &Tensor) -> Tensor {
    let d = pred - target;
    (&d * &d).mean()
}

/// The summed squared error `sum((pred - target)²)` (PyTorch's `MSELoss(reduction='sum')`).
///
/// ```
/// use autodiff_runtime::{loss, Tensor};
/// let (p, t) = (Tensor::from_vec(vec![1.0f32, 3.0], &[2]), Tensor::zeros(&[2]));
/// assert_eq!(loss::mse_sum(&p, &t).item::<f32>(), 10.0);
/// ```
#[differentiable(crate = crate)]
pub fn mse_sum(pred: &Tensor, target: &Tensor) -> Tensor {
    let d = pred - target;
    (&d * &d).sum()
}

/// Binary cross-entropy of `sigmoid(logits)` against `targets`, averaged, computed stably as
/// `max(z, 0) - z y + ln(1 + e^-|z|)` (PyTorch's `BCEWithLogitsLoss()`).
///
/// Its derivative is written by hand, `(sigmoid(z) - y) / n`, exact also at `z = 0` where the
/// stable formula's pieces have kinks.
///
/// ```
/// use autodiff_runtime::{loss, Tensor};
/// let l = loss::bce_with_logits(&Tensor::zeros(&[4]), &Tensor::ones(&[4]));
/// assert!((l.item::<f32>() - 2f32.ln()).abs() < 1e-6);
/// ```
pub fn bce_with_logits(logits: &Tensor, targets: &Tensor) -> Tensor {
    let z = logits;
    (&(&z.relu() - &(z * targets)) + &(&(-&z.abs()).exp() + 1.0).ln()).mean()
}

/// Forward mode of [`bce_with_logits`].
///
/// ```
/// use autodiff_runtime::{loss, Tensor};
/// let (z, y) = (Tensor::zeros(&[2]), Tensor::ones(&[2]));
/// let (_, d) = loss::bce_with_logits_jvp(&z, &y, &Tensor::ones(&[2]), &Tensor::zeros(&[2]));
/// assert!((d.item::<f32>() + 0.5).abs() < 1e-6);
/// ```
pub fn bce_with_logits_jvp(
    logits: &Tensor,
    targets: &Tensor,
    logits_dot: &Tensor,
    targets_dot: &Tensor,
) -> (Tensor, Tensor) {
    let n = logits.numel().max(1) as f64;
    let dz = &(&logits.sigmoid() - targets) * logits_dot;
    let dy = &(-logits) * targets_dot;
    (bce_with_logits(logits, targets), &(&dz + &dy).sum() / n)
}

/// Reverse mode of [`bce_with_logits`]: ADDS `seed · (sigmoid(z) - y) / n` into `logits_bar`
/// and `-seed · z / n` into `targets_bar`.
///
/// ```
/// use autodiff_runtime::{loss, Tensor};
/// let (z, y) = (Tensor::zeros(&[2]), Tensor::ones(&[2]));
/// let (mut gz, mut gy) = (Tensor::zeros(&[2]), Tensor::zeros(&[2]));
/// loss::bce_with_logits_vjp(&z, &y, Tensor::scalar(1.0f32), &mut gz, &mut gy);
/// assert_eq!(gz.to_vec::<f32>(), [-0.25, -0.25]);
/// ```
pub fn bce_with_logits_vjp(
    logits: &Tensor,
    targets: &Tensor,
    seed: Tensor,
    logits_bar: &mut Tensor,
    targets_bar: &mut Tensor,
) -> Tensor {
    use crate::Differentiable;
    let n = logits.numel().max(1) as f64;
    let scale = &seed / n;
    logits_bar.accumulate(&(&logits.sigmoid() - targets) * &scale);
    targets_bar.accumulate(&(-logits) * &scale);
    bce_with_logits(logits, targets)
}

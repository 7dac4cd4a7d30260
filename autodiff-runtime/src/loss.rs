//! Losses: `mse`, `mse_sum`, `bce_with_logits` and `cross_entropy`, each differentiable twice
//! (their `_jvp`, `_vjp` and `_hvp` companions exist), so a `#[differentiable]` function, with
//! `hessian` too, can call them.

use crate::Tensor;
use autodiff_macros::differentiable;

/// The mean squared error `mean((pred - target)²)` (PyTorch's `MSELoss()`).
///
/// ```
/// use autodiff_runtime::{loss, Tensor};
/// let (p, t) = (Tensor::from_vec(vec![1.0f32, 3.0], &[2]), Tensor::zeros(&[2]));
/// assert_eq!(loss::mse(&p, &t).item::<f32>(), 5.0);
/// ```
#[differentiable(crate = crate, hessian, split)]
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
#[differentiable(crate = crate, hessian, split)]
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
    forward(&bce_with_logits_partials(logits, targets), logits_dot, targets_dot)
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
    reverse(&bce_with_logits_partials(logits, targets), &seed, logits_bar, targets_bar)
}

/// Reverse mode of [`bce_with_logits`] in split mode: its value and a pullback that ADDS into
/// the buffers as [`bce_with_logits_vjp`] does, from partials computed once (a
/// `#[differentiable]` caller calls this instead of computing the loss again in its adjoint).
///
/// ```
/// use autodiff_runtime::{loss, Tensor};
/// let (z, y) = (Tensor::zeros(&[2]), Tensor::ones(&[2]));
/// let (value, pullback) = loss::bce_with_logits_pullback(&z, &y);
/// let (mut gz, mut gy) = (Tensor::zeros(&[2]), Tensor::zeros(&[2]));
/// pullback(Tensor::scalar(1.0f32), &mut gz, &mut gy);
/// assert!((value.item::<f32>() - 2f32.ln()).abs() < 1e-6);
/// assert_eq!(gz.to_vec::<f32>(), [-0.25, -0.25]);
/// ```
pub fn bce_with_logits_pullback(
    logits: &Tensor,
    targets: &Tensor,
) -> (Tensor, impl FnOnce(Tensor, &mut Tensor, &mut Tensor) + use<>) {
    split(bce_with_logits_partials(logits, targets))
}

/// Second order of [`bce_with_logits`] (for `#[differentiable(hessian)]` callers): its value and
/// tangent as [`bce_with_logits_jvp`], `seed` times its gradient ADDED into the tangents'
/// buffers as [`bce_with_logits_vjp`], and `seed` times the Hessian times the tangents into the
/// values' buffers: `(σ(z)(1 - σ(z)) ż - ẏ) / n` for the logits, `-ż / n` for the targets.
///
/// ```
/// use autodiff_runtime::{loss, Tensor};
/// let (z, y) = (Tensor::zeros(&[2]), Tensor::ones(&[2]));
/// let zeros = || (Tensor::zeros(&[2]), Tensor::zeros(&[2]));
/// let ((mut gz, mut gy), (mut hz, mut hy)) = (zeros(), zeros());
/// loss::bce_with_logits_hvp(&z, &y, &Tensor::ones(&[2]), &Tensor::zeros(&[2]),
///     Tensor::scalar(1.0f32), &mut gz, &mut gy, &mut hz, &mut hy);
/// assert_eq!((hz.to_vec::<f32>(), hy.to_vec::<f32>()), (vec![0.125, 0.125], vec![-0.5, -0.5]));
/// ```
#[allow(clippy::too_many_arguments)]
pub fn bce_with_logits_hvp(
    logits: &Tensor,
    targets: &Tensor,
    logits_dot: &Tensor,
    targets_dot: &Tensor,
    seed: Tensor,
    logits_dot_bar: &mut Tensor,
    targets_dot_bar: &mut Tensor,
    logits_bar: &mut Tensor,
    targets_bar: &mut Tensor,
) -> (Tensor, Tensor) {
    let p = bce_with_logits_partials(logits, targets);
    let out = forward(&p, logits_dot, targets_dot);
    reverse(&p, &seed, logits_dot_bar, targets_dot_bar);
    // σ(z)(1 - σ(z)) from the partial σ(z) - y
    add_part(logits_bar, &seed, p.n, || {
        let sigma = &p.logits + targets;
        &(&(&sigma * &(1.0 - &sigma)) * logits_dot) - targets_dot
    });
    add_part(targets_bar, &seed, p.n, || -logits_dot);
    out
}

/// `log_softmax` over the last dimension, stably: `z - m - ln Σ e^(z - m)` with `m` the maximum.
fn log_softmax_last(z: &Tensor) -> Tensor {
    let last = z.shape().len().saturating_sub(1);
    let m = z.max_dim(last, true);
    let shifted = z - &m;
    &shifted - &shifted.exp().sum_dim(last, true).ln()
}

/// Cross-entropy of `softmax(logits)` against class probabilities `targets` (one-hot rows, or
/// any distribution), over the last dimension and averaged over the rows: PyTorch's
/// `CrossEntropyLoss()` with probability targets. `logits` is `(n, classes)` or `(classes)`;
/// `targets` has the same shape. Computed with a stable log-softmax.
///
/// Its derivative is written by hand: `(softmax(z) Σ_c y_c - y) / n` for the logits and
/// `-log_softmax(z) / n` for the targets.
///
/// # Panics
///
/// If the shapes differ, naming both.
///
/// ```
/// use autodiff_runtime::{loss, Tensor};
/// // Equal logits over 4 classes: the loss is ln 4 whatever the class.
/// let (z, y) = (Tensor::zeros(&[2, 4]), Tensor::from_vec(vec![1.0f32, 0., 0., 0., 0., 0., 1., 0.], &[2, 4]));
/// assert!((loss::cross_entropy(&z, &y).item::<f32>() - 4f32.ln()).abs() < 1e-6);
/// ```
#[track_caller]
pub fn cross_entropy(logits: &Tensor, targets: &Tensor) -> Tensor {
    cross_entropy_of(&log_softmax_of(logits, targets), targets)
}

/// The log-softmax of `logits`, once their shape is checked against `targets`'.
#[track_caller]
fn log_softmax_of(logits: &Tensor, targets: &Tensor) -> Tensor {
    if logits.shape() != targets.shape() {
        let indices =
            logits.shape().split_last().is_some_and(|(_, batch)| batch == targets.shape());
        panic!(
            "cross_entropy: targets are class probabilities of the logits' shape {:?}, but have shape {:?}{}",
            logits.shape(),
            targets.shape(),
            if indices { " (class indices? make them one-hot rows)" } else { "" }
        );
    }
    log_softmax_last(logits)
}

/// `-Σ y log p / n` from the log-probabilities.
fn cross_entropy_of(log_p: &Tensor, targets: &Tensor) -> Tensor {
    -&((targets * log_p).sum() / rows(log_p))
}

/// The number of rows a loss over the last dimension averages over.
fn rows(z: &Tensor) -> f64 {
    let classes = z.shape().last().copied().unwrap_or(1).max(1);
    (z.numel() / classes).max(1) as f64
}

/// Forward mode of [`cross_entropy`].
///
/// ```
/// use autodiff_runtime::{loss, Tensor};
/// let (z, y) = (Tensor::zeros(&[2]), Tensor::from_vec(vec![1.0f32, 0.0], &[2]));
/// let (_, d) = loss::cross_entropy_jvp(&z, &y, &Tensor::from_vec(vec![1.0f32, 0.0], &[2]), &Tensor::zeros(&[2]));
/// assert!((d.item::<f32>() + 0.5).abs() < 1e-6);
/// ```
#[track_caller]
pub fn cross_entropy_jvp(
    logits: &Tensor,
    targets: &Tensor,
    logits_dot: &Tensor,
    targets_dot: &Tensor,
) -> (Tensor, Tensor) {
    forward(&cross_entropy_partials(logits, targets), logits_dot, targets_dot)
}

/// Reverse mode of [`cross_entropy`]: ADDS `seed · (softmax(z) Σ_c y_c - y) / n` into
/// `logits_bar` and `-seed · log_softmax(z) / n` into `targets_bar`.
///
/// ```
/// use autodiff_runtime::{loss, Tensor};
/// let (z, y) = (Tensor::zeros(&[2]), Tensor::from_vec(vec![1.0f32, 0.0], &[2]));
/// let (mut gz, mut gy) = (Tensor::zeros(&[2]), Tensor::zeros(&[2]));
/// loss::cross_entropy_vjp(&z, &y, Tensor::scalar(1.0f32), &mut gz, &mut gy);
/// assert_eq!(gz.to_vec::<f32>(), [-0.5, 0.5]);
/// ```
#[track_caller]
pub fn cross_entropy_vjp(
    logits: &Tensor,
    targets: &Tensor,
    seed: Tensor,
    logits_bar: &mut Tensor,
    targets_bar: &mut Tensor,
) -> Tensor {
    reverse(&cross_entropy_partials(logits, targets), &seed, logits_bar, targets_bar)
}

/// Reverse mode of [`cross_entropy`] in split mode: its value and a pullback that ADDS into
/// the buffers as [`cross_entropy_vjp`] does, from partials computed once.
///
/// ```
/// use autodiff_runtime::{loss, Tensor};
/// let (z, y) = (Tensor::zeros(&[2]), Tensor::from_vec(vec![1.0f32, 0.0], &[2]));
/// let (_, pullback) = loss::cross_entropy_pullback(&z, &y);
/// let (mut gz, mut gy) = (Tensor::zeros(&[2]), Tensor::zeros(&[2]));
/// pullback(Tensor::scalar(1.0f32), &mut gz, &mut gy);
/// assert_eq!(gz.to_vec::<f32>(), [-0.5, 0.5]);
/// ```
#[track_caller]
pub fn cross_entropy_pullback(
    logits: &Tensor,
    targets: &Tensor,
) -> (Tensor, impl FnOnce(Tensor, &mut Tensor, &mut Tensor) + use<>) {
    split(cross_entropy_partials(logits, targets))
}

/// Second order of [`cross_entropy`] (for `#[differentiable(hessian)]` callers): its value and
/// tangent as [`cross_entropy_jvp`], `seed` times its gradient ADDED into the tangents' buffers
/// as [`cross_entropy_vjp`], and `seed` times the Hessian times the tangents into the values'
/// buffers. Per row, with `p = softmax(z)`, `m = Σ_c y_c` and `⟨p, ż⟩ = Σ_c p_c ż_c`:
/// `(m p (ż - ⟨p, ż⟩) + p Σ_c ẏ_c - ẏ) / n` for the logits, `-(ż - ⟨p, ż⟩) / n` for the targets.
///
/// ```
/// use autodiff_runtime::{loss, Tensor};
/// let (z, y) = (Tensor::zeros(&[2]), Tensor::from_vec(vec![1.0f32, 0.0], &[2]));
/// let zeros = || (Tensor::zeros(&[2]), Tensor::zeros(&[2]));
/// let ((mut gz, mut gy), (mut hz, mut hy)) = (zeros(), zeros());
/// loss::cross_entropy_hvp(&z, &y, &Tensor::from_vec(vec![1.0f32, 0.0], &[2]), &Tensor::zeros(&[2]),
///     Tensor::scalar(1.0f32), &mut gz, &mut gy, &mut hz, &mut hy);
/// // p = (1/2, 1/2), ⟨p, ż⟩ = 1/2: the logits get p (ż - 1/2) = (1/4, -1/4)
/// assert_eq!(hz.to_vec::<f32>(), [0.25, -0.25]);
/// assert_eq!(hy.to_vec::<f32>(), [-0.5, 0.5]);
/// ```
#[track_caller]
#[allow(clippy::too_many_arguments)]
pub fn cross_entropy_hvp(
    logits: &Tensor,
    targets: &Tensor,
    logits_dot: &Tensor,
    targets_dot: &Tensor,
    seed: Tensor,
    logits_dot_bar: &mut Tensor,
    targets_dot_bar: &mut Tensor,
    logits_bar: &mut Tensor,
    targets_bar: &mut Tensor,
) -> (Tensor, Tensor) {
    let p = cross_entropy_partials(logits, targets);
    let out = forward(&p, logits_dot, targets_dot);
    reverse(&p, &seed, logits_dot_bar, targets_dot_bar);
    let last = logits.shape().len().saturating_sub(1);
    // p = softmax(z), from the partial -log_softmax(z)
    let probs = (-&p.targets).exp();
    // `ż - ⟨p, ż⟩`, each row centred on its mean under `p`
    let centred = logits_dot - &(&probs * logits_dot).sum_dim(last, true);
    add_part(logits_bar, &seed, p.n, || {
        let curvature = &(&probs * &centred) * &targets.sum_dim(last, true);
        let mixed = &(&probs * &targets_dot.sum_dim(last, true)) - targets_dot;
        &curvature + &mixed
    });
    add_part(targets_bar, &seed, p.n, || -&centred);
    out
}

/// [`cross_entropy`]'s value and partial derivatives, from one log-softmax.
#[track_caller]
fn cross_entropy_partials(logits: &Tensor, targets: &Tensor) -> Partials {
    let log_p = log_softmax_of(logits, targets);
    let value = cross_entropy_of(&log_p, targets);
    let last = logits.shape().len().saturating_sub(1);
    let mass = targets.sum_dim(last, true);
    Partials { value, logits: &(&log_p.exp() * &mass) - targets, targets: -&log_p, n: rows(logits) }
}

/// [`bce_with_logits`]'s value and partial derivatives.
fn bce_with_logits_partials(logits: &Tensor, targets: &Tensor) -> Partials {
    let value = bce_with_logits(logits, targets);
    let n = logits.numel().max(1) as f64;
    Partials { value, logits: &logits.sigmoid() - targets, targets: -logits, n }
}

/// A mean loss's value and `n` times its elementwise partial derivatives in its two arguments:
/// what its hand-written `_jvp` and `_vjp` are made of.
struct Partials {
    value: Tensor,
    logits: Tensor,
    targets: Tensor,
    n: f64,
}

/// Forward mode from the partials: `Σ (∂z · ż + ∂y · ẏ) / n`.
fn forward(p: &Partials, logits_dot: &Tensor, targets_dot: &Tensor) -> (Tensor, Tensor) {
    let d = &(&(&p.logits * logits_dot).sum() + &(&p.targets * targets_dot).sum()) / p.n;
    (p.value.clone(), d)
}

/// Reverse mode from the partials: ADDS `seed · ∂ / n` into each wanted buffer. The seed
/// multiplies first: an `f32` seed (the unit seed) divided by `n` would round the adjoint of an
/// `f64` loss to `f32`.
fn reverse(
    p: &Partials,
    seed: &Tensor,
    logits_bar: &mut Tensor,
    targets_bar: &mut Tensor,
) -> Tensor {
    add_part(logits_bar, seed, p.n, || p.logits.clone());
    add_part(targets_bar, seed, p.n, || p.targets.clone());
    p.value.clone()
}

/// Split mode from the partials: the value, and a pullback doing [`reverse`] later.
fn split(p: Partials) -> (Tensor, impl FnOnce(Tensor, &mut Tensor, &mut Tensor) + use<>) {
    let value = p.value.clone();
    (value, move |seed: Tensor, logits_bar: &mut Tensor, targets_bar: &mut Tensor| {
        reverse(&p, &seed, logits_bar, targets_bar);
    })
}

/// ADDS `seed · part / n` into `bar` when the caller wants it (`part` is computed only then).
fn add_part(bar: &mut Tensor, seed: &Tensor, n: f64, part: impl FnOnce() -> Tensor) {
    use crate::Differentiable;
    if crate::differentiable::wanted(bar) {
        bar.accumulate(&(&part() * seed) / n);
    }
}

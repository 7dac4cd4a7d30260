//! SEEDS S11: linear regression `y = b + w x` by gradient descent on the mean squared error,
//! the loss written over slices and differentiated by `#[differentiable]`; a hand-written
//! training loop; and the tutorial's data shape (100 points of y = 1 + 2x + noise, 80 for
//! training) from a deterministic generator.

#![allow(dead_code)]

use autodiff::prelude::*;

/// The mean squared error of the line `b + w x` on the points `(x, y)`.
#[differentiable(wrt(b, w))]
pub fn mse(b: f64, w: f64, x: &[f64], y: &[f64]) -> f64 {
    let mut s = 0.0;
    for (xi, yi) in x.iter().zip(y) {
        let e = b + w * xi - yi;
        s += e * e;
    }
    s / x.len() as f64
}

/// `epochs` steps of gradient descent with learning rate `lr` from `(b, w)`, gradients by the
/// macro and the update by `Sgd`, as a PyTorch user writes it.
pub fn train(b: f64, w: f64, x: &[f64], y: &[f64], lr: f64, epochs: usize) -> (f64, f64) {
    let (mut b, mut w) = (Param::new(b), Param::new(w));
    let mut opt = Sgd::new(lr);
    for _ in 0..epochs {
        b.zero_grad();
        w.zero_grad();
        mse_vjp(b.value, w.value, x, y, 1.0, &mut b.grad, &mut w.grad);
        opt.step(&mut [&mut b, &mut w]);
    }
    (b.value, w.value)
}

/// The mean squared error of the line `b + w x` with tensors (one-element `b` and `w`).
#[differentiable(wrt(b, w))]
pub fn tensor_mse(x: &Tensor, y: &Tensor, b: &Tensor, w: &Tensor) -> Tensor {
    loss::mse(&(x * w + b), y)
}

/// [`train`] with tensors, on the device of its arguments: `(b, w)` after `epochs` steps.
pub fn train_tensors(
    (b, w): (Tensor, Tensor),
    x: &Tensor,
    y: &Tensor,
    lr: f64,
    epochs: usize,
) -> (Tensor, Tensor) {
    let (mut b, mut w) = (Param::new(b), Param::new(w));
    let mut opt = Sgd::new(lr);
    for _ in 0..epochs {
        b.zero_grad();
        w.zero_grad();
        tensor_mse_vjp(x, y, &b.value, &w.value, Tensor::scalar(1.0f32), &mut b.grad, &mut w.grad);
        opt.step(&mut [&mut b, &mut w]);
    }
    (b.value, w.value)
}

/// The same training loop with the gradient written by hand.
pub fn train_hand(
    mut b: f64,
    mut w: f64,
    x: &[f64],
    y: &[f64],
    lr: f64,
    epochs: usize,
) -> (f64, f64) {
    let n = x.len() as f64;
    for _ in 0..epochs {
        let (mut sum_e, mut sum_ex) = (0.0, 0.0);
        for (xi, yi) in x.iter().zip(y) {
            let e = b + w * xi - yi;
            sum_e += e;
            sum_ex += e * xi;
        }
        b -= lr * 2.0 * sum_e / n;
        w -= lr * 2.0 * sum_ex / n;
    }
    (b, w)
}

/// [`train_hand`] computing each epoch's loss too, as a PyTorch training loop does
/// (`loss = mse(..); loss.backward()`) and as `mse_vjp` must (it returns the value): `(b, w)`
/// and the last loss.
pub fn train_hand_with_loss(
    mut b: f64,
    mut w: f64,
    x: &[f64],
    y: &[f64],
    lr: f64,
    epochs: usize,
) -> (f64, f64, f64) {
    let n = x.len() as f64;
    let mut loss = 0.0;
    for _ in 0..epochs {
        let (mut sum_e, mut sum_ex, mut sum_ee) = (0.0, 0.0, 0.0);
        for (xi, yi) in x.iter().zip(y) {
            let e = b + w * xi - yi;
            sum_ee += e * e;
            sum_e += e;
            sum_ex += e * xi;
        }
        loss = sum_ee / n;
        b -= lr * 2.0 * sum_e / n;
        w -= lr * 2.0 * sum_ex / n;
    }
    (b, w, loss)
}

/// The least-squares line through the points: `(b, w)`.
pub fn closed_form(x: &[f64], y: &[f64]) -> (f64, f64) {
    let n = x.len() as f64;
    let (mx, my) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
    let sxy: f64 = x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum();
    let sxx: f64 = x.iter().map(|a| (a - mx) * (a - mx)).sum();
    let w = sxy / sxx;
    (my - w * mx, w)
}

/// 100 points of `y = 1 + 2x + 0.1·noise` with x uniform in [0, 1); the first 80 train.
pub fn data() -> (Vec<f64>, Vec<f64>) {
    let mut state = 42u64 | 1;
    let mut uniform = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let x: Vec<f64> = (0..100).map(|_| uniform()).collect();
    let y = x
        .iter()
        .map(|xi| {
            // Box-Muller: a standard normal from two uniforms
            let (u1, u2) = (uniform().max(1e-12), uniform());
            let noise = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
            1.0 + 2.0 * xi + 0.1 * noise
        })
        .collect();
    (x, y)
}

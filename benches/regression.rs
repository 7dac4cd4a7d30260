//! SEEDS S11: 1000 epochs of linear regression by gradient descent, gradients from the macro
//! and `Sgd`, against the same loop written by hand. `cargo bench --bench regression` prints the
//! ratio (DESIGN.md: within 1.2x of hand-written; candle 100x, PyTorch 1860x slower than hand),
//! and the ratio to a hand-written loop that also computes each epoch's loss, as `mse_vjp` does
//! (it returns the value) and a PyTorch loop does.

#[path = "common/ratios.rs"]
mod ratios;
#[path = "common/regression.rs"]
mod regression;

use criterion::Criterion;
use std::hint::black_box;

fn main() {
    let (x, y) = regression::data();
    let (x, y) = (&x[..80], &y[..80]);
    let mut c = Criterion::default().configure_from_args();
    let mut group = c.benchmark_group("regression");
    group.bench_function("ours", |b| {
        b.iter(|| regression::train(black_box(0.3), 0.7, x, y, 0.1, 1000))
    });
    group.bench_function("hand", |b| {
        b.iter(|| regression::train_hand(black_box(0.3), 0.7, x, y, 0.1, 1000))
    });
    group.bench_function("hand_with_loss", |b| {
        b.iter(|| regression::train_hand_with_loss(black_box(0.3), 0.7, x, y, 0.1, 1000))
    });
    group.finish();
    c.final_summary();
    ratios::print_ratios("regression", &[("ours", "hand"), ("ours", "hand_with_loss")]);
}

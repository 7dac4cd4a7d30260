//! Rosenbrock's function, n = 10,000: our reverse-mode gradient and forward-mode directional
//! derivative against the primal and a hand-written analytic gradient, in one run.
//! `cargo bench --bench rosenbrock` prints the ratios (DESIGN.md: gradient at most 1.1x the
//! hand-written one and 3x the primal; forward mode at most 1.5x the primal), and forward mode
//! against a hand-written directional derivative; the Hessian-vector product `f_hvp` against
//! `f_vjp` (issue: at most 3x) and against a hand-written HVP (Rosenbrock's Hessian is
//! tridiagonal, in closed form).

#[path = "common/ratios.rs"]
mod ratios;

use autodiff::prelude::*;
use criterion::Criterion;
use std::hint::black_box;

#[differentiable(hessian)]
fn rosenbrock(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() - 1 {
        let a = x[i + 1] - x[i] * x[i];
        let b = 1.0 - x[i];
        s += 100.0 * a * a + b * b;
    }
    s
}

/// The same function as idiomatic Rust writes it, over the windows of two.
#[differentiable]
fn rosenbrock_windows(x: &[f64]) -> f64 {
    x.windows(2).map(|w| 100.0 * (w[1] - w[0] * w[0]).powi(2) + (1.0 - w[0]).powi(2)).sum()
}

/// The hand-written gradient: value and gradient in one pass, ADDING into `g`.
fn rosenbrock_hand(x: &[f64], g: &mut [f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() - 1 {
        let a = x[i + 1] - x[i] * x[i];
        let b = 1.0 - x[i];
        s += 100.0 * a * a + b * b;
        g[i] += -400.0 * x[i] * a - 2.0 * b;
        g[i + 1] += 200.0 * a;
    }
    s
}

/// The hand-written directional derivative: value and `∇f · d` in one pass.
fn rosenbrock_hand_jvp(x: &[f64], d: &[f64]) -> (f64, f64) {
    let (mut s, mut ds) = (0.0, 0.0);
    for i in 0..x.len() - 1 {
        let a = x[i + 1] - x[i] * x[i];
        let da = d[i + 1] - 2.0 * x[i] * d[i];
        let b = 1.0 - x[i];
        s += 100.0 * a * a + b * b;
        ds += 200.0 * a * da - 2.0 * b * d[i];
    }
    (s, ds)
}

/// The hand-written Hessian-vector product, with what `f_hvp` also gives: the value, `∇f · d`,
/// the gradient ADDED into `g` and `H·d` ADDED into `hd`.
fn rosenbrock_hand_hvp(x: &[f64], d: &[f64], g: &mut [f64], hd: &mut [f64]) -> (f64, f64) {
    let (mut s, mut ds) = (0.0, 0.0);
    for i in 0..x.len() - 1 {
        let a = x[i + 1] - x[i] * x[i];
        let da = d[i + 1] - 2.0 * x[i] * d[i];
        let b = 1.0 - x[i];
        s += 100.0 * a * a + b * b;
        ds += 200.0 * a * da - 2.0 * b * d[i];
        g[i] += -400.0 * x[i] * a - 2.0 * b;
        g[i + 1] += 200.0 * a;
        hd[i] += (1200.0 * x[i] * x[i] - 400.0 * x[i + 1] + 2.0) * d[i] - 400.0 * x[i] * d[i + 1];
        hd[i + 1] += -400.0 * x[i] * d[i] + 200.0 * d[i + 1];
    }
    (s, ds)
}

fn main() {
    let n = 10_000;
    let x: Vec<f64> = (0..n).map(|i| 0.5 * (i as f64 * 0.37).sin() + 0.2).collect();
    let direction: Vec<f64> = (0..n).map(|i| (i as f64 * 0.11).cos()).collect();
    let mut g = vec![0.0; n];
    let mut c = Criterion::default().configure_from_args();
    let mut group = c.benchmark_group("rosenbrock");
    group.bench_function("primal", |b| b.iter(|| rosenbrock(black_box(&x))));
    group.bench_function("hand", |b| {
        b.iter(|| {
            g.fill(0.0);
            rosenbrock_hand(black_box(&x), &mut g)
        })
    });
    group.bench_function("vjp", |b| {
        b.iter(|| {
            g.fill(0.0);
            rosenbrock_vjp(black_box(&x), 1.0, &mut g)
        })
    });
    // `f_grad` allocates its gradient and returns it, as a user calls it
    group.bench_function("grad", |b| b.iter(|| rosenbrock_grad(black_box(&x))));
    group.bench_function("vjp_windows", |b| {
        b.iter(|| {
            g.fill(0.0);
            rosenbrock_windows_vjp(black_box(&x), 1.0, &mut g)
        })
    });
    group
        .bench_function("jvp", |b| b.iter(|| rosenbrock_jvp(black_box(&x), black_box(&direction))));
    group.bench_function("hand_jvp", |b| {
        b.iter(|| rosenbrock_hand_jvp(black_box(&x), black_box(&direction)))
    });
    let mut hd = vec![0.0; n];
    group.bench_function("hvp", |b| {
        b.iter(|| {
            g.fill(0.0);
            hd.fill(0.0);
            rosenbrock_hvp(black_box(&x), black_box(&direction), 1.0, &mut g, &mut hd)
        })
    });
    group.bench_function("hand_hvp", |b| {
        b.iter(|| {
            g.fill(0.0);
            hd.fill(0.0);
            rosenbrock_hand_hvp(black_box(&x), black_box(&direction), &mut g, &mut hd)
        })
    });
    group.finish();
    c.final_summary();
    ratios::print_ratios(
        "rosenbrock",
        &[
            ("vjp", "hand"),
            ("grad", "hand"),
            ("vjp_windows", "hand"),
            ("vjp", "primal"),
            ("hand", "primal"),
            ("jvp", "primal"),
            ("jvp", "hand_jvp"),
            ("hand_jvp", "primal"),
            ("hvp", "vjp"),
            ("hvp", "hand_hvp"),
            ("hand_hvp", "hand"),
        ],
    );
}

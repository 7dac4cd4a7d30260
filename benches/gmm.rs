//! The ADBench GMM objective (d = 10, k = 25, n = 1000): our reverse-mode gradient and forward
//! directional derivative against the primal and a hand-written analytic gradient, in one run.
//! `cargo bench --bench gmm` prints the ratios (DESIGN.md: gradient at most 1.1x hand-written
//! and 3x the primal; JAX's jit(grad) runs in 0.41x a scalar-loop hand-written gradient), and
//! the Hessian-vector product `f_hvp` against `f_vjp` (issue: at most 3x). The same objective
//! written with reused scratch buffers (`common/gmm_natural.rs`, as ADBench's C++ is written)
//! against a hand-written gradient in the same style.

#[path = "common/gmm.rs"]
mod gmm;
#[path = "common/gmm_natural.rs"]
mod gmm_natural;
#[path = "common/ratios.rs"]
mod ratios;

use criterion::Criterion;
use gmm::{gmm_gradient_hand, gmm_input, gmm_objective, gmm_objective_jvp, gmm_objective_vjp};
use std::hint::black_box;

fn main() {
    let (d, k, n, gamma, m) = (10, 25, 1000, 1.0, 0);
    let (alphas, means, icf, x) = gmm_input(d, k, n);
    let (mut ga, mut gm, mut gq) =
        (vec![0.0; alphas.len()], vec![0.0; means.len()], vec![0.0; icf.len()]);
    let (va, vm, vq) = (vec![0.1; alphas.len()], vec![0.2; means.len()], vec![0.3; icf.len()]);
    let mut c = Criterion::default().configure_from_args().sample_size(20);
    let mut group = c.benchmark_group("gmm");
    group.bench_function("primal", |b| {
        b.iter(|| gmm_objective(black_box(&alphas), &means, &icf, &x, d, k, gamma, m))
    });
    group.bench_function("hand", |b| {
        b.iter(|| {
            ga.fill(0.0);
            gm.fill(0.0);
            gq.fill(0.0);
            gmm_gradient_hand(
                black_box(&alphas),
                &means,
                &icf,
                &x,
                d,
                k,
                gamma,
                m,
                &mut ga,
                &mut gm,
                &mut gq,
            )
        })
    });
    group.bench_function("vjp", |b| {
        b.iter(|| {
            ga.fill(0.0);
            gm.fill(0.0);
            gq.fill(0.0);
            gmm_objective_vjp(
                black_box(&alphas),
                &means,
                &icf,
                &x,
                d,
                k,
                gamma,
                m,
                1.0,
                &mut ga,
                &mut gm,
                &mut gq,
            )
        })
    });
    group.bench_function("jvp", |b| {
        b.iter(|| {
            gmm_objective_jvp(black_box(&alphas), &means, &icf, &x, d, k, gamma, m, &va, &vm, &vq)
        })
    });
    group.bench_function("natural_primal", |b| {
        b.iter(|| gmm_natural::gmm_natural(black_box(&alphas), &means, &icf, &x, d, k, gamma, m))
    });
    group.bench_function("natural_hand", |b| {
        b.iter(|| {
            ga.fill(0.0);
            gm.fill(0.0);
            gq.fill(0.0);
            gmm_natural::gmm_natural_gradient_hand(
                black_box(&alphas),
                &means,
                &icf,
                &x,
                d,
                k,
                gamma,
                m,
                &mut ga,
                &mut gm,
                &mut gq,
            )
        })
    });
    group.bench_function("natural_vjp", |b| {
        b.iter(|| {
            ga.fill(0.0);
            gm.fill(0.0);
            gq.fill(0.0);
            gmm_natural::gmm_natural_vjp(
                black_box(&alphas),
                &means,
                &icf,
                &x,
                d,
                k,
                gamma,
                m,
                1.0,
                &mut ga,
                &mut gm,
                &mut gq,
            )
        })
    });
    let (mut na, mut nm, mut nq) =
        (vec![0.0; alphas.len()], vec![0.0; means.len()], vec![0.0; icf.len()]);
    group.bench_function("natural_hvp", |b| {
        b.iter(|| {
            for buffer in [&mut ga, &mut gm, &mut gq, &mut na, &mut nm, &mut nq] {
                buffer.fill(0.0);
            }
            gmm_natural::gmm_natural_hvp(
                black_box(&alphas),
                &means,
                &icf,
                &x,
                d,
                k,
                gamma,
                m,
                &va,
                &vm,
                &vq,
                1.0,
                &mut ga,
                &mut gm,
                &mut gq,
                &mut na,
                &mut nm,
                &mut nq,
            )
        })
    });
    let (mut ha, mut hm, mut hq) =
        (vec![0.0; alphas.len()], vec![0.0; means.len()], vec![0.0; icf.len()]);
    group.bench_function("hvp", |b| {
        b.iter(|| {
            for buffer in [&mut ga, &mut gm, &mut gq, &mut ha, &mut hm, &mut hq] {
                buffer.fill(0.0);
            }
            gmm::gmm_objective_hvp(
                black_box(&alphas),
                &means,
                &icf,
                &x,
                d,
                k,
                gamma,
                m,
                &va,
                &vm,
                &vq,
                1.0,
                &mut ga,
                &mut gm,
                &mut gq,
                &mut ha,
                &mut hm,
                &mut hq,
            )
        })
    });
    group.finish();
    c.final_summary();
    ratios::print_ratios(
        "gmm",
        &[
            ("vjp", "hand"),
            ("vjp", "primal"),
            ("hand", "primal"),
            ("jvp", "primal"),
            ("hvp", "vjp"),
            ("natural_vjp", "natural_hand"),
            ("natural_vjp", "natural_primal"),
            ("natural_hand", "natural_primal"),
            ("natural_hvp", "natural_vjp"),
        ],
    );
}

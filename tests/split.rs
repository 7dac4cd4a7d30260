//! Calls in split mode: a differentiable callee handed `&mut` state runs once per call of its
//! caller's `_vjp`/`_grad` (its `_pullback` keeps what its adjoint needs), and the gradient is
//! the derivative along the same random stream (checked against central differences over a
//! generator started from the same seed).

use autodiff::prelude::*;

mod common;
use common::{central_difference, check_tensor_gradient};

/// A counter that tells how often it was drawn from.
pub struct Counter(f64);

impl Counter {
    pub fn tick(&mut self) -> f64 {
        self.0 += 1.0;
        self.0
    }
}

#[differentiable]
fn scaled_draw(a: f64, c: &mut Counter) -> f64 {
    a * c.tick()
}

/// `s = Π a·z_k` with `z = 1, 2`: `2a²`.
#[differentiable]
fn two_draws(a: f64, c: &mut Counter) -> f64 {
    let mut s = 1.0;
    for _ in 0..2 {
        s *= scaled_draw(a, c);
    }
    s
}

#[test]
fn a_callee_handed_state_runs_once_per_gradient() {
    let mut c = Counter(0.0);
    let (v, g) = two_draws_grad(3.0, &mut c);
    assert_eq!(v, 18.0);
    assert_eq!(g, 12.0); // d(2a²)/da at 3
    assert_eq!(c.0, 2.0, "two draws, as the primal makes");

    let mut c = Counter(0.0);
    let mut a_bar = 0.0;
    let v = two_draws_vjp(3.0, &mut c, 2.0, &mut a_bar);
    assert_eq!((v, a_bar, c.0), (18.0, 24.0, 2.0));

    let mut c = Counter(0.0);
    let (v, d) = two_draws_jvp(3.0, &mut c, 1.0);
    assert_eq!((v, d, c.0), (18.0, 12.0, 2.0));
}

#[test]
fn the_pullback_is_the_split_form_of_vjp() {
    let mut c = Counter(4.0);
    let (v, pullback) = scaled_draw_pullback(2.0, &mut c);
    assert_eq!((v, c.0), (10.0, 5.0));
    // the state may be used again before the pullback runs
    assert_eq!(c.tick(), 6.0);
    let mut a_bar = 1.0;
    pullback(3.0, &mut a_bar);
    assert_eq!(a_bar, 1.0 + 3.0 * 5.0);
}

/// A linear congruential generator with a uniform draw in [0, 1).
#[derive(Clone)]
pub struct Lcg(u64);

impl Lcg {
    pub fn uniform(&mut self) -> f64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A standard normal draw (Box–Muller, one of the pair).
    pub fn normal(&mut self) -> f64 {
        let (u, v) = (self.uniform().max(1e-12), self.uniform());
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }
}

/// One path of geometric Brownian motion, in `steps` steps over one year: its end value.
#[differentiable]
fn path_end(s0: f64, sigma: f64, rate: f64, steps: usize, rng: &mut Lcg) -> f64 {
    let dt = 1.0 / steps as f64;
    let mut s = s0;
    for _ in 0..steps {
        let z = rng.normal();
        s *= ((rate - 0.5 * sigma * sigma) * dt + sigma * dt.sqrt() * z).exp();
    }
    s
}

/// A European call by Monte Carlo, written as a quant would: a helper per path.
#[differentiable(wrt(s0, sigma))]
fn call_price(s0: f64, sigma: f64, strike: f64, paths: usize, rng: &mut Lcg) -> f64 {
    let rate = 0.02;
    let mut total = 0.0;
    for _ in 0..paths {
        let end = path_end(s0, sigma, rate, 8, rng);
        if end > strike {
            total += end - strike;
        }
    }
    (-rate).exp() * total / paths as f64
}

#[test]
fn monte_carlo_greeks_through_a_helper_match_differences_along_the_same_stream() {
    let (s0, sigma, strike, paths) = (100.0, 0.25, 105.0, 200);
    let mut rng = Lcg(7);
    let (price, (delta, vega)) = call_price_grad(s0, sigma, strike, paths, &mut rng);
    let mut fresh = Lcg(7);
    let primal = call_price(s0, sigma, strike, paths, &mut fresh);
    assert_eq!(price, primal);
    assert_eq!(rng.0, fresh.0, "the gradient draws exactly what the price draws");
    let fd_delta = central_difference(|s| call_price(s, sigma, strike, paths, &mut Lcg(7)), s0);
    let fd_vega = central_difference(|v| call_price(s0, v, strike, paths, &mut Lcg(7)), sigma);
    assert!((delta - fd_delta).abs() < 1e-5 * (1.0 + fd_delta.abs()), "{delta} vs {fd_delta}");
    assert!((vega - fd_vega).abs() < 1e-5 * (1.0 + fd_vega.abs()), "{vega} vs {fd_vega}");
    assert!(delta > 0.0 && vega > 0.0);
}

/// A callee in one arm of a branch: its pullback is handed over from the arm taken.
#[differentiable]
fn noisy_branch(x: f64, rng: &mut Lcg) -> f64 {
    if x > 0.0 { scaled_normal(x, rng) * x } else { x * x }
}

#[differentiable]
fn scaled_normal(x: f64, rng: &mut Lcg) -> f64 {
    x * rng.normal()
}

#[test]
fn a_callee_in_a_branch_arm_runs_once() {
    for x in [-1.5, 0.7] {
        let mut rng = Lcg(3);
        let (v, g) = noisy_branch_grad(x, &mut rng);
        let mut fresh = Lcg(3);
        assert_eq!(v, noisy_branch(x, &mut fresh));
        assert_eq!(rng.0, fresh.0);
        let fd = central_difference(|x| noisy_branch(x, &mut Lcg(3)), x);
        assert!((g - fd).abs() < 1e-6 * (1.0 + fd.abs()), "{g} vs {fd} at {x}");
    }
}

/// A callee counting its calls in a `&mut usize`: counted once, as by the primal.
#[differentiable(wrt(x))]
fn counted_cubes(x: &[f64], calls: &mut usize) -> f64 {
    *calls += 1;
    let mut s = 0.0;
    for v in x.iter() {
        s += v * v * v;
    }
    s
}

#[differentiable(wrt(x))]
fn cubes_twice(x: &[f64], calls: &mut usize) -> f64 {
    2.0 * counted_cubes(x, calls)
}

#[test]
fn a_callee_counting_its_calls_counts_once() {
    let x = [1.0, 2.0, 3.0];
    let mut calls = 0;
    let (v, g) = cubes_twice_grad(&x, &mut calls);
    assert_eq!(v, 72.0);
    assert_eq!(g, vec![6.0, 24.0, 54.0]);
    assert_eq!(calls, 1);
}

/// A generator behind a trait, as a simulation library would take it.
pub trait Draw {
    fn draw(&mut self) -> f64;
}

impl Draw for Lcg {
    fn draw(&mut self) -> f64 {
        self.normal()
    }
}

/// Langevin dynamics of a particle in a quadratic well, the noise from a generic source, the
/// positions logged into a `Vec` the caller owns; explicit lifetimes.
#[differentiable]
fn langevin<'a, R: Draw>(
    k: f64,
    x0: &'a [f64; 2],
    weights: &'a [f64],
    rng: &mut R,
    log: &mut Vec<f64>,
) -> f64 {
    let dt = 0.01;
    let mut x = x0[0];
    let mut v = x0[1];
    for w in weights.iter() {
        let kick = rng.draw();
        v += -k * x * dt + 0.1 * dt.sqrt() * kick * w;
        x += v * dt;
        log.push(detach(x));
    }
    x * x + v
}

#[differentiable(wrt(k, x0))]
fn mean_energy<R: Draw>(k: f64, x0: &[f64; 2], weights: &[f64], rng: &mut R) -> f64 {
    let mut log = Vec::new();
    let mut total = 0.0;
    for _ in 0..3 {
        total += langevin(k, x0, weights, rng, &mut log);
    }
    total / 3.0 + log.len() as f64
}

#[test]
fn generic_state_explicit_lifetimes_and_logs_the_caller_owns() {
    let weights: Vec<f64> = (0..20).map(|i| 1.0 + 0.01 * i as f64).collect();
    let (k, x0) = (2.0, [0.5, -0.2]);
    let mut rng = Lcg(11);
    let (v, (gk, gx)) = mean_energy_grad(k, &x0, &weights, &mut rng);
    let mut fresh = Lcg(11);
    assert_eq!(v, mean_energy(k, &x0, &weights, &mut fresh));
    assert_eq!(rng.0, fresh.0);
    let fd_k = central_difference(|k| mean_energy(k, &x0, &weights, &mut Lcg(11)), k);
    assert!((gk - fd_k).abs() < 1e-6 * (1.0 + fd_k.abs()), "{gk} vs {fd_k}");
    for i in 0..2 {
        let fd = central_difference(
            |s| {
                let mut y = x0;
                y[i] = s;
                mean_energy(k, &y, &weights, &mut Lcg(11))
            },
            x0[i],
        );
        assert!((gx[i] - fd).abs() < 1e-6 * (1.0 + fd.abs()), "x0[{i}]: {} vs {fd}", gx[i]);
    }
}

/// Checks `f(x, rng)` of one float: the gradient against central differences along the same
/// stream, and that the gradient draws exactly what the primal draws.
fn check_one(
    name: &str,
    x: f64,
    f: impl Fn(f64, &mut Lcg) -> f64,
    grad: impl Fn(f64, &mut Lcg) -> (f64, f64),
) {
    let (mut a, mut b) = (Lcg(5), Lcg(5));
    let (v, g) = grad(x, &mut a);
    assert_eq!(v, f(x, &mut b), "{name}: value");
    assert_eq!(a.0, b.0, "{name}: draws");
    let fd = central_difference(|x| f(x, &mut Lcg(5)), x);
    assert!((g - fd).abs() < 1e-6 * (1.0 + fd.abs()), "{name}: {g} vs {fd}");
}

/// A payoff branch inside the path loop: the arm taken hands its pullback over, moved.
#[differentiable]
fn branch_in_loop(x: f64, rng: &mut Lcg) -> f64 {
    let mut t = 0.0;
    for i in 0..6 {
        if i == 1 {
            continue;
        }
        if x * i as f64 > 1.0 {
            t += scaled_normal(x, rng);
        } else if i == 3 {
            t += if x > 0.0 { scaled_normal(x * x, rng) } else { x };
        }
    }
    t
}

/// A local array and a local `Vec` lent to a callee taking slices; a `Vec` moved in a loop;
/// one callee called twice in an expression with a sub-slice of a parameter.
#[differentiable]
fn noisy_sum(v: &[f64], rng: &mut Lcg) -> f64 {
    v[0] * rng.normal() + v[1] * v[0]
}

#[differentiable]
fn owned_vec(v: Vec<f64>, rng: &mut Lcg) -> f64 {
    v[0] * v[1] * rng.normal()
}

#[differentiable]
fn lends_locals(x: f64, rng: &mut Lcg) -> f64 {
    let a = [x, x * x];
    let mut b: Vec<f64> = vec![0.0; 3];
    b[0] = x.sin();
    b[1] = 2.0 * x;
    let mut t = noisy_sum(&a, rng) + noisy_sum(&b, rng);
    for _ in 0..3 {
        let mut c: Vec<f64> = vec![0.0; 2];
        c[0] = x;
        c[1] = x + 1.0;
        t += owned_vec(c.clone(), rng) * noisy_sum(&c, rng);
    }
    t + noisy_sum(&b[1..], rng)
}

/// Generic state written `impl Trait`, and a callee whose slice and state share a lifetime.
#[differentiable]
fn kick(x: f64, rng: &mut impl Draw) -> f64 {
    x * rng.draw()
}

#[differentiable]
fn shared_lifetime<'a>(v: &'a [f64], rng: &'a mut Lcg) -> f64 {
    v[0] * rng.normal()
}

#[differentiable]
fn impl_and_lifetimes(x: f64, rng: &mut Lcg) -> f64 {
    let v = [x, 1.0];
    kick(x, rng) * shared_lifetime(&v, rng) + shared_lifetime(&v, rng)
}

/// State written in the body: values detached on purpose.
#[differentiable]
fn logs_detached(x: f64, rng: &mut Lcg, log: &mut Vec<f64>, last: &mut f64) -> f64 {
    let y = scaled_normal(x, rng);
    log.push(detach(y));
    *last = detach(y * 2.0);
    y * x
}

#[test]
fn split_calls_in_branches_loops_and_with_lent_locals() {
    for x in [0.4, 1.3] {
        check_one("branch_in_loop", x, branch_in_loop, branch_in_loop_grad);
        check_one("lends_locals", x, lends_locals, lends_locals_grad);
        check_one("impl_and_lifetimes", x, impl_and_lifetimes, impl_and_lifetimes_grad);
    }
    let (mut log, mut last) = (Vec::new(), 0.0);
    let (v, g) = logs_detached_grad(1.5, &mut Lcg(2), &mut log, &mut last);
    let z = Lcg(2).normal();
    assert_eq!((v, log, last), (1.5 * z * 1.5, vec![1.5 * z], 3.0 * z));
    assert!((g - 3.0 * z).abs() < 1e-12);
}

/// Tensor code: a loss of a local inside a function drawing dropout noise, and losses and
/// layers in a branch inside a loop (their pullbacks handed over from the arm).
#[differentiable(wrt(w))]
fn noisy_loss(x: &Tensor, w: &Tensor, y: &Tensor, rng: &mut Lcg) -> Tensor {
    let s: f64 = 1.0 + 0.1 * rng.normal();
    let h = x.matmul(w) * s;
    loss::mse(&h, y)
}

#[differentiable(wrt(w, b))]
fn layers_in_branches(x: &Tensor, w: &Tensor, b: &Tensor, y: &Tensor) -> f64 {
    let mut t = 0.0;
    for i in 0..3 {
        if i == 1 {
            t += loss::mse(&nn::linear(x, w, b), y).item::<f64>();
        } else {
            t += loss::mse_sum(&nn::linear(x, w, b).relu(), y).item::<f64>() * 0.5;
        }
    }
    t
}

#[test]
fn tensor_losses_and_layers_in_split_mode() {
    let x = Tensor::from_vec(vec![0.5f64, -1.0, 2.0, 0.3, 1.1, -0.7], &[2, 3]);
    let w = Tensor::from_vec(vec![0.2f64, -0.4, 0.9, 0.1, 0.3, -0.6], &[2, 3]);
    let b = Tensor::from_vec(vec![0.05f64, -0.1], &[2]);
    let y = Tensor::from_vec(vec![0.3f64, -0.2, 0.8, 0.1], &[2, 2]);
    let (_, (gw, gb)) = layers_in_branches_grad(&x, &w, &b, &y);
    check_tensor_gradient("w", |w| layers_in_branches(&x, w, &b, &y), &w, &gw, 1e-6);
    check_tensor_gradient("b", |b| layers_in_branches(&x, &w, b, &y), &b, &gb, 1e-6);
    let x3 = Tensor::from_vec(vec![0.5f64, -1.0, 2.0, 0.3, 1.1, -0.7], &[3, 2]);
    let w2 = Tensor::from_vec(vec![0.2f64, -0.4, 0.9, 0.1], &[2, 2]);
    let y3 = Tensor::from_vec(vec![0.3f64, -0.2, 0.8, 0.1, 0.0, 0.4], &[3, 2]);
    let (_, g) = noisy_loss_grad(&x3, &w2, &y3, &mut Lcg(9));
    let loss = |w: &Tensor| noisy_loss(&x3, w, &y3, &mut Lcg(9)).item::<f64>();
    check_tensor_gradient("noisy_loss w", loss, &w2, &g, 1e-6);
}

/// A layer with dropout-like noise, called from a function differentiating only its weights:
/// the caller's pullback holds the layer's, which may borrow the input it was lent.
#[differentiable]
fn noisy_layer(h: &Tensor, w: &Tensor, b: &Tensor, rng: &mut Lcg) -> Tensor {
    nn::linear(h, w, b) * (1.0 + 0.1 * rng.uniform())
}

#[differentiable(wrt(w, b))]
fn noisy_network(x: &Tensor, w: &Tensor, b: &Tensor, rng: &mut Lcg) -> Tensor {
    let h = noisy_layer(x, w, b, rng).relu();
    noisy_layer(&h, w, b, rng).sum()
}

#[test]
fn a_tensor_helper_drawing_noise_lent_inputs_and_locals() {
    let x = Tensor::from_vec(vec![0.5f64, -1.0, 2.0, 0.3], &[2, 2]);
    let w = Tensor::from_vec(vec![0.2f64, -0.4, 0.9, 0.1], &[2, 2]);
    let b = Tensor::from_vec(vec![0.05f64, -0.1], &[2]);
    let (mut rng, mut fresh) = (Lcg(4), Lcg(4));
    let (v, (gw, gb)) = noisy_network_grad(&x, &w, &b, &mut rng);
    assert_eq!(v.item::<f64>(), noisy_network(&x, &w, &b, &mut fresh).item::<f64>());
    assert_eq!(rng.0, fresh.0);
    let at = |w: &Tensor, b: &Tensor| noisy_network(&x, w, b, &mut Lcg(4)).item::<f64>();
    check_tensor_gradient("w", |w| at(w, &b), &w, &gw, 1e-6);
    check_tensor_gradient("b", |b| at(&w, b), &b, &gb, 1e-6);
}

/// How often `counted_layer` ran.
static LAYER_RUNS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// A layer of the user's own, with a split form (`split`), differentiable twice.
#[differentiable(split, hessian)]
fn counted_layer(h: &Tensor, w: &Tensor, b: &Tensor) -> Tensor {
    LAYER_RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    nn::linear(h, w, b).tanh()
}

/// A network calling it in split mode on request (`split(counted_layer)`), twice, and its
/// twin calling it in joint mode.
#[differentiable(wrt(w, b), split(counted_layer), hessian)]
fn split_network(x: &Tensor, w: &Tensor, b: &Tensor) -> Tensor {
    let h = counted_layer(x, w, b);
    counted_layer(&h, w, b).sum()
}

#[differentiable(wrt(w, b))]
fn joint_network(x: &Tensor, w: &Tensor, b: &Tensor) -> Tensor {
    let h = counted_layer(x, w, b);
    counted_layer(&h, w, b).sum()
}

#[test]
fn your_own_function_in_split_mode_on_request_runs_once() {
    use std::sync::atomic::Ordering::Relaxed;
    let x = Tensor::from_vec(vec![0.5f64, -1.0, 2.0, 0.3], &[2, 2]);
    let w = Tensor::from_vec(vec![0.2f64, -0.4, 0.9, 0.1], &[2, 2]);
    let b = Tensor::from_vec(vec![0.05f64, -0.1], &[2]);
    let before = LAYER_RUNS.load(Relaxed);
    let (v, (gw, gb)) = split_network_grad(&x, &w, &b);
    let split_runs = LAYER_RUNS.load(Relaxed) - before;
    let before = LAYER_RUNS.load(Relaxed);
    let (v2, (gw2, gb2)) = joint_network_grad(&x, &w, &b);
    let joint_runs = LAYER_RUNS.load(Relaxed) - before;
    // two calls: each runs once in split mode, twice in joint mode (its `_vjp` runs it again)
    assert_eq!((split_runs, joint_runs), (2, 4));
    assert_eq!(v.item::<f64>(), v2.item::<f64>());
    assert_eq!(
        (gw.to_vec::<f64>(), gb.to_vec::<f64>()),
        (gw2.to_vec::<f64>(), gb2.to_vec::<f64>())
    );
    check_tensor_gradient("w", |w| split_network(&x, w, &b).item::<f64>(), &w, &gw, 1e-6);
    let w0 = w.to_vec::<f64>();
    // second order goes through the layer's `_hvp`: H·v against differences of the gradient
    let (v_w, v_b) = (Tensor::from_vec(vec![1.0f64, -0.5, 0.25, 2.0], &[2, 2]), b.zero_like());
    let (mut g_w, mut g_b) = (w.zero_like(), b.zero_like());
    let (mut h_w, mut h_b) = (w.zero_like(), b.zero_like());
    split_network_hvp(
        &x,
        &w,
        &b,
        &v_w,
        &v_b,
        Tensor::scalar(1.0f64),
        &mut g_w,
        &mut g_b,
        &mut h_w,
        &mut h_b,
    );
    let step = 1e-6;
    let moved = |s: f64| {
        let p: Vec<f64> = w0.iter().zip(v_w.to_vec::<f64>()).map(|(a, d)| a + s * d).collect();
        split_network_grad(&x, &Tensor::from_vec(p, &[2, 2]), &b).1.0.to_vec::<f64>()
    };
    let (up, down) = (moved(step), moved(-step));
    for (i, h) in h_w.to_vec::<f64>().iter().enumerate() {
        let fd = (up[i] - down[i]) / (2.0 * step);
        assert!((h - fd).abs() < 1e-5 * (1.0 + fd.abs()), "Hv[{i}]: {h} vs {fd}");
    }
}

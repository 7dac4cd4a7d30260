//! Nothing runs twice that can observe it: calls the reverse sweep cannot see into (methods on
//! `&mut` state such as a random number generator, calls whose arguments are all inactive,
//! `detach(..)`, `no_grad(|| ..)`) run exactly once per call of `f_vjp`/`f_grad`, their results
//! kept from the forward sweep, wherever they stand: loops of every form, branch conditions,
//! loop heads.

// Written as users write them: `s = s * a`, index loops, a counter's own `next`.
#![allow(clippy::assign_op_pattern, clippy::needless_range_loop, clippy::should_implement_trait)]

use autodiff::prelude::*;

mod common;

/// Counts its draws: the value drawn is the count.
pub struct Counter(f64);

impl Counter {
    pub fn next(&mut self) -> f64 {
        self.0 += 1.0;
        self.0
    }
}

#[differentiable]
fn two_draws(a: f64, c: &mut Counter) -> f64 {
    let mut s = 1.0;
    for _ in 0..2 {
        let z = c.next();
        s = s * a * z;
    }
    s
}

#[test]
fn a_method_on_mut_state_in_a_for_loop_runs_once() {
    // s = a·1·a·2 = 2a², d/da = 4a.
    let mut c = Counter(0.0);
    let (value, grad) = two_draws_grad(3.0, &mut c);
    assert_eq!((value, grad), (18.0, 12.0));
    assert_eq!(c.0, 2.0, "the counter advanced twice, once per draw");
    let mut c = Counter(0.0);
    assert_eq!(two_draws_jvp(3.0, &mut c, 1.0), (18.0, 12.0));
    assert_eq!(c.0, 2.0);
}

impl Counter {
    /// How many steps to take: reads and advances the counter.
    pub fn steps(&mut self) -> usize {
        self.0 += 1.0;
        2
    }
}

/// Checks `f(a, counter)` from a fresh counter each time: gradient against central
/// differences, forward against reverse, and that `f_grad` advances the counter exactly as far
/// as `f` does.
fn check_counted(
    name: &str,
    f: fn(f64, &mut Counter) -> f64,
    grad: fn(f64, &mut Counter) -> (f64, f64),
    jvp: fn(f64, &mut Counter, f64) -> (f64, f64),
    expected: impl Fn(f64) -> f64,
) {
    for a in [0.7, 1.3, -2.1] {
        let mut c = Counter(0.0);
        let value = f(a, &mut c);
        let draws = c.0;
        let mut c = Counter(0.0);
        let (v, g) = grad(a, &mut c);
        assert_eq!(v.to_bits(), value.to_bits(), "{name}: f_grad's value");
        assert_eq!(c.0, draws, "{name}: f_grad advanced the counter {} times, f {draws}", c.0);
        let mut c = Counter(0.0);
        let (v, t) = jvp(a, &mut c, 1.0);
        assert_eq!(v.to_bits(), value.to_bits(), "{name}: f_jvp's value");
        assert_eq!(c.0, draws, "{name}: f_jvp advanced the counter {} times, f {draws}", c.0);
        let h = 1e-6;
        let fd = (f(a + h, &mut Counter(0.0)) - f(a - h, &mut Counter(0.0))) / (2.0 * h);
        let exact = expected(a);
        let tol = 1e-6 * exact.abs().max(1.0);
        assert!((g - exact).abs() <= tol, "{name} at {a}: f_grad {g}, closed form {exact}");
        assert!((t - exact).abs() <= tol, "{name} at {a}: f_jvp {t}, closed form {exact}");
        assert!((fd - exact).abs() <= 1e-4 * exact.abs().max(1.0), "{name}: {fd} vs {exact}");
    }
}

#[differentiable]
fn draws_in_a_while_loop(a: f64, c: &mut Counter) -> f64 {
    let mut s = 1.0;
    let mut k = 0;
    while k < 3 {
        let z = c.next();
        s = s * a * z;
        k += 1;
    }
    s
}

#[differentiable]
fn draws_until_large(a: f64, c: &mut Counter) -> f64 {
    let mut s = a;
    loop {
        let z = c.next();
        s = s * z + a.sin();
        if z >= 3.0 {
            break;
        }
    }
    s
}

#[differentiable]
fn detached_draws(a: f64, c: &mut Counter) -> f64 {
    let mut s = 0.0;
    for _ in 0..3 {
        let z = detach(c.next());
        s = (s + z * a).sin();
    }
    s
}

#[differentiable]
fn no_grad_draws(a: f64, c: &mut Counter) -> f64 {
    let mut s = a;
    for _ in 0..3 {
        let z = no_grad(|| c.next() * 0.5);
        s = s * s * z;
    }
    s
}

#[differentiable]
fn draws_choose_the_arm(a: f64, c: &mut Counter) -> f64 {
    let mut s = a;
    for _ in 0..4 {
        if c.next() > 2.5 {
            s = s * a;
        } else {
            s = s * s + a;
        }
    }
    s
}

#[differentiable]
fn draws_in_a_guard(a: f64, c: &mut Counter) -> f64 {
    let mut s = a;
    for k in 0..4 {
        s = match k {
            j if c.next() > 2.5 => s * a + j as f64,
            _ => s * s * a,
        };
    }
    s
}

#[differentiable]
fn draws_the_trip_count(a: f64, c: &mut Counter) -> f64 {
    let mut s = a;
    for _ in 0..c.steps() {
        s = (s * a).sin();
    }
    s
}

fn two_draws_plain(a: f64, c: &mut Counter) -> f64 {
    two_draws(a, c)
}

#[test]
fn methods_on_mut_state_run_once_in_every_loop_form() {
    check_counted("for", two_draws_plain, two_draws_grad, two_draws_jvp, |a| 4.0 * a);
    // s = a·1·a·2·a·3 = 6a³
    check_counted(
        "while",
        draws_in_a_while_loop,
        draws_in_a_while_loop_grad,
        draws_in_a_while_loop_jvp,
        |a| 18.0 * a * a,
    );
    // s = ((a·1 + sin a)·2 + sin a)·3 + sin a = 6a + 10 sin a
    check_counted("loop", draws_until_large, draws_until_large_grad, draws_until_large_jvp, |a| {
        6.0 + 10.0 * a.cos()
    });
}

#[test]
fn detach_and_no_grad_of_draws_run_once() {
    // s1 = sin(a), s2 = sin(s1 + 2a), s3 = sin(s2 + 3a)
    let detached = |a: f64| {
        let (s1, d1) = (a.sin(), a.cos());
        let (s2, d2) = ((s1 + 2.0 * a).sin(), (s1 + 2.0 * a).cos() * (d1 + 2.0));
        let _ = s2;
        (s2 + 3.0 * a).cos() * (d2 + 3.0)
    };
    check_counted("detach", detached_draws, detached_draws_grad, detached_draws_jvp, detached);
    // s = a² · 0.5 -> (a²·0.5)²·1 -> (a⁴/4)²·1.5 = 1.5 a⁸ / 16
    check_counted("no_grad", no_grad_draws, no_grad_draws_grad, no_grad_draws_jvp, |a| {
        12.0 * a.powi(7) / 16.0
    });
}

#[test]
fn draws_in_conditions_and_loop_heads_run_once() {
    // draws 1, 2: s = s² + a twice; draws 3, 4: s = s·a twice.
    let arms = |a: f64| {
        let (s1, d1) = (a * a + a, 2.0 * a + 1.0);
        let (s2, d2) = (s1 * s1 + a, 2.0 * s1 * d1 + 1.0);
        // s4 = s2·a², d/da = d2·a² + 2 s2 a
        d2 * a * a + 2.0 * s2 * a
    };
    check_counted(
        "if",
        draws_choose_the_arm,
        draws_choose_the_arm_grad,
        draws_choose_the_arm_jvp,
        arms,
    );
    // k = 0, 1: s = s²·a; k = 2, 3: s = s·a + k.
    let guard = |a: f64| {
        let (s1, d1) = (a * a * a, 3.0 * a * a);
        let (s2, d2) = (s1 * s1 * a, 2.0 * s1 * d1 * a + s1 * s1);
        let (s3, d3) = (s2 * a + 2.0, d2 * a + s2);
        d3 * a + s3
    };
    check_counted("guard", draws_in_a_guard, draws_in_a_guard_grad, draws_in_a_guard_jvp, guard);
    // two steps: s = sin(sin(a²)·a)
    let steps = |a: f64| {
        let u = (a * a).sin();
        let du = (a * a).cos() * 2.0 * a;
        (u * a).cos() * (du * a + u)
    };
    check_counted(
        "range head",
        draws_the_trip_count,
        draws_the_trip_count_grad,
        draws_the_trip_count_jvp,
        steps,
    );
}

/// A xorshift generator kept in a plain `u64`, as a quant's code might: a function of `&mut`
/// state, called with only inactive arguments.
fn uniform(state: &mut u64) -> f64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    (*state >> 11) as f64 / (1u64 << 53) as f64
}

#[differentiable]
fn jittered_sum(x: &[f64], state: &mut u64) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() {
        let u = uniform(state);
        s += (x[i] * u).sin() * x[i];
    }
    s
}

#[test]
fn a_plain_function_of_mut_state_runs_once() {
    let x = [0.3, -1.2, 0.8, 2.0];
    let f = |x: &[f64]| jittered_sum(x, &mut 7);
    let vjp = |x: &[f64], seed: f64, g: &mut [f64]| jittered_sum_vjp(x, &mut 7, seed, g);
    let jvp = |x: &[f64], d: &[f64]| jittered_sum_jvp(x, &mut 7, d);
    common::check("jittered_sum", f, vjp, jvp, &x);
    // The closed form, with the same draws.
    let mut state = 7;
    let u: Vec<f64> = (0..x.len()).map(|_| uniform(&mut state)).collect();
    let mut after = 7;
    let (_, g) = jittered_sum_grad(&x, &mut after);
    assert_eq!(after, state, "f_grad drew as many numbers as f");
    for i in 0..x.len() {
        let exact = (x[i] * u[i]).cos() * u[i] * x[i] + (x[i] * u[i]).sin();
        assert!((g[i] - exact).abs() <= 1e-12, "{} vs {exact}", g[i]);
    }
}

/// A walk over indices, changed in place by a method.
pub struct Walker {
    pub pos: usize,
}

impl Walker {
    pub fn step(&mut self, n: usize) {
        self.pos = (self.pos * 7 + 3) % n;
    }
}

#[differentiable]
fn walked_product(x: &[f64], w: &mut Walker) -> f64 {
    let mut s = 1.0;
    for _ in 0..6 {
        w.step(x.len());
        let k = w.pos;
        s = s * x[k] + 1.0;
    }
    s
}

#[differentiable]
fn state_read_after_a_draw(x: &[f64], state: &mut u64) -> f64 {
    let mut s = 1.0;
    for _ in 0..6 {
        let u = uniform(state);
        let k = (*state % 4) as usize;
        s = s * x[k] * u + x[3 - k];
    }
    s
}

#[test]
fn state_changed_in_place_is_read_as_the_forward_sweep_read_it() {
    let x = [0.9, -1.1, 1.3, 0.7];
    let f = |x: &[f64]| walked_product(x, &mut Walker { pos: 1 });
    let vjp =
        |x: &[f64], s: f64, g: &mut [f64]| walked_product_vjp(x, &mut Walker { pos: 1 }, s, g);
    let jvp = |x: &[f64], d: &[f64]| walked_product_jvp(x, &mut Walker { pos: 1 }, d);
    common::check("walked_product", f, vjp, jvp, &x);
    let mut w = Walker { pos: 1 };
    walked_product_grad(&x, &mut w);
    let mut expected = Walker { pos: 1 };
    (0..6).for_each(|_| expected.step(4));
    assert_eq!(w.pos, expected.pos, "f_grad stepped the walker six times");

    let f = |x: &[f64]| state_read_after_a_draw(x, &mut 11);
    let vjp = |x: &[f64], s: f64, g: &mut [f64]| state_read_after_a_draw_vjp(x, &mut 11, s, g);
    let jvp = |x: &[f64], d: &[f64]| state_read_after_a_draw_jvp(x, &mut 11, d);
    common::check("state_read_after_a_draw", f, vjp, jvp, &x);
}

/// A small generator as a quant would write one: xorshift64* and Box–Muller.
#[derive(Clone)]
pub struct Rng {
    state: u64,
    pub draws: usize,
}

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng { state: seed.max(1), draws: 0 }
    }

    pub fn uniform(&mut self) -> f64 {
        self.state ^= self.state >> 12;
        self.state ^= self.state << 25;
        self.state ^= self.state >> 27;
        let bits = self.state.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11;
        (bits as f64 + 0.5) / (1u64 << 53) as f64
    }

    pub fn normal(&mut self) -> f64 {
        self.draws += 1;
        let (u, v) = (self.uniform(), self.uniform());
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
}

/// A European call under geometric Brownian motion, priced by Monte Carlo with Euler steps of
/// the log price; the pathwise Greeks are its gradient.
#[differentiable(wrt(spot, vol, rate))]
fn call_price(spot: f64, vol: f64, rate: f64, strike: f64, rng: &mut Rng) -> f64 {
    let (paths, steps) = (64, 16);
    let dt = 1.0 / steps as f64;
    let mut payoff = 0.0;
    for _ in 0..paths {
        let mut log_s = spot.ln();
        for _ in 0..steps {
            let z = rng.normal();
            log_s = log_s + (rate - 0.5 * vol * vol) * dt + vol * dt.sqrt() * z;
        }
        payoff += (log_s.exp() - strike).max(0.0);
    }
    (-rate).exp() * payoff / paths as f64
}

/// The same with the generator made inside from a seed, the state of a simulation carried in a
/// loop that also draws.
#[differentiable]
fn langevin_energy(x0: f64, gamma: f64, seed: u64) -> f64 {
    let mut rng = Rng::new(seed);
    let (mut x, mut v) = (x0, 0.0);
    let dt = 0.05;
    for _ in 0..40 {
        let kick = rng.normal();
        v = v - dt * (x + gamma * v) + (2.0 * gamma * dt).sqrt() * kick;
        x = x + dt * v;
    }
    0.5 * (x * x + v * v)
}

#[test]
fn monte_carlo_greeks_match_central_differences_over_the_same_stream() {
    let p = [100.0, 0.25, 0.03];
    let price = |p: &[f64]| call_price(p[0], p[1], p[2], 105.0, &mut Rng::new(42));
    let mut rng = Rng::new(42);
    let (value, (delta, vega, rho)) = call_price_grad(p[0], p[1], p[2], 105.0, &mut rng);
    assert_eq!(value.to_bits(), price(&p).to_bits());
    assert_eq!(rng.draws, 64 * 16, "f_grad drew each number once");
    for (k, g) in [delta, vega, rho].into_iter().enumerate() {
        let h = 1e-6 * p[k].abs();
        let (mut up, mut down) = (p, p);
        up[k] += h;
        down[k] -= h;
        let fd = (price(&up) - price(&down)) / (2.0 * h);
        assert!((g - fd).abs() <= 1e-5 * fd.abs().max(1.0), "greek {k}: {g} vs {fd}");
    }
    assert!(delta > 0.0 && vega > 0.0, "a call gains with the spot and the volatility");
    let mut rng = Rng::new(42);
    let (v, t) = call_price_jvp(p[0], p[1], p[2], 105.0, &mut rng, 0.0, 1.0, 0.0);
    assert_eq!(v.to_bits(), value.to_bits());
    assert!((t - vega).abs() <= 1e-10 * vega.abs(), "forward {t} vs reverse {vega}");
    assert_eq!(rng.draws, 64 * 16);

    let f = |p: &[f64]| langevin_energy(p[0], p[1], 7);
    let vjp = |p: &[f64], s: f64, g: &mut [f64]| {
        let (x0, gamma) = g.split_at_mut(1);
        langevin_energy_vjp(p[0], p[1], 7, s, &mut x0[0], &mut gamma[0])
    };
    let jvp = |p: &[f64], d: &[f64]| langevin_energy_jvp(p[0], p[1], 7, d[0], d[1]);
    common::check("langevin_energy", f, vjp, jvp, &[0.8, 0.3]);
}

#[differentiable]
fn from_a_seed(x: &[f64], seed: u64) -> f64 {
    let mut state = seed;
    let mut s = 0.0;
    for i in 0..x.len() {
        s += x[i] * x[i] * uniform(&mut state);
    }
    s
}

#[test]
fn a_local_copy_of_a_seed_is_state_of_its_own() {
    let x = [0.5, -1.5, 2.5];
    let mut state = 99;
    let u: Vec<f64> = (0..3).map(|_| uniform(&mut state)).collect();
    let (value, g) = from_a_seed_grad(&x, 99);
    assert_eq!(value, from_a_seed(&x, 99));
    for i in 0..3 {
        assert!((g[i] - 2.0 * x[i] * u[i]).abs() <= 1e-14, "{} vs {}", g[i], 2.0 * x[i] * u[i]);
    }
    let f = |x: &[f64]| from_a_seed(x, 99);
    let vjp = |x: &[f64], s: f64, g: &mut [f64]| from_a_seed_vjp(x, 99, s, g);
    let jvp = |x: &[f64], d: &[f64]| from_a_seed_jvp(x, 99, d);
    common::check("from_a_seed", f, vjp, jvp, &x);
}

/// A counter drawing 1, 2, 3, ...
pub struct Draws(f64);
impl Draws {
    pub fn next(&mut self) -> f64 {
        self.0 += 1.0;
        self.0
    }
}

/// Deferred lets whose values draw, assigned in another order than declared, and typed `f32`
/// (review s18: the derivatives drew in declaration order and took the literals as `f64`).
#[differentiable]
fn drawn_bounds(x: f64, d: &mut Draws) -> f64 {
    let lo: f32;
    let hi;
    if x > 0.0 {
        hi = d.next();
        lo = 0.1;
    } else {
        lo = 0.3;
        hi = d.next() * 2.0;
    }
    x * lo as f64 + hi * x * x
}

#[test]
fn deferred_lets_draw_in_their_arms_order_with_their_types() {
    for x in [0.8, -0.6] {
        let mut d = Draws(0.0);
        let value = drawn_bounds(x, &mut d);
        let mut d = Draws(0.0);
        let (v, g) = drawn_bounds_grad(x, &mut d);
        assert_eq!(v, value, "the value, drawn once as f draws");
        assert_eq!(d.0, 1.0, "one draw");
        let (lo, hi) = if x > 0.0 { (0.1f32, 1.0) } else { (0.3f32, 2.0) };
        assert_eq!(g, lo as f64 + 2.0 * hi * x);
    }
}

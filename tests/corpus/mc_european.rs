use crate::helpers::*;
use autodiff::prelude::*;

/// xorshift64* generator, the kind people paste into a pricing crate.
pub struct Rng {
    state: u64,
}

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng { state: seed }
    }
    pub fn next_u64(&mut self) -> u64 {
        self.state ^= self.state >> 12;
        self.state ^= self.state << 25;
        self.state ^= self.state >> 27;
        self.state.wrapping_mul(0x2545F4914F6CDD1D)
    }
    pub fn uniform(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
    pub fn normal(&mut self) -> f64 {
        let u1 = self.uniform();
        let u2 = self.uniform();
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }
}

/// Monte Carlo European call with pathwise greeks; RNG passed as &mut state.
#[differentiable]
fn mc_european_call(
    s0: f64,
    strike: f64,
    r: f64,
    sigma: f64,
    t: f64,
    rng: &mut Rng,
    n_paths: usize,
) -> f64 {
    let drift = (r - 0.5 * sigma * sigma) * t;
    let vol = sigma * t.sqrt();
    let mut sum = 0.0;
    for _ in 0..n_paths {
        let z = rng.normal();
        let st = s0 * (drift + vol * z).exp();
        sum += (st - strike).max(0.0);
    }
    (-r * t).exp() * sum / n_paths as f64
}

#[test]
fn check() {
    let p = [100.0, 105.0, 0.02, 0.3, 1.0];
    let n = 2000;
    let f = |q: &[f64]| mc_european_call(q[0], q[1], q[2], q[3], q[4], &mut Rng::new(42), n);
    let (v, (g0, g1, g2, g3, g4)) =
        mc_european_call_grad(p[0], p[1], p[2], p[3], p[4], &mut Rng::new(42), n);
    let d = dir(5);
    let (jv, jd) = mc_european_call_jvp(
        p[0],
        p[1],
        p[2],
        p[3],
        p[4],
        &mut Rng::new(42),
        n,
        d[0],
        d[1],
        d[2],
        d[3],
        d[4],
    );
    verify("mc_european_call", &f, &p, v, &[g0, g1, g2, g3, g4], jv, jd, &d);
}

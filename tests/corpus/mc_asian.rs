use crate::helpers::*;
use autodiff::prelude::*;

#[derive(Clone)]
pub struct SmallRng(u64);

impl SmallRng {
    fn next(&mut self) -> f64 {
        // 64-bit LCG, top 53 bits
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((self.0 >> 11) as f64 + 0.5) / 9007199254740992.0
    }
    fn gauss(&mut self) -> f64 {
        let (u1, u2) = (self.next(), self.next());
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }
}

/// Arithmetic Asian call by Monte Carlo; each path collected into a Vec then averaged.
#[differentiable]
fn mc_asian_call(
    s0: f64,
    sigma: f64,
    strike: f64,
    rng: &mut SmallRng,
    n_paths: usize,
    n_steps: usize,
) -> f64 {
    let r = 0.03;
    let t = 1.0;
    let dt = t / n_steps as f64;
    let mut total = 0.0;
    for _ in 0..n_paths {
        let mut path = Vec::with_capacity(n_steps);
        let mut s = s0;
        for _ in 0..n_steps {
            s *= ((r - 0.5 * sigma * sigma) * dt + sigma * dt.sqrt() * rng.gauss()).exp();
            path.push(s);
        }
        let avg = path.iter().sum::<f64>() / path.len() as f64;
        let payoff = if avg > strike { avg - strike } else { 0.0 };
        total += payoff;
    }
    (-r * t).exp() * total / n_paths as f64
}

#[test]
fn check() {
    let p = [100.0, 0.25, 100.0];
    let f = |q: &[f64]| mc_asian_call(q[0], q[1], q[2], &mut SmallRng(7), 300, 12);
    let (v, (g0, g1, g2)) = mc_asian_call_grad(p[0], p[1], p[2], &mut SmallRng(7), 300, 12);
    let d = dir(3);
    let (jv, jd) = mc_asian_call_jvp(p[0], p[1], p[2], &mut SmallRng(7), 300, 12, d[0], d[1], d[2]);
    verify("mc_asian_call", &f, &p, v, &[g0, g1, g2], jv, jd, &d);
}

use autodiff::prelude::*;

pub struct Rng(u64);

impl Rng {
    pub fn normal(&mut self) -> f64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64 - 0.5
    }
}

#[differentiable]
fn noisy(x: f64, rng: &mut Rng) -> f64 {
    x * rng.normal()
}

// `noisy_vjp` would draw again: refused until calls keep their forward results.
#[differentiable]
fn passed_on(x: f64, rng: &mut Rng) -> f64 {
    noisy(x, rng) * 2.0
}

#[differentiable]
fn borrowed_here(x: f64, seed: u64) -> f64 {
    let mut rng = Rng(seed);
    noisy(x, &mut rng) + x
}

fn main() {}

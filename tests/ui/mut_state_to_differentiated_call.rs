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

// A free function handed `&mut` state runs once, in split mode: accepted.
#[differentiable]
fn passed_on(x: f64, rng: &mut Rng) -> f64 {
    noisy(x, rng) * 2.0
}

// Its `_hvp` would run it again.
#[differentiable(hessian)]
fn twice(x: f64, seed: u64) -> f64 {
    let mut rng = Rng(seed);
    noisy(x, &mut rng) * x
}

// A pullback cannot hold a pullback of its own type.
#[differentiable]
fn walk(x: f64, depth: usize, rng: &mut Rng) -> f64 {
    if depth == 0 { x } else { walk(x + 0.1 * rng.normal(), depth - 1, rng) }
}

pub struct Sampler;

#[differentiable]
impl Sampler {
    fn draw(&self, x: f64, rng: &mut Rng) -> f64 {
        x * rng.normal()
    }

    // Methods have no split form: `draw_vjp` would draw again.
    fn twice_drawn(&self, x: f64, rng: &mut Rng) -> f64 {
        self.draw(x, rng) + x
    }
}

fn main() {}

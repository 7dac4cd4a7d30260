use autodiff::prelude::*;

struct Particle {
    x: f64,
    v: f64,
}

#[differentiable]
fn fall(x0: f64, v0: f64) -> f64 {
    let p = Particle { x: x0, v: v0 };
    p.x + p.v
}

fn main() {}

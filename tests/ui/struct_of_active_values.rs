use autodiff::prelude::*;

struct Particle {
    x: f64,
    v: f64,
}

fn energy(p: &Particle) -> f64 {
    p.x * p.x + p.v * p.v
}

// Used only through its fields (`p.x + p.v`), a local struct differentiates; passed on whole,
// it cannot.
#[differentiable]
fn fall(x0: f64, v0: f64) -> f64 {
    let p = Particle { x: x0, v: v0 };
    energy(&p) + p.x
}

struct Pair(f64, f64);

// A tuple struct of active values.
#[differentiable]
fn paired(a: f64, b: f64) -> f64 {
    let p = Pair(a, b);
    p.0 * p.1
}

fn main() {}

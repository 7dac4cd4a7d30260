//! The code that help lines suggest compiles.
use autodiff::prelude::*;

fn report(x: f64) {
    println!("{x}");
}

// help of `println!` in a body: a plain function called with `detach(..)`ed values
#[differentiable]
fn reported(x: f64) -> f64 {
    report(detach(x));
    x * x
}

// help of assigning to an active parameter: copy it first
#[differentiable]
fn copied(x: f64, y: [f64; 2]) -> f64 {
    let mut x_local = x;
    x_local += 1.0;
    let mut y_local = y;
    y_local[0] = x_local;
    y_local[0] * y_local[1]
}

pub struct Rng(u64);

impl Rng {
    pub fn normal(&mut self) -> f64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64 - 0.5
    }
}

#[differentiable]
fn g(x: f64, z: f64) -> f64 {
    x * z
}

// help of a differentiated call handed `&mut` state: draw first, pass the values
#[differentiable]
fn drawn_first(x: f64, rng: &mut Rng) -> f64 {
    let z: f64 = rng.normal();
    g(x, z)
}

// help of a generic float bounded by nalgebra's `RealField`: `Real` too, for its vectors
#[differentiable]
fn generic_energy<T: Real + nalgebra::RealField>(p: nalgebra::Vector3<T>, k: T) -> T {
    k * p.norm_squared()
}

fn main() {
    assert_eq!(generic_energy_grad(nalgebra::Vector3::new(1.0, 0.0, 0.0), 2.0).1.1, 1.0);
    assert_eq!(reported_grad(3.0).1, 6.0);
    assert_eq!(copied_grad(1.0, [0.0, 2.0]).1, (2.0, [0.0, 2.0]));
    let _ = drawn_first_grad(1.0, &mut Rng(7));
}

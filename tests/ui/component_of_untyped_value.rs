use autodiff::prelude::*;
use nalgebra::Vector3;

#[differentiable]
fn spring_force(p: Vector3<f64>, k: f64) -> Vector3<f64> {
    p * (-k)
}

// The macro cannot see that `f` is a vector: its type or `f[0]` tells.
#[differentiable]
fn first_component(x: f64, k: f64) -> f64 {
    let p = Vector3::new(x, 2.0 * x, k);
    let f = spring_force(p, k);
    f.x
}

fn main() {}

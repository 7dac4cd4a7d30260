use autodiff::prelude::*;

// A tuple parameter is never differentiated: split it.
#[differentiable]
fn tuple(p: (f64, f64), x: f64) -> f64 {
    p.0 * x + p.1
}

// Floats in a type the macro cannot differentiate yet: an error, never a silent zero gradient.
#[differentiable]
fn rows_of_vecs(rows: [Vec<f64>; 2], x: f64) -> f64 {
    rows[0][0] * x
}

#[differentiable]
fn pairs(ps: &[(usize, f64)], x: f64) -> f64 {
    ps[0].1 * x
}

// Left out on purpose with `wrt`: fine.
#[differentiable(wrt(x))]
fn left_out(ps: &[(usize, f64)], x: f64) -> f64 {
    detach(ps[0].1) * x
}

// A tuple named in `wrt`.
#[differentiable(wrt(p))]
fn named(p: (f64, f64)) -> f64 {
    p.0
}

// A tuple result holding a borrowed slice (a `Vec` would do).
#[differentiable]
fn with_a_slice(x: &[f64]) -> (f64, &[f64]) {
    (x[0], x)
}

fn main() {}

// A point parameter: its coordinates as a vector instead.
#[differentiable]
fn point(p: &nalgebra::Point3<f64>, s: f64) -> f64 {
    p.x * s
}

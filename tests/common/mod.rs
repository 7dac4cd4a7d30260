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

/// Checks a function of two floats at each point.
pub fn check2(
    name: &str,
    f: impl Fn(f64, f64) -> f64,
    vjp: impl Fn(f64, f64, f64, &mut f64, &mut f64) -> f64,
    jvp: impl Fn(f64, f64, f64, f64) -> (f64, f64),
    points: &[(f64, f64)],
) {
    for &(a, b) in points {
        let grad = |x: &[f64], g: &mut [f64]| {
            let (mut ga, mut gb) = (0.0, 0.0);
            let value = vjp(x[0], x[1], 1.0, &mut ga, &mut gb);
            assert_eq!(value.to_bits(), f(x[0], x[1]).to_bits(), "{name}: f_vjp's value");
            g[0] += ga;
            g[1] += gb;
        };
        if let Err(e) = gradcheck(|x| f(x[0], x[1]), grad, &[a, b]) {
            panic!("{name} at ({a}, {b}): {e}");
        }
        let (v, w) = ((0.3, -1.7), 2.5);
        let (value, tangent) = jvp(a, b, v.0, v.1);
        assert_eq!(value.to_bits(), f(a, b).to_bits(), "{name}: f_jvp's value");
        let (mut ga, mut gb) = (0.0, 0.0);
        vjp(a, b, w, &mut ga, &mut gb);
        let (lhs, rhs) = (tangent * w, v.0 * ga + v.1 * gb);
        assert!(
            (lhs - rhs).abs() <= 1e-10 * lhs.abs().max(1.0),
            "{name}: adjoint identity {lhs} vs {rhs}"
        );
    }
}

/// Checks the gradient `grad` of `f` in the elements of the `f64` tensor `t` against central
/// differences (`h = 1e-6`), to `tolerance` relative to `1 + |difference|`.
pub fn check_tensor_gradient(
    name: &str,
    f: impl Fn(&Tensor) -> f64,
    t: &Tensor,
    grad: &Tensor,
    tolerance: f64,
) {
    let (values, grad) = (t.to_vec::<f64>(), grad.to_vec::<f64>());
    assert_eq!(values.len(), grad.len(), "{name}: the gradient's size");
    for (i, g) in grad.iter().enumerate() {
        let at = |s: f64| {
            let mut v = values.clone();
            v[i] += s;
            f(&Tensor::from_vec(v, t.shape()))
        };
        let h = 1e-6;
        let fd = (at(h) - at(-h)) / (2.0 * h);
        assert!((g - fd).abs() < tolerance * (1.0 + fd.abs()), "{name}[{i}]: {g} vs {fd}");
    }
}

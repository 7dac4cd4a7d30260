use crate::helpers::*;
use autodiff::prelude::*;
use nalgebra::Matrix3;

/// Symmetrised Matrix3 parameter: trace of its Gram matrix plus log-determinant.
#[differentiable]
fn inertia_score(m: Matrix3<f64>) -> f64 {
    let sym = (m + m.transpose()) * 0.5;
    let gram = sym.transpose() * sym;
    gram.trace() + sym.determinant().ln()
}

#[test]
fn check() {
    let p = [3.0, 0.2, 0.1, 0.4, 2.0, -0.3, 0.0, 0.5, 1.5];
    let f = |q: &[f64]| inertia_score(Matrix3::from_column_slice(q));
    let (v, g) = inertia_score_grad(Matrix3::from_column_slice(&p));
    let d = dir(9);
    let (jv, jd) =
        inertia_score_jvp(Matrix3::from_column_slice(&p), Matrix3::from_column_slice(&d));
    let gflat: Vec<f64> = g.iter().copied().collect();
    verify("inertia_score", &f, &p, v, &gflat, jv, jd, &d);
}

//! Functions of tensors differentiated by the macro: broadcasting, matrix products, unary
//! functions, reductions, scalars mixed with tensors; gradients against central finite
//! differences and forward mode against reverse mode.

use autodiff::prelude::*;

/// Central finite differences of `f` with respect to every element of `x` (f64 tensors).
fn numeric_gradient(f: &dyn Fn(&Tensor) -> f64, x: &Tensor) -> Vec<f64> {
    let values = x.to_vec::<f64>();
    (0..values.len())
        .map(|i| {
            let h = 1e-6 * values[i].abs().max(1.0);
            let (mut up, mut down) = (values.clone(), values.clone());
            up[i] += h;
            down[i] -= h;
            let (u, d) = (Tensor::from_vec(up, x.shape()), Tensor::from_vec(down, x.shape()));
            (f(&u) - f(&d)) / (2.0 * h)
        })
        .collect()
}

fn close(a: &[f64], b: &[f64], what: &str) {
    assert_eq!(a.len(), b.len(), "{what}");
    for (x, y) in a.iter().zip(b) {
        assert!((x - y).abs() <= 1e-6 + 1e-5 * y.abs(), "{what}: {a:?} vs {b:?}");
    }
}

#[differentiable]
fn layer(x: &Tensor, w: &Tensor, b: &Tensor, s: f64) -> Tensor {
    let z = x.matmul(w) + b;
    let a = z.relu() * s + z.sigmoid() - (z.tanh() * 0.5);
    (a.powi(2).sum() + a.exp().mean()) / 2.0
}

#[test]
fn a_layer_matches_finite_differences() {
    let x = Tensor::randn(&[4, 3], 1).to_dtype(DType::F64);
    let w = Tensor::randn(&[3, 2], 2).to_dtype(DType::F64);
    let b = Tensor::randn(&[2], 3).to_dtype(DType::F64);
    let s = 1.3;
    let (value, (gx, gw, gb, gs)) = layer_grad(&x, &w, &b, s);
    assert_eq!(value.item::<f64>(), layer(&x, &w, &b, s).item::<f64>());
    let f_x = |t: &Tensor| layer(t, &w, &b, s).item::<f64>();
    let f_w = |t: &Tensor| layer(&x, t, &b, s).item::<f64>();
    let f_b = |t: &Tensor| layer(&x, &w, t, s).item::<f64>();
    close(&gx.to_vec(), &numeric_gradient(&f_x, &x), "d/dx");
    close(&gw.to_vec(), &numeric_gradient(&f_w, &w), "d/dw");
    close(&gb.to_vec(), &numeric_gradient(&f_b, &b), "d/db (broadcast over rows)");
    let h = 1e-6;
    let fd_s = (layer(&x, &w, &b, s + h).item::<f64>() - layer(&x, &w, &b, s - h).item::<f64>())
        / (2.0 * h);
    close(&[gs], &[fd_s], "d/ds");
    // forward mode along a direction equals the gradient's projection
    let (dx, dw, db) = (
        Tensor::randn(&[4, 3], 4).to_dtype(DType::F64),
        Tensor::randn(&[3, 2], 5).to_dtype(DType::F64),
        Tensor::randn(&[2], 6).to_dtype(DType::F64),
    );
    let (_, tangent) = layer_jvp(&x, &w, &b, s, &dx, &dw, &db, 0.7);
    let dot = (&gx * &dx).sum().item::<f64>()
        + (&gw * &dw).sum().item::<f64>()
        + (&gb * &db).sum().item::<f64>()
        + gs * 0.7;
    close(&[tangent.item::<f64>()], &[dot], "forward against reverse");
}

#[differentiable]
fn reductions(x: &Tensor) -> Tensor {
    let rows = x.sum_dim(1, false);
    let r = rows.reshape(&[1, 3]);
    (r.t().matmul(&r).ln() + x.sin().sqrt().mean() - x.abs().powf(1.5).sum()).sum()
}

#[test]
fn reductions_reshape_and_transpose() {
    let x = Tensor::rand(&[3, 4], 9).to_dtype(DType::F64) + 0.5;
    let (_, g) = reductions_grad(&x);
    let f = |t: &Tensor| reductions(t).item::<f64>();
    close(&g.to_vec(), &numeric_gradient(&f, &x), "d/dx");
}

/// SEEDS S16: `y = x + 2`, `z = 3 y y`, `out = mean(z)` on 2 × 2 ones: 27, gradient 4.5.
#[differentiable]
fn s16(x: &Tensor) -> Tensor {
    let y = x + 2.0;
    let z = &y * &y * 3.0;
    z.mean()
}

#[test]
fn s16_mean_of_a_product() {
    let (out, g) = s16_grad(&Tensor::ones(&[2, 2]));
    assert_eq!(out.item::<f32>(), 27.0);
    assert_eq!(g.to_vec::<f32>(), [4.5; 4]);
}

use crate::helpers::*;
use autodiff::prelude::*;

#[differentiable]
fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

/// L2-regularised logistic regression NLL; features as &[Vec<f64>] rows, zip of rows and labels.
#[differentiable(wrt(weights, bias))]
fn logistic_nll(weights: &[f64], bias: f64, features: &[Vec<f64>], labels: &[f64], l2: f64) -> f64 {
    let mut nll = 0.0;
    for (x, &y) in features.iter().zip(labels.iter()) {
        let z: f64 = weights.iter().zip(x.iter()).map(|(w, xi)| w * xi).sum::<f64>() + bias;
        let p = sigmoid(z);
        nll -= y * p.ln() + (1.0 - y) * (1.0 - p).ln();
    }
    nll + 0.5 * l2 * weights.iter().map(|w| w * w).sum::<f64>()
}

#[test]
fn check() {
    let feats = vec![
        vec![1.0, 0.5, -0.2],
        vec![-0.3, 0.8, 1.1],
        vec![0.7, -1.2, 0.4],
        vec![0.0, 0.3, -0.9],
    ];
    let labels = [1.0, 0.0, 1.0, 0.0];
    let w = [0.2, -0.1, 0.4];
    let b = 0.05;
    let mut p = w.to_vec();
    p.push(b);
    let f = |q: &[f64]| logistic_nll(&q[..3], q[3], &feats, &labels, 0.1);
    let (v, (gw, gb)) = logistic_nll_grad(&w, b, &feats, &labels, 0.1);
    let mut g = gw.clone();
    g.push(gb);
    let d = dir(4);
    let (jv, jd) = logistic_nll_jvp(&w, b, &feats, &labels, 0.1, &d[..3], d[3]);
    verify("logistic_nll", &f, &p, v, &g, jv, jd, &d);
}

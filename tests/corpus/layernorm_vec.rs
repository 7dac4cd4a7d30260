use crate::helpers::*;
use autodiff::prelude::*;

/// LayerNorm over owned Vec<f64> parameters, nested zip, collect, enumerate-weighted readout.
#[differentiable]
fn layer_norm_score(x: Vec<f64>, gamma: Vec<f64>, beta: Vec<f64>) -> f64 {
    let n = x.len() as f64;
    let mean = x.iter().sum::<f64>() / n;
    let var = x.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n;
    let inv_std = 1.0 / (var + 1e-5).sqrt();
    let y: Vec<f64> = x
        .iter()
        .zip(gamma.iter().zip(beta.iter()))
        .map(|(v, (g, b))| g * (v - mean) * inv_std + b)
        .collect();
    y.iter().enumerate().map(|(i, v)| v * (i as f64 + 1.0)).sum()
}

#[test]
fn check() {
    let x = vec![0.5, -1.0, 2.0, 0.3];
    let ga = vec![1.0, 0.8, 1.2, 0.9];
    let be = vec![0.1, 0.0, -0.1, 0.2];
    let mut p = x.clone();
    p.extend_from_slice(&ga);
    p.extend_from_slice(&be);
    let f = |q: &[f64]| layer_norm_score(q[..4].to_vec(), q[4..8].to_vec(), q[8..].to_vec());
    let (v, (g1, g2, g3)) = layer_norm_score_grad(x.clone(), ga.clone(), be.clone());
    let g: Vec<f64> = g1.iter().chain(g2.iter()).chain(g3.iter()).copied().collect();
    let d = dir(12);
    let (jv, jd) =
        layer_norm_score_jvp(x.clone(), ga.clone(), be.clone(), &d[..4], &d[4..8], &d[8..]);
    verify("layer_norm_score", &f, &p, v, &g, jv, jd, &d);
}

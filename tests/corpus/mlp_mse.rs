use crate::helpers::*;
use autodiff::prelude::*;

/// Two-layer tanh MLP with flat Vec weights, MSE over a small batch; vjp with buffers.
#[differentiable(wrt(w1, b1, w2, b2))]
fn mlp_mse(
    w1: &[f64],
    b1: &[f64],
    w2: &[f64],
    b2: f64,
    xs: &[f64],
    ys: &[f64],
    n_in: usize,
    n_hidden: usize,
) -> f64 {
    let n_samples = ys.len();
    let mut loss = 0.0;
    for s in 0..n_samples {
        let x = &xs[s * n_in..(s + 1) * n_in];
        let mut hidden = vec![0.0; n_hidden];
        for h in 0..n_hidden {
            let mut z = b1[h];
            for i in 0..n_in {
                z += w1[h * n_in + i] * x[i];
            }
            hidden[h] = z.tanh();
        }
        let out: f64 = hidden.iter().zip(w2.iter()).map(|(h, w)| h * w).sum::<f64>() + b2;
        let err = out - ys[s];
        loss += err * err;
    }
    loss / n_samples as f64
}

#[test]
fn check() {
    let (n_in, n_h) = (2, 3);
    let w1 = [0.1, -0.4, 0.7, 0.2, -0.3, 0.5];
    let b1 = [0.05, -0.1, 0.2];
    let w2 = [0.6, -0.8, 0.3];
    let b2 = 0.1;
    let xs = [0.5, 1.0, -0.3, 0.8, 1.2, -0.7, 0.0, 0.4];
    let ys = [0.3, -0.2, 0.5, 0.1];
    let mut p = w1.to_vec();
    p.extend_from_slice(&b1);
    p.extend_from_slice(&w2);
    p.push(b2);
    let f = |q: &[f64]| mlp_mse(&q[..6], &q[6..9], &q[9..12], q[12], &xs, &ys, n_in, n_h);
    let (mut gw1, mut gb1, mut gw2, mut gb2) = (vec![0.0; 6], vec![0.0; 3], vec![0.0; 3], 0.0);
    let v = mlp_mse_vjp(
        &w1, &b1, &w2, b2, &xs, &ys, n_in, n_h, 1.0, &mut gw1, &mut gb1, &mut gw2, &mut gb2,
    );
    let mut g = gw1.clone();
    g.extend_from_slice(&gb1);
    g.extend_from_slice(&gw2);
    g.push(gb2);
    let d = dir(13);
    let (jv, jd) =
        mlp_mse_jvp(&w1, &b1, &w2, b2, &xs, &ys, n_in, n_h, &d[..6], &d[6..9], &d[9..12], d[12]);
    verify("mlp_mse", &f, &p, v, &g, jv, jd, &d);
}

use crate::helpers::*;
use autodiff::prelude::*;

/// 1-D valid convolution via windows(k) + ReLU via max(0.0), collected into a Vec.
#[differentiable(wrt(kernel, bias))]
fn conv_relu_energy(signal: &[f64], kernel: &[f64], bias: f64) -> f64 {
    let k = kernel.len();
    let out: Vec<f64> = signal
        .windows(k)
        .map(|w| {
            let z: f64 = w.iter().zip(kernel).map(|(a, b)| a * b).sum::<f64>() + bias;
            z.max(0.0)
        })
        .collect();
    out.iter().map(|o| o * o).sum::<f64>() / out.len() as f64
}

#[test]
fn check() {
    let signal = [0.2, 1.0, -0.5, 0.7, 1.3, -0.2, 0.4, 0.9];
    let kernel = [0.5, -0.3, 0.8];
    let bias = 0.05;
    let mut p = kernel.to_vec();
    p.push(bias);
    let f = |q: &[f64]| conv_relu_energy(&signal, &q[..3], q[3]);
    let (v, (gk, gb)) = conv_relu_energy_grad(&signal, &kernel, bias);
    let mut g = gk.clone();
    g.push(gb);
    let d = dir(4);
    let (jv, jd) = conv_relu_energy_jvp(&signal, &kernel, bias, &d[..3], d[3]);
    verify("conv_relu_energy", &f, &p, v, &g, jv, jd, &d);
}

use crate::helpers::*;
use autodiff::prelude::*;

/// log det of an SPD matrix via an in-place-style Cholesky (row-major flat storage), vjp API.
#[differentiable]
fn cholesky_logdet(a: &[f64], n: usize) -> f64 {
    assert_eq!(a.len(), n * n);
    let mut l = vec![0.0; n * n];
    for j in 0..n {
        let mut s = a[j * n + j];
        for k in 0..j {
            s -= l[j * n + k] * l[j * n + k];
        }
        l[j * n + j] = s.sqrt();
        for i in (j + 1)..n {
            let mut t = a[i * n + j];
            for k in 0..j {
                t -= l[i * n + k] * l[j * n + k];
            }
            l[i * n + j] = t / l[j * n + j];
        }
    }
    (0..n).map(|i| 2.0 * l[i * n + i].ln()).sum()
}

#[test]
fn check() {
    let a = [4.0, 1.0, 0.5, 0.2, 1.0, 3.0, 0.4, 0.1, 0.5, 0.4, 2.5, 0.3, 0.2, 0.1, 0.3, 2.0];
    let f = |q: &[f64]| cholesky_logdet(q, 4);
    // reverse mode through the vjp API: seed 2, buffer pre-filled with 1 (vjp must ADD)
    let mut abar = vec![1.0; 16];
    let v = cholesky_logdet_vjp(&a, 4, 2.0, &mut abar);
    let g: Vec<f64> = abar.iter().map(|b| (b - 1.0) / 2.0).collect();
    let d = dir(16);
    let (jv, jd) = cholesky_logdet_jvp(&a, 4, &d);
    verify("cholesky_logdet", &f, &a, v, &g, jv, jd, &d);
}

use crate::helpers::*;
use autodiff::prelude::*;

#[differentiable]
fn logsumexp(v: &[f64]) -> f64 {
    let m = v.iter().fold(f64::NEG_INFINITY, |a, &b| a.max(b));
    m + v.iter().map(|x| (x - m).exp()).sum::<f64>().ln()
}

/// 1-D Gaussian mixture log-likelihood; a slice helper called on a per-point local Vec.
#[differentiable(wrt(means, log_sigmas, logit_weights))]
fn gmm_loglik(means: &[f64], log_sigmas: &[f64], logit_weights: &[f64], data: &[f64]) -> f64 {
    let k = means.len();
    let log_norm = logsumexp(logit_weights);
    let mut total = 0.0;
    for &x in data {
        let mut comps = vec![0.0; k];
        for j in 0..k {
            let sigma = log_sigmas[j].exp();
            let z = (x - means[j]) / sigma;
            comps[j] = logit_weights[j]
                - log_norm
                - 0.5 * z * z
                - log_sigmas[j]
                - 0.5 * (2.0 * std::f64::consts::PI).ln();
        }
        total += logsumexp(&comps);
    }
    total
}

#[test]
fn check() {
    let mu = [-1.0, 0.5, 2.0];
    let ls = [0.1, -0.3, 0.2];
    let lw = [0.0, 0.4, -0.2];
    let data = [-1.2, 0.3, 0.8, 2.5, 1.9, -0.4];
    let mut p = mu.to_vec();
    p.extend_from_slice(&ls);
    p.extend_from_slice(&lw);
    let f = |q: &[f64]| gmm_loglik(&q[..3], &q[3..6], &q[6..], &data);
    let (v, (g1, g2, g3)) = gmm_loglik_grad(&mu, &ls, &lw, &data);
    let g: Vec<f64> = g1.iter().chain(g2.iter()).chain(g3.iter()).copied().collect();
    let d = dir(9);
    let (jv, jd) = gmm_loglik_jvp(&mu, &ls, &lw, &data, &d[..3], &d[3..6], &d[6..]);
    verify("gmm_loglik", &f, &p, v, &g, jv, jd, &d);
}

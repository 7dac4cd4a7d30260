use crate::helpers::*;
use autodiff::prelude::*;

/// HMM forward algorithm in log space; alpha table as Vec<Vec<f64>>, observations &[usize].
#[differentiable(wrt(log_trans, log_emit))]
fn hmm_log_likelihood(
    log_trans: &[f64],
    log_emit: &[f64],
    obs: &[usize],
    n_states: usize,
    n_symbols: usize,
) -> f64 {
    let s = n_states;
    let log_init = -(s as f64).ln();
    let mut alpha = vec![vec![0.0; s]; obs.len()];
    for j in 0..s {
        alpha[0][j] = log_init + log_emit[j * n_symbols + obs[0]];
    }
    for t in 1..obs.len() {
        for j in 0..s {
            let mut m = f64::NEG_INFINITY;
            for i in 0..s {
                m = m.max(alpha[t - 1][i] + log_trans[i * s + j]);
            }
            let mut acc = 0.0;
            for i in 0..s {
                acc += (alpha[t - 1][i] + log_trans[i * s + j] - m).exp();
            }
            alpha[t][j] = m + acc.ln() + log_emit[j * n_symbols + obs[t]];
        }
    }
    let last = alpha.last().unwrap();
    let m = last.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    m + last.iter().map(|a| (a - m).exp()).sum::<f64>().ln()
}

#[test]
fn check() {
    let lt: Vec<f64> = [0.7, 0.3, 0.2, 0.8].iter().map(|p: &f64| p.ln()).collect();
    let le: Vec<f64> = [0.5, 0.4, 0.1, 0.1, 0.3, 0.6].iter().map(|p: &f64| p.ln()).collect();
    let obs = [0usize, 1, 2, 2, 0, 1];
    let mut p = lt.clone();
    p.extend_from_slice(&le);
    let f = |q: &[f64]| hmm_log_likelihood(&q[..4], &q[4..], &obs, 2, 3);
    let (v, (gt, ge)) = hmm_log_likelihood_grad(&lt, &le, &obs, 2, 3);
    let mut g = gt.clone();
    g.extend_from_slice(&ge);
    let d = dir(10);
    let (jv, jd) = hmm_log_likelihood_jvp(&lt, &le, &obs, 2, 3, &d[..4], &d[4..]);
    verify("hmm_log_likelihood", &f, &p, v, &g, jv, jd, &d);
}

//! The same GMM objective as `gmm.rs`, written the way ADBench's C++ reference and most users
//! write it: small scratch buffers reused for every (point, component) pair (`xc` the centred
//! point, `qx` its product with the inverse Cholesky factor, built in place with a running
//! index into the packed lower triangle, `main` the per-component log-densities of one point),
//! and a log-sum-exp over `main`.

#![allow(dead_code)]
// Written with index loops on purpose: that is the form being measured.
#![allow(clippy::needless_range_loop)]

use autodiff::prelude::*;

/// The objective written with scratch buffers; same arguments and value as
/// `gmm::gmm_objective`.
#[allow(clippy::too_many_arguments)]
#[differentiable(wrt(alphas, means, icf), hessian)]
pub fn gmm_natural(
    alphas: &[f64],
    means: &[f64],
    icf: &[f64],
    x: &[f64],
    d: usize,
    k: usize,
    gamma: f64,
    m: usize,
) -> f64 {
    let n = x.len() / d;
    let icf_sz = d * (d + 1) / 2;
    let mut qdiags = vec![0.0; k * d];
    let mut sum_qs = vec![0.0; k];
    for ik in 0..k {
        for id in 0..d {
            qdiags[ik * d + id] = icf[ik * icf_sz + id].exp();
            sum_qs[ik] += icf[ik * icf_sz + id];
        }
    }
    let mut xc = vec![0.0; d];
    let mut qx = vec![0.0; d];
    let mut main = vec![0.0; k];
    let mut slse = 0.0;
    for ix in 0..n {
        for ik in 0..k {
            for id in 0..d {
                xc[id] = x[ix * d + id] - means[ik * d + id];
            }
            for id in 0..d {
                qx[id] = qdiags[ik * d + id] * xc[id];
            }
            let mut idx = 0;
            for i in 0..d {
                for j in i + 1..d {
                    qx[j] += icf[ik * icf_sz + d + idx] * xc[i];
                    idx += 1;
                }
            }
            let mut sq = 0.0;
            for id in 0..d {
                sq += qx[id] * qx[id];
            }
            main[ik] = alphas[ik] + sum_qs[ik] - 0.5 * sq;
        }
        let mut mx = main[0];
        for ik in 1..k {
            if main[ik] > mx {
                mx = main[ik];
            }
        }
        let mut se = 0.0;
        for ik in 0..k {
            se += (main[ik] - mx).exp();
        }
        slse += mx + se.ln();
    }
    let mut amax = alphas[0];
    for ik in 1..k {
        if alphas[ik] > amax {
            amax = alphas[ik];
        }
    }
    let mut asum = 0.0;
    for ik in 0..k {
        asum += (alphas[ik] - amax).exp();
    }
    let lse_alphas = amax + asum.ln();
    let mut prior = 0.0;
    for ik in 0..k {
        let mut frob = 0.0;
        for id in 0..d {
            frob += qdiags[ik * d + id] * qdiags[ik * d + id];
        }
        for t in d..icf_sz {
            frob += icf[ik * icf_sz + t] * icf[ik * icf_sz + t];
        }
        prior += 0.5 * gamma * gamma * frob - (m as f64) * sum_qs[ik];
    }
    let constant = -((n * d) as f64) * 0.5 * (2.0 * std::f64::consts::PI).ln();
    constant + slse - (n as f64) * lse_alphas + prior
}

/// A hand-written gradient in the same style (precomputed `exp(q)`, per point the centred
/// points and their products kept for every component, then one backward pass over them),
/// ADDING into the three buffers; returns the value. The baseline for `gmm_natural_vjp`.
#[allow(clippy::too_many_arguments)]
pub fn gmm_natural_gradient_hand(
    alphas: &[f64],
    means: &[f64],
    icf: &[f64],
    x: &[f64],
    d: usize,
    k: usize,
    gamma: f64,
    m: usize,
    g_alphas: &mut [f64],
    g_means: &mut [f64],
    g_icf: &mut [f64],
) -> f64 {
    let n = x.len() / d;
    let icf_sz = d * (d + 1) / 2;
    let mut qdiags = vec![0.0; k * d];
    let mut sum_qs = vec![0.0; k];
    for ik in 0..k {
        for id in 0..d {
            qdiags[ik * d + id] = icf[ik * icf_sz + id].exp();
            sum_qs[ik] += icf[ik * icf_sz + id];
        }
    }
    let (mut g_qdiags, mut g_sum_qs) = (vec![0.0; k * d], vec![0.0; k]);
    let (mut xc, mut qx) = (vec![0.0; k * d], vec![0.0; k * d]);
    let (mut main, mut g_xc) = (vec![0.0; k], vec![0.0; d]);
    let mut slse = 0.0;
    for ix in 0..n {
        let xi = &x[ix * d..(ix + 1) * d];
        for ik in 0..k {
            let (xc, qx) = (&mut xc[ik * d..(ik + 1) * d], &mut qx[ik * d..(ik + 1) * d]);
            let l = &icf[ik * icf_sz + d..(ik + 1) * icf_sz];
            for id in 0..d {
                xc[id] = xi[id] - means[ik * d + id];
                qx[id] = qdiags[ik * d + id] * xc[id];
            }
            let mut idx = 0;
            for i in 0..d {
                for j in i + 1..d {
                    qx[j] += l[idx] * xc[i];
                    idx += 1;
                }
            }
            main[ik] = alphas[ik] + sum_qs[ik] - 0.5 * qx.iter().map(|v| v * v).sum::<f64>();
        }
        let mx = main.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let lse = mx + main.iter().map(|v| (v - mx).exp()).sum::<f64>().ln();
        slse += lse;
        for ik in 0..k {
            let w = (main[ik] - lse).exp();
            g_alphas[ik] += w;
            g_sum_qs[ik] += w;
            let (xc, qx) = (&xc[ik * d..(ik + 1) * d], &qx[ik * d..(ik + 1) * d]);
            let l = &icf[ik * icf_sz + d..(ik + 1) * icf_sz];
            let gl = &mut g_icf[ik * icf_sz + d..(ik + 1) * icf_sz];
            // the adjoint of `qx` is -w qx; through the triangle, then the diagonal
            for id in 0..d {
                g_xc[id] = -w * qx[id] * qdiags[ik * d + id];
                g_qdiags[ik * d + id] -= w * qx[id] * xc[id];
            }
            let mut idx = 0;
            for i in 0..d {
                for j in i + 1..d {
                    g_xc[i] -= w * qx[j] * l[idx];
                    gl[idx] -= w * qx[j] * xc[i];
                    idx += 1;
                }
            }
            for id in 0..d {
                g_means[ik * d + id] -= g_xc[id];
            }
        }
    }
    let amax = alphas.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let lse_alphas = amax + alphas.iter().map(|a| (a - amax).exp()).sum::<f64>().ln();
    let mut prior = 0.0;
    for ik in 0..k {
        g_alphas[ik] -= n as f64 * (alphas[ik] - lse_alphas).exp();
        let mut frob = 0.0;
        for id in 0..d {
            let q = qdiags[ik * d + id];
            frob += q * q;
            // the prior's γ² q² term, then exp's derivative and Σq's
            let g = g_qdiags[ik * d + id] + gamma * gamma * q;
            g_icf[ik * icf_sz + id] += g * q + g_sum_qs[ik] - m as f64;
        }
        for t in d..icf_sz {
            let v = icf[ik * icf_sz + t];
            frob += v * v;
            g_icf[ik * icf_sz + t] += gamma * gamma * v;
        }
        prior += 0.5 * gamma * gamma * frob - (m as f64) * sum_qs[ik];
    }
    let constant = -((n * d) as f64) * 0.5 * (2.0 * std::f64::consts::PI).ln();
    constant + slse - (n as f64) * lse_alphas + prior
}

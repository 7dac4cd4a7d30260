//! The ADBench Gaussian-mixture objective, written from its definition, as a user would write
//! it: plain loops over slices, differentiated by `#[differentiable]`; plus a hand-written
//! analytic gradient of the same function, and a deterministic input generator.
//!
//! Parameters: `alphas` (k weights), `means` (k × d), `icf` (k × (d + d(d-1)/2)): per
//! component, `q` (the log of the inverse Cholesky factor's diagonal) then `l` (its strict lower
//! triangle, column by column). With `Q = diag(exp(q)) + L`:
//!
//! `f = -nd/2 ln 2π + Σ_i lse_j(α_j + Σq_j - ½|Q_j (x_i - μ_j)|²) - n lse(α)
//!      + Σ_j (½ γ² (|exp(q_j)|² + |l_j|²) - m Σq_j)`
//!
//! (ADBench's objective also subtracts a multivariate log-gamma constant, which changes no
//! gradient and is left out.)

#![allow(dead_code)]

use autodiff::prelude::*;

/// The objective; `d` is the dimension, `k` the number of components, `x` holds n points.
#[allow(clippy::too_many_arguments)]
#[differentiable(wrt(alphas, means, icf), hessian)]
pub fn gmm_objective(
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
    let icf_len = d * (d + 1) / 2;
    let mut slse = 0.0;
    for i in 0..n {
        // log-sum-exp over the components, streamed: the running maximum and the sum below it
        let mut top = f64::NEG_INFINITY;
        let mut below = 0.0;
        for j in 0..k {
            let base = j * icf_len;
            let mut sum_q = 0.0;
            for r in 0..d {
                sum_q += icf[base + r];
            }
            let mut sqsum = 0.0;
            for r in 0..d {
                let mut s = icf[base + r].exp() * (x[i * d + r] - means[j * d + r]);
                for c in 0..r {
                    let l = base + d + c * d - c * (c + 1) / 2 + (r - c - 1);
                    s += icf[l] * (x[i * d + c] - means[j * d + c]);
                }
                sqsum += s * s;
            }
            let v = alphas[j] + sum_q - 0.5 * sqsum;
            if v > top {
                below = below * (top - v).exp() + 1.0;
                top = v;
            } else {
                below += (v - top).exp();
            }
        }
        slse += top + below.ln();
    }
    let mut amax = f64::NEG_INFINITY;
    for &a in alphas.iter() {
        amax = amax.max(a);
    }
    let mut asum = 0.0;
    for &a in alphas.iter() {
        asum += (a - amax).exp();
    }
    let lse_alphas = amax + asum.ln();
    let mut prior = 0.0;
    for j in 0..k {
        let base = j * icf_len;
        let mut squares = 0.0;
        let mut sum_q = 0.0;
        for r in 0..d {
            let q = icf[base + r];
            sum_q += q;
            squares += (2.0 * q).exp();
        }
        for t in d..icf_len {
            squares += icf[base + t] * icf[base + t];
        }
        prior += 0.5 * gamma * gamma * squares - (m as f64) * sum_q;
    }
    let constant = -((n * d) as f64) * 0.5 * (2.0 * std::f64::consts::PI).ln();
    constant + slse - (n as f64) * lse_alphas + prior
}

/// The hand-written analytic gradient, ADDING into the three buffers; returns the value.
/// Per point it computes each component's `s = Q (x - μ)` and log-density, their softmax
/// weights `w`, then `∂/∂α_j += w_j`, `∂/∂q_jr += w_j (1 - s_r e^{q_r} δ_r)`,
/// `∂/∂L_rc += -w_j s_r δ_c` and `∂/∂μ_j += w_j Qᵀ s`.
#[allow(clippy::too_many_arguments)]
pub fn gmm_gradient_hand(
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
    let icf_len = d * (d + 1) / 2;
    let lidx = |r: usize, c: usize| d + c * d - c * (c + 1) / 2 + (r - c - 1);
    let mut v = vec![0.0; k];
    let mut s = vec![0.0; k * d];
    let mut delta = vec![0.0; k * d];
    let mut slse = 0.0;
    for i in 0..n {
        let xi = &x[i * d..(i + 1) * d];
        for j in 0..k {
            let q = &icf[j * icf_len..(j + 1) * icf_len];
            let mut sqsum = 0.0;
            for r in 0..d {
                delta[j * d + r] = xi[r] - means[j * d + r];
            }
            for r in 0..d {
                let mut sr = q[r].exp() * delta[j * d + r];
                for c in 0..r {
                    sr += q[lidx(r, c)] * delta[j * d + c];
                }
                s[j * d + r] = sr;
                sqsum += sr * sr;
            }
            v[j] = alphas[j] + q[..d].iter().sum::<f64>() - 0.5 * sqsum;
        }
        let top = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let total: f64 = v.iter().map(|vj| (vj - top).exp()).sum();
        let lse = top + total.ln();
        slse += lse;
        for j in 0..k {
            let w = (v[j] - lse).exp();
            let q = &icf[j * icf_len..(j + 1) * icf_len];
            let gq = &mut g_icf[j * icf_len..(j + 1) * icf_len];
            g_alphas[j] += w;
            for r in 0..d {
                let (sr, dr) = (s[j * d + r], delta[j * d + r]);
                let er = q[r].exp();
                gq[r] += w * (1.0 - sr * er * dr);
                // Qᵀ s: column r of Q is e^{q_r} on the diagonal and L below it
                let mut qts = er * sr;
                for rr in r + 1..d {
                    qts += q[lidx(rr, r)] * s[j * d + rr];
                    gq[lidx(rr, r)] -= w * s[j * d + rr] * dr;
                }
                g_means[j * d + r] += w * qts;
            }
        }
    }
    let amax = alphas.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let asum: f64 = alphas.iter().map(|a| (a - amax).exp()).sum();
    let lse_alphas = amax + asum.ln();
    let mut prior = 0.0;
    for j in 0..k {
        g_alphas[j] -= n as f64 * (alphas[j] - lse_alphas).exp();
        let q = &icf[j * icf_len..(j + 1) * icf_len];
        let gq = &mut g_icf[j * icf_len..(j + 1) * icf_len];
        let mut squares = 0.0;
        for r in 0..d {
            let e2 = (2.0 * q[r]).exp();
            squares += e2;
            gq[r] += gamma * gamma * e2 - m as f64;
        }
        for t in d..icf_len {
            squares += q[t] * q[t];
            gq[t] += gamma * gamma * q[t];
        }
        prior += 0.5 * gamma * gamma * squares - m as f64 * q[..d].iter().sum::<f64>();
    }
    let constant = -((n * d) as f64) * 0.5 * (2.0 * std::f64::consts::PI).ln();
    constant + slse - n as f64 * lse_alphas + prior
}

/// A deterministic input: (alphas, means, icf, x).
pub fn gmm_input(d: usize, k: usize, n: usize) -> (Vec<f64>, Vec<f64>, Vec<f64>, Vec<f64>) {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut uniform = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let alphas = (0..k).map(|_| uniform() - 0.5).collect();
    let means = (0..k * d).map(|_| uniform()).collect();
    let icf = (0..k * d * (d + 1) / 2).map(|_| 0.5 * uniform() - 0.25).collect();
    let x = (0..n * d).map(|_| uniform()).collect();
    (alphas, means, icf, x)
}

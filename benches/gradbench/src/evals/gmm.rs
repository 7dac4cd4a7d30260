//! `gmm`: the log posterior of a Gaussian mixture with a Wishart prior on the precision
//! matrices (GradBench's corrected ADBench objective), and its gradient in `alpha`, `mu`, `q`
//! and `l`.
//!
//! Component `j` has `Q_j = diag(exp(q_j)) + L_j` (`l_j`: the strict lower triangle, column by
//! column) and precision `Q_jᵀ Q_j`. With `N` points `x_i` of dimension `D`:
//!
//! `f = -ND/2 ln 2π + Σ_i lse_j(α_j + Σq_j - ½|Q_j (x_i - μ_j)|²) - N lse(α)
//!      - Σ_j (½ γ² (|exp(q_j)|² + |l_j|²) - m Σq_j) + K C`
//!
//! where `C = n_w D (ln γ - ½ ln 2) - ln Γ_D(n_w / 2)`, `n_w = D + m + 1`.

use crate::input::{count, float, rows, timed, to_rows};
use autodiff::prelude::*;
use serde_json::{Value, json};

/// The objective; `x` holds the `n` points row after row.
#[allow(clippy::too_many_arguments)]
#[differentiable(wrt(alpha, mu, q, l))]
pub fn gmm(
    alpha: &[f64],
    mu: &[f64],
    q: &[f64],
    l: &[f64],
    x: &[f64],
    d: usize,
    k: usize,
    gamma: f64,
    m: usize,
) -> f64 {
    let n = x.len() / d;
    let l_len = d * (d - 1) / 2;
    // Each component's diagonal exp(q) and Σq, computed once (the buffers are only read after).
    let mut qdiag: Vec<f64> = vec![0.0; k * d];
    let mut sum_qs: Vec<f64> = vec![0.0; k];
    for j in 0..k {
        for r in 0..d {
            qdiag[j * d + r] = q[j * d + r].exp();
            sum_qs[j] += q[j * d + r];
        }
    }
    // Q (x_i - μ_j), column by column of Q's strict lower triangle (contiguous in `l`).
    let mut qx: Vec<f64> = vec![0.0; d];
    let mut slse = 0.0;
    for i in 0..n {
        // log-sum-exp over the components, streamed: the running maximum and the sum below it
        let mut top = f64::NEG_INFINITY;
        let mut below = 0.0;
        for j in 0..k {
            for r in 0..d {
                qx[r] = qdiag[j * d + r] * (x[i * d + r] - mu[j * d + r]);
            }
            for c in 0..d {
                let column = j * l_len + c * d - c * (c + 1) / 2;
                let centred = x[i * d + c] - mu[j * d + c];
                for r in c + 1..d {
                    qx[r] += l[column + r - c - 1] * centred;
                }
            }
            let mut sqsum = 0.0;
            for v in qx.iter() {
                sqsum += v * v;
            }
            let v = alpha[j] + sum_qs[j] - 0.5 * sqsum;
            if v > top {
                below = below * (top - v).exp() + 1.0;
                top = v;
            } else {
                below += (v - top).exp();
            }
        }
        slse += top + below.ln();
    }
    let amax = detach(alpha.iter().fold(f64::NEG_INFINITY, |a, b| a.max(*b)));
    let mut asum = 0.0;
    for a in alpha.iter() {
        asum += (a - amax).exp();
    }
    let lse_alpha = amax + asum.ln();
    let mut prior = 0.0;
    for j in 0..k {
        let mut frobenius = 0.0;
        for r in 0..d {
            frobenius += qdiag[j * d + r] * qdiag[j * d + r];
        }
        for t in 0..l_len {
            frobenius += l[j * l_len + t] * l[j * l_len + t];
        }
        prior += 0.5 * gamma * gamma * frobenius - (m as f64) * sum_qs[j];
    }
    let constant = -((n * d) as f64) * 0.5 * (2.0 * std::f64::consts::PI).ln();
    constant + slse - (n as f64) * lse_alpha - prior + (k as f64) * wishart_constant(d, gamma, m)
}

/// `C = n_w D (ln γ - ½ ln 2) - ln Γ_D(n_w / 2)` with `n_w = D + m + 1`: no parameter in it.
fn wishart_constant(d: usize, gamma: f64, m: usize) -> f64 {
    let nw = (d + m + 1) as f64;
    let d_f = d as f64;
    // The multivariate log-gamma: ln Γ_D(a) = D(D-1)/4 ln π + Σ_{j=1..D} ln Γ(a + (1-j)/2).
    let log_gamma_d = d_f * (d_f - 1.0) / 4.0 * std::f64::consts::PI.ln()
        + (1..=d).map(|j| ln_gamma(0.5 * nw + (1.0 - j as f64) / 2.0)).sum::<f64>();
    nw * d_f * (gamma.ln() - 0.5 * 2f64.ln()) - log_gamma_d
}

/// `ln Γ(z)` for `z > 0`: Lanczos' approximation (g = 7, nine terms; about 1e-15 relative).
fn ln_gamma(z: f64) -> f64 {
    const G: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if z < 0.5 {
        // Reflection: Γ(z) Γ(1 - z) = π / sin(π z).
        let pi = std::f64::consts::PI;
        return (pi / (pi * z).sin()).ln() - ln_gamma(1.0 - z);
    }
    let z = z - 1.0;
    let mut a = G[0];
    let t = z + 7.5;
    for (i, g) in G.iter().enumerate().skip(1) {
        a += g / (z + i as f64);
    }
    0.5 * (2.0 * std::f64::consts::PI).ln() + (z + 0.5) * t.ln() - t + a.ln()
}

/// The input, flattened.
struct Input {
    d: usize,
    k: usize,
    alpha: Vec<f64>,
    mu: Vec<f64>,
    q: Vec<f64>,
    l: Vec<f64>,
    x: Vec<f64>,
    gamma: f64,
    m: usize,
}

fn read(input: &Value) -> Result<Input, String> {
    let (d, k, n) = (count(input, "d")?, count(input, "k")?, count(input, "n")?);
    let p = Input {
        d,
        k,
        alpha: crate::input::floats(input, "alpha")?,
        mu: rows(input, "mu")?,
        q: rows(input, "q")?,
        l: rows(input, "l")?,
        x: rows(input, "x")?,
        gamma: float(input, "gamma")?,
        m: count(input, "m")?,
    };
    let sizes = [
        ("alpha", p.alpha.len(), k),
        ("mu", p.mu.len(), k * d),
        ("q", p.q.len(), k * d),
        ("l", p.l.len(), k * d * d.saturating_sub(1) / 2),
        ("x", p.x.len(), n * d),
    ];
    for (name, got, want) in sizes {
        if got != want || d == 0 {
            return Err(format!(
                "`{name}` has {got} numbers, d = {d}, k = {k}, n = {n} need {want}"
            ));
        }
    }
    Ok(p)
}

pub fn evaluate(function: &str, input: &Value) -> Result<(Value, Vec<u64>), String> {
    let p = read(input)?;
    let (d, k) = (p.d, p.k);
    let f = |p: &Input| gmm(&p.alpha, &p.mu, &p.q, &p.l, &p.x, d, k, p.gamma, p.m);
    match function {
        "objective" => {
            let (v, t) = timed(input, || f(&p));
            Ok((Value::from(v), t))
        }
        "jacobian" => {
            let (g, t) = timed(input, || {
                let (_, g) = gmm_grad(&p.alpha, &p.mu, &p.q, &p.l, &p.x, d, k, p.gamma, p.m);
                g
            });
            let (alpha, mu, q, l) = g;
            let output = json!({
                "alpha": alpha,
                "mu": to_rows(&mu, d),
                "q": to_rows(&q, d),
                "l": to_rows(&l, d * (d - 1) / 2),
            });
            Ok((output, t))
        }
        _ => Err(super::unknown("gmm", function)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ln_gamma_matches_known_values() {
        // Γ(5) = 24, Γ(½) = √π, Γ(0.1) = 9.513507698668732.
        assert!((ln_gamma(5.0) - 24f64.ln()).abs() < 1e-13);
        assert!((ln_gamma(0.5) - 0.5 * std::f64::consts::PI.ln()).abs() < 1e-13);
        assert!((ln_gamma(0.1) - 9.513_507_698_668_732f64.ln()).abs() < 1e-12);
    }

    /// Every parameter's gradient against central finite differences, at a small input.
    #[test]
    fn gradient_matches_finite_differences() {
        let (d, k, n) = (3, 2, 4);
        let wave =
            |len: usize, s: f64| (0..len).map(|i| (s * (i as f64 + 1.0)).sin()).collect::<Vec<_>>();
        let (alpha, mu, q, l, x) =
            (wave(k, 0.7), wave(k * d, 1.3), wave(k * d, 0.4), wave(k * 3, 2.1), wave(n * d, 0.9));
        let sizes = [k, k * d, k * d, k * 3];
        let split = |v: &[f64]| {
            let (a, rest) = v.split_at(sizes[0]);
            let (b, rest) = rest.split_at(sizes[1]);
            let (c, e) = rest.split_at(sizes[2]);
            (a.to_vec(), b.to_vec(), c.to_vec(), e.to_vec())
        };
        let f = |v: &[f64]| {
            let (a, b, c, e) = split(v);
            gmm(&a, &b, &c, &e, &x, d, k, 0.8, 2)
        };
        let grad = |v: &[f64], g: &mut [f64]| {
            let (a, b, c, e) = split(v);
            let (ga, gb, gc, ge) = gmm_grad(&a, &b, &c, &e, &x, d, k, 0.8, 2).1;
            for (gi, v) in g.iter_mut().zip(ga.iter().chain(&gb).chain(&gc).chain(&ge)) {
                *gi += v;
            }
        };
        let all: Vec<f64> = alpha.iter().chain(&mu).chain(&q).chain(&l).copied().collect();
        if let Err(e) = gradcheck(f, grad, &all) {
            panic!("{e}");
        }
    }
}

//! `lstm`: the loss of a character-level LSTM (ADBench's diagonal variant: every gate is an
//! elementwise function of one input and one hidden value) predicting each next character of a
//! one-hot sequence, and its gradient with respect to all weights and biases.
//!
//! Layer `k` of `l` holds `8b` numbers (the forget, input, output and change weights, then their
//! biases, `b` each); `extra` holds the input weights, output weights and output biases; `state`
//! holds each layer's hidden and cell values; `sequence` holds `c` characters of `b` bits.

use crate::input::{rows, timed};
use autodiff::prelude::*;
use serde_json::Value;

/// The loss: minus the mean log-probability of each next character (gates are sigmoids,
/// `1 / (1 + e^{-x})`, written out).
#[differentiable(wrt(main, extra))]
pub fn lstm(
    main: &[f64],
    extra: &[f64],
    state: &[f64],
    sequence: &[f64],
    l: usize,
    b: usize,
) -> f64 {
    let c = sequence.len() / b;
    let mut st: Vec<f64> = state.to_vec();
    let mut ypred: Vec<f64> = vec![0.0; b];
    let mut total = 0.0;
    for t in 0..c - 1 {
        for i in 0..b {
            ypred[i] = sequence[t * b + i] * extra[i];
        }
        for k in 0..l {
            let (w, h) = (8 * b * k, 2 * b * k);
            for i in 0..b {
                let input = if k == 0 { ypred[i] } else { st[h - 2 * b + i] };
                let forget = 1.0 / (1.0 + (-(input * main[w + i] + main[w + 4 * b + i])).exp());
                let ingate =
                    1.0 / (1.0 + (-(st[h + i] * main[w + b + i] + main[w + 5 * b + i])).exp());
                let outgate =
                    1.0 / (1.0 + (-(input * main[w + 2 * b + i] + main[w + 6 * b + i])).exp());
                let change = (st[h + i] * main[w + 3 * b + i] + main[w + 7 * b + i]).tanh();
                let cell = st[h + b + i] * forget + ingate * change;
                st[h + b + i] = cell;
                st[h + i] = outgate * cell.tanh();
            }
        }
        let last = 2 * b * (l - 1);
        let mut sum = 2.0;
        for i in 0..b {
            let y = st[last + i] * extra[b + i] + extra[2 * b + i];
            ypred[i] = y;
            sum += y.exp();
        }
        let lse = sum.ln();
        for i in 0..b {
            total += sequence[(t + 1) * b + i] * (ypred[i] - lse);
        }
    }
    -total / ((c - 1) * b) as f64
}

struct Input {
    l: usize,
    b: usize,
    main: Vec<f64>,
    extra: Vec<f64>,
    state: Vec<f64>,
    sequence: Vec<f64>,
}

fn read(input: &Value) -> Result<Input, String> {
    let main = rows(input, "main_params")?;
    let rows_of = |key: &str| input.get(key).and_then(Value::as_array).map_or(0, Vec::len);
    let l = rows_of("main_params") / 2;
    let b = input
        .get("main_params")
        .and_then(|m| m.get(0))
        .and_then(Value::as_array)
        .map_or(0, |r| r.len() / 4);
    let p = Input {
        l,
        b,
        main,
        extra: rows(input, "extra_params")?,
        state: rows(input, "state")?,
        sequence: rows(input, "sequence")?,
    };
    let ok = l > 0
        && b > 0
        && p.main.len() == 8 * l * b
        && p.extra.len() == 3 * b
        && p.state.len() == 2 * l * b
        && p.sequence.len() >= 2 * b
        && p.sequence.len().is_multiple_of(b);
    if ok { Ok(p) } else { Err(format!("inconsistent lstm input: l = {l}, b = {b}")) }
}

pub fn evaluate(function: &str, input: &Value) -> Result<(Value, Vec<u64>), String> {
    let p = read(input)?;
    match function {
        "objective" => {
            let (v, t) = timed(input, || lstm(&p.main, &p.extra, &p.state, &p.sequence, p.l, p.b));
            Ok((Value::from(v), t))
        }
        "jacobian" => {
            let (g, t) = timed(input, || {
                let (_, (gm, ge)) = lstm_grad(&p.main, &p.extra, &p.state, &p.sequence, p.l, p.b);
                let mut g = gm;
                g.extend(ge);
                g
            });
            Ok((Value::from(g), t))
        }
        _ => Err(super::unknown("lstm", function)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gradient_matches_finite_differences() {
        let (l, b, c) = (2, 3, 4);
        let wave =
            |len: usize, s: f64| (0..len).map(|i| (s * (i as f64 + 1.0)).sin()).collect::<Vec<_>>();
        let (main, extra, state) = (wave(8 * l * b, 0.37), wave(3 * b, 1.1), wave(2 * l * b, 0.6));
        let mut sequence = vec![0.0; c * b];
        for t in 0..c {
            sequence[t * b + (t * 2) % b] = 1.0;
        }
        let all: Vec<f64> = main.iter().chain(&extra).copied().collect();
        let f = |v: &[f64]| lstm(&v[..8 * l * b], &v[8 * l * b..], &state, &sequence, l, b);
        let g = |v: &[f64], g: &mut [f64]| {
            let (gm, ge) = g.split_at_mut(8 * l * b);
            lstm_vjp(&v[..8 * l * b], &v[8 * l * b..], &state, &sequence, l, b, 1.0, gm, ge);
        };
        if let Err(e) = gradcheck(f, g, &all) {
            panic!("{e}");
        }
    }
}

//! `lse`: `ln Σ exp(x_i)`, computed stably around the maximum, and its gradient (the softmax).

use crate::input::{floats, timed};
use autodiff::prelude::*;
use serde_json::Value;

/// The log-sum-exp. The value does not depend on the shift `a` (its derivative in `a` is
/// exactly zero), so the shift is detached and reverse mode keeps nothing for it.
#[differentiable]
pub fn lse(x: &[f64]) -> f64 {
    let a = detach(x.iter().fold(f64::NEG_INFINITY, |m, v| m.max(*v)));
    let mut s = 0.0;
    for v in x.iter() {
        s += (v - a).exp();
    }
    s.ln() + a
}

pub fn evaluate(function: &str, input: &Value) -> Result<(Value, Vec<u64>), String> {
    let x = floats(input, "x")?;
    if x.is_empty() {
        return Err("`x` is empty".to_string());
    }
    match function {
        "primal" => {
            let (v, t) = timed(input, || lse(&x));
            Ok((Value::from(v), t))
        }
        "gradient" => {
            let (g, t) = timed(input, || lse_grad(&x).1);
            Ok((Value::from(g), t))
        }
        _ => Err(super::unknown("lse", function)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The gradient is the softmax of `x`.
    #[test]
    fn gradient_is_the_softmax() {
        let x = [1.0, -2.0, 0.5, 3.0];
        let (value, g) = lse_grad(&x);
        let total: f64 = x.iter().map(|v| v.exp()).sum();
        assert!((value - total.ln()).abs() < 1e-12);
        for (gi, xi) in g.iter().zip(x) {
            assert!((gi - xi.exp() / total).abs() < 1e-12);
        }
    }
}

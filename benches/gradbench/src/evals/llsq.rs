//! `llsq`: the linear least-squares objective `½ Σ_i (s_i - Σ_j x_j t_i^j)²` with
//! `t_i = -1 + 2i/(n-1)` and `s_i = sign(t_i)`, and its gradient in `x`.

use crate::input::{count, floats, timed};
use autodiff::prelude::*;
use serde_json::Value;

/// The objective.
#[differentiable(wrt(x))]
pub fn llsq(x: &[f64], n: usize) -> f64 {
    let mut sum = 0.0;
    for i in 0..n {
        let t = -1.0 + (i as f64) * 2.0 / ((n - 1) as f64);
        let s = if t > 0.0 {
            1.0
        } else if t < 0.0 {
            -1.0
        } else {
            0.0
        };
        let mut residual = s;
        let mut power = 1.0;
        for xj in x.iter() {
            residual -= xj * power;
            power *= t;
        }
        sum += residual * residual;
    }
    sum / 2.0
}

pub fn evaluate(function: &str, input: &Value) -> Result<(Value, Vec<u64>), String> {
    let x = floats(input, "x")?;
    let n = count(input, "n")?;
    match function {
        "primal" => {
            let (v, t) = timed(input, || llsq(&x, n));
            Ok((Value::from(v), t))
        }
        "gradient" => {
            let (g, t) = timed(input, || llsq_grad(&x, n).1);
            Ok((Value::from(g), t))
        }
        _ => Err(super::unknown("llsq", function)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gradient_matches_finite_differences() {
        let x = [0.3, -0.2, 0.5, 0.1];
        let f = |x: &[f64]| llsq(x, 17);
        let g = |x: &[f64], g: &mut [f64]| {
            llsq_vjp(x, 17, 1.0, g);
        };
        if let Err(e) = gradcheck(f, g, &x) {
            panic!("{e}");
        }
    }
}

//! `ode`: `n` coupled linear equations `y_0' = x_0`, `y_i' = x_i y_{i-1}` from `y(0) = 0` to
//! `t = 2`, solved with `s` steps of the classical Runge–Kutta method; the gradient is that of
//! the last component of the solution with respect to `x`.

use crate::input::{count, floats, timed};
use autodiff::prelude::*;
use serde_json::Value;

/// One classical Runge–Kutta step of size `h` from `y`.
#[differentiable]
pub fn rk4_step(x: &[f64], y: &[f64], h: f64) -> Vec<f64> {
    let n = x.len();
    let mut k1: Vec<f64> = vec![0.0; n];
    let mut k2: Vec<f64> = vec![0.0; n];
    let mut k3: Vec<f64> = vec![0.0; n];
    let mut k4: Vec<f64> = vec![0.0; n];
    let mut next: Vec<f64> = vec![0.0; n];
    k1[0] = x[0];
    k2[0] = x[0];
    k3[0] = x[0];
    k4[0] = x[0];
    for i in 1..n {
        k1[i] = x[i] * y[i - 1];
    }
    for i in 1..n {
        k2[i] = x[i] * (y[i - 1] + h * k1[i - 1] / 2.0);
    }
    for i in 1..n {
        k3[i] = x[i] * (y[i - 1] + h * k2[i - 1] / 2.0);
    }
    for i in 1..n {
        k4[i] = x[i] * (y[i - 1] + h * k3[i - 1]);
    }
    for i in 0..n {
        next[i] = y[i] + h * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]) / 6.0;
    }
    next
}

/// The solution at `t = 2`: `s` steps from `y = 0`.
#[differentiable(wrt(x))]
pub fn ode(x: &[f64], s: usize) -> Vec<f64> {
    let h = 2.0 / s as f64;
    let mut y = vec![0.0; x.len()];
    for _ in 0..s {
        y = rk4_step(x, &y, h);
    }
    y
}

pub fn evaluate(function: &str, input: &Value) -> Result<(Value, Vec<u64>), String> {
    let x = floats(input, "x")?;
    let s = count(input, "s")?;
    if x.is_empty() || s == 0 {
        return Err("`x` must not be empty and `s` must be positive".to_string());
    }
    match function {
        "primal" => {
            let (y, t) = timed(input, || ode(&x, s));
            Ok((Value::from(y), t))
        }
        "gradient" => {
            let (g, t) = timed(input, || {
                let mut seed = vec![0.0; x.len()];
                seed[x.len() - 1] = 1.0;
                let mut g = vec![0.0; x.len()];
                ode_vjp(&x, s, seed, &mut g);
                g
            });
            Ok((Value::from(g), t))
        }
        _ => Err(super::unknown("ode", function)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// With enough steps the solution is the exact one, `y_i = x_0 ⋯ x_i 2^{i+1} / (i+1)!`.
    #[test]
    fn solution_matches_the_closed_form() {
        let x = [0.7, 1.3, 0.4];
        let y = ode(&x, 200);
        let exact = [x[0] * 2.0, x[0] * x[1] * 4.0 / 2.0, x[0] * x[1] * x[2] * 8.0 / 6.0];
        for (a, b) in y.iter().zip(exact) {
            assert!((a - b).abs() < 1e-9, "{a} vs {b}");
        }
    }

    /// The last component's gradient against central finite differences (s = 3: RK4's own
    /// derivative, not the exact one).
    #[test]
    fn gradient_matches_finite_differences() {
        let x = [0.7, 1.3, 0.4, 0.9, 1.1];
        let f = |x: &[f64]| ode(x, 3)[4];
        let g = |x: &[f64], g: &mut [f64]| {
            let mut seed = vec![0.0; 5];
            seed[4] = 1.0;
            ode_vjp(x, 3, seed, g);
        };
        if let Err(e) = gradcheck(f, g, &x) {
            panic!("{e}");
        }
    }
}

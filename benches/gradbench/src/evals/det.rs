//! `det`: the determinant of an `ℓ × ℓ` matrix by expansion by minors (the eval's algorithm,
//! chosen for its floating-point work, not its complexity), and its gradient.

use crate::input::{count, floats, timed};
use autodiff::prelude::*;
use serde_json::Value;

/// The determinant of the minor of `a` (row-major, `ell × ell`) made of rows `row..ell` and the
/// columns in the bit set `cols`, expanded along its first row.
#[differentiable(wrt(a))]
pub fn minor(a: &[f64], ell: usize, row: usize, cols: u64) -> f64 {
    if row + 1 == ell {
        let last = cols.trailing_zeros() as usize;
        return a[row * ell + last];
    }
    let mut det = 0.0;
    let mut sign = 1.0;
    for c in 0..ell {
        if cols & (1 << c) != 0 {
            let sub = minor(a, ell, row + 1, cols & !(1 << c));
            det += sign * a[row * ell + c] * sub;
            sign = -sign;
        }
    }
    det
}

/// The determinant.
#[differentiable(wrt(a))]
pub fn det(a: &[f64], ell: usize) -> f64 {
    minor(a, ell, 0, (1u64 << ell) - 1)
}

pub fn evaluate(function: &str, input: &Value) -> Result<(Value, Vec<u64>), String> {
    let a = floats(input, "A")?;
    let ell = count(input, "ell")?;
    if ell == 0 || ell > 63 || a.len() != ell * ell {
        return Err(format!("`A` has {} numbers; ell = {ell} needs ell² (1 ≤ ell ≤ 63)", a.len()));
    }
    match function {
        "primal" => {
            let (v, t) = timed(input, || det(&a, ell));
            Ok((Value::from(v), t))
        }
        "gradient" => {
            let (g, t) = timed(input, || det_grad(&a, ell).1);
            Ok((Value::from(g), t))
        }
        _ => Err(super::unknown("det", function)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Closed forms: det of a 3 × 3 matrix, and its gradient, the cofactor matrix.
    #[test]
    fn three_by_three_and_its_cofactors() {
        let a = [2.0, -1.0, 0.5, 1.5, 3.0, -2.0, 0.25, 1.0, 4.0];
        let (value, g) = det_grad(&a, 3);
        let m = |r: usize, c: usize| a[r * 3 + c];
        let cofactor = |r: usize, c: usize| {
            let (r0, r1) = ((r + 1) % 3, (r + 2) % 3);
            let (c0, c1) = ((c + 1) % 3, (c + 2) % 3);
            m(r0, c0) * m(r1, c1) - m(r0, c1) * m(r1, c0)
        };
        let expected: f64 = (0..3).map(|c| m(0, c) * cofactor(0, c)).sum();
        assert!((value - expected).abs() < 1e-12, "{value} vs {expected}");
        for r in 0..3 {
            for c in 0..3 {
                assert!((g[r * 3 + c] - cofactor(r, c)).abs() < 1e-12, "({r}, {c})");
            }
        }
    }

    #[test]
    fn gradient_matches_finite_differences() {
        let a: Vec<f64> = (0..25).map(|i| ((i * 7 % 11) as f64 * 0.37).sin()).collect();
        let f = |a: &[f64]| det(a, 5);
        let g = |a: &[f64], g: &mut [f64]| {
            det_vjp(a, 5, 1.0, g);
        };
        if let Err(e) = gradcheck(f, g, &a) {
            panic!("{e}");
        }
    }
}

//! [`gradcheck`], [`jacobian`] and [`jacobian_fwd`]: checking and assembling derivatives.

use core::fmt;

/// How [`gradcheck`] found a gradient wrong: the first component that disagrees with central
/// finite differences.
#[derive(Clone, Debug, PartialEq)]
pub struct GradcheckError {
    /// The index of the component that disagrees.
    pub index: usize,
    /// The gradient the checked function reported.
    pub analytic: f64,
    /// The central finite difference `(f(x + h e_i) - f(x - h e_i)) / 2h`.
    pub numeric: f64,
    /// The tolerance that was exceeded: `atol + rtol · |numeric|`.
    pub tolerance: f64,
}

impl fmt::Display for GradcheckError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "gradient component {} is {} but central finite differences give {} (tolerance {})",
            self.index, self.analytic, self.numeric, self.tolerance
        )
    }
}

impl std::error::Error for GradcheckError {}

/// Step of the central differences: balances truncation (h²) and rounding (ε/h) error.
const STEP: f64 = 1e-6;
const RTOL: f64 = 1e-5;
const ATOL: f64 = 1e-6;

/// Checks `grad` against central finite differences of `f` at `x` (PyTorch's `gradcheck`).
///
/// `grad(x, buffer)` must ADD the gradient into `buffer`, exactly like a generated `f_vjp` with
/// seed 1; the buffer passed in starts at zero. Each component must agree within
/// `1e-6 + 1e-5 · |numeric|`.
///
/// ```
/// use autodiff_runtime::gradcheck;
/// let f = |x: &[f64]| x[0] * x[0] + 2.0 * x[1] * x[1];
/// let good = |x: &[f64], g: &mut [f64]| { g[0] += 2.0 * x[0]; g[1] += 4.0 * x[1]; };
/// assert!(gradcheck(f, good, &[-5.0, -2.0]).is_ok());
/// let bad = |x: &[f64], g: &mut [f64]| { g[0] += 2.0 * x[0]; g[1] += 2.0 * x[1]; };
/// assert_eq!(gradcheck(f, bad, &[-5.0, -2.0]).unwrap_err().index, 1);
/// ```
pub fn gradcheck(
    f: impl Fn(&[f64]) -> f64,
    grad: impl Fn(&[f64], &mut [f64]),
    x: &[f64],
) -> Result<(), GradcheckError> {
    let mut analytic = vec![0.0; x.len()];
    grad(x, &mut analytic);
    let mut probe = x.to_vec();
    for (i, &a) in analytic.iter().enumerate() {
        let h = STEP * x[i].abs().max(1.0);
        probe[i] = x[i] + h;
        let up = f(&probe);
        probe[i] = x[i] - h;
        let down = f(&probe);
        probe[i] = x[i];
        let numeric = (up - down) / (2.0 * h);
        let tolerance = ATOL + RTOL * numeric.abs();
        let agrees = (a - numeric).abs() <= tolerance; // false for NaN too
        if !agrees {
            return Err(GradcheckError { index: i, analytic: a, numeric, tolerance });
        }
    }
    Ok(())
}

/// The `m × n` Jacobian of a function `R^n → R^m`, row by row from its reverse mode:
/// `vjp(x, y_bar, x_bar)` must ADD `y_barᵀ J` into `x_bar` (as a generated `f_vjp` does).
///
/// ```
/// use autodiff_runtime::jacobian;
/// // f(x) = (x0 * x1, x0 + x1)
/// let vjp = |x: &[f64], yb: &[f64], xb: &mut [f64]| {
///     xb[0] += yb[0] * x[1] + yb[1];
///     xb[1] += yb[0] * x[0] + yb[1];
/// };
/// assert_eq!(jacobian(vjp, &[2.0, 3.0], 2), vec![vec![3.0, 2.0], vec![1.0, 1.0]]);
/// ```
pub fn jacobian(vjp: impl Fn(&[f64], &[f64], &mut [f64]), x: &[f64], m: usize) -> Vec<Vec<f64>> {
    let mut seed = vec![0.0; m];
    (0..m)
        .map(|i| {
            seed[i] = 1.0;
            let mut row = vec![0.0; x.len()];
            vjp(x, &seed, &mut row);
            seed[i] = 0.0;
            row
        })
        .collect()
}

/// The `m × n` Jacobian of a function `R^n → R^m`, column by column from its forward mode:
/// `jvp(x, x_dot)` returns `J x_dot` (as a generated `f_jvp`'s tangent).
///
/// ```
/// use autodiff_runtime::jacobian_fwd;
/// let jvp = |x: &[f64], d: &[f64]| vec![d[0] * x[1] + x[0] * d[1], d[0] + d[1]];
/// assert_eq!(jacobian_fwd(jvp, &[2.0, 3.0], 2), vec![vec![3.0, 2.0], vec![1.0, 1.0]]);
/// ```
pub fn jacobian_fwd(
    jvp: impl Fn(&[f64], &[f64]) -> Vec<f64>,
    x: &[f64],
    m: usize,
) -> Vec<Vec<f64>> {
    let n = x.len();
    let mut rows = vec![vec![0.0; n]; m];
    let mut direction = vec![0.0; n];
    for j in 0..n {
        direction[j] = 1.0;
        let column = jvp(x, &direction);
        direction[j] = 0.0;
        for (row, value) in rows.iter_mut().zip(column) {
            row[j] = value;
        }
    }
    rows
}

/// The `m × n` Jacobian of a function `R^n → R^m`, `N` columns per call of its batch forward
/// mode: `jvp(x, directions)` returns `J d` for each of the `N` directions (as a generated
/// `f_jvp_batch`'s tangents, `#[differentiable(batch)]`). The last call pads with zero
/// directions. Same result as [`jacobian_fwd`], with `n / N` primal evaluations instead of `n`.
///
/// # Panics
///
/// If `N` is 0 (no direction: no column could be computed).
///
/// ```
/// use autodiff_runtime::jacobian_fwd_batch;
/// let jvp = |x: &[f64], d: [&[f64]; 2]| d.map(|d| vec![d[0] * x[1] + x[0] * d[1], d[0] + d[1]]);
/// assert_eq!(jacobian_fwd_batch(jvp, &[2.0, 3.0], 2), vec![vec![3.0, 2.0], vec![1.0, 1.0]]);
/// ```
pub fn jacobian_fwd_batch<const N: usize>(
    jvp: impl Fn(&[f64], [&[f64]; N]) -> [Vec<f64>; N],
    x: &[f64],
    m: usize,
) -> Vec<Vec<f64>> {
    assert!(N > 0, "jacobian_fwd_batch: a batch of no directions computes no column");
    let n = x.len();
    let mut rows = vec![vec![0.0; n]; m];
    let mut directions = vec![vec![0.0; n]; N];
    for first in (0..n).step_by(N) {
        for (k, d) in directions.iter_mut().enumerate() {
            d.iter_mut().for_each(|v| *v = 0.0);
            if first + k < n {
                d[first + k] = 1.0;
            }
        }
        let columns = jvp(x, std::array::from_fn(|k| directions[k].as_slice()));
        for (k, column) in columns.into_iter().enumerate().filter(|(k, _)| first + k < n) {
            for (row, value) in rows.iter_mut().zip(column) {
                row[first + k] = value;
            }
        }
    }
    rows
}

use crate::helpers::*;
use autodiff::prelude::*;

/// Solves `A x = b` by LU with partial pivoting on a copy of `A` (rows collected by
/// `map`/`collect`, swapped while pivoting) and returns `cᵀ x`.
#[differentiable(wrt(a, b))]
fn lu_solve_dot(a: &[Vec<f64>], b: &[f64], c: &[f64]) -> f64 {
    let n = b.len();
    let mut m: Vec<Vec<f64>> = a.iter().map(|row| row.to_vec()).collect();
    let mut rhs = b.to_vec();
    for col in 0..n {
        let mut piv = col;
        let mut best = m[col][col].abs();
        for r in col + 1..n {
            if m[r][col].abs() > best {
                best = m[r][col].abs();
                piv = r;
            }
        }
        if piv != col {
            m.swap(col, piv);
            rhs.swap(col, piv);
        }
        for r in col + 1..n {
            let factor = m[r][col] / m[col][col];
            for k in col..n {
                m[r][k] -= factor * m[col][k];
            }
            rhs[r] -= factor * rhs[col];
        }
    }
    let mut x = vec![0.0; n];
    for i in (0..n).rev() {
        let mut acc = rhs[i];
        for k in i + 1..n {
            acc -= m[i][k] * x[k];
        }
        x[i] = acc / m[i][i];
    }
    x.iter().zip(c).map(|(xi, ci)| xi * ci).sum()
}

#[test]
fn check() {
    let p = [0.5, 2.0, -1.0, 3.0, 1.0, 0.5, 1.0, -2.0, 4.0, 1.0, 0.0, -1.0];
    let c = [0.3, -0.2, 0.7];
    let unpack = |q: &[f64]| -> (Vec<Vec<f64>>, Vec<f64>) {
        ((0..3).map(|i| q[i * 3..i * 3 + 3].to_vec()).collect(), q[9..].to_vec())
    };
    let f = |q: &[f64]| {
        let (a, b) = unpack(q);
        lu_solve_dot(&a, &b, &c)
    };
    let (a, b) = unpack(&p);
    let (v, (ga, gb)) = lu_solve_dot_grad(&a, &b, &c);
    let grad: Vec<f64> = ga.iter().flatten().chain(gb.iter()).copied().collect();
    let d = dir(12);
    let (da, db) = unpack(&d);
    let (jv, jd) = lu_solve_dot_jvp(&a, &b, &c, &da, &db);
    verify("lu_solve_dot", &f, &p, v, &grad, jv, jd, &d);
}

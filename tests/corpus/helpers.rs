//! Shared finite-difference helpers for the corpus tests.

// (not every test uses every helper)
#![allow(dead_code)]

/// Central finite difference of f at x along coordinate i.
pub fn fd_grad(f: &dyn Fn(&[f64]) -> f64, x: &[f64]) -> Vec<f64> {
    let mut g = vec![0.0; x.len()];
    for i in 0..x.len() {
        let h = 1e-6 * x[i].abs().max(1e-2);
        let mut xp = x.to_vec();
        let mut xm = x.to_vec();
        xp[i] += h;
        xm[i] -= h;
        g[i] = (f(&xp) - f(&xm)) / (2.0 * h);
    }
    g
}

pub fn check_close(name: &str, got: &[f64], want: &[f64], rtol: f64) {
    assert_eq!(got.len(), want.len(), "{name}: length mismatch");
    let scale = want.iter().fold(1.0f64, |m, v| m.max(v.abs()));
    for i in 0..got.len() {
        let err = (got[i] - want[i]).abs();
        assert!(
            err <= rtol * scale.max(want[i].abs()) + 1e-8,
            "{name}: component {i}: got {} want {} (err {err:e})\n got  = {got:?}\n want = {want:?}",
            got[i],
            want[i]
        );
    }
}

pub fn check_scalar(name: &str, got: f64, want: f64, rtol: f64) {
    let err = (got - want).abs();
    assert!(err <= rtol * (1.0 + want.abs()), "{name}: got {got} want {want} (err {err:e})");
}

pub fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// A fixed, non-trivial direction for forward-mode checks.
pub fn dir(n: usize) -> Vec<f64> {
    (0..n)
        .map(|i| {
            let s = if i % 2 == 0 { 1.0 } else { -1.0 };
            s * (0.3 + 0.17 * ((i * 7) % 5) as f64)
        })
        .collect()
}

/// The corpus' single verification routine.
/// f: plain function over a flat parameter vector; p: the point;
/// value/grad: what the library's reverse mode returned (flattened in the same order);
/// jvp_value/jvp_deriv: what forward mode returned along direction d.
#[allow(clippy::too_many_arguments)]
pub fn verify(
    name: &str,
    f: &dyn Fn(&[f64]) -> f64,
    p: &[f64],
    value: f64,
    grad: &[f64],
    jvp_value: f64,
    jvp_deriv: f64,
    d: &[f64],
) {
    let want_v = f(p);
    let fd = fd_grad(f, p);
    let fd_dir = {
        let h = 1e-6 * p.iter().fold(f64::INFINITY, |m, v| m.min(v.abs().max(1e-2)));
        let xp: Vec<f64> = p.iter().zip(d).map(|(a, b)| a + h * b).collect();
        let xm: Vec<f64> = p.iter().zip(d).map(|(a, b)| a - h * b).collect();
        (f(&xp) - f(&xm)) / (2.0 * h)
    };
    println!("{name}: value lib={value:.12e} plain={want_v:.12e}");
    println!("{name}: grad lib={grad:?}");
    println!("{name}: grad fd ={fd:?}");
    println!(
        "{name}: jvp value={jvp_value:.12e} deriv={jvp_deriv:.12e}  dot(grad,d)={:.12e}  fd_dir={fd_dir:.12e}",
        dot(grad, d)
    );
    let rel = |a: f64, b: f64| (a - b).abs() / (1.0 + b.abs());
    assert!(rel(value, want_v) < 1e-9, "GRADCHECK {name}: reverse value {value} != plain {want_v}");
    assert!(
        rel(jvp_value, want_v) < 1e-9,
        "GRADCHECK {name}: jvp value {jvp_value} != plain {want_v}"
    );
    assert_eq!(grad.len(), fd.len(), "GRADCHECK {name}: gradient length");
    let scale = fd.iter().fold(1.0f64, |m, v| m.max(v.abs()));
    for i in 0..fd.len() {
        let err = (grad[i] - fd[i]).abs();
        assert!(
            err <= 1e-5 * scale,
            "GRADCHECK {name}: grad[{i}] lib={} fd={} (err {err:e})\n lib={grad:?}\n fd ={fd:?}",
            grad[i],
            fd[i]
        );
    }
    let dg = dot(grad, d);
    let dscale = 1.0 + dg.abs() + fd_dir.abs();
    assert!(
        (jvp_deriv - dg).abs() <= 1e-7 * dscale,
        "GRADCHECK {name}: jvp deriv {jvp_deriv} != dot(grad,d) {dg} (fd_dir {fd_dir})"
    );
    assert!(
        (jvp_deriv - fd_dir).abs() <= 1e-5 * dscale,
        "GRADCHECK {name}: jvp deriv {jvp_deriv} != fd_dir {fd_dir}"
    );
}

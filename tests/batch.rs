//! Forward mode along several directions at once (`#[differentiable(batch)]` gives
//! `f_jvp_batch`): each direction's derivative equals `f_jvp`'s along it, and a Jacobian
//! assembled from batches equals the one from single directions.

use autodiff::prelude::*;

#[differentiable(batch)]
fn scalars(x: f64, y: f64) -> f64 {
    let s = (x * y).sin() + x.exp() / y;
    if s > 0.0 { s * s } else { -s }
}

#[differentiable(batch)]
fn helper(v: &[f64], w: f64) -> f64 {
    v.iter().map(|a| (a * w).tanh()).sum()
}

#[differentiable(batch)]
fn sequences(x: &[f64], k: f64, steps: usize) -> Vec<f64> {
    let n = x.len();
    let mut state = x.to_vec();
    let mut buffer = vec![0.0; n];
    for _ in 0..steps {
        for i in 0..n {
            buffer[i] = state[i] * k + state[(i + 1) % n].sin();
        }
        for i in 0..n {
            state[i] = buffer[i] - 0.1 * state[i];
        }
    }
    let mut out = vec![0.0; n + 1];
    for i in 0..n {
        out[i] = state[i] * state[i];
    }
    out[n] = helper(&state, k) + helper(&[1.0, 2.0], k);
    out
}

#[differentiable(batch)]
fn arrays(p: [f64; 3], q: &[f64; 2]) -> f64 {
    let mut r = p;
    r[0] *= q[0];
    let [a, b, c] = r;
    a * b + c.powi(3) * q[1]
}

fn close(a: f64, b: f64, what: &str) {
    assert!((a - b).abs() <= 1e-12 * (1.0 + b.abs()), "{what}: {a} vs {b}");
}

#[test]
fn each_direction_equals_forward_mode_along_it() {
    let (x, y) = (0.7, 1.3);
    let (v, t) = scalars_jvp_batch(x, y, [1.0, 0.0, 0.5], [0.0, 1.0, -2.0]);
    assert_eq!(v, scalars(x, y));
    let h = 1e-6;
    for (k, (dx, dy)) in [(1.0, 0.0), (0.0, 1.0), (0.5, -2.0)].into_iter().enumerate() {
        close(t[k], scalars_jvp(x, y, dx, dy).1, "scalars");
        let fd = (scalars(x + h * dx, y + h * dy) - scalars(x - h * dx, y - h * dy)) / (2.0 * h);
        assert!(
            (t[k] - fd).abs() < 1e-6 * (1.0 + fd.abs()),
            "scalars, direction {k}: {} vs {fd}",
            t[k]
        );
    }
    let (p, q) = ([0.3, -1.1, 0.8], [2.0, 0.5]);
    let dirs_p = [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]];
    let dirs_q = [[0.0, 1.0], [1.0, 1.0]];
    let (_, t) = arrays_jvp_batch(p, &q, dirs_p, [&dirs_q[0], &dirs_q[1]]);
    for k in 0..2 {
        close(t[k], arrays_jvp(p, &q, dirs_p[k], &dirs_q[k]).1, "arrays");
        let shift = |s: f64| {
            let pp: [f64; 3] = std::array::from_fn(|i| p[i] + s * dirs_p[k][i]);
            let qq: [f64; 2] = std::array::from_fn(|i| q[i] + s * dirs_q[k][i]);
            arrays(pp, &qq)
        };
        let fd = (shift(h) - shift(-h)) / (2.0 * h);
        assert!(
            (t[k] - fd).abs() < 1e-6 * (1.0 + fd.abs()),
            "arrays, direction {k}: {} vs {fd}",
            t[k]
        );
    }
}

#[test]
fn sequences_loops_buffers_and_calls_in_a_batch() {
    let x = [0.4, -0.2, 1.1, 0.6];
    for steps in [0, 1, 3] {
        let dirs: Vec<Vec<f64>> =
            (0..4).map(|j| (0..4).map(|i| ((i * 3 + j * 5) % 7) as f64 - 3.0).collect()).collect();
        let dk = [0.0, 1.0, -0.5, 2.0];
        let (v, t) =
            sequences_jvp_batch(&x, 0.9, steps, [&dirs[0], &dirs[1], &dirs[2], &dirs[3]], dk);
        assert_eq!(v, sequences(&x, 0.9, steps));
        for k in 0..4 {
            let (_, one) = sequences_jvp(&x, 0.9, steps, &dirs[k], dk[k]);
            for (a, b) in t[k].iter().zip(&one) {
                close(*a, *b, &format!("sequences, {steps} steps, direction {k}"));
            }
        }
    }
}

#[test]
fn jacobians_from_batches_equal_those_from_single_directions() {
    let x = [0.4, -0.2, 1.1, 0.6, 0.9];
    let single = jacobian_fwd(|p, d| sequences_jvp(p, 0.9, 2, d, 0.0).1, &x, 6);
    let three = jacobian_fwd_batch(
        |p, d: [&[f64]; 3]| sequences_jvp_batch(p, 0.9, 2, d, [0.0; 3]).1,
        &x,
        6,
    );
    let one =
        jacobian_fwd_batch(|p, d: [&[f64]; 1]| sequences_jvp_batch(p, 0.9, 2, d, [0.0]).1, &x, 6);
    for (a, b) in single.iter().flatten().zip(three.iter().flatten().zip(one.iter().flatten())) {
        close(*b.0, *a, "N = 3");
        close(*b.1, *a, "N = 1");
    }
    // against central differences too
    let h = 1e-6;
    for j in 0..5 {
        let (mut up, mut down) = (x, x);
        up[j] += h;
        down[j] -= h;
        let (fu, fd) = (sequences(&up, 0.9, 2), sequences(&down, 0.9, 2));
        for i in 0..6 {
            let fd = (fu[i] - fd[i]) / (2.0 * h);
            assert!(
                (three[i][j] - fd).abs() < 1e-6 * (1.0 + fd.abs()),
                "J[{i}][{j}] {} vs {fd}",
                three[i][j]
            );
        }
    }
}

#[differentiable(batch)]
fn dot_ref(a: &[f64; 3], b: &[f64; 3]) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

// Constant borrowed arguments of a batch callee: an array literal, a local array, an nalgebra
// value (each direction borrows one zero).
#[differentiable(batch)]
fn constants_passed_on(p: [f64; 3], f: nalgebra::Vector3<f64>) -> f64 {
    let c = [1.0, 2.0, 3.0];
    let o = nalgebra::Vector3::new(1.0, 0.5, -0.2);
    dot_ref(&[1.0, 2.0, 3.0], &p) + dot_ref(&c, &p) + moment(&o, &f)
}

#[differentiable(batch)]
fn moment(r: &nalgebra::Vector3<f64>, f: &nalgebra::Vector3<f64>) -> f64 {
    r.cross(f).norm()
}

#[test]
fn constant_borrowed_arguments_of_batch_callees() {
    let (p, f) = ([0.3, -0.2, 0.9], nalgebra::Vector3::new(0.3, 1.0, 0.2));
    let dp = [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.5, 0.5, 0.5]];
    let df =
        [nalgebra::Vector3::x(), nalgebra::Vector3::z(), nalgebra::Vector3::new(1.0, -1.0, 2.0)];
    let (v, t) = constants_passed_on_jvp_batch(p, f, dp, df);
    assert_eq!(v, constants_passed_on(p, f));
    let h = 1e-6;
    for k in 0..3 {
        close(t[k], constants_passed_on_jvp(p, f, dp[k], df[k]).1, "constants passed on");
        let shift = |s: f64| {
            let pp: [f64; 3] = std::array::from_fn(|i| p[i] + s * dp[k][i]);
            constants_passed_on(pp, f + df[k] * s)
        };
        let fd = (shift(h) - shift(-h)) / (2.0 * h);
        assert!((t[k] - fd).abs() < 1e-6 * (1.0 + fd.abs()), "direction {k}: {} vs {fd}", t[k]);
    }
}

#[test]
#[should_panic(expected = "a batch of no directions")]
fn a_jacobian_from_batches_of_no_direction_panics() {
    jacobian_fwd_batch(|x, d: [&[f64]; 0]| sequences_jvp_batch(x, 0.9, 1, d, []).1, &[0.5, 1.0], 3);
}

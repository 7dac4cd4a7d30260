//! Loops: `for` over ranges and iterators, `while`, `loop` with `break`/`continue`, nested
//! loops and branches in loops; each checked against closed forms, central finite differences
//! and the adjoint identity.

use autodiff::prelude::*;

mod common;

use common::check;

#[differentiable]
fn rosenbrock(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() - 1 {
        let a = x[i + 1] - x[i] * x[i];
        let b = 1.0 - x[i];
        s += 100.0 * a * a + b * b;
    }
    s
}

/// The closed-form gradient of Rosenbrock's function.
fn rosenbrock_gradient(x: &[f64]) -> Vec<f64> {
    let mut g = vec![0.0; x.len()];
    for i in 0..x.len() - 1 {
        let a = x[i + 1] - x[i] * x[i];
        g[i] += -400.0 * x[i] * a - 2.0 * (1.0 - x[i]);
        g[i + 1] += 200.0 * a;
    }
    g
}

#[test]
fn rosenbrock_matches_its_closed_form() {
    let x: Vec<f64> = (0..1000).map(|i| 0.5 * (i as f64 * 0.37).sin() + 0.2).collect();
    let (value, grad) = rosenbrock_grad(&x);
    assert_eq!(value, rosenbrock(&x));
    for (a, b) in grad.iter().zip(rosenbrock_gradient(&x)) {
        assert!((a - b).abs() <= 1e-12 * b.abs().max(1.0), "{a} vs {b}");
    }
    check("rosenbrock", rosenbrock, rosenbrock_vjp, rosenbrock_jvp, &x[..6]);
}

#[differentiable]
fn tower(x: f64, n: usize) -> f64 {
    let mut y = x;
    for _ in 0..n {
        y = (y * x).sin();
    }
    y
}

#[test]
fn a_value_overwritten_in_a_loop() {
    for n in [0, 1, 2, 5] {
        check(
            &format!("tower {n}"),
            |x| tower(x[0], n),
            |x, s, g| tower_vjp(x[0], n, s, &mut g[0]),
            |x, d| tower_jvp(x[0], n, d[0]),
            &[0.7],
        );
    }
}

#[differentiable(wrt(x))]
fn doubling(x: f64, limit: f64) -> f64 {
    let mut y = 2.0 * x;
    let mut k = 0;
    while y.abs() < limit {
        y *= 2.0;
        k += 1;
    }
    y + (k as f64)
}

#[test]
fn while_loop_with_a_data_dependent_trip_count() {
    // y = 2^(k+1) x with k doublings, so dy/dx = 2^(k+1)
    let (value, g) = doubling_grad(0.3, 1000.0);
    assert_eq!(g, 4096.0);
    assert_eq!(value, 0.3 * 4096.0 + 11.0);
    check(
        "doubling",
        |x| doubling(x[0], 1000.0),
        |x, s, g| doubling_vjp(x[0], 1000.0, s, &mut g[0]),
        |x, d| doubling_jvp(x[0], 1000.0, d[0]),
        &[0.3],
    );
}

#[differentiable]
fn search(x: &[f64], c: f64) -> f64 {
    let mut acc = 0.0;
    let mut i = 0;
    loop {
        if i >= x.len() {
            break;
        }
        let v = x[i] * c;
        i += 1;
        if v < 0.0 {
            continue;
        }
        acc += v.sqrt();
        if acc > 3.0 {
            break;
        }
    }
    acc * c
}

#[test]
fn loop_with_break_and_continue() {
    let x = [0.5, -1.0, 2.0, 0.7, 4.0, 9.0, 1.0];
    check(
        "search",
        |v| search(&v[..7], v[7]),
        |v, s, g| {
            let (gx, gc) = g.split_at_mut(7);
            search_vjp(&v[..7], v[7], s, gx, &mut gc[0])
        },
        |v, d| search_jvp(&v[..7], v[7], &d[..7], d[7]),
        &[x.as_slice(), &[1.3]].concat(),
    );
}

#[differentiable]
fn nested(x: &[f64], w: f64) -> f64 {
    let n = x.len();
    let mut total = 0.0;
    for i in 0..n {
        let mut row = 0.0;
        for j in (0..n).rev().step_by(2) {
            let d = x[i] - x[j];
            row += if d > 0.0 { d * w } else { (d * d).exp() };
        }
        total += row.ln_1p() * x[i];
    }
    total
}

#[test]
fn nested_loops_with_branches() {
    let x = [0.3, -0.4, 1.2, 0.8, -1.1];
    check(
        "nested",
        |v| nested(&v[..5], v[5]),
        |v, s, g| {
            let (gx, gw) = g.split_at_mut(5);
            nested_vjp(&v[..5], v[5], s, gx, &mut gw[0])
        },
        |v, d| nested_jvp(&v[..5], v[5], &d[..5], d[5]),
        &[x.as_slice(), &[0.9]].concat(),
    );
}

// `weights` holds floats in tuples, which are not differentiated: left out by `wrt`.
#[differentiable(wrt(x))]
fn over_items(x: f64, weights: &[(usize, f64)]) -> f64 {
    let mut s = x;
    for &(k, w) in weights.iter() {
        s = s * w + (k as f64) * x.sin();
    }
    s
}

#[test]
fn for_over_an_inactive_iterator() {
    let weights = [(1, 0.5), (3, -1.5), (2, 2.0)];
    check(
        "over_items",
        |v| over_items(v[0], &weights),
        |v, s, g| over_items_vjp(v[0], &weights, s, &mut g[0]),
        |v, d| over_items_jvp(v[0], &weights, d[0]),
        &[0.8],
    );
}

/// GradBench's least-squares objective: the inner loop accumulates into `r` while carrying the
/// power `p` (replayed forwards in reverse mode). Closed form: ∂/∂x_j = -Σ_i r_i t_i^j.
#[differentiable(wrt(x))]
fn least_squares(x: &[f64], n: usize) -> f64 {
    let mut sum = 0.0;
    for i in 0..n {
        let t = -1.0 + 2.0 * i as f64 / (n - 1) as f64;
        let mut r = t.signum();
        let mut p = 1.0;
        for xj in x.iter() {
            r -= xj * p;
            p *= t;
        }
        sum += r * r;
    }
    sum / 2.0
}

#[test]
fn accumulation_with_a_carried_constant() {
    let x = [0.3, -0.2, 0.5, 0.1];
    let n = 9;
    let (_, g) = least_squares_grad(&x, n);
    for (j, gj) in g.iter().enumerate() {
        let expected: f64 = (0..n)
            .map(|i| {
                let t = -1.0 + 2.0 * i as f64 / (n - 1) as f64;
                let r = t.signum()
                    - x.iter().enumerate().map(|(k, xk)| xk * t.powi(k as i32)).sum::<f64>();
                -r * t.powi(j as i32)
            })
            .sum();
        assert!((gj - expected).abs() < 1e-12, "{j}: {gj} vs {expected}");
    }
}

/// A branch holding a transcendental function (taped, not run again) with a branch inside it,
/// in a loop left by `break`.
#[differentiable]
fn log_steps(x: &[f64]) -> f64 {
    let mut y = x[0];
    for _ in 0..10 {
        if y > 1.5 {
            y = y.ln() + 1.0;
            if y < 1.6 {
                break;
            }
        } else {
            y *= 1.3;
        }
    }
    y
}

#[differentiable]
fn nested_branches(x: &[f64]) -> f64 {
    let mut y = 1.0;
    for (i, xi) in x.iter().enumerate() {
        if *xi > 0.0 {
            let u = if i % 2 == 0 { *xi } else { y };
            y *= u.exp();
        }
    }
    y
}

/// Buffers filled with `push` or as prefix sums, then passed on.
#[differentiable]
fn sum_of_squares(v: &[f64]) -> f64 {
    let mut s = 0.0;
    for a in v.iter() {
        s += a * a;
    }
    s
}

#[differentiable]
fn pushed_and_prefix(x: &[f64]) -> f64 {
    let mut pushed: Vec<f64> = Vec::with_capacity(x.len());
    let mut prefix: Vec<f64> = vec![0.0; x.len()];
    for xi in x.iter() {
        pushed.push(xi * xi);
    }
    prefix[0] = x[0];
    for i in 1..x.len() {
        prefix[i] = prefix[i - 1] + x[i];
    }
    sum_of_squares(&pushed) + sum_of_squares(&prefix)
}

#[test]
fn kept_branches_and_buffers_passed_on() {
    for x in [[0.9, 0.0, 0.0], [2.5, 0.0, 0.0], [1.2, 0.0, 0.0]] {
        check("log_steps", log_steps, log_steps_vjp, log_steps_jvp, &x);
    }
    let x = [0.3, -0.4, 0.8, 0.25];
    check("nested_branches", nested_branches, nested_branches_vjp, nested_branches_jvp, &x);
    check("pushed_and_prefix", pushed_and_prefix, pushed_and_prefix_vjp, pushed_and_prefix_jvp, &x);
}

/// Newton's method for `y^3 = a`, returning from inside the loop once converged: the
/// derivative is that of the converged root, `d a^(1/3) / da = a^(-2/3) / 3`.
#[differentiable]
fn cube_root(a: f64) -> f64 {
    let mut y = 1.0;
    for _ in 0..100 {
        let step = (y * y * y - a) / (3.0 * y * y);
        y -= step;
        if step.abs() < 1e-15 {
            return y;
        }
    }
    y
}

/// Returns from a nested loop, from a `while` and from a `loop`, at data-dependent points.
#[differentiable]
fn first_crossings(x: &[f64], level: f64) -> f64 {
    let mut s = 0.0;
    let mut total = 0.0;
    for i in 0..x.len() {
        for j in 0..x.len() {
            s += x[i] * x[j];
            if s > level {
                return s.sqrt() * level;
            }
        }
        total += s;
    }
    let mut k = 0;
    while k < x.len() {
        total += x[k].sin();
        if total > 2.0 * level {
            return total;
        }
        k += 1;
    }
    loop {
        total *= 0.5;
        if total < level {
            return -total;
        }
    }
}

#[test]
fn returns_from_inside_loops() {
    for a in [0.5, 2.0, 27.0] {
        let (value, g) = cube_root_grad(a);
        assert!((value - a.cbrt()).abs() < 1e-14, "{value}");
        let want = a.powf(-2.0 / 3.0) / 3.0;
        assert!((g - want).abs() < 1e-9 * want, "{g} vs {want}");
    }
    // Each return in turn, at levels where no condition is near its threshold: the nested
    // loop's (0.22), the while's (1.22), the loop's (1.5).
    let x = [0.3, -0.2, 0.5, 0.3];
    for (level, want) in [(0.22, 0.27f64.sqrt() * 0.22), (1.22, f64::NAN), (1.5, f64::NAN)] {
        check(
            "first_crossings",
            |v| first_crossings(&v[..4], v[4]),
            |v, seed, g| {
                let (gx, gl) = g.split_at_mut(4);
                first_crossings_vjp(&v[..4], v[4], seed, gx, &mut gl[0])
            },
            |v, d| first_crossings_jvp(&v[..4], v[4], &d[..4], d[4]),
            &[x[0], x[1], x[2], x[3], level],
        );
        if !want.is_nan() {
            // s = x0 (x0 + x1 + x2 + x3) = 0.27 when it first exceeds 0.22
            assert!((first_crossings(&x, level) - want).abs() < 1e-15);
        }
    }
    // the loop's return: total = Σ_i S P_i (S = Σ x, P_i its prefix sums) + Σ sin x_k, halved
    // once
    let sum: f64 = x.iter().sum();
    let rows: f64 = (0..4).map(|i| sum * x[..=i].iter().sum::<f64>()).sum();
    let total = rows + x.iter().map(|v| v.sin()).sum::<f64>();
    let (value, (_, g_level)) = first_crossings_grad(&x, 1.5);
    assert!((value + 0.5 * total).abs() < 1e-12, "{value} vs {}", -0.5 * total);
    assert_eq!(g_level, 0.0, "the loop's result does not depend on the level");
}

/// A loop left by `break` inside another loop: its tape holds the entries of every run, and
/// each run's adjoint must pop only its own (it popped them all before, a wrong gradient).
#[differentiable]
fn nested_break(x: &[f64], level: f64) -> f64 {
    let mut s = 0.0;
    let mut total = 0.0;
    for i in 0..x.len() {
        for j in 0..x.len() {
            s += x[i] * x[j];
            if s > level {
                break;
            }
        }
        total += s;
        let mut k = 0;
        while k < i {
            total += 0.5 * x[k] * s;
            k += 1;
        }
    }
    total
}

#[test]
fn a_loop_with_break_inside_a_loop() {
    let x = [0.3, -0.2, 0.5, 0.3];
    // no break taken: total = Σ_i (S P_i + ½ S P_i Σ_{k<i} x_k), S = Σ x, P_i = Σ_{i'≤i} x_i'
    let (value, (g, _)) = nested_break_grad(&x, 10.0);
    let s: f64 = x.iter().sum();
    let prefix = |i: usize| x[..=i].iter().sum::<f64>();
    let before = |i: usize| x[..i].iter().sum::<f64>();
    let want: f64 = (0..4).map(|i| s * prefix(i) * (1.0 + 0.5 * before(i))).sum();
    assert!((value - want).abs() < 1e-14, "{value} vs {want}");
    let fd: Vec<f64> = (0..4)
        .map(|m| {
            let h = 1e-6;
            let (mut a, mut b) = (x, x);
            a[m] += h;
            b[m] -= h;
            (nested_break(&a, 10.0) - nested_break(&b, 10.0)) / (2.0 * h)
        })
        .collect();
    for (gi, fi) in g.iter().zip(&fd) {
        assert!((gi - fi).abs() < 1e-7, "{g:?} vs {fd:?}");
    }
    // breaks taken in some rows
    for level in [0.05, 0.2] {
        check(
            "nested_break",
            |v| nested_break(&v[..4], v[4]),
            |v, seed, g| {
                let (gx, gl) = g.split_at_mut(4);
                nested_break_vjp(&v[..4], v[4], seed, gx, &mut gl[0])
            },
            |v, d| nested_break_jvp(&v[..4], v[4], &d[..4], d[4]),
            &[x[0], x[1], x[2], x[3], level],
        );
    }
}

/// Loops of data-dependent length nested in loops, three deep, with `continue`, `break` and a
/// buffer written inside; every value is overwritten (not accumulated), so every loop tapes.
/// The control flow depends on integers only, so finite differences see a smooth function.
// Index loops with `break` are the point here.
#[allow(clippy::needless_range_loop)]
#[differentiable(wrt(x))]
fn nested_control_flow(x: &[f64], stop: usize) -> f64 {
    let n = x.len();
    let mut b: Vec<f64> = vec![0.0; n];
    let mut s = 0.5;
    for i in 0..n {
        if i == stop {
            break;
        }
        let mut k = 0;
        while k < i % 3 + 1 {
            s = s * x[k] + x[i];
            let mut j = 0;
            loop {
                if (i + j) % 2 == 0 {
                    j += 1;
                    if j > k + 1 {
                        break;
                    }
                    continue;
                }
                s = (s + x[j]).sin() * 1.5;
                b[j] += s * x[i];
                j += 1;
                if j > k + 1 {
                    break;
                }
            }
            k += 1;
        }
    }
    let mut t = 0.0;
    for j in 0..n {
        for i in 0..n {
            if i > j {
                break;
            }
            t = t * 0.5 + b[i] * x[j];
        }
    }
    s + t
}

#[test]
fn loops_of_data_dependent_length_nested_three_deep() {
    let x = [0.3, -0.2, 0.5, 0.4, 0.7];
    for stop in [0, 2, 4, 9] {
        check(
            "nested_control_flow",
            |v| nested_control_flow(v, stop),
            |v, seed, g| nested_control_flow_vjp(v, stop, seed, g),
            |v, d| nested_control_flow_jvp(v, stop, d),
            &x,
        );
    }
}

/// A data-dependent loop inside an accumulation loop (whose adjoint runs inside the forward
/// loop) and inside a branch of an overwriting loop.
#[allow(clippy::needless_range_loop)]
#[differentiable(wrt(x))]
fn inner_while_loops(x: &[f64], n: usize) -> f64 {
    let mut total = 0.0;
    for i in 0..x.len() {
        let mut y = x[i];
        let mut k = 0;
        while k < n + i {
            y = (y * x[i]).sin() + 0.5;
            k += 1;
        }
        total += y;
    }
    let mut z = 1.0;
    for i in 0..x.len() {
        if i % 2 == 1 {
            let mut k = 0;
            while k < i {
                z = z * x[k] + x[i];
                k += 1;
            }
        } else {
            z = (z * x[i]).cos();
        }
    }
    total * z
}

#[test]
fn data_dependent_loops_in_accumulations_and_branches() {
    let x = [0.3, -0.2, 0.5, 0.4, 0.7];
    for n in [0, 1, 3] {
        check(
            "inner_while_loops",
            |v| inner_while_loops(v, n),
            |v, seed, g| inner_while_loops_vjp(v, n, seed, g),
            |v, d| inner_while_loops_jvp(v, n, d),
            &x,
        );
    }
}

#[differentiable]
fn damped(y: f64, w: f64) -> f64 {
    (y * w).tanh() + 0.1 * y
}

/// An inactive iterator inside a range loop, a local array overwritten in a `while`, a `match`
/// with `break` and `continue` in a loop, a call in a data-dependent loop.
#[differentiable(wrt(x, w))]
fn mixed_loops(x: &[f64], w: f64, pairs: &[(usize, f64)], n: usize) -> f64 {
    let mut s = 0.1;
    for i in 0..x.len() {
        for &(k, c) in pairs.iter() {
            s = s * c + x[k] * x[i];
        }
    }
    let mut a = [x[0], x[1], x[2]];
    let mut k = 0;
    while k < n {
        a[k % 3] = a[(k + 1) % 3] * a[k % 3] + 0.1 * w;
        k += 1;
    }
    let mut t = 0.0;
    for i in 0..x.len() {
        match i % 3 {
            0 => t = t.sin() + x[i],
            1 => {
                if i > n {
                    break;
                }
                t *= x[i];
            }
            _ => continue,
        }
        let mut m = 0;
        while m < i {
            t = damped(t, w) + x[m];
            m += 1;
        }
    }
    s + a[0] + a[1] * a[2] + t
}

#[test]
fn inactive_iterators_arrays_matches_and_calls_in_loops() {
    let x = [0.3, -0.2, 0.5, 0.4, 0.7];
    let pairs = [(1, 0.5), (3, -0.25), (0, 0.75)];
    for n in [0, 2, 5] {
        check(
            "mixed_loops",
            |v| mixed_loops(&v[..5], v[5], &pairs, n),
            |v, seed, g| {
                let (gx, gw) = g.split_at_mut(5);
                mixed_loops_vjp(&v[..5], v[5], &pairs, n, seed, gx, &mut gw[0])
            },
            |v, d| mixed_loops_jvp(&v[..5], v[5], &pairs, n, &d[..5], d[5]),
            &[x[0], x[1], x[2], x[3], x[4], 0.8],
        );
    }
}

/// Labelled loops: `continue 'rows` and `break 'rows` from an inner loop, a labelled loop
/// nested in another, and `break 'outer` from two loops down.
#[allow(clippy::needless_range_loop)]
#[differentiable(wrt(x))]
fn labelled(x: &[f64], skip: usize, stop: usize) -> f64 {
    let mut s = 0.25;
    'rows: for i in 0..x.len() {
        for j in 0..x.len() {
            if j == skip {
                continue 'rows;
            }
            if i + j == stop {
                break 'rows;
            }
            s = (s + x[i] * x[j]).sin();
        }
        s += 0.5 * x[i];
    }
    let mut t = 0.0;
    'outer: for i in 0..x.len() {
        'inner: for j in 0..i {
            let mut k = 0;
            while k < j {
                if k + j == stop {
                    break 'outer;
                }
                if k == skip {
                    continue 'inner;
                }
                t = t * x[k] + x[j];
                k += 1;
            }
            t += x[i];
        }
    }
    s + t
}

#[test]
fn labelled_break_and_continue() {
    let x = [0.3, -0.2, 0.5, 0.4, 0.7];
    // no exit taken; `continue 'rows`; `break 'rows`; both, with `break 'outer`, `continue
    // 'inner`: check compares the values with the function as Rust runs it, bit for bit
    for (skip, stop) in [(9, 99), (2, 99), (9, 4), (1, 5), (0, 3)] {
        check(
            "labelled",
            |v| labelled(v, skip, stop),
            |v, seed, g| labelled_vjp(v, skip, stop, seed, g),
            |v, d| labelled_jvp(v, skip, stop, d),
            &x,
        );
    }
}

/// A `Vec` buffer pushed to in a `while` nested in a `for`, read back in the same iteration,
/// and an early return that reads it.
#[differentiable(wrt(x))]
fn pushes_in_nested_loops(x: &[f64], limit: usize) -> f64 {
    let n = x.len();
    let mut seen: Vec<f64> = Vec::with_capacity(n * n);
    let mut acc = 0.0;
    for i in 0..n {
        let mut j = 0;
        while j < n {
            if seen.len() == limit {
                return acc + seen[0] * seen[limit - 1];
            }
            seen.push(x[i] * x[j] + acc);
            acc = (acc + seen[seen.len() - 1]).sin();
            j += 1;
        }
    }
    acc
}

#[test]
fn buffers_pushed_in_nested_data_dependent_loops() {
    let x = [0.3, -0.2, 0.5, 0.4];
    for limit in [3, 7, 100] {
        check(
            "pushes_in_nested_loops",
            |v| pushes_in_nested_loops(v, limit),
            |v, seed, g| pushes_in_nested_loops_vjp(v, limit, seed, g),
            |v, d| pushes_in_nested_loops_jvp(v, limit, d),
            &x,
        );
    }
}

/// A `loop` used as a value: a fixed-point iteration `y = cos(a y)` whose result leaves by
/// `break y`, inside a loop over several coefficients; two `break`s with values.
#[differentiable]
fn fixed_points(a: &[f64], limit: usize) -> f64 {
    let mut total = 0.0;
    for (i, &ai) in a.iter().enumerate() {
        let mut y = 0.5;
        let mut k = 0;
        let root = loop {
            let next = (ai * y).cos();
            if (next - y).abs() < 1e-14 {
                break next;
            }
            y = next;
            k += 1;
            if k == limit {
                break -y;
            }
        };
        total += root * (i + 1) as f64;
    }
    total
}

#[test]
fn loops_used_as_values() {
    let a = [0.3, 0.7, 1.1];
    // converged: y* = cos(a y*), dy*/da = -y* sin(a y*) / (1 + a sin(a y*))
    let (value, g) = fixed_points_grad(&a, 10_000);
    let mut want_value = 0.0;
    for (i, &ai) in a.iter().enumerate() {
        let mut y: f64 = 0.5;
        for _ in 0..2000 {
            y = (ai * y).cos();
        }
        let s = (ai * y).sin();
        let want = -y * s / (1.0 + ai * s) * (i + 1) as f64;
        assert!((g[i] - want).abs() < 1e-9, "{i}: {} vs {want}", g[i]);
        want_value += y * (i + 1) as f64;
    }
    assert!((value - want_value).abs() < 1e-12);
    // stopped after 5 steps by the second break
    check(
        "fixed_points",
        |v| fixed_points(v, 5),
        |v, seed, g| fixed_points_vjp(v, 5, seed, g),
        |v, d| fixed_points_jvp(v, 5, d),
        &a,
    );
}

/// A `return` of a value computed from the loop's own variables (kept in a variable declared
/// before the loop).
#[differentiable]
fn first_above(x: &[f64], level: f64) -> f64 {
    for &xi in x.iter() {
        let v = xi * xi;
        if v > level {
            return v.sqrt() * xi * level;
        }
    }
    0.0
}

#[test]
fn a_return_of_the_loop_s_own_values() {
    let x = [0.3, -0.2, 0.5, 0.4];
    // returns at i = 0 (0.09 > 0.05), at i = 2 (0.25 > 0.2), never (1.0)
    for (level, i) in [(0.05, Some(0)), (0.2, Some(2)), (1.0, None)] {
        let (value, (g, gl)) = first_above_grad(&x, level);
        let mut want = [0.0; 4];
        let (want_value, want_gl) = match i {
            Some(i) => {
                want[i] = 2.0 * x[i].abs() * level;
                (x[i].abs() * x[i] * level, x[i].abs() * x[i])
            }
            None => (0.0, 0.0),
        };
        assert!((value - want_value).abs() < 1e-15, "{value} vs {want_value}");
        assert!((gl - want_gl).abs() < 1e-15);
        for (a, b) in g.iter().zip(want) {
            assert!((a - b).abs() < 1e-15, "{g:?} vs {want:?}");
        }
    }
}

#[differentiable(wrt(x))]
fn match_exits(x: &[f64], stop: usize, skip: usize) -> f64 {
    let mut s = 0.1;
    'rows: for i in 0..x.len() {
        for j in 0..x.len() {
            match (i + j) % 4 {
                0 if j == skip => continue 'rows,
                1 if i == stop => return s * x[j],
                2 if j == stop => break 'rows,
                _ => {}
            }
            s = (s + x[i] * x[j]).sin();
        }
    }
    let mut k = 0;
    let v = loop {
        k += 1;
        match (s > 0.0, k) {
            (true, 3) => break s * 2.0,
            (false, 3) => break -s,
            _ => s = s * 0.9 + x[k],
        }
    };
    v * 1.5
}

#[differentiable(wrt(x))]
fn while_labels(x: &[f64], skip: usize) -> f64 {
    let mut s = 0.2;
    let mut i = 0;
    'w: while i < x.len() {
        i += 1;
        let mut j = 0;
        while j < x.len() {
            j += 1;
            if j == skip {
                continue 'w;
            }
            s = s * x[j - 1] + x[i - 1];
        }
    }
    s
}

/// Jumps written as `match` arms (`=> continue 'rows,`, `=> return v,`, `=> break v,`) and a
/// labelled `continue` of a `while` whose counter moves before the inner loop.
#[test]
fn jumps_in_match_arms_and_labelled_whiles() {
    let x = [0.3, -0.2, 0.5, 0.4, 0.7];
    for (stop, skip) in [(9, 9), (1, 9), (2, 1), (3, 0)] {
        check(
            "match_exits",
            |v| match_exits(v, stop, skip),
            |v, s, g| match_exits_vjp(v, stop, skip, s, g),
            |v, d| match_exits_jvp(v, stop, skip, d),
            &x,
        );
    }
    for skip in [0, 2, 9] {
        check(
            "while_labels",
            |v| while_labels(v, skip),
            |v, s, g| while_labels_vjp(v, skip, s, g),
            |v, d| while_labels_jvp(v, skip, d),
            &x,
        );
    }
}

// A `return` inside a loop used as a value (the value loop becomes a statement first).
#[allow(clippy::needless_range_loop, clippy::never_loop)]
#[differentiable]
fn return_from_a_value_loop(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() {
        let v = loop {
            if x[i] > 2.0 {
                return s * x[i];
            }
            break x[i] * x[i];
        };
        s += v;
    }
    s
}

#[test]
fn a_return_inside_a_loop_used_as_a_value() {
    // s = 1 + 2.25 after two points; the third (3 > 2) returns s · 3
    let x = [1.0, 1.5, 3.0, 4.0];
    let (v, g) = return_from_a_value_loop_grad(&x);
    assert!((v - 9.75).abs() < 1e-12);
    let want = [6.0, 9.0, 3.25, 0.0];
    for (gi, wi) in g.iter().zip(want) {
        assert!((gi - wi).abs() < 1e-12, "{gi} vs {wi}");
    }
    let (_, t) = return_from_a_value_loop_jvp(&x, &[1.0; 4]);
    assert!((t - 18.25).abs() < 1e-12);
}

// A labelled loop used as a value, its label named only by its own breaks.
#[differentiable]
fn labelled_value_loop(x: f64) -> f64 {
    let mut y = x;
    let v = 'grow: loop {
        y = y * 1.5 + 0.1;
        if y > 3.0 {
            break 'grow y * x;
        }
    };
    v + y
}

#[test]
fn a_labelled_loop_used_as_a_value() {
    // from x = 1: y = 1.6, 2.5, 3.85; v = 3.85 x; dy/dx = 1.5³
    let x = 1.0;
    let (v, g) = labelled_value_loop_grad(x);
    let y = ((x * 1.5 + 0.1) * 1.5 + 0.1) * 1.5 + 0.1;
    assert!((v - (y * x + y)).abs() < 1e-12);
    let dy = 1.5f64.powi(3);
    assert!((g - (dy * x + y + dy)).abs() < 1e-12, "{g}");
}

// `while let` over an inactive scrutinee (a walk along an index chain).
#[differentiable(wrt(x))]
fn walk_chain(x: &[f64], next: &[usize]) -> f64 {
    let mut s = 0.0;
    let mut i = 0;
    while let Some(&j) = next.get(i) {
        s += x[i] * x[j];
        i = j;
        if i == 0 {
            break;
        }
    }
    s
}

#[test]
fn while_let_over_an_inactive_value() {
    // 0 -> 1 -> 2 -> 3 -> 0: s = x0 x1 + x1 x2 + x2 x3 + x3 x0
    let (x, next) = ([1.0, 2.0, 3.0, 4.0], [1, 2, 3, 0]);
    let (v, g) = walk_chain_grad(&x, &next);
    assert_eq!(v, 2.0 + 6.0 + 12.0 + 4.0);
    assert_eq!(g, vec![2.0 + 4.0, 1.0 + 3.0, 2.0 + 4.0, 3.0 + 1.0]);
    let (_, t) = walk_chain_jvp(&x, &next, &[1.0; 4]);
    assert_eq!(t, 20.0);
}

// A `match` arm's binding read by the arm's adjoint (it indexes `x`).
#[differentiable(wrt(x))]
fn arm_binding_as_index(x: &[f64], next: &[usize]) -> f64 {
    match next.first() {
        Some(&j) => x[j] * x[0],
        None => x[0],
    }
}

#[test]
fn a_match_binding_read_by_the_adjoint() {
    let x = [1.5, 2.0, -3.0];
    let (v, g) = arm_binding_as_index_grad(&x, &[2]);
    assert_eq!((v, g), (-4.5, vec![-3.0, 0.0, 1.5]));
    let (v, g) = arm_binding_as_index_grad(&x, &[]);
    assert_eq!((v, g), (1.5, vec![1.0, 0.0, 0.0]));
}

#[differentiable]
fn relaxed(u: &[f64]) -> Vec<f64> {
    u.iter().map(|v| 0.9 * v.sin() + 0.2 * v * v).collect()
}

/// A `Vec` reassigned whole in a loop that may run no iteration: its start value is then the
/// result, and takes the result's adjoint.
#[differentiable]
fn maybe_stepped(x: &[f64], steps: usize) -> f64 {
    let cur: Vec<f64> = relaxed(x);
    let mut next: Vec<f64> = relaxed(&cur);
    for _ in 0..steps {
        next = relaxed(&cur);
    }
    cur[0] + 0.5 * next[2]
}

/// A `Vec` from a call, then written by element.
#[differentiable]
fn call_result_written(x: &[f64]) -> f64 {
    let mut cur: Vec<f64> = relaxed(x);
    cur[0] += x[1];
    cur[0] * cur[2]
}

#[test]
fn loops_that_may_not_run_and_call_results_written() {
    let x = [0.3, -1.2, 2.0];
    for steps in 0..3 {
        check(
            "maybe_stepped",
            |x| maybe_stepped(x, steps),
            |x, s, g| maybe_stepped_vjp(x, steps, s, g),
            |x, d| maybe_stepped_jvp(x, steps, d),
            &x,
        );
    }
    check(
        "call_result_written",
        call_result_written,
        call_result_written_vjp,
        call_result_written_jvp,
        &x,
    );
}

/// Gauss–Legendre nodes and weights on [-1, 1], three points, as a constant table.
const NODES: [f64; 3] = [-0.774_596_669_241_483_4, 0.0, 0.774_596_669_241_483_4];
const WEIGHTS: [f64; 3] = [5.0 / 9.0, 8.0 / 9.0, 5.0 / 9.0];

/// ∫₋₁¹ exp(a·t) dt by quadrature over the table's items (references, as `.iter()` gives them).
#[differentiable]
fn quadrature(a: f64) -> f64 {
    let mut s = 0.0;
    for (n, w) in NODES.iter().zip(WEIGHTS.iter()) {
        s += w * (a * n).exp();
    }
    s
}

/// A call's `Vec` result, read by index without a type annotation.
#[differentiable]
fn squares(x: &[f64]) -> Vec<f64> {
    x.iter().map(|v| v * v).collect()
}

#[differentiable]
fn first_two_squares(x: &[f64]) -> f64 {
    let v = squares(x);
    v[0] + 3.0 * v[1]
}

#[test]
fn items_of_constant_tables_and_unannotated_call_results() {
    // d/da Σ wᵢ exp(a tᵢ) = Σ wᵢ tᵢ exp(a tᵢ)
    let a = 0.7;
    let (value, g) = quadrature_grad(a);
    assert_eq!(value, quadrature(a));
    let exact: f64 = NODES.iter().zip(&WEIGHTS).map(|(t, w)| w * t * (a * t).exp()).sum();
    assert!((g - exact).abs() < 1e-14, "{g} vs {exact}");
    assert!((quadrature_jvp(a, 1.0).1 - g).abs() < 1e-15);
    let x = [1.5, -2.0, 4.0];
    let (_, g) = first_two_squares_grad(&x);
    assert_eq!(g, vec![3.0, -12.0, 0.0]);
    check("first_two_squares", first_two_squares, first_two_squares_vjp, first_two_squares_jvp, &x);
}

/// Dynamic time warping with a table of rows, as written with `vec![vec![..]; ..]`.
#[differentiable]
fn dtw(a: &[f64], b: &[f64]) -> f64 {
    let (n, m) = (a.len(), b.len());
    let mut d = vec![vec![f64::INFINITY; m + 1]; n + 1];
    d[0][0] = 0.0;
    for i in 1..=n {
        for j in 1..=d[i].len() - 1 {
            let cost = (a[i - 1] - b[j - 1]).powi(2);
            d[i][j] = cost + d[i - 1][j].min(d[i][j - 1]).min(d[i - 1][j - 1]);
        }
    }
    d[d.len() - 1][m]
}

#[test]
fn dynamic_programming_tables() {
    let (a, b) = ([0.0, 0.31, 0.97, 1.42, 0.83], [0.05, 0.52, 1.23, 0.44]);
    let x: Vec<f64> = a.iter().chain(&b).copied().collect();
    check(
        "dtw",
        |v| dtw(&v[..5], &v[5..]),
        |v, s, g| {
            let (ga, gb) = g.split_at_mut(5);
            dtw_vjp(&v[..5], &v[5..], s, ga, gb)
        },
        |v, d| dtw_jvp(&v[..5], &v[5..], &d[..5], &d[5..]),
        &x,
    );
    // a one-to-one path of equal sequences costs nothing, and so does its gradient
    let (value, (ga, _)) = dtw_grad(&a, &a);
    assert_eq!(value, 0.0);
    assert!(ga.iter().all(|g| *g == 0.0));
}

const COEFFS: [f64; 4] = [1.0, -0.5, 0.25, -0.125];

/// Reductions typed as floats over constant tables: a power series and Horner's rule.
#[differentiable]
fn series(x: f64) -> f64 {
    let direct = COEFFS.iter().enumerate().map(|(i, c)| c * x.powi(i as i32)).sum::<f64>();
    let horner = COEFFS.iter().rev().fold(0.0, |acc, &c| acc * x + c);
    direct + horner
}

#[test]
fn reductions_over_constant_tables() {
    let x = 0.7;
    let (value, g) = series_grad(x);
    assert_eq!(value, series(x));
    let exact: f64 = 2.0
        * COEFFS
            .iter()
            .enumerate()
            .skip(1)
            .map(|(i, c)| i as f64 * c * x.powi(i as i32 - 1))
            .sum::<f64>();
    assert!((g - exact).abs() < 1e-14, "{g} vs {exact}");
    assert!((series_jvp(x, 1.0).1 - exact).abs() < 1e-14);
}

/// A table's dimensions are the ones it was made with, though the names in them change
/// afterwards (a traceback's counters start as the table's size).
#[differentiable]
fn traced_back(a: &[f64]) -> f64 {
    let mut n = a.len();
    let mut t = vec![vec![0.0; 2]; n];
    for i in 0..a.len() {
        t[i][0] = a[i];
        t[i][1] = a[i] * a[i];
    }
    n = 1;
    t[t.len() - n][1] + t[0].len() as f64
}

#[test]
fn table_dimensions_are_fixed_when_it_is_made() {
    let a = [0.5, 2.0, 3.0];
    let (value, g) = traced_back_grad(&a);
    assert_eq!(value, traced_back(&a));
    assert_eq!(value, 9.0 + 2.0);
    assert_eq!(g, vec![0.0, 0.0, 6.0]);
    assert_eq!(traced_back_jvp(&a, &[0.0, 0.0, 1.0]), (11.0, 6.0));
}

/// Distance to the nearest of the centres `c` (points on a line, as a 1-d k-means writes it):
/// only the nearest centre's distance has an adjoint, and the adjoint of every other distance
/// loop is skipped (it would add zeros).
#[allow(clippy::needless_range_loop)]
#[differentiable(wrt(c))]
fn nearest_centres(c: &[f64], points: &[f64], dims: usize) -> f64 {
    let mut total = 0.0;
    for i in 0..points.len() {
        let mut best = f64::INFINITY;
        for j in 0..c.len() {
            let mut dist = 0.0;
            for _ in 0..dims {
                dist += (c[j] - points[i]).powi(2);
            }
            if dist < best {
                best = dist;
            }
        }
        total += best;
    }
    total
}

/// The same with the distance summed by a `while` loop, whose adjoint pops a tape: never
/// skipped.
#[allow(clippy::needless_range_loop)]
#[differentiable(wrt(c))]
fn nearest_centres_while(c: &[f64], points: &[f64], dims: usize) -> f64 {
    let mut total = 0.0;
    for i in 0..points.len() {
        let mut best = f64::INFINITY;
        for j in 0..c.len() {
            let mut dist = 0.0;
            let mut m = 0;
            while m < dims {
                dist += (c[j] - points[i]).powi(2) * (1.0 + m as f64);
                m += 1;
            }
            if dist < best {
                best = dist;
            }
        }
        total += best;
    }
    total
}

#[test]
fn only_the_nearest_distance_carries_a_gradient() {
    let points: [f64; 5] = [0.1, 0.9, 2.2, 2.0, -0.5];
    let c: [f64; 3] = [0.0, 2.5, 1.0];
    // closed form: ∂/∂c_j = dims · Σ_{i nearest j} 2 (c_j − p_i)
    let dims = 3;
    let mut exact = [0.0; 3];
    for p in points {
        let j = (0..3).min_by(|&a, &b| (c[a] - p).abs().total_cmp(&(c[b] - p).abs())).unwrap();
        exact[j] += dims as f64 * 2.0 * (c[j] - p);
    }
    let (_, g) = nearest_centres_grad(&c, &points, dims);
    for j in 0..3 {
        assert!((g[j] - exact[j]).abs() < 1e-12, "{g:?} vs {exact:?}");
    }
    check(
        "nearest_centres",
        |x| nearest_centres(x, &points, dims),
        |x, s, g| nearest_centres_vjp(x, &points, dims, s, g),
        |x, d| nearest_centres_jvp(x, &points, dims, d),
        &c,
    );
    check(
        "nearest_centres_while",
        |x| nearest_centres_while(x, &points, dims),
        |x, s, g| nearest_centres_while_vjp(x, &points, dims, s, g),
        |x, d| nearest_centres_while_jvp(x, &points, dims, d),
        &c,
    );
}

// Scratch buffers: each iteration fills a buffer before reading it. Reverse mode runs each
// iteration again before its adjoint instead of taping every read of the buffer. (Index loops
// on purpose: that is how such code is written.)

#[differentiable(wrt(x, mu))]
#[allow(clippy::needless_range_loop)]
fn scratch_distances(x: &[f64], mu: &[f64], d: usize, k: usize) -> f64 {
    let mut xc = vec![0.0; d];
    let mut s = 0.0;
    for c in 0..k {
        for j in 0..d {
            xc[j] = x[j] - mu[c * d + j];
        }
        let mut q = 0.0;
        for j in 0..d {
            q += xc[j] * xc[j];
        }
        s = s * 0.5 + q.sqrt();
    }
    s
}

/// A hidden layer filled per sample, and per unit a second scratch buffer inside it: both
/// loops run each iteration again, the inner one inside the outer one's run.
#[differentiable(wrt(w))]
#[allow(clippy::needless_range_loop)]
fn nested_scratch(w: &[f64], x: &[f64], d: usize, n: usize) -> f64 {
    let mut h = vec![0.0; d];
    let mut z = vec![0.0; d];
    let mut total = 0.0;
    for t in 0..n {
        for j in 0..d {
            h[j] = (w[j] * x[t * d + j]).tanh();
        }
        let mut lse = 0.0;
        for c in 0..d {
            for j in 0..d {
                z[j] = h[j] * w[(c + j) % d];
            }
            let mut e = 0.0;
            for j in 0..d {
                if z[j] > 0.0 {
                    e += z[j].exp();
                } else {
                    e += 1.0 + z[j];
                }
            }
            lse += e.ln();
        }
        total = total * 0.9 + lse;
    }
    total
}

/// A packed lower triangle applied in place with a running index, as ADBench's `Qtimesx`:
/// the loop adding into `qx` replays forwards.
#[differentiable(wrt(l, x))]
#[allow(clippy::needless_range_loop, clippy::manual_memcpy)]
fn packed_triangle(l: &[f64], x: &[f64], d: usize) -> f64 {
    let mut qx = vec![0.0; d];
    for j in 0..d {
        qx[j] = x[j];
    }
    let mut idx = 0;
    for i in 0..d {
        for j in i + 1..d {
            qx[j] -= l[idx] * x[i];
            idx += 1;
        }
    }
    let mut s = 0.0;
    for j in 0..d {
        s += qx[j].sin();
    }
    s
}

#[test]
fn scratch_buffers_filled_in_every_iteration() {
    let (d, k) = (3, 4);
    let p: Vec<f64> = (0..d + k * d).map(|i| (i as f64 * 0.77).sin()).collect();
    let split = |p: &[f64]| (p[..d].to_vec(), p[d..].to_vec());
    check(
        "scratch distances",
        |p| {
            let (x, mu) = split(p);
            scratch_distances(&x, &mu, d, k)
        },
        |p, s, g| {
            let (x, mu) = split(p);
            let (gx, gmu) = g.split_at_mut(d);
            scratch_distances_vjp(&x, &mu, d, k, s, gx, gmu)
        },
        |p, v| {
            let ((x, mu), (vx, vmu)) = (split(p), split(v));
            scratch_distances_jvp(&x, &mu, d, k, &vx, &vmu)
        },
        &p,
    );
    let (d, n) = (4, 3);
    let x: Vec<f64> = (0..n * d).map(|i| (i as f64 * 0.41).cos()).collect();
    let w: Vec<f64> = (0..d).map(|i| 0.5 + 0.3 * (i as f64).sin()).collect();
    check(
        "nested scratch",
        |w| nested_scratch(w, &x, d, n),
        |w, s, g| nested_scratch_vjp(w, &x, d, n, s, g),
        |w, v| nested_scratch_jvp(w, &x, d, n, v),
        &w,
    );
    let d = 4;
    let p: Vec<f64> = (0..d * (d - 1) / 2 + d).map(|i| 0.3 * (i as f64 * 1.3).sin()).collect();
    let split = |p: &[f64]| (p[..d * (d - 1) / 2].to_vec(), p[d * (d - 1) / 2..].to_vec());
    check(
        "packed triangle",
        |p| {
            let (l, x) = split(p);
            packed_triangle(&l, &x, d)
        },
        |p, s, g| {
            let (l, x) = split(p);
            let (gl, gx) = g.split_at_mut(d * (d - 1) / 2);
            packed_triangle_vjp(&l, &x, d, s, gl, gx)
        },
        |p, v| {
            let ((l, x), (vl, vx)) = (split(p), split(v));
            packed_triangle_jvp(&l, &x, d, &vl, &vx)
        },
        &p,
    );
}

/// A fill whose range shrinks from one iteration to the next (`0..m - i`): a read at a constant
/// index is not written in every iteration, so the loop must not run its iterations' adjoints
/// out of order (found by review: fused, it gave half the gradient).
#[differentiable(wrt(x))]
#[allow(clippy::needless_range_loop)]
fn shrinking_fill(x: &[f64], m: usize) -> f64 {
    let mut b = vec![0.0; m + 2];
    let mut s = 0.0;
    for i in 0..m {
        for j in 0..m - i {
            b[j] = x[i] * (j as f64 + 1.0);
        }
        s += b[1] * b[1];
    }
    s
}

/// Discounted returns over a shrinking horizon, and a fill whose length is carried.
#[differentiable(wrt(r))]
#[allow(clippy::needless_range_loop)]
fn shrinking_returns(r: &[f64], t_max: usize) -> f64 {
    let mut g = vec![0.0; t_max + 2];
    let mut loss = 0.0;
    for t in 0..t_max {
        for k in 0..t_max - t {
            g[k] = r[t + k] * 0.9;
        }
        loss += (g[0] + 0.5 * g[1]).powi(2);
    }
    loss
}

#[differentiable(wrt(x))]
#[allow(clippy::needless_range_loop)]
fn carried_fill_length(x: &[f64], m: usize) -> f64 {
    let mut b = vec![0.0; m + 2];
    let mut s = 0.0;
    let mut len = m;
    for i in 0..m {
        for j in 0..len {
            b[j] = x[i].sin() + j as f64;
        }
        s += b[1] * x[i];
        len -= 1;
    }
    s
}

#[test]
fn fills_that_change_their_range_between_iterations() {
    // f = 8 x0² for m = 2: the gradient is 16 x0
    let (_, g) = shrinking_fill_grad(&[0.3, 0.7], 2);
    assert!((g[0] - 4.8).abs() < 1e-12 && g[1] == 0.0, "{g:?}");
    for m in [1, 2, 4, 5] {
        let x: Vec<f64> = (0..m).map(|i| 0.3 + 0.4 * (i as f64 * 0.9).sin()).collect();
        check(
            &format!("shrinking fill {m}"),
            |x| shrinking_fill(x, m),
            |x, s, g| shrinking_fill_vjp(x, m, s, g),
            |x, v| shrinking_fill_jvp(x, m, v),
            &x,
        );
        let r: Vec<f64> = (0..m + 1).map(|i| (i as f64 * 0.7).cos()).collect();
        check(
            &format!("shrinking returns {m}"),
            |r| shrinking_returns(r, m),
            |r, s, g| shrinking_returns_vjp(r, m, s, g),
            |r, v| shrinking_returns_jvp(r, m, v),
            &r,
        );
        check(
            &format!("carried fill length {m}"),
            |x| carried_fill_length(x, m),
            |x, s, g| carried_fill_length_vjp(x, m, s, g),
            |x, v| carried_fill_length_jvp(x, m, v),
            &x,
        );
    }
}

/// A physicist's chain of springs as usually written: the initial state copied without a type
/// and left out of `wrt(..)`, forces into a scratch buffer each step, symplectic Euler.
#[allow(clippy::needless_range_loop)]
#[differentiable(wrt(k))]
fn chain_energy(x0: &[f64], k: f64, steps: usize, dt: f64) -> f64 {
    let n = x0.len();
    let mut x = x0.to_vec();
    let mut v = vec![0.0; n];
    let mut f = vec![0.0; n];
    for _ in 0..steps {
        for i in 0..n {
            f[i] = 0.0;
        }
        for i in 1..n {
            let d = x[i] - x[i - 1] - 1.0;
            f[i] -= k * d;
            f[i - 1] += k * d;
        }
        for i in 0..n {
            v[i] += dt * f[i];
            x[i] += dt * v[i];
        }
    }
    let mut e = 0.0;
    for i in 0..n {
        e += 0.5 * v[i] * v[i];
    }
    e
}

#[test]
fn a_copied_initial_state_and_a_force_buffer() {
    let x0 = [0.0, 1.1, 2.05, 2.9, 4.2];
    for steps in [0, 1, 50] {
        let (value, g) = chain_energy_grad(&x0, 3.0, steps, 0.01);
        assert_eq!(value, chain_energy(&x0, 3.0, steps, 0.01));
        let h = 1e-6;
        let fd = (chain_energy(&x0, 3.0 + h, steps, 0.01)
            - chain_energy(&x0, 3.0 - h, steps, 0.01))
            / (2.0 * h);
        assert!((fd - g).abs() <= 1e-6 * (1.0 + g.abs()), "{steps} steps: {g} vs {fd}");
        let (_, tangent) = chain_energy_jvp(&x0, 3.0, steps, 0.01, 1.0);
        assert!((tangent - g).abs() <= 1e-12 * (1.0 + g.abs()), "{tangent} vs {g}");
    }
}

// An accumulator read right after it grows (a running sum whose squares are summed): the
// running sum's adjoint grows with every later use, so the loop is no plain accumulation.
#[allow(clippy::needless_range_loop)]
#[differentiable(wrt(w))]
fn running_sum_of_squares(w: &[f64], x: &[f64]) -> f64 {
    let mut total = 0.0;
    let mut other = 0.0;
    for i in 0..x.len() {
        total += w[0] * x[i];
        other += total * total + w[1] * total.sin();
    }
    other
}

#[test]
fn an_accumulator_read_after_it_grows() {
    for n in [0, 1, 4] {
        let x: Vec<f64> = (0..n).map(|i| 0.3 * i as f64 - 0.5).collect();
        check(
            &format!("running sum of squares, {n} terms"),
            |w| running_sum_of_squares(w, &x),
            |w, s, g| running_sum_of_squares_vjp(w, &x, s, g),
            |w, d| running_sum_of_squares_jvp(w, &x, d),
            &[0.7, -0.3],
        );
    }
}

/// A converged iterate leaving a loop by `break value` and by `return`, in generic code.
#[allow(clippy::let_and_return)]
#[differentiable]
fn power_until<T: Real>(a: T) -> T {
    let mut y = a;
    let mut i = 0;
    let r = loop {
        let next = y * a;
        i += 1;
        if i >= 3 {
            break next;
        }
        y = next;
    };
    r
}

#[differentiable]
fn first_power_above<T: Real>(a: T, bound: T) -> T {
    let mut y = a;
    for _ in 0..10 {
        let next = y * a;
        if next > bound {
            return next;
        }
        y = next;
    }
    y
}

#[test]
fn generic_values_leaving_loops() {
    // a⁴ and its derivative 4a³, in both precisions
    assert_eq!(power_until_grad(2.0f64), (16.0, 32.0));
    assert_eq!(power_until_grad(2.0f32), (16.0, 32.0));
    // 1.5⁴ = 5.0625 is the first power above 5
    let (value, (ga, gb)) = first_power_above_grad(1.5f64, 5.0);
    assert_eq!((value, ga, gb), (5.0625, 13.5, 0.0));
}

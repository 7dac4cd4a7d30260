//! Functions of tensors differentiated by the macro: broadcasting, matrix products, unary
//! functions, reductions, scalars mixed with tensors; gradients against central finite
//! differences and forward mode against reverse mode.

use autodiff::prelude::*;

/// Central finite differences of `f` with respect to every element of `x` (f64 tensors).
fn numeric_gradient(f: &dyn Fn(&Tensor) -> f64, x: &Tensor) -> Vec<f64> {
    let values = x.to_vec::<f64>();
    (0..values.len())
        .map(|i| {
            let h = 1e-6 * values[i].abs().max(1.0);
            let (mut up, mut down) = (values.clone(), values.clone());
            up[i] += h;
            down[i] -= h;
            let (u, d) = (Tensor::from_vec(up, x.shape()), Tensor::from_vec(down, x.shape()));
            (f(&u) - f(&d)) / (2.0 * h)
        })
        .collect()
}

fn close(a: &[f64], b: &[f64], what: &str) {
    assert_eq!(a.len(), b.len(), "{what}");
    for (x, y) in a.iter().zip(b) {
        assert!((x - y).abs() <= 1e-6 + 1e-5 * y.abs(), "{what}: {a:?} vs {b:?}");
    }
}

#[differentiable]
fn layer(x: &Tensor, w: &Tensor, b: &Tensor, s: f64) -> Tensor {
    let z = x.matmul(w) + b;
    let a = z.relu() * s + z.sigmoid() - (z.tanh() * 0.5);
    (a.powi(2).sum() + a.exp().mean()) / 2.0
}

#[test]
fn a_layer_matches_finite_differences() {
    let x = Tensor::randn(&[4, 3], 1).to_dtype(DType::F64);
    let w = Tensor::randn(&[3, 2], 2).to_dtype(DType::F64);
    let b = Tensor::randn(&[2], 3).to_dtype(DType::F64);
    let s = 1.3;
    let (value, (gx, gw, gb, gs)) = layer_grad(&x, &w, &b, s);
    assert_eq!(value.item::<f64>(), layer(&x, &w, &b, s).item::<f64>());
    let f_x = |t: &Tensor| layer(t, &w, &b, s).item::<f64>();
    let f_w = |t: &Tensor| layer(&x, t, &b, s).item::<f64>();
    let f_b = |t: &Tensor| layer(&x, &w, t, s).item::<f64>();
    close(&gx.to_vec(), &numeric_gradient(&f_x, &x), "d/dx");
    close(&gw.to_vec(), &numeric_gradient(&f_w, &w), "d/dw");
    close(&gb.to_vec(), &numeric_gradient(&f_b, &b), "d/db (broadcast over rows)");
    let h = 1e-6;
    let fd_s = (layer(&x, &w, &b, s + h).item::<f64>() - layer(&x, &w, &b, s - h).item::<f64>())
        / (2.0 * h);
    close(&[gs], &[fd_s], "d/ds");
    // forward mode along a direction equals the gradient's projection
    let (dx, dw, db) = (
        Tensor::randn(&[4, 3], 4).to_dtype(DType::F64),
        Tensor::randn(&[3, 2], 5).to_dtype(DType::F64),
        Tensor::randn(&[2], 6).to_dtype(DType::F64),
    );
    let (_, tangent) = layer_jvp(&x, &w, &b, s, &dx, &dw, &db, 0.7);
    let dot = (&gx * &dx).sum().item::<f64>()
        + (&gw * &dw).sum().item::<f64>()
        + (&gb * &db).sum().item::<f64>()
        + gs * 0.7;
    close(&[tangent.item::<f64>()], &[dot], "forward against reverse");
}

#[differentiable]
fn reductions(x: &Tensor) -> Tensor {
    let rows = x.sum_dim(1, false);
    let r = rows.reshape(&[1, 3]);
    (r.t().matmul(&r).ln() + x.sin().sqrt().mean() - x.abs().powf(1.5).sum()).sum()
}

#[test]
fn reductions_reshape_and_transpose() {
    let x = Tensor::rand(&[3, 4], 9).to_dtype(DType::F64) + 0.5;
    let (_, g) = reductions_grad(&x);
    let f = |t: &Tensor| reductions(t).item::<f64>();
    close(&g.to_vec(), &numeric_gradient(&f, &x), "d/dx");
}

/// SEEDS S16: `y = x + 2`, `z = 3 y y`, `out = mean(z)` on 2 × 2 ones: 27, gradient 4.5.
#[differentiable]
fn s16(x: &Tensor) -> Tensor {
    let y = x + 2.0;
    let z = &y * &y * 3.0;
    z.mean()
}

#[test]
fn s16_mean_of_a_product() {
    let (out, g) = s16_grad(&Tensor::ones(&[2, 2]));
    assert_eq!(out.item::<f32>(), 27.0);
    assert_eq!(g.to_vec::<f32>(), [4.5; 4]);
}

/// Adam against its formula, step by step (PyTorch's update with bias correction).
#[test]
fn adam_follows_its_formula() {
    let mut p = Param::new(Tensor::from_vec(vec![1.0f64, -2.0], &[2]));
    let mut opt = Adam::new(0.01);
    let (b1, b2, eps, lr) = (0.9f64, 0.999f64, 1e-8f64, 0.01f64);
    let (mut m, mut v, mut expected) = ([0.0f64; 2], [0.0f64; 2], [1.0f64, -2.0]);
    for t in 1..=5 {
        let grads = [0.3 * t as f64, -1.1 + 0.2 * t as f64];
        p.grad = Tensor::from_vec(grads.to_vec(), &[2]);
        opt.step(&mut [&mut p]);
        for i in 0..2 {
            m[i] = b1 * m[i] + (1.0 - b1) * grads[i];
            v[i] = b2 * v[i] + (1.0 - b2) * grads[i] * grads[i];
            let (mh, vh) = (m[i] / (1.0 - b1.powi(t)), v[i] / (1.0 - b2.powi(t)));
            expected[i] -= lr * mh / (vh.sqrt() + eps);
        }
        close(&p.value.to_vec(), &expected, &format!("step {t}"));
    }
}

/// Adam on `f32` tensors (one fused pass on the CPU, in `f32`) against its formula in `f64`,
/// over many steps and elements of both signs, to `f32` precision.
#[test]
fn adam_on_f32_tensors_follows_its_formula() {
    let n = 37;
    let start: Vec<f32> = (0..n).map(|i| (i as f32 * 0.7).sin()).collect();
    let mut p = Param::new(Tensor::from_vec(start.clone(), &[n]));
    let mut opt = Adam::new(0.05);
    let (b1, b2, eps, lr) = (0.9f64, 0.999f64, 1e-8f64, 0.05f64);
    let (mut m, mut v) = (vec![0.0f64; n], vec![0.0f64; n]);
    let mut expected: Vec<f64> = start.iter().map(|&x| f64::from(x)).collect();
    for t in 1..=40 {
        let grads: Vec<f32> = (0..n).map(|i| ((i * t) as f32 * 0.31).cos() * 2.0 - 0.5).collect();
        p.grad = Tensor::from_vec(grads.clone(), &[n]);
        opt.step(&mut [&mut p]);
        for i in 0..n {
            let g = f64::from(grads[i]);
            m[i] = b1 * m[i] + (1.0 - b1) * g;
            v[i] = b2 * v[i] + (1.0 - b2) * g * g;
            let (mh, vh) = (m[i] / (1.0 - b1.powi(t as i32)), v[i] / (1.0 - b2.powi(t as i32)));
            expected[i] -= lr * mh / (vh.sqrt() + eps);
        }
        let got = p.value.to_vec::<f32>();
        for i in 0..n {
            assert!(
                (f64::from(got[i]) - expected[i]).abs() <= 2e-5 * (1.0 + expected[i].abs()),
                "step {t}, element {i}: {} vs {}",
                got[i],
                expected[i]
            );
        }
    }
}

#[path = "../benches/common/regression.rs"]
mod regression;

/// SEEDS S11 with tensors: 1000 epochs of gradient descent (lr 0.1) reach the least-squares fit.
#[test]
fn s11_linear_regression_with_tensors() {
    let x = Tensor::rand(&[80], 42);
    let noise = Tensor::randn(&[80], 43);
    let y = &(&(&x * 2.0) + 1.0) + &(&noise * 0.1);
    let start = (Tensor::randn(&[1], 2), Tensor::randn(&[1], 1));
    let (b, w) = regression::train_tensors(start, &x, &y, 0.1, 1000);
    let (intercept, slope) = regression::closed_form(&x.to_vec(), &y.to_vec());
    assert!((w.item::<f64>() - slope).abs() < 1e-3, "w {w} vs {slope}");
    assert!((b.item::<f64>() - intercept).abs() < 1e-3, "b {b} vs {intercept}");
}

#[path = "../benches/common/two_layer.rs"]
mod two_layer;

/// SEEDS S13: N = 64, D_in = 1000, H = 100, D_out = 10, Linear-ReLU-Linear, summed squared
/// error, Adam lr 1e-4, 500 steps: the loss falls by more than six orders of magnitude.
#[test]
fn s13_two_layer_net_trains() {
    let (x, y) = two_layer::data(&Device::Cpu);
    let mut net = two_layer::Net::new(&Device::Cpu);
    let losses: Vec<f64> = (0..500).map(|_| net.step(&x, &y).item::<f64>()).collect();
    assert!(losses[499] < losses[0] * 1e-6, "loss went from {} to {}", losses[0], losses[499]);
}

#[differentiable(wrt(w, b))]
fn s14_loss(x: &Tensor, y: &Tensor, w: &Tensor, b: &Tensor) -> Tensor {
    let z = x.matmul(w) + b;
    loss::bce_with_logits(&z, y)
}

/// SEEDS S14: `z = x @ w + b`, x = ones(5), y = zeros(3), BCE with logits: the gradients of w
/// and b equal `gradcheck`'s finite differences.
#[test]
fn s14_bce_with_logits_gradients() {
    let x = Tensor::ones(&[5]).to_dtype(DType::F64).reshape(&[1, 5]);
    let y = Tensor::zeros(&[1, 3]).to_dtype(DType::F64);
    let w = Tensor::randn(&[5, 3], 21).to_dtype(DType::F64);
    let b = Tensor::randn(&[3], 22).to_dtype(DType::F64);
    let flat: Vec<f64> = w.to_vec::<f64>().into_iter().chain(b.to_vec::<f64>()).collect();
    let split = |p: &[f64]| {
        (Tensor::from_vec(p[..15].to_vec(), &[5, 3]), Tensor::from_vec(p[15..].to_vec(), &[3]))
    };
    let result = gradcheck(
        |p| {
            let (w, b) = split(p);
            s14_loss(&x, &y, &w, &b).item::<f64>()
        },
        |p, g| {
            let (w, b) = split(p);
            let (_, (gw, gb)) = s14_loss_grad(&x, &y, &w, &b);
            for (gi, v) in
                g.iter_mut().zip(gw.to_vec::<f64>().into_iter().chain(gb.to_vec::<f64>()))
            {
                *gi += v;
            }
        },
        &flat,
    );
    assert!(result.is_ok(), "{result:?}");
}

#[differentiable]
fn s15(inp: &Tensor) -> Tensor {
    let shifted = inp + 1.0;
    (&shifted * &shifted).t()
}

/// SEEDS S15: `out = ((inp + 1)²)ᵀ` with inp = eye(5) and the cotangent ones: the gradient is 4
/// on the diagonal and 2 elsewhere; accumulated twice, 8 and 4.
#[test]
fn s15_vector_output_with_a_cotangent() {
    let inp = Tensor::eye(5);
    let mut grad = Tensor::zeros(&[5, 5]);
    s15_vjp(&inp, Tensor::ones(&[5, 5]), &mut grad);
    let expected: Vec<f32> = (0..25).map(|k| if k / 5 == k % 5 { 4.0 } else { 2.0 }).collect();
    assert_eq!(grad.to_vec::<f32>(), expected);
    s15_vjp(&inp, Tensor::ones(&[5, 5]), &mut grad);
    assert_eq!(grad.to_vec::<f32>(), expected.iter().map(|v| 2.0 * v).collect::<Vec<_>>());
}

#[differentiable(wrt(x))]
fn s19_loss(x: &Tensor, w: &Tensor, target: &Tensor) -> Tensor {
    loss::mse(&x.matmul(w).sigmoid(), target)
}

/// SEEDS S19: the gradient with respect to the data (an adversarial direction), `wrt(x)`.
#[test]
fn s19_gradient_with_respect_to_the_input() {
    let x = Tensor::randn(&[2, 4], 31).to_dtype(DType::F64);
    let w = Tensor::randn(&[4, 3], 32).to_dtype(DType::F64);
    let target = Tensor::rand(&[2, 3], 33).to_dtype(DType::F64);
    let (_, g) = s19_loss_grad(&x, &w, &target);
    assert_eq!(g.shape(), x.shape());
    let f = |t: &Tensor| s19_loss(t, &w, &target).item::<f64>();
    close(&g.to_vec(), &numeric_gradient(&f, &x), "d/dx");
    // one step against the gradient raises the loss, along it lowers it
    let eps = 1e-2;
    assert!(f(&(&x + &(&g * eps))) > f(&x) && f(&(&x - &(&g * eps))) < f(&x));
}

/// A recurrence over tensors, unrolled by a loop: the state is overwritten each step (so it is
/// taped), `h0` is read every step, and a `while` with `break` runs a data-dependent number of
/// extra steps.
#[differentiable]
fn recurrence(w: &Tensor, h0: &Tensor, steps: usize, extra: usize) -> Tensor {
    let mut h = h0 * 1.0;
    for _ in 0..steps {
        h = h.matmul(w).tanh() + h0 * 0.5;
    }
    let mut k = 0;
    while k < 10 {
        if k == extra {
            break;
        }
        h = (h * 0.9).sin();
        k += 1;
    }
    (&h * &h).sum()
}

#[test]
fn a_tensor_recurrence_in_loops() {
    let w = Tensor::from_vec(vec![0.5, -0.3, 0.2, 0.1, 0.4, -0.6, 0.3, 0.2, 0.7], &[3, 3]);
    let h0 = Tensor::from_vec(vec![0.2, -0.4, 0.6], &[1, 3]);
    for (steps, extra) in [(0, 0), (3, 0), (4, 2)] {
        let (value, (gw, gh)) = recurrence_grad(&w, &h0, steps, extra);
        let primal = recurrence(&w, &h0, steps, extra).item::<f64>();
        assert_eq!(value.item::<f64>(), primal);
        let fw = numeric_gradient(&|w| recurrence(w, &h0, steps, extra).item::<f64>(), &w);
        let fh = numeric_gradient(&|h| recurrence(&w, h, steps, extra).item::<f64>(), &h0);
        close(&gw.to_vec::<f64>(), &fw, "w");
        close(&gh.to_vec::<f64>(), &fh, "h0");
        // forward mode along w's first element against reverse mode
        let mut dw = vec![0.0; 9];
        dw[0] = 1.0;
        let (_, t) = recurrence_jvp(
            &w,
            &h0,
            steps,
            extra,
            &Tensor::from_vec(dw, &[3, 3]),
            &Tensor::zeros(&[1, 3]).to_dtype(DType::F64),
        );
        let t = t.item::<f64>();
        let g0 = gw.to_vec::<f64>()[0];
        assert!((t - g0).abs() < 1e-12 * g0.abs().max(1.0), "{t} vs {g0}");
    }
}

/// A tensor returned from inside a loop and a tensor loop value, both computed from the loop's
/// own variables.
#[differentiable]
fn early_tensor(w: &Tensor, stop: usize) -> Tensor {
    let mut h = w * 1.0;
    for k in 0..5 {
        let next = (&h * 1.5).tanh();
        if k == stop {
            return next.sum();
        }
        h = next;
    }
    let mut j = 0;
    let last = loop {
        let g = (&h * &h).sum();
        j += 1;
        if j == 2 {
            break g;
        }
        h = (h * 0.5).sin();
    };
    last * 2.0
}

#[test]
fn tensors_leave_loops_by_return_and_break() {
    let w = Tensor::from_vec(vec![0.5, -0.3, 0.2, 0.8], &[2, 2]);
    for stop in [0, 2, 9] {
        let (value, g) = early_tensor_grad(&w, stop);
        assert_eq!(value.item::<f64>(), early_tensor(&w, stop).item::<f64>());
        let numeric = numeric_gradient(&|w| early_tensor(w, stop).item::<f64>(), &w);
        close(&g.to_vec::<f64>(), &numeric, "w");
    }
}

/// Adam on `f32` with a huge gradient still moves the parameter (`√v / √bias2`, as PyTorch
/// computes it; `√(v / bias2)` overflowed to infinity first).
#[test]
fn adam_on_f32_takes_huge_gradients() {
    let mut p = Param::new(Tensor::from_vec(vec![-2.0f32], &[1]));
    p.grad = Tensor::from_vec(vec![-2e19f32], &[1]);
    let mut opt = Adam::new(0.01);
    opt.step(&mut [&mut p]);
    // the first step of Adam moves by lr (m̂ / √v̂ = ±1)
    let moved = p.value.to_vec::<f32>()[0];
    assert!((moved - (-1.99)).abs() < 1e-6, "{moved}");
}

#[differentiable]
fn weighted_sum(a: &Tensor, w: &Tensor) -> Tensor {
    (a * w).sum()
}

// Borrows of constant tensors made in the body (`&c`, `&Tensor::ones(..)`, a rebound input)
// handed to calls and operators, as people write them.
#[differentiable(wrt(w, b))]
fn constants_borrowed(w: &Tensor, b: &Tensor, x: &Tensor) -> Tensor {
    let c = Tensor::ones(&[3]).to_dtype(DType::F64);
    let x = x * 2.0;
    let y = nn::linear(&x, w, b);
    weighted_sum(&c, &y.select(0, 0))
        + weighted_sum(&Tensor::ones(&[3]).to_dtype(DType::F64), b)
        + (&c - &y).powi(2).sum()
}

#[test]
fn borrows_of_constant_tensors_are_passed_on() {
    let (w, b, x) = (
        Tensor::randn(&[3, 2], 40).to_dtype(DType::F64),
        Tensor::randn(&[3], 41).to_dtype(DType::F64),
        Tensor::randn(&[2, 2], 42).to_dtype(DType::F64),
    );
    let (_, (gw, gb)) = constants_borrowed_grad(&w, &b, &x);
    let f_w = |t: &Tensor| constants_borrowed(t, &b, &x).item::<f64>();
    let f_b = |t: &Tensor| constants_borrowed(&w, t, &x).item::<f64>();
    close(&gw.to_vec(), &numeric_gradient(&f_w, &w), "d/dw");
    close(&gb.to_vec(), &numeric_gradient(&f_b, &b), "d/db");
}

// A tensor carried through a loop whose shape changes each iteration: a sequence of hidden
// states that grows (`cat`), a window that shrinks (`narrow`).
#[differentiable]
fn growing_and_shrinking(w: &Tensor, x0: &Tensor, steps: usize) -> Tensor {
    let mut h = x0.clone();
    let mut seq = h.clone();
    for _ in 0..steps {
        h = h.matmul(w).tanh();
        seq = Tensor::cat(&[seq, h.clone()], 0);
    }
    let mut window = seq.clone();
    for _ in 0..steps {
        window = window.narrow(0, 1, window.shape()[0] - 1) * 1.5;
    }
    (seq.clone() * seq).sum() + window.sin().sum()
}

#[test]
fn tensors_that_change_shape_in_a_loop() {
    let (w, x0) = (
        Tensor::randn(&[2, 2], 50).to_dtype(DType::F64),
        Tensor::randn(&[1, 2], 51).to_dtype(DType::F64),
    );
    for steps in [0, 1, 3] {
        let (_, (gw, gx)) = growing_and_shrinking_grad(&w, &x0, steps);
        let f_w = |t: &Tensor| growing_and_shrinking(t, &x0, steps).item::<f64>();
        let f_x = |t: &Tensor| growing_and_shrinking(&w, t, steps).item::<f64>();
        close(&gw.to_vec(), &numeric_gradient(&f_w, &w), &format!("d/dw, {steps} steps"));
        close(&gx.to_vec(), &numeric_gradient(&f_x, &x0), &format!("d/dx0, {steps} steps"));
        let (dw, dx) = (
            Tensor::randn(&[2, 2], 52).to_dtype(DType::F64),
            Tensor::randn(&[1, 2], 53).to_dtype(DType::F64),
        );
        let (_, t) = growing_and_shrinking_jvp(&w, &x0, steps, &dw, &dx);
        let expected = (&gw * &dw).sum().item::<f64>() + (&gx * &dx).sum().item::<f64>();
        close(&[t.item::<f64>()], &[expected], "forward mode");
    }
}

// Floats taken out of tensors (`.item::<f64>()`, then float methods), tensors made from
// active floats (`Tensor::full`, `Tensor::scalar`).
#[differentiable]
fn floats_and_tensors(w: &Tensor, s: f64) -> f64 {
    let n = w.sum().item::<f64>();
    let u = (w.clone() * w).mean().item::<f64>().sqrt();
    let made = (w * &Tensor::scalar(s)).sum() + (Tensor::full(&[3], s) * w).sum();
    n.exp() + u / n + n.max(0.1) * s + made.item::<f64>().powf(2.0)
}

#[test]
fn floats_taken_out_of_tensors_and_tensors_made_of_floats() {
    let w = Tensor::from_vec(vec![0.5, 1.2, 0.3], &[3]);
    let (value, (gw, gs)) = floats_and_tensors_grad(&w, 0.8);
    assert_eq!(value, floats_and_tensors(&w, 0.8));
    let h = 1e-6;
    let fd = (floats_and_tensors(&w, 0.8 + h) - floats_and_tensors(&w, 0.8 - h)) / (2.0 * h);
    close(&[gs], &[fd], "d/ds");
    close(&gw.to_vec(), &numeric_gradient(&|t| floats_and_tensors(t, 0.8), &w), "d/dw");
    let (_, t) =
        floats_and_tensors_jvp(&w, 0.8, &Tensor::from_vec(vec![1.0, 0.0, -1.0], &[3]), 0.5);
    let expected = gw.to_vec::<f64>()[0] - gw.to_vec::<f64>()[2] + 0.5 * gs;
    close(&[t], &[expected], "forward mode");
}

// `x.powi(0)` of a tensor at 0: its derivative is 0 (as the float rule's), not `0 · 0⁻¹`.
#[differentiable]
fn powers_at_zero(x: &Tensor) -> Tensor {
    (x.powi(0) + x.powi(2)).sum()
}

#[test]
fn tensor_powi_zero_at_zero() {
    let x = Tensor::from_vec(vec![0.0, 1.0], &[2]);
    let (_, g) = powers_at_zero_grad(&x);
    assert_eq!(g.to_vec::<f64>(), [0.0, 2.0]);
    let (_, t) = powers_at_zero_jvp(&x, &Tensor::from_vec(vec![1.0, 1.0], &[2]));
    assert_eq!(t.item::<f64>(), 2.0);
}

#[differentiable]
fn weighted_squares(w: &Tensor) -> Tensor {
    (w * w).sum()
}

#[differentiable]
fn elementwise_sine(a: &Tensor) -> Tensor {
    a.sin()
}

/// The message of the panic `f` raises.
fn panic_message(f: impl FnOnce() + std::panic::UnwindSafe) -> String {
    let caught = std::panic::catch_unwind(f).expect_err("a panic");
    caught.downcast_ref::<String>().cloned().unwrap_or_default()
}

/// Tangents, adjoint buffers and seeds of the wrong shape panic naming both shapes (a
/// broadcastable one was summed into silently, as PyTorch refuses).
#[test]
fn tensors_of_the_wrong_shape_are_refused() {
    let w = Tensor::from_vec((1..=12).map(f64::from).collect::<Vec<_>>(), &[3, 4]);
    let message = panic_message(|| {
        let mut g = Tensor::scalar(0.0f64);
        weighted_squares_vjp(&w, Tensor::scalar(1.0f64), &mut g);
    });
    assert!(message.starts_with("`w_bar` has shape [] but `w` has shape [3, 4]"), "{message}");
    let message = panic_message(|| {
        let mut g = Tensor::zeros(&[4]).to_dtype(DType::F64);
        weighted_squares_vjp(&w, Tensor::scalar(1.0f64), &mut g);
    });
    assert!(message.starts_with("`w_bar` has shape [4]"), "{message}");
    let message = panic_message(|| {
        weighted_squares_jvp(&w, &Tensor::scalar(1.0f64));
    });
    assert!(message.starts_with("`w_dot` has shape []"), "{message}");
    // a seed takes the result's shape; f_grad needs a one-element result
    let a = Tensor::from_vec(vec![0.1f64, 0.2, 0.3], &[3]);
    let message = panic_message(|| {
        elementwise_sine_grad(&a);
    });
    assert!(message.starts_with("the seed has shape [] but the result has shape [3]"), "{message}");
    // right shapes: the gradient itself
    let mut g = Tensor::zeros(&[3, 4]).to_dtype(DType::F64);
    weighted_squares_vjp(&w, Tensor::scalar(1.0f64), &mut g);
    assert_eq!(g.to_vec::<f64>(), (1..=12).map(|v| 2.0 * f64::from(v)).collect::<Vec<_>>());
    let mut ga = Tensor::zeros(&[3]).to_dtype(DType::F64);
    elementwise_sine_vjp(&a, Tensor::from_vec(vec![1.0f64, 0.0, 2.0], &[3]), &mut ga);
    assert_eq!(ga.to_vec::<f64>(), vec![0.1f64.cos(), 0.0, 2.0 * 0.3f64.cos()]);
}

/// Layers' weights in a slice of tensors left out by `wrt` (inactive data), read by index.
#[allow(clippy::needless_range_loop)]
#[differentiable(wrt(x))]
fn through_layers(ws: &[Tensor], x: &Tensor) -> Tensor {
    let mut h = x.clone();
    for i in 0..ws.len() {
        h = h.matmul(&ws[i]).tanh();
    }
    h.sum()
}

#[test]
fn a_slice_of_tensors_left_out_by_wrt() {
    let ws = vec![
        Tensor::from_vec(vec![0.5f64, -0.2, 0.1, 0.3], &[2, 2]),
        Tensor::from_vec(vec![1.0f64, 0.0, 0.4, 0.7], &[2, 2]),
    ];
    let x = Tensor::from_vec(vec![0.3f64, -0.6], &[1, 2]);
    let (_, g) = through_layers_grad(&ws, &x);
    let numeric = numeric_gradient(&|t: &Tensor| through_layers(&ws, t).item::<f64>(), &x);
    for (a, b) in g.to_vec::<f64>().iter().zip(&numeric) {
        assert!((a - b).abs() < 1e-8 * (1.0 + b.abs()), "{a} vs {b}");
    }
}

/// A loss accumulated over a batch as PyTorch code does: `loss += ..` on tensors, a running
/// accuracy from `argmax` (an inactive index), `-=` and `*=` by floats.
#[differentiable(wrt(w))]
fn batch_loss(w: &Tensor, xs: &[Tensor], labels: &[usize], hits: &mut usize) -> Tensor {
    let mut loss = Tensor::scalar(0.0f64);
    for (x, &label) in xs.iter().zip(labels) {
        let logits = x.matmul(w);
        if logits.argmax(1)[0] == label {
            *hits += 1;
        }
        let logp = logits.log_softmax(1);
        loss -= logp.narrow(1, label, 1).sum();
    }
    loss *= 1.0 / xs.len() as f64;
    loss += (w * w).sum() * 0.01;
    loss
}

/// `+=`, `-=`, `*=` of tensors in a differentiable function: the gradient against central
/// differences, and against the closed form `Σ xᵀ(p - onehot) / n + 0.02 w`.
#[test]
fn tensors_accumulated_in_place() {
    let w = Tensor::randn(&[3, 4], 7).to_dtype(DType::F64);
    let xs: Vec<Tensor> =
        (0..5).map(|i| Tensor::randn(&[1, 3], 10 + i).to_dtype(DType::F64)).collect();
    let labels = [0, 3, 1, 1, 2];
    let mut hits = 0;
    let (_, gw) = batch_loss_grad(&w, &xs, &labels, &mut hits);
    let expected_hits = xs.iter().zip(&labels).filter(|(x, l)| x.matmul(&w).argmax(1)[0] == **l);
    // (split mode: the body ran once, so hits counts each sample once)
    assert_eq!(hits, expected_hits.count());
    let mut closed = &w * 0.02;
    for (x, &l) in xs.iter().zip(&labels) {
        let p = x.matmul(&w).softmax(1);
        let onehot =
            Tensor::from_vec((0..4).map(|k| f64::from(u8::from(k == l))).collect(), &[1, 4]);
        closed += x.t().matmul(&(&p - &onehot)) * (1.0 / 5.0);
    }
    close(&gw.to_vec::<f64>(), &closed.to_vec::<f64>(), "closed form");
    let numeric =
        numeric_gradient(&|w: &Tensor| batch_loss(w, &xs, &labels, &mut 0).item::<f64>(), &w);
    close(&gw.to_vec::<f64>(), &numeric, "central differences");
    let mut t = Tensor::ones(&[2]);
    t += &t.clone();
    t *= 3.0;
    t -= Tensor::ones(&[2]);
    t /= 5.0;
    assert_eq!(t.to_vec::<f32>(), [1.0, 1.0]);
}

/// A sum started from `x.zeros_like()` and moved by `x.ones_like()` (tensors of constants of
/// `x`'s dtype), then read twice.
#[differentiable]
fn accumulated_from_zeros_like(x: &Tensor) -> Tensor {
    let mut total = x.zeros_like();
    for k in 0..3 {
        total += x * (k as f64) + x.ones_like();
    }
    let shifted = x.zeros_like() + &total;
    (shifted.clone() * shifted).sum()
}

/// `zeros_like`/`ones_like` are constants: `total = 3x + 3`, `f = Σ (3x + 3)²`, whose gradient
/// is `6 (3x + 3)`.
#[test]
fn tensors_of_constants_shaped_like_a_parameter() {
    let x = Tensor::from_vec(vec![0.5f64, -1.0, 2.0], &[3]);
    let (value, g) = accumulated_from_zeros_like_grad(&x);
    let xs = x.to_vec::<f64>();
    let expected: Vec<f64> = xs.iter().map(|v| 6.0 * (3.0 * v + 3.0)).collect();
    close(&g.to_vec::<f64>(), &expected, "closed form");
    assert!(
        (value.item::<f64>() - xs.iter().map(|v| (3.0 * v + 3.0).powi(2)).sum::<f64>()).abs()
            < 1e-12
    );
    let numeric = numeric_gradient(&|x: &Tensor| accumulated_from_zeros_like(x).item::<f64>(), &x);
    close(&g.to_vec::<f64>(), &numeric, "central differences");
}

/// Compound assignment on tensors: in place when the data is the tensor's own (a handle
/// cloned before keeps the old values), with broadcasting and dtype promotion otherwise.
#[test]
fn compound_assignment_keeps_other_handles() {
    let mut a = Tensor::from_vec(vec![1.0f64, 2.0, 3.0], &[3]);
    let before = a.clone();
    a += Tensor::from_vec(vec![1.0f64, 1.0, 1.0], &[3]);
    assert_eq!(
        (a.to_vec::<f64>(), before.to_vec::<f64>()),
        (vec![2.0, 3.0, 4.0], vec![1.0, 2.0, 3.0])
    );
    a *= &Tensor::from_vec(vec![2.0f64, 0.5, 1.0], &[3]);
    a -= Tensor::from_vec(vec![1.0f64, 1.0, 1.0], &[3]);
    a /= &Tensor::from_vec(vec![3.0f64, 0.5, 3.0], &[3]);
    assert_eq!(a.to_vec::<f64>(), [1.0, 1.0, 1.0]);
    // broadcasting (a new tensor) and an f32 operand (promoted, as `+`)
    let mut b = Tensor::from_vec(vec![1.0f32, 2.0], &[2]);
    b += Tensor::scalar(1.0f32);
    assert_eq!(b.to_vec::<f32>(), [2.0, 3.0]);
    b += Tensor::from_vec(vec![0.5f64, 0.5], &[2]);
    assert_eq!((b.dtype(), b.to_vec::<f64>()), (DType::F64, vec![2.5, 3.5]));
}

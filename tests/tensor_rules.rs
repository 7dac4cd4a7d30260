//! Every tensor rule against central finite differences: each operation is projected to a
//! scalar by a fixed random weighting `r` (so every element of the result matters, with its own
//! weight), differentiated by the macro in reverse mode and checked element by element; forward
//! mode is checked against reverse mode along a random direction. Broadcasting cases reduce the
//! adjoint back to each operand's shape.

use autodiff::prelude::*;

fn t(shape: &[usize], seed: u64) -> Tensor {
    Tensor::randn(shape, seed).to_dtype(DType::F64)
}

/// Positive entries in [0.5, 1.5], for `ln`, `sqrt`, `powf` and divisors.
fn positive(shape: &[usize], seed: u64) -> Tensor {
    Tensor::rand(shape, seed).to_dtype(DType::F64) + 0.5
}

/// Checks `grads[i]` against central differences of `f` in `inputs[i]`, for every input.
#[track_caller]
fn check(what: &str, f: &dyn Fn(&[Tensor]) -> f64, inputs: &[Tensor], grads: &[Tensor]) {
    assert_eq!(inputs.len(), grads.len());
    for (i, (x, g)) in inputs.iter().zip(grads).enumerate() {
        assert_eq!(g.shape(), x.shape(), "{what}: gradient {i} has the operand's shape");
        let values = x.to_vec::<f64>();
        let analytic = g.to_vec::<f64>();
        for (k, a) in analytic.iter().enumerate() {
            let h = 1e-6 * values[k].abs().max(1.0);
            let at = |v: f64| {
                let mut moved = values.clone();
                moved[k] = v;
                let mut args = inputs.to_vec();
                args[i] = Tensor::from_vec(moved, x.shape());
                f(&args)
            };
            let numeric = (at(values[k] + h) - at(values[k] - h)) / (2.0 * h);
            assert!(
                (a - numeric).abs() <= 1e-6 + 1e-5 * numeric.abs(),
                "{what}: d/d(operand {i})[{k}] = {a}, finite differences {numeric}"
            );
        }
    }
}

/// Checks a forward-mode derivative along `dirs` against the gradients' projection.
#[track_caller]
fn check_forward(what: &str, tangent: f64, grads: &[Tensor], dirs: &[Tensor]) {
    let dot: f64 = grads.iter().zip(dirs).map(|(g, d)| (g * d).sum().item::<f64>()).sum();
    assert!((tangent - dot).abs() <= 1e-9 + 1e-9 * dot.abs(), "{what}: jvp {tangent} vs {dot}");
}

#[differentiable(wrt(a, b))]
fn add(a: &Tensor, b: &Tensor, r: &Tensor) -> Tensor {
    ((a + b) * r).sum()
}
#[differentiable(wrt(a, b))]
fn sub(a: &Tensor, b: &Tensor, r: &Tensor) -> Tensor {
    ((a - b) * r).sum()
}
#[differentiable(wrt(a, b))]
fn mul(a: &Tensor, b: &Tensor, r: &Tensor) -> Tensor {
    ((a * b) * r).sum()
}
#[differentiable(wrt(a, b))]
fn div(a: &Tensor, b: &Tensor, r: &Tensor) -> Tensor {
    ((a / b) * r).sum()
}

/// `+ - * /` with the shapes of each broadcasting case, both operands' gradients and forward
/// mode.
#[test]
fn binary_operators_with_broadcasting() {
    type Grad = fn(&Tensor, &Tensor, &Tensor) -> (Tensor, (Tensor, Tensor));
    type Value = fn(&Tensor, &Tensor, &Tensor) -> Tensor;
    type Forward = fn(&Tensor, &Tensor, &Tensor, &Tensor, &Tensor) -> (Tensor, Tensor);
    let ops: [(&str, Value, Grad, Forward); 4] = [
        ("add", add, add_grad, |a, b, r, da, db| add_jvp(a, b, r, da, db)),
        ("sub", sub, sub_grad, |a, b, r, da, db| sub_jvp(a, b, r, da, db)),
        ("mul", mul, mul_grad, |a, b, r, da, db| mul_jvp(a, b, r, da, db)),
        ("div", div, div_grad, |a, b, r, da, db| div_jvp(a, b, r, da, db)),
    ];
    let shapes: [(&[usize], &[usize]); 6] = [
        (&[2, 3], &[2, 3]),
        (&[2, 3], &[3]),
        (&[2, 1], &[1, 3]),
        (&[3], &[4, 2, 3]),
        (&[2, 1, 3], &[4, 1]),
        (&[2, 3], &[]),
    ];
    for (name, value, grad, forward) in ops {
        for (k, (sa, sb)) in shapes.iter().enumerate() {
            let seed = 10 * k as u64;
            let (a, b) = (t(sa, seed), positive(sb, seed + 1));
            let out = (&a + &b).shape().to_vec();
            let r = t(&out, seed + 2);
            let what = format!("{name} {sa:?} {sb:?}");
            let (v, (ga, gb)) = grad(&a, &b, &r);
            assert_eq!(v.item::<f64>(), value(&a, &b, &r).item::<f64>(), "{what}: value");
            let f = |x: &[Tensor]| value(&x[0], &x[1], &r).item::<f64>();
            check(&what, &f, &[a.clone(), b.clone()], &[ga.clone(), gb.clone()]);
            let (da, db) = (t(sa, seed + 3), t(sb, seed + 4));
            let (_, tangent) = forward(&a, &b, &r, &da, &db);
            check_forward(&what, tangent.item::<f64>(), &[ga, gb], &[da, db]);
        }
    }
}

#[differentiable(wrt(a, s))]
fn scalar_operands(a: &Tensor, s: f64, r: &Tensor) -> Tensor {
    (((a * s) + s - (a / s) + (-a)) * r).sum()
}

/// A scalar (`f64`) operand mixed with tensors: its adjoint is the sum over the broadcast.
#[test]
fn scalars_mixed_with_tensors() {
    let (a, r, s) = (t(&[2, 3], 1), t(&[2, 3], 2), 1.7);
    let (_, (ga, gs)) = scalar_operands_grad(&a, s, &r);
    let f = |x: &[Tensor]| scalar_operands(&x[0], s, &r).item::<f64>();
    check("tensor operand", &f, std::slice::from_ref(&a), &[ga]);
    let h = 1e-6;
    let numeric = (scalar_operands(&a, s + h, &r).item::<f64>()
        - scalar_operands(&a, s - h, &r).item::<f64>())
        / (2.0 * h);
    assert!((gs - numeric).abs() < 1e-6 * numeric.abs().max(1.0), "d/ds {gs} vs {numeric}");
}

#[differentiable(wrt(x))]
fn unary(x: &Tensor, r: &Tensor, which: usize) -> Tensor {
    let y = match which {
        0 => x.relu(),
        1 => x.sigmoid(),
        2 => x.tanh(),
        3 => x.exp(),
        4 => x.ln(),
        5 => x.sin(),
        6 => x.cos(),
        7 => x.sqrt(),
        8 => x.abs(),
        9 => x.powi(3),
        _ => x.powf(1.7),
    };
    (y * r).sum()
}

/// Every unary function, away from its kinks (relu and abs at 0).
#[test]
fn unary_functions() {
    let names =
        ["relu", "sigmoid", "tanh", "exp", "ln", "sin", "cos", "sqrt", "abs", "powi", "powf"];
    for (which, name) in names.iter().enumerate() {
        let x = if matches!(*name, "ln" | "sqrt" | "powf") {
            positive(&[3, 4], which as u64)
        } else {
            t(&[3, 4], which as u64)
        };
        let r = t(&[3, 4], 100 + which as u64);
        let (_, g) = unary_grad(&x, &r, which);
        let f = |v: &[Tensor]| unary(&v[0], &r, which).item::<f64>();
        check(name, &f, std::slice::from_ref(&x), std::slice::from_ref(&g));
        let d = t(&[3, 4], 200 + which as u64);
        let (_, tangent) = unary_jvp(&x, &r, which, &d);
        check_forward(name, tangent.item::<f64>(), &[g], &[d]);
    }
}

#[differentiable(wrt(x))]
fn reduction(x: &Tensor, r: &Tensor, which: usize) -> Tensor {
    let y = match which {
        0 => x.sum() * 1.5,
        1 => x.mean() * 2.5,
        2 => x.sum_dim(1, false),
        3 => x.sum_dim(0, true),
        4 => x.max_dim(1, false),
        5 => x.max_dim(0, true),
        6 => x.t(),
        7 => x.narrow(1, 1, 2),
        8 => x.select(0, 2),
        9 => x.select(1, 0),
        _ => x.reshape(&[2, 6]),
    };
    (y * r).sum()
}

/// `sum`, `mean`, `sum_dim` and `max_dim` (with and without the kept dimension), `t`, slicing
/// (`narrow`) and indexing (`select`), `reshape`.
#[test]
fn reductions_and_shapes() {
    let x = t(&[3, 4], 7);
    let results: [&[usize]; 11] =
        [&[], &[], &[3], &[1, 4], &[3], &[1, 4], &[4, 3], &[3, 2], &[4], &[3], &[2, 6]];
    for (which, shape) in results.iter().enumerate() {
        let r = t(shape, 300 + which as u64);
        let what = format!("reduction {which}");
        let (_, g) = reduction_grad(&x, &r, which);
        let f = |v: &[Tensor]| reduction(&v[0], &r, which).item::<f64>();
        check(&what, &f, std::slice::from_ref(&x), std::slice::from_ref(&g));
        let d = t(&[3, 4], 400 + which as u64);
        let (_, tangent) = reduction_jvp(&x, &r, which, &d);
        check_forward(&what, tangent.item::<f64>(), &[g], &[d]);
    }
}

/// Ties in `max_dim` share the derivative equally (the mean of the tangents at the maxima).
#[test]
fn max_dim_ties_share_the_gradient() {
    let x = Tensor::from_vec(vec![2.0f64, 2.0, 1.0, 0.0, 3.0, 3.0], &[2, 3]);
    let r = Tensor::from_vec(vec![1.0f64, 10.0], &[2]);
    let (_, g) = reduction_grad(&x, &r, 4);
    assert_eq!(g.to_vec::<f64>(), [0.5, 0.5, 0.0, 0.0, 5.0, 5.0]);
}

#[differentiable(wrt(a, b))]
fn matmul(a: &Tensor, b: &Tensor, r: &Tensor) -> Tensor {
    (a.matmul(b) * r).sum()
}

/// `matmul`: small and larger 2-d products (the kernel's two paths), batched products, and a
/// shared 2-d right operand.
#[test]
fn matrix_products() {
    let cases: [(&[usize], &[usize], &[usize]); 5] = [
        (&[2, 3], &[3, 4], &[2, 4]),
        (&[7, 9], &[9, 8], &[7, 8]),
        (&[1, 5], &[5, 1], &[1, 1]),
        (&[2, 3, 4], &[2, 4, 5], &[2, 3, 5]),
        (&[2, 3, 4], &[4, 5], &[2, 3, 5]),
    ];
    for (k, (sa, sb, so)) in cases.iter().enumerate() {
        let seed = 500 + 10 * k as u64;
        let (a, b, r) = (t(sa, seed), t(sb, seed + 1), t(so, seed + 2));
        let what = format!("matmul {sa:?} {sb:?}");
        let (_, (ga, gb)) = matmul_grad(&a, &b, &r);
        let f = |x: &[Tensor]| matmul(&x[0], &x[1], &r).item::<f64>();
        check(&what, &f, &[a.clone(), b.clone()], &[ga.clone(), gb.clone()]);
        let (da, db) = (t(sa, seed + 3), t(sb, seed + 4));
        let (_, tangent) = matmul_jvp(&a, &b, &r, &da, &db);
        check_forward(&what, tangent.item::<f64>(), &[ga, gb], &[da, db]);
    }
}

#[differentiable(wrt(p, q))]
fn losses(p: &Tensor, q: &Tensor, which: usize) -> Tensor {
    match which {
        0 => loss::mse(p, q),
        1 => loss::mse_sum(p, q),
        2 => loss::bce_with_logits(p, q),
        _ => loss::cross_entropy(p, q),
    }
}

/// The losses, in both arguments (targets too: they may be outputs of another network).
#[test]
fn losses_match_finite_differences() {
    for which in 0..4 {
        let (p, q) =
            (t(&[4, 3], 600 + which), Tensor::rand(&[4, 3], 610 + which).to_dtype(DType::F64));
        let what = format!("loss {which}");
        let (_, (gp, gq)) = losses_grad(&p, &q, which as usize);
        let f = |x: &[Tensor]| losses(&x[0], &x[1], which as usize).item::<f64>();
        check(&what, &f, &[p.clone(), q.clone()], &[gp.clone(), gq.clone()]);
        let (dp, dq) = (t(&[4, 3], 620 + which), t(&[4, 3], 630 + which));
        let (_, tangent) = losses_jvp(&p, &q, which as usize, &dp, &dq);
        check_forward(&what, tangent.item::<f64>(), &[gp, gq], &[dp, dq]);
    }
}

/// Cross-entropy with one-hot targets: `-mean(log_softmax(z)[class])`, gradient
/// `(softmax(z) - y) / n`, against the closed form.
#[test]
fn cross_entropy_closed_form() {
    let z = Tensor::from_vec(vec![1.0f64, 2.0, 3.0, 0.0, 0.0, 0.0], &[2, 3]);
    let y = Tensor::from_vec(vec![0.0f64, 0.0, 1.0, 1.0, 0.0, 0.0], &[2, 3]);
    let lse = (1f64.exp() + 2f64.exp() + 3f64.exp()).ln();
    let expected = ((lse - 3.0) + 3f64.ln()) / 2.0;
    let (v, (gz, _)) = losses_grad(&z, &y, 3);
    assert!((v.item::<f64>() - expected).abs() < 1e-12);
    let softmax =
        [(1.0 - lse).exp(), (2.0 - lse).exp(), (3.0 - lse).exp(), 1.0 / 3.0, 1.0 / 3.0, 1.0 / 3.0];
    let closed: Vec<f64> =
        softmax.iter().zip(y.to_vec::<f64>()).map(|(s, y)| (s - y) / 2.0).collect();
    for (a, b) in gz.to_vec::<f64>().iter().zip(&closed) {
        assert!((a - b).abs() < 1e-12, "{a} vs {b}");
    }
}

#[differentiable(wrt(x, w, b))]
fn affine(x: &Tensor, w: &Tensor, b: &Tensor, r: &Tensor) -> Tensor {
    (nn::linear(x, w, b) * r).sum()
}

#[differentiable(wrt(w, b))]
fn affine_of_data(x: &Tensor, w: &Tensor, b: &Tensor, r: &Tensor) -> Tensor {
    (nn::linear(x, w, b) * r).sum()
}

/// `nn::linear` (hand-written derivatives) for 1-d, 2-d and 3-d inputs, with the input active
/// and inactive (its adjoint is then skipped, the others unchanged).
#[test]
fn linear_layer() {
    let inputs: [&[usize]; 3] = [&[4], &[3, 4], &[2, 3, 4]];
    for (k, shape) in inputs.iter().enumerate() {
        let seed = 700 + 10 * k as u64;
        let (x, w, b) = (t(shape, seed), t(&[5, 4], seed + 1), t(&[5], seed + 2));
        let mut out = shape.to_vec();
        *out.last_mut().expect("non-empty") = 5;
        let r = t(&out, seed + 3);
        let what = format!("linear {shape:?}");
        let (_, (gx, gw, gb)) = affine_grad(&x, &w, &b, &r);
        let f = |v: &[Tensor]| affine(&v[0], &v[1], &v[2], &r).item::<f64>();
        check(&what, &f, &[x.clone(), w.clone(), b.clone()], &[gx.clone(), gw.clone(), gb.clone()]);
        let (_, (gw2, gb2)) = affine_of_data_grad(&x, &w, &b, &r);
        assert_eq!(
            (gw2.to_vec::<f64>(), gb2.to_vec::<f64>()),
            (gw.to_vec(), gb.to_vec()),
            "{what}"
        );
        let (dx, dw, db) = (t(shape, seed + 4), t(&[5, 4], seed + 5), t(&[5], seed + 6));
        let (_, tangent) = affine_jvp(&x, &w, &b, &r, &dx, &dw, &db);
        check_forward(&what, tangent.item::<f64>(), &[gx, gw, gb], &[dx, dw, db]);
    }
}

/// A weight that does not fit the input is a panic naming the shapes, not a wrong answer.
#[test]
#[should_panic(
    expected = "linear: input of shape [2, 3], weight of shape [5, 4] and bias of shape [5] do not fit"
)]
fn linear_rejects_mismatched_weights() {
    nn::linear(&Tensor::ones(&[2, 3]), &Tensor::ones(&[5, 4]), &Tensor::ones(&[5]));
}

/// A bias that is not `(outputs)` is refused too (it would broadcast into a wrong shape).
#[test]
#[should_panic(expected = "bias of shape [5, 1] do not fit")]
fn linear_rejects_mismatched_bias() {
    nn::linear(&Tensor::ones(&[2, 4]), &Tensor::ones(&[5, 4]), &Tensor::ones(&[5, 1]));
}

/// `x · d` with a hand-written derivative that adds into its buffers with public operators.
fn scale_by(x: &Tensor, d: &Tensor) -> Tensor {
    x * d
}
fn scale_by_jvp(x: &Tensor, d: &Tensor, x_dot: &Tensor, d_dot: &Tensor) -> (Tensor, Tensor) {
    (x * d, &(x_dot * d) + &(x * d_dot))
}
fn scale_by_vjp(
    x: &Tensor,
    d: &Tensor,
    seed: Tensor,
    x_bar: &mut Tensor,
    d_bar: &mut Tensor,
) -> Tensor {
    *x_bar = &*x_bar + &(&seed * d);
    *d_bar = &*d_bar + &(&seed * x);
    x * d
}

#[differentiable(wrt(x))]
fn through_custom(x: &Tensor, d: &Tensor) -> Tensor {
    scale_by(x, d).sum()
}

/// A custom derivative called with an inactive tensor argument gets a buffer it can add into
/// (shaped like the argument), and the active argument's gradient is right.
#[test]
fn custom_derivative_with_an_inactive_tensor_argument() {
    let d = Tensor::from_vec(vec![1.0f64, 2.0, 3.0], &[3]);
    let (v, g) = through_custom_grad(&Tensor::ones(&[3]).to_dtype(DType::F64), &d);
    assert_eq!(v.item::<f64>(), 6.0);
    assert_eq!(g.to_vec::<f64>(), [1.0, 2.0, 3.0]);
}

#[differentiable]
fn one_element(x: &Tensor) -> Tensor {
    x.narrow(0, 0, 1) * 2.0
}

/// A one-element (non-0-d) result: the 0-d unit seed of `f_grad` spreads over it.
#[test]
fn one_element_result_takes_a_0d_seed() {
    let (v, g) = one_element_grad(&Tensor::from_vec(vec![3.0f64, 4.0], &[2]));
    assert_eq!(v.to_vec::<f64>(), [6.0]);
    assert_eq!(g.to_vec::<f64>(), [2.0, 0.0]);
}

/// An optimiser step with a gradient that does not fit its parameter is a panic naming both
/// shapes; a one-element gradient spreads over the parameter.
#[test]
fn optimiser_checks_gradient_shapes() {
    let mut p = Param::new(Tensor::zeros(&[3]));
    p.grad = Tensor::scalar(1.0f32);
    Sgd::new(1.0).step(&mut [&mut p]);
    assert_eq!(p.value.to_vec::<f32>(), [-1.0, -1.0, -1.0]);
    let caught = std::panic::catch_unwind(move || {
        let mut p = Param::new(Tensor::zeros(&[3]));
        p.grad = Tensor::ones(&[2]);
        Sgd::new(1.0).step(&mut [&mut p]);
    });
    let message =
        caught.err().and_then(|e| e.downcast_ref::<String>().cloned()).unwrap_or_default();
    assert!(
        message.contains("a gradient of shape [2] does not fit a parameter of shape [3]"),
        "{message}"
    );
}

#[differentiable(wrt(a, b))]
fn concatenated(a: &Tensor, b: &Tensor, r: &Tensor, dim: usize) -> Tensor {
    let c = Tensor::cat(&[a * 2.0, b.exp(), a.clone()], dim);
    (c * r).sum()
}

/// `Tensor::cat` along either dimension: each part's gradient is its slice of the result's,
/// a part used twice gets both.
#[test]
fn concatenation() {
    for dim in 0..2 {
        let (a, b) = if dim == 0 {
            (t(&[2, 3], 80), t(&[1, 3], 81))
        } else {
            (t(&[2, 3], 80), t(&[2, 1], 81))
        };
        let r = if dim == 0 { t(&[5, 3], 82) } else { t(&[2, 7], 82) };
        let what = format!("cat along {dim}");
        let (_, (ga, gb)) = concatenated_grad(&a, &b, &r, dim);
        let f = |v: &[Tensor]| concatenated(&v[0], &v[1], &r, dim).item::<f64>();
        check(&what, &f, &[a.clone(), b.clone()], &[ga.clone(), gb.clone()]);
        let (da, db) = (t(a.shape(), 83), t(b.shape(), 84));
        let (_, tangent) = concatenated_jvp(&a, &b, &r, dim, &da, &db);
        check_forward(&what, tangent.item::<f64>(), &[ga, gb], &[da, db]);
    }
}

#[differentiable(wrt(x, y))]
fn on_a_grid(x: &Tensor, y: &Tensor, r: &Tensor) -> Tensor {
    let g = Tensor::meshgrid(&[x * 1.5, y.sin()]);
    let z = &g[0] * &g[1] + g[1].exp();
    (z * r).sum()
}

/// `Tensor::meshgrid`: each axis gets its grid's adjoint summed over the other dimension.
#[test]
fn meshgrid_grids() {
    let (x, y) = (t(&[3], 90), t(&[4], 91));
    let r = t(&[3, 4], 92);
    let (_, (gx, gy)) = on_a_grid_grad(&x, &y, &r);
    let f = |v: &[Tensor]| on_a_grid(&v[0], &v[1], &r).item::<f64>();
    check("meshgrid", &f, &[x.clone(), y.clone()], &[gx.clone(), gy.clone()]);
    let (dx, dy) = (t(&[3], 93), t(&[4], 94));
    let (_, tangent) = on_a_grid_jvp(&x, &y, &r, &dx, &dy);
    check_forward("meshgrid", tangent.item::<f64>(), &[gx, gy], &[dx, dy]);
}

#[differentiable(wrt(x, w))]
fn recurrent(x: &Tensor, w: &Tensor, r: &Tensor, steps: usize) -> Tensor {
    let mut h = x.clone();
    let mut total = Tensor::scalar(0.0f64);
    for _ in 0..steps {
        h = h.matmul(w).tanh();
        total += (&h * r).sum();
    }
    total
}

/// Tensors carried through a loop (a recurrence and a running sum) starting from a borrowed
/// parameter: reverse and forward mode against finite differences.
#[test]
fn tensors_carried_through_loops() {
    let (x, w, r) = (t(&[2, 3], 95), t(&[3, 3], 96) * 0.5, t(&[2, 3], 97));
    let (_, (gx, gw)) = recurrent_grad(&x, &w, &r, 4);
    let f = |v: &[Tensor]| recurrent(&v[0], &v[1], &r, 4).item::<f64>();
    check("recurrence", &f, &[x.clone(), w.clone()], &[gx.clone(), gw.clone()]);
    let (dx, dw) = (t(&[2, 3], 98), t(&[3, 3], 99));
    let (_, tangent) = recurrent_jvp(&x, &w, &r, 4, &dx, &dw);
    check_forward("recurrence", tangent.item::<f64>(), &[gx, gw], &[dx, dw]);
}

#[differentiable(wrt(x, w))]
fn recurrent_until(x: &Tensor, w: &Tensor, r: &Tensor, limit: f64) -> Tensor {
    let mut h = x.clone();
    for _ in 0..6 {
        h = h.matmul(w).tanh();
        if (&h * r).sum().item::<f64>() > limit {
            break;
        }
    }
    (&h * r).sum()
}

/// A tensor carried through a loop left by `break`.
#[test]
fn tensors_carried_through_loops_with_break() {
    let (x, w, r) = (t(&[2, 3], 95), t(&[3, 3], 96) * 0.5, t(&[2, 3], 97));
    for limit in [-10.0, 0.0, 10.0] {
        let (_, (gx, gw)) = recurrent_until_grad(&x, &w, &r, limit);
        let f = |v: &[Tensor]| recurrent_until(&v[0], &v[1], &r, limit).item::<f64>();
        check("recurrence with break", &f, &[x.clone(), w.clone()], &[gx, gw]);
    }
}

/// Scaled dot-product attention as a PyTorch user writes it: `q kᵀ / √d` over the last two
/// dimensions, `softmax` along the keys, then the values.
#[differentiable(wrt(q, k, v))]
fn attention(q: &Tensor, k: &Tensor, v: &Tensor, r: &Tensor) -> Tensor {
    let d = q.shape()[2] as f64;
    let scores = q.matmul(&k.transpose(1, 2)) / d.sqrt();
    let weights = scores.softmax(2);
    (weights.matmul(v) * r).sum()
}

/// A classifier's loss written with `log_softmax` and the logits clamped, a batch dimension
/// added with `unsqueeze` and taken away with `squeeze`.
#[differentiable(wrt(x, w))]
fn classifier(x: &Tensor, w: &Tensor, onehot: &Tensor) -> Tensor {
    let logits = x.matmul(w).clamp(-0.8, 0.8).unsqueeze(0);
    let logp = logits.log_softmax(2).squeeze(0);
    -(logp * onehot).sum() / 4.0
}

/// `softmax` along each dimension, `log_softmax`, `clamp` (inside and outside its bounds),
/// `transpose` of any two dimensions, `unsqueeze` and `squeeze`: reverse mode against central
/// differences, forward mode against reverse mode, and the closed forms of a softmax's
/// Jacobian (`diag(p) - p pᵀ`) and of cross-entropy's gradient (`p - onehot`).
#[test]
fn softmax_clamp_and_dimensions() {
    let (q, k, v, r) =
        (t(&[2, 3, 4], 120), t(&[2, 5, 4], 121), t(&[2, 5, 3], 122), t(&[2, 3, 3], 123));
    let (_, (gq, gk, gv)) = attention_grad(&q, &k, &v, &r);
    let f = |a: &[Tensor]| attention(&a[0], &a[1], &a[2], &r).item::<f64>();
    let (p, g) = ([q.clone(), k.clone(), v.clone()], [gq, gk, gv]);
    check("attention", &f, &p, &g);
    let dirs = [t(&[2, 3, 4], 124), t(&[2, 5, 4], 125), t(&[2, 5, 3], 126)];
    let (_, tangent) = attention_jvp(&q, &k, &v, &r, &dirs[0], &dirs[1], &dirs[2]);
    check_forward("attention", tangent.item::<f64>(), &g, &dirs);

    // (entries of x·w both inside and outside [-0.8, 0.8])
    let (x, w) = (t(&[4, 3], 127), t(&[3, 5], 128));
    let onehot = Tensor::from_vec(
        (0..20).map(|i| if i % 5 == (i / 5) % 5 { 1.0 } else { 0.0 }).collect::<Vec<f64>>(),
        &[4, 5],
    );
    let (_, (gx, gw)) = classifier_grad(&x, &w, &onehot);
    let f = |a: &[Tensor]| classifier(&a[0], &a[1], &onehot).item::<f64>();
    check("classifier", &f, &[x.clone(), w.clone()], &[gx.clone(), gw.clone()]);
    let (dx, dw) = (t(&[4, 3], 129), t(&[3, 5], 130));
    let (_, tangent) = classifier_jvp(&x, &w, &onehot, &dx, &dw);
    check_forward("classifier", tangent.item::<f64>(), &[gx, gw], &[dx, dw]);
    let z = x.matmul(&w).to_vec::<f64>();
    assert!(z.iter().any(|v| v.abs() > 0.8) && z.iter().any(|v| v.abs() < 0.8));

    // cross-entropy of logits z: ∂/∂z = (softmax(z) - onehot) / rows
    let z = t(&[4, 5], 131);
    let probs = z.softmax(1);
    let expected = (&probs - &onehot) / 4.0;
    let got =
        autodiff::rules::tensor::log_softmax_vjp(&z, &1, &z.log_softmax(1), &(&onehot * -0.25));
    for (a, b) in got.to_vec::<f64>().iter().zip(expected.to_vec::<f64>()) {
        assert!((a - b).abs() < 1e-12, "cross-entropy's gradient {a} vs {b}");
    }
    // the softmax Jacobian applied to a basis vector: column j of diag(p) - p pᵀ
    let z = t(&[4], 132);
    let p = z.softmax(0).to_vec::<f64>();
    for j in 0..4 {
        let e = Tensor::from_vec((0..4).map(|i| f64::from(u8::from(i == j))).collect(), &[4]);
        let col = autodiff::rules::tensor::softmax_jvp(&z, &0, &z.softmax(0), &e).to_vec::<f64>();
        for i in 0..4 {
            let closed = if i == j { p[i] - p[i] * p[j] } else { -p[i] * p[j] };
            assert!((col[i] - closed).abs() < 1e-12, "softmax Jacobian ({i}, {j})");
        }
    }
}

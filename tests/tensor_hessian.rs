//! Second derivatives of tensor functions: `#[differentiable(hessian)]` gives them `f_hvp`
//! (no dense `f_hessian` over tensors). Hessian-vector products are checked against central
//! differences of the gradient and against closed forms.

use autodiff::prelude::*;

fn t64(shape: &[usize], seed: u64) -> Tensor {
    Tensor::randn(shape, seed).to_dtype(DType::F64)
}

fn zeros(t: &Tensor) -> Tensor {
    Tensor::zeros(t.shape()).to_dtype(DType::F64)
}

fn close(a: &Tensor, b: &Tensor, what: &str) {
    let (a, b) = (a.to_vec::<f64>(), b.to_vec::<f64>());
    assert_eq!(a.len(), b.len(), "{what}");
    for (x, y) in a.iter().zip(&b) {
        assert!((x - y).abs() <= 1e-6 * (1.0 + y.abs()), "{what}: {a:?} vs {b:?}");
    }
}

/// `hvp(p, v) -> (gradient, H·v)` of a function of tensors.
type Hvp<'a> = &'a dyn Fn(&[Tensor], &[Tensor]) -> (Vec<Tensor>, Vec<Tensor>);

/// `gradient(p)` and `hvp(p, v) -> (gradient, H·v)` of a function of tensors: the gradient
/// `f_hvp` adds must be the gradient, and `H·v` the central difference of the gradient along
/// `v`.
fn check_hvp(
    what: &str,
    gradient: &dyn Fn(&[Tensor]) -> Vec<Tensor>,
    hvp: Hvp<'_>,
    p: &[Tensor],
    v: &[Tensor],
) {
    let (g, hv) = hvp(p, v);
    let size: f64 = hv.iter().map(|t| (t * t).sum().item::<f64>()).sum();
    assert!(size > 1e-6, "{what}: H·v is zero, nothing is checked");
    for (k, (a, b)) in g.iter().zip(gradient(p)).enumerate() {
        close(a, &b, &format!("{what}: gradient {k}"));
    }
    let h = 1e-5;
    let shifted = |s: f64| -> Vec<Tensor> { p.iter().zip(v).map(|(x, d)| x + &(d * s)).collect() };
    let (up, down) = (gradient(&shifted(h)), gradient(&shifted(-h)));
    for (k, ((a, u), d)) in hv.iter().zip(&up).zip(&down).enumerate() {
        let fd = &(u - d) * (0.5 / h);
        close(a, &fd, &format!("{what}: H·v {k}"));
    }
}

#[differentiable(hessian)]
fn elementwise(x: &Tensor, w: &Tensor) -> Tensor {
    let z = x.matmul(w);
    let a = z.sin() * z.tanh() + z.exp() / (z.sigmoid() + 1.0);
    (a.clone() * a).sum() + w.powi(3).mean() + (z.t().reshape(&[8, 1]).cos() / 3.0).sum()
}

#[test]
fn hvp_of_elementwise_functions_and_products() {
    let p = [t64(&[2, 2], 1), t64(&[2, 4], 2)];
    let v = [t64(&[2, 2], 3), t64(&[2, 4], 4)];
    let gradient = |p: &[Tensor]| {
        let (_, (gx, gw)) = elementwise_grad(&p[0], &p[1]);
        vec![gx, gw]
    };
    let hvp = |p: &[Tensor], v: &[Tensor]| {
        let (mut gx, mut gw, mut hx, mut hw) =
            (zeros(&p[0]), zeros(&p[1]), zeros(&p[0]), zeros(&p[1]));
        let (value, _) = elementwise_hvp(
            &p[0],
            &p[1],
            &v[0],
            &v[1],
            Tensor::scalar(1.0f64),
            &mut gx,
            &mut gw,
            &mut hx,
            &mut hw,
        );
        assert_eq!(value.item::<f64>(), elementwise(&p[0], &p[1]).item::<f64>());
        (vec![gx, gw], vec![hx, hw])
    };
    check_hvp("elementwise", &gradient, &hvp, &p, &v);
}

/// Piecewise and shape operations beside a float parameter: `relu`, `abs`, `max_dim`,
/// `sum_dim`, `narrow`, `select`, `powf`, `mean`, and `ln`, `sqrt`, `cos`, `sin`, `/`.
#[differentiable(hessian)]
fn shapes(x: &Tensor, s: f64) -> Tensor {
    let r = (x * s).relu() + x.abs() * x;
    let m = r.max_dim(1, false) * s;
    let c = (x * x).sum_dim(0, true).narrow(1, 1, 2);
    let row = x.select(0, 1).powf(3.0);
    let positive = x * x + 0.5;
    m.sum()
        + c.mean() * s
        + row.sum()
        + (x.exp() * s * s).mean()
        + (positive.ln() * positive.sqrt()).sum() * s
        - (positive.cos() / positive.sin()).mean()
}

#[test]
fn hvp_of_piecewise_and_shape_operations() {
    // (entries away from 0 and from ties, where the pieces have kinks)
    let x = Tensor::from_vec(vec![0.7, -1.3, 2.1, 1.6, 0.4, -0.9], &[2, 3]);
    let p = [x, Tensor::scalar(0.8f64)];
    let v = [t64(&[2, 3], 5), Tensor::scalar(-0.6f64)];
    let gradient = |p: &[Tensor]| {
        let (_, (gx, gs)) = shapes_grad(&p[0], p[1].item::<f64>());
        vec![gx, Tensor::scalar(gs)]
    };
    let hvp = |p: &[Tensor], v: &[Tensor]| {
        let (mut gx, mut hx) = (zeros(&p[0]), zeros(&p[0]));
        let (mut gs, mut hs) = (0.0, 0.0);
        let s = p[1].item::<f64>();
        shapes_hvp(
            &p[0],
            s,
            &v[0],
            v[1].item::<f64>(),
            Tensor::scalar(1.0f64),
            &mut gx,
            &mut gs,
            &mut hx,
            &mut hs,
        );
        (vec![gx, Tensor::scalar(gs)], vec![hx, Tensor::scalar(hs)])
    };
    check_hvp("shapes", &gradient, &hvp, &p, &v);
}

/// A loop carrying a tensor and a branch on an inactive value.
#[differentiable(hessian)]
fn iterated(w: &Tensor, x0: &Tensor, steps: usize) -> Tensor {
    let mut h = x0.clone();
    for k in 0..steps {
        h = if k % 2 == 0 { h.matmul(w).tanh() } else { h.matmul(w).sin() * 0.5 + h };
    }
    (h.clone() * h).sum()
}

#[test]
fn hvp_through_loops_and_branches() {
    for steps in [0, 1, 4] {
        let p = [t64(&[3, 3], 6) * 0.5, t64(&[2, 3], 7)];
        let v = [t64(&[3, 3], 8), t64(&[2, 3], 9)];
        let gradient = |p: &[Tensor]| {
            let (_, (gw, gx)) = iterated_grad(&p[0], &p[1], steps);
            vec![gw, gx]
        };
        let hvp = |p: &[Tensor], v: &[Tensor]| {
            let (mut gw, mut gx, mut hw, mut hx) =
                (zeros(&p[0]), zeros(&p[1]), zeros(&p[0]), zeros(&p[1]));
            iterated_hvp(
                &p[0],
                &p[1],
                steps,
                &v[0],
                &v[1],
                Tensor::scalar(1.0f64),
                &mut gw,
                &mut gx,
                &mut hw,
                &mut hx,
            );
            (vec![gw, gx], vec![hw, hx])
        };
        check_hvp(&format!("iterated, {steps} steps"), &gradient, &hvp, &p, &v);
    }
}

/// Least squares `½‖X w - y‖²`: the Hessian is `XᵀX`, whatever `w`.
#[differentiable(hessian, wrt(w))]
fn least_squares(w: &Tensor, x: &Tensor, y: &Tensor) -> Tensor {
    let r = x.matmul(w) - y;
    (r.clone() * r).sum() * 0.5
}

#[test]
fn least_squares_hvp_is_xtx_v_and_adds_into_its_buffers() {
    let (x, y, w, v) = (t64(&[5, 3], 10), t64(&[5, 1], 11), t64(&[3, 1], 12), t64(&[3, 1], 13));
    let (mut g, mut hv) = (zeros(&w), zeros(&w));
    let (value, tangent) =
        least_squares_hvp(&w, &x, &y, &v, Tensor::scalar(1.0f64), &mut g, &mut hv);
    close(&hv, &x.t().matmul(&x).matmul(&v), "H·v = XᵀX v");
    let r = &x.matmul(&w) - &y;
    close(&g, &x.t().matmul(&r), "gradient Xᵀ(Xw - y)");
    close(&value, &((&r * &r).sum() * 0.5), "value");
    close(&tangent, &(&g * &v).sum(), "tangent = ∇f·v");
    // a second call ADDS, scaled by its seed
    least_squares_hvp(&w, &x, &y, &v, Tensor::scalar(2.0f64), &mut g, &mut hv);
    close(&hv, &(x.t().matmul(&x).matmul(&v) * 3.0), "3 H·v after seeds 1 and 2");
    close(&g, &(x.t().matmul(&r) * 3.0), "3 ∇f after seeds 1 and 2");
}

/// A small network as people write it: layers, activations, the library's losses.
#[differentiable(hessian, wrt(w1, b1, w2, b2))]
fn network(
    w1: &Tensor,
    b1: &Tensor,
    w2: &Tensor,
    b2: &Tensor,
    x: &Tensor,
    y: &Tensor,
    labels: &Tensor,
) -> Tensor {
    let h = nn::linear(x, w1, b1).tanh();
    let out = nn::linear(&h, w2, b2);
    loss::mse(&out, y)
        + loss::cross_entropy(&out, labels) * 0.5
        + loss::bce_with_logits(&out, labels)
        + loss::mse_sum(&h, &h.relu()) * 0.1
}

#[test]
fn hvp_of_a_network_with_the_library_layers_and_losses() {
    let (x, y) = (t64(&[4, 3], 20), t64(&[4, 2], 21));
    let labels = Tensor::from_vec(vec![1.0, 0.0, 0.0, 1.0, 0.3, 0.7, 1.0, 0.0], &[4, 2]);
    let p = [t64(&[5, 3], 22), t64(&[5], 23), t64(&[2, 5], 24), t64(&[2], 25)];
    let v = [t64(&[5, 3], 26), t64(&[5], 27), t64(&[2, 5], 28), t64(&[2], 29)];
    let gradient = |p: &[Tensor]| {
        let (_, (a, b, c, d)) = network_grad(&p[0], &p[1], &p[2], &p[3], &x, &y, &labels);
        vec![a, b, c, d]
    };
    let hvp = |p: &[Tensor], v: &[Tensor]| {
        let mut g: Vec<Tensor> = p.iter().map(zeros).collect();
        let mut h: Vec<Tensor> = p.iter().map(zeros).collect();
        let [g0, g1, g2, g3] = &mut g[..] else { unreachable!() };
        let [h0, h1, h2, h3] = &mut h[..] else { unreachable!() };
        network_hvp(
            &p[0],
            &p[1],
            &p[2],
            &p[3],
            &x,
            &y,
            &labels,
            &v[0],
            &v[1],
            &v[2],
            &v[3],
            Tensor::scalar(1.0f64),
            g0,
            g1,
            g2,
            g3,
            h0,
            h1,
            h2,
            h3,
        );
        (g, h)
    };
    check_hvp("network", &gradient, &hvp, &p, &v);
}

#[differentiable(hessian)]
fn energy(q: &Tensor) -> Tensor {
    (q.matmul(&q.t()).exp() * 0.25).sum()
}

/// Calls of the user's own tensor function with `hessian`.
#[differentiable(hessian)]
fn twice(q: &Tensor, s: f64) -> Tensor {
    energy(&(q * s)) + energy(q).sqrt()
}

#[test]
fn hvp_through_calls_of_own_tensor_functions() {
    let p = [t64(&[2, 3], 30) * 0.5, Tensor::scalar(0.9f64)];
    let v = [t64(&[2, 3], 31), Tensor::scalar(0.4f64)];
    let gradient = |p: &[Tensor]| {
        let (_, (gq, gs)) = twice_grad(&p[0], p[1].item::<f64>());
        vec![gq, Tensor::scalar(gs)]
    };
    let hvp = |p: &[Tensor], v: &[Tensor]| {
        let (mut gq, mut hq, mut gs, mut hs) = (zeros(&p[0]), zeros(&p[0]), 0.0, 0.0);
        twice_hvp(
            &p[0],
            p[1].item::<f64>(),
            &v[0],
            v[1].item::<f64>(),
            Tensor::scalar(1.0f64),
            &mut gq,
            &mut gs,
            &mut hq,
            &mut hs,
        );
        (vec![gq, Tensor::scalar(gs)], vec![hq, Tensor::scalar(hs)])
    };
    check_hvp("twice", &gradient, &hvp, &p, &v);
}

/// The losses differentiated twice in both arguments (targets computed from a parameter, as a
/// distillation loss has them).
#[differentiable(hessian)]
fn both_arguments(z: &Tensor, t: &Tensor) -> Tensor {
    let q = (t * 2.0).sigmoid();
    loss::cross_entropy(z, &q)
        + loss::bce_with_logits(z, &q) * 0.7
        + loss::mse(z, &q)
        + loss::mse_sum(&q, z) * 0.3
}

#[test]
fn hvp_of_the_losses_in_both_arguments() {
    let p = [t64(&[3, 4], 40), t64(&[3, 4], 41)];
    let v = [t64(&[3, 4], 42), t64(&[3, 4], 43)];
    let gradient = |p: &[Tensor]| {
        let (_, (gz, gt)) = both_arguments_grad(&p[0], &p[1]);
        vec![gz, gt]
    };
    let hvp = |p: &[Tensor], v: &[Tensor]| {
        let (mut gz, mut gt, mut hz, mut ht) =
            (zeros(&p[0]), zeros(&p[1]), zeros(&p[0]), zeros(&p[1]));
        both_arguments_hvp(
            &p[0],
            &p[1],
            &v[0],
            &v[1],
            Tensor::scalar(1.0f64),
            &mut gz,
            &mut gt,
            &mut hz,
            &mut ht,
        );
        (vec![gz, gt], vec![hz, ht])
    };
    check_hvp("both arguments", &gradient, &hvp, &p, &v);
}

/// `Tensor::cat` and `Tensor::meshgrid` (linear: their second-order parts are the callers').
#[differentiable(hessian)]
fn joined(a: &Tensor, b: &Tensor) -> Tensor {
    let c = Tensor::cat(&[a.clone(), b * b], 0);
    let g = Tensor::meshgrid(&[a.clone(), b.clone()]);
    (c.exp() * 0.5).sum() + (g[0].clone() * g[1].sin()).sum()
}

#[test]
fn hvp_through_concatenations_and_grids() {
    let p = [t64(&[2], 50), t64(&[3], 51)];
    let v = [t64(&[2], 52), t64(&[3], 53)];
    let gradient = |p: &[Tensor]| {
        let (_, (ga, gb)) = joined_grad(&p[0], &p[1]);
        vec![ga, gb]
    };
    let hvp = |p: &[Tensor], v: &[Tensor]| {
        let (mut ga, mut gb, mut ha, mut hb) =
            (zeros(&p[0]), zeros(&p[1]), zeros(&p[0]), zeros(&p[1]));
        joined_hvp(
            &p[0],
            &p[1],
            &v[0],
            &v[1],
            Tensor::scalar(1.0f64),
            &mut ga,
            &mut gb,
            &mut ha,
            &mut hb,
        );
        (vec![ga, gb], vec![ha, hb])
    };
    check_hvp("joined", &gradient, &hvp, &p, &v);
}

/// A network whose parameters live in one struct, as an ML engineer writes it.
#[derive(Clone, Debug, Differentiable)]
struct Net {
    w1: Tensor,
    b1: Tensor,
    w2: Tensor,
    b2: Tensor,
}

#[differentiable(hessian, wrt(net))]
fn net_loss(net: &Net, x: &Tensor, y: &Tensor) -> Tensor {
    let h = (x.matmul(&net.w1.t()) + &net.b1).tanh();
    let p = nn::linear(&h, &net.w2, &net.b2);
    loss::mse(&p, y)
}

#[test]
fn hvp_with_respect_to_a_model_struct() {
    let net = |s: u64| Net {
        w1: t64(&[4, 3], s),
        b1: t64(&[4], s + 1),
        w2: t64(&[2, 4], s + 2),
        b2: t64(&[2], s + 3),
    };
    let parts = |n: Net| vec![n.w1, n.b1, n.w2, n.b2];
    let whole = |p: &[Tensor]| Net {
        w1: p[0].clone(),
        b1: p[1].clone(),
        w2: p[2].clone(),
        b2: p[3].clone(),
    };
    let (x, y) = (t64(&[5, 3], 60), t64(&[5, 2], 61));
    let gradient = |p: &[Tensor]| parts(net_loss_grad(&whole(p), &x, &y).1);
    let hvp = |p: &[Tensor], v: &[Tensor]| {
        let zero = || whole(&p.iter().map(zeros).collect::<Vec<_>>());
        let (mut g, mut h) = (zero(), zero());
        net_loss_hvp(&whole(p), &x, &y, &whole(v), Tensor::scalar(1.0f64), &mut g, &mut h);
        (parts(g), parts(h))
    };
    check_hvp("net", &gradient, &hvp, &parts(net(62)), &parts(net(70)));
}

/// Default (`f32`) tensors: `f_hvp` runs in the tensors' dtype.
#[test]
fn hvp_of_f32_tensors() {
    let (w, x, y, v) = (
        Tensor::randn(&[3, 1], 80),
        Tensor::randn(&[6, 3], 81),
        Tensor::randn(&[6, 1], 82),
        Tensor::randn(&[3, 1], 83),
    );
    let (mut g, mut hv) = (Tensor::zeros(&[3, 1]), Tensor::zeros(&[3, 1]));
    least_squares_hvp(&w, &x, &y, &v, Tensor::scalar(1.0f32), &mut g, &mut hv);
    assert_eq!(hv.dtype(), DType::F32);
    let exact = x.t().matmul(&x).matmul(&v).to_vec::<f32>();
    for (a, b) in hv.to_vec::<f32>().iter().zip(&exact) {
        assert!((a - b).abs() <= 1e-4 * (1.0 + b.abs()), "{a} vs {b}");
    }
}

/// A power with an active exponent (a learned temperature, a generalised mean).
#[differentiable(hessian)]
fn generalised_mean(x: &Tensor, p: f64) -> Tensor {
    x.powf(p).mean().powf(1.0 / p)
}

#[test]
fn powers_with_an_active_exponent() {
    let x = Tensor::from_vec(vec![2.0, 0.5, 1.5, 3.0], &[4]);
    let f = |x: &Tensor, p: f64| generalised_mean(x, p).item::<f64>();
    let (_, (_, gp)) = generalised_mean_grad(&x, 3.0);
    let h = 1e-6;
    let fd = (f(&x, 3.0 + h) - f(&x, 3.0 - h)) / (2.0 * h);
    assert!((gp - fd).abs() < 1e-7 * (1.0 + fd.abs()), "d/dp {gp} vs {fd}");
    let (_, t) = generalised_mean_jvp(&x, 3.0, &zeros(&x), 1.0);
    assert!((t.item::<f64>() - gp).abs() < 1e-12, "forward mode along p");
    let p = [x, Tensor::scalar(3.0f64)];
    let v = [t64(&[4], 90), Tensor::scalar(0.7f64)];
    let gradient = |p: &[Tensor]| {
        let (_, (gx, gp)) = generalised_mean_grad(&p[0], p[1].item::<f64>());
        vec![gx, Tensor::scalar(gp)]
    };
    let hvp = |p: &[Tensor], v: &[Tensor]| {
        let (mut gx, mut hx, mut gp, mut hp) = (zeros(&p[0]), zeros(&p[0]), 0.0, 0.0);
        generalised_mean_hvp(
            &p[0],
            p[1].item::<f64>(),
            &v[0],
            v[1].item::<f64>(),
            Tensor::scalar(1.0f64),
            &mut gx,
            &mut gp,
            &mut hx,
            &mut hp,
        );
        (vec![gx, Tensor::scalar(gp)], vec![hx, Tensor::scalar(hp)])
    };
    check_hvp("generalised mean", &gradient, &hvp, &p, &v);
}

/// A tensor loss taken out as a float (`.item::<f64>()`) and used in float arithmetic.
#[differentiable(hessian, wrt(w, s))]
fn loss_as_float(w: &Tensor, x: &Tensor, s: f64) -> f64 {
    let l = loss::mse(&x.matmul(w).tanh(), &x.narrow(1, 0, 1)).item::<f64>();
    l.sqrt() * s + (w.clone() * w).sum().item::<f64>() * s * s
}

#[test]
fn tensors_taken_out_as_floats() {
    let (w, x) = (t64(&[3, 1], 91), t64(&[4, 3], 92));
    let f = |w: &Tensor, s: f64| loss_as_float(w, &x, s);
    let (value, (gw, gs)) = loss_as_float_grad(&w, &x, 0.8);
    assert_eq!(value, f(&w, 0.8));
    let h = 1e-6;
    let fd = (f(&w, 0.8 + h) - f(&w, 0.8 - h)) / (2.0 * h);
    assert!((gs - fd).abs() < 1e-7 * (1.0 + fd.abs()), "d/ds {gs} vs {fd}");
    let wv = w.to_vec::<f64>();
    for (i, g) in gw.to_vec::<f64>().iter().enumerate() {
        let (mut up, mut down) = (wv.clone(), wv.clone());
        up[i] += h;
        down[i] -= h;
        let fd = (f(&Tensor::from_vec(up, &[3, 1]), 0.8)
            - f(&Tensor::from_vec(down, &[3, 1]), 0.8))
            / (2.0 * h);
        assert!((g - fd).abs() < 1e-7 * (1.0 + fd.abs()), "d/dw{i} {g} vs {fd}");
    }
    let p = [w, Tensor::scalar(0.8f64)];
    let v = [t64(&[3, 1], 93), Tensor::scalar(-0.4f64)];
    let gradient = |p: &[Tensor]| {
        let (_, (gw, gs)) = loss_as_float_grad(&p[0], &x, p[1].item::<f64>());
        vec![gw, Tensor::scalar(gs)]
    };
    let hvp = |p: &[Tensor], v: &[Tensor]| {
        let (mut gw, mut hw, mut gs, mut hs) = (zeros(&p[0]), zeros(&p[0]), 0.0, 0.0);
        loss_as_float_hvp(
            &p[0],
            &x,
            p[1].item::<f64>(),
            &v[0],
            v[1].item::<f64>(),
            1.0,
            &mut gw,
            &mut gs,
            &mut hw,
            &mut hs,
        );
        (vec![gw, Tensor::scalar(gs)], vec![hw, Tensor::scalar(hs)])
    };
    check_hvp("loss as float", &gradient, &hvp, &p, &v);
}

/// Tensors made from an active float, second order.
#[differentiable(hessian)]
fn made_of_floats(w: &Tensor, s: f64) -> Tensor {
    ((w * &Tensor::scalar(s)).exp() + Tensor::full(&[3], s) * w * w).sum()
}

#[test]
fn hvp_of_tensors_made_of_floats() {
    let p = [Tensor::from_vec(vec![0.5, 1.2, 0.3], &[3]), Tensor::scalar(0.8f64)];
    let v = [t64(&[3], 95), Tensor::scalar(-0.6f64)];
    let gradient = |p: &[Tensor]| {
        let (_, (gw, gs)) = made_of_floats_grad(&p[0], p[1].item::<f64>());
        vec![gw, Tensor::scalar(gs)]
    };
    let hvp = |p: &[Tensor], v: &[Tensor]| {
        let (mut gw, mut hw, mut gs, mut hs) = (zeros(&p[0]), zeros(&p[0]), 0.0, 0.0);
        made_of_floats_hvp(
            &p[0],
            p[1].item::<f64>(),
            &v[0],
            v[1].item::<f64>(),
            Tensor::scalar(1.0f64),
            &mut gw,
            &mut gs,
            &mut hw,
            &mut hs,
        );
        (vec![gw, Tensor::scalar(gs)], vec![hw, Tensor::scalar(hs)])
    };
    check_hvp("made of floats", &gradient, &hvp, &p, &v);
}

/// Attention weights and a log-likelihood: `softmax`, `log_softmax`, `clamp`, `transpose`,
/// `unsqueeze` and `squeeze`, differentiated twice.
#[differentiable(hessian)]
fn attention_loss(q: &Tensor, k: &Tensor) -> Tensor {
    let scores = q.matmul(&k.transpose(0, 1)).unsqueeze(0);
    let weights = scores.softmax(2).squeeze(0);
    let logp = q.matmul(&k.t()).clamp(-1.0, 1.0).log_softmax(1);
    (weights.clone() * weights).sum() - logp.narrow(1, 0, 1).sum() + q.transpose(1, 0).sum()
}

#[test]
fn hvp_of_softmax_clamp_and_dimensions() {
    let p = [t64(&[3, 2], 40), t64(&[4, 2], 41)];
    let v = [t64(&[3, 2], 42), t64(&[4, 2], 43)];
    let gradient = |p: &[Tensor]| {
        let (_, (gq, gk)) = attention_loss_grad(&p[0], &p[1]);
        vec![gq, gk]
    };
    let hvp = |p: &[Tensor], v: &[Tensor]| {
        let (mut gq, mut gk, mut hq, mut hk) =
            (zeros(&p[0]), zeros(&p[1]), zeros(&p[0]), zeros(&p[1]));
        let _ = attention_loss_hvp(
            &p[0],
            &p[1],
            &v[0],
            &v[1],
            Tensor::scalar(1.0f64),
            &mut gq,
            &mut gk,
            &mut hq,
            &mut hk,
        );
        (vec![gq, gk], vec![hq, hk])
    };
    check_hvp("attention", &gradient, &hvp, &p, &v);
}

//! Gradients with respect to a whole model: `#[derive(Differentiable)]` structs as parameters
//! named in `wrt(..)`, their fields read in the body, gradients that are values of the same
//! struct, and optimisers stepping them inside a `Param`. Every gradient is checked against
//! central finite differences (or a closed form), never against another gradient of ours.

use autodiff::prelude::*;

/// A scalar model: S11's line `y = a x + b`.
#[derive(Clone, Debug, PartialEq, Differentiable)]
struct Line {
    a: f64,
    b: f64,
}

#[differentiable(wrt(line))]
fn line_loss(line: &Line, xs: &[f64], ys: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..xs.len() {
        let r = line.a * xs[i] + line.b - ys[i];
        s += r * r;
    }
    s / xs.len() as f64
}

/// Closed form: d/da = mean(2 r x), d/db = mean(2 r).
#[test]
fn scalar_model_in_a_loop_matches_the_closed_form() {
    let xs = [0.5, 1.0, -2.0, 3.0];
    let ys = [1.0, 2.5, -3.0, 7.5];
    let line = Line { a: 1.5, b: -0.25 };
    let (value, grad) = line_loss_grad(&line, &xs, &ys);
    let r: Vec<f64> = xs.iter().zip(&ys).map(|(x, y)| line.a * x + line.b - y).collect();
    let n = xs.len() as f64;
    let expected = Line {
        a: r.iter().zip(&xs).map(|(r, x)| 2.0 * r * x).sum::<f64>() / n,
        b: r.iter().map(|r| 2.0 * r).sum::<f64>() / n,
    };
    assert!((value - r.iter().map(|r| r * r).sum::<f64>() / n).abs() < 1e-12);
    assert!((grad.a - expected.a).abs() < 1e-12 && (grad.b - expected.b).abs() < 1e-12);

    // f_vjp adds into the buffer (accumulation), seeded.
    let mut buffer = Line { a: 1.0, b: 1.0 };
    line_loss_vjp(&line, &xs, &ys, 2.0, &mut buffer);
    assert!((buffer.a - (1.0 + 2.0 * expected.a)).abs() < 1e-12);
    assert!((buffer.b - (1.0 + 2.0 * expected.b)).abs() < 1e-12);

    // Forward mode: the directional derivative along a tangent line.
    let direction = Line { a: 0.3, b: -0.7 };
    let (v, d) = line_loss_jvp(&line, &xs, &ys, &direction);
    assert_eq!(v, value);
    assert!((d - (0.3 * expected.a - 0.7 * expected.b)).abs() < 1e-12);
}

/// S11 with the model as one struct: plain gradient descent on `Param<Line>` reaches the
/// closed-form least-squares fit.
#[test]
fn sgd_steps_a_struct_to_the_least_squares_fit() {
    let xs: Vec<f64> = (0..80).map(|i| i as f64 / 80.0).collect();
    let ys: Vec<f64> = xs.iter().map(|x| 1.0 + 2.0 * x + 0.1 * (37.0 * x).sin()).collect();
    let mut p = Param::new(Line { a: 0.3, b: -0.4 });
    let mut sgd = Sgd::new(0.1);
    for _ in 0..5000 {
        p.zero_grad();
        line_loss_vjp(&p.value, &xs, &ys, 1.0, &mut p.grad);
        sgd.step(&mut [&mut p]);
    }
    let n = xs.len() as f64;
    let (mx, my) = (xs.iter().sum::<f64>() / n, ys.iter().sum::<f64>() / n);
    let sxy: f64 = xs.iter().zip(&ys).map(|(x, y)| (x - mx) * (y - my)).sum();
    let sxx: f64 = xs.iter().map(|x| (x - mx) * (x - mx)).sum();
    let (a, b) = (sxy / sxx, my - sxy / sxx * mx);
    assert!(
        (p.value.a - a).abs() < 1e-3 && (p.value.b - b).abs() < 1e-3,
        "{:?} vs {a} {b}",
        p.value
    );
}

/// Ridge regression trained as PyTorch code trains it: SGD with `weight_decay`, a learning
/// rate halved by `set_lr` halfway, gradients clipped by `clip_grad_norm` (which leaves
/// small ones alone). It reaches the ridge solution, the zero of `∇loss + wd·(a, b)`, found
/// here in closed form from the normal equations.
#[test]
fn weight_decay_schedule_and_clipping_reach_the_ridge_fit() {
    let xs: Vec<f64> = (0..40).map(|i| i as f64 / 40.0).collect();
    let ys: Vec<f64> = xs.iter().map(|x| 1.0 + 2.0 * x).collect();
    let wd = 0.2;
    let mut p = Param::new(Line { a: 5.0, b: -5.0 });
    let mut sgd = Sgd::new(0.2).weight_decay(wd);
    let mut clipped = 0;
    for step in 0..6000 {
        p.zero_grad();
        line_loss_vjp(&p.value, &xs, &ys, 1.0, &mut p.grad);
        let before = (p.grad.a.hypot(p.grad.b), p.grad.clone());
        let norm = clip_grad_norm(&mut [&mut p], 1.0);
        assert!((norm - before.0).abs() < 1e-12, "the norm before clipping");
        match norm > 1.0 {
            true => {
                clipped += 1;
                assert!((p.grad.a.hypot(p.grad.b) - 1.0).abs() < 1e-5);
                assert!((p.grad.a * before.1.b - p.grad.b * before.1.a).abs() < 1e-9);
            }
            false => assert_eq!(p.grad, before.1),
        }
        if step == 3000 {
            sgd.set_lr(sgd.lr() / 2.0);
        }
        sgd.step(&mut [&mut p]);
    }
    assert!(clipped > 0, "the first steps' gradients are clipped");
    // ∂loss/∂a = 2/n Σ (a x + b - y) x, ∂/∂b = 2/n Σ (a x + b - y); with + wd·(a, b):
    // [2 Sxx/n + wd, 2 Sx/n; 2 Sx/n, 2 + wd] (a, b) = (2 Sxy/n, 2 Sy/n)
    let n = xs.len() as f64;
    let sx: f64 = xs.iter().sum();
    let sxx: f64 = xs.iter().map(|x| x * x).sum();
    let sxy: f64 = xs.iter().zip(&ys).map(|(x, y)| x * y).sum();
    let sy: f64 = ys.iter().sum();
    let (m11, m12, m22) = (2.0 * sxx / n + wd, 2.0 * sx / n, 2.0 + wd);
    let (r1, r2) = (2.0 * sxy / n, 2.0 * sy / n);
    let det = m11 * m22 - m12 * m12;
    let (a, b) = ((r1 * m22 - m12 * r2) / det, (m11 * r2 - m12 * r1) / det);
    assert!(
        (p.value.a - a).abs() < 1e-6 && (p.value.b - b).abs() < 1e-6,
        "{:?} vs {a} {b}",
        p.value
    );
    // Adam's first step with decay moves each entry by lr against the decayed gradient's sign
    let mut q = Param::new(Line { a: 1.0, b: -1.0 });
    q.grad = Line { a: 0.1, b: 0.1 };
    Adam::new(0.01).weight_decay(1.0).step(&mut [&mut q]);
    assert!((q.value.a - 0.99).abs() < 1e-6 && (q.value.b - -0.99).abs() < 1e-6, "{:?}", q.value);
}

/// A two-layer network whose parameters live in one struct.
#[derive(Clone, Debug, Differentiable)]
struct Net {
    w1: Tensor,
    b1: Tensor,
    w2: Tensor,
    b2: Tensor,
}

impl Net {
    fn seeded(d_in: usize, h: usize, d_out: usize, seed: u64) -> Net {
        let (l1, l2) = (nn::Linear::seeded(d_in, h, seed), nn::Linear::seeded(h, d_out, seed + 2));
        Net { w1: l1.weight.value, b1: l1.bias.value, w2: l2.weight.value, b2: l2.bias.value }
    }
}

#[differentiable(wrt(net))]
fn net_loss(net: &Net, x: &Tensor, y: &Tensor) -> Tensor {
    let h = (x.matmul(&net.w1.t()) + &net.b1).relu();
    let p = h.matmul(&net.w2.t()) + &net.b2;
    loss::mse_sum(&p, y)
}

/// The model's forward pass, differentiable with respect to the model and the input.
#[differentiable(wrt(net, x))]
fn forward(net: &Net, x: &Tensor) -> Tensor {
    let h = nn::linear(x, &net.w1, &net.b1).relu();
    nn::linear(&h, &net.w2, &net.b2)
}

#[differentiable(wrt(net))]
fn net_loss_by_call(net: &Net, x: &Tensor, y: &Tensor) -> Tensor {
    loss::mse_sum(&forward(net, x), y)
}

/// The fields of a net, in order, for finite differences.
fn fields(net: &mut Net) -> [&mut Tensor; 4] {
    [&mut net.w1, &mut net.b1, &mut net.w2, &mut net.b2]
}

/// Each field's gradient, element by element, against central finite differences of the loss.
fn check_net_gradient(loss: impl Fn(&Net) -> f64, net: &Net, grad: &mut Net) {
    let h = 1e-6;
    let mut probe = net.clone();
    let analytic: Vec<Vec<f64>> = fields(grad).iter().map(|t| t.to_vec::<f64>()).collect();
    for (k, exact) in analytic.iter().enumerate() {
        for (i, &g) in exact.iter().enumerate() {
            let at = |delta: f64, probe: &mut Net| {
                let field = &mut fields(probe)[k];
                let mut data = field.to_vec::<f64>();
                data[i] += delta;
                **field = Tensor::from_vec(data, field.shape());
                let value = loss(probe);
                let field = &mut fields(probe)[k];
                let mut data = field.to_vec::<f64>();
                data[i] -= delta;
                **field = Tensor::from_vec(data, field.shape());
                value
            };
            let numeric = (at(h, &mut probe) - at(-h, &mut probe)) / (2.0 * h);
            assert!(
                (g - numeric).abs() <= 1e-5 * numeric.abs().max(1.0),
                "field {k}[{i}]: gradient {g}, finite differences {numeric}"
            );
        }
    }
}

fn small_net() -> (Net, Tensor, Tensor) {
    let net = Net::seeded(4, 5, 3, 40);
    let to64 = |t: Tensor| Tensor::from_vec(t.to_vec::<f64>(), t.shape());
    let net = Net { w1: to64(net.w1), b1: to64(net.b1), w2: to64(net.w2), b2: to64(net.b2) };
    (net, to64(Tensor::randn(&[6, 4], 41)), to64(Tensor::randn(&[6, 3], 42)))
}

#[test]
fn tensor_model_gradient_matches_finite_differences() {
    let (net, x, y) = small_net();
    let (value, mut grad) = net_loss_grad(&net, &x, &y);
    assert!((value.item::<f64>() - net_loss(&net, &x, &y).item::<f64>()).abs() < 1e-12);
    check_net_gradient(|n| net_loss(n, &x, &y).item::<f64>(), &net, &mut grad);

    // Through a call of another differentiable function of the model.
    let (_, mut by_call) = net_loss_by_call_grad(&net, &x, &y);
    check_net_gradient(|n| net_loss_by_call(n, &x, &y).item::<f64>(), &net, &mut by_call);
}

/// Forward mode along a tangent net equals the finite-difference directional derivative.
#[test]
fn tensor_model_forward_mode() {
    let (net, x, y) = small_net();
    let mut direction = net.zero_like();
    for (k, field) in fields(&mut direction).into_iter().enumerate() {
        *field = Tensor::randn(field.shape(), 50 + k as u64).to_dtype(DType::F64);
    }
    let (_, tangent) = net_loss_jvp(&net, &x, &y, &direction);
    let h = 1e-6;
    let moved = |s: f64| {
        let mut n = net.clone();
        for (f, d) in fields(&mut n).into_iter().zip(fields(&mut direction.clone())) {
            *f = &*f + &(&*d * s);
        }
        net_loss(&n, &x, &y).item::<f64>()
    };
    let numeric = (moved(h) - moved(-h)) / (2.0 * h);
    let t = tangent.item::<f64>();
    assert!((t - numeric).abs() <= 1e-5 * numeric.abs().max(1.0), "{t} vs {numeric}");
}

/// A nested model with a float field and a constant field.
#[derive(Clone, Debug, Differentiable)]
struct Affine {
    scale: f64,
    shift: Tensor,
    #[autodiff(skip)]
    label: String,
}

#[derive(Clone, Debug, Differentiable)]
struct Outer {
    inner: Affine,
    w: Tensor,
}

#[differentiable(wrt(m))]
fn outer_loss(m: &Outer, x: &Tensor) -> Tensor {
    let z = x * m.inner.scale + &m.inner.shift;
    z.matmul(&m.w).tanh().sum()
}

#[test]
fn nested_models_with_float_and_skipped_fields() {
    let x = Tensor::from_vec(vec![0.5, -1.0, 2.0, 0.25, 1.5, -0.5], &[2, 3]);
    let m = Outer {
        inner: Affine {
            scale: 0.7,
            shift: Tensor::from_vec(vec![0.1, -0.2, 0.3], &[3]),
            label: "first layer".to_string(),
        },
        w: Tensor::from_vec(vec![0.2, -0.4, 0.6, 0.1, -0.3, 0.5], &[3, 2]),
    };
    let (_, g) = outer_loss_grad(&m, &x);
    assert_eq!(g.inner.label, "first layer", "a skipped field is copied into the gradient");
    let h = 1e-6;
    let loss = |m: &Outer| outer_loss(m, &x).item::<f64>();
    let (mut up, mut down) = (m.clone(), m.clone());
    up.inner.scale += h;
    down.inner.scale -= h;
    let numeric = (loss(&up) - loss(&down)) / (2.0 * h);
    assert!((g.inner.scale - numeric).abs() <= 1e-6 * numeric.abs().max(1.0));
    for (k, exact) in g.inner.shift.to_vec::<f64>().into_iter().enumerate() {
        let bump = |d: f64| {
            let mut n = m.clone();
            let mut s = n.inner.shift.to_vec::<f64>();
            s[k] += d;
            n.inner.shift = Tensor::from_vec(s, &[3]);
            loss(&n)
        };
        let numeric = (bump(h) - bump(-h)) / (2.0 * h);
        assert!((exact - numeric).abs() <= 1e-6 * numeric.abs().max(1.0), "shift[{k}]");
    }
    for (k, exact) in g.w.to_vec::<f64>().into_iter().enumerate() {
        let bump = |d: f64| {
            let mut n = m.clone();
            let mut s = n.w.to_vec::<f64>();
            s[k] += d;
            n.w = Tensor::from_vec(s, &[3, 2]);
            loss(&n)
        };
        let numeric = (bump(h) - bump(-h)) / (2.0 * h);
        assert!((exact - numeric).abs() <= 1e-6 * numeric.abs().max(1.0), "w[{k}]");
    }
}

/// SEEDS S13 with the network as one struct in one `Param`: Adam steps every field, and the
/// loss falls by more than six orders of magnitude in 500 steps.
#[test]
fn s13_adam_steps_a_struct_of_tensors() {
    let (n, d_in, h, d_out) = (64, 1000, 100, 10);
    let x = Tensor::randn(&[n, d_in], 10);
    let y = Tensor::randn(&[n, d_out], 11);
    let mut p = Param::new(Net::seeded(d_in, h, d_out, 12));
    let mut opt = Adam::new(1e-4);
    let (mut first, mut last) = (0.0, 0.0);
    for step in 0..500 {
        p.zero_grad();
        let loss = net_loss_vjp(&p.value, &x, &y, Tensor::scalar(1.0f32), &mut p.grad);
        last = loss.item::<f64>();
        if step == 0 {
            first = last;
        }
        opt.step(&mut [&mut p]);
    }
    assert!(last < first * 1e-6, "loss went from {first} to {last}");
}

/// A model with constant fields: a skipped tensor and a skipped float, read in the body.
#[derive(Clone, Debug, Differentiable)]
struct Masked {
    w: Tensor,
    eps: f64,
    #[autodiff(skip)]
    mask: Tensor,
    #[autodiff(skip)]
    shift: f64,
}

#[differentiable(wrt(m))]
fn masked(m: &Masked, x: &Tensor) -> Tensor {
    ((x * &m.w * &m.mask) * m.shift + m.eps * m.shift).sum()
}

/// Skipped fields have no tangent and take no adjoint: closed forms f = s (Σ x w mask + 2 eps)
/// (two elements), ∂f/∂w = s x mask, ∂f/∂eps = 2s; the gradient keeps the skipped values.
#[test]
fn skipped_fields_are_constants() {
    let x = Tensor::from_vec(vec![1.5f64, -2.0], &[2]);
    let m = Masked {
        w: Tensor::from_vec(vec![0.5f64, 0.25], &[2]),
        eps: 0.1,
        mask: Tensor::from_vec(vec![2.0f64, 4.0], &[2]),
        shift: 3.0,
    };
    let (_, g) = masked_grad(&m, &x);
    assert_eq!(g.w.to_vec::<f64>(), [3.0 * 1.5 * 2.0, 3.0 * -2.0 * 4.0]);
    assert!((g.eps - 6.0).abs() < 1e-12);
    assert_eq!(g.mask.to_vec::<f64>(), [2.0, 4.0], "skipped fields are copied, not added into");
    assert_eq!(g.shift, 3.0);
    // A tangent built with zero_like carries the skipped values: they must not count.
    let mut direction = m.zero_like();
    direction.w = Tensor::from_vec(vec![1.0f64, 0.0], &[2]);
    let (_, t) = masked_jvp(&m, &x, &direction);
    assert!((t.item::<f64>() - 3.0 * 1.5 * 2.0).abs() < 1e-12, "{}", t.item::<f64>());
}

/// Array and `Vec` fields indexed in place, a tensor field cloned, a float field bound with its
/// type and then used as a method's receiver.
#[derive(Clone, Debug, Differentiable)]
struct Mixed {
    a: [f64; 3],
    v: Vec<f64>,
    t: Tensor,
    log_sigma: f64,
}

#[differentiable(wrt(m))]
fn mixed(m: &Mixed, x: &[f64]) -> f64 {
    let mut s = 0.0;
    for (i, xi) in x.iter().enumerate() {
        s += m.a[i] * xi + m.v[i] * m.v[i];
    }
    let sigma: f64 = m.log_sigma;
    s * sigma.exp()
}

#[differentiable(wrt(m))]
fn cloned_tensor(m: &Mixed) -> Tensor {
    let t = m.t.clone();
    (t.clone() * &t).sum()
}

#[test]
fn indexed_cloned_and_annotated_fields() {
    let m = Mixed {
        a: [0.5, -1.0, 2.0],
        v: vec![0.3, 0.7, -0.2],
        t: Tensor::from_vec(vec![1.0f64, 2.0], &[2]),
        log_sigma: 0.4,
    };
    let x = [1.5, 0.25, -0.5];
    let (value, g) = mixed_grad(&m, &x);
    let s: f64 = (0..3).map(|i| m.a[i] * x[i] + m.v[i] * m.v[i]).sum();
    let e = m.log_sigma.exp();
    assert!((value - s * e).abs() < 1e-12);
    for (i, xi) in x.iter().enumerate() {
        assert!((g.a[i] - xi * e).abs() < 1e-12);
        assert!((g.v[i] - 2.0 * m.v[i] * e).abs() < 1e-12);
    }
    assert!((g.log_sigma - s * e).abs() < 1e-12);
    assert_eq!(g.t.to_vec::<f64>(), [0.0, 0.0]);
    let (_, g) = cloned_tensor_grad(&m);
    assert_eq!(g.t.to_vec::<f64>(), [2.0, 4.0]);
}

/// Generic structs (a skipped generic field needs only `Clone`), and a borrowing struct
/// (differentiable, though no optimiser can keep it).
#[derive(Clone, Debug, Differentiable)]
struct Generic<T, C> {
    a: T,
    #[autodiff(skip)]
    config: C,
}

#[derive(Clone, Debug, Differentiable)]
struct Named<'n> {
    a: f64,
    #[autodiff(skip)]
    name: &'n str,
}

#[differentiable(wrt(g))]
fn generic_square(g: &Generic<f64, String>, n: &Named<'_>) -> f64 {
    g.a * g.a + n.a
}

#[test]
fn generic_and_borrowing_structs() {
    let g = Generic { a: 1.5, config: "c".to_string() };
    let n = Named { a: 2.0, name: "n" };
    let (v, grad) = generic_square_grad(&g, &n);
    assert_eq!((v, grad.a, grad.config.as_str()), (4.25, 3.0, "c"));
    let mut z = n.zero_like();
    z.accumulate(Named { a: 1.0, name: "other" });
    assert_eq!((z.a, z.name), (1.0, "n"));
    let mut p = Param::new(g);
    p.grad = grad;
    Sgd::new(0.5).step(&mut [&mut p]);
    assert_eq!(p.value.a, 0.0);
}

#[differentiable(wrt(net))]
fn aliased_fields(net: &Net, x: &Tensor, y: &Tensor) -> Tensor {
    let w1 = &net.w1;
    let h = (x.matmul(&w1.t()) + &net.b1).relu();
    let w2t = net.w2.t();
    let w2 = &w2t;
    let p = h.matmul(w2) + &net.b2;
    loss::mse_sum(&p, y)
}

/// Fields bound by reference first, then used as method arguments and receivers.
#[test]
fn fields_bound_to_names() {
    let (net, x, y) = small_net();
    let (_, mut grad) = aliased_fields_grad(&net, &x, &y);
    check_net_gradient(|n| aliased_fields(n, &x, &y).item::<f64>(), &net, &mut grad);
}

/// Adam steps every field of a struct by its formula: the first step is `-lr · g / (|g| + ε)`
/// (bias-corrected moments equal `g` and `g²`), with momentum and second moments per field.
#[test]
fn adam_steps_each_field_by_its_formula() {
    let mut p = Param::new(Line { a: 1.0, b: -2.0 });
    p.grad = Line { a: 0.5, b: -2.0 };
    let mut adam = Adam::new(0.1);
    adam.step(&mut [&mut p]);
    let eps = 1e-8;
    assert!((p.value.a - (1.0 - 0.1 * 0.5 / (0.5 + eps))).abs() < 1e-12, "{:?}", p.value);
    assert!((p.value.b - (-2.0 + 0.1 * 2.0 / (2.0 + eps))).abs() < 1e-12, "{:?}", p.value);
    // Second step with gradient (0.25, 1.0): m = 0.9 m + 0.1 g, v = 0.999 v + 0.001 g².
    p.grad = Line { a: 0.25, b: 1.0 };
    let before = p.value.clone();
    adam.step(&mut [&mut p]);
    for (g1, g2, x0, x1) in [(0.5, 0.25, before.a, p.value.a), (-2.0, 1.0, before.b, p.value.b)] {
        let m = 0.9 * (0.1 * g1) + 0.1 * g2;
        let v = 0.999 * (0.001 * g1 * g1) + 0.001 * g2 * g2;
        let (mh, vh) = (m / (1.0 - 0.9f64.powi(2)), v / (1.0 - 0.999f64.powi(2)));
        let expected = x0 - 0.1 * mh / (vh.sqrt() + eps);
        assert!((x1 - expected).abs() < 1e-12, "{x1} vs {expected}");
    }
}

#[derive(Clone, Debug, Differentiable)]
struct Bounds {
    floor: f64,
    scale: f64,
}

/// Float fields as receivers of methods tensors do not have: `max`, `recip`. Closed form at
/// x = 0.5, floor = 0.2 (x wins): f = x·(1/scale), ∂f/∂scale = -x/scale², ∂f/∂floor = 0.
#[differentiable(wrt(b))]
fn clipped(b: &Bounds, x: f64) -> f64 {
    b.floor.max(x) * b.scale.recip()
}

#[test]
fn float_fields_as_receivers() {
    let b = Bounds { floor: 0.2, scale: 4.0 };
    let (v, g) = clipped_grad(&b, 0.5);
    assert_eq!(v, 0.125);
    assert_eq!((g.floor, g.scale), (0.0, -0.5 / 16.0));
    let (_, g) = clipped_grad(&b, 0.1);
    assert_eq!(g.floor, 0.25);
}

#[derive(Clone, Debug, Differentiable)]
struct Weights {
    v: Vec<f64>,
    bias: f64,
}

/// A `Vec` field borrowed as a slice and passed to a differentiable function. Closed form:
/// f = Σ v_i x_i + bias, ∂f/∂v = x, ∂f/∂bias = 1; forward mode along (v̇, ḃ) gives Σ v̇_i x_i + ḃ.
#[differentiable(wrt(w))]
fn slice_field(w: &Weights, x: &[f64]) -> f64 {
    let v: &[f64] = &w.v;
    weighted(v, x) + w.bias
}

#[differentiable]
fn weighted(v: &[f64], x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..v.len() {
        s += v[i] * x[i];
    }
    s
}

#[test]
fn vec_field_borrowed_as_a_slice() {
    let w = Weights { v: vec![0.5, -1.0, 2.0], bias: 0.25 };
    let x = [1.5, 0.5, -2.0];
    let (value, g) = slice_field_grad(&w, &x);
    assert!((value - (0.75 - 0.5 - 4.0 + 0.25)).abs() < 1e-12);
    assert_eq!((g.v.as_slice(), g.bias), (&x[..], 1.0));
    let direction = Weights { v: vec![1.0, 0.0, 2.0], bias: 3.0 };
    let (_, t) = slice_field_jvp(&w, &x, &direction);
    assert!((t - (1.5 - 4.0 + 3.0)).abs() < 1e-12);
}

/// A polynomial model whose coefficients are a `Vec` field, iterated as users iterate it.
#[derive(Clone, Debug, Differentiable)]
struct Poly {
    coeffs: Vec<f64>,
    scale: f64,
}

#[differentiable(wrt(p))]
fn poly_at(p: &Poly, x: f64) -> f64 {
    let mut s = 0.0;
    let mut power = 1.0;
    for c in p.coeffs.iter() {
        s += c * power;
        power *= x;
    }
    s * p.scale + p.coeffs.iter().map(|c| c * c).sum::<f64>()
}

#[test]
fn sequence_fields_of_a_model_are_iterated() {
    let p = Poly { coeffs: vec![1.0, -2.0, 0.5], scale: 1.5 };
    let x = 0.7;
    let (value, g) = poly_at_grad(&p, x);
    assert_eq!(value, poly_at(&p, x));
    // ∂/∂c_k = scale · x^k + 2 c_k, ∂/∂scale = Σ c_k x^k
    for (k, (gk, ck)) in g.coeffs.iter().zip(&p.coeffs).enumerate() {
        let exact = 1.5 * x.powi(k as i32) + 2.0 * ck;
        assert!((gk - exact).abs() < 1e-14, "{gk} vs {exact}");
    }
    let series: f64 = p.coeffs.iter().enumerate().map(|(k, c)| c * x.powi(k as i32)).sum();
    assert!((g.scale - series).abs() < 1e-14);
}

/// A physicist's model of floats, calling float methods on its fields directly.
#[derive(Clone, Debug, Differentiable)]
struct Pendulum {
    length: f64,
    angle: f64,
}

#[differentiable(wrt(p))]
fn bob_height(p: &Pendulum, g: f64) -> f64 {
    -p.length * p.angle.cos() + 0.5 * g * p.length.powi(2) + p.angle.sin().abs().sqrt()
}

#[test]
fn float_methods_on_a_models_fields() {
    let (p, g) = (Pendulum { length: 1.3, angle: 0.4 }, 9.81);
    let (value, grad) = bob_height_grad(&p, g);
    let (l, a) = (p.length, p.angle);
    assert!((value - (-l * a.cos() + 0.5 * g * l * l + a.sin().sqrt())).abs() < 1e-12);
    // ∂/∂l = −cos a + g l; ∂/∂a = l sin a + cos a / (2 √sin a)
    assert!((grad.length - (-a.cos() + g * l)).abs() < 1e-12, "{grad:?}");
    assert!((grad.angle - (l * a.sin() + a.cos() / (2.0 * a.sin().sqrt()))).abs() < 1e-12);
    let direction = Pendulum { length: 0.2, angle: -0.5 };
    let (_, d) = bob_height_jvp(&p, g, &direction);
    assert!((d - (0.2 * grad.length - 0.5 * grad.angle)).abs() < 1e-12);
}

/// A camera whose principal point is an nalgebra field, read by component.
#[derive(Clone, Debug, Differentiable)]
struct Camera {
    focal: f64,
    center: nalgebra::Vector2<f64>,
}

#[differentiable(wrt(cam))]
fn reprojection_error(cam: &Camera, points: &[[f64; 3]], pixels: &[[f64; 2]]) -> f64 {
    let mut e = 0.0;
    for (p, uv) in points.iter().zip(pixels) {
        let u = cam.focal * p[0] / p[2] + cam.center.x;
        let v = cam.focal * p[1] / p[2] + cam.center.y;
        e += (u - uv[0]).powi(2) + (v - uv[1]).powi(2);
    }
    e
}

/// A model's nalgebra field read by component (`cam.center.x`; it was rustc's E0599 from
/// generated code): the gradient against its closed form, `∂/∂c = 2 Σ r`, `∂/∂f = 2 Σ r·(p/z)`,
/// and forward mode against it.
#[test]
fn components_of_nalgebra_fields_of_a_model() {
    let points = [[0.1, 0.2, 2.0], [-0.3, 0.4, 3.0], [0.5, -0.1, 1.5]];
    let pixels = [[0.4, 0.1], [0.2, 0.5], [0.9, 0.2]];
    let cam = Camera { focal: 1.5, center: nalgebra::Vector2::new(0.3, 0.2) };
    let (_, g) = reprojection_error_grad(&cam, &points, &pixels);
    let (mut gf, mut gc) = (0.0, nalgebra::Vector2::zeros());
    for (p, uv) in points.iter().zip(&pixels) {
        let r = nalgebra::Vector2::new(
            cam.focal * p[0] / p[2] + cam.center.x - uv[0],
            cam.focal * p[1] / p[2] + cam.center.y - uv[1],
        );
        gf += 2.0 * (r.x * p[0] + r.y * p[1]) / p[2];
        gc += 2.0 * r;
    }
    assert!((g.focal - gf).abs() < 1e-12 && (g.center - gc).norm() < 1e-12, "{g:?}");
    let d = Camera { focal: 0.5, center: nalgebra::Vector2::new(-1.0, 2.0) };
    let (_, t) = reprojection_error_jvp(&cam, &points, &pixels, &d);
    assert!((t - (0.5 * gf - gc.x + 2.0 * gc.y)).abs() < 1e-12);
}

/// One optimiser stepping parameters of two types by two calls (a weight `Vec` and a float
/// bias) keeps each one's momentum, and Adam corrects each parameter by its own step count
/// (review s18: the second call reset the first's state, and a parameter joining late was
/// corrected with the global count).
#[test]
fn optimiser_state_per_parameter_and_type() {
    let mut w = Param::new(vec![1.0f64, -1.0]);
    let mut b = Param::new(0.5f64);
    let mut opt = Sgd::new(0.1).momentum(0.9);
    let (mut wv, mut bw, mut bv, mut bb) = (vec![1.0f64, -1.0], vec![0.0f64; 2], 0.5f64, 0.0f64);
    for step in 0..4 {
        w.grad = vec![0.3, 0.1 * step as f64];
        b.grad = 0.2;
        opt.step(&mut [&mut w]);
        opt.step(&mut [&mut b]);
        for k in 0..2 {
            bw[k] = if step == 0 { w.grad[k] } else { 0.9 * bw[k] + w.grad[k] };
            wv[k] -= 0.1 * bw[k];
        }
        bb = if step == 0 { 0.2 } else { 0.9 * bb + 0.2 };
        bv -= 0.1 * bb;
    }
    assert!((w.value[0] - wv[0]).abs() < 1e-15 && (w.value[1] - wv[1]).abs() < 1e-15);
    assert!((b.value - bv).abs() < 1e-15);
    // Adam: a parameter that starts requiring gradients at the third step moves by lr then
    let (mut early, mut late) = (Param::new(0.0f64), Param::new(0.0f64));
    late.requires_grad = false;
    let mut adam = Adam::new(0.1);
    for step in 0..3 {
        late.requires_grad = step == 2;
        early.grad = 1.0;
        late.grad = 1.0;
        adam.step(&mut [&mut early, &mut late]);
    }
    assert!((late.value + 0.1).abs() < 1e-6, "{}", late.value);
}

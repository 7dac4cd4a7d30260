//! Tensors on a GPU give the CPU's results: every tensor operation, every tensor rule (through
//! generated code and called directly), accumulation into device buffers, the optimisers, and
//! SEEDS S11, S13 and S22 on `Device::cuda_if_available(0)`. Errors for devices that cannot be
//! used or mixed. Built with and without the `cuda` feature; each test that needs a GPU prints
//! why it skipped when there is none.

use autodiff::prelude::*;

/// The GPU, or `None` after printing why there is none (no `cuda` feature, no driver, no
/// card). Any other error opening it (kernels that do not compile or load) fails the test, and
/// so does having none when `AUTODIFF_REQUIRE_GPU=1` (for runs on GPU machines).
fn gpu() -> Option<Device> {
    match Device::cuda(0) {
        Ok(d) => Some(d),
        Err(e @ Error::DeviceUnavailable { .. }) => {
            if std::env::var("AUTODIFF_REQUIRE_GPU").is_ok_and(|v| v == "1") {
                panic!("AUTODIFF_REQUIRE_GPU=1 but there is no usable GPU: {e}");
            }
            println!("skipped: no usable GPU: {e}");
            None
        }
        Err(e) => panic!("the GPU is there but cannot be used: {e}"),
    }
}

/// `a` (computed on the GPU) equals `b` (on the CPU) element by element: relative 1e-5 for
/// `f32`, 1e-12 for `f64` (relative to the larger magnitude, at least 1).
fn close(what: &str, a: &Tensor, b: &Tensor) {
    close_within(what, a, b, 1e-5);
}

/// [`close`] with `f32_tol` for `f32`.
fn close_within(what: &str, a: &Tensor, b: &Tensor, f32_tol: f64) {
    assert_eq!(a.shape(), b.shape(), "{what}: shapes");
    assert_eq!(a.dtype(), b.dtype(), "{what}: dtypes");
    let tol = if b.dtype() == DType::F32 { f32_tol } else { 1e-12 };
    let (x, y) = (a.to_vec::<f64>(), b.to_vec::<f64>());
    for (i, (p, q)) in x.iter().zip(&y).enumerate() {
        let scale = p.abs().max(q.abs()).max(1.0);
        assert!((p - q).abs() <= tol * scale, "{what}[{i}]: GPU {p} vs CPU {q}");
    }
}

fn inputs(dtype: DType) -> Vec<Tensor> {
    let t = |shape: &[usize], seed| Tensor::randn(shape, seed).to_dtype(dtype);
    vec![
        t(&[4, 3], 1),
        t(&[4, 3], 2),
        t(&[3], 3),
        t(&[4, 1], 4),
        (&t(&[4, 3], 5).abs() + 0.5),
        t(&[3, 5], 6),
        t(&[2, 4, 3], 7),
        t(&[2, 3, 5], 8),
        t(&[], 9),
    ]
}

type Op = (&'static str, fn(&[Tensor]) -> Tensor);

/// Every tensor operation, on inputs `[a, b, row, col, positive, m35, batch, batch2, scalar]`.
const OPERATIONS: &[Op] = &[
    ("a + b", |t| &t[0] + &t[1]),
    ("a - b", |t| &t[0] - &t[1]),
    ("a * b", |t| &t[0] * &t[1]),
    ("a / positive", |t| &t[0] / &t[4]),
    ("a + row", |t| &t[0] + &t[2]),
    ("col * row", |t| &t[3] * &t[2]),
    ("row - a", |t| &t[2] - &t[0]),
    ("a / scalar tensor", |t| &t[0] / &t[8]),
    ("a + 2", |t| &t[0] + 2.0),
    ("2 - a", |t| 2.0 - &t[0]),
    ("a * 3", |t| &t[0] * 3.0),
    ("3 / positive", |t| 3.0 / &t[4]),
    ("a / 4", |t| &t[0] / 4.0),
    ("-a", |t| -&t[0]),
    ("relu", |t| t[0].relu()),
    ("sigmoid", |t| t[0].sigmoid()),
    ("tanh", |t| t[0].tanh()),
    ("exp", |t| t[0].exp()),
    ("ln", |t| t[4].ln()),
    ("sin", |t| t[0].sin()),
    ("cos", |t| t[0].cos()),
    ("sqrt", |t| t[4].sqrt()),
    ("abs", |t| t[0].abs()),
    ("powi 3", |t| t[0].powi(3)),
    ("powi -2", |t| t[4].powi(-2)),
    ("powf 1.5", |t| t[4].powf(1.5)),
    ("sum", |t| t[0].sum()),
    ("mean", |t| t[0].mean()),
    ("sum_dim 0", |t| t[0].sum_dim(0, false)),
    ("sum_dim 1 keepdim", |t| t[0].sum_dim(1, true)),
    ("sum_dim 1 of 3-d", |t| t[6].sum_dim(1, false)),
    ("max_dim 1", |t| t[0].max_dim(1, false)),
    ("max_dim 0 keepdim", |t| t[6].max_dim(0, true)),
    ("matmul", |t| t[0].matmul(&t[5])),
    ("batched matmul, shared right", |t| t[6].matmul(&t[5])),
    ("batched matmul", |t| t[6].matmul(&t[7])),
    ("t", |t| t[0].t()),
    ("reshape", |t| t[0].reshape(&[3, 4]).t()),
    ("narrow 1", |t| t[0].narrow(1, 1, 2)),
    ("narrow 1 of 3-d", |t| t[6].narrow(1, 1, 2)),
    ("select 0", |t| t[0].select(0, 2)),
    ("cat 0", |t| Tensor::cat(&[t[0].clone(), t[1].clone()], 0)),
    ("cat 1", |t| Tensor::cat(&[t[0].clone(), t[3].clone(), t[1].clone()], 1)),
    ("meshgrid", |t| Tensor::meshgrid(&[t[2].clone(), t[2].narrow(0, 0, 2)])[1].clone()),
    ("to f64 and back", |t| t[0].to_dtype(DType::F64).to_dtype(t[0].dtype())),
];

#[test]
fn operations_match_the_cpu() {
    let Some(device) = gpu() else { return };
    for dtype in [DType::F32, DType::F64] {
        let cpu = inputs(dtype);
        let dev: Vec<Tensor> = cpu.iter().map(|t| t.to_device(&device).unwrap()).collect();
        for (name, op) in OPERATIONS {
            let (g, c) = (op(&dev), op(&cpu));
            assert_eq!(g.device(), device, "{name}: the result stays on the GPU");
            close(&format!("{name} ({dtype:?})"), &g.to_device(&Device::Cpu).unwrap(), &c);
        }
    }
}

#[differentiable(wrt(a, w, bias))]
fn everything(a: &Tensor, w: &Tensor, bias: &Tensor, x: &Tensor) -> Tensor {
    let h = (a.matmul(w) + bias).tanh();
    let s = h.sigmoid() * h.exp() - h.relu() / 2.0 + h.sin() * h.cos();
    let m = s.max_dim(1, true) + s.sum_dim(0, false).powi(2).sqrt();
    let p = (x.abs() + 1.0).ln().powf(1.5) - x.t().narrow(0, 1, 2).sum();
    let q = Tensor::cat(&[m.clone(), p.select(0, 0).reshape(&[1, 5])], 0);
    (&q * &q).sum() + loss::bce_with_logits(&s, &s.sigmoid()) + (-s).mean()
}

/// Every rule, as generated code calls it: gradients and tangents on the GPU equal the CPU's
/// (`f32` to 1e-4: a composition of twenty operations, each within a few ulps).
#[test]
fn generated_gradients_match_the_cpu() {
    let Some(device) = gpu() else { return };
    for dtype in [DType::F32, DType::F64] {
        let make = |shape: &[usize], seed| Tensor::randn(shape, seed).to_dtype(dtype);
        let cpu = [make(&[4, 3], 31), make(&[3, 5], 32), make(&[5], 33), make(&[3, 5], 34)];
        let dev: Vec<Tensor> = cpu.iter().map(|t| t.to_device(&device).unwrap()).collect();
        let (yc, (ga, gw, gb)) = everything_grad(&cpu[0], &cpu[1], &cpu[2], &cpu[3]);
        let (yg, (da, dw, db)) = everything_grad(&dev[0], &dev[1], &dev[2], &dev[3]);
        let host = |t: &Tensor| t.to_device(&Device::Cpu).unwrap();
        close_within("value", &host(&yg), &yc, 1e-4);
        for (name, g, c) in [("a", &da, &ga), ("w", &dw, &gw), ("bias", &db, &gb)] {
            assert_eq!(g.device(), device, "the gradient of {name} stays on the GPU");
            close_within(&format!("gradient of {name} ({dtype:?})"), &host(g), c, 1e-4);
        }
        let (_, tc) = everything_jvp(&cpu[0], &cpu[1], &cpu[2], &cpu[3], &cpu[0], &cpu[1], &cpu[2]);
        let (_, tg) = everything_jvp(&dev[0], &dev[1], &dev[2], &dev[3], &dev[0], &dev[1], &dev[2]);
        close_within(&format!("tangent ({dtype:?})"), &host(&tg), &tc, 1e-4);
    }
}

#[differentiable]
fn elementwise(x: &Tensor) -> Tensor {
    &x.sin() + x
}

#[differentiable(wrt(w, b))]
fn layer(x: &Tensor, w: &Tensor, b: &Tensor) -> Tensor {
    nn::linear(x, w, b).tanh()
}

/// Functions with a tensor result: the seed of `f_grad` (a CPU scalar) reaches every rule, the
/// layer's hand-written derivative too, and the gradients stay on the GPU.
#[test]
fn tensor_results_match_the_cpu() {
    let Some(device) = gpu() else { return };
    let on = |t: &Tensor| t.to_device(&device).unwrap();
    let host = |t: &Tensor| t.to_device(&Device::Cpu).unwrap();
    let x = Tensor::randn(&[6], 51).to_dtype(DType::F64);
    let (_, gc) = elementwise_grad(&x);
    let (_, gg) = elementwise_grad(&on(&x));
    assert_eq!(gg.device(), device);
    close("gradient of sin(x) + x", &host(&gg), &gc);
    let (x, w, b) =
        (Tensor::randn(&[4, 3], 52), Tensor::randn(&[2, 3], 53), Tensor::randn(&[2], 54));
    let (_, (gw, gb)) = layer_grad(&x, &w, &b);
    let (_, (dw, db)) = layer_grad(&on(&x), &on(&w), &on(&b));
    assert_eq!((dw.device(), db.device()), (device, device));
    close("gradient of the weight", &host(&dw), &gw);
    close("gradient of the bias", &host(&db), &gb);
    // accumulating a GPU contribution into a CPU buffer is an error naming both devices
    let mut cpu_grad = Tensor::zeros(&[6]).to_dtype(DType::F64);
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        elementwise_vjp(
            &on(&Tensor::ones(&[6]).to_dtype(DType::F64)),
            Tensor::scalar(1.0),
            &mut cpu_grad,
        )
    }));
    assert!(caught.is_err(), "a CPU buffer does not silently take GPU gradients");
}

/// Sums and maxima of long tensors (a first pass over many blocks, then the partials): the sum
/// against the exact (`f64`) sum of the same values to rounding, 1e-12 of the sum of magnitudes
/// for `f64` and 2e-6 for `f32` (the worst case of 32 roundings per value is 1.9e-6; dropping the
/// last 7 values would be off by 2.4, or 3e-6); the maximum exactly.
#[test]
fn long_sums_match_the_cpu() {
    let Some(device) = gpu() else { return };
    for (n, dtype, tol) in [((1 << 20) + 3, DType::F64, 1e-12), ((1 << 20) + 7, DType::F32, 2e-6)] {
        let x = Tensor::randn(&[n], 61).to_dtype(dtype);
        let values = x.to_vec::<f64>();
        let exact: f64 = values.iter().sum();
        let scale: f64 = values.iter().map(|v| v.abs()).sum();
        let top = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let g = x.to_device(&device).unwrap();
        let sum = g.sum().item::<f64>();
        assert!((sum - exact).abs() <= tol * scale, "sum of {n} ({dtype:?}): GPU {sum} vs {exact}");
        assert_eq!(g.max_dim(0, false).item::<f64>(), top, "max of {n} ({dtype:?})");
    }
}

/// The rules called directly, with tensors and scalars, as a hand-written derivative would.
#[test]
fn rules_match_the_cpu() {
    use autodiff::rules::tensor as r;
    let Some(device) = gpu() else { return };
    let cpu = inputs(DType::F32);
    let dev: Vec<Tensor> = cpu.iter().map(|t| t.to_device(&device).unwrap()).collect();
    type Rule = (&'static str, fn(&[Tensor]) -> Tensor);
    let rules: &[Rule] = &[
        ("add_vjp_1 (summed to a row)", |t| r::add_vjp_1(&t[0], &t[2], &(&t[0] + &t[2]), &t[1])),
        ("mul_vjp_0", |t| r::mul_vjp_0(&t[0], &t[1], &(&t[0] * &t[1]), &t[4])),
        ("div_vjp_1", |t| r::div_vjp_1(&t[0], &t[4], &(&t[0] / &t[4]), &t[1])),
        ("relu_vjp", |t| r::relu_vjp(&t[0], &t[0].relu(), &t[1])),
        ("abs_jvp", |t| r::abs_jvp(&t[0], &t[0].abs(), &t[1])),
        ("tanh_jvp", |t| r::tanh_jvp(&t[0], &t[0].tanh(), &t[1])),
        ("powf_vjp_0", |t| r::powf_vjp_0(&t[4], &0.5, &t[4].powf(0.5), &t[1])),
        ("sum_vjp with a CPU seed", |t| r::sum_vjp(&t[0], &t[0].sum(), &Tensor::scalar(2.0f32))),
        ("mean_vjp", |t| r::mean_vjp(&t[0], &t[0].mean(), &Tensor::scalar(1.0f32))),
        ("sum_dim_vjp", |t| {
            r::sum_dim_vjp(&t[0], &1, &false, &t[0].sum_dim(1, false), &t[3].reshape(&[4]))
        }),
        ("max_dim_vjp", |t| r::max_dim_vjp(&t[0], &1, &true, &t[0].max_dim(1, true), &t[3])),
        ("narrow_vjp", |t| {
            r::narrow_vjp(&t[0], &1, &1, &2, &t[0].narrow(1, 1, 2), &t[0].narrow(1, 0, 2))
        }),
        ("select_vjp", |t| r::select_vjp(&t[0], &0, &1, &t[0].select(0, 1), &t[2])),
        ("matmul_vjp_0", |t| {
            r::matmul_vjp_0(&t[0], &t[5], &t[0].matmul(&t[5]), &t[0].matmul(&t[5]))
        }),
        ("matmul_vjp_1", |t| {
            r::matmul_vjp_1(&t[0], &t[5], &t[0].matmul(&t[5]), &t[0].matmul(&t[5]))
        }),
        ("batched matmul_vjp_1 (summed over batches)", |t| {
            r::matmul_vjp_1(&t[6], &t[5], &t[6].matmul(&t[5]), &t[6].matmul(&t[5]))
        }),
        ("batched matmul_vjp_0", |t| {
            r::matmul_vjp_0(&t[6], &t[7], &t[6].matmul(&t[7]), &t[6].matmul(&t[7]))
        }),
        ("t_vjp", |t| r::t_vjp(&t[0], &t[0].t(), &t[0].t())),
    ];
    for (name, rule) in rules {
        let g = rule(&dev);
        assert_eq!(g.device(), device, "{name}: the result stays on the GPU");
        close(name, &g.to_device(&Device::Cpu).unwrap(), &rule(&cpu));
    }
    // a scalar operand's adjoint comes back to the host as a float
    let seed = &dev[1];
    let s = r::mul_vjp_1(&dev[0], &2.5f64, &(&dev[0] * 2.5), seed);
    let expected: f64 = (&cpu[0] * &cpu[1]).sum().item();
    assert!((s - expected).abs() <= 1e-5 * expected.abs().max(1.0), "{s} vs {expected}");
}

#[differentiable]
fn sum_of_squares(x: &Tensor) -> Tensor {
    (x * x).sum()
}

/// `f_vjp` adds into a buffer on the GPU; `zero_grad` clears it there.
#[test]
fn gradients_accumulate_on_the_device() {
    let Some(device) = gpu() else { return };
    let x = Tensor::from_vec(vec![1.0f32, -2.0, 3.0], &[3]);
    let mut p = Param::new(x.clone()).to_device(&device).unwrap();
    for _ in 0..2 {
        sum_of_squares_vjp(&p.value, Tensor::scalar(1.0f32), &mut p.grad);
    }
    assert_eq!(p.grad.device(), device);
    assert_eq!(p.grad.to_vec::<f32>(), [4.0, -8.0, 12.0], "2 · 2x, added twice");
    p.zero_grad();
    assert_eq!((p.grad.device(), p.grad.to_vec::<f32>()), (device, vec![0.0; 3]));
}

/// SGD with momentum and Adam take the same steps on the GPU as on the CPU.
#[test]
fn optimisers_match_the_cpu() {
    let Some(device) = gpu() else { return };
    for dtype in [DType::F32, DType::F64] {
        let start = Tensor::randn(&[10, 7], 41).to_dtype(dtype);
        let mut cpu = [Param::new(start.clone()), Param::new(start.clone())];
        let mut dev = [cpu[0].to_device(&device).unwrap(), cpu[1].to_device(&device).unwrap()];
        let (mut sgd_c, mut sgd_g) = (Sgd::new(0.1).momentum(0.9), Sgd::new(0.1).momentum(0.9));
        let (mut adam_c, mut adam_g) = (Adam::new(0.01), Adam::new(0.01));
        for step in 0..5 {
            for (c, g) in cpu.iter_mut().zip(dev.iter_mut()) {
                c.zero_grad();
                g.zero_grad();
                sum_of_squares_vjp(&c.value, Tensor::scalar(1.0f32), &mut c.grad);
                sum_of_squares_vjp(&g.value, Tensor::scalar(1.0f32), &mut g.grad);
            }
            let [c0, c1] = &mut cpu;
            let [g0, g1] = &mut dev;
            sgd_c.step(&mut [&mut *c0]);
            sgd_g.step(&mut [&mut *g0]);
            adam_c.step(&mut [&mut *c1]);
            adam_g.step(&mut [&mut *g1]);
            for (name, c, g) in [("SGD", &*c0, &*g0), ("Adam", &*c1, &*g1)] {
                assert_eq!(g.value.device(), device);
                let what = format!("{name} step {step} ({dtype:?})");
                close(&what, &g.value.to_device(&Device::Cpu).unwrap(), &c.value);
            }
        }
    }
}

/// Tensors on two devices: an error naming both (the `try_` form), a panic with the same
/// message (the operator); a GPU that does not exist is an error.
#[test]
fn devices_are_checked() {
    assert!(Tensor::ones(&[1]).to_device(&Device::Cuda(1000)).is_err());
    assert!(Device::cuda(1000).is_err());
    let Some(device) = gpu() else { return };
    let g = Tensor::ones(&[2]).to_device(&device).unwrap();
    let c = Tensor::ones(&[2]);
    let e = g.try_add(&c).unwrap_err();
    assert_eq!(
        e,
        Error::DeviceMismatch { op: "add", lhs: device, rhs: Device::Cpu },
        "the error names both devices"
    );
    assert!(e.to_string().contains("cuda:0") && e.to_string().contains("cpu"), "{e}");
    assert!(std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| &g * &c)).is_err());
    // a one-element CPU tensor beside a GPU tensor is a scalar, as in PyTorch
    assert_eq!((&g * &Tensor::scalar(3.0f32)).to_vec::<f32>(), [3.0, 3.0]);
}

#[path = "../benches/common/two_layer.rs"]
mod two_layer;

/// S13's losses over `steps` Adam steps on `device`.
fn s13(device: &Device, steps: usize) -> Vec<f64> {
    let (x, y) = two_layer::data(device);
    let mut net = two_layer::Net::new(device);
    (0..steps).map(|_| net.step(&x, &y).item::<f64>()).collect()
}

/// SEEDS S22 with S13: the two-layer net trains on `cuda_if_available` as on the CPU: the same
/// losses while they are large (1e-4 relative), and more than six orders of magnitude of fall.
#[test]
fn s22_s13_on_the_gpu() {
    let Some(gpu) = gpu() else { return };
    let device = Device::cuda_if_available(0);
    assert_eq!(device, gpu, "cuda_if_available chooses the GPU");
    let (gpu, cpu) = (s13(&device, 500), s13(&Device::Cpu, 100));
    for (step, (g, c)) in gpu.iter().zip(&cpu).enumerate() {
        assert!((g - c).abs() <= 1e-4 * c.abs(), "step {step}: GPU loss {g} vs CPU {c}");
    }
    assert!(gpu[499] < gpu[0] * 1e-6, "loss went from {} to {}", gpu[0], gpu[499]);
}

#[path = "../benches/common/regression.rs"]
mod regression;

/// SEEDS S22 with S11: linear regression by gradient descent ends at the same `b` and `w` on
/// the GPU as on the CPU.
#[test]
fn s22_s11_on_the_gpu() {
    let Some(gpu) = gpu() else { return };
    let device = Device::cuda_if_available(0);
    assert_eq!(device, gpu, "cuda_if_available chooses the GPU");
    let x = Tensor::rand(&[80], 42);
    let y = &(&(&x * 2.0) + 1.0) + &(&Tensor::randn(&[80], 7) * 0.1);
    let fit = |device: &Device| {
        let on = |t: &Tensor| t.to_device(device).unwrap();
        let start = (Tensor::from_vec(vec![0.3f32], &[1]), Tensor::from_vec(vec![0.7f32], &[1]));
        let (b, w) =
            regression::train_tensors((on(&start.0), on(&start.1)), &on(&x), &on(&y), 0.1, 1000);
        (b.item::<f64>(), w.item::<f64>())
    };
    let ((bg, wg), (bc, wc)) = (fit(&device), fit(&Device::Cpu));
    assert!((bg - bc).abs() <= 1e-4 * bc.abs() && (wg - wc).abs() <= 1e-4 * wc.abs());
    assert!((bc - 1.0).abs() < 0.1 && (wc - 2.0).abs() < 0.2, "the data follow y = 1 + 2x");
}

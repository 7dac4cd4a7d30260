//! The CPU tensor: creation, broadcasting arithmetic, unary functions, reductions, matrix
//! products, reshaping, slicing and joining, errors and printing, each against values computed
//! independently.

use autodiff_runtime::{DType, Device, Error, Tensor};

fn close(a: &[f64], b: &[f64]) {
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(b) {
        assert!((x - y).abs() <= 1e-6 * y.abs().max(1.0), "{a:?} vs {b:?}");
    }
}

#[test]
fn creation() {
    assert_eq!(Tensor::zeros(&[2, 3]).to_vec::<f32>(), vec![0.0; 6]);
    assert_eq!(Tensor::ones(&[4]).dtype(), DType::F32);
    assert_eq!(Tensor::full(&[2], 2.5f64).to_vec::<f64>(), [2.5, 2.5]);
    assert_eq!(Tensor::eye(3).to_vec::<f32>(), [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0]);
    assert_eq!(Tensor::arange(1.0, 2.0, 0.25).to_vec::<f64>(), [1.0, 1.25, 1.5, 1.75]);
    close(&Tensor::linspace(-1.0, 1.0, 5).to_vec::<f64>(), &[-1.0, -0.5, 0.0, 0.5, 1.0]);
    let r = Tensor::randn(&[20_000], 3).to_vec::<f64>();
    let mean = r.iter().sum::<f64>() / r.len() as f64;
    let var = r.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / r.len() as f64;
    assert!(mean.abs() < 0.03 && (var - 1.0).abs() < 0.05, "mean {mean}, variance {var}");
    assert_ne!(Tensor::rand(&[8], 1), Tensor::rand(&[8], 2));
    assert_eq!(Tensor::scalar(4.0f32).shape(), &[] as &[usize]);
    let err = Tensor::try_from_vec(vec![1.0f32; 5], &[2, 3]).unwrap_err();
    assert_eq!(err.to_string(), "5 values cannot fill shape [2, 3], which holds 6");
}

#[test]
fn arithmetic_broadcasts_and_promotes() {
    let a = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
    let row = Tensor::from_vec(vec![10.0f32, 20.0, 30.0], &[3]);
    let col = Tensor::from_vec(vec![100.0f32, 200.0], &[2, 1]);
    assert_eq!((&a + &row).to_vec::<f32>(), [11.0, 22.0, 33.0, 14.0, 25.0, 36.0]);
    assert_eq!((&a * &col).to_vec::<f32>(), [100.0, 200.0, 300.0, 800.0, 1000.0, 1200.0]);
    assert_eq!((&row - &col).shape(), &[2, 3]);
    assert_eq!((a.clone() / 2.0).to_vec::<f32>(), [0.5, 1.0, 1.5, 2.0, 2.5, 3.0]);
    assert_eq!((1.0 - &a).to_vec::<f32>(), [0.0, -1.0, -2.0, -3.0, -4.0, -5.0]);
    assert_eq!((2.0 * a.clone()).to_vec::<f32>()[5], 12.0);
    assert_eq!((-&a).to_vec::<f32>()[0], -1.0);
    let wide = a.to_dtype(DType::F64);
    assert_eq!((&wide + &row).dtype(), DType::F64, "f32 with f64 gives f64");
    let err = a.try_add(&Tensor::ones(&[2])).unwrap_err();
    assert_eq!(err, Error::ShapeMismatch { op: "add", lhs: vec![2, 3], rhs: vec![2] });
    assert_eq!(err.to_string(), "add: shapes [2, 3] and [2] do not match");
}

#[test]
#[should_panic(expected = "mul: shapes [2, 3] and [4] do not match")]
fn operators_panic_naming_both_shapes() {
    let _ = &Tensor::ones(&[2, 3]) * &Tensor::ones(&[4]);
}

#[test]
fn unary_functions() {
    let x = [-1.5, -0.2, 0.0, 0.7, 2.0];
    let t = Tensor::from_vec(x.to_vec(), &[5]);
    let each = |f: fn(f64) -> f64| x.iter().map(|v| f(*v)).collect::<Vec<_>>();
    close(&t.relu().to_vec(), &each(|v| v.max(0.0)));
    close(&t.sigmoid().to_vec(), &each(|v| 1.0 / (1.0 + (-v).exp())));
    close(&t.tanh().to_vec(), &each(f64::tanh));
    close(&t.exp().to_vec(), &each(f64::exp));
    close(&t.sin().to_vec(), &each(f64::sin));
    close(&t.cos().to_vec(), &each(f64::cos));
    close(&t.abs().to_vec(), &each(f64::abs));
    close(&t.powi(3).to_vec(), &each(|v| v.powi(3)));
    let pos = t.abs() + 1.0;
    close(&pos.ln().to_vec(), &each(|v| (v.abs() + 1.0).ln()));
    close(&pos.sqrt().to_vec(), &each(|v| (v.abs() + 1.0).sqrt()));
    close(&pos.powf(1.5).to_vec(), &each(|v| (v.abs() + 1.0).powf(1.5)));
}

#[test]
fn reductions() {
    let t = Tensor::from_vec((1..=24).map(f64::from).collect(), &[2, 3, 4]);
    assert_eq!(t.sum().item::<f64>(), 300.0);
    assert_eq!(t.mean().item::<f64>(), 12.5);
    let s1 = t.sum_dim(1, false);
    assert_eq!(s1.shape(), &[2, 4]);
    assert_eq!(s1.to_vec::<f64>(), [15.0, 18.0, 21.0, 24.0, 51.0, 54.0, 57.0, 60.0]);
    assert_eq!(t.sum_dim(2, true).shape(), &[2, 3, 1]);
    assert_eq!(t.max_dim(0, false).to_vec::<f64>(), (13..=24).map(f64::from).collect::<Vec<_>>());
    let err = t.try_sum_dim(3, false).unwrap_err();
    assert_eq!(err.to_string(), "sum_dim: dimension 3 is out of range for shape [2, 3, 4]");
}

#[test]
fn matrix_products_match_the_definition() {
    let (m, k, n) = (3, 4, 2);
    let a = Tensor::randn(&[m, k], 1);
    let b = Tensor::randn(&[k, n], 2);
    let (av, bv) = (a.to_vec::<f64>(), b.to_vec::<f64>());
    let expected: Vec<f64> = (0..m * n)
        .map(|ij| (0..k).map(|p| av[(ij / n) * k + p] * bv[p * n + ij % n]).sum())
        .collect();
    close(&a.matmul(&b).to_vec(), &expected);
    close(&a.to_dtype(DType::F64).matmul(&b).to_vec(), &expected);
    // batched: (2, m, k) @ (k, n) and (2, m, k) @ (2, k, n)
    let batch =
        Tensor::from_vec([av.clone(), av.iter().map(|v| 2.0 * v).collect()].concat(), &[2, m, k]);
    let c = batch.matmul(&b);
    assert_eq!(c.shape(), &[2, m, n]);
    let cv = c.to_vec::<f64>();
    close(&cv[..m * n], &expected);
    close(&cv[m * n..], &expected.iter().map(|v| 2.0 * v).collect::<Vec<_>>());
    let bb = Tensor::from_vec([bv.clone(), bv.clone()].concat(), &[2, k, n]);
    close(&batch.matmul(&bb).to_vec(), &cv);
    assert_eq!(
        a.try_matmul(&a).unwrap_err().to_string(),
        "matmul: shapes [3, 4] and [3, 4] do not match"
    );
    // transpose and reshape
    assert_eq!(a.t().t(), a);
    close(&a.t().to_vec(), &(0..k * m).map(|ji| av[(ji % m) * k + ji / m]).collect::<Vec<_>>());
    assert_eq!(a.reshape(&[2, 6]).to_vec::<f64>(), av);
    assert!(a.try_reshape(&[5]).is_err());
}

#[test]
fn printing_reading_and_devices() {
    let t = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[2, 2]);
    assert_eq!(t.to_string(), "tensor([[1., 2.],\n        [3., 4.]])");
    let cube = Tensor::arange(0.0, 8.0, 1.0).reshape(&[2, 2, 2]);
    assert_eq!(
        cube.to_string(),
        "tensor([[[0., 1.],\n         [2., 3.]],\n\n        [[4., 5.],\n         [6., 7.]]])"
    );
    assert_eq!(Tensor::scalar(0.5f32).to_string(), "tensor(0.5000)");
    assert_eq!(t.to_vec::<f64>(), [1.0, 2.0, 3.0, 4.0]);
    assert_eq!(t.try_item::<f32>(), Err(Error::NotScalar { shape: vec![2, 2] }));
    assert_eq!(t.device(), Device::Cpu);
    assert_eq!(Device::cuda_if_available(0), Device::Cpu);
    assert!(matches!(t.to_device(&Device::Cuda(0)), Err(Error::DeviceUnavailable { .. })));
}

#[test]
fn slicing_indexing_and_joining() {
    let cube = Tensor::arange(0.0, 24.0, 1.0).reshape(&[2, 3, 4]);
    // x[:, 1:3, :] and x[1, :, 2] by definition
    let mid = cube.narrow(1, 1, 2);
    assert_eq!(mid.shape(), &[2, 2, 4]);
    let expected: Vec<f64> = (0..2)
        .flat_map(|i| (1..3).flat_map(move |j| (0..4).map(move |k| (12 * i + 4 * j + k) as f64)))
        .collect();
    close(&mid.to_vec::<f64>(), &expected);
    assert_eq!(cube.select(0, 1).select(1, 2).to_vec::<f32>(), [14.0, 18.0, 22.0]);
    // cat undoes narrow, along any dimension, and promotes to f64
    for dim in 0..3 {
        let n = cube.shape()[dim];
        let parts = [cube.narrow(dim, 0, 1), cube.narrow(dim, 1, n - 1).to_dtype(DType::F64)];
        let joined = Tensor::cat(&parts, dim);
        assert_eq!(joined.dtype(), DType::F64);
        assert_eq!(joined.shape(), cube.shape());
        close(&joined.to_vec::<f64>(), &cube.to_vec::<f64>());
    }
    // errors name what was wrong
    let e = cube.try_narrow(2, 3, 2).unwrap_err();
    assert_eq!(
        e.to_string(),
        "narrow: indices 3..5 of dimension 2 are out of range for shape [2, 3, 4]"
    );
    assert!(matches!(cube.try_select(3, 0), Err(Error::Dimension { op: "select", .. })));
    assert!(matches!(cube.try_narrow(0, usize::MAX, 2), Err(Error::OutOfRange { .. })));
    let e = Tensor::try_cat(&[Tensor::ones(&[2, 3]), Tensor::ones(&[3, 3])], 1).unwrap_err();
    assert_eq!(e, Error::ShapeMismatch { op: "cat", lhs: vec![2, 3], rhs: vec![3, 3] });
    assert!(Tensor::try_cat(&[], 0).is_err());
    // meshgrid with matrix indexing
    let g = Tensor::meshgrid(&[Tensor::linspace(0.0, 1.0, 3), Tensor::arange(5.0, 7.0, 1.0)]);
    assert_eq!(g[0].shape(), &[3, 2]);
    assert_eq!(g[0].to_vec::<f32>(), [0.0, 0.0, 0.5, 0.5, 1.0, 1.0]);
    assert_eq!(g[1].to_vec::<f32>(), [5.0, 6.0, 5.0, 6.0, 5.0, 6.0]);
}

//! `#[differentiable]` on a whole `impl` block, inherent or of a trait: every method with a
//! float result gets `_jvp`, `_vjp` and `_grad` methods (in an inherent `impl`, `pub` for a
//! trait's), and the methods may call each other.

use autodiff::prelude::*;

mod common;

pub trait Energy {
    fn energy(&self, x: &[f64]) -> f64;
}

/// A chain of springs, as a physicist writes one.
pub struct Chain {
    pub k: f64,
    pub rest: f64,
}

#[differentiable]
impl Chain {
    fn bond(&self, a: f64, b: f64) -> f64 {
        let d = b - a - self.rest;
        0.5 * self.k * d * d
    }

    fn total(&self, x: &[f64]) -> f64 {
        let mut e = 0.0;
        for i in 0..x.len() - 1 {
            e += self.bond(x[i], x[i + 1]);
        }
        e
    }

    /// Not differentiated: no float result.
    fn len_of(&self, x: &[f64]) -> usize {
        x.len()
    }
}

#[differentiable]
impl Energy for Chain {
    fn energy(&self, x: &[f64]) -> f64 {
        self.total(x) + x[0] * x[0]
    }
}

/// A generic model over `T: Real`.
pub struct Quadratic<T> {
    pub a: T,
}

#[differentiable]
impl<T: Real> Quadratic<T> {
    fn value(&self, x: T) -> T {
        self.a * x * x
    }
}

#[test]
fn methods_of_impl_blocks_differentiate() {
    let chain = Chain { k: 2.0, rest: 1.0 };
    let x = [0.0, 1.2, 2.9, 3.5];
    assert_eq!(chain.len_of(&x), 4);
    common::check(
        "energy",
        |v| chain.energy(v),
        |v, s, g| chain.energy_vjp(v, s, g),
        |v, d| chain.energy_jvp(v, d),
        &x,
    );
    // closed form of ∂E/∂x: springs pull their ends together, plus 2·x0
    let (_, g) = chain.energy_grad(&x);
    let mut exact = vec![0.0; 4];
    for i in 0..3 {
        let d = x[i + 1] - x[i] - 1.0;
        exact[i] -= 2.0 * d;
        exact[i + 1] += 2.0 * d;
    }
    exact[0] += 2.0 * x[0];
    for (a, b) in g.iter().zip(&exact) {
        assert!((a - b).abs() < 1e-12, "{a} vs {b}");
    }
    let q = Quadratic { a: 3.0f64 };
    assert_eq!(q.value_grad(2.0), (12.0, 12.0));
    let q32 = Quadratic { a: 3.0f32 };
    assert_eq!(q32.value_jvp(2.0, 1.0), (12.0, 12.0));
}

/// Methods returning a vector or a tuple, called by a sibling with a float result, are
/// differentiated too (others with such results, called by no one, are left alone).
pub struct Arm {
    pub k: f64,
    pub w: Vec<f64>,
}

#[differentiable]
impl Arm {
    fn point(&self, a: f64) -> nalgebra::Vector2<f64> {
        nalgebra::Vector2::new(a, self.k * a)
    }
    fn pair(&self, a: f64) -> (f64, f64) {
        (a * a, self.k * a)
    }
    fn count(&self) -> usize {
        3
    }
    fn scaled(&self, s: f64) -> Vec<f64> {
        self.w.iter().map(|v| v * s).collect()
    }
    pub fn energy(&self, a: f64) -> f64 {
        let (p, q) = self.pair(a);
        self.point(a).norm_squared() + p * q + self.count() as f64
    }
}

#[test]
fn sibling_methods_with_vector_and_tuple_results() {
    let arm = Arm { k: 2.0, w: vec![1.0] };
    // a²(1 + k²) + k a³ + 3: at a = 1.5, k = 2 the value 21, the derivative 2a(1 + k²) + 3k a²
    assert_eq!(arm.energy_grad(1.5), (21.0, 28.5));
    assert_eq!(arm.scaled(2.0), vec![2.0]);
}

/// A layer whose weights are fields of `self` (inactive), zipped with the input.
pub struct Neuron {
    pub w: Vec<f64>,
    pub b: f64,
}

#[differentiable]
impl Neuron {
    fn forward(&self, x: &[f64]) -> f64 {
        let z = self.w.iter().zip(x).map(|(a, b)| a * b).sum::<f64>() + self.b;
        z.tanh()
    }
    fn weighted(&self, x: &[f64]) -> f64 {
        let mut s = 0.0;
        for (wi, xi) in self.w.iter().zip(x.iter()) {
            s += wi * xi.sin();
        }
        s
    }
}

#[test]
fn fields_of_self_zipped_with_the_input() {
    let n = Neuron { w: vec![0.5, -1.0, 2.0], b: 0.1 };
    let x = [0.3, 0.2, -0.4];
    let (value, g) = n.forward_grad(&x);
    let z: f64 = 0.15 - 0.2 - 0.8 + 0.1;
    assert!((value - z.tanh()).abs() < 1e-15);
    for (gi, wi) in g.iter().zip(&n.w) {
        let exact = (1.0 - z.tanh().powi(2)) * wi;
        assert!((gi - exact).abs() < 1e-12, "{gi} vs {exact}");
    }
    common::check(
        "weighted",
        |v| n.weighted(v),
        |v, s, g| n.weighted_vjp(v, s, g),
        |v, d| n.weighted_jvp(v, d),
        &x,
    );
}

/// A layer of tensors: methods with tensor results, `self` inactive (its weights fixed: the
/// gradient is the input's, a saliency map).
pub struct Layer {
    pub w: Tensor,
    pub b: Tensor,
}

#[differentiable]
impl Layer {
    pub fn forward(&self, x: &Tensor) -> Tensor {
        (&x.matmul(&self.w) + &self.b).tanh()
    }

    pub fn score(&self, x: &Tensor) -> Tensor {
        self.forward(x).sum()
    }
}

#[test]
fn methods_with_tensor_results() {
    let layer = Layer {
        w: Tensor::from_vec(vec![0.5f64, -0.2, 0.1, 0.3], &[2, 2]),
        b: Tensor::from_vec(vec![0.1f64, -0.1], &[2]),
    };
    let x = [0.3f64, -0.6];
    let (_, g) = layer.score_grad(&Tensor::from_vec(x.to_vec(), &[1, 2]));
    let f = |p: &[f64]| layer.score(&Tensor::from_vec(p.to_vec(), &[1, 2])).item::<f64>();
    for (i, gi) in g.to_vec::<f64>().iter().enumerate() {
        let fd = common::central_difference(
            |t| {
                let mut p = x.to_vec();
                p[i] = t;
                f(&p)
            },
            x[i],
        );
        assert!((gi - fd).abs() < 1e-8, "{gi} vs {fd}");
    }
}

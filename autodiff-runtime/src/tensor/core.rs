//! The tensor type: shape, element type, storage, creation and reading back.

use crate::error::OrPanic;
use crate::{Device, Error, Real};
use std::sync::Arc;

/// The element type of a tensor, carried at run time like PyTorch's dtype.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DType {
    /// `f32`, the default.
    F32,
    /// `f64`.
    F64,
}

/// The contiguous, row-major data of a tensor.
#[derive(Clone, Debug, PartialEq)]
#[doc(hidden)]
pub enum Storage {
    /// `f32` values.
    F32(Vec<f32>),
    /// `f64` values.
    F64(Vec<f64>),
    /// Values on a GPU.
    #[cfg(feature = "cuda")]
    Cuda(crate::cuda::CudaStorage),
}

/// An element type of tensors: `f32` or `f64`.
///
/// ```
/// use autodiff_runtime::{DType, Element};
/// assert_eq!(<f64 as Element>::DTYPE, DType::F64);
/// ```
pub trait Element: Real {
    /// The dtype of tensors of this element.
    const DTYPE: DType;
    #[doc(hidden)]
    fn store(data: Vec<Self>) -> Storage;
    #[doc(hidden)]
    fn slice(storage: &Storage) -> Option<&[Self]>;
}

impl Element for f32 {
    const DTYPE: DType = DType::F32;
    fn store(data: Vec<Self>) -> Storage {
        Storage::F32(data)
    }
    fn slice(storage: &Storage) -> Option<&[Self]> {
        match storage {
            Storage::F32(v) => Some(v),
            _ => None,
        }
    }
}

impl Element for f64 {
    const DTYPE: DType = DType::F64;
    fn store(data: Vec<Self>) -> Storage {
        Storage::F64(data)
    }
    fn slice(storage: &Storage) -> Option<&[Self]> {
        match storage {
            Storage::F64(v) => Some(v),
            _ => None,
        }
    }
}

/// An n-dimensional array of `f32` or `f64` on a device: a cheap handle (cloning shares the
/// data).
///
/// ```
/// use autodiff_runtime::Tensor;
/// let a = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[2, 2]);
/// let b = &a * 2.0 + 1.0;
/// assert_eq!(b.to_vec::<f32>(), [3.0, 5.0, 7.0, 9.0]);
/// assert_eq!(b.sum().item::<f32>(), 24.0);
/// ```
#[derive(Clone, Debug)]
pub struct Tensor {
    pub(crate) shape: super::shape::Shape,
    pub(crate) data: Arc<Storage>,
    /// Marks a [`Tensor::discard`] adjoint buffer; every other tensor has `false`.
    pub(crate) discard: bool,
}

/// Equal shapes and equal elements (and dtypes).
impl PartialEq for Tensor {
    fn eq(&self, other: &Tensor) -> bool {
        self.shape == other.shape && self.data == other.data
    }
}

impl Tensor {
    /// A tensor of `shape` holding `data` in row-major order.
    ///
    /// # Panics
    ///
    /// If `data` does not have the shape's number of elements; [`Tensor::try_from_vec`] returns
    /// the error instead.
    ///
    /// ```
    /// let t = autodiff_runtime::Tensor::from_vec(vec![1.0f64, 2.0, 3.0], &[3]);
    /// assert_eq!(t.shape(), &[3]);
    /// ```
    #[track_caller]
    pub fn from_vec<E: Element>(data: Vec<E>, shape: &[usize]) -> Tensor {
        Tensor::try_from_vec(data, shape).or_panic_in("Tensor::from_vec")
    }

    /// [`Tensor::from_vec`], returning an error when `data` does not fill `shape`.
    ///
    /// ```
    /// assert!(autodiff_runtime::Tensor::try_from_vec(vec![1.0f32; 5], &[2, 3]).is_err());
    /// ```
    pub fn try_from_vec<E: Element>(data: Vec<E>, shape: &[usize]) -> Result<Tensor, Error> {
        if data.len() != shape.iter().product::<usize>() {
            return Err(Error::DataLength { len: data.len(), shape: shape.to_vec() });
        }
        Ok(Tensor::from_parts(E::store(data), shape))
    }

    pub(crate) fn from_parts(storage: Storage, shape: impl Into<super::shape::Shape>) -> Tensor {
        Tensor { shape: shape.into(), data: Arc::new(storage), discard: false }
    }

    /// A tensor of `shape` filled with `value` (its type gives the dtype).
    ///
    /// ```
    /// let t = autodiff_runtime::Tensor::full(&[2], 1.5f32);
    /// assert_eq!(t.to_vec::<f32>(), [1.5, 1.5]);
    /// ```
    pub fn full<E: Element>(shape: &[usize], value: E) -> Tensor {
        Tensor::from_vec(vec![value; shape.iter().product()], shape)
    }

    /// Zeros of `shape`, `f32`.
    ///
    /// ```
    /// assert_eq!(autodiff_runtime::Tensor::zeros(&[2, 3]).sum().item::<f32>(), 0.0);
    /// ```
    pub fn zeros(shape: &[usize]) -> Tensor {
        Tensor::full(shape, 0.0f32)
    }

    /// `value` in every element of `shape`, with `self`'s dtype and on `self`'s device (what
    /// the rules build their zeros and ones from, so that they stay on the GPU).
    ///
    /// # Panics
    ///
    /// If the GPU has no memory left for it.
    #[track_caller]
    pub(crate) fn full_like(&self, shape: &[usize], value: f64) -> Tensor {
        #[cfg(feature = "cuda")]
        if let Storage::Cuda(s) = &*self.data {
            let n = shape.iter().product();
            let data = crate::cuda::CudaStorage::full(&s.gpu, n, s.dtype(), value).or_panic();
            return Tensor::from_parts(Storage::Cuda(data), shape.to_vec());
        }
        match self.dtype() {
            DType::F32 => Tensor::full(shape, value as f32),
            DType::F64 => Tensor::full(shape, value),
        }
    }

    /// Ones of `shape`, `f32`.
    ///
    /// ```
    /// assert_eq!(autodiff_runtime::Tensor::ones(&[2, 3]).sum().item::<f32>(), 6.0);
    /// ```
    pub fn ones(shape: &[usize]) -> Tensor {
        Tensor::full(shape, 1.0f32)
    }

    /// Zeros shaped like `self`, of its dtype and on its device (PyTorch's `zeros_like`; for
    /// an `f64` tensor of a given shape, `Tensor::full(shape, 0.0f64)`).
    ///
    /// # Panics
    ///
    /// If the GPU has no memory left for it.
    ///
    /// ```
    /// use autodiff_runtime::{DType, Tensor};
    /// let x = Tensor::full(&[2], 3.0f64);
    /// assert_eq!((x.zeros_like().dtype(), x.zeros_like().to_vec::<f64>()), (DType::F64, vec![0.0, 0.0]));
    /// ```
    #[track_caller]
    pub fn zeros_like(&self) -> Tensor {
        self.full_like(&self.shape, 0.0)
    }

    /// Ones shaped like `self`, of its dtype and on its device (PyTorch's `ones_like`).
    ///
    /// # Panics
    ///
    /// If the GPU has no memory left for it.
    ///
    /// ```
    /// let x = autodiff_runtime::Tensor::full(&[2], 3.0f64);
    /// assert_eq!(x.ones_like().to_vec::<f64>(), [1.0, 1.0]);
    /// ```
    #[track_caller]
    pub fn ones_like(&self) -> Tensor {
        self.full_like(&self.shape, 1.0)
    }

    /// The `n × n` identity, `f32`.
    ///
    /// ```
    /// let i = autodiff_runtime::Tensor::eye(2);
    /// assert_eq!(i.to_vec::<f32>(), [1.0, 0.0, 0.0, 1.0]);
    /// ```
    pub fn eye(n: usize) -> Tensor {
        let data = (0..n * n).map(|k| if k / n == k % n { 1.0f32 } else { 0.0 }).collect();
        Tensor::from_vec(data, &[n, n])
    }

    /// `start, start + step, ...` below `end`, `f32` (PyTorch's `arange`).
    ///
    /// ```
    /// let t = autodiff_runtime::Tensor::arange(0.0, 3.0, 1.0);
    /// assert_eq!(t.to_vec::<f32>(), [0.0, 1.0, 2.0]);
    /// ```
    pub fn arange(start: f64, end: f64, step: f64) -> Tensor {
        let n = if step == 0.0 { 0 } else { ((end - start) / step).ceil().max(0.0) as usize };
        let data: Vec<f32> = (0..n).map(|i| (start + step * i as f64) as f32).collect();
        Tensor::from_vec(data, &[n])
    }

    /// `n` values evenly spaced from `a` to `b` inclusive, `f32`.
    ///
    /// ```
    /// let t = autodiff_runtime::Tensor::linspace(0.0, 1.0, 3);
    /// assert_eq!(t.to_vec::<f32>(), [0.0, 0.5, 1.0]);
    /// ```
    pub fn linspace(a: f64, b: f64, n: usize) -> Tensor {
        let step = if n > 1 { (b - a) / (n - 1) as f64 } else { 0.0 };
        let data: Vec<f32> = (0..n).map(|i| (a + step * i as f64) as f32).collect();
        Tensor::from_vec(data, &[n])
    }

    /// Uniform samples in `[0, 1)` of `shape`, `f32`, reproducible from `seed`.
    ///
    /// ```
    /// let t = autodiff_runtime::Tensor::rand(&[1000], 7);
    /// assert!(t.to_vec::<f32>().iter().all(|v| (0.0..1.0).contains(v)));
    /// assert_eq!(t, autodiff_runtime::Tensor::rand(&[1000], 7));
    /// ```
    pub fn rand(shape: &[usize], seed: u64) -> Tensor {
        let mut rng = Rng::new(seed);
        let data: Vec<f32> = (0..shape.iter().product()).map(|_| rng.uniform() as f32).collect();
        Tensor::from_vec(data, shape)
    }

    /// Standard normal samples of `shape`, `f32`, reproducible from `seed`.
    ///
    /// ```
    /// let t = autodiff_runtime::Tensor::randn(&[10_000], 1);
    /// let mean = t.mean().item::<f32>();
    /// assert!(mean.abs() < 0.05);
    /// ```
    pub fn randn(shape: &[usize], seed: u64) -> Tensor {
        let mut rng = Rng::new(seed);
        let data: Vec<f32> = (0..shape.iter().product()).map(|_| rng.normal() as f32).collect();
        Tensor::from_vec(data, shape)
    }

    /// A zero-dimensional tensor holding `value`.
    ///
    /// ```
    /// let t = autodiff_runtime::Tensor::scalar(2.5f64);
    /// assert_eq!((t.shape().len(), t.item::<f64>()), (0, 2.5));
    /// ```
    pub fn scalar<E: Element>(value: E) -> Tensor {
        Tensor::from_vec(vec![value], &[])
    }

    /// The shape.
    ///
    /// ```
    /// assert_eq!(autodiff_runtime::Tensor::zeros(&[2, 3]).shape(), &[2, 3]);
    /// ```
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// The number of elements.
    ///
    /// ```
    /// assert_eq!(autodiff_runtime::Tensor::zeros(&[2, 3]).numel(), 6);
    /// ```
    pub fn numel(&self) -> usize {
        self.shape.iter().product()
    }

    /// The element type.
    ///
    /// ```
    /// use autodiff_runtime::{DType, Tensor};
    /// assert_eq!(Tensor::zeros(&[1]).dtype(), DType::F32);
    /// ```
    pub fn dtype(&self) -> DType {
        match &*self.data {
            Storage::F32(_) => DType::F32,
            Storage::F64(_) => DType::F64,
            #[cfg(feature = "cuda")]
            Storage::Cuda(s) => s.dtype(),
        }
    }

    /// The device holding the data.
    ///
    /// ```
    /// use autodiff_runtime::{Device, Tensor};
    /// assert_eq!(Tensor::zeros(&[1]).device(), Device::Cpu);
    /// ```
    pub fn device(&self) -> Device {
        match &*self.data {
            #[cfg(feature = "cuda")]
            Storage::Cuda(s) => s.device(),
            _ => Device::Cpu,
        }
    }

    /// A copy on `device` (the same tensor if it is there already). An error, never a panic,
    /// when the device cannot be used: a build without the `cuda` feature, a machine without
    /// the CUDA driver or without that GPU, or a device out of memory.
    ///
    /// ```
    /// use autodiff_runtime::{Device, Tensor};
    /// let t = Tensor::ones(&[2]);
    /// assert_eq!(t.to_device(&Device::Cpu).unwrap(), t);
    /// // the first GPU when there is one, else the CPU
    /// let device = Device::cuda_if_available(0);
    /// let back = t.to_device(&device).unwrap().to_device(&Device::Cpu).unwrap();
    /// assert_eq!(back, t);
    /// assert!(t.to_device(&Device::Cuda(99)).is_err());
    /// ```
    pub fn to_device(&self, device: &Device) -> Result<Tensor, Error> {
        if self.device() == *device {
            return Ok(self.clone());
        }
        #[cfg(not(feature = "cuda"))]
        return Err(device.unavailable());
        #[cfg(feature = "cuda")]
        {
            let storage = match device {
                Device::Cpu => self.host_storage()?,
                Device::Cuda(i) => Storage::Cuda(crate::cuda::CudaStorage::upload(
                    crate::cuda::Gpu::get(*i)?,
                    &self.data,
                )?),
            };
            Ok(Tensor::from_parts(storage, self.shape.clone()))
        }
    }

    /// The data on the host: a copy of GPU data, a clone of CPU data.
    #[cfg(feature = "cuda")]
    fn host_storage(&self) -> Result<Storage, Error> {
        match &*self.data {
            Storage::Cuda(s) => s.download(),
            other => Ok(other.clone()),
        }
    }

    /// The same values as `dtype`.
    ///
    /// ```
    /// use autodiff_runtime::{DType, Tensor};
    /// assert_eq!(Tensor::ones(&[2]).to_dtype(DType::F64).to_vec::<f64>(), [1.0, 1.0]);
    /// ```
    pub fn to_dtype(&self, dtype: DType) -> Tensor {
        if dtype == self.dtype() {
            return self.clone();
        }
        #[cfg(feature = "cuda")]
        if let Storage::Cuda(s) = &*self.data {
            let cast = s.cast(dtype).or_panic();
            return Tensor::from_parts(Storage::Cuda(cast), self.shape.clone());
        }
        let storage = match dtype {
            DType::F32 => Storage::F32(self.to_vec()),
            DType::F64 => Storage::F64(self.to_vec()),
        };
        Tensor::from_parts(storage, self.shape.clone())
    }

    /// The values in row-major order, converted to `E` (copied from the device for a GPU
    /// tensor). Tensors carry no graph, so this always works on the CPU.
    ///
    /// # Panics
    ///
    /// If the copy from a GPU fails (the device was lost); [`Tensor::try_to_vec`] returns the
    /// error.
    ///
    /// ```
    /// let t = autodiff_runtime::Tensor::from_vec(vec![1.5f32, 2.5], &[2]);
    /// assert_eq!(t.to_vec::<f64>(), [1.5, 2.5]);
    /// ```
    #[track_caller]
    pub fn to_vec<E: Element>(&self) -> Vec<E> {
        self.try_to_vec().or_panic_in("Tensor::to_vec")
    }

    /// [`Tensor::to_vec`], returning an error when the copy from a GPU fails.
    ///
    /// ```
    /// let t = autodiff_runtime::Tensor::ones(&[2]);
    /// assert_eq!(t.try_to_vec::<f32>().unwrap(), [1.0, 1.0]);
    /// ```
    pub fn try_to_vec<E: Element>(&self) -> Result<Vec<E>, Error> {
        fn convert<E: Element>(storage: &Storage) -> Vec<E> {
            match storage {
                Storage::F32(v) => v.iter().map(|x| E::from_f64(f64::from(*x))).collect(),
                Storage::F64(v) => v.iter().map(|x| E::from_f64(*x)).collect(),
                #[cfg(feature = "cuda")]
                Storage::Cuda(_) => Vec::new(),
            }
        }
        match &*self.data {
            #[cfg(feature = "cuda")]
            Storage::Cuda(s) => Ok(convert(&s.download()?)),
            other => Ok(convert(other)),
        }
    }

    /// The value of a one-element tensor.
    ///
    /// # Panics
    ///
    /// If the tensor has more or fewer than one element; [`Tensor::try_item`] returns the error.
    ///
    /// ```
    /// assert_eq!(autodiff_runtime::Tensor::ones(&[1, 1]).item::<f32>(), 1.0);
    /// ```
    #[track_caller]
    pub fn item<E: Element>(&self) -> E {
        self.try_item().or_panic_in("Tensor::item")
    }

    /// [`Tensor::item`], returning an error for a tensor without exactly one element.
    ///
    /// ```
    /// assert!(autodiff_runtime::Tensor::ones(&[2]).try_item::<f32>().is_err());
    /// ```
    pub fn try_item<E: Element>(&self) -> Result<E, Error> {
        if self.numel() != 1 {
            return Err(Error::NotScalar { shape: self.shape.to_vec() });
        }
        Ok(self.try_to_vec::<E>()?[0])
    }

    /// The data as a slice of `E` when that is the dtype.
    pub(crate) fn slice<E: Element>(&self) -> Option<&[E]> {
        E::slice(&self.data)
    }
}

/// xorshift64* with Box-Muller normals: reproducible samples without a dependency.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn uniform(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn normal(&mut self) -> f64 {
        let u1 = self.uniform().max(1e-300);
        let u2 = self.uniform();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }
}

impl Tensor {
    /// An adjoint buffer for an argument whose gradient nobody wants (an inactive tensor passed
    /// to a differentiable function): zeros shaped like `like`, so a hand-written `_vjp` may add
    /// into it as into any buffer, marked so that generated code skips the work.
    pub(crate) fn discard(like: &Tensor) -> Tensor {
        Tensor { discard: true, ..like.full_like(&like.shape, 0.0) }
    }

    /// Whether this is a [`Tensor::discard`] buffer.
    pub(crate) fn is_discard(&self) -> bool {
        self.discard
    }
}

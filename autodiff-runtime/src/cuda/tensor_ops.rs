//! Tensor operations on GPUs: what the tensor layer calls when an operand is on a GPU. Each
//! finds the device the operands share (or says that they are on two), makes their dtypes agree
//! as the CPU does (`f64` if either is), and runs the kernels of [`super::kernels`].

use super::{CudaStorage, Gpu};
use crate::tensor::{Binary, DType, Reduce, Storage};
use crate::{Device, Error, Tensor};
use std::sync::Arc;

impl Tensor {
    /// Whether the data is on a GPU.
    pub(crate) fn is_cuda(&self) -> bool {
        matches!(&*self.data, Storage::Cuda(_))
    }

    fn cuda_storage(&self) -> Option<&CudaStorage> {
        match &*self.data {
            Storage::Cuda(s) => Some(s),
            _ => None,
        }
    }
}

/// `t`'s GPU storage, or the internal error of a caller that did not move `t` first.
fn storage_of(t: &Tensor) -> Result<&CudaStorage, Error> {
    t.cuda_storage().ok_or_else(|| Error::Cuda {
        device: t.device(),
        op: "tensor operation",
        message: "internal error: a CPU tensor reached a GPU kernel".into(),
    })
}

/// `a` and `b` on one GPU: a one-element CPU tensor beside a GPU tensor is copied over (the
/// seeds and scalars the rules make), as PyTorch does with zero-dimensional CPU tensors; any
/// other pair of devices is an error that names both.
fn together(op: &'static str, a: &Tensor, b: &Tensor) -> Result<(Tensor, Tensor), Error> {
    let (da, db) = (a.device(), b.device());
    match (da, db) {
        _ if da == db => Ok((a.clone(), b.clone())),
        (Device::Cpu, Device::Cuda(_)) if a.numel() == 1 => Ok((a.to_device(&db)?, b.clone())),
        (Device::Cuda(_), Device::Cpu) if b.numel() == 1 => Ok((a.clone(), b.to_device(&da)?)),
        _ => Err(Error::DeviceMismatch { op, lhs: da, rhs: db }),
    }
}

/// `t` as `dtype` (on its GPU).
fn cast(t: Tensor, dtype: DType) -> Result<Tensor, Error> {
    if t.dtype() == dtype {
        return Ok(t);
    }
    let data = storage_of(&t)?.cast(dtype)?;
    Ok(Tensor::from_parts(Storage::Cuda(data), t.shape.clone()))
}

/// `a` and `b` on one GPU and in one dtype (`f64` if either is).
fn agree(op: &'static str, a: &Tensor, b: &Tensor) -> Result<(Tensor, Tensor), Error> {
    let (a, b) = together(op, a, b)?;
    let dtype =
        if a.dtype() == DType::F64 || b.dtype() == DType::F64 { DType::F64 } else { DType::F32 };
    Ok((cast(a, dtype)?, cast(b, dtype)?))
}

fn wrap(data: CudaStorage, shape: impl Into<crate::tensor::Shape>) -> Tensor {
    Tensor::from_parts(Storage::Cuda(data), shape)
}

/// `a op b` with broadcasting to `shape`.
pub(crate) fn binary(
    a: &Tensor,
    b: &Tensor,
    op: Binary,
    shape: impl Into<crate::tensor::Shape>,
) -> Result<Tensor, Error> {
    let shape: crate::tensor::Shape = shape.into();
    if let Some(result) = with_host_scalar(a, b, op, &shape)? {
        return Ok(result);
    }
    let (a, b) = agree(op.name(), a, b)?;
    let data = storage_of(&a)?.binary(&a.shape, storage_of(&b)?, &b.shape, &shape, op)?;
    Ok(wrap(data, shape))
}

/// `a op b` when one operand is a one-element CPU tensor (a scalar operand of a rule, a seed)
/// and the other a GPU tensor of the result's shape: one scalar kernel, with the value as its
/// parameter, instead of copying the value to the device. `None` when that does not apply.
fn with_host_scalar(
    a: &Tensor,
    b: &Tensor,
    op: Binary,
    shape: &[usize],
) -> Result<Option<Tensor>, Error> {
    let scalar_first = match (a.is_cuda(), b.is_cuda()) {
        (true, false) if b.numel() == 1 && a.shape == shape => false,
        (false, true) if a.numel() == 1 && b.shape == shape => true,
        _ => return Ok(None),
    };
    let (t, s) = if scalar_first { (b, a) } else { (a, b) };
    let value = s.try_to_vec::<f64>()?[0];
    let Some(named) = op.with_scalar(value, scalar_first) else {
        return Ok(None);
    };
    // the CPU's dtype rule: f64 if either operand is
    let dtype = if s.dtype() == DType::F64 { DType::F64 } else { t.dtype() };
    let t = cast(t.clone(), dtype)?;
    Ok(Some(wrap(storage_of(&t)?.unary(named)?, t.shape.clone())))
}

/// `t += other` when either is on a GPU (returns false when neither is): in place when the
/// buffer is not shared and the shapes, dtypes and devices agree, else `t = t + other`.
///
/// # Panics
///
/// If the devices cannot be combined or the GPU fails, with the error's message.
#[track_caller]
pub(crate) fn add_in_place(t: &mut Tensor, other: &Tensor) -> bool {
    if !t.is_cuda() && !other.is_cuda() {
        return false;
    }
    let result = (|| -> Result<(), Error> {
        let other = other.to_device_of(t);
        if other.device() != t.device() {
            // a GPU contribution to a CPU buffer: move one of them, explicitly
            return Err(Error::DeviceMismatch {
                op: "gradient accumulation",
                lhs: t.device(),
                rhs: other.device(),
            });
        }
        if t.shape == other.shape && t.dtype() == other.dtype() {
            unique(t)?.accumulate(storage_of(&other)?)
        } else {
            let dtype = t.dtype();
            *t = cast(t.try_add(&other)?, dtype)?;
            Ok(())
        }
    })();
    ran(result)
}

/// `true`: the GPU path of an in-place update ran; its error, if any, panics (as each caller's
/// documentation says).
#[track_caller]
fn ran(result: Result<(), Error>) -> bool {
    if let Err(e) = result {
        panic!("{e}");
    }
    true
}

/// The GPU storage of `t`, made its own (copied if shared) so it can change in place.
fn unique(t: &mut Tensor) -> Result<&mut CudaStorage, Error> {
    if Arc::get_mut(&mut t.data).is_none() {
        let copy = storage_of(t)?.try_clone()?;
        t.data = Arc::new(Storage::Cuda(copy));
    }
    let device = t.device();
    match Arc::get_mut(&mut t.data) {
        Some(Storage::Cuda(s)) => Ok(s),
        _ => Err(Error::Cuda {
            device,
            op: "in-place update",
            message: "internal error: the buffer is shared or not on a GPU".into(),
        }),
    }
}

/// Reduces the middle dimension of `t` seen as `outer × n × inner`; the result has `shape`.
pub(crate) fn reduce(
    t: &Tensor,
    outer: usize,
    n: usize,
    inner: usize,
    op: Reduce,
    shape: impl Into<crate::tensor::Shape>,
) -> Result<Tensor, Error> {
    Ok(wrap(storage_of(t)?.reduce(outer, n, inner, op)?, shape))
}

/// The shapes of a (batched) matrix product: `batches` products of `op(a)` (`m × k`) and
/// `op(b)` (`k × n`), `op` transposing where `transpose` says; `b` shared by the batches
/// unless `b_batched`.
pub(crate) struct Gemm {
    pub(crate) batches: usize,
    pub(crate) b_batched: bool,
    pub(crate) mkn: (usize, usize, usize),
    pub(crate) transpose: (bool, bool),
}

/// The matrix product through cuBLAS; the result has `shape`.
pub(crate) fn matmul(
    a: &Tensor,
    b: &Tensor,
    g: Gemm,
    shape: impl Into<crate::tensor::Shape>,
) -> Result<Tensor, Error> {
    let (a, b) = agree("matmul", a, b)?;
    let (ta, tb) = g.transpose;
    let data = storage_of(&a)?.gemm(storage_of(&b)?, g.batches, g.b_batched, g.mkn, ta, tb)?;
    Ok(wrap(data, shape))
}

/// The last two dimensions of `batches × m × n` swapped; the result has `shape`.
pub(crate) fn transpose(
    t: &Tensor,
    batches: usize,
    m: usize,
    n: usize,
    shape: impl Into<crate::tensor::Shape>,
) -> Result<Tensor, Error> {
    Ok(wrap(storage_of(t)?.transpose(batches, m, n)?, shape))
}

/// Elements `start..start + len` of the middle dimension of `outer × size × inner`.
pub(crate) fn narrow(
    t: &Tensor,
    (outer, size, inner): (usize, usize, usize),
    start: usize,
    len: usize,
    shape: impl Into<crate::tensor::Shape>,
) -> Result<Tensor, Error> {
    let src = storage_of(t)?;
    // every element of the result is copied below
    let mut out = CudaStorage::uninit(&src.gpu, outer * len * inner, src.dtype())?;
    src.copy_blocks(&mut out, outer, len * inner, (size * inner, start * inner), (len * inner, 0))?;
    Ok(wrap(out, shape))
}

/// The parts joined along a dimension: part `p` brings `sizes[p] * inner` elements to each of
/// the `outer` blocks of the result, which has `shape`.
pub(crate) fn cat(
    parts: &[Tensor],
    sizes: &[usize],
    outer: usize,
    inner: usize,
    shape: impl Into<crate::tensor::Shape>,
) -> Result<Tensor, Error> {
    let Some(first) = parts.iter().find(|p| p.is_cuda()) else {
        return Err(Error::Cuda {
            device: Device::Cpu,
            op: "cat",
            message: "internal error: no part is on a GPU".into(),
        });
    };
    let dtype = if parts.iter().any(|p| p.dtype() == DType::F64) { DType::F64 } else { DType::F32 };
    let gpu: Arc<Gpu> = storage_of(first)?.gpu.clone();
    let total: usize = sizes.iter().sum();
    // the parts cover the result
    let mut out = CudaStorage::uninit(&gpu, outer * total * inner, dtype)?;
    let mut offset = 0;
    for (p, &size) in parts.iter().zip(sizes) {
        if p.device() != first.device() {
            return Err(Error::DeviceMismatch { op: "cat", lhs: first.device(), rhs: p.device() });
        }
        let p = cast(p.clone(), dtype)?;
        let block = size * inner;
        storage_of(&p)?.copy_blocks(&mut out, outer, block, (block, 0), (total * inner, offset))?;
        offset += block;
    }
    Ok(wrap(out, shape))
}

/// `x` fitted to the parameter `p`: on its device, in its dtype, broadcast to its shape.
fn fitted(p: &Tensor, x: &Tensor) -> Result<Tensor, Error> {
    let x = x.to_device_of(p);
    if x.device() != p.device() {
        return Err(Error::DeviceMismatch {
            op: "optimiser update",
            lhs: p.device(),
            rhs: x.device(),
        });
    }
    let x = x.try_broadcast_to(&p.shape).map_err(|_| Error::ShapeMismatch {
        op: "optimiser update (a gradient that does not fit its parameter)",
        lhs: p.shape.to_vec(),
        rhs: x.shape.to_vec(),
    })?;
    cast(x, p.dtype())
}

/// An optimiser's in-place update of a GPU parameter (returns false for a CPU one):
/// `p += alpha * x` (`op` 0), `p += alpha * x²` (1).
///
/// # Panics
///
/// If `x` does not fit `p` or the GPU fails, with the error's message.
#[track_caller]
pub(crate) fn update(p: &mut Tensor, op: i32, alpha: f64, x: &Tensor) -> bool {
    if !p.is_cuda() {
        return false;
    }
    let result = fitted(p, x).and_then(|x| unique(p)?.update(op, alpha, storage_of(&x)?));
    ran(result)
}

/// Adam's final step on a GPU parameter (returns false for a CPU one).
///
/// # Panics
///
/// If the moments do not fit `p` or the GPU fails.
#[track_caller]
pub(crate) fn adam_step(
    p: &mut Tensor,
    (m, v): (&Tensor, &Tensor),
    step: f64,
    bias2: f64,
    eps: f64,
) -> bool {
    if !p.is_cuda() {
        return false;
    }
    let result = (|| {
        let (m, v) = (fitted(p, m)?, fitted(p, v)?);
        unique(p)?.adam_step(storage_of(&m)?, storage_of(&v)?, step, bias2, eps)
    })();
    ran(result)
}

/// One fused Adam update of a GPU parameter, its moments and gradient (returns false for a
/// CPU parameter).
///
/// # Panics
///
/// If the gradient does not fit `p` or the GPU fails.
#[track_caller]
pub(crate) fn adam(
    p: &mut Tensor,
    (m, v): (&mut Tensor, &mut Tensor),
    grad: &Tensor,
    betas: (f64, f64),
    (step, bias2, eps): (f64, f64, f64),
) -> bool {
    if !p.is_cuda() {
        return false;
    }
    let result = (|| {
        let g = fitted(p, grad)?;
        for moment in [&mut *m, &mut *v] {
            if moment.device() != p.device() {
                *moment = moment.to_device(&p.device())?;
            }
        }
        let (m, v) = (unique(m)?, unique(v)?);
        unique(p)?.adam(m, v, storage_of(&g)?, betas, step, bias2, eps)
    })();
    ran(result)
}

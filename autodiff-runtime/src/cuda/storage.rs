//! [`CudaStorage`]: a tensor's data in GPU memory (`f32` or `f64`), with the copies between host
//! and device and between dtypes.

use super::context::Gpu;
use crate::error::OrPanic;
use crate::tensor::{DType, Element, Storage};
use crate::{Device, Error};
use cudarc::driver::{CudaSlice, DeviceRepr, ValidAsZeroBits};
use std::sync::Arc;

/// The device buffer, by element type.
pub(crate) enum Buf {
    F32(CudaSlice<f32>),
    F64(CudaSlice<f64>),
}

/// A tensor's contiguous, row-major data on one GPU (public only because the hidden
/// `Storage` is; nothing outside the crate can reach it).
#[doc(hidden)]
pub struct CudaStorage {
    pub(crate) gpu: Arc<Gpu>,
    pub(crate) buf: Buf,
}

/// The element types our kernels are compiled for: each kernel `NAME` exists as `NAME_f32`
/// and `NAME_f64`.
pub(crate) trait GpuElement: Element + DeviceRepr + ValidAsZeroBits {
    /// `"f32"` or `"f64"`.
    const SUFFIX: &'static str;
    fn wrap(slice: CudaSlice<Self>) -> Buf;
    fn unwrap(buf: &Buf) -> Option<&CudaSlice<Self>>;
    fn unwrap_mut(buf: &mut Buf) -> Option<&mut CudaSlice<Self>>;
}

macro_rules! gpu_element {
    ($t:ty, $variant:ident, $suffix:literal) => {
        impl GpuElement for $t {
            const SUFFIX: &'static str = $suffix;
            fn wrap(slice: CudaSlice<Self>) -> Buf {
                Buf::$variant(slice)
            }
            fn unwrap(buf: &Buf) -> Option<&CudaSlice<Self>> {
                match buf {
                    Buf::$variant(s) => Some(s),
                    _ => None,
                }
            }
            fn unwrap_mut(buf: &mut Buf) -> Option<&mut CudaSlice<Self>> {
                match buf {
                    Buf::$variant(s) => Some(s),
                    _ => None,
                }
            }
        }
    };
}
gpu_element!(f32, F32, "f32");
gpu_element!(f64, F64, "f64");

/// Runs `$body` with `$x` bound to the buffer's slice and `$t` to its element type.
macro_rules! with_buf {
    ($buf:expr, |$x:ident: $t:ident| $body:expr) => {
        match $buf {
            $crate::cuda::storage::Buf::F32($x) => {
                #[allow(dead_code)]
                type $t = f32;
                $body
            }
            $crate::cuda::storage::Buf::F64($x) => {
                #[allow(dead_code)]
                type $t = f64;
                $body
            }
        }
    };
}
pub(crate) use with_buf;

impl CudaStorage {
    pub(crate) fn new<E: GpuElement>(gpu: Arc<Gpu>, slice: CudaSlice<E>) -> CudaStorage {
        CudaStorage { gpu, buf: E::wrap(slice) }
    }

    /// Host data copied to `gpu`.
    pub(crate) fn upload(gpu: Arc<Gpu>, host: &Storage) -> Result<CudaStorage, Error> {
        let buf = match host {
            Storage::F32(v) => {
                Buf::F32(gpu.stream.clone_htod(v).map_err(|e| gpu.error("copy to the device", e))?)
            }
            Storage::F64(v) => {
                Buf::F64(gpu.stream.clone_htod(v).map_err(|e| gpu.error("copy to the device", e))?)
            }
            Storage::Cuda(s) => return s.copy_to(gpu),
        };
        Ok(CudaStorage { gpu, buf })
    }

    /// A copy on another device (through the host).
    fn copy_to(&self, gpu: Arc<Gpu>) -> Result<CudaStorage, Error> {
        if Arc::ptr_eq(&self.gpu, &gpu) {
            return self.try_clone();
        }
        CudaStorage::upload(gpu, &self.download()?)
    }

    /// The data copied to the host.
    pub(crate) fn download(&self) -> Result<Storage, Error> {
        let stream = &self.gpu.stream;
        let fail = |e| self.gpu.error("copy to the host", e);
        Ok(match &self.buf {
            Buf::F32(s) => Storage::F32(stream.clone_dtoh(s).map_err(fail)?),
            Buf::F64(s) => Storage::F64(stream.clone_dtoh(s).map_err(fail)?),
        })
    }

    pub(crate) fn dtype(&self) -> DType {
        match self.buf {
            Buf::F32(_) => DType::F32,
            Buf::F64(_) => DType::F64,
        }
    }

    pub(crate) fn device(&self) -> Device {
        self.gpu.device()
    }

    pub(crate) fn len(&self) -> usize {
        with_buf!(&self.buf, |s: T| s.len())
    }

    /// A copy in new device memory.
    pub(crate) fn try_clone(&self) -> Result<CudaStorage, Error> {
        let stream = &self.gpu.stream;
        let buf = with_buf!(&self.buf, |s: T| T::wrap(
            stream.clone_dtod(s).map_err(|e| self.gpu.error("copy on the device", e))?
        ));
        Ok(CudaStorage { gpu: self.gpu.clone(), buf })
    }

    /// Uninitialised device memory for `n` elements of `dtype`, for operations that write every
    /// element (a copy of the parts of a `cat`, a `narrow`).
    pub(crate) fn uninit(gpu: &Arc<Gpu>, n: usize, dtype: DType) -> Result<CudaStorage, Error> {
        let buf = match dtype {
            DType::F32 => Buf::F32(CudaStorage::alloc::<f32>(gpu, n)?),
            DType::F64 => Buf::F64(CudaStorage::alloc::<f64>(gpu, n)?),
        };
        Ok(CudaStorage { gpu: gpu.clone(), buf })
    }

    /// Uninitialised device memory for `n` elements of `E` (every kernel that gets it writes
    /// all of it).
    pub(crate) fn alloc<E: GpuElement>(gpu: &Arc<Gpu>, n: usize) -> Result<CudaSlice<E>, Error> {
        let fail = |e| gpu.error("allocate device memory", e);
        if n == 0 {
            return gpu.stream.null().map_err(fail);
        }
        // SAFETY: the memory is uninitialised; callers write all `n` elements before it is
        // read (each kernel that receives it as its output covers every index).
        unsafe { gpu.stream.alloc::<E>(n) }.map_err(fail)
    }
}

/// Makes the device's context current before the buffer is freed: cudarc frees without doing so,
/// and a tensor may be dropped on a thread that never used the GPU.
impl Drop for CudaStorage {
    fn drop(&mut self) {
        let ctx = self.gpu.stream.context();
        // A first attempt returns (and clears) an error cudarc recorded earlier without binding.
        if ctx.bind_to_thread().is_err() {
            let _ = ctx.bind_to_thread();
        }
    }
}

/// A device copy, as `Clone` needs (`Arc::make_mut` on a shared tensor).
///
/// # Panics
///
/// If the device has no memory left for the copy: the tensor operations that can get here
/// (in-place accumulation into a shared buffer) document it.
impl Clone for CudaStorage {
    fn clone(&self) -> CudaStorage {
        self.try_clone().or_panic()
    }
}

impl std::fmt::Debug for CudaStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CudaStorage({}, {:?}, {} elements)", self.device(), self.dtype(), self.len())
    }
}

/// Equal when on the same device with equal elements (compared on the host).
impl PartialEq for CudaStorage {
    fn eq(&self, other: &CudaStorage) -> bool {
        self.device() == other.device()
            && matches!((self.download(), other.download()), (Ok(a), Ok(b)) if a == b)
    }
}

//! [`Gpu`]: one CUDA device opened for tensors: its context and stream, our kernels compiled by
//! NVRTC (once per device, on first use) and a cuBLAS handle. Opening a device probes for every
//! library first, so a machine without CUDA gets an [`Error`], never a panic from the loader.

use crate::{Device, Error};
use cudarc::cublas::CudaBlas;
use cudarc::driver::{CudaContext, CudaFunction, CudaStream};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

/// The kernel files (under `autodiff-runtime/kernels/`) and the functions each defines, every
/// one in an `_f32` and an `_f64` form.
pub(crate) const KERNELS: &[(&str, &str, &[&str])] = &[
    (
        "elementwise.cu",
        include_str!("../../kernels/elementwise.cu"),
        &["unary", "binary_same", "binary_strided", "accumulate", "fill"],
    ),
    ("reduce.cu", include_str!("../../kernels/reduce.cu"), &["reduce_rows", "reduce_strided"]),
    ("copy.cu", include_str!("../../kernels/copy.cu"), &["copy_blocks", "transpose"]),
    ("optim.cu", include_str!("../../kernels/optim.cu"), &["update", "adam", "adam_step"]),
];

/// Functions outside the per-dtype pattern.
const CASTS: &[&str] = &["cast_f32_f64", "cast_f64_f32"];

/// An opened CUDA device.
pub(crate) struct Gpu {
    pub(crate) ordinal: usize,
    pub(crate) stream: Arc<CudaStream>,
    pub(crate) blas: CudaBlas,
    functions: HashMap<String, CudaFunction>,
}

impl std::fmt::Debug for Gpu {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Gpu(cuda:{})", self.ordinal)
    }
}

/// Devices opened so far by ordinal, and the errors of those that could not be (asked once).
type Registry = Mutex<HashMap<usize, Result<Arc<Gpu>, Error>>>;

fn registry() -> &'static Registry {
    static GPUS: OnceLock<Registry> = OnceLock::new();
    GPUS.get_or_init(|| Mutex::new(HashMap::new()))
}

impl Gpu {
    /// The device `ordinal`, opened on first use.
    pub(crate) fn get(ordinal: usize) -> Result<Arc<Gpu>, Error> {
        let mut gpus = registry().lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        gpus.entry(ordinal).or_insert_with(|| Gpu::open(ordinal).map(Arc::new)).clone()
    }

    /// The loaded kernel `name`.
    pub(crate) fn function(&self, name: &str) -> Result<&CudaFunction, Error> {
        self.functions.get(name).ok_or_else(|| Error::Cuda {
            device: self.device(),
            op: "kernel lookup",
            message: format!("internal error: no kernel named {name}"),
        })
    }

    pub(crate) fn device(&self) -> Device {
        Device::Cuda(self.ordinal)
    }

    /// An [`Error::Cuda`] for a failed `op` on this device.
    pub(crate) fn error(&self, op: &'static str, e: impl std::fmt::Display) -> Error {
        Error::Cuda { device: self.device(), op, message: e.to_string() }
    }

    fn open(ordinal: usize) -> Result<Gpu, Error> {
        let device = Device::Cuda(ordinal);
        let unavailable =
            |reason: String| Error::DeviceUnavailable { device: device.to_string(), reason };
        // SAFETY: each probe only tries to load a shared library by its usual names (the
        // libraries' initialisers run, as they would for any use of CUDA).
        let present = unsafe {
            (
                cudarc::driver::sys::is_culib_present(),
                cudarc::nvrtc::sys::is_culib_present(),
                cudarc::cublas::sys::is_culib_present(),
            )
        };
        match present {
            (false, _, _) => {
                return Err(unavailable("the CUDA driver library (libcuda) was not found".into()));
            }
            (_, false, _) => {
                return Err(unavailable(
                    "the NVRTC library (libnvrtc), which compiles our kernels, was not found"
                        .into(),
                ));
            }
            (_, _, false) => {
                return Err(unavailable("the cuBLAS library (libcublas) was not found".into()));
            }
            _ => {}
        }
        let count = CudaContext::device_count()
            .map_err(|e| unavailable(format!("the CUDA driver did not start: {e}")))?;
        if ordinal >= usize::try_from(count).unwrap_or(0) {
            return Err(unavailable(format!("this machine has {count} CUDA device(s)")));
        }
        let ctx = CudaContext::new(ordinal).map_err(|e| unavailable(e.to_string()))?;
        // SAFETY: all our work on this context goes through the one stream below, in order, so
        // cudarc's per-buffer events (which order work across streams) are not needed.
        unsafe { ctx.disable_event_tracking() };
        let stream = ctx.default_stream();
        let blas = CudaBlas::new(stream.clone())
            .map_err(|e| unavailable(format!("cuBLAS did not start: {e}")))?;
        let arch = match ctx.compute_capability() {
            Ok((major, minor)) => arch_name(major, minor),
            Err(_) => None,
        };
        let mut functions = HashMap::new();
        for &(file, source, names) in KERNELS {
            let ptx =
                compile(source, arch).map_err(|log| Error::KernelCompile { device, file, log })?;
            let module = ctx.load_module(ptx).map_err(|e| Error::KernelCompile {
                device,
                file,
                log: format!("the driver did not load the compiled kernels: {e}"),
            })?;
            let mut wanted: Vec<String> =
                names.iter().flat_map(|n| [format!("{n}_f32"), format!("{n}_f64")]).collect();
            if file == "elementwise.cu" {
                wanted.extend(CASTS.iter().map(|n| n.to_string()));
            }
            for name in wanted {
                let f = module.load_function(&name).map_err(|e| Error::KernelCompile {
                    device,
                    file,
                    log: format!("no function {name} in the compiled kernels: {e}"),
                })?;
                functions.insert(name, f);
            }
        }
        Ok(Gpu { ordinal, stream, blas, functions })
    }
}

/// NVRTC's name of a compute capability we know (`compute_90` for an H100), so kernels are
/// compiled for the card; `None` leaves NVRTC's default, which the driver JIT-compiles.
fn arch_name(major: i32, minor: i32) -> Option<&'static str> {
    Some(match (major, minor) {
        (7, 5) => "compute_75",
        (8, 0) => "compute_80",
        (8, 6) => "compute_86",
        (8, 7) => "compute_87",
        (8, 9) => "compute_89",
        (9, 0) => "compute_90",
        (10, 0) => "compute_100",
        (12, 0) => "compute_120",
        _ => return None,
    })
}

/// One kernel file compiled to PTX, or NVRTC's log.
pub(crate) fn compile(
    source: &str,
    arch: Option<&'static str>,
) -> Result<cudarc::nvrtc::Ptx, String> {
    let options = cudarc::nvrtc::CompileOptions { arch, ..Default::default() };
    cudarc::nvrtc::compile_ptx_with_opts(source, options).map_err(|e| match e {
        cudarc::nvrtc::CompileError::CompileError { log, .. } => log.to_string_lossy().into_owned(),
        other => other.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// GPU storage keeps tensors shareable across threads, as CPU storage is.
    #[test]
    fn tensors_are_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<crate::Tensor>();
        check::<Gpu>();
    }

    /// The kernels compile wherever NVRTC is installed, GPU or not: NVRTC is a compiler, it
    /// needs no device.
    #[test]
    fn kernels_compile_with_nvrtc() {
        // SAFETY: only tries to load the library.
        if !unsafe { cudarc::nvrtc::sys::is_culib_present() } {
            println!("skipped: NVRTC (libnvrtc) is not installed on this machine");
            return;
        }
        for &(file, source, names) in KERNELS {
            let ptx = compile(source, Some("compute_90"))
                .unwrap_or_else(|log| panic!("{file} does not compile:\n{log}"));
            let text = ptx.to_src();
            for name in names {
                for suffix in ["f32", "f64"] {
                    let entry = format!(".entry {name}_{suffix}(");
                    assert!(text.contains(&entry), "{file}: no {entry} in the PTX");
                }
            }
        }
    }
}

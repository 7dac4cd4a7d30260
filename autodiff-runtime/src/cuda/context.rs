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
    (
        "reduce.cu",
        include_str!("../../kernels/reduce.cu"),
        &["reduce_rows", "reduce_blocks", "reduce_strided"],
    ),
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

/// Devices opened so far by ordinal, and those that are not there (asked once; other errors
/// opening a device, which may pass, are not kept).
type Registry = Mutex<HashMap<usize, Result<Arc<Gpu>, Error>>>;

fn registry() -> &'static Registry {
    static GPUS: OnceLock<Registry> = OnceLock::new();
    GPUS.get_or_init(|| Mutex::new(HashMap::new()))
}

impl Gpu {
    /// The device `ordinal`, opened on first use.
    pub(crate) fn get(ordinal: usize) -> Result<Arc<Gpu>, Error> {
        let mut gpus = registry().lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(known) = gpus.get(&ordinal) {
            return known.clone();
        }
        let opened = Gpu::open(ordinal).map(Arc::new);
        if matches!(opened, Ok(_) | Err(Error::DeviceUnavailable { .. })) {
            gpus.insert(ordinal, opened.clone());
        }
        opened
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

    /// Opens device `ordinal`. `Error::DeviceUnavailable` means there is no such GPU here (no
    /// driver, no device, an ordinal past the last); once the GPU is found, anything that stops
    /// it being used (a missing NVRTC or cuBLAS, a context or kernel that fails) is another
    /// error, so that a GPU machine that cannot use its GPU is not taken for one without.
    fn open(ordinal: usize) -> Result<Gpu, Error> {
        use cudarc::driver::sys::CUresult;
        let device = Device::Cuda(ordinal);
        let unavailable =
            |reason: String| Error::DeviceUnavailable { device: device.to_string(), reason };
        let failed = |message: String| Error::Cuda { device, op: "opening the device", message };
        // SAFETY: each probe only tries to load a shared library by its usual names (the
        // libraries' initialisers run, as they would for any use of CUDA).
        if !unsafe { cudarc::driver::sys::is_culib_present() } {
            return Err(unavailable("the CUDA driver library (libcuda) was not found".into()));
        }
        let count = match CudaContext::device_count() {
            Ok(count) => count,
            Err(e) if e.0 == CUresult::CUDA_ERROR_NO_DEVICE => 0,
            Err(e) => return Err(failed(format!("the CUDA driver did not start: {e}"))),
        };
        if ordinal >= usize::try_from(count).unwrap_or(0) {
            return Err(unavailable(format!("this machine has {count} CUDA device(s)")));
        }
        // SAFETY: as above.
        let (nvrtc, cublas) = unsafe {
            (cudarc::nvrtc::sys::is_culib_present(), cudarc::cublas::sys::is_culib_present())
        };
        let hint = "(is CUDA's lib64, or the folder of NVIDIA's pip packages, on LD_LIBRARY_PATH?)";
        if !nvrtc {
            return Err(failed(format!(
                "the NVRTC library (libnvrtc), which compiles our kernels, was not found {hint}"
            )));
        }
        if !cublas {
            return Err(failed(format!("the cuBLAS library (libcublas) was not found {hint}")));
        }
        let ctx = CudaContext::new(ordinal).map_err(|e| failed(e.to_string()))?;
        // SAFETY: all our work on this context goes through the one stream below, in order, so
        // cudarc's per-buffer events (which order work across streams) are not needed.
        unsafe { ctx.disable_event_tracking() };
        if ctx.has_async_alloc() {
            // Keep freed memory in the device's pool instead of returning it to the system at
            // every synchronisation (the pool's default), as PyTorch's caching allocator does:
            // a training step frees and allocates the same temporaries every time.
            let mut threshold = u64::MAX;
            // SAFETY: `cu_device` is the context's device, and the release threshold is a
            // `cuuint64_t` that outlives the call.
            let _ = unsafe {
                cudarc::driver::result::device::get_default_mem_pool(ctx.cu_device()).and_then(
                    |pool| {
                        cudarc::driver::result::mem_pool::set_attribute(
                            pool,
                            cudarc::driver::sys::CUmemPool_attribute::CU_MEMPOOL_ATTR_RELEASE_THRESHOLD,
                            (&mut threshold as *mut u64).cast(),
                        )
                    },
                )
            };
        }
        let stream = ctx.default_stream();
        let blas = CudaBlas::new(stream.clone())
            .map_err(|e| failed(format!("cuBLAS did not start: {e}")))?;
        let arch = match ctx.compute_capability() {
            Ok((major, minor)) => machine_code_name(major, minor),
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

/// NVRTC's name of the machine code of a compute capability we know (`sm_90` for an H100).
fn machine_code_name(major: i32, minor: i32) -> Option<&'static str> {
    Some(match (major, minor) {
        (7, 5) => "sm_75",
        (8, 0) => "sm_80",
        (8, 6) => "sm_86",
        (8, 7) => "sm_87",
        (8, 9) => "sm_89",
        (9, 0) => "sm_90",
        (10, 0) => "sm_100",
        (12, 0) => "sm_120",
        _ => return None,
    })
}

/// One kernel file compiled for a device, or NVRTC's log. For a card we know, machine code
/// (`sm_XX`, a cubin): it loads on any driver of the same CUDA major version, whereas PTX from
/// a newer NVRTC than the driver is refused. Otherwise PTX for NVRTC's default architecture,
/// which the driver compiles.
pub(crate) fn compile(
    source: &str,
    machine: Option<&'static str>,
) -> Result<cudarc::nvrtc::Ptx, String> {
    if let Some(arch) = machine {
        return compile_cubin(source, arch).map(cudarc::nvrtc::Ptx::from_binary);
    }
    cudarc::nvrtc::compile_ptx(source).map_err(|e| match e {
        cudarc::nvrtc::CompileError::CompileError { log, .. } => log.to_string_lossy().into_owned(),
        other => other.to_string(),
    })
}

/// `source` compiled by NVRTC to machine code for `arch` (`sm_90`).
fn compile_cubin(source: &str, arch: &str) -> Result<Vec<u8>, String> {
    use cudarc::nvrtc::{result, sys};
    let text = |chars: Vec<std::ffi::c_char>| {
        let bytes: Vec<u8> = chars.into_iter().map(|c| c as u8).take_while(|&b| b != 0).collect();
        String::from_utf8_lossy(&bytes).into_owned()
    };
    let src = std::ffi::CString::new(source).map_err(|e| e.to_string())?;
    let prog = result::create_program(&src, None).map_err(|e| e.to_string())?;
    let options = [format!("--gpu-architecture={arch}")];
    // SAFETY: `prog` comes from `create_program` above, `src` outlives it, and it is destroyed
    // once, last; NVRTC writes at most the size it reported into the buffer of that size.
    unsafe {
        let compiled = match result::compile_program(prog, &options) {
            Err(e) => {
                let log = result::get_program_log(prog).map(text).unwrap_or_default();
                Err(format!("{e}: {log}"))
            }
            Ok(()) => {
                let mut size = 0usize;
                match sys::nvrtcGetCUBINSize(prog, &mut size).result() {
                    Err(e) => Err(e.to_string()),
                    Ok(()) => {
                        let mut cubin = vec![0u8; size];
                        sys::nvrtcGetCUBIN(prog, cubin.as_mut_ptr().cast())
                            .result()
                            .map(|()| cubin)
                            .map_err(|e| e.to_string())
                    }
                }
            }
        };
        let _ = result::destroy_program(prog);
        compiled
    }
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
            // PTX, the form for cards we do not know
            let ptx = compile(source, None)
                .unwrap_or_else(|log| panic!("{file} does not compile:\n{log}"));
            let text = ptx.to_src();
            // machine code for an H100
            let cubin = compile_cubin(source, "sm_90")
                .unwrap_or_else(|log| panic!("{file} does not compile for sm_90:\n{log}"));
            for name in names {
                for suffix in ["f32", "f64"] {
                    let entry = format!(".entry {name}_{suffix}(");
                    assert!(text.contains(&entry), "{file}: no {entry} in the PTX");
                    let symbol = format!("{name}_{suffix}");
                    assert!(
                        cubin.windows(symbol.len()).any(|w| w == symbol.as_bytes()),
                        "{file}: no {symbol} in the cubin"
                    );
                }
            }
        }
        let broken = "extern \"C\" __global__ void k(float* x) { x[0] = undefined_name; }";
        let log = compile_cubin(broken, "sm_90").expect_err("a kernel that cannot compile");
        assert!(log.contains("undefined_name"), "NVRTC's log names the problem: {log}");
    }
}

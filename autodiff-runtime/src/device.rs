//! [`Device`]: where a tensor's data lives.

use crate::Error;
use core::fmt;

/// Where a tensor's data lives: the CPU, or an NVIDIA GPU by ordinal.
///
/// ```
/// use autodiff_runtime::Device;
/// // without a usable GPU this falls back to the CPU
/// let d = Device::cuda_if_available(0);
/// assert!(d == Device::Cpu || d == Device::Cuda(0));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Device {
    /// Main memory.
    #[default]
    Cpu,
    /// The CUDA device with this ordinal.
    Cuda(usize),
}

impl Device {
    /// `Cuda(ordinal)` if that GPU can be used, else `Cpu` (PyTorch's
    /// `"cuda" if torch.cuda.is_available() else "cpu"`). A GPU can be used when this build has
    /// the `cuda` feature and the machine has the CUDA driver, NVRTC, cuBLAS and that device;
    /// [`Device::cuda`] says which of these is missing.
    ///
    /// ```
    /// use autodiff_runtime::Device;
    /// let d = Device::cuda_if_available(0);
    /// assert_eq!(d == Device::Cuda(0), Device::cuda(0).is_ok());
    /// ```
    pub fn cuda_if_available(ordinal: usize) -> Device {
        Device::cuda(ordinal).unwrap_or(Device::Cpu)
    }

    /// `Cuda(ordinal)` after checking that it can be used (opening it: the first call compiles
    /// our kernels for it), or the error saying why not.
    ///
    /// ```
    /// use autodiff_runtime::Device;
    /// match Device::cuda(0) {
    ///     Ok(d) => assert_eq!(d, Device::Cuda(0)),
    ///     Err(e) => println!("no GPU: {e}"),
    /// }
    /// assert!(Device::cuda(1000).is_err());
    /// ```
    pub fn cuda(ordinal: usize) -> Result<Device, Error> {
        #[cfg(feature = "cuda")]
        {
            crate::cuda::Gpu::get(ordinal).map(|_| Device::Cuda(ordinal))
        }
        #[cfg(not(feature = "cuda"))]
        {
            Err(Device::Cuda(ordinal).unavailable())
        }
    }

    /// Waits until the work queued on this device is done (PyTorch's
    /// `torch.cuda.synchronize()`): GPU operations return once queued, so timings need it.
    /// Nothing to wait for on the CPU.
    ///
    /// ```
    /// use autodiff_runtime::Device;
    /// assert!(Device::Cpu.synchronize().is_ok());
    /// assert!(Device::Cuda(1000).synchronize().is_err());
    /// ```
    pub fn synchronize(&self) -> Result<(), Error> {
        match self {
            Device::Cpu => Ok(()),
            #[cfg(feature = "cuda")]
            Device::Cuda(i) => {
                let gpu = crate::cuda::Gpu::get(*i)?;
                gpu.stream.synchronize().map_err(|e| gpu.error("synchronize", e))
            }
            #[cfg(not(feature = "cuda"))]
            Device::Cuda(_) => Err(self.unavailable()),
        }
    }

    /// The error for a device this build cannot use.
    #[cfg(not(feature = "cuda"))]
    pub(crate) fn unavailable(&self) -> Error {
        Error::DeviceUnavailable {
            device: self.to_string(),
            reason: "this build has no CUDA support: enable the `cuda` feature of autodiff".into(),
        }
    }
}

impl fmt::Display for Device {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Device::Cpu => f.write_str("cpu"),
            Device::Cuda(i) => write!(f, "cuda:{i}"),
        }
    }
}

//! [`Device`]: where a tensor's data lives.

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
    /// `"cuda" if torch.cuda.is_available() else "cpu"`). CUDA support is not built yet, so this
    /// is the CPU.
    ///
    /// ```
    /// assert_eq!(autodiff_runtime::Device::cuda_if_available(0), autodiff_runtime::Device::Cpu);
    /// ```
    pub fn cuda_if_available(_ordinal: usize) -> Device {
        Device::Cpu
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

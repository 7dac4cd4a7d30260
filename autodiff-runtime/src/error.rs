//! [`Error`]: what can go wrong at run time, with the values that were wrong.

use crate::Device;
use core::fmt;

/// A run-time error of a tensor operation (the `try_` forms return it; the operators panic
/// with its message), or DOT text that [`graph::to_svg`](crate::graph::to_svg) cannot read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Error {
    /// Two shapes that the operation cannot combine.
    ShapeMismatch {
        /// The operation.
        op: &'static str,
        /// The left operand's shape.
        lhs: Vec<usize>,
        /// The right operand's shape.
        rhs: Vec<usize>,
    },
    /// Data whose length does not fill the shape.
    DataLength {
        /// The number of elements given.
        len: usize,
        /// The shape asked for.
        shape: Vec<usize>,
    },
    /// A dimension that the tensor does not have.
    Dimension {
        /// The operation.
        op: &'static str,
        /// The dimension asked for.
        dim: usize,
        /// The tensor's shape.
        shape: Vec<usize>,
    },
    /// A range (or index) along a dimension that reaches past its end.
    OutOfRange {
        /// The operation.
        op: &'static str,
        /// The dimension.
        dim: usize,
        /// The first index asked for.
        start: usize,
        /// How many indices were asked for.
        len: usize,
        /// The tensor's shape.
        shape: Vec<usize>,
    },
    /// An operation that needs a one-element tensor got another.
    NotScalar {
        /// The tensor's shape.
        shape: Vec<usize>,
    },
    /// A device that is not available (no CUDA in this build or on this machine).
    DeviceUnavailable {
        /// The device asked for.
        device: String,
        /// Why.
        reason: String,
    },
    /// Tensors on two different devices in one operation.
    DeviceMismatch {
        /// The operation.
        op: &'static str,
        /// The left operand's device.
        lhs: Device,
        /// The right operand's device.
        rhs: Device,
    },
    /// A CUDA call that failed on a device that was working (out of memory, a failed launch).
    Cuda {
        /// The device.
        device: Device,
        /// What was being done.
        op: &'static str,
        /// The driver's or cuBLAS's error.
        message: String,
    },
    /// One of our CUDA kernel files that NVRTC could not compile for a device.
    KernelCompile {
        /// The device.
        device: Device,
        /// The file under `autodiff-runtime/kernels/`.
        file: &'static str,
        /// NVRTC's log.
        log: String,
    },
    /// DOT text that [`graph::to_svg`](crate::graph::to_svg) cannot read.
    Graph {
        /// The 1-based line where the text stops making sense.
        line: usize,
        /// What was wrong there.
        message: String,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::ShapeMismatch { op, lhs, rhs } => {
                write!(f, "{op}: shapes {lhs:?} and {rhs:?} do not match")
            }
            Error::DataLength { len, shape } => write!(
                f,
                "{len} values cannot fill shape {shape:?}, which holds {}",
                shape.iter().product::<usize>()
            ),
            Error::Dimension { op, dim, shape } => {
                write!(f, "{op}: dimension {dim} is out of range for shape {shape:?}")
            }
            Error::OutOfRange { op, dim, start, len, shape } => write!(
                f,
                "{op}: indices {start}..{} of dimension {dim} are out of range for shape {shape:?}",
                start.saturating_add(*len)
            ),
            Error::NotScalar { shape } => {
                write!(f, "a one-element tensor is needed, but the shape is {shape:?}")
            }
            Error::DeviceUnavailable { device, reason } => {
                write!(f, "device {device} is not available: {reason}")
            }
            Error::DeviceMismatch { op, lhs, rhs } => write!(
                f,
                "{op}: tensors on two devices, {lhs} and {rhs}; move one with `.to_device(..)`"
            ),
            Error::Cuda { device, op, message } => write!(f, "{op} on {device} failed: {message}"),
            Error::KernelCompile { device, file, log } => {
                write!(f, "kernels/{file} did not compile for {device}:\n{log}")
            }
            Error::Graph { line, message } => write!(f, "DOT text, line {line}: {message}"),
        }
    }
}

impl std::error::Error for Error {}

/// `Result::unwrap` with the error's own message, reported at the caller's line (a closure
/// passed to `unwrap_or_else` would report its own): the panicking forms of the `try_` methods.
pub(crate) trait OrPanic<T> {
    /// The value, or a panic with the error's message.
    fn or_panic(self) -> T;
    /// The value, or a panic with `what: ` and the error's message.
    fn or_panic_in(self, what: &str) -> T;
}

impl<T, E: core::fmt::Display> OrPanic<T> for Result<T, E> {
    #[track_caller]
    #[inline]
    fn or_panic(self) -> T {
        match self {
            Ok(v) => v,
            Err(e) => panic!("{e}"),
        }
    }

    #[track_caller]
    #[inline]
    fn or_panic_in(self, what: &str) -> T {
        match self {
            Ok(v) => v,
            Err(e) => panic!("{what}: {e}"),
        }
    }
}

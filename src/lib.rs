//! Automatic differentiation for Rust by source transformation at compile time.
//!
//! `#[differentiable]` reads a numeric function and writes, beside it, ordinary Rust functions
//! that compute its derivatives: no tape, no graph, nothing boxed.
//!
//! ```
//! use autodiff::prelude::*;
//!
//! #[differentiable]
//! fn f(x: f64, y: f64) -> f64 {
//!     x * x + 2.0 * y * y
//! }
//!
//! // forward mode: value and directional derivative
//! let (value, slope) = f_jvp(-5.0, -2.0, 1.0, 0.0);
//! assert_eq!((value, slope), (33.0, -10.0));
//!
//! // reverse mode: ADDS seed · gradient into the buffers
//! let (mut gx, mut gy) = (0.0, 0.0);
//! let value = f_vjp(-5.0, -2.0, 1.0, &mut gx, &mut gy);
//! assert_eq!((value, gx, gy), (33.0, -10.0, -8.0));
//!
//! // the gradient
//! assert_eq!(f_grad(-5.0, -2.0), (33.0, (-10.0, -8.0)));
//! ```
#![warn(missing_docs)]

pub use autodiff_macros::{Differentiable, differentiable};
pub use autodiff_runtime::*;

/// Everything a program differentiating functions needs: `use autodiff::prelude::*;`.
///
/// ```
/// use autodiff::prelude::*;
/// #[differentiable]
/// fn square(x: f64) -> f64 { x * x }
/// assert_eq!(square_grad(3.0), (9.0, 6.0));
/// ```
pub mod prelude {
    pub use autodiff_macros::{Differentiable, differentiable};
    pub use autodiff_runtime::prelude::*;
}

/// What can be differentiated, and every error the macro reports with its fix.
#[doc = include_str!("../docs/guide.md")]
pub mod guide {}

/// The README's examples, compiled and run as doctests so that they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

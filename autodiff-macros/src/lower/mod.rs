//! Stage 3, lower: the rewritten function body -> the IR of [`crate::ir`].

mod block;
mod context;
mod env;
mod expr;
mod loops;
mod rename;

pub use context::lower;

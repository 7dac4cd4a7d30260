//! Stage 2, lower: the function body -> the IR of [`crate::ir`].

mod block;
mod context;
mod desugar;
mod env;
mod expr;
mod float_names;
mod loop_labels;
mod loop_returns;
mod loops;
mod rename;

pub use context::lower;

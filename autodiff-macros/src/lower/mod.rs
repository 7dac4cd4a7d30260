//! Stage 3, lower: the rewritten function body -> the IR of [`crate::ir`].

mod bindings; // `let`
mod block; // statements in order, and where control goes when they end
mod branches; // `if` and `match`
mod calls; // calls and methods
mod context; // the lowering state and its entry point
mod env; // names -> values, scope by scope
mod expr; // expressions -> operations
mod kinds; // what syntax tells of a type
mod loops; // `for`, `while`, `loop` -> loops with carried values
mod places; // assignments and element writes
mod rename; // names in expressions kept as written
mod sequences; // reading elements and sub-slices
mod snapshots; // buffers passed to calls and written after: copies for the calls

pub use context::{lower, lower_noting};
pub use kinds::mark_maybe_algebra;
pub use snapshots::copy_buffers_for_calls;

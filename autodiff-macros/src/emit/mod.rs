//! Stage 6, emit: Rust code from the IR — forward mode (`f_jvp`), reverse mode
//! (`f_vjp`) and the gradient (`f_grad`).

mod context;
mod forward;
mod graph;
mod items;
mod pullback;
mod reverse;
mod second;
mod views;

pub use graph::graph_item;
pub use items::generated_items;
pub use items::loop_buffers_to_copy;
#[cfg(test)]
pub use items::plan_dump;
pub use second::hessian_items;

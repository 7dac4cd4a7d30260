//! Predicates on syntax that every stage may ask (rewrite, lower, analyse, emit): a leaf module,
//! importing only the rule table (itself a leaf). A question about source code that more than
//! one stage asks is answered here, once.

mod algebra;
mod control;
mod names;
mod purity;
mod writes;

pub use algebra::{algebra_new_shape, dynamic_dimensions, dynamic_element, names_algebra_type};
pub use control::{
    contains_return, find_return, is_range, leaves_loop, parenthesized_if_ambiguous,
};
pub use names::{bound_names, mentions_ident, pattern_names, runtime_split_callee};
pub use purity::{changes, observes, pattern_observes};
pub use writes::{CHANGING_METHODS, element_writes, is_compound, is_simple, mutates_buffer};

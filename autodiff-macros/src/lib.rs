//! The `#[differentiable]` attribute of `autodiff`. Use it through the facade crate:
//! `use autodiff::prelude::*;` — its documentation describes what the attribute generates.
//!
//! The macro is a pipeline of stages, each in its own module (see `ARCHITECTURE.md`):
//! `parse` the signature and options, `lower` the body into the `ir`, `analyse` activity,
//! `emit` forward and reverse mode; `diagnostics` collects errors from all of them. The macro
//! knows operations by name only (`rules`); the runtime supplies the typed derivative rules.
#![warn(missing_docs)]
#![cfg_attr(not(test), warn(clippy::unwrap_used))]

mod analyse;
mod check;
mod derive;
mod diagnostics;
mod emit;
mod expand;
mod ir;
mod kind;
mod lower;
mod parse;
mod rewrite;
mod rules;
mod scopes;
mod second;
mod syntax;

#[cfg(test)]
mod fuzz;
#[cfg(test)]
mod tests;

use proc_macro::TokenStream;

/// Generates `f_jvp` (forward mode), `f_vjp` (reverse mode) and `f_grad` beside a numeric
/// function `f`. See the `autodiff` crate for the contract and examples.
#[proc_macro_attribute]
pub fn differentiable(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::expand(args.into(), item.into()).into()
}

/// Derives `Differentiable` (and `Zeros`, and the optimisers' `Update`) for a struct of
/// differentiable fields, field by field, so a `#[differentiable(wrt(model))]` function can take
/// it as a parameter and its gradient is a value of the same struct. The struct must also be
/// `Clone`. A constant field is marked `#[autodiff(skip)]`; `#[autodiff(crate = path)]` names
/// the facade crate if it is not `autodiff`. See the `autodiff` crate for an example.
#[proc_macro_derive(Differentiable, attributes(autodiff))]
pub fn derive_differentiable(item: TokenStream) -> TokenStream {
    derive::expand(item.into()).into()
}

//! Unit tests of the stages on `quote!` input: IR snapshots, the shape of the emitted code
//! (what reverse mode stores and recomputes), and the errors each stage reports.

mod errors;
mod ir;
mod reverse;
mod rewrite;

use crate::diagnostics::Errors;
use crate::expand::{dump, generate};
use proc_macro2::TokenStream;
use quote::quote;

fn ir(item: TokenStream) -> String {
    match dump(quote!(), item) {
        Ok(s) => s,
        Err(e) => panic!("unexpected errors: {e:?}"),
    }
}

fn errors(args: TokenStream, item: TokenStream) -> Vec<String> {
    let mut errors = Errors::default();
    let out = generate(args, item, &mut errors);
    assert!(
        errors.is_empty() != out.is_empty(),
        "items are generated exactly when there is no error"
    );
    errors.messages()
}

/// The generated items of `item`, whitespace removed (see [`squash`]); the expansion must
/// succeed.
fn expansion(args: TokenStream, item: TokenStream) -> String {
    let mut errs = Errors::default();
    let out = generate(args, item, &mut errs);
    assert!(errs.is_empty(), "unexpected errors: {:?}", errs.messages());
    squash(&out.to_string())
}

/// Removes all whitespace, so expected code can be written readably.
fn squash(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

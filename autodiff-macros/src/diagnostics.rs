//! The error collector: every stage reports problems here so that all of them reach the user
//! in one compile, each at its own span (like serde_derive's `Ctxt`).

use proc_macro2::{Span, TokenStream};
use std::fmt::Display;

/// Collected compile errors, reported together.
#[derive(Default)]
pub struct Errors {
    errors: Vec<syn::Error>,
}

impl Errors {
    /// Records an error at `span` with a `help:` line telling how to fix it.
    pub fn error(&mut self, span: Span, message: impl Display, help: impl Display) {
        self.errors.push(syn::Error::new(span, format!("{message}\n\nhelp: {help}")));
    }

    /// How many errors were recorded.
    pub fn len(&self) -> usize {
        self.errors.len()
    }

    /// Forgets the errors recorded after the first `len`.
    pub fn truncate(&mut self, len: usize) {
        self.errors.truncate(len);
    }

    /// Whether nothing went wrong.
    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    /// The errors as `compile_error!` invocations.
    pub fn to_compile_errors(&self) -> TokenStream {
        self.errors.iter().map(syn::Error::to_compile_error).collect()
    }

    /// The messages, for unit tests.
    #[cfg(test)]
    pub fn messages(&self) -> Vec<String> {
        self.errors.iter().map(|e| e.to_string()).collect()
    }
}

//! The error collector: every stage reports problems here so that all of them reach the user
//! in one compile, each at its own span (like serde_derive's `Ctxt`).

pub mod problems;

use problems::Problem;
use proc_macro2::{Span, TokenStream};
use std::fmt::Display;

/// Where an error points: one span, or all the tokens of a piece of syntax.
pub enum Site {
    /// A single span.
    Span(Span),
    /// Tokens, from the first to the last.
    Tokens(TokenStream),
}

impl From<Span> for Site {
    fn from(span: Span) -> Site {
        Site::Span(span)
    }
}

impl<T: quote::ToTokens> From<&T> for Site {
    fn from(syntax: &T) -> Site {
        Site::Tokens(syntax.to_token_stream())
    }
}

/// Collected compile errors, reported together.
#[derive(Default)]
pub struct Errors {
    errors: Vec<syn::Error>,
}

impl Errors {
    /// Records an error at `site` (a span, or syntax whose whole extent is marked) with a
    /// `help:` line telling how to fix it.
    pub fn error(&mut self, site: impl Into<Site>, message: impl Display, help: impl Display) {
        let text = format!("{message}\n\nhelp: {help}");
        self.errors.push(match site.into() {
            Site::Span(span) => syn::Error::new(span, text),
            Site::Tokens(tokens) => syn::Error::new_spanned(tokens, text),
        });
    }

    /// Records a [`Problem`] reported from several places at `site`.
    pub fn report(&mut self, site: impl Into<Site>, problem: &Problem) {
        self.error(site, problem.message, problem.help);
    }

    /// How many errors were recorded.
    pub fn len(&self) -> usize {
        self.errors.len()
    }

    /// Forgets the errors recorded after the first `len`.
    pub fn truncate(&mut self, len: usize) {
        self.errors.truncate(len);
    }

    /// Records the errors of `other` after these.
    pub fn extend(&mut self, other: Errors) {
        self.errors.extend(other.errors);
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

//! The names code binds and mentions.

use std::collections::HashSet;

/// The names bound by the patterns inside an expression (`let`s, arms, closure parameters),
/// shadowing included.
pub fn bound_names(e: &syn::Expr) -> HashSet<String> {
    let mut names = BoundNames(HashSet::new());
    syn::visit::Visit::visit_expr(&mut names, e);
    names.0
}

/// The names a pattern binds (`Some(&j)` binds `j`).
pub fn pattern_names(p: &syn::Pat) -> HashSet<String> {
    let mut names = BoundNames(HashSet::new());
    syn::visit::Visit::visit_pat(&mut names, p);
    names.0
}

struct BoundNames(HashSet<String>);

impl<'a> syn::visit::Visit<'a> for BoundNames {
    fn visit_pat_ident(&mut self, p: &'a syn::PatIdent) {
        self.0.insert(p.ident.to_string());
        syn::visit::visit_pat_ident(self, p);
    }
}

/// Whether tokens mention the identifier `id` (inside groups too).
pub fn mentions_ident(tokens: proc_macro2::TokenStream, id: &proc_macro2::Ident) -> bool {
    tokens.into_iter().any(|t| match t {
        proc_macro2::TokenTree::Ident(i) => i == *id,
        proc_macro2::TokenTree::Group(g) => mentions_ident(g.stream(), id),
        _ => false,
    })
}

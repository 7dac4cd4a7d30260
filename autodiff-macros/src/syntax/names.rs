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

/// The runtime's functions whose adjoint would compute their forward products again: their
/// calls (`nn::linear(..)`, `loss::mse(..)`, written with their module) run in split mode,
/// through the `_pullback` the runtime gives each.
///
/// ```text
/// nn::linear, autodiff::loss::cross_entropy   -> true
/// linear, my::linear, nn::relu                -> false
/// ```
pub fn runtime_split_callee(path: &syn::Path) -> bool {
    let segs: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
    match segs.as_slice() {
        [.., module, f] => match module.as_str() {
            "nn" => f == "linear",
            "loss" => matches!(f.as_str(), "mse" | "mse_sum" | "bce_with_logits" | "cross_entropy"),
            _ => false,
        },
        _ => false,
    }
}

//! `let` patterns lowering reads element by element: an array pattern becomes reads of the
//! array by index.
//!
//! ```text
//! let [a, b] = conn[e];   =>   let __autodiff_array = conn[e]; let a = __autodiff_array[0];
//!                              let b = __autodiff_array[1];
//! ```
//!
//! Only names and `_` inside the pattern (no `..`, no nested patterns): anything else is left
//! as written, and lowering reports it.

use syn::visit_mut::{self, VisitMut};
use syn::{Pat, Stmt, parse_quote};

/// Rewrites the array patterns of the `let`s of `block`.
pub fn rewrite(block: &mut syn::Block) {
    ArrayLets.visit_block_mut(block);
}

struct ArrayLets;

impl VisitMut for ArrayLets {
    fn visit_block_mut(&mut self, block: &mut syn::Block) {
        visit_mut::visit_block_mut(self, block);
        let mut stmts = Vec::new();
        for stmt in std::mem::take(&mut block.stmts) {
            match split(&stmt) {
                Some(lets) => stmts.extend(lets),
                None => stmts.push(stmt),
            }
        }
        block.stmts = stmts;
    }
}

/// `let [a, b] = e;` as `let` statements of one element each.
fn split(stmt: &Stmt) -> Option<Vec<Stmt>> {
    let Stmt::Local(local) = stmt else { return None };
    let Pat::Slice(slice) = &local.pat else { return None };
    let init = local.init.as_ref().filter(|i| i.diverge.is_none())?;
    let plain = |p: &Pat| match p {
        Pat::Ident(pi) => pi.subpat.is_none() && pi.by_ref.is_none(),
        Pat::Wild(_) => true,
        _ => false,
    };
    if !slice.elems.iter().all(plain) {
        return None;
    }
    let array = quote::format_ident!("__autodiff_array");
    let value = &init.expr;
    let mut out: Vec<Stmt> = vec![parse_quote!(let #array = #value;)];
    for (k, p) in slice.elems.iter().enumerate() {
        if let Pat::Ident(pi) = p {
            out.push(parse_quote!(let #pi = #array[#k];));
        }
    }
    Some(out)
}

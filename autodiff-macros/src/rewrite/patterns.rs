//! `let` patterns lowering reads element by element: an array pattern becomes reads of the
//! array by index.
//!
//! ```text
//! let [a, b] = conn[e];   =>   let __autodiff_array = conn[e]; let a = __autodiff_array[0];
//!                              let b = __autodiff_array[1];
//! ```
//!
//! Only names and `_` inside the pattern (no `..`, no nested patterns): anything else is left
//! as written, and lowering reports it. A tuple pattern with tuples inside is split into one
//! `let` per level (`let (v, (a, b)) = g(x);`, as of `g_grad` with two parameters):
//!
//! ```text
//! let (v, (a, b)) = e;   =>   let (v, __autodiff_tuple0) = e; let (a, b) = __autodiff_tuple0;
//! ```
//!
//! A destructuring assignment to names becomes a `let` of the tuple and one assignment each:
//!
//! ```text
//! (a, b) = (b, a + b);   =>   let (t0, t1) = (b, a + b); a = t0; b = t1;
//! ```

use syn::visit_mut::{self, VisitMut};
use syn::{Pat, Stmt, parse_quote};

/// Rewrites the array patterns of the `let`s of `block`.
pub fn rewrite(block: &mut syn::Block) {
    ArrayLets { tuples: 0 }.visit_block_mut(block);
}

struct ArrayLets {
    /// How many nested tuple patterns were named so far.
    tuples: usize,
}

impl VisitMut for ArrayLets {
    fn visit_block_mut(&mut self, block: &mut syn::Block) {
        visit_mut::visit_block_mut(self, block);
        let mut stmts = Vec::new();
        for stmt in std::mem::take(&mut block.stmts) {
            self.flatten(stmt, &mut stmts);
        }
        block.stmts = stmts;
    }
}

impl ArrayLets {
    /// `stmt`, its nested tuple patterns split level by level, its array patterns element by
    /// element.
    fn flatten(&mut self, stmt: Stmt, out: &mut Vec<Stmt>) {
        if let Some((outer, inner)) = self.unnest(&stmt) {
            self.flatten(outer, out);
            for s in inner {
                self.flatten(s, out);
            }
            return;
        }
        if let Some(stmts) = self.destructuring_assignment(&stmt) {
            out.extend(stmts);
            return;
        }
        match split(&stmt) {
            Some(lets) => out.extend(lets),
            None => out.push(stmt),
        }
    }

    /// `(a, b) = (b, a + b);` as `let (t0, t1) = (b, a + b); a = t0; b = t1;` (names and `_`
    /// on the left only).
    fn destructuring_assignment(&mut self, stmt: &Stmt) -> Option<Vec<Stmt>> {
        let Stmt::Expr(syn::Expr::Assign(assign), Some(_)) = stmt else { return None };
        let syn::Expr::Tuple(left) = &*assign.left else { return None };
        let plain = |e: &syn::Expr| match e {
            syn::Expr::Path(p) => p.path.get_ident().is_some(),
            syn::Expr::Infer(_) => true,
            _ => false,
        };
        if left.elems.is_empty() || !left.elems.iter().all(plain) {
            return None;
        }
        let names: Vec<syn::Ident> = (0..left.elems.len())
            .map(|k| quote::format_ident!("__autodiff_assign{}_{}", self.tuples, k))
            .collect();
        self.tuples += 1;
        let right = &assign.right;
        let mut out: Vec<Stmt> = vec![parse_quote!(let (#(#names,)*) = #right;)];
        for (target, name) in left.elems.iter().zip(&names) {
            if !matches!(target, syn::Expr::Infer(_)) {
                out.push(parse_quote!(#target = #name;));
            }
        }
        Some(out)
    }

    /// `let (v, (a, b)) = e;` as `let (v, t) = e;` and `let (a, b) = t;`.
    fn unnest(&mut self, stmt: &Stmt) -> Option<(Stmt, Vec<Stmt>)> {
        let Stmt::Local(local) = stmt else { return None };
        let Pat::Tuple(tuple) = &local.pat else { return None };
        local.init.as_ref().filter(|i| i.diverge.is_none())?;
        let nested = |p: &Pat| matches!(p, Pat::Tuple(_) | Pat::Paren(_));
        if !tuple.elems.iter().any(nested) {
            return None;
        }
        let mut outer = local.clone();
        let mut inner = Vec::new();
        if let Pat::Tuple(t) = &mut outer.pat {
            for p in t.elems.iter_mut().filter(|p| nested(p)) {
                let name = quote::format_ident!("__autodiff_tuple{}", self.tuples);
                self.tuples += 1;
                let pat = std::mem::replace(p, parse_quote!(#name));
                inner.push(parse_quote!(let #pat = #name;));
            }
        }
        Some((Stmt::Local(outer), inner))
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

//! Writes of an element of a row of a local array of arrays, as a write of the row (arrays are
//! values: lowering differentiates a write into a local array as a new array):
//!
//! ```text
//! let mut pts = ctrl;             (ctrl: [[f64; 2]; 4])
//! pts[i][d] = e;              =>  { let mut __autodiff_row = pts[i]; __autodiff_row[d] = e; pts[i] = __autodiff_row; }
//! ```
//!
//! A name is rewritten only when every `let` (and parameter) that binds it holds an array of
//! arrays, by its type or as a copy of such a parameter (`let mut a = [[0.0; 2]; 3];` needs
//! its type, `[[f64; 2]; 3]`, for lowering to read its rows): a `Vec<Vec<f64>>` (whose rows
//! cannot be copied out) is left alone.

use std::collections::HashMap;
use syn::visit::Visit;
use syn::visit_mut::{self, VisitMut};
use syn::{Expr, Pat, Stmt, parse_quote};

/// Rewrites the nested element writes of `block`; `params` are the parameters' names and types.
pub fn rewrite(block: &mut syn::Block, params: &[(String, crate::kind::Kind, syn::Type)]) {
    let mut lets = Lets(HashMap::new());
    for (name, _, ty) in params {
        lets.note(name, nested_array_type(ty));
    }
    lets.visit_block(block);
    let names: Vec<String> = lets.0.into_iter().filter(|(_, all)| *all).map(|(n, _)| n).collect();
    if !names.is_empty() {
        Rows(names).visit_block_mut(block);
    }
}

/// `[[E; M]; N]`.
fn nested_array_type(ty: &syn::Type) -> bool {
    matches!(ty, syn::Type::Array(a) if matches!(&*a.elem, syn::Type::Array(_)))
}

/// For each name bound by a `let` (or a parameter): whether every binding holds an array of
/// arrays.
struct Lets(HashMap<String, bool>);

impl Lets {
    fn note(&mut self, name: &str, nested: bool) {
        *self.0.entry(name.to_string()).or_insert(true) &= nested;
    }

    fn holds_nested(&self, e: &Expr) -> bool {
        match e {
            Expr::Path(p) => {
                p.path.get_ident().is_some_and(|i| self.0.get(&i.to_string()) == Some(&true))
            }
            Expr::Paren(p) => self.holds_nested(&p.expr),
            _ => false,
        }
    }
}

impl<'a> Visit<'a> for Lets {
    fn visit_local(&mut self, l: &'a syn::Local) {
        syn::visit::visit_local(self, l);
        let (pat, ty) = match &l.pat {
            Pat::Type(t) => (&*t.pat, Some(&*t.ty)),
            p => (p, None),
        };
        for name in crate::syntax::pattern_names(pat) {
            let nested = match (pat, ty, &l.init) {
                (Pat::Ident(_), Some(ty), _) => nested_array_type(ty),
                (Pat::Ident(_), None, Some(init)) => self.holds_nested(&init.expr),
                _ => false,
            };
            self.note(&name, nested);
        }
    }
}

/// Rewrites `a[i][j] op= e` for the names in `.0`.
struct Rows(Vec<String>);

impl VisitMut for Rows {
    fn visit_stmt_mut(&mut self, stmt: &mut Stmt) {
        visit_mut::visit_stmt_mut(self, stmt);
        let Stmt::Expr(e, Some(_)) = stmt else { return };
        let (place, rewrite): (&Expr, Box<dyn Fn(Expr) -> Expr>) = match e {
            Expr::Assign(a) => {
                let right = a.right.clone();
                (&*a.left, Box::new(move |cell| parse_quote!(#cell = #right)))
            }
            Expr::Binary(b) if crate::syntax::is_compound(&b.op) => {
                let (op, right) = (b.op, b.right.clone());
                (&*b.left, Box::new(move |cell| parse_quote!(#cell #op #right)))
            }
            _ => return,
        };
        let Expr::Index(cell) = place else { return };
        let Expr::Index(row) = &*cell.expr else { return };
        let Expr::Path(root) = &*row.expr else { return };
        if !root.path.get_ident().is_some_and(|i| self.0.contains(&i.to_string())) {
            return;
        }
        let r = syn::Ident::new("__autodiff_row", proc_macro2::Span::call_site());
        let (i, j) = (&row.index, &cell.index);
        let write = rewrite(parse_quote!(#r[#j]));
        *stmt = parse_quote!({ let mut #r = #root[#i]; #write; #root[#i] = #r; });
    }
}

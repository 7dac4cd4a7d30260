//! A `Vec` of tuples collected from an iteration (`let pts: Vec<(f64, f64)> = xs.iter().map(|x|
//! g(x)).collect();`) and read only by index becomes one `Vec` per tuple element, filled by a
//! loop (a sequence of floats is what lowering differentiates):
//!
//! ```text
//! let pts: Vec<(f64, f64)> = it.map(|p| body).collect();   =>   let mut pts__0: Vec<f64> = Vec::new(); ..
//!                                                              for p in it { let __autodiff_tuple = body;
//!                                                                  pts__0.push(__autodiff_tuple.0); .. }
//! let (x, y) = pts[i];  pts.len()                         =>   let (x, y) = (pts__0[i], pts__1[i]);  pts__0.len()
//! ```
//!
//! Only when every later use of the name indexes it (with an index that calls nothing) or asks
//! its length, the closure has one parameter and no `return`, and no name `pts__k` is taken.

use syn::visit::Visit;
use syn::visit_mut::{self, VisitMut};
use syn::{Expr, Pat, Stmt, parse_quote};

/// Rewrites the collected `Vec`s of tuples of `block` and of the blocks inside it.
pub fn rewrite(block: &mut syn::Block) {
    Blocks.visit_block_mut(block);
}

struct Blocks;

impl VisitMut for Blocks {
    fn visit_block_mut(&mut self, block: &mut syn::Block) {
        visit_mut::visit_block_mut(self, block);
        let mut i = 0;
        while i < block.stmts.len() {
            if let Some(c) = collected(&block.stmts[i])
                && only_indexed(&c.name, &block.stmts[i + 1..])
            {
                let locals: Vec<syn::Ident> = (0..c.types.len())
                    .map(|k| syn::Ident::new(&format!("{}__{k}", c.name), c.name.span()))
                    .collect();
                let t = syn::Ident::new("__autodiff_tuple", c.name.span());
                let (types, pat, iter, body) = (&c.types, &c.pat, &c.iter, &c.body);
                let ks = (0..c.types.len()).map(syn::Index::from);
                let mut stmts: Vec<Stmt> = locals
                    .iter()
                    .zip(types)
                    .map(|(l, ty)| parse_quote!(let mut #l: Vec<#ty> = Vec::new();))
                    .collect();
                stmts.push(parse_quote! {
                    for #pat in #iter {
                        let #t = #body;
                        #(#locals.push(#t.#ks);)*
                    }
                });
                let mut uses = Uses { name: c.name.clone(), locals };
                block.stmts[i + 1..].iter_mut().for_each(|s| uses.visit_stmt_mut(s));
                let n = stmts.len();
                block.stmts.splice(i..=i, stmts);
                i += n;
                continue;
            }
            i += 1;
        }
    }

    fn visit_item_mut(&mut self, _: &mut syn::Item) {}
}

/// `let name: Vec<(A, B, ..)> = iter.map(|pat| body).collect();`
struct Collected {
    name: syn::Ident,
    types: Vec<syn::Type>,
    pat: Pat,
    iter: Expr,
    body: Expr,
}

fn collected(stmt: &Stmt) -> Option<Collected> {
    let Stmt::Local(local) = stmt else { return None };
    let Pat::Type(pt) = &local.pat else { return None };
    let Pat::Ident(pi) = &*pt.pat else { return None };
    let elems = match crate::kind::Kind::element_type(&pt.ty)? {
        syn::Type::Tuple(t) if !t.elems.is_empty() => t.elems.into_iter().collect::<Vec<_>>(),
        _ => return None,
    };
    let init = local.init.as_ref().filter(|i| i.diverge.is_none())?;
    let Expr::MethodCall(collect) = &*init.expr else { return None };
    if collect.method != "collect" || !collect.args.is_empty() {
        return None;
    }
    let Expr::MethodCall(map) = &*collect.receiver else { return None };
    let (Some(Expr::Closure(c)), 1) = (map.args.first(), map.args.len()) else { return None };
    if map.method != "map" || c.inputs.len() != 1 || crate::syntax::contains_return(&c.body) {
        return None;
    }
    let pat = match &c.inputs[0] {
        Pat::Type(t) => (*t.pat).clone(),
        p => p.clone(),
    };
    Some(Collected {
        name: pi.ident.clone(),
        types: elems,
        pat,
        iter: (*map.receiver).clone(),
        body: (*c.body).clone(),
    })
}

/// Whether every use of `name` in `rest` is `name[i]` (an index calling nothing) or
/// `name.len()`, and no `name__k` is written anywhere.
fn only_indexed(name: &syn::Ident, rest: &[Stmt]) -> bool {
    struct Check<'a> {
        name: &'a syn::Ident,
        ok: bool,
    }
    impl<'v> Visit<'v> for Check<'_> {
        fn visit_expr(&mut self, e: &'v Expr) {
            match e {
                Expr::Index(ix) if is_name(&ix.expr, self.name) => {
                    let mut calls = Calls(false);
                    calls.visit_expr(&ix.index);
                    self.ok &= !calls.0;
                    self.visit_expr(&ix.index);
                }
                Expr::MethodCall(m) if m.method == "len" && is_name(&m.receiver, self.name) => {}
                e if is_name(e, self.name) => self.ok = false,
                e => syn::visit::visit_expr(self, e),
            }
        }
        fn visit_ident(&mut self, i: &'v syn::Ident) {
            self.ok &= !i.to_string().starts_with(&format!("{}__", self.name));
        }
        fn visit_pat_ident(&mut self, p: &'v syn::PatIdent) {
            self.ok &= p.ident != *self.name;
        }
        fn visit_macro(&mut self, m: &'v syn::Macro) {
            self.ok &= !crate::syntax::mentions_ident(m.tokens.clone(), self.name);
        }
    }
    let mut check = Check { name, ok: true };
    rest.iter().for_each(|s| check.visit_stmt(s));
    check.ok
}

fn is_name(e: &Expr, name: &syn::Ident) -> bool {
    matches!(e, Expr::Path(p) if p.path.is_ident(name))
}

/// Whether code calls anything.
struct Calls(bool);

impl<'v> Visit<'v> for Calls {
    fn visit_expr_call(&mut self, _: &'v syn::ExprCall) {
        self.0 = true;
    }
    fn visit_expr_method_call(&mut self, _: &'v syn::ExprMethodCall) {
        self.0 = true;
    }
    fn visit_macro(&mut self, _: &'v syn::Macro) {
        self.0 = true;
    }
}

/// `name[i]` -> `(name__0[i], name__1[i], ..)`, `name.len()` -> `name__0.len()`.
struct Uses {
    name: syn::Ident,
    locals: Vec<syn::Ident>,
}

impl VisitMut for Uses {
    fn visit_item_mut(&mut self, _: &mut syn::Item) {}

    fn visit_expr_mut(&mut self, e: &mut Expr) {
        visit_mut::visit_expr_mut(self, e);
        match e {
            Expr::Index(ix) if is_name(&ix.expr, &self.name) => {
                let (locals, i) = (&self.locals, &ix.index);
                *e = parse_quote!((#(#locals[#i],)*));
            }
            Expr::MethodCall(m) if m.method == "len" && is_name(&m.receiver, &self.name) => {
                let first = &self.locals[0];
                *e = parse_quote!(#first.len());
            }
            _ => {}
        }
    }
}

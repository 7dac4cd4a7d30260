//! Float methods that return several values, as the methods with rules they are made of:
//!
//! ```text
//! let (s, c) = x.sin_cos();       =>  let (s, c) = (x.sin(), x.cos());
//! let (s, c) = (a * t).sin_cos(); =>  let __autodiff_sc = a * t; let (s, c) = (__autodiff_sc.sin(), __autodiff_sc.cos());
//! x.sin_cos().1                   =>  x.cos()
//! ```
//!
//! std computes `sin_cos` as `(self.sin(), self.cos())`, so the values are the same. And a
//! reduction without a start, as the fold from the first element:
//!
//! ```text
//! x.iter().copied().reduce(f64::max).unwrap()  =>  x.iter().copied().skip(1).fold(x[0], f64::max)
//! ```

use crate::syntax::is_simple;
use syn::visit_mut::{self, VisitMut};
use syn::{Expr, Stmt, parse_quote};

/// Rewrites the `sin_cos` calls of `block`.
pub fn rewrite(block: &mut syn::Block) {
    SinCos.visit_block_mut(block);
}

struct SinCos;

/// `x.iter().copied().reduce(f).unwrap()` (or `.cloned()`, `.expect(..)`) of a name `x`: the
/// name, the adapter and `f`, for `x.iter().copied().skip(1).fold(x[0], f)`, the form the
/// desugaring knows (an empty `x` panics, at `x[0]` instead of `unwrap`).
fn reduced(e: &Expr) -> Option<(syn::Ident, syn::Ident, Expr)> {
    let Expr::MethodCall(u) = e else { return None };
    if !(u.method == "unwrap" && u.args.is_empty() || u.method == "expect" && u.args.len() == 1) {
        return None;
    }
    let Expr::MethodCall(r) = &*u.receiver else { return None };
    let Expr::MethodCall(adapter) = &*r.receiver else { return None };
    let Expr::MethodCall(iter) = &*adapter.receiver else { return None };
    let Expr::Path(p) = &*iter.receiver else { return None };
    let name = p.path.get_ident()?.clone();
    let f = match r.args.iter().collect::<Vec<_>>()[..] {
        [f] if r.method == "reduce" => f.clone(),
        _ => return None,
    };
    let copies = matches!(adapter.method.to_string().as_str(), "copied" | "cloned");
    (copies && adapter.args.is_empty() && iter.method == "iter" && iter.args.is_empty())
        .then(|| (name, adapter.method.clone(), f))
}

/// The receiver of `e` if `e` is `receiver.sin_cos()`.
fn sin_cos(e: &Expr) -> Option<&Expr> {
    match e {
        Expr::MethodCall(m) if m.method == "sin_cos" && m.args.is_empty() => Some(&m.receiver),
        _ => None,
    }
}

impl VisitMut for SinCos {
    fn visit_block_mut(&mut self, block: &mut syn::Block) {
        let mut stmts = Vec::new();
        for mut stmt in std::mem::take(&mut block.stmts) {
            // `let (s, c) = e.sin_cos();` of a compound `e`: `e` once, in a `let` of its own.
            if let Stmt::Local(local) = &mut stmt
                && let Some(init) = &mut local.init
                && let Some(receiver) = sin_cos(&init.expr).filter(|r| !is_simple(r))
            {
                let (receiver, name) = (receiver.clone(), quote::format_ident!("__autodiff_sc"));
                stmts.push(parse_quote!(let #name = #receiver;));
                *init.expr = parse_quote!((#name.sin(), #name.cos()));
            }
            self.visit_stmt_mut(&mut stmt);
            stmts.push(stmt);
        }
        block.stmts = stmts;
    }

    fn visit_expr_mut(&mut self, e: &mut Expr) {
        // `.0`/`.1` of a `sin_cos()`: before the call itself becomes a tuple.
        if let Expr::Field(f) = e
            && let syn::Member::Unnamed(k) = &f.member
            && k.index < 2
            && let Some(receiver) = sin_cos(&f.base)
        {
            let receiver = receiver.clone();
            *e = match k.index {
                0 => parse_quote!(#receiver.sin()),
                _ => parse_quote!(#receiver.cos()),
            };
        }
        visit_mut::visit_expr_mut(self, e);
        if let Some((name, adapter, f)) = reduced(e) {
            *e = parse_quote!(#name.iter().#adapter().skip(1).fold(#name[0], #f));
            return;
        }
        if let Some(receiver) = sin_cos(e).filter(|r| is_simple(r)) {
            let receiver = receiver.clone();
            *e = parse_quote!((#receiver.sin(), #receiver.cos()));
        }
    }
}

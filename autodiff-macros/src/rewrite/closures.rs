//! Local closures called in the body are inlined where they are called:
//!
//! ```text
//! let sq = |v: f64| v * v;                 (removed)
//! sq(a) + sq(b)                        =>  { let __autodiff_arg0 = a; let v: f64 = __autodiff_arg0; v * v }
//!                                          + { let __autodiff_arg0 = b; let v: f64 = __autodiff_arg0; v * v }
//! ```
//!
//! The arguments go into temporaries before the parameters are bound (`f(b, a)` of `|a, b|`),
//! so they are evaluated first, in order, as a call evaluates them. A closure is inlined only
//! where that means the same as calling it: it is bound by a `let` to a plain name, used only
//! by calling it, its body has no `return` or `?` of its own, and no name its body reads is
//! bound again or assigned between the closure and its last call (a call would see the value
//! the closure captured). Any other closure is left as written, and lowering reports it.

use crate::syntax::{bound_names, changes};
use std::collections::HashSet;
use syn::visit::Visit;
use syn::visit_mut::{self, VisitMut};
use syn::{Expr, Pat, Stmt, parse_quote};

/// Inlines the local closures of `block` and of the blocks inside it.
pub fn rewrite(block: &mut syn::Block) {
    Blocks { renamed: 0 }.visit_block_mut(block);
}

/// Visits every block, innermost first, inlining the closures its statements bind.
/// (`renamed`: how many bindings were renamed, so each new name is unique in the function.)
struct Blocks {
    renamed: usize,
}

impl VisitMut for Blocks {
    fn visit_block_mut(&mut self, block: &mut syn::Block) {
        visit_mut::visit_block_mut(self, block);
        let mut i = 0;
        while i < block.stmts.len() {
            if let Some((_, closure)) = closure_binding(&block.stmts[i]) {
                rename_shadowing(&closure, &mut block.stmts[i + 1..], &mut self.renamed);
                if has_own_exit(&closure.body)
                    && let Some(body) = guards_to_arms(&closure.body)
                    && let Stmt::Local(local) = &mut block.stmts[i]
                    && let Some(init) = &mut local.init
                    && let Expr::Closure(c) = &mut *init.expr
                {
                    *c.body = body;
                }
            }
            if let Some((name, closure)) = closure_binding(&block.stmts[i]) {
                // The closure's scope ends where a later `let` binds its name again.
                let end = block.stmts[i + 1..]
                    .iter()
                    .position(|s| {
                        matches!(s, Stmt::Local(l) if crate::syntax::pattern_names(&l.pat).contains(&name))
                    })
                    .map_or(block.stmts.len(), |k| i + 1 + k);
                if inlinable(&name, &closure, &block.stmts[i + 1..end]) {
                    let mut calls = Calls { name, closure };
                    block.stmts[i + 1..end].iter_mut().for_each(|s| calls.visit_stmt_mut(s));
                    block.stmts.remove(i);
                    continue;
                }
            }
            i += 1;
        }
    }

    fn visit_item_mut(&mut self, _: &mut syn::Item) {}
}

/// `let name = |params| body;` (also `move`): the name and the closure.
fn closure_binding(stmt: &Stmt) -> Option<(String, syn::ExprClosure)> {
    let Stmt::Local(local) = stmt else { return None };
    let Pat::Ident(pi) = &local.pat else { return None };
    let init = local.init.as_ref().filter(|i| i.diverge.is_none())?;
    let Expr::Closure(c) = &*init.expr else { return None };
    (pi.by_ref.is_none() && pi.subpat.is_none()).then(|| (pi.ident.to_string(), c.clone()))
}

/// Whether the closure `name` can be inlined into the statements `rest` after it.
fn inlinable(name: &str, closure: &syn::ExprClosure, rest: &[Stmt]) -> bool {
    if has_own_exit(&closure.body) || closure.asyncness.is_some() {
        return false;
    }
    let mut uses = Uses { name, calls: 0, other: 0 };
    rest.iter().for_each(|s| uses.visit_stmt(s));
    if uses.calls == 0 || uses.other > 0 {
        return false;
    }
    // The statements up to the last call must not rebind or assign a name the body reads.
    let last = rest.iter().rposition(|s| {
        let mut u = Uses { name, calls: 0, other: 0 };
        u.visit_stmt(s);
        u.calls > 0
    });
    let free = free_names(closure);
    rest[..=last.unwrap_or(0)].iter().all(|s| {
        let mut bound = match s {
            Stmt::Local(l) => crate::syntax::pattern_names(&l.pat),
            _ => HashSet::new(),
        };
        let mut changed = HashSet::new();
        let mut exprs = Exprs(Vec::new());
        exprs.visit_stmt(s);
        for e in exprs.0 {
            // (names bound inside an expression are scoped to it: they matter only where it
            // calls this closure; another closure's parameters, an inlined call's `let`s)
            bound.extend(bound_around_uses(&e, name));
            let c = changes(&e);
            changed.extend(c.places);
        }
        free.iter().all(|n| !bound.contains(n) && !changed.contains(n))
    })
}

/// A closure body whose `return`s are guards (`if t <= lo { return a; }` at the top of its
/// block, or a last `return b;`) -> the same as one `if`/`else` chain, which can be inlined.
/// `None` if a `return` is anywhere else.
///
/// ```text
/// { if t <= lo { return a; } let w = ..; w * b }  =>  { if t <= lo { a } else { let w = ..; w * b } }
/// ```
fn guards_to_arms(body: &Expr) -> Option<Expr> {
    let Expr::Block(b) = body else { return None };
    let block = arms_of(&b.block.stmts)?;
    let out = Expr::Block(syn::ExprBlock { attrs: b.attrs.clone(), label: None, block });
    (!has_own_exit(&out)).then_some(out)
}

/// The statements as a block whose guards became arms.
fn arms_of(stmts: &[Stmt]) -> Option<syn::Block> {
    let mut out: Vec<Stmt> = Vec::new();
    for (k, stmt) in stmts.iter().enumerate() {
        match stmt {
            Stmt::Expr(Expr::Return(r), _) if k + 1 == stmts.len() => {
                let value = returned(r);
                out.push(Stmt::Expr(value, None));
                return Some(parse_quote!({ #(#out)* }));
            }
            Stmt::Expr(Expr::If(guard), _) if guard.else_branch.is_none() => {
                let Some((Stmt::Expr(Expr::Return(r), _), before)) =
                    guard.then_branch.stmts.split_last()
                else {
                    out.push(stmt.clone());
                    continue;
                };
                let value = returned(r);
                let cond = &guard.cond;
                let rest = arms_of(&stmts[k + 1..])?;
                out.push(Stmt::Expr(
                    parse_quote!(if #cond { #(#before)* #value } else #rest),
                    None,
                ));
                return Some(parse_quote!({ #(#out)* }));
            }
            s => out.push(s.clone()),
        }
    }
    Some(parse_quote!({ #(#out)* }))
}

/// The value a `return` gives: its expression, or `()` for `return;` (a closure kept for its
/// effects, `|v: f64| { if v < 0.0 { return; } total += v; }`).
fn returned(r: &syn::ExprReturn) -> Expr {
    r.expr.as_deref().cloned().unwrap_or_else(|| parse_quote!(()))
}

/// `let gain = gain * gain;` after a closure that reads `gain`: the closure keeps the value it
/// captured, so the new binding is renamed (`gain__shadow1`) with every later use of it, and the
/// closure can be inlined. Only a plain `let` of the block itself, and only when no later
/// statement binds the name again or names it inside a macro (where no rewrite reaches).
///
/// ```text
/// let f = |u: f64| gain * u;   let gain = gain * gain;   f(x) + gain
///     => let f = |u: f64| gain * u;   let gain__shadow1 = gain * gain;   f(x) + gain__shadow1
/// ```
fn rename_shadowing(closure: &syn::ExprClosure, rest: &mut [Stmt], renamed: &mut usize) {
    let free = free_names(closure);
    for k in 0..rest.len() {
        let Stmt::Local(local) = &rest[k] else { continue };
        let Pat::Ident(pi) = strip_type(&local.pat) else { continue };
        let name = pi.ident.to_string();
        if !free.contains(&name) || pi.by_ref.is_some() || pi.subpat.is_some() {
            continue;
        }
        let ident = pi.ident.clone();
        let later = &rest[k + 1..];
        let rebound = later.iter().any(|s| {
            let mut exprs = Exprs(Vec::new());
            exprs.visit_stmt(s);
            let in_let =
                matches!(s, Stmt::Local(l) if crate::syntax::pattern_names(&l.pat).contains(&name));
            in_let || exprs.0.iter().any(|e| bound_names(e).contains(&name))
        });
        let in_macro = later.iter().any(|s| {
            let mut m = Macros(&ident, false);
            m.visit_stmt(s);
            m.1
        });
        if rebound || in_macro {
            continue;
        }
        *renamed += 1;
        let fresh = syn::Ident::new(&format!("{name}__shadow{renamed}"), ident.span());
        if let Stmt::Local(local) = &mut rest[k]
            && let Pat::Ident(pi) = strip_type_mut(&mut local.pat)
        {
            pi.ident = fresh.clone();
        }
        let mut rename = Rename { from: name, to: fresh };
        rest[k + 1..].iter_mut().for_each(|s| rename.visit_stmt_mut(s));
    }
}

fn strip_type(p: &Pat) -> &Pat {
    match p {
        Pat::Type(t) => &t.pat,
        p => p,
    }
}

fn strip_type_mut(p: &mut Pat) -> &mut Pat {
    match p {
        Pat::Type(t) => &mut t.pat,
        p => p,
    }
}

/// Whether a macro's tokens name an identifier.
struct Macros<'i>(&'i syn::Ident, bool);

impl<'a> Visit<'a> for Macros<'_> {
    fn visit_macro(&mut self, m: &'a syn::Macro) {
        self.1 |= crate::syntax::mentions_ident(m.tokens.clone(), self.0);
    }
}

/// Replaces the name `from` by `to` where an expression reads it.
struct Rename {
    from: String,
    to: syn::Ident,
}

impl VisitMut for Rename {
    // (a nested `fn` has names of its own)
    fn visit_item_mut(&mut self, _: &mut syn::Item) {}

    fn visit_expr_path_mut(&mut self, p: &mut syn::ExprPath) {
        if p.qself.is_none() && p.path.is_ident(&self.from) {
            p.path = self.to.clone().into();
        }
    }
}

/// The top-level expressions of a statement (a `let`'s value, an expression statement).
struct Exprs(Vec<Expr>);

impl<'a> Visit<'a> for Exprs {
    fn visit_expr(&mut self, e: &'a Expr) {
        self.0.push(e.clone());
    }
}

/// The names a closure's body reads that it does not bind itself.
fn free_names(closure: &syn::ExprClosure) -> HashSet<String> {
    struct Names(HashSet<String>);
    impl<'a> Visit<'a> for Names {
        fn visit_expr_path(&mut self, p: &'a syn::ExprPath) {
            if let Some(i) = p.path.get_ident() {
                self.0.insert(i.to_string());
            }
        }
    }
    let mut names = Names(HashSet::new());
    names.visit_expr(&closure.body);
    // (less the names bound inside the body, such as an inlined closure's temporaries)
    let mut local: HashSet<String> =
        closure.inputs.iter().flat_map(crate::syntax::pattern_names).collect();
    local.extend(bound_names(&closure.body));
    names.0.retain(|n| !local.contains(n));
    names.0
}

/// Whether a closure body has a `return` or `?` of its own (outside nested closures).
fn has_own_exit(body: &Expr) -> bool {
    struct Exit(bool);
    impl<'a> Visit<'a> for Exit {
        fn visit_expr_return(&mut self, _: &'a syn::ExprReturn) {
            self.0 = true;
        }
        fn visit_expr_try(&mut self, _: &'a syn::ExprTry) {
            self.0 = true;
        }
        fn visit_expr_closure(&mut self, _: &'a syn::ExprClosure) {}
        fn visit_item(&mut self, _: &'a syn::Item) {}
    }
    let mut e = Exit(false);
    e.visit_expr(body);
    e.0
}

/// How the statements after a closure use its name: calls `name(..)`, anything else.
struct Uses<'n> {
    name: &'n str,
    calls: usize,
    other: usize,
}

impl<'a> Visit<'a> for Uses<'_> {
    fn visit_expr_call(&mut self, c: &'a syn::ExprCall) {
        if matches!(&*c.func, Expr::Path(p) if p.path.is_ident(self.name)) {
            self.calls += 1;
            c.args.iter().for_each(|a| self.visit_expr(a));
            return;
        }
        syn::visit::visit_expr_call(self, c);
    }

    fn visit_expr_path(&mut self, p: &'a syn::ExprPath) {
        if p.path.is_ident(self.name) {
            self.other += 1;
        }
    }

    fn visit_macro(&mut self, m: &'a syn::Macro) {
        // A macro's tokens may name the closure where no rewrite can reach it.
        let name = syn::Ident::new(self.name, proc_macro2::Span::call_site());
        if crate::syntax::mentions_ident(m.tokens.clone(), &name) {
            self.other += 1;
        }
    }
}

/// Replaces each call `name(args)` by the closure's body with its parameters bound to `args`.
struct Calls {
    name: String,
    closure: syn::ExprClosure,
}

impl VisitMut for Calls {
    fn visit_expr_mut(&mut self, e: &mut Expr) {
        visit_mut::visit_expr_mut(self, e);
        let Expr::Call(c) = e else { return };
        if !matches!(&*c.func, Expr::Path(p) if p.path.is_ident(&self.name)) {
            return;
        }
        if c.args.len() != self.closure.inputs.len() {
            return; // rustc reports the wrong number of arguments at the call
        }
        // Each argument into a temporary first, then the parameters: `f(b, a)` of `|a, b|`.
        let temps: Vec<syn::Ident> = (0..c.args.len())
            .map(|k| syn::Ident::new(&format!("__autodiff_arg{k}"), proc_macro2::Span::call_site()))
            .collect();
        let params = self.closure.inputs.iter().zip(&temps).map(|(p, t)| -> syn::Stmt {
            match p {
                Pat::Type(pt) => {
                    let (pat, ty) = (&pt.pat, &pt.ty);
                    parse_quote!(let #pat: #ty = #t;)
                }
                p => parse_quote!(let #p = #t;),
            }
        });
        let args = c.args.iter();
        // A body that assigns (`|v| total += v`) is a statement: the call's value is `()`.
        let assignment = |e: &Expr| match e {
            Expr::Assign(_) => true,
            Expr::Binary(b) => crate::syntax::is_compound(&b.op),
            _ => false,
        };
        // (`|v| total += v`, `|v| { total += v }`)
        let assigns = match &*self.closure.body {
            Expr::Block(b) => {
                matches!(b.block.stmts.last(), Some(Stmt::Expr(e, None)) if assignment(e))
            }
            e => assignment(e),
        };
        let mut body = (*self.closure.body).clone();
        if let Expr::Block(b) = &mut body
            && let Some(Stmt::Expr(_, semi @ None)) = b.block.stmts.last_mut()
            && assigns
        {
            *semi = Some(Default::default());
        }
        let body = crate::syntax::parenthesized_if_ambiguous(body);
        *e = if assigns {
            parse_quote!({ #(let #temps = #args;)* #(#params)* #body; })
        } else {
            parse_quote!({ #(let #temps = #args;)* #(#params)* #body })
        };
    }
}

/// The names `e` binds in the parts of it that use the closure `name` (the rest, an inlined
/// call's block or another closure, binds names of its own scope only).
fn bound_around_uses(e: &Expr, name: &str) -> HashSet<String> {
    struct Around<'n> {
        name: &'n str,
        out: HashSet<String>,
    }
    impl<'a> Visit<'a> for Around<'_> {
        fn visit_expr(&mut self, e: &'a Expr) {
            let mut u = Uses { name: self.name, calls: 0, other: 0 };
            u.visit_expr(e);
            if u.calls + u.other > 0 {
                syn::visit::visit_expr(self, e);
            }
        }
        fn visit_pat_ident(&mut self, p: &'a syn::PatIdent) {
            self.out.insert(p.ident.to_string());
            syn::visit::visit_pat_ident(self, p);
        }
    }
    let mut around = Around { name, out: HashSet::new() };
    around.visit_expr(e);
    around.out
}

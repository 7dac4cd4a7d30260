//! Before lowering: `return` inside loops becomes `break` and a `return` after the loop, which
//! the loop and early-return lowerings then differentiate.
//!
//! ```text
//! let mut s = 0.0;                      let mut s = 0.0;
//! for i in 0..n {                       let mut __autodiff_return1: usize = 0;
//!     s += x[i];                        for i in 0..n {
//!     if s > 1.0 {                  =>      s += x[i];
//!         return s.sqrt();                  if s > 1.0 { __autodiff_return1 = 1; break; }
//!     }                                 }
//! }                                     if __autodiff_return1 == 1 { return s.sqrt(); }
//! -s                                    -s
//! ```
//!
//! The returned expression is evaluated after the loop instead of at the `return`: nothing runs
//! in between, so it has the same value, provided it reads only names declared before the
//! loop (the loop's variables are gone by then). A `return` that reads a name bound inside the
//! loop is left as written, and lowering rejects it. In nested loops, each enclosing loop
//! leaves too (`if __autodiff_returnN != 0 { break; }` after the inner loop).

use super::block::{find_return, leaves_loop};
use proc_macro2::Span;
use std::collections::HashSet;
use syn::visit_mut::{self, VisitMut};
use syn::{Expr, Ident, Stmt, parse_quote};

/// Rewrites the returns inside the loops of a function body.
pub fn rewrite(body: &mut syn::Block) {
    Outside { next: 0 }.visit_block_mut(body);
}

/// Visits code outside loops: each loop statement that contains a `return` is rewritten.
struct Outside {
    next: usize,
}

impl VisitMut for Outside {
    fn visit_block_mut(&mut self, block: &mut syn::Block) {
        let mut stmts = Vec::new();
        for mut stmt in std::mem::take(&mut block.stmts) {
            let original = stmt.clone();
            let bound = match loop_of(&stmt) {
                Some(lp) => find_return(lp).is_some().then(|| bound_names(lp)),
                None => {
                    visit_mut::visit_stmt_mut(self, &mut stmt);
                    None
                }
            };
            // A `loop` left only by its returns: after it, the last return is unconditional.
            let only_returns = match &stmt {
                Stmt::Expr(Expr::Loop(l), _) => {
                    let body = &l.body;
                    !leaves_loop(&parse_quote!(#body), false)
                }
                _ => false,
            };
            let returns = bound.map(|bound| {
                self.next += 1;
                let flag =
                    Ident::new(&format!("__autodiff_return{}", self.next), Span::call_site());
                let mut inside = Inside { flag: &flag, bound, returns: vec![] };
                inside.loop_body(&mut stmt);
                let returns = inside.returns;
                (flag, returns)
            });
            match returns {
                Some((flag, returns)) if !returns.is_empty() => {
                    stmts.push(parse_quote!(let mut #flag: usize = 0;));
                    stmts.push(stmt);
                    for (k, e) in returns.iter().enumerate() {
                        let k = k + 1;
                        stmts.push(if only_returns && k == returns.len() {
                            parse_quote!(return #e;)
                        } else {
                            parse_quote!(if #flag == #k { return #e; })
                        });
                    }
                }
                // Nothing rewritten: the loop as written (lowering reports its returns).
                Some(_) => stmts.push(original),
                None => stmts.push(stmt),
            }
        }
        block.stmts = stmts;
    }

    fn visit_expr_closure_mut(&mut self, _: &mut syn::ExprClosure) {}
    fn visit_item_mut(&mut self, _: &mut syn::Item) {}
}

/// The loop a statement is, if any.
fn loop_of(stmt: &Stmt) -> Option<&Expr> {
    match stmt {
        Stmt::Expr(e @ (Expr::ForLoop(_) | Expr::While(_) | Expr::Loop(_)), _) => Some(e),
        _ => None,
    }
}

/// The body of a loop statement.
fn body_of(stmt: &mut Stmt) -> Option<&mut syn::Block> {
    match stmt {
        Stmt::Expr(Expr::ForLoop(f), _) => Some(&mut f.body),
        Stmt::Expr(Expr::While(w), _) => Some(&mut w.body),
        Stmt::Expr(Expr::Loop(l), _) => Some(&mut l.body),
        _ => None,
    }
}

/// Every name a pattern binds inside `e` (conservatively: shadowing included).
fn bound_names(e: &Expr) -> HashSet<String> {
    struct Finder(HashSet<String>);
    impl<'a> syn::visit::Visit<'a> for Finder {
        fn visit_pat_ident(&mut self, p: &'a syn::PatIdent) {
            self.0.insert(p.ident.to_string());
            syn::visit::visit_pat_ident(self, p);
        }
    }
    let mut f = Finder(HashSet::new());
    syn::visit::Visit::visit_expr(&mut f, e);
    f.0
}

/// Whether `e` reads one of `names`.
fn reads_any(e: &Expr, names: &HashSet<String>) -> bool {
    struct Finder<'a>(&'a HashSet<String>, bool);
    impl<'a> syn::visit::Visit<'a> for Finder<'_> {
        fn visit_path(&mut self, p: &'a syn::Path) {
            if p.get_ident().is_some_and(|i| self.0.contains(&i.to_string())) {
                self.1 = true;
            }
            syn::visit::visit_path(self, p);
        }
    }
    let mut f = Finder(names, false);
    syn::visit::Visit::visit_expr(&mut f, e);
    f.1
}

/// Rewrites code inside a loop: `return e;` -> `flag = k; break;`, and after a nested loop that
/// returned, `if flag != 0 { break; }`.
struct Inside<'a> {
    flag: &'a Ident,
    /// The names bound inside the outermost loop.
    bound: HashSet<String>,
    /// The returned expressions, the k-th returned when the flag is k + 1.
    returns: Vec<Expr>,
}

impl Inside<'_> {
    fn loop_body(&mut self, stmt: &mut Stmt) {
        if let Some(body) = body_of(stmt) {
            self.visit_block_mut(body);
        }
    }
}

impl VisitMut for Inside<'_> {
    fn visit_block_mut(&mut self, block: &mut syn::Block) {
        let flag = self.flag;
        let mut stmts = Vec::new();
        for mut stmt in std::mem::take(&mut block.stmts) {
            if let Stmt::Expr(Expr::Return(r), _) = &stmt
                && let Some(e) = r.expr.as_deref().filter(|e| !reads_any(e, &self.bound))
            {
                self.returns.push(e.clone());
                let k = self.returns.len();
                stmts.push(parse_quote!(#flag = #k;));
                stmts.push(parse_quote!(break;));
                continue;
            }
            if loop_of(&stmt).is_some_and(|lp| find_return(lp).is_some()) {
                self.loop_body(&mut stmt);
                stmts.push(stmt);
                stmts.push(parse_quote!(if #flag != 0 { break; }));
                continue;
            }
            visit_mut::visit_stmt_mut(self, &mut stmt);
            stmts.push(stmt);
        }
        block.stmts = stmts;
    }

    fn visit_expr_closure_mut(&mut self, _: &mut syn::ExprClosure) {}
    fn visit_item_mut(&mut self, _: &mut syn::Item) {}
}

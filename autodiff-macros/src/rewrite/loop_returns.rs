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
//! The returned expression is evaluated after the loop instead of at the `return` when it reads
//! only names declared before the loop: nothing runs in between, so it has the same value.
//! Otherwise (it reads the loop's own variables, gone by then) the `return` first stores it in a
//! variable declared before the loop (`let mut __autodiff_value1 = placeholder();`, a value of
//! the runtime's `Placeholder` trait, never read before the store) and that is returned. In
//! nested loops, each enclosing loop leaves too (`if __autodiff_returnN != 0 { break; }` after
//! the inner loop).
//!
//! A `loop` used as a value the same way: `let v = loop { .. break e; .. };` becomes the loop as
//! a statement whose breaks set a flag, then `let v = match flag { 1 => e1, .., _ => en };`, or
//! store their values in a variable declared before the loop, then `let v = that;`.

use crate::syntax::bound_names;
use crate::syntax::{find_return, leaves_loop};
use proc_macro2::{Span, TokenStream};
use std::collections::HashSet;
use syn::visit_mut::{self, VisitMut};
use syn::{Expr, Ident, Stmt, parse_quote};

/// Rewrites the returns inside the loops of a function body, and the loops used as values;
/// `rt` is the path of the runtime's `__private` module.
pub fn rewrite(body: &mut syn::Block, rt: &TokenStream) {
    Outside { next: 0, rt }.visit_block_mut(body);
}

/// Visits code outside loops: each loop statement that contains a `return` is rewritten.
struct Outside<'r> {
    next: usize,
    rt: &'r TokenStream,
}

fn ident(prefix: &str, n: usize) -> Ident {
    Ident::new(&format!("{prefix}{n}"), Span::call_site())
}

impl VisitMut for Outside<'_> {
    fn visit_block_mut(&mut self, block: &mut syn::Block) {
        let mut stmts = Vec::new();
        let mut queue: std::collections::VecDeque<Stmt> = std::mem::take(&mut block.stmts).into();
        while let Some(mut stmt) = queue.pop_front() {
            // A loop used as a value becomes a loop statement, whose returns are then
            // rewritten like any other's.
            if let Some(rewritten) = loop_value(&stmt, &mut self.next, self.rt) {
                rewritten.into_iter().rev().for_each(|s| queue.push_front(s));
                continue;
            }
            let original = stmt.clone();
            let bound = match loop_of(&stmt) {
                Some(lp) if find_return(lp).is_some() => Some(bound_names(lp)),
                _ => {
                    // (loops without returns too: they may hold loops used as values)
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
                let (flag, slot) =
                    (ident("__autodiff_return", self.next), ident("__autodiff_value", self.next));
                let mut inside = Inside {
                    flag: &flag,
                    slot: &slot,
                    slot_used: false,
                    bound,
                    returns: vec![],
                    next: &mut self.next,
                    rt: self.rt,
                };
                inside.loop_body(&mut stmt);
                let (returns, slot_used) = (inside.returns, inside.slot_used);
                (flag, slot_used.then_some(slot), returns)
            });
            match returns {
                Some((flag, slot, returns)) if !returns.is_empty() => {
                    stmts.push(parse_quote!(let mut #flag: usize = 0;));
                    if let Some(slot) = slot {
                        let rt = self.rt;
                        stmts.push(parse_quote!(let mut #slot = #rt::placeholder();));
                    }
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

/// `let pat = loop { .. break e; .. };` as the loop as a statement and `let pat = ..;` after it:
/// the values move after the loop behind a flag when they read only names declared before the
/// loop, or are stored in a variable declared before it.
fn loop_value(stmt: &Stmt, next: &mut usize, rt: &TokenStream) -> Option<Vec<Stmt>> {
    let Stmt::Local(local) = stmt else { return None };
    let init = local.init.as_ref().filter(|i| i.diverge.is_none())?;
    let Expr::Loop(lp) = &*init.expr else { return None };
    let mut lp = lp.clone();
    // A label only its own body's jumps name (`break 'l v;` as `break v;`) is dropped; one an
    // inner loop names stays, and lowering reports it.
    if let Some(label) = lp.label.take() {
        let mut own = OwnJumps { label: &label.name };
        own.visit_block_mut(&mut lp.body);
        let body = &lp.body;
        if quote::quote!(#body).to_string().contains(&label.name.to_string()) {
            return None;
        }
    }
    let lp = &lp;
    *next += 1;
    let (flag, slot) = (ident("__autodiff_break", *next), ident("__autodiff_value", *next));
    let bound = bound_names(&init.expr);
    let mut body = lp.body.clone();
    let mut values = Values { flag: &flag, slot: None, values: vec![], nested: false };
    values.visit_block_mut(&mut body);
    if values.nested || values.values.is_empty() {
        return None;
    }
    let pat = &local.pat;
    if values.values.iter().any(|e| reads_any(e, &bound)) {
        let mut body = lp.body.clone();
        let mut values = Values { flag: &flag, slot: Some(&slot), values: vec![], nested: false };
        values.visit_block_mut(&mut body);
        return Some(vec![
            parse_quote!(let mut #slot = #rt::placeholder();),
            parse_quote!(loop #body),
            parse_quote!(let #pat = #slot;),
        ]);
    }
    let n = values.values.len();
    let value: Expr = match values.values.as_slice() {
        [one] => one.clone(),
        many => {
            let arms = many[..n - 1].iter().enumerate().map(|(k, e)| {
                let (k, e) = (k + 1, crate::syntax::parenthesized_if_ambiguous(e.clone()));
                quote::quote!(#k => #e,)
            });
            let last = crate::syntax::parenthesized_if_ambiguous(many[n - 1].clone());
            parse_quote!(match #flag { #(#arms)* _ => #last })
        }
    };
    Some(vec![
        parse_quote!(let mut #flag: usize = 0;),
        parse_quote!(loop #body),
        parse_quote!(let #pat = #value;),
    ])
}

/// Removes the label `label` from the jumps of a loop's own body (not of inner loops).
struct OwnJumps<'a> {
    label: &'a syn::Lifetime,
}

impl VisitMut for OwnJumps<'_> {
    fn visit_expr_break_mut(&mut self, b: &mut syn::ExprBreak) {
        if b.label.as_ref() == Some(self.label) {
            b.label = None;
        }
        visit_mut::visit_expr_break_mut(self, b);
    }
    fn visit_expr_continue_mut(&mut self, c: &mut syn::ExprContinue) {
        if c.label.as_ref() == Some(self.label) {
            c.label = None;
        }
    }
    fn visit_expr_for_loop_mut(&mut self, _: &mut syn::ExprForLoop) {}
    fn visit_expr_while_mut(&mut self, _: &mut syn::ExprWhile) {}
    fn visit_expr_loop_mut(&mut self, _: &mut syn::ExprLoop) {}
    fn visit_expr_closure_mut(&mut self, _: &mut syn::ExprClosure) {}
    fn visit_item_mut(&mut self, _: &mut syn::Item) {}
}

/// Rewrites the loop's own `break e;` (not those of inner loops) into `flag = k; break;`, or
/// `slot = e; break;`, collecting the values; `nested` is set by a `break` with a value
/// elsewhere than as a statement.
struct Values<'a> {
    flag: &'a Ident,
    slot: Option<&'a Ident>,
    values: Vec<Expr>,
    nested: bool,
}

impl VisitMut for Values<'_> {
    fn visit_arm_mut(&mut self, arm: &mut syn::Arm) {
        arm_as_block(arm);
        visit_mut::visit_arm_mut(self, arm);
    }

    fn visit_block_mut(&mut self, block: &mut syn::Block) {
        let flag = self.flag;
        let mut stmts = Vec::new();
        for mut stmt in std::mem::take(&mut block.stmts) {
            if let Stmt::Expr(Expr::Break(b), _) = &stmt
                && b.label.is_none()
                && let Some(e) = b.expr.as_deref()
            {
                self.values.push(e.clone());
                let k = self.values.len();
                match self.slot {
                    Some(slot) => stmts.push(parse_quote!(#slot = #e;)),
                    None => stmts.push(parse_quote!(#flag = #k;)),
                }
                stmts.push(parse_quote!(break;));
                continue;
            }
            visit_mut::visit_stmt_mut(self, &mut stmt);
            stmts.push(stmt);
        }
        block.stmts = stmts;
    }

    fn visit_expr_break_mut(&mut self, b: &mut syn::ExprBreak) {
        self.nested |= b.expr.is_some();
    }
    // Inner loops' breaks are their own.
    fn visit_expr_for_loop_mut(&mut self, _: &mut syn::ExprForLoop) {}
    fn visit_expr_while_mut(&mut self, _: &mut syn::ExprWhile) {}
    fn visit_expr_loop_mut(&mut self, _: &mut syn::ExprLoop) {}
    fn visit_expr_closure_mut(&mut self, _: &mut syn::ExprClosure) {}
    fn visit_item_mut(&mut self, _: &mut syn::Item) {}
}

/// A `match` arm whose body is a jump (`=> return v,`, `=> break,`, `=> continue 'a,`) as a
/// block holding it as a statement, which the rewrites of jumps read.
pub(super) fn arm_as_block(arm: &mut syn::Arm) {
    if matches!(&*arm.body, Expr::Return(_) | Expr::Break(_) | Expr::Continue(_)) {
        let jump = arm.body.clone();
        *arm.body = parse_quote!({ #jump; });
        arm.comma = None;
    }
}

/// The loop a statement is, if any.
fn loop_of(stmt: &Stmt) -> Option<&Expr> {
    match stmt {
        Stmt::Expr(e @ (Expr::ForLoop(_) | Expr::While(_) | Expr::Loop(_)), _) => Some(e),
        _ => None,
    }
}

/// The body of a loop statement.
pub(super) fn body_of(stmt: &mut Stmt) -> Option<&mut syn::Block> {
    match stmt {
        Stmt::Expr(Expr::ForLoop(f), _) => Some(&mut f.body),
        Stmt::Expr(Expr::While(w), _) => Some(&mut w.body),
        Stmt::Expr(Expr::Loop(l), _) => Some(&mut l.body),
        _ => None,
    }
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
    /// Where a returned value that reads the loop's own names is kept.
    slot: &'a Ident,
    slot_used: bool,
    rt: &'a TokenStream,
    /// The names bound inside the outermost loop.
    bound: HashSet<String>,
    /// The returned expressions, the k-th returned when the flag is k + 1.
    returns: Vec<Expr>,
    /// The counter naming flags.
    next: &'a mut usize,
}

impl Inside<'_> {
    fn loop_body(&mut self, stmt: &mut Stmt) {
        if let Some(body) = body_of(stmt) {
            self.visit_block_mut(body);
        }
    }
}

impl VisitMut for Inside<'_> {
    fn visit_arm_mut(&mut self, arm: &mut syn::Arm) {
        arm_as_block(arm);
        visit_mut::visit_arm_mut(self, arm);
    }

    fn visit_block_mut(&mut self, block: &mut syn::Block) {
        let flag = self.flag;
        let mut stmts = Vec::new();
        let mut queue: std::collections::VecDeque<Stmt> = std::mem::take(&mut block.stmts).into();
        while let Some(mut stmt) = queue.pop_front() {
            if let Some(rewritten) = loop_value(&stmt, self.next, self.rt) {
                rewritten.into_iter().rev().for_each(|s| queue.push_front(s));
                continue;
            }
            if let Stmt::Expr(Expr::Return(r), _) = &stmt
                && let Some(e) = r.expr.as_deref()
            {
                let slot = self.slot;
                if reads_any(e, &self.bound) {
                    self.slot_used = true;
                    stmts.push(parse_quote!(#slot = #e;));
                    self.returns.push(parse_quote!(#slot));
                } else {
                    self.returns.push(e.clone());
                }
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
            // Branches and blocks that are statements; a `return` inside a value (`let y = if
            // c { return e; } else { .. };`) stays, and lowering reports it where it is.
            if matches!(&stmt, Stmt::Expr(Expr::If(_) | Expr::Match(_) | Expr::Block(_), _)) {
                visit_mut::visit_stmt_mut(self, &mut stmt);
            }
            stmts.push(stmt);
        }
        block.stmts = stmts;
    }

    fn visit_expr_closure_mut(&mut self, _: &mut syn::ExprClosure) {}
    fn visit_item_mut(&mut self, _: &mut syn::Item) {}
}

//! Before lowering: labelled loops lose their labels. `break 'outer` and `continue 'outer`
//! from an inner loop set a flag declared before the labelled loop and leave the inner loops
//! with plain `break`s; after each inner loop the flag is read:
//!
//! ```text
//! 'rows: for i in 0..n {                let mut __autodiff_exit1: usize = 0;
//!     for j in 0..n {                   for i in 0..n {
//!         if x[j] > 1.0 {                   for j in 0..n {
//!             continue 'rows;       =>          if x[j] > 1.0 { __autodiff_exit1 = 2; break; }
//!         }                                     s += x[i] * x[j];
//!         s += x[i] * x[j];                 }
//!     }                                     if __autodiff_exit1 == 1 { break; }
//! }                                         if __autodiff_exit1 == 2 { __autodiff_exit1 = 0; continue; }
//!                                       }
//! ```
//!
//! (1: break the labelled loop, 2: continue it; in loops between the two, `if flag != 0 {
//! break; }`.) At the labelled loop's own level, `break 'a` and `continue 'a` are plain. The
//! loop and branch lowerings then differentiate the result like any `break`.

use super::loop_returns::body_of;
use proc_macro2::Span;
use syn::visit_mut::{self, VisitMut};
use syn::{Expr, Ident, Lifetime, Stmt, parse_quote};

/// Removes the labels of the loops in a function body.
pub fn rewrite(body: &mut syn::Block) {
    Labels { next: 0 }.visit_block_mut(body);
}

struct Labels {
    next: usize,
}

/// The label of a loop statement.
fn label_of(stmt: &mut Stmt) -> Option<&mut Option<syn::Label>> {
    match stmt {
        Stmt::Expr(Expr::ForLoop(f), _) => Some(&mut f.label),
        Stmt::Expr(Expr::While(w), _) => Some(&mut w.label),
        Stmt::Expr(Expr::Loop(l), _) => Some(&mut l.label),
        _ => None,
    }
}

/// Whether `stmt` holds a `break 'label` or `continue 'label` (outside closures).
fn exits_to(stmt: &Stmt, label: &Lifetime) -> bool {
    struct Finder<'a>(&'a Lifetime, bool);
    impl<'a> syn::visit::Visit<'a> for Finder<'_> {
        fn visit_expr_break(&mut self, b: &'a syn::ExprBreak) {
            self.1 |= b.label.as_ref() == Some(self.0);
            syn::visit::visit_expr_break(self, b);
        }
        fn visit_expr_continue(&mut self, c: &'a syn::ExprContinue) {
            self.1 |= c.label.as_ref() == Some(self.0);
        }
        fn visit_expr_closure(&mut self, _: &'a syn::ExprClosure) {}
        fn visit_item(&mut self, _: &'a syn::Item) {}
    }
    let mut f = Finder(label, false);
    syn::visit::Visit::visit_stmt(&mut f, stmt);
    f.1
}

impl VisitMut for Labels {
    fn visit_block_mut(&mut self, block: &mut syn::Block) {
        let mut stmts = Vec::new();
        for mut stmt in std::mem::take(&mut block.stmts) {
            // Inner labelled loops first: each has its own flag.
            visit_mut::visit_stmt_mut(self, &mut stmt);
            // A loop whose exits to its label leave a loop used as a value keeps its label
            // (and the lowering's error): no flag can follow a loop inside an expression.
            let original = stmt.clone();
            let label = label_of(&mut stmt).and_then(|l| l.take()).map(|l| l.name);
            if let (Some(label), Some(body)) = (label, body_of(&mut stmt)) {
                self.next += 1;
                let flag = Ident::new(&format!("__autodiff_exit{}", self.next), Span::call_site());
                let mut exits =
                    Exits { label: &label, flag: &flag, depth: 0, used: false, refused: false };
                exits.visit_block_mut(body);
                if exits.refused {
                    stmts.push(original);
                    continue;
                }
                if exits.used {
                    stmts.push(parse_quote!(let mut #flag: usize = 0;));
                }
            }
            stmts.push(stmt);
        }
        block.stmts = stmts;
    }

    fn visit_expr_closure_mut(&mut self, _: &mut syn::ExprClosure) {}
    fn visit_item_mut(&mut self, _: &mut syn::Item) {}
}

/// Rewrites the exits to one labelled loop inside its body (`depth`: how many inner loops
/// enclose the code being rewritten).
struct Exits<'a> {
    label: &'a Lifetime,
    flag: &'a Ident,
    depth: usize,
    /// Whether an inner loop exits to the label (the flag is then needed).
    used: bool,
    /// Whether a loop used as a value (`let v = loop { .. break 'a; .. }`) exits to the label.
    refused: bool,
}

impl VisitMut for Exits<'_> {
    fn visit_arm_mut(&mut self, arm: &mut syn::Arm) {
        super::loop_returns::arm_as_block(arm);
        visit_mut::visit_arm_mut(self, arm);
    }

    fn visit_block_mut(&mut self, block: &mut syn::Block) {
        let (flag, label) = (self.flag, self.label);
        let mut stmts = Vec::new();
        for mut stmt in std::mem::take(&mut block.stmts) {
            let exit = match &stmt {
                Stmt::Expr(Expr::Break(b), _) if b.label.as_ref() == Some(label) => {
                    b.expr.is_none().then_some(1usize)
                }
                Stmt::Expr(Expr::Continue(c), _) if c.label.as_ref() == Some(label) => Some(2),
                _ => None,
            };
            match exit {
                Some(1) if self.depth == 0 => stmts.push(parse_quote!(break;)),
                Some(_) if self.depth == 0 => stmts.push(parse_quote!(continue;)),
                Some(k) => {
                    self.used = true;
                    stmts.push(parse_quote!(#flag = #k;));
                    stmts.push(parse_quote!(break;));
                }
                None if body_of(&mut stmt).is_some() && exits_to(&stmt, label) => {
                    self.depth += 1;
                    if let Some(body) = body_of(&mut stmt) {
                        self.visit_block_mut(body);
                    }
                    self.depth -= 1;
                    stmts.push(stmt);
                    if self.depth == 0 {
                        stmts.push(parse_quote!(if #flag == 1 { break; }));
                        stmts.push(parse_quote!(if #flag == 2 { #flag = 0; continue; }));
                    } else {
                        stmts.push(parse_quote!(if #flag != 0 { break; }));
                    }
                }
                None => {
                    visit_mut::visit_stmt_mut(self, &mut stmt);
                    stmts.push(stmt);
                }
            }
        }
        block.stmts = stmts;
    }

    fn visit_expr_mut(&mut self, e: &mut Expr) {
        // Loop statements are handled in `visit_block_mut`; a loop reached here is inside an
        // expression.
        if matches!(e, Expr::Loop(_) | Expr::While(_) | Expr::ForLoop(_))
            && exits_to(&Stmt::Expr(e.clone(), None), self.label)
        {
            self.refused = true;
            return;
        }
        visit_mut::visit_expr_mut(self, e);
    }

    fn visit_expr_closure_mut(&mut self, _: &mut syn::ExprClosure) {}
    fn visit_item_mut(&mut self, _: &mut syn::Item) {}
}

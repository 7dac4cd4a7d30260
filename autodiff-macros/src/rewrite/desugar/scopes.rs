//! Visitors that keep names by scope: the names a pattern binds hold over the code it covers (a
//! `for` body, a match arm, the block of an `if let` or a `while let`) and no further.

use syn::visit_mut::{self, VisitMut};
use syn::{Expr, Pat};

/// A visitor with scopes of names.
pub(super) trait Scoped: VisitMut {
    /// Starts a scope.
    fn enter(&mut self);
    /// Ends the innermost scope.
    fn leave(&mut self);
    /// Binds a pattern's names in the innermost scope.
    fn bind(&mut self, pat: &Pat);
}

/// `for pat in iter { body }`: `pat` over `body`.
pub(super) fn for_loop<V: Scoped>(v: &mut V, f: &mut syn::ExprForLoop) {
    v.visit_expr_mut(&mut f.expr);
    v.enter();
    v.bind(&f.pat);
    v.visit_block_mut(&mut f.body);
    v.leave();
}

/// `pat if guard => body`: `pat` over the guard and the body.
pub(super) fn arm<V: Scoped>(v: &mut V, arm: &mut syn::Arm) {
    v.enter();
    v.bind(&arm.pat);
    visit_mut::visit_arm_mut(v, arm);
    v.leave();
}

/// `if let pat = e { then } else { .. }`: `pat` over `then`.
pub(super) fn if_let<V: Scoped>(v: &mut V, i: &mut syn::ExprIf) {
    condition_over(v, &mut i.cond, &mut i.then_branch);
    if let Some((_, e)) = &mut i.else_branch {
        v.visit_expr_mut(e);
    }
}

/// `while let pat = e { body }`: `pat` over `body`.
pub(super) fn while_let<V: Scoped>(v: &mut V, w: &mut syn::ExprWhile) {
    condition_over(v, &mut w.cond, &mut w.body);
}

/// A condition and the block it guards, a `let` condition's names bound over the block.
fn condition_over<V: Scoped>(v: &mut V, cond: &mut Expr, block: &mut syn::Block) {
    v.enter();
    v.visit_expr_mut(cond);
    if let Expr::Let(l) = &*cond {
        v.bind(&l.pat);
    }
    v.visit_block_mut(block);
    v.leave();
}

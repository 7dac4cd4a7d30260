//! Names bound scope by scope: the one table every stage keeps of what a name refers to. A
//! block, a loop body, an arm, a closure opens a scope; a binding holds until its scope closes
//! and hides the same name in enclosing scopes. What a name holds is the stage's own: the
//! rewrite stage keeps whether it is a sequence of floats (`rewrite/desugar/float_names.rs`),
//! lowering the IR value it refers to (`lower/env.rs`), and the renaming of expressions kept as
//! written the names bound inside them (`lower/rename.rs`), the desugaring's argument borrowing
//! the names it may still rewrite.
//!
//! The walkers ([`for_loop`], [`arm`], [`if_let`], [`while_let`]) say, once for every visitor,
//! which patterns bind names over which code.
//!
//! ```text
//! let x = ..;          scopes [[x]]
//! for x in .. {        scopes [[x], [x]]    lookup("x") finds the loop's
//! }                    scopes [[x]]         the `let`'s again
//! ```

use syn::visit_mut::{self, VisitMut};
use syn::{Expr, Pat};

/// Scopes of bindings, innermost last, each binding in the order it was made.
#[derive(Clone)]
pub struct Scopes<T> {
    scopes: Vec<Vec<(String, T)>>,
}

impl<T> Default for Scopes<T> {
    fn default() -> Self {
        Scopes { scopes: Vec::new() }
    }
}

impl<T> Scopes<T> {
    /// Opens a scope.
    pub fn push(&mut self) {
        self.scopes.push(Vec::new());
    }

    /// Closes the innermost scope, forgetting its bindings.
    pub fn pop(&mut self) {
        self.scopes.pop();
    }

    /// Binds `name` in the innermost scope (opening one if there is none), hiding any earlier
    /// binding of it.
    pub fn bind(&mut self, name: impl Into<String>, value: T) {
        if self.scopes.is_empty() {
            self.push();
        }
        if let Some(scope) = self.scopes.last_mut() {
            scope.push((name.into(), value));
        }
    }

    /// What `name` holds here: its innermost, latest binding.
    pub fn lookup(&self, name: &str) -> Option<&T> {
        self.scopes
            .iter()
            .rev()
            .flat_map(|s| s.iter().rev())
            .find(|(n, _)| n == name)
            .map(|(_, v)| v)
    }

    /// [`Scopes::lookup`], to change what the binding holds.
    pub fn lookup_mut(&mut self, name: &str) -> Option<&mut T> {
        self.scopes
            .iter_mut()
            .rev()
            .flat_map(|s| s.iter_mut().rev())
            .find(|(n, _)| n == name)
            .map(|(_, v)| v)
    }

    /// The binding at a position `(scope, index)` (see [`Scopes::positions`]).
    pub fn at(&self, (i, j): (usize, usize)) -> Option<&(String, T)> {
        self.scopes.get(i).and_then(|s| s.get(j))
    }

    /// [`Scopes::at`], to change what the binding holds.
    pub fn at_mut(&mut self, (i, j): (usize, usize)) -> Option<&mut (String, T)> {
        self.scopes.get_mut(i).and_then(|s| s.get_mut(j))
    }

    /// Every binding's position `(scope, index)`, outermost first.
    pub fn positions(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        self.scopes.iter().enumerate().flat_map(|(i, s)| (0..s.len()).map(move |j| (i, j)))
    }
}

/// A visitor that keeps scopes of names: the walkers below call it where a construct binds
/// names over the code it covers.
pub trait Scoped: VisitMut {
    /// Starts a scope.
    fn enter(&mut self);
    /// Ends the innermost scope.
    fn leave(&mut self);
    /// Binds a pattern's names in the innermost scope.
    fn bind(&mut self, pat: &Pat);
}

/// `for pat in iter { body }`: `pat` over `body`.
pub fn for_loop<V: Scoped>(v: &mut V, f: &mut syn::ExprForLoop) {
    v.visit_expr_mut(&mut f.expr);
    v.enter();
    v.bind(&f.pat);
    v.visit_block_mut(&mut f.body);
    v.leave();
}

/// `pat if guard => body`: `pat` over the guard and the body.
pub fn arm<V: Scoped>(v: &mut V, arm: &mut syn::Arm) {
    v.enter();
    v.bind(&arm.pat);
    visit_mut::visit_arm_mut(v, arm);
    v.leave();
}

/// `if let pat = e { then } else { .. }`: `pat` over `then`.
pub fn if_let<V: Scoped>(v: &mut V, i: &mut syn::ExprIf) {
    condition_over(v, &mut i.cond, &mut i.then_branch);
    if let Some((_, e)) = &mut i.else_branch {
        v.visit_expr_mut(e);
    }
}

/// `while let pat = e { body }`: `pat` over `body`.
pub fn while_let<V: Scoped>(v: &mut V, w: &mut syn::ExprWhile) {
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

/// The `VisitMut` methods of a [`Scoped`] visitor for the constructs that bind names over the
/// code they cover (`for`, match arms, `if let`, `while let`), written once.
macro_rules! scoped_visits {
    () => {
        fn visit_expr_for_loop_mut(&mut self, f: &mut syn::ExprForLoop) {
            $crate::scopes::for_loop(self, f);
        }

        fn visit_arm_mut(&mut self, arm: &mut syn::Arm) {
            $crate::scopes::arm(self, arm);
        }

        fn visit_expr_if_mut(&mut self, i: &mut syn::ExprIf) {
            $crate::scopes::if_let(self, i);
        }

        fn visit_expr_while_mut(&mut self, w: &mut syn::ExprWhile) {
            $crate::scopes::while_let(self, w);
        }
    };
}
pub(crate) use scoped_visits;

#[cfg(test)]
mod tests {
    use super::Scopes;

    #[test]
    fn an_inner_binding_hides_an_outer_one_until_its_scope_closes() {
        let mut s = Scopes::default();
        s.bind("x", 1);
        s.push();
        s.bind("x", 2);
        s.bind("y", 3);
        assert_eq!((s.lookup("x"), s.lookup("y")), (Some(&2), Some(&3)));
        *s.lookup_mut("x").expect("bound") = 4;
        assert_eq!(s.at((1, 0)), Some(&("x".to_string(), 4)));
        s.pop();
        assert_eq!((s.lookup("x"), s.lookup("y")), (Some(&1), None));
        assert_eq!(s.positions().collect::<Vec<_>>(), vec![(0, 0)]);
    }
}

//! The lowering environment: which IR value each source name refers to, scope by scope (the
//! shared [`Scopes`] table).

use crate::ir::Var;
use crate::scopes::Scopes;

/// The value a source name refers to now.
#[derive(Clone)]
pub struct Binding {
    /// The name in the source.
    pub name: String,
    /// The value it refers to (reassignment rebinds it to a new value).
    pub var: Var,
    /// Whether it is an active parameter, which must not be assigned to.
    pub active_param: bool,
    /// Whether it is a parameter's own binding (not a `let` of the same name).
    pub param: bool,
    /// Whether it borrows the value (`let r = &h;` of a local tensor, array or nalgebra value):
    /// read as `&h` where it is passed on.
    pub borrowed: bool,
}

/// Nested scopes of bindings, innermost last.
#[derive(Clone, Default)]
pub struct Env {
    scopes: Scopes<Binding>,
}

impl Env {
    /// Opens a scope (a block, an arm).
    pub fn push(&mut self) {
        self.scopes.push();
    }

    /// Closes the innermost scope.
    pub fn pop(&mut self) {
        self.scopes.pop();
    }

    /// Declares `name` in the innermost scope (shadowing any outer one).
    pub fn bind(&mut self, name: &str, var: Var, active_param: bool) {
        let binding =
            Binding { name: name.to_string(), var, active_param, param: false, borrowed: false };
        self.scopes.bind(name, binding);
    }

    /// Declares `name` as a borrow of the local value `var` (`let r = &h;`).
    pub fn bind_borrowed(&mut self, name: &str, var: Var) {
        let binding = Binding {
            name: name.to_string(),
            var,
            active_param: false,
            param: false,
            borrowed: true,
        };
        self.scopes.bind(name, binding);
    }

    /// Declares a parameter (`active`: one we differentiate with respect to).
    pub fn bind_param(&mut self, name: &str, var: Var, active: bool) {
        self.scopes.bind(
            name,
            Binding {
                name: name.to_string(),
                var,
                active_param: active,
                param: true,
                borrowed: false,
            },
        );
    }

    /// The binding `name` refers to here.
    pub fn lookup(&self, name: &str) -> Option<&Binding> {
        self.scopes.lookup(name)
    }

    /// Rebinds `name` (an assignment); false if there is no such binding.
    pub fn assign(&mut self, name: &str, var: Var) -> bool {
        match self.scopes.lookup_mut(name) {
            Some(b) => {
                b.var = var;
                true
            }
            None => false,
        }
    }

    /// The positions `(scope, index)` of the bindings of `before` whose value differs here.
    /// `self` must have `before`'s scopes (an arm's inner scopes already closed).
    pub fn changed_since(&self, before: &Env) -> Vec<(usize, usize)> {
        before
            .scopes
            .positions()
            .filter(|pos| {
                let then = before.scopes.at(*pos).map(|(_, b)| b.var);
                let now = self.scopes.at(*pos).map(|(_, b)| b.var);
                now.is_some_and(|v| Some(v) != then)
            })
            .collect()
    }

    /// The binding at a position returned by [`Env::changed_since`].
    pub fn at(&self, pos: (usize, usize)) -> Option<&Binding> {
        self.scopes.at(pos).map(|(_, b)| b)
    }

    /// Rebinds the binding at a position.
    pub fn set_at(&mut self, pos: (usize, usize), var: Var) {
        if let Some((_, b)) = self.scopes.at_mut(pos) {
            b.var = var;
        }
    }
}

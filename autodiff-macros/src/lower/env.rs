//! The lowering environment: which IR value each source name refers to, scope by scope.

use crate::ir::Var;

/// A source name and the value it refers to now.
#[derive(Clone)]
pub struct Binding {
    /// The name in the source.
    pub name: String,
    /// The value it refers to (reassignment rebinds it to a new value).
    pub var: Var,
    /// Whether it is an active parameter, which must not be assigned to.
    pub active_param: bool,
}

/// Nested scopes of bindings, innermost last.
#[derive(Clone, Default)]
pub struct Env {
    /// The scopes, outermost first.
    pub scopes: Vec<Vec<Binding>>,
}

impl Env {
    /// Opens a scope (a block, an arm).
    pub fn push(&mut self) {
        self.scopes.push(Vec::new());
    }

    /// Closes the innermost scope.
    pub fn pop(&mut self) {
        self.scopes.pop();
    }

    /// Declares `name` in the innermost scope (shadowing any outer one).
    pub fn bind(&mut self, name: &str, var: Var, active_param: bool) {
        if self.scopes.is_empty() {
            self.push();
        }
        if let Some(scope) = self.scopes.last_mut() {
            scope.push(Binding { name: name.to_string(), var, active_param });
        }
    }

    /// The binding `name` refers to here.
    pub fn lookup(&self, name: &str) -> Option<&Binding> {
        self.scopes.iter().rev().flat_map(|s| s.iter().rev()).find(|b| b.name == name)
    }

    /// Rebinds `name` (an assignment); false if there is no such binding.
    pub fn assign(&mut self, name: &str, var: Var) -> bool {
        let found =
            self.scopes.iter_mut().rev().flat_map(|s| s.iter_mut().rev()).find(|b| b.name == name);
        match found {
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
        let mut out = Vec::new();
        for (i, scope) in before.scopes.iter().enumerate() {
            for (j, b) in scope.iter().enumerate() {
                let now = self.scopes.get(i).and_then(|s| s.get(j)).map(|b| b.var);
                if now.is_some_and(|v| v != b.var) {
                    out.push((i, j));
                }
            }
        }
        out
    }

    /// The binding at a position returned by [`Env::changed_since`].
    pub fn at(&self, (i, j): (usize, usize)) -> Option<&Binding> {
        self.scopes.get(i).and_then(|s| s.get(j))
    }

    /// Rebinds the binding at a position.
    pub fn set_at(&mut self, (i, j): (usize, usize), var: Var) {
        if let Some(b) = self.scopes.get_mut(i).and_then(|s| s.get_mut(j)) {
            b.var = var;
        }
    }
}

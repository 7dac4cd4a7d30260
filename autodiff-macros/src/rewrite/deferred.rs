//! `let y;` then an `if`/`else` chain whose every arm ends by assigning `y` (as Rust's definite
//! assignment allows) -> `let y = if .. { ..; a } else { ..; b };`, the form lowering knows.
//! Other uses of a `let` without a value are left to lowering, which reports them.
//!
//! ```text
//! let y;  if c { y = a; } else if d { s += 1.0; y = b; } else { y = e; }
//!     => let y = if c { a } else if d { s += 1.0; b } else { e };
//! ```

use syn::visit_mut::{self, VisitMut};
use syn::{Expr, Pat, Stmt};

/// Rewrites the deferred `let`s of `block` and of the blocks inside it.
pub fn rewrite(block: &mut syn::Block) {
    Deferred.visit_block_mut(block);
}

struct Deferred;

impl VisitMut for Deferred {
    fn visit_block_mut(&mut self, block: &mut syn::Block) {
        visit_mut::visit_block_mut(self, block);
        let mut i = 0;
        while i + 1 < block.stmts.len() {
            if let Some(name) = deferred_name(&block.stmts[i])
                && let Stmt::Expr(Expr::If(chain), _) = &block.stmts[i + 1]
                && let Some(value) = assigned_in_every_arm(chain, &name)
                && let Stmt::Local(local) = &mut block.stmts[i]
            {
                local.init = Some(syn::LocalInit {
                    eq_token: Default::default(),
                    expr: Box::new(Expr::If(value)),
                    diverge: None,
                });
                block.stmts.remove(i + 1);
            }
            i += 1;
        }
    }
}

/// `let y;` or `let y: T;` (not `mut`): `y`.
fn deferred_name(stmt: &Stmt) -> Option<syn::Ident> {
    let Stmt::Local(local) = stmt else { return None };
    if local.init.is_some() {
        return None;
    }
    let pat = match &local.pat {
        Pat::Type(t) => &*t.pat,
        p => p,
    };
    match pat {
        Pat::Ident(pi) if pi.by_ref.is_none() && pi.subpat.is_none() && pi.mutability.is_none() => {
            Some(pi.ident.clone())
        }
        _ => None,
    }
}

/// The chain with each arm's final `name = value;` turned into its value, when every arm (an
/// `else` included) ends so and names `name` nowhere else.
fn assigned_in_every_arm(chain: &syn::ExprIf, name: &syn::Ident) -> Option<syn::ExprIf> {
    let mut out = chain.clone();
    out.then_branch = arm_value(&chain.then_branch, name)?;
    let (_, otherwise) = chain.else_branch.as_ref()?;
    let otherwise = match &**otherwise {
        Expr::If(inner) => Expr::If(assigned_in_every_arm(inner, name)?),
        Expr::Block(b) if b.label.is_none() => {
            Expr::Block(syn::ExprBlock { block: arm_value(&b.block, name)?, ..b.clone() })
        }
        _ => return None,
    };
    if mentions(&chain.cond, name) {
        return None;
    }
    out.else_branch = chain.else_branch.as_ref().map(|(t, _)| (*t, Box::new(otherwise)));
    Some(out)
}

/// `{ ..; name = value; }` -> `{ ..; value }`, when nothing before names `name`.
fn arm_value(block: &syn::Block, name: &syn::Ident) -> Option<syn::Block> {
    let (last, before) = block.stmts.split_last()?;
    let Stmt::Expr(Expr::Assign(assign), Some(_)) = last else { return None };
    if !matches!(&*assign.left, Expr::Path(p) if p.path.is_ident(name))
        || mentions(&assign.right, name)
    {
        return None;
    }
    if before.iter().any(|s| mentions(s, name)) {
        return None;
    }
    let mut out = block.clone();
    out.stmts.pop();
    out.stmts.push(Stmt::Expr((*assign.right).clone(), None));
    Some(out)
}

/// Whether code names `name` anywhere (macros' tokens included).
fn mentions(code: &impl quote::ToTokens, name: &syn::Ident) -> bool {
    crate::syntax::mentions_ident(code.to_token_stream(), name)
}

//! `let y;` then an `if`/`else` chain whose every arm ends by assigning `y` (as Rust's definite
//! assignment allows) -> `let y = if .. { ..; a } else { ..; b };`, the form lowering knows.
//! Other uses of a `let` without a value are left to lowering, which reports them.
//!
//! ```text
//! let y;  if c { y = a; } else if d { s += 1.0; y = b; } else { y = e; }
//!     => let y = if c { a } else if d { s += 1.0; b } else { e };
//! let lo; let hi;  if c { lo = x; hi = y; } else { hi = x; lo = y; }
//!     => let (lo, hi) = if c { let d0 = x; let d1 = y; (d0, d1) }
//!                       else { let d1 = x; let d0 = y; (d0, d1) };   (in the arms' order, typed)
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
            // `let a; let b; ..` right before the chain
            let names: Vec<(syn::Ident, Option<syn::Type>)> =
                block.stmts[i..].iter().map_while(deferred_name).collect();
            let k = names.len();
            if k > 0
                && let Some(Stmt::Expr(Expr::If(chain), _)) = block.stmts.get(i + k)
                && let Some(value) = assigned_in_every_arm(chain, &names)
            {
                let ids: Vec<&syn::Ident> = names.iter().map(|(n, _)| n).collect();
                // (several: a tuple of their values, their types left to inference, as the
                // arms' values give them)
                let local: Stmt = match &names[..] {
                    [(n, Some(t))] => syn::parse_quote!(let #n: #t = #value;),
                    [(n, None)] => syn::parse_quote!(let #n = #value;),
                    _ => syn::parse_quote!(let (#(#ids),*) = #value;),
                };
                block.stmts.splice(i..=i + k, [local]);
            }
            i += 1;
        }
    }
}

/// `let y;` or `let y: T;` (not `mut`): `y` and its type.
fn deferred_name(stmt: &Stmt) -> Option<(syn::Ident, Option<syn::Type>)> {
    let Stmt::Local(local) = stmt else { return None };
    if local.init.is_some() {
        return None;
    }
    let (pat, ty) = match &local.pat {
        Pat::Type(t) => (&*t.pat, Some((*t.ty).clone())),
        p => (p, None),
    };
    match pat {
        Pat::Ident(pi) if pi.by_ref.is_none() && pi.subpat.is_none() && pi.mutability.is_none() => {
            Some((pi.ident.clone(), ty))
        }
        _ => None,
    }
}

/// The chain with each arm's final assignments of `names` (one each, in any order) turned into
/// its value (a tuple of them in `names`' order, for more than one), when every arm (an `else`
/// included) ends so and names them nowhere else.
fn assigned_in_every_arm(
    chain: &syn::ExprIf,
    names: &[(syn::Ident, Option<syn::Type>)],
) -> Option<syn::ExprIf> {
    let mut out = chain.clone();
    out.then_branch = arm_value(&chain.then_branch, names)?;
    let (_, otherwise) = chain.else_branch.as_ref()?;
    let otherwise = match &**otherwise {
        Expr::If(inner) => Expr::If(assigned_in_every_arm(inner, names)?),
        Expr::Block(b) if b.label.is_none() => {
            Expr::Block(syn::ExprBlock { block: arm_value(&b.block, names)?, ..b.clone() })
        }
        _ => return None,
    };
    if names.iter().any(|(n, _)| mentions(&chain.cond, n)) {
        return None;
    }
    out.else_branch = chain.else_branch.as_ref().map(|(t, _)| (*t, Box::new(otherwise)));
    Some(out)
}

/// `{ ..; a = x; b = y; }` -> `{ ..; (x, y) }` (`{ ..; x }` for one name), when nothing before
/// or in the values names them.
fn arm_value(block: &syn::Block, names: &[(syn::Ident, Option<syn::Type>)]) -> Option<syn::Block> {
    let k = names.len();
    let split = block.stmts.len().checked_sub(k)?;
    let (before, last) = block.stmts.split_at(split);
    let mut values: Vec<Option<Expr>> = vec![None; k];
    for stmt in last {
        let Stmt::Expr(Expr::Assign(assign), Some(_)) = stmt else { return None };
        let Expr::Path(p) = &*assign.left else { return None };
        let at = names.iter().position(|(n, _)| p.path.is_ident(n))?;
        if values[at].is_some() || names.iter().any(|(n, _)| mentions(&assign.right, n)) {
            return None;
        }
        values[at] = Some((*assign.right).clone());
    }
    if before.iter().any(|s| names.iter().any(|(n, _)| mentions(s, n))) {
        return None;
    }
    let values: Vec<Expr> = values.into_iter().collect::<Option<_>>()?;
    let mut out = block.clone();
    out.stmts.truncate(split);
    let value: Expr = match &values[..] {
        [one] => one.clone(),
        // (each value bound in the order the arm assigns it, with its name's type: the values
        // may draw from a generator, and a literal must take the declared float type)
        _ => {
            let temp = |at: usize| quote::format_ident!("__autodiff_deferred{}", at);
            for stmt in last {
                let Stmt::Expr(Expr::Assign(assign), _) = stmt else { return None };
                let Expr::Path(p) = &*assign.left else { return None };
                let at = names.iter().position(|(n, _)| p.path.is_ident(n))?;
                let (t, rhs) = (temp(at), &assign.right);
                out.stmts.push(match &names[at].1 {
                    Some(ty) => syn::parse_quote!(let #t: #ty = #rhs;),
                    None => syn::parse_quote!(let #t = #rhs;),
                });
            }
            let temps = (0..values.len()).map(temp);
            syn::parse_quote!((#(#temps),*))
        }
    };
    out.stmts.push(Stmt::Expr(value, None));
    Some(out)
}

/// Whether code names `name` anywhere (macros' tokens included).
fn mentions(code: &impl quote::ToTokens, name: &syn::Ident) -> bool {
    crate::syntax::mentions_ident(code.to_token_stream(), name)
}

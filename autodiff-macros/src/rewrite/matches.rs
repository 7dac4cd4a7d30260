//! A `match` whose arms only bind the value to a name (with guards), as a chain of `if`s, so
//! the value may depend on active parameters (lowering branches on conditions, which are
//! inactive, and the bound names are plain values):
//!
//! ```text
//! match r.abs() {                       { let __autodiff_scrutinee = r.abs();
//!     a if a <= delta => 0.5 * r * r,     if { let a = __autodiff_scrutinee; a <= delta } { let a = __autodiff_scrutinee; 0.5 * r * r }
//!     a => delta * (a - 0.5 * delta),     else { let a = __autodiff_scrutinee; delta * (a - 0.5 * delta) } }
//! }
//! ```
//!
//! The last arm must match anything (a name or `_` without a guard), as Rust's exhaustiveness
//! requires of such a `match`; any other `match` is left as written.

use syn::visit_mut::{self, VisitMut};
use syn::{Expr, Pat, parse_quote};

/// Rewrites the `match`es of `block` whose arms bind names.
pub fn rewrite(block: &mut syn::Block) {
    Matches.visit_block_mut(block);
}

struct Matches;

/// An arm's name (`None` for `_`) and guard, if it binds the value to a name or ignores it.
fn binding_arm(arm: &syn::Arm) -> Option<(Option<&syn::Ident>, Option<&Expr>)> {
    let (pat, guard) = match &arm.pat {
        Pat::Guard(g) => (&*g.pat, Some(&*g.guard)),
        p => (p, None),
    };
    match pat {
        Pat::Ident(pi) if pi.by_ref.is_none() && pi.subpat.is_none() => {
            Some((Some(&pi.ident), guard))
        }
        Pat::Wild(_) => Some((None, guard)),
        _ => None,
    }
}

impl VisitMut for Matches {
    fn visit_expr_mut(&mut self, e: &mut Expr) {
        visit_mut::visit_expr_mut(self, e);
        let Expr::Match(m) = e else { return };
        let arms: Option<Vec<_>> = m.arms.iter().map(binding_arm).collect();
        let Some(arms) = arms else { return };
        // Only when some arm binds a name (a `match` of `_`s alone is a plain `match`), and
        // the last arm matches anything.
        let named = arms.iter().any(|(name, _)| name.is_some());
        if !named || !matches!(arms.last(), Some((_, None))) {
            return;
        }
        let scrutinee = quote::format_ident!("__autodiff_scrutinee");
        let bind = |name: Option<&syn::Ident>| match name {
            Some(n) => quote::quote!(let #n = #scrutinee;),
            None => quote::quote!(),
        };
        let mut chain: Option<Expr> = None;
        for ((name, guard), arm) in arms.iter().zip(&m.arms).rev() {
            let (b, body) = (bind(*name), &arm.body);
            let value: Expr = parse_quote!({ #b #body });
            chain = Some(match (guard, chain) {
                (Some(g), Some(rest)) => parse_quote!(if { #b #g } #value else { #rest }),
                (_, Some(rest)) if guard.is_none() => {
                    // an arm without a guard catches everything: what follows is unreachable
                    let _ = rest;
                    value
                }
                (_, _) => value,
            });
        }
        let (Some(chain), s) = (chain, &m.expr) else { return };
        *e = parse_quote!({ let #scrutinee = #s; #chain });
    }
}

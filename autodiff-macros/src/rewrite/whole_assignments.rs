//! A buffer of floats assigned whole (a state vector stepped forward:
//! `let mut state = x0.to_vec(); for .. { state = step(&state, dt); }`, or double buffering,
//! `pos = next;`) takes the new value's elements, which lowering differentiates as writes:
//!
//! ```text
//! state = step(&state, dt);   =>   { let new: Vec<f64> = step(&state, dt); state.copy_from_slice(&new); }
//! pos = next;                 =>   pos.copy_from_slice(&next);
//! ```
//!
//! A buffer is one `Vec` for the whole function (lowering writes it in place), so its length
//! stays: a new value of another length panics (`__private::assigned_whole` says so). Only a name every
//! `let` of which gives a `Vec` (or array) of floats by its type, and which lowering makes a
//! buffer (a copy `x.to_vec()`, `v.clone()`, `.collect()`, `vec![..]`, or a name written
//! element by element), is rewritten: a `Vec` only ever assigned whole is a plain value.

use crate::kind::{Kind, Seq};
use std::collections::HashMap;
use syn::visit::Visit;
use syn::visit_mut::{self, VisitMut};
use syn::{Expr, Pat, Stmt, parse_quote};

/// Rewrites the whole assignments of `block`'s buffers.
pub fn rewrite(block: &mut syn::Block, rt: &proc_macro2::TokenStream) {
    let written = crate::syntax::element_writes(block);
    let mut lets = Lets(HashMap::new());
    lets.visit_block(block);
    let buffers: HashMap<String, syn::Type> = lets
        .0
        .into_iter()
        .filter_map(|(name, seen)| {
            let (ty, made) = seen?;
            (made || written.contains(&name)).then_some((name, ty))
        })
        .collect();
    if !buffers.is_empty() {
        Assignments(buffers, rt.clone()).visit_block_mut(block);
    }
}

/// For each name bound by a `let`: its type and whether a `let` of it makes a buffer, or
/// `None` when some binding of it is not a typed `let mut` of a sequence of floats (or the
/// types differ).
struct Lets(HashMap<String, Option<(syn::Type, bool)>>);

impl<'a> Visit<'a> for Lets {
    fn visit_local(&mut self, l: &'a syn::Local) {
        let typed = match &l.pat {
            Pat::Type(t) => match &*t.pat {
                Pat::Ident(pi) if pi.mutability.is_some() && pi.subpat.is_none() => {
                    Some((pi.ident.to_string(), (*t.ty).clone()))
                }
                _ => None,
            },
            _ => None,
        };
        let floats = |ty: &syn::Type| {
            matches!(Kind::of_type(ty), Kind::Seq(Seq::Vec | Seq::Array))
                && Kind::element_type(ty).is_some_and(|e| Kind::of_type(&e) == Kind::Float)
        };
        match typed {
            Some((name, ty)) if floats(&ty) => {
                let made = l.init.as_ref().is_some_and(|i| makes_buffer(&i.expr));
                let entry = self.0.entry(name).or_insert_with(|| Some((ty.clone(), false)));
                *entry = match entry.take() {
                    Some((t, m)) if t == ty => Some((t, m || made)),
                    _ => None,
                };
            }
            _ => {
                for name in crate::syntax::pattern_names(&l.pat) {
                    self.0.insert(name, None);
                }
            }
        }
        syn::visit::visit_local(self, l);
    }
}

/// Whether a `let`'s value is a copy or a new `Vec` that lowering fills element by element.
fn makes_buffer(e: &Expr) -> bool {
    match e {
        Expr::MethodCall(m) => {
            matches!(m.method.to_string().as_str(), "to_vec" | "clone" | "to_owned" | "collect")
        }
        // (not `vec![]`: an empty start only ever assigned whole is a plain value)
        Expr::Macro(m) => m.mac.path.is_ident("vec") && !m.mac.tokens.is_empty(),
        _ => false,
    }
}

struct Assignments(HashMap<String, syn::Type>, proc_macro2::TokenStream);

impl VisitMut for Assignments {
    fn visit_stmt_mut(&mut self, s: &mut Stmt) {
        visit_mut::visit_stmt_mut(self, s);
        let Stmt::Expr(Expr::Assign(a), Some(_)) = &*s else { return };
        let Expr::Path(p) = &*a.left else { return };
        let Some(name) = p.path.get_ident() else { return };
        let Some(ty) = self.0.get(&name.to_string()) else { return };
        let (rhs, rt, text) = (&a.right, &self.1, name.to_string());
        let new = syn::Ident::new("__autodiff_whole", proc_macro2::Span::call_site());
        // (a new length panics, saying why, before `copy_from_slice` would)
        *s = match &**rhs {
            Expr::Path(_) => parse_quote!({
                #rt::assigned_whole(#rhs.len(), #name.len(), #text);
                #name.copy_from_slice(&#rhs);
            }),
            _ => parse_quote!({
                let #new: #ty = #rhs;
                #rt::assigned_whole(#new.len(), #name.len(), #text);
                #name.copy_from_slice(&#new);
            }),
        };
    }
}

#[cfg(test)]
mod tests {
    use quote::ToTokens;

    fn rewritten(mut body: syn::Block) -> String {
        super::rewrite(&mut body, &quote::quote!(rt));
        body.to_token_stream().to_string()
    }

    #[test]
    fn a_copy_stepped_forward_takes_the_new_elements() {
        let text = rewritten(syn::parse_quote!({
            let mut state: Vec<f64> = x0.to_vec();
            for _ in 0..10 {
                state = step(&state, dt);
            }
            state[0]
        }));
        assert!(
            text.contains("let __autodiff_whole : Vec < f64 > = step (& state , dt) ;"),
            "{text}"
        );
    }

    #[test]
    fn double_buffering_copies_the_other_buffer() {
        let text = rewritten(syn::parse_quote!({
            let mut pos: Vec<f64> = pos0.to_vec();
            for _ in 0..10 {
                let mut next: Vec<f64> = vec![0.0; n];
                next[0] = pos[0];
                pos = next;
            }
            pos[0]
        }));
        assert!(text.contains("pos . copy_from_slice (& next) ;"), "{text}");
        assert!(
            text.contains("rt :: assigned_whole (next . len () , pos . len () , \"pos\")"),
            "{text}"
        );
    }

    #[test]
    fn a_value_only_assigned_whole_or_untyped_is_left_alone() {
        let body: syn::Block = syn::parse_quote!({
            let mut state: Vec<f64> = step(x0, dt);
            let mut other = x0.to_vec();
            let mut best: Vec<f64> = vec![];
            for _ in 0..10 {
                state = step(&state, dt);
                other = step(&other, dt);
                best = state.clone();
            }
            state[0] + other[0]
        });
        let text = rewritten(body);
        assert!(!text.contains("copy_from_slice"), "{text}");
    }
}

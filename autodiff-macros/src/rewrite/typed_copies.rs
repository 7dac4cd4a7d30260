//! A copy of a sequence parameter bound without a type (`let mut x = x0.to_vec();`, also
//! `.to_owned()`, and `let mut y = x;` of a `Vec` or array parameter, a move made a copy)
//! gets the type the parameter's declaration gives it
//! (`let mut x: Vec<f64> = x0.to_vec();` for `x0: &[f64]`). Lowering then knows the copy holds
//! floats even when the parameter is left out of `wrt(..)` (a simulation's initial state) and
//! later writes make the copy depend on an active parameter; without it, that was an error asking
//! for the annotation.

use crate::kind::Kind;
use syn::visit::Visit;
use syn::visit_mut::{self, VisitMut};
use syn::{Expr, Pat, parse_quote};

/// Types the copies of `block`; `params` are the parameters' names, kinds and types.
pub fn rewrite(block: &mut syn::Block, params: &[(String, Kind, syn::Type)]) {
    // a name bound again anywhere in the body may not be the parameter where it is copied
    // (but for one copy of itself at the top, `let mut x = x;`, which binds it to the copy)
    let mut bound = Bound(Vec::new());
    bound.visit_block(block);
    let own_copies = self_copies(block);
    let still_the_parameter = |n: &String| {
        let times = bound.0.iter().filter(|b| *b == n).count();
        times == 0 || (times == 1 && own_copies.contains(n))
    };
    let sequences: Vec<(String, syn::Type)> = params
        .iter()
        .filter(|(n, k, _)| matches!(k, Kind::Seq(_)) && still_the_parameter(n))
        .filter_map(|(n, _, t)| Some((n.clone(), Kind::element_type(t)?)))
        .collect();
    if !sequences.is_empty() {
        Copies(&sequences).visit_block_mut(block);
    }
    // `let mut y = x;` of a `Vec` parameter moves it, of an array parameter copies it: a `Vec`
    // becomes a copy (`x.to_vec()`, a buffer written in place), an array gets its type
    let moved: Vec<(String, syn::Type)> = params
        .iter()
        .filter(|(n, k, _)| {
            matches!(k, Kind::Seq(crate::kind::Seq::Vec | crate::kind::Seq::Array))
                && still_the_parameter(n)
        })
        .map(|(n, _, t)| (n.clone(), t.clone()))
        .collect();
    if !moved.is_empty() {
        Moves(&moved).visit_block_mut(block);
    }
}

/// The names the block's own statements copy into themselves: `let [mut] x = x;`.
fn self_copies(block: &syn::Block) -> Vec<String> {
    block
        .stmts
        .iter()
        .filter_map(|s| match s {
            syn::Stmt::Local(l) => {
                let Pat::Ident(pi) = &l.pat else { return None };
                let init = l.init.as_ref()?;
                let Expr::Path(p) = &*init.expr else { return None };
                p.path.is_ident(&pi.ident).then(|| pi.ident.to_string())
            }
            _ => None,
        })
        .collect()
}

/// The `Vec` and array parameters' names with their types.
struct Moves<'p>(&'p [(String, syn::Type)]);

impl VisitMut for Moves<'_> {
    fn visit_local_mut(&mut self, l: &mut syn::Local) {
        visit_mut::visit_local_mut(self, l);
        let Pat::Ident(pi) = &l.pat else { return };
        if pi.mutability.is_none() {
            return;
        }
        let Some(init) = &mut l.init else { return };
        let Expr::Path(p) = &*init.expr else { return };
        let Some(name) = p.path.get_ident().cloned() else { return };
        let Some((_, ty)) = self.0.iter().find(|(n, _)| name == n) else { return };
        let ty = if matches!(Kind::of_type(ty), Kind::Seq(crate::kind::Seq::Vec)) {
            *init.expr = parse_quote!(#name.to_vec());
            let Some(elem) = Kind::element_type(ty) else { return };
            parse_quote!(Vec<#elem>)
        } else {
            ty.clone()
        };
        l.pat = Pat::Type(syn::PatType {
            attrs: Vec::new(),
            pat: Box::new(Pat::Ident(pi.clone())),
            colon_token: Default::default(),
            ty: Box::new(ty),
        });
    }
}

/// The names patterns bind.
struct Bound(Vec<String>);

impl<'a> Visit<'a> for Bound {
    fn visit_pat_ident(&mut self, p: &'a syn::PatIdent) {
        self.0.push(p.ident.to_string());
        syn::visit::visit_pat_ident(self, p);
    }
}

/// The parameters' names with their element types.
struct Copies<'p>(&'p [(String, syn::Type)]);

/// Whether an element type is a float (`f64`, `f32`, a type parameter `T`), not an nalgebra
/// value (`Vector3<f64>`).
fn float_element(ty: &syn::Type) -> bool {
    matches!(ty, syn::Type::Path(p) if p.qself.is_none() && p.path.get_ident().is_some())
}

impl VisitMut for Copies<'_> {
    // a copy of a sequence of nalgebra values (`let mut p = pos.to_vec();` of
    // `pos: &[Vector3<f64>]`): a buffer of zeros filled element by element, as lowering writes
    // such buffers
    fn visit_block_mut(&mut self, block: &mut syn::Block) {
        visit_mut::visit_block_mut(self, block);
        let mut i = 0;
        while i < block.stmts.len() {
            let copy = match &block.stmts[i] {
                syn::Stmt::Local(l) if l.init.as_ref().is_some_and(|i| i.diverge.is_none()) => {
                    let name = match &l.pat {
                        Pat::Ident(pi) => Some(pi.ident.clone()),
                        Pat::Type(t) => match &*t.pat {
                            Pat::Ident(pi) => Some(pi.ident.clone()),
                            _ => None,
                        },
                        _ => None,
                    };
                    let source = l.init.as_ref().and_then(|init| match &*init.expr {
                        Expr::MethodCall(m)
                            if (m.method == "to_vec" || m.method == "to_owned")
                                && m.args.is_empty() =>
                        {
                            match &*m.receiver {
                                Expr::Path(p) => p.path.get_ident().cloned(),
                                _ => None,
                            }
                        }
                        _ => None,
                    });
                    let elem = source
                        .as_ref()
                        .and_then(|s| self.0.iter().find(|(n, _)| s == n).map(|(_, e)| e.clone()));
                    match (name, source, elem) {
                        (Some(n), Some(s), Some(e)) if !float_element(&e) => Some((n, s, e)),
                        _ => None,
                    }
                }
                _ => None,
            };
            if let Some((name, source, elem)) = copy {
                let k = quote::format_ident!("__autodiff_i");
                let stmts: [syn::Stmt; 2] = [
                    parse_quote!(let mut #name: Vec<#elem> = vec![<#elem>::zeros(); #source.len()];),
                    parse_quote!(for #k in 0..#source.len() { #name[#k] = #source[#k]; }),
                ];
                block.stmts.splice(i..=i, stmts);
                i += 2;
                continue;
            }
            i += 1;
        }
    }

    fn visit_local_mut(&mut self, l: &mut syn::Local) {
        visit_mut::visit_local_mut(self, l);
        let Pat::Ident(pi) = &l.pat else { return };
        let Some(init) = &l.init else { return };
        let Expr::MethodCall(m) = &*init.expr else { return };
        if !(m.method == "to_vec" || m.method == "to_owned") || !m.args.is_empty() {
            return;
        }
        let Expr::Path(p) = &*m.receiver else { return };
        let Some(name) = p.path.get_ident().map(ToString::to_string) else { return };
        if let Some((_, elem)) = self.0.iter().find(|(n, _)| *n == name) {
            l.pat = Pat::Type(syn::PatType {
                attrs: Vec::new(),
                pat: Box::new(Pat::Ident(pi.clone())),
                colon_token: Default::default(),
                ty: Box::new(parse_quote!(Vec<#elem>)),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use quote::quote;

    #[test]
    fn copies_of_sequence_parameters_get_their_type() {
        let mut body: syn::Block = syn::parse_quote!({
            let mut x = x0.to_vec();
            let y = w.to_owned();
            let z = x0.iter().map(|v| v * 2.0).collect::<Vec<f64>>();
            x[0] + y[0] + z[0]
        });
        let params = [
            (
                "x0".into(),
                crate::kind::Kind::of_type(&syn::parse_quote!(&[f64])),
                syn::parse_quote!(&[f64]),
            ),
            (
                "w".into(),
                crate::kind::Kind::of_type(&syn::parse_quote!(Vec<f32>)),
                syn::parse_quote!(Vec<f32>),
            ),
        ];
        super::rewrite(&mut body, &params);
        let out = quote!(#body).to_string();
        assert!(out.contains("let mut x : Vec < f64 > = x0 . to_vec ()"), "{out}");
        assert!(out.contains("let y : Vec < f32 > = w . to_owned ()"), "{out}");
        // a parameter bound again is left alone
        let mut shadowed: syn::Block = syn::parse_quote!({
            let x0 = [1.0, 2.0];
            let x = x0.to_vec();
            x[0]
        });
        super::rewrite(&mut shadowed, &params);
        assert!(!quote!(#shadowed).to_string().contains("Vec < f64 >"));
        // a `Vec` parameter moved (into itself too) becomes a copy, an array gets its type
        let mut moved: syn::Block = syn::parse_quote!({
            let mut w = w;
            let mut a = p;
            w[0] + a[0]
        });
        let params = [
            params[1].clone(),
            (
                "p".into(),
                crate::kind::Kind::of_type(&syn::parse_quote!([f64; 3])),
                syn::parse_quote!([f64; 3]),
            ),
        ];
        super::rewrite(&mut moved, &params);
        let out = quote!(#moved).to_string();
        assert!(out.contains("let mut w : Vec < f32 > = w . to_vec ()"), "{out}");
        assert!(out.contains("let mut a : [f64 ; 3] = p"), "{out}");
    }
}

//! Untyped buffers of floats: `let mut path = Vec::new();` (or `Vec::with_capacity(n)`,
//! `vec![]`) later pushed active floats into. Lowering cannot tell such a buffer from one of
//! indices when it meets the `let`, so it notes the buffers that then receive an active float
//! ([`Untyped`]), and the pipeline lowers again with them annotated as `Vec<E>`, `E` being
//! the float type of the active parameters (when they have one).
//!
//! ```text
//! let mut path = Vec::with_capacity(n); .. path.push(s);   (s: f64, active)
//!     => let mut path: Vec<f64> = Vec::with_capacity(n); .. path.push(s);
//! let mut forces = vec![Vector3::zeros(); n]; .. forces[i] += d;
//!     => let mut forces: Vec<Vector3<f64>> = vec![Vector3::zeros(); n]; ..
//! ```

use crate::kind::Kind;
use crate::parse::FnDesc;
use syn::visit_mut::VisitMut;
use syn::{Expr, Pat, Stmt};

/// The `let`s of untyped buffers found to receive active floats: the name and where the
/// source wrote it.
pub type Untyped = Vec<(String, String)>;

/// Where `ident` is written, as a key that survives the rewrite stage's copies.
pub fn key(ident: &proc_macro2::Ident) -> (String, String) {
    (ident.to_string(), format!("{:?}", ident.span()))
}

/// Whether `init` makes an empty `Vec` of elements yet unknown.
pub fn is_empty_vec(init: &Expr) -> bool {
    match init {
        Expr::Call(c) => match &*c.func {
            Expr::Path(p) => {
                let s: Vec<String> = p.path.segments.iter().map(|s| s.ident.to_string()).collect();
                let s: Vec<&str> = s.iter().map(String::as_str).collect();
                matches!(s.as_slice(), ["Vec", "new" | "with_capacity"])
            }
            _ => false,
        },
        Expr::Macro(m) => m.mac.path.is_ident("vec") && m.mac.tokens.is_empty(),
        _ => false,
    }
}

/// The nalgebra type of the zeros a `vec![VectorN::zeros(); n]` repeats (`Vector3`,
/// `Matrix2`), its element type yet unknown: such a buffer receiving active values is typed
/// `Vec<VectorN<E>>` as an empty `Vec` is typed `Vec<E>`.
pub fn algebra_repeat(init: &Expr) -> Option<syn::Ident> {
    let Expr::Macro(m) = init else { return None };
    if !m.mac.path.is_ident("vec") {
        return None;
    }
    let tokens = &m.mac.tokens;
    let Ok(Expr::Repeat(r)) = syn::parse2::<Expr>(quote::quote!([#tokens])) else { return None };
    let Expr::Call(c) = &*r.expr else { return None };
    let Expr::Path(p) = &*c.func else { return None };
    let [owner, function] = p.path.segments.iter().collect::<Vec<_>>()[..] else { return None };
    let fixed = crate::syntax::algebra_new_shape(&syn::parse_quote!(#owner::new)).is_some();
    (c.args.is_empty() && function.ident == "zeros" && owner.arguments.is_none() && fixed)
        .then(|| owner.ident.clone())
}

/// The one float type of `desc`'s active parameters (`f64` of `x: &[f64]`, `T` of `x: T`)
/// and of its result when that is a float, if they agree on one (a function of `f32`s
/// returning `f64` may push either: no guess is made).
pub fn float_type(desc: &FnDesc) -> Option<syn::Type> {
    let mut found: Option<syn::Type> = None;
    let result = (desc.ret_kind == Kind::Float).then(|| (desc.ret.clone(), Kind::Float));
    let params = desc.params.iter().filter(|p| p.active).map(|p| (p.ty.clone(), p.kind));
    for (ty, kind) in params.chain(result) {
        let Some(t) = float_of(&ty, kind) else { continue };
        match &found {
            Some(f) if quote::quote!(#f).to_string() != quote::quote!(#t).to_string() => {
                return None;
            }
            _ => found = Some(t),
        }
    }
    found
}

fn float_of(ty: &syn::Type, kind: Kind) -> Option<syn::Type> {
    match ty {
        syn::Type::Reference(r) => float_of(&r.elem, kind),
        syn::Type::Paren(p) => float_of(&p.elem, kind),
        syn::Type::Slice(s) => float_of(&s.elem, Kind::Float),
        syn::Type::Array(a) => float_of(&a.elem, Kind::Float),
        syn::Type::Path(p) if p.qself.is_none() => {
            if kind == Kind::Float && p.path.get_ident().is_some() {
                return Some(ty.clone());
            }
            let last = p.path.segments.last()?;
            match &last.arguments {
                syn::PathArguments::AngleBracketed(a) => match a.args.first()? {
                    syn::GenericArgument::Type(t) => float_of(t, Kind::Float),
                    _ => None,
                },
                _ => None,
            }
        }
        _ => None,
    }
}

/// Annotates the `let`s `untyped` names as `Vec<elem>`.
pub fn annotate(body: &mut syn::Block, untyped: &Untyped, elem: &syn::Type) {
    struct Annotate<'u> {
        untyped: &'u Untyped,
        elem: &'u syn::Type,
    }
    impl VisitMut for Annotate<'_> {
        fn visit_stmt_mut(&mut self, stmt: &mut Stmt) {
            if let Stmt::Local(local) = stmt
                && let Pat::Ident(pi) = &local.pat
                && self.untyped.contains(&key(&pi.ident))
                && let Some(init) = &local.init
            {
                let elem = self.elem;
                let ty: syn::Type = match algebra_repeat(&init.expr) {
                    Some(algebra) => syn::parse_quote!(Vec<#algebra<#elem>>),
                    None if is_empty_vec(&init.expr) => syn::parse_quote!(Vec<#elem>),
                    None => return syn::visit_mut::visit_stmt_mut(self, stmt),
                };
                local.pat = Pat::Type(syn::PatType {
                    attrs: Vec::new(),
                    pat: Box::new(Pat::Ident(pi.clone())),
                    colon_token: Default::default(),
                    ty: Box::new(ty),
                });
            }
            syn::visit_mut::visit_stmt_mut(self, stmt);
        }
    }
    Annotate { untyped, elem }.visit_block_mut(body);
}

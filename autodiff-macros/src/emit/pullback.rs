//! `f_pullback`: reverse mode in split mode (DESIGN.md). It runs the forward sweep and returns
//! the value with a pullback: a closure owning what the adjoint sweep reads (the forward
//! sweep's values and tapes, the parameters it borrows) that ADDS `seed` times the gradient
//! into the buffers it is handed, as JAX's `vjp` returns its residuals in a closure. A caller
//! in reverse mode keeps the pullback for its own adjoint instead of calling `f_vjp`, which
//! would run `f` again: a callee handed `&mut` state (a random number generator) runs once.
//!
//! ```text
//! fn f(x: &[f64], rng: &mut Rng) -> f64
//!   => fn f_pullback<'l0>(x: &'l0 [f64], rng: &mut Rng)
//!          -> (f64, impl FnOnce(f64, &mut [f64]) + use<'l0>)
//! ```
//!
//! The pullback borrows the shared parameters (their lifetimes are named and captured) but not
//! the `&mut` ones, so the caller may use its state again before calling the pullback.

use super::context::Ctx;
use super::items::{Signature, reading_prologue};
use super::reverse;
use crate::parse::{FnDesc, Options};
use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote};
use std::collections::HashSet;
use syn::visit_mut::{self, VisitMut};

/// What `f_vjp` and `f_pullback` share of the adjoint sweep's inputs.
pub struct Adjoints<'a> {
    /// The seed's name.
    pub seed: &'a Ident,
    /// The seed's type.
    pub seed_ty: &'a TokenStream,
    /// Each active parameter's adjoint buffer and its type.
    pub buffers: &'a [(Ident, &'a TokenStream)],
    /// What the adjoint sweep does first with them (views as slices, cuts to length).
    pub prologue: &'a TokenStream,
}

/// Whether `f` gets `f_pullback`: with `split`, or when it takes `&mut` state (its callers
/// need it); not a method (its callers call `_vjp`).
pub fn wanted(desc: &FnDesc, opts: &Options) -> bool {
    desc.receiver.is_none()
        && !opts.in_impl
        && (opts.split || desc.params.iter().any(|p| mutable_reference(&p.ty)))
}

/// Whether the pullback owns a copy of a parameter rather than borrowing it: a tensor, a
/// model, a slice or a `Vec` behind a shared reference.
fn ownable(p: &crate::parse::ParamDesc) -> bool {
    use crate::kind::{Kind, Seq};
    matches!(&p.ty, syn::Type::Reference(r) if r.mutability.is_none())
        && matches!(p.kind, Kind::Tensor | Kind::Model | Kind::Seq(Seq::Slice | Seq::Vec))
}

fn mutable_reference(ty: &syn::Type) -> bool {
    matches!(ty, syn::Type::Reference(r) if r.mutability.is_some())
}

/// The `f_pullback` item.
pub fn item(
    desc: &FnDesc,
    cx: &Ctx<'_>,
    adjoints: &Adjoints<'_>,
    errors: &mut crate::diagnostics::Errors,
) -> TokenStream {
    let Signature { name, vis, generics, where_clause, ret, .. } = Signature::of(desc);
    // A recursive call in split mode would make the pullback's type contain itself.
    let mut recursive = Vec::new();
    crate::ir::each_op(&cx.f.body, &mut |op| {
        if let (Some(_), crate::ir::Form::Path(p)) = (op.pullback, &op.form)
            && p.path.is_ident(name)
        {
            recursive.push(op.span);
        }
    });
    for span in recursive {
        errors.error(
            span,
            format!("`{name}` calls itself handing on `&mut` state, which reverse mode cannot run once yet"),
            "loop instead of recursing, or take what the call needs from the state first and pass the values (`let z: f64 = rng.normal(); f(x, z, ..)`)",
        );
    }
    let (forward, adjoint, plan) = reverse::split_body(cx);
    let refused = crate::check::loop_buffers_refused(cx.f, |id| plan.rebuilds_iterations(id));
    crate::check::report_loop_buffers(cx.f, &refused, errors);

    let rt = &cx.rt;
    let Adjoints { seed, seed_ty, buffers, prologue } = adjoints;
    let (bars, types): (Vec<&Ident>, Vec<&TokenStream>) =
        buffers.iter().map(|(b, ty)| (b, *ty)).unzip();
    // Tensors, models, slices and `Vec`s behind `&` that the adjoint reads are owned by the
    // pullback (tensors and models are handles; a slice is copied once): it borrows nothing
    // of them, so a caller may lend it a local.
    let body_names = idents_in(&quote!(#prologue #adjoint));
    let (mut owned, mut shadows) = (TokenStream::new(), TokenStream::new());
    let mut owned_params = HashSet::new();
    for p in desc.params.iter().filter(|p| ownable(p) && body_names.contains(&p.ident.to_string()))
    {
        let x = &p.ident;
        let own = format_ident!("__own_{}", x, span = Span::mixed_site());
        let mut ty = p.ty.clone();
        if let syn::Type::Reference(r) = &mut ty {
            r.lifetime = None;
        }
        owned.extend(quote!(let #own = #rt::ToOwned::to_owned(#x);));
        shadows.extend(quote!(let #x: #ty = #rt::Borrow::borrow(&#own);));
        owned_params.insert(x.to_string());
    }
    let closure =
        quote!(move |#seed: #seed_ty, #(#bars: #types),*| { #shadows #prologue #adjoint });

    let lent = lent_to_pullbacks(cx);
    let borrowed: HashSet<String> = desc
        .params
        .iter()
        .map(|p| p.ident.to_string())
        .filter(|n| lent.contains(n) || (!owned_params.contains(n) && body_names.contains(n)))
        .collect();
    let (params, generics, bounds) = signature(desc, generics, &borrowed);

    let items = &cx.f.items;
    let reading = reading_prologue(desc, &[], &[]);
    let result = cx.operand(cx.f.result());
    let value = Ident::new("__value", Span::mixed_site());
    let pullback = format_ident!("{}_pullback", name, span = name.span());
    let doc = format!(
        " Reverse mode of `{name}` in split mode: runs `{name}` once and returns its value and a pullback, which ADDS `seed` times its gradient into {} when called (it owns what it needs; `{name}_vjp` would run `{name}` again).",
        super::items::list(desc, "_bar"),
    );
    quote! {
        #[doc = #doc]
        #[allow(unused, clippy::all, non_snake_case)]
        #vis fn #pullback #generics (#(#params),*)
            -> (#ret, impl ::core::ops::FnOnce(#seed_ty, #(#types),*) #bounds)
            #where_clause
        {
            #(#items)*
            #reading
            #forward
            let #value = #rt::Clone::clone(&#result);
            #owned
            (#value, #closure)
        }
    }
}

/// `f_pullback`'s parameters, generics and capture bounds: the parameters in `borrowed` (those
/// the pullback names, or lends to a callee's pullback) get named lifetimes, captured by
/// `use<..>`; never a `&mut` parameter's, so a caller may use its state again before calling the
/// pullback; arrays and nalgebra values behind `&`, copied at once, a lifetime of their own;
/// `impl Trait` parameters become named type parameters, which `use<..>` can list.
fn signature(
    desc: &FnDesc,
    generics: &syn::Generics,
    borrowed: &HashSet<String>,
) -> (Vec<TokenStream>, syn::Generics, TokenStream) {
    let mut namer = Namer::default();
    let mut impl_traits = ImplTraits::default();
    let (mut in_captured, mut in_other) = (HashSet::new(), HashSet::new());
    let params: Vec<TokenStream> = desc
        .params
        .iter()
        .map(|p| {
            let mut ty = p.ty.clone();
            impl_traits.visit_type_mut(&mut ty);
            let by_value = super::items::read_by_reference(p);
            if !mutable_reference(&ty) && !by_value && borrowed.contains(&p.ident.to_string()) {
                namer.visit_type_mut(&mut ty);
                lifetimes_of(&ty, &mut in_captured);
            } else if let (syn::Type::Reference(r), true) = (&mut ty, by_value) {
                r.lifetime = None;
            } else {
                lifetimes_of(&ty, &mut in_other);
            }
            let (id, mutable) = (&p.ident, p.mutable.then(|| quote!(mut)));
            quote!(#mutable #id: #ty)
        })
        .collect();
    let mut generics = generics.clone();
    for lt in namer.named.iter().rev() {
        generics.params.insert(0, syn::parse_quote!(#lt));
    }
    generics.params.extend(impl_traits.named);
    let captured = generics.params.iter().filter_map(|g| match g {
        syn::GenericParam::Lifetime(l) => {
            let (name, lt) = (l.lifetime.ident.to_string(), &l.lifetime);
            (in_captured.contains(&name) || !in_other.contains(&name)).then(|| quote!(#lt))
        }
        syn::GenericParam::Type(syn::TypeParam { ident, .. })
        | syn::GenericParam::Const(syn::ConstParam { ident, .. }) => Some(quote!(#ident)),
    });
    let bounds = quote!(+ use<#(#captured),*>);
    (params, generics, bounds)
}

/// Names each elided lifetime of a type (`&T`, `'_`), outside function types and trait bounds
/// (whose elided lifetimes are their own).
#[derive(Default)]
struct Namer {
    named: Vec<syn::Lifetime>,
}

impl Namer {
    fn fresh(&mut self) -> syn::Lifetime {
        let lt =
            syn::Lifetime::new(&format!("'__autodiff_l{}", self.named.len()), Span::call_site());
        self.named.push(lt.clone());
        lt
    }
}

impl VisitMut for Namer {
    fn visit_type_reference_mut(&mut self, r: &mut syn::TypeReference) {
        if r.lifetime.is_none() {
            r.lifetime = Some(self.fresh());
        }
        visit_mut::visit_type_reference_mut(self, r);
    }

    fn visit_lifetime_mut(&mut self, l: &mut syn::Lifetime) {
        if l.ident == "_" {
            *l = self.fresh();
        }
    }

    fn visit_type_fn_ptr_mut(&mut self, _: &mut syn::TypeFnPtr) {}
    fn visit_type_impl_trait_mut(&mut self, _: &mut syn::TypeImplTrait) {}
    fn visit_type_trait_object_mut(&mut self, _: &mut syn::TypeTraitObject) {}
}

/// Replaces each `impl Trait` in a type by a type parameter of its own (`__autodiff_T0: Trait`).
#[derive(Default)]
struct ImplTraits {
    named: Vec<syn::GenericParam>,
}

impl VisitMut for ImplTraits {
    fn visit_type_mut(&mut self, ty: &mut syn::Type) {
        if let syn::Type::ImplTrait(it) = ty {
            let name = format_ident!("__autodiff_T{}", self.named.len());
            let bounds = &it.bounds;
            self.named.push(syn::parse_quote!(#name: #bounds));
            *ty = syn::parse_quote!(#name);
            return;
        }
        visit_mut::visit_type_mut(self, ty);
    }
}

/// The names of the lifetimes a type mentions.
fn lifetimes_of(ty: &syn::Type, out: &mut HashSet<String>) {
    struct Lifetimes<'o>(&'o mut HashSet<String>);
    impl<'a> syn::visit::Visit<'a> for Lifetimes<'_> {
        fn visit_lifetime(&mut self, l: &'a syn::Lifetime) {
            self.0.insert(l.ident.to_string());
        }
    }
    syn::visit::Visit::visit_type(&mut Lifetimes(out), ty);
}

/// The parameters a callee's pullback may borrow: those passed (whole or as a sub-slice) to a
/// call in split mode other than the runtime's layers and losses (whose pullbacks own what
/// they keep). The pullback holding that callee's pullback captures their lifetimes.
fn lent_to_pullbacks(cx: &Ctx<'_>) -> HashSet<String> {
    use crate::ir::{Form, Prim};
    let mut whole = std::collections::HashMap::new();
    crate::ir::each_op(&cx.f.body, &mut |op| {
        if let (Prim::Slice, Some(w)) = (op.prim, op.args[0].var()) {
            whole.insert(op.out, w);
        }
    });
    let mut out = HashSet::new();
    crate::ir::each_op(&cx.f.body, &mut |op| {
        let runtime =
            matches!(&op.form, Form::Path(p) if crate::syntax::runtime_split_callee(&p.path));
        if op.pullback.is_none() || runtime {
            return;
        }
        for v in op.args.iter().filter_map(|a| a.var()) {
            let root = whole.get(&v).copied().unwrap_or(v);
            if cx.f.var(root).param.is_some() {
                out.insert(cx.f.var(root).ident.to_string());
            }
        }
    });
    out
}

/// The identifiers in generated code, as text.
fn idents_in(tokens: &TokenStream) -> HashSet<String> {
    fn walk(tokens: TokenStream, out: &mut HashSet<String>) {
        for t in tokens {
            match t {
                proc_macro2::TokenTree::Ident(i) => {
                    out.insert(i.to_string());
                }
                proc_macro2::TokenTree::Group(g) => walk(g.stream(), out),
                _ => {}
            }
        }
    }
    let mut out = HashSet::new();
    walk(tokens.clone(), &mut out);
    out
}

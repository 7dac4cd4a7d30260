//! `#[derive(Differentiable)]`: a struct of differentiable fields (tensors, floats, arrays,
//! nalgebra types, other derived structs) becomes a value with derivatives of its own type, so
//! that a `#[differentiable(wrt(model))]` function can take it as a parameter and an optimiser
//! can step it inside a `Param`.
//!
//! Input:
//!
//! ```text
//! #[derive(Clone, Differentiable)]
//! struct Mlp { w: Tensor, b: Tensor, #[autodiff(skip)] layers: usize }
//! ```
//!
//! Output, every operation field by field (skipped fields are copied by `zero_like` and left
//! alone by the rest):
//!
//! ```text
//! impl Differentiable for Mlp { zero_like: Mlp { w: w.zero_like(), .., layers: layers.clone() },
//!                               accumulate: w.accumulate(c.w); b.accumulate(c.b) }
//! impl Zeros for Mlp { type Output = Mlp; zeros: zero_like }
//! impl Update for Mlp { add_scaled, scale, add_squared, sum_of_squares, adam_step, adam_update: on w and b }
//!                       (not for a struct that borrows: optimisers keep `'static` state)
//! impl Mlp { __autodiff_skips_w() -> false, .., __autodiff_skips_layers() -> true }
//! ```
//!
//! The `__autodiff_skips_*` methods tell generated code which fields are constants: a read of
//! one gets a zero tangent and gives no adjoint.

use crate::diagnostics::Errors;
use proc_macro2::TokenStream;
use quote::quote;
use syn::spanned::Spanned;

/// Expands the derive. Never panics: problems become compile errors at their spans.
pub fn expand(item: TokenStream) -> TokenStream {
    let mut errors = Errors::default();
    let out = generate(item, &mut errors);
    if errors.is_empty() { out } else { errors.to_compile_errors() }
}

/// One field: how to name it, and whether it carries a derivative.
struct Field {
    member: syn::Member,
    ty: syn::Type,
    skip: bool,
}

fn generate(item: TokenStream, errors: &mut Errors) -> TokenStream {
    let input: syn::DeriveInput = match syn::parse2(item) {
        Ok(i) => i,
        Err(e) => {
            errors.error(e.span(), e, "derive Differentiable on a struct");
            return TokenStream::new();
        }
    };
    let data = match &input.data {
        syn::Data::Struct(s) => s,
        syn::Data::Enum(e) => {
            refuse(errors, e.enum_token.span(), "an enum");
            return TokenStream::new();
        }
        syn::Data::Union(u) => {
            refuse(errors, u.union_token.span(), "a union");
            return TokenStream::new();
        }
    };
    let krate = container_options(&input.attrs, errors);
    let fields: Vec<Field> = data
        .fields
        .iter()
        .enumerate()
        .map(|(i, f)| Field {
            member: match &f.ident {
                Some(id) => syn::Member::Named(id.clone()),
                None => syn::Member::Unnamed(syn::Index::from(i)),
            },
            ty: f.ty.clone(),
            skip: field_skipped(&f.attrs, errors),
        })
        .collect();
    if !errors.is_empty() {
        return TokenStream::new();
    }
    let rt = quote!(#krate::__private);
    let name = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    // Generic structs need their field types bounded; concrete ones are checked as they are.
    // Skipped fields are cloned into zeros (and, for `Update`, must be `'static` like it).
    let bounds = |tr: TokenStream, skipped: TokenStream| -> TokenStream {
        let mut predicates: Vec<TokenStream> = where_clause
            .map(|w| w.predicates.iter().map(|p| quote!(#p)).collect())
            .unwrap_or_default();
        if !input.generics.params.is_empty() {
            for f in &fields {
                let ty = &f.ty;
                let bound = if f.skip { &skipped } else { &tr };
                predicates.push(quote!(#ty: #bound));
            }
        }
        if predicates.is_empty() { TokenStream::new() } else { quote!(where #(#predicates),*) }
    };
    // Each field's statements carry the field type's span: an error about a field whose type
    // cannot carry a derivative points at that field.
    let each = |body: &dyn Fn(&syn::Member) -> TokenStream| -> Vec<TokenStream> {
        fields.iter().filter(|f| !f.skip).map(|f| respan(body(&f.member), f.ty.span())).collect()
    };
    let zeros = fields.iter().map(|f| {
        let m = &f.member;
        if f.skip {
            quote!(#m: #rt::Clone::clone(&self.#m))
        } else {
            respan(quote!(#m: #rt::Differentiable::zero_like(&self.#m)), f.ty.span())
        }
    });
    let accumulate =
        each(&|m| quote!(#rt::Differentiable::accumulate(&mut self.#m, contribution.#m);));
    let set_zero = each(&|m| quote!(#rt::Differentiable::set_zero(&mut self.#m);));
    let add_scaled = each(&|m| quote!(#rt::Update::add_scaled(&mut self.#m, alpha, &x.#m);));
    let scale = each(&|m| quote!(#rt::Update::scale(&mut self.#m, beta);));
    let add_squared = each(&|m| quote!(#rt::Update::add_squared(&mut self.#m, alpha, &x.#m);));
    let sum_of_squares = each(&|m| quote!(+ #rt::Update::sum_of_squares(&self.#m)));
    let adam_step =
        each(&|m| quote!(#rt::Update::adam_step(&mut self.#m, &m.#m, &v.#m, step, bias2, eps);));
    // Field by field, so that each field's own whole update runs (one fused kernel for a tensor
    // on a GPU).
    let adam_update = each(
        &|m| quote!(#rt::Update::adam_update(&mut self.#m, &mut m.#m, &mut v.#m, &grad.#m, betas, steps);),
    );
    // For generated code reading a field: whether it is skipped (no tangent, no adjoint).
    let skips = fields.iter().map(|f| {
        let method = match &f.member {
            syn::Member::Named(id) => quote::format_ident!("__autodiff_skips_{}", id),
            syn::Member::Unnamed(i) => quote::format_ident!("__autodiff_skips_{}", i.index),
        };
        let skip = f.skip;
        quote! {
            #[doc(hidden)]
            #[inline(always)]
            pub fn #method(&self) -> bool {
                #skip
            }
        }
    });
    let differentiable_where = bounds(quote!(#rt::Differentiable), quote!(#rt::Clone));
    let update_where = bounds(quote!(#rt::Update), quote!(#rt::Clone + 'static));
    // Optimisers keep `'static` state: a struct that borrows cannot be stepped.
    let borrows = input.generics.lifetimes().next().is_some();
    let update_impl = if borrows {
        TokenStream::new()
    } else {
        quote! {
            impl #impl_generics #rt::Update for #name #ty_generics #update_where {
                fn add_scaled(&mut self, alpha: f64, x: &Self) {
                    #(#add_scaled)*
                }
                fn scale(&mut self, beta: f64) {
                    #(#scale)*
                }
                fn add_squared(&mut self, alpha: f64, x: &Self) {
                    #(#add_squared)*
                }
                fn sum_of_squares(&self) -> f64 {
                    0.0 #(#sum_of_squares)*
                }
                fn adam_step(&mut self, m: &Self, v: &Self, step: f64, bias2: f64, eps: f64) {
                    #(#adam_step)*
                }
                fn adam_update(
                    &mut self,
                    m: &mut Self,
                    v: &mut Self,
                    grad: &Self,
                    betas: (f64, f64),
                    steps: (f64, f64, f64),
                ) {
                    #(#adam_update)*
                }
            }
        }
    };
    let flat_impl = flat(&input.generics, name, &fields, &rt);
    quote! {
        #[allow(dead_code, non_snake_case)]
        impl #impl_generics #name #ty_generics #where_clause {
            #(#skips)*
        }

        #flat_impl

        impl #impl_generics #rt::Differentiable for #name #ty_generics #differentiable_where {
            fn zero_like(&self) -> Self {
                #name { #(#zeros),* }
            }
            fn accumulate(&mut self, contribution: Self) {
                #(#accumulate)*
                let _ = contribution;
            }
            fn set_zero(&mut self) {
                #(#set_zero)*
            }
        }

        impl #impl_generics #rt::Zeros for #name #ty_generics #differentiable_where {
            type Output = Self;
            fn zeros(&self) -> Self {
                #rt::Differentiable::zero_like(self)
            }
        }

        #update_impl
    }
}

/// `Flat<E>` (second order: a model's entries in a Hessian's rows): the fields not skipped,
/// in declaration order, each flattened by its own `Flat`. Implemented whenever every such
/// field's type is `Flat<E>` (not for tensors).
fn flat(
    generics: &syn::Generics,
    name: &syn::Ident,
    fields: &[Field],
    rt: &TokenStream,
) -> TokenStream {
    let mut with_e = generics.clone();
    with_e.params.push(syn::parse_quote!(__E));
    let (impl_generics, _, _) = with_e.split_for_impl();
    let (_, ty_generics, where_clause) = generics.split_for_impl();
    let mut predicates: Vec<TokenStream> =
        where_clause.map(|w| w.predicates.iter().map(|p| quote!(#p)).collect()).unwrap_or_default();
    let kept: Vec<&Field> = fields.iter().filter(|f| !f.skip).collect();
    for f in &kept {
        let ty = &f.ty;
        predicates.push(quote!(#ty: #rt::Flat<__E>));
    }
    let members: Vec<&syn::Member> = kept.iter().map(|f| &f.member).collect();
    quote! {
        impl #impl_generics #rt::Flat<__E> for #name #ty_generics where #(#predicates),* {
            fn flat_len(&self) -> usize {
                0 #(+ #rt::Flat::<__E>::flat_len(&self.#members))*
            }
            fn flat_get(&self, i: usize) -> __E {
                let mut i = i;
                #(
                    let n = #rt::Flat::<__E>::flat_len(&self.#members);
                    if i < n {
                        return #rt::Flat::<__E>::flat_get(&self.#members, i);
                    }
                    i -= n;
                )*
                ::core::panic!("entry {} of a model with fewer entries", i)
            }
            fn flat_set(&mut self, i: usize, v: __E) {
                let mut i = i;
                #(
                    let n = #rt::Flat::<__E>::flat_len(&self.#members);
                    if i < n {
                        return #rt::Flat::<__E>::flat_set(&mut self.#members, i, v);
                    }
                    i -= n;
                )*
                let _ = v;
            }
        }
    }
}

/// `tokens` with every span set to `span`, so that rustc's errors about them point there.
fn respan(tokens: TokenStream, span: proc_macro2::Span) -> TokenStream {
    use proc_macro2::{Group, TokenTree};
    tokens
        .into_iter()
        .map(|t| match t {
            TokenTree::Group(g) => {
                let mut inner = Group::new(g.delimiter(), respan(g.stream(), span));
                inner.set_span(span);
                TokenTree::Group(inner)
            }
            mut t => {
                t.set_span(span);
                t
            }
        })
        .collect()
}

fn refuse(errors: &mut Errors, span: proc_macro2::Span, what: &str) {
    errors.error(
        span,
        format!("#[derive(Differentiable)] cannot be used on {what}"),
        "derive it on a struct whose fields are tensors, floats, arrays, nalgebra types or other such structs",
    );
}

const OPTIONS_HELP: &str = "on the struct: `#[autodiff(crate = path)]`; on a field: `#[autodiff(skip)]` (a constant, copied into zeros and never updated)";

/// The `#[autodiff(..)]` options among `attrs`: each `key` in `allowed` (on `what`, for the
/// error message) with its value, if it has one (`crate = path`) or `None` (`skip`).
fn autodiff_options(
    attrs: &[syn::Attribute],
    allowed: &[&str],
    what: &str,
    errors: &mut Errors,
) -> Vec<(String, Option<syn::Path>)> {
    let mut found = Vec::new();
    for attr in attrs.iter().filter(|a| a.path().is_ident("autodiff")) {
        let parsed = attr.parse_nested_meta(|meta| {
            let key = meta.path.get_ident().map(ToString::to_string).unwrap_or_default();
            if !allowed.contains(&key.as_str()) {
                errors.error(
                    &meta.path,
                    format!("unknown option of #[autodiff] on {what}"),
                    OPTIONS_HELP,
                );
                return Ok(());
            }
            let value =
                if meta.input.peek(syn::Token![=]) { Some(meta.value()?.parse()?) } else { None };
            found.push((key, value));
            Ok(())
        });
        if let Err(e) = parsed {
            errors.error(e.span(), e, OPTIONS_HELP);
        }
    }
    found
}

/// `#[autodiff(crate = path)]` on the struct: the facade crate's path (`::autodiff` unless given).
fn container_options(attrs: &[syn::Attribute], errors: &mut Errors) -> TokenStream {
    let options = autodiff_options(attrs, &["crate"], "a struct", errors);
    match options.into_iter().find_map(|(_, path)| path) {
        Some(path) => quote!(#path),
        None => quote!(::autodiff),
    }
}

/// Whether a field carries `#[autodiff(skip)]`.
fn field_skipped(attrs: &[syn::Attribute], errors: &mut Errors) -> bool {
    !autodiff_options(attrs, &["skip"], "a field", errors).is_empty()
}

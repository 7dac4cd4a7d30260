//! The generated functions themselves: `f_jvp`, `f_vjp` and `f_grad` with the signatures of
//! the public contract (DESIGN.md), around the bodies the emitters write.

use super::context::Ctx;
use super::{forward, reverse};
use crate::analyse::read_at_two_indices;
use crate::ir::{Function, Var};
use crate::kind::{Kind, Seq};
use crate::parse::{DerivativeTypes, FnDesc, Options};
use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote};
use std::collections::HashSet;

/// The reverse-mode plan of `f` as text (see [`reverse::plan()`]), for snapshot tests.
#[cfg(test)]
pub fn plan_dump(desc: &FnDesc, f: &Function, active: &HashSet<Var>) -> String {
    let views = super::views::views(f, active);
    let changed = crate::analyse::changed_in_place(f);
    let cx = Ctx { f, rt: desc.rt.clone(), active, views, changed };
    reverse::plan(&cx).dump()
}

/// The buffers declared inside loops and passed to calls whose loops' adjoints, as reverse mode
/// plans them, cannot rebuild them ([`crate::check::loop_buffers_refused`]): the calls are to
/// be given copies.
pub fn loop_buffers_to_copy(desc: &FnDesc, f: &Function, active: &HashSet<Var>) -> HashSet<Var> {
    // (most functions pass no such buffer: no need to plan reverse mode an extra time)
    if crate::check::buffers_passed_from_loops(f).is_empty() {
        return HashSet::new();
    }
    let views = super::views::views(f, active);
    let changed = crate::analyse::changed_in_place(f);
    let cx = Ctx { f, rt: desc.rt.clone(), active, views, changed };
    let plan = reverse::plan(&cx);
    crate::check::loop_buffers_refused(f, |id| plan.rebuilds_iterations(id))
        .into_iter()
        .map(|(v, _)| v)
        .collect()
}

/// `f_jvp`, `f_vjp` and (for a float result) `f_grad`.
pub fn generated_items(
    desc: &FnDesc,
    f: &Function,
    active: &HashSet<Var>,
    opts: &Options,
    errors: &mut crate::diagnostics::Errors,
) -> TokenStream {
    let views = super::views::views(f, active);
    let changed = crate::analyse::changed_in_place(f);
    let cx = Ctx { f, rt: desc.rt.clone(), active, views, changed: changed.clone() };
    let Signature { name, vis, generics, where_clause, ret, receiver, params, .. } =
        Signature::of(desc);
    let active_params: Vec<(Var, &DerivativeTypes)> = desc
        .params
        .iter()
        .zip(&f.params)
        .filter(|(p, _)| p.active)
        .map(|(p, v)| (*v, &p.derivative_types))
        .collect();
    let items: Vec<&syn::Item> = f.items.iter().collect();
    let allow = quote!(#[allow(unused, clippy::all, non_snake_case)] #[inline]);
    let named = |given: &Option<Ident>, suffix: &str| {
        given.clone().unwrap_or_else(|| format_ident!("{}_{}", name, suffix, span = name.span()))
    };
    let (jvp, vjp, grad) =
        (named(&opts.jvp, "jvp"), named(&opts.vjp, "vjp"), named(&opts.grad, "grad"));

    let tangents = active_params.iter().map(|(v, ty)| {
        let (d, ty) = (cx.dot(*v), &ty.tangent);
        quote!(#d: #ty)
    });
    let jvp_doc = format!(
        " Forward mode of `{name}`: its value and its directional derivative along the tangents of {}.",
        list(desc, "_dot")
    );
    // Slices' tangents and adjoint buffers are cut to their primal's length (panicking if
    // shorter): the optimiser then knows they have one length and drops bounds checks in loops
    // (not for buffers a loop adds into at two places per iteration: see read_at_two_indices).
    let sliced: Vec<(Var, &syn::Ident)> = desc
        .params
        .iter()
        .zip(&f.params)
        .filter(|(p, _)| p.active && matches!(p.kind, Kind::Seq(Seq::Slice | Seq::Vec)))
        .map(|(p, v)| (*v, &p.ident))
        .collect();
    let rt = &cx.rt;
    let cut_tangents = sliced.iter().map(|(v, x)| {
        let (d, name) = (cx.dot(*v), x.to_string());
        quote!(let #d = #rt::cut_to_length(#d, #x.len(), #name);)
    });
    // Tensor parameters' tangents and adjoint buffers must have their shapes (a broadcastable
    // one would be summed into silently).
    let tensors: Vec<(Var, &syn::Ident)> = desc
        .params
        .iter()
        .zip(&f.params)
        .filter(|(p, _)| p.active && p.kind == Kind::Tensor)
        .map(|(p, v)| (*v, &p.ident))
        .collect();
    let check_tangents = tensors.iter().map(|(v, x)| {
        let (d, name) = (cx.dot(*v), format!("{x}_dot"));
        quote!(#rt::check_shape(&#x, &#d, #name);)
    });
    let check_adjoints: Vec<TokenStream> = tensors
        .iter()
        .map(|(v, x)| {
            let (b, name) = (cx.bar(*v), format!("{x}_bar"));
            quote!(#rt::check_shape(&#x, &*#b, #name);)
        })
        .collect();
    let tangent_names: Vec<(usize, Ident)> = desc
        .params
        .iter()
        .enumerate()
        .zip(&f.params)
        .filter(|((_, p), _)| p.active)
        .map(|((i, _), v)| (i, cx.dot(*v)))
        .collect();
    let adjoint_names: Vec<(usize, Ident)> = desc
        .params
        .iter()
        .enumerate()
        .zip(&f.params)
        .filter(|((_, p), _)| p.active)
        .map(|((i, _), v)| (i, cx.bar(*v)))
        .collect();
    // Forward mode reads without views: on Rosenbrock they let LLVM vectorise its in-order
    // float sum, which ran 8% slower; on GMM they gained nothing.
    let plain = Ctx { f, rt: desc.rt.clone(), active, views: Default::default(), changed };
    let fwd = forward::body(&plain);
    let reading = reading_prologue(desc, &tangent_names, &[]);
    let fwd = quote!(#reading #(#cut_tangents)* #(#check_tangents)* #fwd);
    let panics = |what: &str| {
        if sliced.is_empty() {
            return String::new();
        }
        format!(
            "\n\n # Panics\n\n If the {what} of a slice or `Vec` parameter is shorter than the parameter."
        )
    };
    let jvp_doc = jvp_doc + &panics("tangent");
    let jvp_item = quote! {
        #[doc = #jvp_doc]
        #allow
        #vis fn #jvp #generics (#receiver #(#params,)* #(#tangents),*) -> (#ret, #ret) #where_clause {
            #(#items)*
            #fwd
        }
    };
    let unbatched = desc
        .params
        .iter()
        .find(|p| p.active && matches!(p.kind, Kind::Tensor | Kind::Model))
        .map(|p| p.ident.span())
        .or_else(|| {
            (desc.ret_kind == Kind::Tensor).then(|| syn::spanned::Spanned::span(&desc.ret))
        });
    if let (true, Some(span)) = (opts.batch, unbatched) {
        errors.error(
            span,
            "`batch` does not support tensors or models yet",
            "forward mode along several directions is for floats, arrays, slices, `Vec`s and nalgebra values; call `f_jvp` once per direction",
        );
    }
    let batch_item = if opts.batch && unbatched.is_none() {
        let n = Ident::new("__N", Span::mixed_site());
        let batch = format_ident!("{}_batch", jvp, span = jvp.span());
        let tangents = active_params.iter().map(|(v, ty)| {
            let (d, ty) = (cx.dot(*v), &ty.tangent);
            quote!(#d: [#ty; #n])
        });
        let mut generics = generics.clone();
        generics.params.push(syn::parse_quote!(const #n: usize));
        let (generics, where_clause) = (&generics, &generics.where_clause);
        // the prologue's conversions and cuts, for every direction
        let converted = tangent_names.iter().map(|(i, d)| {
            let p = &desc.params[*i];
            if read_by_reference(p) {
                quote!(let #d = #d.map(|__t| *__t);)
            } else if read_dynamic(p) {
                quote!(let #d = #d.map(|__t| __t.as_slice());)
            } else {
                TokenStream::new()
            }
        });
        let values = reading_prologue(desc, &[], &[]);
        let cut = sliced.iter().map(|(v, x)| {
            let (d, name) = (cx.dot(*v), x.to_string());
            quote!(let #d = #d.map(|__t| #rt::cut_to_length(__t, #x.len(), #name));)
        });
        let body = forward::batch_body(&plain, &n);
        let doc = format!(
            " Forward mode of `{name}` along `N` directions at once (one primal, `N` tangents): its value and its directional derivative along each direction; the `k`-th direction is the `k`-th element of each of the arrays of tangents of {}.{}",
            list(desc, "_dot"),
            panics("tangent")
        );
        quote! {
            #[doc = #doc]
            #allow
            #vis fn #batch #generics (#receiver #(#params,)* #(#tangents),*) -> (#ret, [#ret; #n]) #where_clause {
                #(#items)*
                #values
                #(#converted)*
                #(#cut)*
                #body
            }
        }
    } else {
        TokenStream::new()
    };
    let jvp_item = quote!(#jvp_item #batch_item);

    let seed = Ident::new("seed", Span::mixed_site());
    let buffer_types: Vec<(Ident, &TokenStream)> =
        active_params.iter().map(|(v, ty)| (cx.bar(*v), &ty.adjoint)).collect();
    let buffers: Vec<TokenStream> = buffer_types.iter().map(|(b, ty)| quote!(#b: #ty)).collect();
    let vjp_doc = format!(
        " Reverse mode of `{name}`: returns its value and ADDS `seed` times its gradient into {} (gradient accumulation).{}",
        list(desc, "_bar"),
        panics("adjoint buffer")
    );
    let stencils = read_at_two_indices(f);
    let cut_adjoints = sliced.iter().filter(|(v, _)| !stencils.contains(v)).map(|(v, x)| {
        let (b, name) = (cx.bar(*v), x.to_string());
        quote!(let #b = #rt::cut_to_length_mut(#b, #x.len(), #name);)
    });
    let (rev, plan) = reverse::planned_body(&cx);
    let refused = crate::check::loop_buffers_refused(f, |id| plan.rebuilds_iterations(id));
    crate::check::report_loop_buffers(f, &refused, errors);
    let reading = reading_prologue(desc, &[], &[]);
    let (seed_ty, owned_seed) = tuple_seed(desc, &seed);
    let converted = derivative_prologue(desc, &[], &adjoint_names);
    let adjoint_prologue = quote!(#converted #(#cut_adjoints)* #(#check_adjoints)* #owned_seed);
    let rev = quote!(#reading #adjoint_prologue #rev);
    // A tensor result's seed must have its shape (one element for one: `f_grad`'s seed is 1).
    let rev = match desc.ret_kind {
        Kind::Tensor => quote! {
            let __autodiff_seed_shape = #rt::SeedShape::of(&#seed);
            let __autodiff_value = { #rev };
            #rt::check_seed_shape(__autodiff_seed_shape.dims(), &__autodiff_value);
            __autodiff_value
        },
        _ => rev,
    };
    let pullback_item = if super::pullback::wanted(desc, opts) {
        let adjoints = super::pullback::Adjoints {
            seed: &seed,
            seed_ty: &seed_ty,
            buffers: &buffer_types,
            prologue: &adjoint_prologue,
        };
        super::pullback::item(desc, &cx, &adjoints, errors)
    } else {
        TokenStream::new()
    };

    let vjp_item = quote! {
        #[doc = #vjp_doc]
        #allow
        #vis fn #vjp #generics (#receiver #(#params,)* #seed: #seed_ty, #(#buffers),*) -> #ret #where_clause {
            #(#items)*
            #rev
        }
    };

    let grad_item = if matches!(desc.ret_kind, Kind::Float | Kind::Tensor) {
        let rt = &cx.rt;
        let locals: Vec<Ident> = active_params
            .iter()
            .map(|(v, _)| format_ident!("__grad_{}", f.var(*v).name, span = Span::mixed_site()))
            .collect();
        let setup = active_params.iter().zip(&locals).map(|((v, ty), local)| {
            let (id, bar, grad, adjoint) = (cx.id(*v), cx.bar(*v), &ty.gradient, &ty.adjoint);
            // A buffer a loop adds into at two indices per iteration (`x[i]`, `x[i + 1]`): its
            // length is hidden from the optimiser, as a caller's buffer's is in `f_vjp`, or
            // LLVM merges the two additions into one two-lane store that the next iteration
            // partly reloads (a store-forwarding stall; see ARCHITECTURE.md).
            let buffer = if stencils.contains(v) {
                quote!(::core::hint::black_box(&mut #local))
            } else {
                quote!(&mut #local)
            };
            quote!(let mut #local: #grad = #rt::zero_like(&#id); let #bar: #adjoint = #buffer;)
        });
        let gradient = match locals.as_slice() {
            [one] => quote!(#one),
            many => quote!((#(#many),*)),
        };
        let g_ty = gradient_type(desc, |ty| &ty.gradient);
        let grad_doc =
            format!(" Value and gradient of `{name}` with respect to {}.", list(desc, ""));
        quote! {
            #[doc = #grad_doc]
            #allow
            #vis fn #grad #generics (#receiver #(#params),*) -> (#ret, #g_ty) #where_clause {
                #(#items)*
                #(#setup)*
                let #seed = <#ret as #rt::GradOutput>::unit_seed();
                let value = { #rev };
                (value, #gradient)
            }
        }
    } else {
        TokenStream::new()
    };
    quote!(#jvp_item #vjp_item #pullback_item #grad_item)
}

/// The type of `f_vjp`'s seed and the statement that makes the adjoint of the result from it:
/// the result's type, except that a tuple result's `Vec<E>` elements are seeded by `&[E]`
/// (DESIGN.md), copied into a `Vec` for the body.
pub(super) fn tuple_seed(desc: &FnDesc, seed: &Ident) -> (TokenStream, TokenStream) {
    let ret = &desc.ret;
    let syn::Type::Tuple(t) = ret else { return (quote!(#ret), TokenStream::new()) };
    let is_vec = |e: &syn::Type| matches!(Kind::of_type(e), Kind::Seq(Seq::Vec));
    if !t.elems.iter().any(is_vec) {
        return (quote!(#ret), TokenStream::new());
    }
    let types = t.elems.iter().map(|e| match Kind::element_type(e) {
        Some(el) if is_vec(e) => quote!(&[#el]),
        _ => quote!(#e),
    });
    let owned = t.elems.iter().enumerate().map(|(k, e)| {
        let k = syn::Index::from(k);
        if is_vec(e) { quote!(#seed.#k.to_vec()) } else { quote!(#seed.#k) }
    });
    (quote!((#(#types,)*)), quote!(let #seed = (#(#owned,)*);))
}

/// What every generated function repeats of `f`'s signature.
pub(super) struct Signature<'d> {
    pub name: &'d Ident,
    pub vis: &'d syn::Visibility,
    pub generics: &'d syn::Generics,
    pub where_clause: &'d Option<syn::WhereClause>,
    pub ret: &'d syn::Type,
    /// `&self,` for a method.
    pub receiver: Option<TokenStream>,
    /// `x: X` (`mut x: X` when `f` takes it `mut`), for each typed parameter.
    pub params: Vec<TokenStream>,
    /// `Clone::clone(&x)` for each typed parameter: the arguments of a call of another
    /// generated function of `f` (which may be made more than once).
    pub arguments: Vec<TokenStream>,
}

impl Signature<'_> {
    pub fn of(desc: &FnDesc) -> Signature<'_> {
        let sig = &desc.item.sig;
        let rt = &desc.rt;
        Signature {
            name: &sig.ident,
            vis: &desc.item.vis,
            generics: &sig.generics,
            where_clause: &sig.generics.where_clause,
            ret: &desc.ret,
            receiver: desc.receiver.as_ref().map(|r| quote!(#r,)),
            params: desc
                .params
                .iter()
                .map(|p| {
                    let (id, ty) = (&p.ident, &p.ty);
                    let mutable = p.mutable.then(|| quote!(mut));
                    quote!(#mutable #id: #ty)
                })
                .collect(),
            arguments: desc
                .params
                .iter()
                .map(|p| {
                    let x = &p.ident;
                    quote!(#rt::Clone::clone(&#x))
                })
                .collect(),
        }
    }
}

/// Whether the body reads a parameter (and its tangent) by value though it is passed by
/// reference: an array or nalgebra value behind `&`.
pub(super) fn read_by_reference(p: &crate::parse::ParamDesc) -> bool {
    matches!(p.kind, Kind::Algebra | Kind::Seq(Seq::Array))
        && matches!(p.ty, syn::Type::Reference(_))
}

/// Whether the body reads a parameter (and its tangent and adjoint) as a slice: a `DVector` or
/// a `DMatrix` (column-major).
fn read_dynamic(p: &crate::parse::ParamDesc) -> bool {
    crate::syntax::dynamic_element(&p.ty).is_some()
}

/// How a body reads its parameters: `&Vector3<f64>` and `&[f64; 3]` by value (`let v = *v;`,
/// and so their tangents), `DVector`s as slices (and their tangents and adjoint buffers).
/// `tangents` and `adjoints` name those of parameter `i` of `desc`.
pub(super) fn reading_prologue(
    desc: &FnDesc,
    tangents: &[(usize, Ident)],
    adjoints: &[(usize, Ident)],
) -> TokenStream {
    let mut out: TokenStream = desc.params.iter().map(|p| read_as_body_does(p, &p.ident)).collect();
    out.extend(derivative_prologue(desc, tangents, adjoints));
    out
}

/// The part of [`reading_prologue`] that reads tangents and adjoint buffers.
pub(super) fn derivative_prologue(
    desc: &FnDesc,
    tangents: &[(usize, Ident)],
    adjoints: &[(usize, Ident)],
) -> TokenStream {
    let mut out: TokenStream =
        tangents.iter().map(|(i, d)| read_as_body_does(&desc.params[*i], d)).collect();
    for (i, b) in adjoints {
        if read_dynamic(&desc.params[*i]) {
            out.extend(quote!(let #b = #b.as_mut_slice();));
        }
    }
    out
}

/// `x` (parameter `p`, or its tangent) as the body reads it: `let x = *x;` of an array or
/// nalgebra value behind `&`, `let x = x.as_slice();` of an active `DVector` or `DMatrix` (its
/// dimensions first, which the body reads for `m.nrows()`, `m[(i, j)]`: see
/// `rewrite::dynamic`).
fn read_as_body_does(p: &crate::parse::ParamDesc, x: &Ident) -> TokenStream {
    let mut out = TokenStream::new();
    if read_by_reference(p) {
        out.extend(quote!(let #x = *#x;));
    }
    if *x == p.ident && read_dynamic(p) {
        let (rows, cols) = crate::syntax::dynamic_dimensions(x);
        out.extend(quote!(let #rows: usize = #x.nrows(); let #cols: usize = #x.ncols();));
    }
    // (an inactive one stays a matrix: the body may use it in other ways, `a.column(1)`)
    if read_dynamic(p) && p.active {
        out.extend(quote!(let #x = #x.as_slice();));
    }
    out
}

/// The type of `f_grad`'s gradient (`G`), or of another value with one part per active
/// parameter (`part` of its derivative types): the part itself for one active parameter, a
/// tuple of them in parameter order for several.
pub(super) fn gradient_type(
    desc: &FnDesc,
    part: impl Fn(&DerivativeTypes) -> &TokenStream,
) -> TokenStream {
    let parts: Vec<&TokenStream> =
        desc.params.iter().filter(|p| p.active).map(|p| part(&p.derivative_types)).collect();
    match parts.as_slice() {
        [one] => (*one).clone(),
        many => quote!((#(#many),*)),
    }
}

/// "`x_dot`, `y_dot`" for the active parameters.
pub(super) fn list(desc: &FnDesc, suffix: &str) -> String {
    let names: Vec<String> =
        desc.params.iter().filter(|p| p.active).map(|p| format!("`{}{suffix}`", p.ident)).collect();
    if names.is_empty() { "no parameter".into() } else { names.join(", ") }
}

//! `f_hvp`, `f_hessian`, `f_grad_jvp` and `f_grad_vjp` (with `#[differentiable(hessian)]`):
//! reverse mode of the tangent function that [`crate::second`] builds (reverse over forward).

use super::context::Ctx;
use super::items::{Signature, gradient_type, list, reading_prologue};
use super::reverse;
use crate::diagnostics::Errors;
use crate::ir::{Function, Var};
use crate::kind::Kind;
use crate::parse::{FnDesc, Options, ParamDesc};
use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote};

/// An active parameter of `f`: its description, its position, its value in the tangent
/// function and its tangent parameter there.
struct Active<'d> {
    desc: &'d ParamDesc,
    index: usize,
    value: Var,
    dot: Var,
}

/// The second-order items, or nothing (and an error) when `f` cannot have them.
pub fn hessian_items(
    desc: &FnDesc,
    f: &Function,
    opts: &Options,
    errors: &mut Errors,
) -> TokenStream {
    // (a helper's nalgebra, array, `Vec` or tuple result: `f_hvp` only, with a seed of the
    // result's type, so that `hessian` functions may call it; a tuple holding a `Vec` has a
    // seed of another type, `(E, &[E])`, which a caller's second order does not pass)
    let tuple_of_vecs = matches!(&desc.ret, syn::Type::Tuple(t)
        if t.elems.iter().any(|e| matches!(Kind::of_type(e), Kind::Seq(crate::kind::Seq::Vec))));
    let vector = matches!(
        desc.ret_kind,
        Kind::Algebra | Kind::Seq(crate::kind::Seq::Array | crate::kind::Seq::Vec) | Kind::Tuple
    ) && !tuple_of_vecs;
    if !matches!(desc.ret_kind, Kind::Float | Kind::Tensor) && !vector {
        errors.error(
            &desc.ret,
            "`hessian` needs a function with a float, tensor, nalgebra, array, `Vec` or tuple result (not a tuple holding a `Vec`)",
            "second derivatives are of a scalar function (`f32`, `f64`, a `T: Real`, a one-element `Tensor`); a helper returning an nalgebra value, an array, a `Vec` or a tuple of floats, arrays or nalgebra values gets `f_hvp`; return a tuple's `Vec` from a helper of its own",
        );
        return TokenStream::new();
    }
    let Some(t) = crate::second::tangent(f, &desc.rt, &desc.split_calls, errors) else {
        return TokenStream::new();
    };
    let g = &t.g;
    let active = crate::analyse::active(g);
    let views = super::views::views(g, &active);
    let changed = crate::analyse::changed_in_place(g);
    let cx = Ctx { f: g, rt: desc.rt.clone(), active: &active, views, changed };
    let (value, tangent) = (cx.operand(&t.value), cx.operand(g.result()));
    let (body, plan) = reverse::planned_body_returning(&cx, quote!((#value, #tangent)));
    // (the tangent function keeps f's values' numbers: its new ones, the buffers' tangents,
    // are passed beside the buffers and named by them)
    let mut refused = crate::check::loop_buffers_refused(g, |id| plan.rebuilds_iterations(id));
    refused.retain(|(v, _)| v.0 < f.vars.len());
    if !refused.is_empty() {
        crate::check::report_loop_buffers(g, &refused, errors);
        return TokenStream::new();
    }
    let actives: Vec<Active<'_>> = t
        .dots
        .iter()
        .filter_map(|&(value, dot)| {
            f.var(value).param.map(|index| Active { desc: &desc.params[index], index, value, dot })
        })
        .collect();

    let sig = Signature::of(desc);
    let Signature { name, vis, generics, where_clause, ret, receiver, params, .. } = &sig;
    let tangents = actives.iter().map(|a| {
        let (id, ty) = (cx.id(a.dot), &a.desc.derivative_types.tangent);
        quote!(#id: #ty)
    });
    // `x_bar` (of the contract) receives the adjoint of the tangent, `seed·∇f`; `x_bar_dot`
    // the adjoint of the value, `seed·∇²f·v`.
    let gradient_bars: Vec<(usize, Ident)> =
        actives.iter().map(|a| (a.index, cx.bar(a.dot))).collect();
    let product_bars: Vec<(usize, Ident)> =
        actives.iter().map(|a| (a.index, cx.bar(a.value))).collect();
    let adjoint = |bars: &[(usize, Ident)]| -> Vec<TokenStream> {
        bars.iter()
            .map(|(i, b)| {
                let ty = &desc.params[*i].derivative_types.adjoint;
                quote!(#b: #ty)
            })
            .collect()
    };
    let (gradients, products) = (adjoint(&gradient_bars), adjoint(&product_bars));
    let tangent_names: Vec<(usize, Ident)> =
        actives.iter().map(|a| (a.index, cx.id(a.dot).clone())).collect();
    let all_bars = [gradient_bars.as_slice(), product_bars.as_slice()].concat();
    let mut prologue = reading_prologue(desc, &tangent_names, &all_bars);
    // Slices' tangents and buffers cut to their primal's length, as in `f_jvp` and `f_vjp`
    // (a shorter one panics naming the parameter)
    let rt = &desc.rt;
    let stencils = crate::analyse::read_at_two_indices(g);
    for a in actives.iter().filter(|a| {
        matches!(a.desc.kind, Kind::Seq(crate::kind::Seq::Slice | crate::kind::Seq::Vec))
    }) {
        let (x, name) = (&a.desc.ident, a.desc.ident.to_string());
        let d = cx.id(a.dot);
        prologue.extend(quote!(let #d = #rt::cut_to_length(#d, #x.len(), #name);));
        // (buffers a loop adds into at two indices per iteration, `x[i]` and `x[i + 1]`, keep
        // their length hidden from the optimiser: see `f_vjp`)
        for (v, b) in [(a.dot, cx.bar(a.dot)), (a.value, cx.bar(a.value))] {
            if !stencils.contains(&v) {
                prologue.extend(quote!(let #b = #rt::cut_to_length_mut(#b, #x.len(), #name);));
            }
        }
    }
    let items = &f.items;
    let allow = quote!(#[allow(unused, clippy::all, non_snake_case)] #[inline]);
    let seed = Ident::new("seed", Span::mixed_site());
    let hvp = format_ident!("{}_hvp", name, span = name.span());
    let names = list(desc, "");
    let hvp_doc = format!(
        " Hessian-vector product of `{name}` (one forward and one reverse sweep): returns its value and its directional derivative along the tangents of {names}; ADDS `seed` times its gradient into the first buffers and `seed` times the Hessian times the tangents into the second ones."
    );
    let hvp_item = quote! {
        #[doc = #hvp_doc]
        #allow
        #vis fn #hvp #generics (#receiver #(#params,)* #(#tangents,)* #seed: #ret, #(#gradients,)* #(#products),*) -> (#ret, #ret) #where_clause {
            #(#items)*
            #prologue
            #body
        }
    };
    // Tensor functions have `f_hvp` only: a dense Hessian over tensor parameters is what
    // Hessian-vector products exist to avoid.
    let tensors = desc.ret_kind == Kind::Tensor
        || actives.iter().any(|a| f.var(a.value).kind == Kind::Tensor);
    // `&mut` state (a generator): `f_hessian` and `f_grad_jvp`/`f_grad_vjp` run `f` several
    // times on one argument list, which state taken by `&mut` cannot be (nor should it advance
    // once per column); `f_hvp` runs once
    let mut_state = desc
        .params
        .iter()
        .any(|p| matches!(&p.ty, syn::Type::Reference(r) if r.mutability.is_some()));
    if actives.is_empty() || tensors || mut_state || vector {
        return hvp_item;
    }
    let calls = Calls {
        sig: &sig,
        rt: &desc.rt,
        prefix: if desc.receiver.is_some() {
            quote!(self.)
        } else if opts.in_impl {
            quote!(Self::)
        } else {
            TokenStream::new()
        },
        grad: opts
            .grad
            .clone()
            .unwrap_or_else(|| format_ident!("{}_grad", name, span = name.span())),
        hvp,
    };
    let hessian_item = hessian(desc, &actives, &calls);
    let gradient_items = gradient_derivatives(desc, &actives, &calls);
    quote!(#hvp_item #hessian_item #gradient_items)
}

/// What the items built on `f_hvp` call.
struct Calls<'s, 'd> {
    sig: &'s Signature<'d>,
    rt: &'s TokenStream,
    /// `self.`, `Self::` or nothing.
    prefix: TokenStream,
    grad: Ident,
    hvp: Ident,
}

/// A local of generated code named after a parameter.
fn local(prefix: &str, p: &ParamDesc) -> Ident {
    format_ident!("__{}_{}", prefix, p.ident, span = Span::mixed_site())
}

/// `f_hessian`: the value and gradient from `f_grad`, the Hessian column by column from
/// `f_hvp` along unit tangents.
fn hessian(desc: &FnDesc, actives: &[Active<'_>], calls: &Calls<'_, '_>) -> TokenStream {
    let Calls { sig, rt, prefix, grad, hvp } = calls;
    let Signature { name, vis, generics, where_clause, ret, receiver, params, arguments } = sig;
    let hessian = format_ident!("{}_hessian", name, span = name.span());
    let units: Vec<Ident> = actives.iter().map(|a| local("unit", a.desc)).collect();
    let grads: Vec<Ident> = actives.iter().map(|a| local("grad", a.desc)).collect();
    let cols: Vec<Ident> = actives.iter().map(|a| local("column", a.desc)).collect();
    let xs: Vec<&Ident> = actives.iter().map(|a| &a.desc.ident).collect();
    let unit_args = actives.iter().zip(&units).map(|(a, u)| {
        if a.desc.derivative_types.tangent_by_reference {
            quote!(&#u)
        } else {
            quote!(#rt::Clone::clone(&#u))
        }
    });
    let g_ty = gradient_type(desc, |ty| &ty.gradient);
    let doc = format!(
        " Value, gradient and Hessian of `{name}` with respect to {} (flattened in order), the Hessian exactly symmetric, from one `{hvp}` per column.",
        list(desc, "")
    );
    // (the macro's own names, which the user's arguments cannot mean: a parameter `n` or `value`)
    let [value, gradient, n, h, j, column] = ["value", "gradient", "n", "hessian", "j", "column"]
        .map(|s| Ident::new(s, Span::mixed_site()));
    quote! {
        #[doc = #doc]
        #[allow(unused, clippy::all, non_snake_case)]
        #vis fn #hessian #generics (#receiver #(#params),*) -> (#ret, #g_ty, #rt::DMatrix<#ret>) #where_clause {
            let (#value, #gradient) = #prefix #grad(#(#arguments),*);
            let #n = 0 #(+ #rt::Flat::<#ret>::flat_len(&#rt::zero_like(&#xs)))*;
            let #h = #rt::hessian_from_columns::<#ret>(#n, |#j, #column| {
                #(let mut #units = #rt::zero_like(&#xs);)*
                #rt::set_unit::<#ret>(#j, &mut [#(&mut #units as &mut dyn #rt::Flat<#ret>),*]);
                #(let mut #grads = #rt::zero_like(&#xs);)*
                #(let mut #cols = #rt::zero_like(&#xs);)*
                #prefix #hvp(#(#arguments,)* #(#unit_args,)* <#ret as #rt::GradOutput>::unit_seed(), #(&mut #grads,)* #(&mut #cols),*);
                #rt::gather::<#ret>(&[#(&#cols as &dyn #rt::Flat<#ret>),*], #column);
            });
            (#value, #gradient, #h)
        }
    }
}

/// `f_grad_jvp` and `f_grad_vjp`: `f_grad` as a function with a tuple result `(R, G)` and
/// derivatives (contract), both from `f_hvp` (the Hessian is symmetric), so differentiable
/// code may call `f_grad` (a force `-∇E` inside a loss).
fn gradient_derivatives(
    desc: &FnDesc,
    actives: &[Active<'_>],
    calls: &Calls<'_, '_>,
) -> TokenStream {
    let Calls { sig, rt, prefix, grad, hvp } = calls;
    let Signature { name, vis, generics, where_clause, ret, receiver, params, arguments } = sig;
    let gradient = gradient_type(desc, |ty| &ty.gradient);
    let seed_ty = gradient_type(desc, |ty| ty.seed());
    let dots: Vec<Ident> = actives
        .iter()
        .map(|a| format_ident!("{}_dot", a.desc.ident, span = Span::mixed_site()))
        .collect();
    let tangents = actives.iter().zip(&dots).map(|(a, d)| {
        let ty = &a.desc.derivative_types.tangent;
        quote!(#d: #ty)
    });
    let bars: Vec<Ident> = actives
        .iter()
        .map(|a| format_ident!("{}_bar", a.desc.ident, span = Span::mixed_site()))
        .collect();
    let adjoints = actives.iter().zip(&bars).map(|(a, b)| {
        let ty = &a.desc.derivative_types.adjoint;
        quote!(#b: #ty)
    });
    let xs: Vec<&Ident> = actives.iter().map(|a| &a.desc.ident).collect();
    let gs: Vec<Ident> = actives.iter().map(|a| local("grad", a.desc)).collect();
    let hs: Vec<Ident> = actives.iter().map(|a| local("product", a.desc)).collect();
    // the seed's gradient part, one per parameter, as tangents of `f_hvp`
    let parts: Vec<Ident> = actives.iter().map(|a| local("seed", a.desc)).collect();
    let one = actives.len() == 1;
    let pack = |ids: &[Ident]| if one { quote!(#(#ids)*) } else { quote!((#(#ids),*)) };
    let (g_out, h_out, parts_pattern) = (pack(&gs), pack(&hs), pack(&parts));
    let part_args = actives.iter().zip(&parts).map(|(a, s)| {
        let types = &a.desc.derivative_types;
        if types.tangent_by_reference && !types.gradient_is_vec { quote!(&#s) } else { quote!(#s) }
    });
    let (grad_jvp, grad_vjp) = (
        format_ident!("{}_jvp", grad, span = grad.span()),
        format_ident!("{}_vjp", grad, span = grad.span()),
    );
    let seed = Ident::new("seed", Span::mixed_site());
    let unit = quote!(<#ret as #rt::GradOutput>::unit_seed());
    let jvp_doc = format!(
        " Forward mode of `{grad}` (from `{hvp}`): its value and gradient, and their derivatives along the tangents."
    );
    let vjp_doc = format!(
        " Reverse mode of `{grad}` (from `{hvp}`, the Hessian of `{name}` being symmetric): ADDS the seed's value part times the gradient plus the Hessian times its gradient part into the buffers."
    );
    quote! {
        #[doc = #jvp_doc]
        #[allow(unused, clippy::all, non_snake_case)]
        #[inline]
        #vis fn #grad_jvp #generics (#receiver #(#params,)* #(#tangents),*) -> ((#ret, #gradient), (#ret, #gradient)) #where_clause {
            #(let mut #gs = #rt::zero_like(&#xs);)*
            #(let mut #hs = #rt::zero_like(&#xs);)*
            let (value, tangent) = #prefix #hvp(#(#arguments,)* #(#dots,)* #unit, #(&mut #gs,)* #(&mut #hs),*);
            ((value, #g_out), (tangent, #h_out))
        }

        #[doc = #vjp_doc]
        #[allow(unused, clippy::all, non_snake_case)]
        #[inline]
        #vis fn #grad_vjp #generics (#receiver #(#params,)* #seed: (#ret, #seed_ty), #(#adjoints),*) -> (#ret, #gradient) #where_clause {
            let #parts_pattern = #seed.1;
            #(let mut #gs = #rt::zero_like(&#xs);)*
            let (value, _) = #prefix #hvp(#(#arguments,)* #(#part_args,)* #unit, #(&mut #gs,)* #(&mut *#bars),*);
            #(#rt::add_scaled::<#ret, _, _>(&mut *#bars, #seed.0, &#gs);)*
            (value, #g_out)
        }
    }
}

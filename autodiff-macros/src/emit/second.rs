//! `f_hvp` and `f_hessian` (with `#[differentiable(hessian)]`): reverse mode of the tangent
//! function that [`crate::second`] builds (reverse over forward).

use super::context::Ctx;
use super::reverse;
use crate::diagnostics::Errors;
use crate::ir::Function;
use crate::kind::{Kind, Seq};
use crate::parse::{FnDesc, Options};
use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote};

/// `f_hvp` and `f_hessian`, or nothing (and an error) when `f` cannot have them.
pub fn hessian_items(
    desc: &FnDesc,
    f: &Function,
    opts: &Options,
    errors: &mut Errors,
) -> TokenStream {
    if desc.ret_kind == Kind::Tensor {
        errors.error(
            &desc.ret,
            "`hessian` does not support tensor functions yet",
            "second derivatives are for functions of floats, arrays, slices, `Vec`s and nalgebra values; tensor functions have `f_jvp`, `f_vjp` and `f_grad`",
        );
        return TokenStream::new();
    }
    if desc.ret_kind != Kind::Float {
        errors.error(
            &desc.ret,
            "`hessian` needs a function with a float result",
            "second derivatives are of a scalar function: return `f32`, `f64` or a `T: Real`",
        );
        return TokenStream::new();
    }
    let Some(t) = crate::second::tangent(f, &desc.rt, errors) else { return TokenStream::new() };
    let g = &t.g;
    let active = crate::analyse::active(g);
    let views = super::views::views(g, &active);
    let changed = crate::analyse::changed_in_place(g);
    let cx = Ctx { f: g, rt: desc.rt.clone(), active: &active, views, changed };
    let rt = &cx.rt;
    let (value, tangent) = (cx.operand(&t.value), cx.operand(g.result()));
    let (body, _) = reverse::planned_body_returning(&cx, quote!((#value, #tangent)));

    let sig = &desc.item.sig;
    let name = &sig.ident;
    let vis = &desc.item.vis;
    let generics = &sig.generics;
    let where_clause = &generics.where_clause;
    let ret = &desc.ret;
    let receiver = desc.receiver.as_ref().map(|r| quote!(#r,));
    let params: Vec<TokenStream> = desc
        .params
        .iter()
        .map(|p| {
            let (id, ty) = (&p.ident, &p.ty);
            let mutable = p.mutable.then(|| quote!(mut));
            quote!(#mutable #id: #ty)
        })
        .collect();
    // (each active parameter: its description, its value in `g`, its tangent parameter in `g`)
    let active_params: Vec<_> = t
        .dots
        .iter()
        .filter_map(|(p, d)| f.var(*p).param.map(|i| (&desc.params[i], *p, *d)))
        .collect();
    let tangents = active_params.iter().map(|(p, _, d)| {
        let (id, ty) = (cx.id(*d), &p.derivative_types.tangent);
        quote!(#id: #ty)
    });
    let gradients = active_params.iter().map(|(p, _, d)| {
        let (bar, ty) = (cx.bar(*d), &p.derivative_types.adjoint);
        quote!(#bar: #ty)
    });
    let products = active_params.iter().map(|(p, v, _)| {
        let (bar, ty) = (cx.bar(*v), &p.derivative_types.adjoint);
        quote!(#bar: #ty)
    });
    // The body reads `&Vector3`/`&[f; N]` parameters by value, `DVector`s as slices.
    let mut prologue = TokenStream::new();
    for (i, p) in desc.params.iter().enumerate() {
        let x = &p.ident;
        let pair = active_params.iter().find(|(q, _, _)| std::ptr::eq(*q, &desc.params[i]));
        let by_ref = matches!(p.kind, Kind::Algebra | Kind::Seq(Seq::Array))
            && matches!(p.ty, syn::Type::Reference(_));
        let dynamic = crate::syntax::dynamic_vector_element(&p.ty).is_some();
        if by_ref {
            prologue.extend(quote!(let #x = *#x;));
            if let Some((_, _, d)) = pair {
                let d = cx.id(*d);
                prologue.extend(quote!(let #d = *#d;));
            }
        }
        if dynamic {
            prologue.extend(quote!(let #x = #x.as_slice();));
            if let Some((_, v, d)) = pair {
                let (dd, gb, hb) = (cx.id(*d), cx.bar(*d), cx.bar(*v));
                prologue.extend(quote! {
                    let #dd = #dd.as_slice();
                    let #gb = #gb.as_mut_slice();
                    let #hb = #hb.as_mut_slice();
                });
            }
        }
    }
    let items = &f.items;
    let allow = quote!(#[allow(unused, clippy::all, non_snake_case)] #[inline]);
    let seed = Ident::new("seed", Span::mixed_site());
    let hvp = format_ident!("{}_hvp", name, span = name.span());
    let names = active_params.iter().map(|(p, _, _)| format!("`{}`", p.ident)).collect::<Vec<_>>();
    let names = names.join(", ");
    let hvp_doc = format!(
        " Hessian-vector product of `{name}` (forward over reverse): returns its value and its directional derivative along the tangents of {names}; ADDS `seed` times its gradient into the first buffers and `seed` times the Hessian times the tangents into the second ones."
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

    // f_hessian: the value and gradient from `f_grad`, the Hessian column by column from
    // `f_hvp` along unit tangents.
    let call_prefix = if desc.receiver.is_some() {
        quote!(self.)
    } else if opts.in_impl {
        quote!(Self::)
    } else {
        TokenStream::new()
    };
    let grad =
        opts.grad.clone().unwrap_or_else(|| format_ident!("{}_grad", name, span = name.span()));
    let hessian = format_ident!("{}_hessian", name, span = name.span());
    let copies: Vec<TokenStream> = desc
        .params
        .iter()
        .map(|p| {
            let x = &p.ident;
            quote!(#rt::Clone::clone(&#x))
        })
        .collect();
    let local = |prefix: &str, p: &crate::parse::ParamDesc| {
        format_ident!("__{}_{}", prefix, p.ident, span = Span::mixed_site())
    };
    let units: Vec<Ident> = active_params.iter().map(|(p, _, _)| local("unit", p)).collect();
    let grads: Vec<Ident> = active_params.iter().map(|(p, _, _)| local("grad", p)).collect();
    let cols: Vec<Ident> = active_params.iter().map(|(p, _, _)| local("column", p)).collect();
    let xs: Vec<&Ident> = active_params.iter().map(|(p, _, _)| &p.ident).collect();
    let unit_args = active_params.iter().zip(&units).map(|((p, _, _), u)| {
        if p.derivative_types.tangent.to_string().starts_with('&') {
            quote!(&#u)
        } else {
            quote!(#rt::Clone::clone(&#u))
        }
    });
    let g_ty = match active_params.as_slice() {
        [(p, _, _)] => p.derivative_types.gradient.clone(),
        many => {
            let tys = many.iter().map(|(p, _, _)| &p.derivative_types.gradient);
            quote!((#(#tys),*))
        }
    };
    let hessian_doc = format!(
        " Value, gradient and Hessian of `{name}` with respect to {names} (flattened in order), the Hessian exactly symmetric, from one `{hvp}` per column."
    );
    let hessian_item = quote! {
        #[doc = #hessian_doc]
        #allow
        #vis fn #hessian #generics (#receiver #(#params),*) -> (#ret, #g_ty, #rt::DMatrix<#ret>) #where_clause {
            let (value, gradient) = #call_prefix #grad(#(#copies),*);
            let n = 0 #(+ #rt::Flat::<#ret>::flat_len(&#rt::zero_like(&#xs)))*;
            let hessian = #rt::hessian_from_columns::<#ret>(n, |j, column| {
                #(let mut #units = #rt::zero_like(&#xs);)*
                #rt::set_unit::<#ret>(j, &mut [#(&mut #units as &mut dyn #rt::Flat<#ret>),*]);
                #(let mut #grads = #rt::zero_like(&#xs);)*
                #(let mut #cols = #rt::zero_like(&#xs);)*
                #call_prefix #hvp(#(#copies,)* #(#unit_args,)* <#ret as #rt::GradOutput>::unit_seed(), #(&mut #grads,)* #(&mut #cols),*);
                #rt::gather::<#ret>(&[#(&#cols as &dyn #rt::Flat<#ret>),*], column);
            });
            (value, gradient, hessian)
        }
    };
    if active_params.is_empty() {
        return hvp_item;
    }
    let grad_items = gradient_derivatives(desc, &active_params, &cx, &call_prefix, &grad, &hvp);
    quote!(#hvp_item #hessian_item #grad_items)
}

/// `f_grad_jvp` and `f_grad_vjp`: `f_grad` as a function with a tuple result `(R, G)` and
/// derivatives (contract), both from `f_hvp` (the Hessian is symmetric), so differentiable
/// code may call `f_grad` (a force `-∇E` inside a loss).
fn gradient_derivatives(
    desc: &FnDesc,
    active_params: &[(&crate::parse::ParamDesc, crate::ir::Var, crate::ir::Var)],
    cx: &Ctx<'_>,
    call_prefix: &TokenStream,
    grad: &Ident,
    hvp: &Ident,
) -> TokenStream {
    let rt = &cx.rt;
    let sig = &desc.item.sig;
    let vis = &desc.item.vis;
    let generics = &sig.generics;
    let where_clause = &generics.where_clause;
    let ret = &desc.ret;
    let receiver = desc.receiver.as_ref().map(|r| quote!(#r,));
    let params: Vec<TokenStream> = desc
        .params
        .iter()
        .map(|p| {
            let (id, ty) = (&p.ident, &p.ty);
            let mutable = p.mutable.then(|| quote!(mut));
            quote!(#mutable #id: #ty)
        })
        .collect();
    let copies: Vec<TokenStream> = desc
        .params
        .iter()
        .map(|p| {
            let x = &p.ident;
            quote!(#rt::Clone::clone(&#x))
        })
        .collect();
    let one = active_params.len() == 1;
    let g_ty = |f: &dyn Fn(&crate::parse::ParamDesc) -> TokenStream| {
        let tys: Vec<TokenStream> = active_params.iter().map(|(p, _, _)| f(p)).collect();
        if one { tys[0].clone() } else { quote!((#(#tys),*)) }
    };
    let gradient = g_ty(&|p| p.derivative_types.gradient.clone());
    // a gradient's seed: `&[E]` for a `Vec`, else the gradient's own type
    let is_vec =
        |p: &crate::parse::ParamDesc| p.derivative_types.gradient.to_string().contains("Vec <");
    let seed_ty = g_ty(&|p| {
        if is_vec(p) {
            p.derivative_types.tangent.clone()
        } else {
            p.derivative_types.gradient.clone()
        }
    });
    let tangents: Vec<TokenStream> = active_params
        .iter()
        .map(|(p, _, _)| {
            let d = format_ident!("{}_dot", p.ident, span = Span::mixed_site());
            let ty = &p.derivative_types.tangent;
            quote!(#d: #ty)
        })
        .collect();
    let dots: Vec<Ident> = active_params
        .iter()
        .map(|(p, _, _)| format_ident!("{}_dot", p.ident, span = Span::mixed_site()))
        .collect();
    let bars: Vec<Ident> = active_params
        .iter()
        .map(|(p, _, _)| format_ident!("{}_bar", p.ident, span = Span::mixed_site()))
        .collect();
    let adjoints = active_params.iter().zip(&bars).map(|((p, _, _), b)| {
        let ty = &p.derivative_types.adjoint;
        quote!(#b: #ty)
    });
    let xs: Vec<&Ident> = active_params.iter().map(|(p, _, _)| &p.ident).collect();
    let local =
        |prefix: &str, x: &Ident| format_ident!("__{}_{}", prefix, x, span = Span::mixed_site());
    let gs: Vec<Ident> = xs.iter().map(|x| local("grad", x)).collect();
    let hs: Vec<Ident> = xs.iter().map(|x| local("product", x)).collect();
    let pack = |ids: &[Ident]| if one { quote!(#(#ids)*) } else { quote!((#(#ids),*)) };
    let (g_out, h_out) = (pack(&gs), pack(&hs));
    let name = &sig.ident;
    let grad_jvp = format_ident!("{}_jvp", grad, span = grad.span());
    let grad_vjp = format_ident!("{}_vjp", grad, span = grad.span());
    let seed = Ident::new("seed", Span::mixed_site());
    // the seed's parts, as tangents of `f_hvp`
    let parts: Vec<Ident> = xs.iter().map(|x| local("seed", x)).collect();
    let unpack = if one {
        let p = &parts[0];
        quote!(let #p = #seed.1;)
    } else {
        quote!(let (#(#parts),*) = #seed.1;)
    };
    let part_args = active_params.iter().zip(&parts).map(|((p, _, _), s)| {
        let tangent_ref = p.derivative_types.tangent.to_string().starts_with('&');
        if tangent_ref && !is_vec(p) { quote!(&#s) } else { quote!(#s) }
    });
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
            let (value, tangent) = #call_prefix #hvp(#(#copies,)* #(#dots,)* #unit, #(&mut #gs,)* #(&mut #hs),*);
            ((value, #g_out), (tangent, #h_out))
        }

        #[doc = #vjp_doc]
        #[allow(unused, clippy::all, non_snake_case)]
        #[inline]
        #vis fn #grad_vjp #generics (#receiver #(#params,)* #seed: (#ret, #seed_ty), #(#adjoints),*) -> (#ret, #gradient) #where_clause {
            #unpack
            #(let mut #gs = #rt::zero_like(&#xs);)*
            let (value, _) = #call_prefix #hvp(#(#copies,)* #(#part_args,)* #unit, #(&mut #gs,)* #(&mut *#bars),*);
            #(#rt::add_scaled::<#ret, _, _>(&mut *#bars, #seed.0, &#gs);)*
            (value, #g_out)
        }
    }
}

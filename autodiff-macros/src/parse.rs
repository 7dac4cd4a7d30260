//! Stage 1, parse: the attribute's options and the function's signature, checked, as a
//! [`FnDesc`] the later stages read.

use crate::diagnostics::Errors;
use crate::kind::Kind;
use proc_macro2::{Ident, Span, TokenStream};
use syn::parse::Parser as _;
use syn::spanned::Spanned;
use syn::{FnArg, ItemFn, Pat, ReturnType, Type};

/// `#[differentiable(wrt(a, b), jvp = name, vjp = name, grad = name, crate = path)]`.
#[derive(Default)]
pub struct Options {
    /// The parameters to differentiate with respect to, if given.
    pub wrt: Option<Vec<Ident>>,
    /// The name of the forward-mode function.
    pub jvp: Option<Ident>,
    /// The name of the reverse-mode function.
    pub vjp: Option<Ident>,
    /// The name of the gradient function.
    pub grad: Option<Ident>,
    /// `hessian`: also generate `f_hvp` and `f_hessian` (second order).
    pub hessian: bool,
    /// `graph`: also generate `f_graph()`, the computation as DOT text.
    pub graph: bool,
    /// `batch`: also generate `f_jvp_batch`, forward mode along several tangents at once.
    pub batch: bool,
    /// `split`: also generate `f_pullback`, reverse mode in split mode (a function taking
    /// `&mut` state gets it without asking).
    pub split: bool,
    /// `split(g, h)`: call these functions in split mode (through their `_pullback`), so that
    /// reverse mode runs each once.
    pub split_calls: Vec<Ident>,
    /// The path of the facade crate (`autodiff` unless given).
    pub krate: Option<syn::Path>,
    /// Type parameters of an enclosing `impl` that are floats (`impl<T: Real> ..`), for the
    /// methods of a differentiated `impl` block.
    pub outer_floats: Vec<Ident>,
    /// Whether the function is a method or associated function of a differentiated `impl`
    /// block (generated code calls its siblings through `Self::`).
    pub in_impl: bool,
}

const OPTIONS_HELP: &str = "the options are `wrt(a, b)`, `hessian`, `graph`, `batch`, `split`, `split(g, ..)`, `jvp = name`, `vjp = name`, `grad = name` and `crate = path`";

/// Parses the attribute's arguments; problems go to `errors`.
pub fn options(args: TokenStream, errors: &mut Errors) -> Options {
    let mut opts = Options::default();
    let mut seen: Vec<String> = Vec::new();
    let parser = syn::meta::parser(|meta| {
        let key = meta.path.get_ident().map(ToString::to_string).unwrap_or_default();
        if seen.contains(&key) {
            errors.error(&meta.path, format!("duplicate option `{key}`"), "give each option once");
        }
        seen.push(key.clone());
        match key.as_str() {
            "wrt" => {
                let mut names = Vec::new();
                meta.parse_nested_meta(|inner| match inner.path.get_ident() {
                    Some(id) => {
                        names.push(id.clone());
                        Ok(())
                    }
                    None => Err(inner.error("expected a parameter name")),
                })?;
                opts.wrt = Some(names);
            }
            "jvp" => opts.jvp = Some(meta.value()?.parse()?),
            "vjp" => opts.vjp = Some(meta.value()?.parse()?),
            "grad" => opts.grad = Some(meta.value()?.parse()?),
            "crate" => opts.krate = Some(meta.value()?.parse()?),
            "hessian" => opts.hessian = true,
            "graph" => opts.graph = true,
            "batch" => opts.batch = true,
            "split" if meta.input.peek(syn::token::Paren) => {
                meta.parse_nested_meta(|inner| match inner.path.get_ident() {
                    Some(id) => {
                        opts.split_calls.push(id.clone());
                        Ok(())
                    }
                    None => Err(inner.error("expected the name of a function")),
                })?;
            }
            "split" => opts.split = true,
            _ => {
                let name = meta.path.to_token_stream_string();
                errors.error(
                    &meta.path,
                    format!("unknown option `{name}` of #[differentiable]"),
                    OPTIONS_HELP,
                );
                // Skip the option's value, if any, so parsing can go on.
                if meta.input.peek(syn::Token![=]) {
                    let _: TokenStream = meta.value()?.parse()?;
                } else if !meta.input.is_empty() && !meta.input.peek(syn::Token![,]) {
                    let _: proc_macro2::Group = meta.input.parse()?;
                }
            }
        }
        Ok(())
    });
    if let Err(e) = parser.parse2(args) {
        errors.error(e.span(), e, OPTIONS_HELP);
    }
    opts
}

trait PathString {
    fn to_token_stream_string(&self) -> String;
}

impl PathString for syn::Path {
    fn to_token_stream_string(&self) -> String {
        quote::quote!(#self).to_string().replace(' ', "")
    }
}

/// A typed parameter of the function.
pub struct ParamDesc {
    /// Its name.
    pub ident: Ident,
    /// `mut x: T`: the generated functions take it `mut` too (an inactive `Vec` the body sorts).
    pub mutable: bool,
    /// Its declared type.
    pub ty: Type,
    /// What the type is.
    pub kind: Kind,
    /// Whether derivatives are taken with respect to it.
    pub active: bool,
    /// The types of its tangent, its adjoint buffer, and its gradient (DESIGN.md).
    pub derivative_types: DerivativeTypes,
}

/// The types derivatives of a parameter take in the generated signatures.
pub struct DerivativeTypes {
    /// Of its tangent in `f_jvp`.
    pub tangent: TokenStream,
    /// Of its adjoint buffer in `f_vjp`.
    pub adjoint: TokenStream,
    /// Of its gradient in `f_grad`.
    pub gradient: TokenStream,
    /// Whether the tangent is a reference (`&[f]`, `&Vector3<f>`) rather than a value.
    pub tangent_by_reference: bool,
    /// Whether the gradient is a `Vec` (of a slice or `Vec` parameter): as part of a result,
    /// its tangent and seed are slices.
    pub gradient_is_vec: bool,
}

impl DerivativeTypes {
    /// The type of a seed for this gradient as part of a result (`f_grad_vjp`'s seed): `&[E]`
    /// for a `Vec`, else the gradient's own type.
    pub fn seed(&self) -> &TokenStream {
        if self.gradient_is_vec { &self.tangent } else { &self.gradient }
    }
}

impl DerivativeTypes {
    fn of(ty: &Type, kind: Kind) -> DerivativeTypes {
        use crate::kind::Seq;
        // `&Vector3<f64>`, `&[f64; N]`: tangent `&Vector3<f64>`, adjoint `&mut Vector3<f64>`,
        // gradient `Vector3<f64>`
        if matches!(kind, Kind::Algebra | Kind::Seq(Seq::Array))
            && let Type::Reference(r) = ty
        {
            let owned = &r.elem;
            return DerivativeTypes {
                tangent: quote::quote!(#ty),
                adjoint: quote::quote!(&mut #owned),
                gradient: quote::quote!(#owned),
                tangent_by_reference: true,
                gradient_is_vec: false,
            };
        }
        // `DVector<E>`: tangent `&DVector<E>`, adjoint `&mut DVector<E>`, gradient `DVector<E>`
        // (and `DMatrix<E>` likewise)
        if crate::syntax::dynamic_element(ty).is_some() {
            let owned = match ty {
                Type::Reference(r) => &*r.elem,
                t => t,
            };
            return DerivativeTypes {
                tangent: quote::quote!(&#owned),
                adjoint: quote::quote!(&mut #owned),
                gradient: quote::quote!(#owned),
                tangent_by_reference: true,
                gradient_is_vec: false,
            };
        }
        let elem = Kind::element_type(ty);
        match (kind, elem) {
            (Kind::Seq(Seq::Slice | Seq::Vec), Some(e)) => DerivativeTypes {
                tangent: quote::quote!(&[#e]),
                adjoint: quote::quote!(&mut [#e]),
                gradient: quote::quote!(::std::vec::Vec<#e>),
                tangent_by_reference: true,
                gradient_is_vec: true,
            },
            (Kind::Tensor | Kind::Model, _) => {
                let owned = match ty {
                    Type::Reference(r) => (*r.elem).clone(),
                    t => t.clone(),
                };
                DerivativeTypes {
                    tangent: quote::quote!(#ty),
                    adjoint: quote::quote!(&mut #owned),
                    gradient: quote::quote!(#owned),
                    tangent_by_reference: matches!(ty, Type::Reference(_)),
                    gradient_is_vec: false,
                }
            }
            _ => DerivativeTypes {
                tangent: quote::quote!(#ty),
                adjoint: quote::quote!(&mut #ty),
                gradient: quote::quote!(#ty),
                tangent_by_reference: matches!(ty, Type::Reference(_)),
                gradient_is_vec: false,
            },
        }
    }
}

/// The checked description of the function that later stages use.
pub struct FnDesc {
    /// The function as written (emitted unchanged).
    pub item: ItemFn,
    /// The typed parameters, in order.
    pub params: Vec<ParamDesc>,
    /// The `self` receiver, if a method.
    pub receiver: Option<syn::Receiver>,
    /// The return type.
    pub ret: Type,
    /// What the return type is.
    pub ret_kind: Kind,
    /// The path generated code reaches the runtime by: `::autodiff::__private`, or
    /// `path::__private` with `crate = path`.
    pub rt: proc_macro2::TokenStream,
    /// The functions called in split mode on request (`split(g, ..)`).
    pub split_calls: Vec<String>,
    /// The type parameters that are floats (`T: Real`, also an enclosing `impl`'s).
    pub float_generics: Vec<Ident>,
}

/// Checks the signature and decides which parameters are active.
pub fn function(item: ItemFn, opts: &Options, errors: &mut Errors) -> Option<FnDesc> {
    let sig = &item.sig;
    let refuse = |errors: &mut Errors, span: Span, what: &str| {
        errors.error(
            span,
            format!("#[differentiable] cannot differentiate {what}"),
            "differentiate a plain `fn`; call it from the async, const or unsafe code instead",
        )
    };
    if let Some(t) = &sig.asyncness {
        refuse(errors, t.span(), "an `async fn`");
    }
    if let Some(t) = &sig.constness {
        refuse(errors, t.span(), "a `const fn`");
    }
    if let syn::Safety::Unsafe(t) = &sig.safety {
        refuse(errors, t.span(), "an `unsafe fn`");
    }
    if let Some(v) = &sig.variadic {
        refuse(errors, v.span(), "a variadic function");
    }
    let ret = match &sig.output {
        ReturnType::Type(_, ty) => (**ty).clone(),
        ReturnType::Default => {
            errors.error(
                &sig.ident,
                format!("`{}` returns nothing, so there is nothing to differentiate", sig.ident),
                "return the value to differentiate, e.g. `-> f64`",
            );
            return None;
        }
    };
    let ret_kind = Kind::of_type(&ret);
    if let Type::Tuple(t) = &ret
        && let Some(seq) = t.elems.iter().find(|e| {
            matches!(
                Kind::of_type(e),
                Kind::Seq(crate::kind::Seq::Slice | crate::kind::Seq::Tensors)
            )
        })
    {
        errors.error(
            seq,
            "this element of a tuple result cannot be differentiated",
            "return floats, arrays, `Vec`s of floats, nalgebra values or tensors in the tuple",
        );
    }
    if matches!(ret_kind, Kind::Int | Kind::Bool)
        || matches!(&ret, Type::Tuple(t) if t.elems.is_empty())
    {
        errors.error(
            &ret,
            "the return type cannot carry a derivative",
            "return a float (`f32`, `f64`); integers, `bool` and `()` have no derivative",
        );
    }

    // A generic float bounded by another crate's float trait: the rules need `Real`.
    for tp in sig.generics.type_params() {
        let names = |b: &syn::TypeParamBound| match b {
            syn::TypeParamBound::Trait(t) => t.path.segments.last().map(|s| s.ident.to_string()),
            _ => None,
        };
        let bounds: Vec<String> = tp.bounds.iter().filter_map(names).collect();
        let foreign = bounds
            .iter()
            .find(|b| matches!(b.as_str(), "RealField" | "ComplexField" | "Float" | "FloatCore"));
        if let Some(foreign) = foreign.filter(|_| !bounds.iter().any(|b| b == "Real")) {
            errors.error(
                tp,
                format!("`{}: {foreign}` is not a float the rules can differentiate", tp.ident),
                format!("bound it by `autodiff::Real` (`{0}: Real`), which `f32` and `f64` implement with the usual float methods; for nalgebra's vectors and matrices of `{0}`, by both (`{0}: Real + nalgebra::RealField`)", tp.ident),
            );
        }
    }
    let mut float_generics = real_type_params(&sig.generics);
    float_generics.extend(opts.outer_floats.iter().cloned());
    let ret_kind = if is_one_of(&ret, &float_generics) { Kind::Float } else { ret_kind };
    let mut params = Vec::new();
    let mut receiver = None;
    for arg in &sig.inputs {
        match arg {
            FnArg::Receiver(r) => receiver = Some(r.clone()),
            FnArg::Typed(pt) => {
                let (ident, mutable) = match &*pt.pat {
                    Pat::Ident(pi) if pi.subpat.is_none() && pi.by_ref.is_none() => {
                        (pi.ident.clone(), pi.mutability.is_some())
                    }
                    other => {
                        errors.error(
                            other,
                            "parameters of a differentiable function must be plain names",
                            "bind the parameter to a name and destructure it in the body",
                        );
                        continue;
                    }
                };
                if let Type::Ptr(p) = &*pt.ty {
                    errors.error(
                        p,
                        crate::diagnostics::problems::RAW_POINTER.message,
                        "take a reference or a slice (`&[f64]`) instead; derivatives need to know what is read",
                    );
                    continue;
                }
                let kind = match &*pt.ty {
                    // `v: DVector<f64>`, `m: &DMatrix<f64>`: active like a slice, read through
                    // `v.as_slice()` (a matrix column-major)
                    t if crate::syntax::dynamic_element(t)
                        .is_some_and(|e| Kind::of_type(&e) == Kind::Float) =>
                    {
                        Kind::Seq(crate::kind::Seq::Slice)
                    }
                    // `v: &Vector3<f64>`: a nalgebra value behind a shared reference, copied in
                    // (of `f32`/`f64` elements: a generic `T`'s vectors have no `Zeros`)
                    Type::Reference(r)
                        if r.mutability.is_none()
                            && matches!(
                                Kind::of_type(&r.elem),
                                Kind::Algebra | Kind::Seq(crate::kind::Seq::Array)
                            ) =>
                    {
                        Kind::of_type(&r.elem)
                    }
                    // `ws: &[Tensor]`: read as tensors (`ws[i]`), when `wrt` leaves it out
                    t if holds_tensors(t) => Kind::Seq(crate::kind::Seq::Tensors),
                    t => match Kind::of_type_with(t, &float_generics) {
                        Kind::Unknown => Kind::vec_rows(t, &float_generics),
                        k => k,
                    },
                };
                let derivative_types = DerivativeTypes::of(&pt.ty, kind);
                params.push(ParamDesc {
                    ident,
                    mutable,
                    ty: (*pt.ty).clone(),
                    kind,
                    active: false,
                    derivative_types,
                });
            }
        }
    }

    match &opts.wrt {
        Some(names) => {
            for name in names {
                match params.iter_mut().find(|p| p.ident == *name) {
                    Some(p) if matches!(p.ty, Type::Tuple(_)) => refuse_tuple(errors, p),
                    Some(p) if holds_tensors(&p.ty) => refuse_tensors(errors, p),
                    Some(p) if p.kind == Kind::Unknown && is_model(&p.ty, &sig.generics) => {
                        p.kind = Kind::Model;
                        p.derivative_types = DerivativeTypes::of(&p.ty, Kind::Model);
                        p.active = true
                    }
                    Some(p) if matches!(p.kind, Kind::Float | Kind::Unknown | Kind::Seq(_) | Kind::Algebra | Kind::Tensor) => {
                        p.active = true
                    }
                    Some(p) => errors.error(
                        name,
                        format!("`wrt` names `{name}`, which is not a float parameter"),
                        format!(
                            "derivatives are taken with respect to `f32` or `f64` parameters; `{name}` has type `{}`",
                            {
                                let ty = &p.ty;
                                quote::quote!(#ty).to_string()
                            }
                        ),
                    ),
                    None => errors.error(
                        name,
                        format!("`wrt` names `{name}`, which is not a parameter of `{}`", sig.ident),
                        format!(
                            "the parameters are: {}",
                            params.iter().map(|p| format!("`{}`", p.ident)).collect::<Vec<_>>().join(", ")
                        ),
                    ),
                }
            }
        }
        None => {
            for p in &mut params {
                if holds_tensors(&p.ty) {
                    refuse_tensors(errors, p);
                    continue;
                }
                p.active =
                    matches!(p.kind, Kind::Float | Kind::Seq(_) | Kind::Algebra | Kind::Tensor);
                // Never left out silently: a parameter that carries floats the macro cannot
                // differentiate (`wrt(..)` leaves it out on purpose).
                if p.active || !carries_floats(&p.ty) {
                    continue;
                }
                if matches!(p.ty, Type::Tuple(_)) {
                    refuse_tuple(errors, p);
                    continue;
                }
                let ty = &p.ty;
                errors.error(
                    ty,
                    format!(
                        "the parameter `{}` holds floats of a type that cannot be differentiated yet (`{}`)",
                        p.ident,
                        quote::quote!(#ty).to_string().replace(" ", "")
                    ),
                    if quote::quote!(#ty).to_string().contains("Point") {
                        "take the point's coordinates as a vector instead (`p: Vector3<f64>`, passed as `p.coords`: a `Point3` built in the body differentiates); or name the other parameters in `wrt(..)` to leave this one out on purpose"
                    } else {
                        "take a float, an array, a slice `&[f64]`, a `Vec<f64>` or a fixed-size nalgebra type instead; or name the other parameters in `wrt(..)` to leave this one out on purpose"
                    },
                );
            }
        }
    }
    let rt = match &opts.krate {
        Some(path) => quote::quote!(#path::__private),
        None => quote::quote!(::autodiff::__private),
    };
    let split_calls = opts.split_calls.iter().map(ToString::to_string).collect();
    Some(FnDesc { item, params, receiver, ret, ret_kind, rt, split_calls, float_generics })
}

/// The type parameters bounded by `Real` (`T: Real` or `where T: Real`): floats, generically.
pub fn real_type_params(generics: &syn::Generics) -> Vec<Ident> {
    let is_real = |b: &syn::TypeParamBound| matches!(b, syn::TypeParamBound::Trait(t) if t.path.segments.last().is_some_and(|s| s.ident == "Real"));
    let mut out: Vec<Ident> = generics
        .type_params()
        .filter(|tp| tp.bounds.iter().any(is_real))
        .map(|tp| tp.ident.clone())
        .collect();
    if let Some(w) = &generics.where_clause {
        for pred in &w.predicates {
            if let syn::WherePredicate::Type(pt) = pred
                && let Type::Path(tp) = &pt.bounded_ty
                && pt.bounds.iter().any(is_real)
            {
                out.extend(tp.path.get_ident().cloned());
            }
        }
    }
    out
}

/// Whether a parameter of type `ty` (not a float, integer, bool or sequence) is a model: a
/// struct, by value or by `&`, that is not one of the function's own type parameters.
fn is_model(ty: &Type, generics: &syn::Generics) -> bool {
    match ty {
        Type::Reference(r) if r.mutability.is_none() => is_model(&r.elem, generics),
        Type::Paren(p) => is_model(&p.elem, generics),
        Type::Path(p) if p.qself.is_none() => {
            let params: Vec<Ident> = generics.type_params().map(|t| t.ident.clone()).collect();
            !is_one_of(ty, &params)
        }
        _ => false,
    }
}

/// A tuple parameter: not differentiated (the contract), an error naming it.
fn refuse_tuple(errors: &mut Errors, p: &ParamDesc) {
    let Type::Tuple(t) = &p.ty else { return };
    let parts: Vec<String> = t
        .elems
        .iter()
        .enumerate()
        .map(|(k, e)| {
            format!("{}_{k}: {}", p.ident, quote::quote!(#e).to_string().replace(' ', ""))
        })
        .collect();
    errors.error(
        &p.ty,
        format!("the tuple parameter `{}` cannot be differentiated", p.ident),
        format!("split it into parameters: `{}`", parts.join(", ")),
    );
}

/// Whether a type holds `f32`/`f64` by value or shared reference: a float, an array, slice or
/// `Vec` of such, an nalgebra type of floats, a tuple holding one. `&mut` references and other
/// types (a user's struct, an RNG) are data; so are a generic `T`'s vectors, which have no
/// zeros to start a gradient from.
fn carries_floats(ty: &Type) -> bool {
    match ty {
        Type::Reference(r) => r.mutability.is_none() && carries_floats(&r.elem),
        Type::Paren(p) => carries_floats(&p.elem),
        Type::Group(g) => carries_floats(&g.elem),
        Type::Tuple(t) => t.elems.iter().any(carries_floats),
        Type::Array(a) => carries_floats(&a.elem),
        Type::Slice(s) => carries_floats(&s.elem),
        Type::Path(p) if p.qself.is_none() => {
            let Some(last) = p.path.segments.last() else { return false };
            let name = last.ident.to_string();
            if p.path.segments.len() == 1 && (name == "f32" || name == "f64") {
                return true;
            }
            // (a `Vec`, or one of nalgebra's types)
            let holder = name == "Vec" || crate::syntax::names_algebra_type(&name);
            holder
                && matches!(&last.arguments, syn::PathArguments::AngleBracketed(a)
                    if a.args.iter().any(|g| matches!(g, syn::GenericArgument::Type(t) if carries_floats(t))))
        }
        _ => false,
    }
}

/// A parameter holding a sequence of tensors (`ws: &[Tensor]`), which cannot be differentiated
/// yet: an error naming it, never a parameter left out silently.
fn refuse_tensors(errors: &mut Errors, p: &ParamDesc) {
    errors.error(
        &p.ty,
        format!("the parameter `{}`, a sequence of tensors, cannot be differentiated yet", p.ident),
        "pass the tensors as parameters of their own, or a model holding them (`#[derive(Differentiable)]` and `wrt(model)`); or name the other parameters in `wrt(..)` to leave this one out on purpose",
    );
}

/// Whether `ty` is a sequence of tensors: `&[Tensor]`, `Vec<Tensor>`, `[Tensor; N]`.
fn holds_tensors(ty: &Type) -> bool {
    let tensor = |t: &Type| Kind::of_type(t) == Kind::Tensor;
    match ty {
        Type::Reference(r) => holds_tensors(&r.elem),
        Type::Slice(s) => tensor(&s.elem),
        Type::Array(a) => tensor(&a.elem),
        Type::Path(_) => {
            Kind::element_type(ty).is_some_and(|e| tensor(&e))
                && matches!(ty, Type::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == "Vec"))
        }
        _ => false,
    }
}

/// Whether `ty` is one of the type parameters `names`.
fn is_one_of(ty: &Type, names: &[Ident]) -> bool {
    matches!(ty, Type::Path(p) if p.qself.is_none() && p.path.get_ident().is_some_and(|i| names.contains(i)))
}

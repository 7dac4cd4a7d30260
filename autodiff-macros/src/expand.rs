//! The pipeline: parse -> rewrite -> lower -> check -> analyse -> emit, with every stage's
//! errors collected.

use crate::diagnostics::Errors;
use crate::{analyse, check, emit, ir, lower, parse, rewrite};
use proc_macro2::TokenStream;
use quote::quote;
use syn::spanned::Spanned;

/// Expands `#[differentiable(args)] item`. Never panics: on error the original item is still
/// emitted (so the rest of the crate type-checks) beside the errors.
pub fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Errors::default();
    let generated = generate(args, item.clone(), &mut errors);
    if errors.is_empty() {
        // Calling only `f_grad` must not make rustc call `f` unused.
        quote!(#[allow(dead_code)] #item #generated)
    } else {
        let errors = errors.to_compile_errors();
        quote!(#item #errors)
    }
}

/// The generated items, or nothing when `errors` received something.
pub fn generate(args: TokenStream, item: TokenStream, errors: &mut Errors) -> TokenStream {
    let opts = parse::options(args, errors);
    if let Ok(block) = syn::parse2::<syn::ItemImpl>(item.clone()) {
        return generate_impl(opts, &block, errors);
    }
    let item_fn: syn::ItemFn = match syn::parse2(item.clone()) {
        Ok(f) => f,
        Err(_) => {
            not_a_function(item, errors);
            return TokenStream::new();
        }
    };
    generate_fn(&opts, item_fn, errors)
}

/// `#[differentiable]` on an `impl` block (inherent or of a trait): every method with a float
/// result is differentiated, its generated methods put in an inherent `impl` of the same type
/// (a trait cannot gain methods); those of a trait impl are `pub`. Methods carrying their own
/// `#[differentiable]` are left to it.
///
/// ```text
/// #[differentiable] impl Energy for Spring { fn energy(&self, x: f64) -> f64 { .. } }
///     => impl Energy for Spring { .. }  impl Spring { pub fn energy_jvp(..) .. pub fn energy_grad(..) }
/// ```
fn generate_impl(
    mut opts: parse::Options,
    block: &syn::ItemImpl,
    errors: &mut Errors,
) -> TokenStream {
    opts.outer_floats = parse::real_type_params(&block.generics);
    opts.in_impl = true;
    let trait_impl = block.trait_.is_some();
    let mut items = TokenStream::new();
    let mut any = false;
    // The methods to differentiate: those with a float result, and those with floats in an
    // nalgebra value, array, `Vec` or tuple result that one of them calls (`self.point(a)`).
    let methods: Vec<&syn::ImplItemFn> = block
        .items
        .iter()
        .filter_map(|item| match item {
            syn::ImplItem::Fn(m) => Some(m),
            _ => None,
        })
        .filter(|m| {
            !m.attrs
                .iter()
                .any(|a| a.path().segments.last().is_some_and(|s| s.ident == "differentiable"))
        })
        .collect();
    let result_kind = |m: &syn::ImplItemFn| {
        let syn::ReturnType::Type(_, ret) = &m.sig.output else { return None };
        let mut params = opts.outer_floats.clone();
        params.extend(parse::real_type_params(&m.sig.generics));
        Some(crate::kind::Kind::of_type_with(ret, &params))
    };
    let holds_floats = |m: &syn::ImplItemFn| {
        use crate::kind::{Kind, Seq};
        let syn::ReturnType::Type(_, ret) = &m.sig.output else { return false };
        let mut params = opts.outer_floats.clone();
        params.extend(parse::real_type_params(&m.sig.generics));
        let holds = |t: &syn::Type| {
            matches!(
                Kind::of_type_with(t, &params),
                Kind::Float | Kind::Algebra | Kind::Seq(Seq::Array | Seq::Vec)
            )
        };
        match &**ret {
            syn::Type::Tuple(t) => !t.elems.is_empty() && t.elems.iter().all(holds),
            t => holds(t),
        }
    };
    let mut chosen: Vec<bool> = methods
        .iter()
        .map(|m| {
            matches!(result_kind(m), Some(crate::kind::Kind::Float | crate::kind::Kind::Tensor))
        })
        .collect();
    loop {
        let called: std::collections::HashSet<String> = methods
            .iter()
            .zip(&chosen)
            .filter(|(_, c)| **c)
            .flat_map(|(m, _)| sibling_calls(&m.block))
            .collect();
        let mut grew = false;
        for (m, c) in methods.iter().zip(chosen.iter_mut()) {
            if !*c && holds_floats(m) && called.contains(&m.sig.ident.to_string()) {
                *c = true;
                grew = true;
            }
        }
        if !grew {
            break;
        }
    }
    for (m, _) in methods.iter().zip(&chosen).filter(|(_, c)| **c) {
        any = true;
        let vis = if trait_impl { syn::parse_quote!(pub) } else { m.vis.clone() };
        let item_fn = syn::ItemFn {
            attrs: Vec::new(),
            vis,
            modifiers: m.modifiers.clone(),
            sig: m.sig.clone(),
            block: Box::new(m.block.clone()),
        };
        items.extend(generate_fn(&opts, item_fn, errors));
    }
    if !any {
        errors.error(
            &block.self_ty,
            "this `impl` block has no method with a float or tensor result to differentiate",
            "put #[differentiable] on an `impl` block whose methods return `f32`, `f64`, a `T: Real` or a `Tensor`",
        );
    }
    if !errors.is_empty() {
        return TokenStream::new();
    }
    let (impl_generics, _, where_clause) = block.generics.split_for_impl();
    let self_ty = &block.self_ty;
    quote!(impl #impl_generics #self_ty #where_clause { #items })
}

/// The generated items of one function.
fn generate_fn(opts: &parse::Options, item_fn: syn::ItemFn, errors: &mut Errors) -> TokenStream {
    let Some(mut desc) = parse::function(item_fn, opts, errors) else { return TokenStream::new() };
    let mut body = rewrite::rewrite(&desc);
    let mut first = Errors::default();
    let (mut f, untyped) = lower::lower_noting(&desc, &body, &mut first);
    // `let mut b = Vec::new();` then `b.push(active float)`: again, with `b: Vec<E>`.
    let float = rewrite::buffer_types::float_type(&desc);
    match float.filter(|_| !untyped.is_empty()) {
        Some(elem) => {
            rewrite::buffer_types::annotate(&mut desc.item.block, &untyped, &elem);
            body = rewrite::rewrite(&desc);
            f = lower::lower(&desc, &body, errors);
        }
        None => errors.extend(first),
    }
    check::check(&f, errors);
    if !errors.is_empty() {
        return TokenStream::new();
    }
    let active = copy_loop_buffers(&desc, &mut f);
    let mut items = emit::generated_items(&desc, &f, &active, opts, errors);
    if !errors.is_empty() {
        return TokenStream::new();
    }
    if opts.graph {
        items.extend(emit::graph_item(&desc, &f, &active));
    }
    if opts.hessian {
        items.extend(emit::hessian_items(&desc, &f, opts, errors));
    }
    items
}

/// The activity of `f`'s values, once the calls passed buffers declared inside loops whose
/// adjoints cannot rebuild them are given copies instead (found by planning reverse mode once;
/// see `lower::copy_buffers_for_calls`).
fn copy_loop_buffers(
    desc: &parse::FnDesc,
    f: &mut ir::Function,
) -> std::collections::HashSet<ir::Var> {
    let active = analyse::active(f);
    let copied = emit::loop_buffers_to_copy(desc, f, &active);
    if copied.is_empty() {
        return active;
    }
    lower::copy_buffers_for_calls(f, &copied);
    analyse::active(f)
}

/// Explains why something that is not a function with a body cannot be differentiated.
fn not_a_function(item: TokenStream, errors: &mut Errors) {
    if let Ok(m) = syn::parse2::<syn::TraitItemFn>(item.clone())
        && m.default.is_none()
    {
        errors.error(
            m.sig.ident.span(),
            format!("`{}` has no body to differentiate", m.sig.ident),
            "put #[differentiable] on the method's implementations, or give it a default body",
        );
        return;
    }
    let span =
        syn::parse2::<syn::Item>(item.clone()).map(|i| i.span()).unwrap_or_else(|_| item.span());
    errors.error(
        span,
        "#[differentiable] applies to functions",
        "put it on a `fn` with a body; to differentiate with respect to a struct, put #[derive(Differentiable)] on the struct and name the function's parameter of that type in `wrt(..)`",
    );
}

/// The IR dump of a function and its reverse-mode plan, for snapshot tests.
#[cfg(test)]
pub fn dump(args: TokenStream, item: TokenStream) -> Result<String, Vec<String>> {
    let mut errors = Errors::default();
    let opts = parse::options(args, &mut errors);
    let item_fn: syn::ItemFn = syn::parse2(item).map_err(|e| vec![e.to_string()])?;
    let desc = parse::function(item_fn, &opts, &mut errors).ok_or_else(|| errors.messages())?;
    let body = rewrite::rewrite(&desc);
    let mut f = lower::lower(&desc, &body, &mut errors);
    check::check(&f, &mut errors);
    if !errors.is_empty() {
        return Err(errors.messages());
    }
    let active = copy_loop_buffers(&desc, &mut f);
    // The reverse-mode plan follows the IR, when there is one (loops, branches).
    let plan = emit::plan_dump(&desc, &f, &active);
    Ok(if plan.is_empty() { f.dump() } else { format!("{}plan:\n{plan}", f.dump()) })
}

/// The methods and associated functions a body calls on its own type: `self.point(..)`,
/// `Self::point(..)`.
fn sibling_calls(body: &syn::Block) -> Vec<String> {
    struct Calls(Vec<String>);
    impl<'a> syn::visit::Visit<'a> for Calls {
        fn visit_expr_method_call(&mut self, c: &'a syn::ExprMethodCall) {
            if matches!(&*c.receiver, syn::Expr::Path(p) if p.path.is_ident("self")) {
                self.0.push(c.method.to_string());
            }
            syn::visit::visit_expr_method_call(self, c);
        }
        fn visit_expr_call(&mut self, c: &'a syn::ExprCall) {
            if let syn::Expr::Path(p) = &*c.func
                && p.path.segments.len() == 2
                && p.path.segments[0].ident == "Self"
            {
                self.0.push(p.path.segments[1].ident.to_string());
            }
            syn::visit::visit_expr_call(self, c);
        }
    }
    let mut calls = Calls(Vec::new());
    syn::visit::Visit::visit_block(&mut calls, body);
    calls.0
}

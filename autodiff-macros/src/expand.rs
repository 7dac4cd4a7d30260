//! The pipeline: parse -> rewrite -> lower -> check -> analyse -> emit, with every stage's
//! errors collected.

use crate::diagnostics::Errors;
use crate::{analyse, check, emit, lower, parse, rewrite};
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
    let item_fn: syn::ItemFn = match syn::parse2(item.clone()) {
        Ok(f) => f,
        Err(_) => {
            not_a_function(item, errors);
            return TokenStream::new();
        }
    };
    let Some(desc) = parse::function(item_fn, &opts, errors) else { return TokenStream::new() };
    let body = rewrite::rewrite(&desc);
    let f = lower::lower(&desc, &body, errors);
    check::check(&f, errors);
    if !errors.is_empty() {
        return TokenStream::new();
    }
    let active = analyse::active(&f);
    emit::generated_items(&desc, &f, &active, &opts)
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
    let f = lower::lower(&desc, &body, &mut errors);
    check::check(&f, &mut errors);
    if !errors.is_empty() {
        return Err(errors.messages());
    }
    // The reverse-mode plan follows the IR, when there is one (loops, branches).
    let plan = emit::plan_dump(&desc, &f, &analyse::active(&f));
    Ok(if plan.is_empty() { f.dump() } else { format!("{}plan:\n{plan}", f.dump()) })
}

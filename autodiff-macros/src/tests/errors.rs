//! The errors each stage reports: the problem, where, and the fix.

use super::errors;
use proc_macro2::TokenStream;
use quote::quote;

#[test]
fn errors_name_the_problem_and_the_fix() {
    let cases: Vec<(TokenStream, TokenStream, &str)> = vec![
        (
            quote!(),
            quote!(
                fn f(x: f64) -> f64 {
                    x = 2.0;
                    x
                }
            ),
            "cannot assign to `x`: it is a parameter we differentiate",
        ),
        (
            quote!(),
            quote!(
                fn f(x: f64) -> f64 {
                    x *= 2.0;
                    x
                }
            ),
            "cannot assign to `x`",
        ),
        (
            quote!(wrt(z)),
            quote!(
                fn f(x: f64) -> f64 {
                    x
                }
            ),
            "`wrt` names `z`, which is not a parameter of `f`",
        ),
        (
            quote!(wrt(n)),
            quote!(
                fn f(x: f64, n: usize) -> f64 {
                    x
                }
            ),
            "`wrt` names `n`, which is not a float parameter",
        ),
        (
            quote!(speed = 3),
            quote!(
                fn f(x: f64) -> f64 {
                    x
                }
            ),
            "unknown option `speed`",
        ),
        (
            quote!(jvp = a, jvp = b),
            quote!(
                fn f(x: f64) -> f64 {
                    x
                }
            ),
            "duplicate option `jvp`",
        ),
        (
            quote!(),
            quote!(
                async fn f(x: f64) -> f64 {
                    x
                }
            ),
            "cannot differentiate an `async fn`",
        ),
        (
            quote!(),
            quote!(
                const fn f(x: f64) -> f64 {
                    x
                }
            ),
            "cannot differentiate a `const fn`",
        ),
        (
            quote!(),
            quote!(
                unsafe fn f(x: f64) -> f64 {
                    x
                }
            ),
            "cannot differentiate an `unsafe fn`",
        ),
        (
            quote!(),
            quote!(
                fn f(x: f64) -> i32 {
                    1
                }
            ),
            "the return type cannot carry a derivative",
        ),
        (
            quote!(),
            quote!(
                fn f(x: f64) {}
            ),
            "returns nothing",
        ),
        (
            quote!(),
            quote!(
                fn f(x: f64) -> f64 {
                    x.to_bits() as f64
                }
            ),
            "no derivative rule for the method `.to_bits()`",
        ),
        (
            quote!(),
            quote!(
                fn f(x: f64) -> f64 {
                    println!("{}", x);
                    x
                }
            ),
            "the macro `println!` cannot be differentiated",
        ),
        (
            quote!(),
            quote!(
                fn f(x: f64) -> f64 {
                    integrate(|t: f64| t * x, 0.0, 1.0)
                }
            ),
            "a closure passed to a function or kept as a value cannot be differentiated",
        ),
        (
            quote!(),
            quote!(
                fn f(x: f64) -> f64 {
                    g(x, K)
                }
            ),
            "cannot tell whether this argument is a float",
        ),
        (
            quote!(),
            quote!(
                fn f(x: f64, y: f64) -> f64 {
                    match (x, y) {
                        (v, _) => v,
                    }
                }
            ),
            "`match` on a value that depends on an active parameter",
        ),
        (
            quote!(),
            quote!(
                fn f(x: f64) -> f64 {
                    let y = if x > 0.0 {
                        return x;
                    } else {
                        1.0
                    };
                    y
                }
            ),
            "`return` inside a `let` initialiser",
        ),
        (
            quote!(),
            quote!(
                fn f(x: f64) -> f64 {
                    let y;
                    y = x;
                    y
                }
            ),
            "a `let` without a value",
        ),
        (
            quote!(),
            quote!(
                struct S;
            ),
            "#[differentiable] applies to functions",
        ),
        (
            quote!(),
            quote!(
                fn f(&self) -> f64;
            ),
            "has no body to differentiate",
        ),
    ];
    for (args, item, expected) in cases {
        let got = errors(args, item.clone());
        assert!(
            got.iter().any(|m| m.contains(expected) && m.contains("help: ")),
            "{item}\n expected `{expected}` with a help line, got {got:?}"
        );
    }
}

#[test]
fn all_errors_of_a_function_are_reported_together() {
    let got = errors(
        quote!(speed = 1),
        quote!(
            fn f(x: f64) -> f64 {
                x = 1.0;
                let y = x.to_bits();
                x
            }
        ),
    );
    assert_eq!(got.len(), 3, "{got:?}");
}

#[test]
fn a_method_of_a_model_is_an_error() {
    let errs = errors(quote!(wrt(m)), quote! { fn loss(m: &Mlp, x: f64) -> f64 { m.predict(x) } });
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(errs[0].contains("a method of a model, `.predict()`"), "{errs:?}");
}

/// A `Vec` only ever assigned whole is a plain value (carried through loops like a float); a
/// typed buffer assigned whole takes the new value's elements (`rewrite::whole_assignments`);
/// an untyped one written element by element and assigned whole is refused.
#[test]
fn whole_vecs_and_buffers() {
    let ok = errors(
        quote!(wrt(x)),
        quote! {
            fn f(x: &[f64], s: usize) -> Vec<f64> {
                let mut y = vec![0.0; x.len()];
                for _ in 0..s {
                    y = step(x, &y);
                }
                y
            }
        },
    );
    assert!(ok.is_empty(), "{ok:?}");
    let typed = errors(
        quote!(),
        quote! {
            fn f(x: &[f64]) -> f64 {
                let mut b: Vec<f64> = vec![0.0; x.len()];
                b[0] = x[0];
                b = step(x, &b);
                b[0]
            }
        },
    );
    assert!(typed.is_empty(), "{typed:?}");
    let errs = errors(
        quote!(),
        quote! {
            fn f(x: &[f64]) -> f64 {
                let mut b = vec![0.0; x.len()];
                b[0] = x[0];
                b = step(x, &b);
                b[0]
            }
        },
    );
    assert!(
        errs.iter().any(|e| e
            .contains("`b` is written element by element, so it cannot also be assigned whole")),
        "{errs:?}"
    );
}

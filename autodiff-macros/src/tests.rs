//! Unit tests of the stages on `parse_quote!` input: IR snapshots, what reverse mode stores,
//! and errors.

use crate::expand::{dump, generate};
use quote::quote;

#[test]
fn print_expansion() {
    let mut errors = crate::diagnostics::Errors::default();
    let out = generate(
        quote!(),
        quote! {
            fn g(x: f64, n: usize) -> f64 {
                let mut s = 0.0;
                if n > 2 { s += x * x; } else { s = x.exp(); }
                if x < 0.0 { return -s; }
                let y = match n { 0 => 1.0, k => k as f64 };
                s * y + f(x, 2.0)
            }
        },
        &mut errors,
    );
    std::fs::write("/tmp/expansion.rs", out.to_string()).unwrap();
    println!("{}", dump(quote!(), quote! {
            fn g(x: f64, n: usize) -> f64 {
                let mut s = 0.0;
                if n > 2 { s += x * x; } else { s = x.exp(); }
                if x < 0.0 { return -s; }
                let y = match n { 0 => 1.0, k => k as f64 };
                s * y + f(x, 2.0)
            }
    }).unwrap());
}

//! The macro never panics, whatever it is given: thousands of mutated and generated function
//! bodies go through the whole pipeline, which must answer with code or errors.

use crate::diagnostics::Errors;
use crate::expand::generate;
use proc_macro2::{TokenStream, TokenTree};
use quote::quote;

/// A small deterministic generator (xorshift).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn seeds() -> Vec<TokenStream> {
    vec![
        quote! { fn f(x: f64, y: f64) -> f64 { let mut s = x * y; if s > 1.0 { s = s.ln(); } else { s += y.exp(); } s } },
        quote! { fn f(x: &[f64]) -> f64 { let mut s = 0.0; for i in 0..x.len() - 1 { let a = x[i + 1] - x[i] * x[i]; s += a * a; } s } },
        quote! { fn f(x: f64, n: usize) -> f64 { let mut y = x; let mut k = 0; while y < 100.0 { y *= 2.0; k += 1; if k > n { break; } } y } },
        quote! { fn f(x: [f64; 3], m: u8) -> f64 { let mut y = [x[0], 0.0, x[2]]; y[1] = x[1].sin(); match m { 0 => y[0], v if v > 2 => return y[1], _ => y.iter().map(|v| v * v).sum() } } },
        quote! { fn f(x: f64) -> f64 { let (a, b) = (x.max(0.5), detach(x * 2.0)); loop { if a > b { break; } } no_grad(|| x) + g(a, 2.0) } },
        quote! { fn f(x: &[f64], n: usize) -> f64 { let mut s = 0.0; 'a: for i in 0..n { for j in 0..i { if j == 2 { continue 'a; } if s > 9.0 { return s; } s += x[j]; } } s } },
        quote! { fn f(x: &[f64], n: usize) -> f64 { let mut s = 0.0; for i in 0..n { let mut b: Vec<f64> = vec![0.0; 2]; b[0] = x[i]; if s > 1.0 { let mut c: Vec<f64> = vec![1.0; 2]; c[1] = b[0] * s; s += c[1]; } b[1] = b[0].sin() * b[0]; s += b[1]; } s } },
        quote! { fn f(x: &[f64], c: &[f64]) -> f64 { let mut s = 0.0; for i in 0..x.len() / 3 { let row = &x[i * 3..i * 3 + 3]; s += g(row, &c[1..]) * row[0]; for w in x.windows(2) { s += w.iter().sum::<f64>(); } } for v in c.iter_mut() { *v = s; } s } },
        quote! { fn f(x: &[f64], d: usize) -> f64 { let t: f64 = x.windows(2).map(|w| w[1] - w[0]).sum(); let mut s = t; for (i, p) in x.chunks_exact(d).enumerate() { s += p[0] * p.len() as f64 + x[1..].iter().rev().skip(i).step_by(2).sum::<f64>(); } s } },
    ]
}

/// Flattens a token stream into (tree, depth) leaves so mutations can reach inside groups.
fn mutate(ts: &TokenStream, rng: &mut Rng) -> TokenStream {
    let trees: Vec<TokenTree> = ts.clone().into_iter().collect();
    let mut out: Vec<TokenTree> = Vec::new();
    let pick = rng.below(trees.len() + 1);
    for (i, t) in trees.into_iter().enumerate() {
        let t = match t {
            TokenTree::Group(g) if rng.below(3) == 0 => {
                let inner = mutate(&g.stream(), rng);
                TokenTree::Group(proc_macro2::Group::new(g.delimiter(), inner))
            }
            t => t,
        };
        if i == pick {
            match rng.below(5) {
                0 => {}
                1 => {
                    out.push(t.clone());
                    out.push(t);
                }
                2 => out.push(TokenTree::Ident(proc_macro2::Ident::new(
                    [
                        "x", "return", "break", "continue", "loop", "self", "mut", "f64", "y", "w",
                        "windows",
                    ][rng.below(11)],
                    proc_macro2::Span::call_site(),
                ))),
                3 => out.push(TokenTree::Punct(proc_macro2::Punct::new(
                    ['+', '-', '*', '/', '&', ';', '=', '<', '!', '?'][rng.below(10)],
                    proc_macro2::Spacing::Alone,
                ))),
                _ => {
                    out.push(t);
                    out.push(TokenTree::Literal(proc_macro2::Literal::f64_suffixed(1.5)));
                }
            }
        } else {
            out.push(t);
        }
    }
    out.into_iter().collect()
}

#[test]
fn the_macro_never_panics() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let attrs = [quote!(), quote!(wrt(x)), quote!(wrt(z)), quote!(jvp = j), quote!(crate = c)];
    let mut answered = 0;
    for round in 0..3000 {
        let seeds = seeds();
        let mut item = seeds[round % seeds.len()].clone();
        for _ in 0..1 + rng.below(4) {
            item = mutate(&item, &mut rng);
        }
        let attr = attrs[rng.below(attrs.len())].clone();
        let result = std::panic::catch_unwind(|| {
            let mut errors = Errors::default();
            let out = generate(attr.clone(), item.clone(), &mut errors);
            out.is_empty() != errors.is_empty()
        });
        match result {
            Ok(consistent) => {
                assert!(consistent, "code or errors, exactly one, for {item}");
                answered += 1;
            }
            Err(_) => panic!("the macro panicked on `#[differentiable({attr})] {item}`"),
        }
    }
    assert_eq!(answered, 3000);
}

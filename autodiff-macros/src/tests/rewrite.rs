//! The rewrite stage on its own (`crate::rewrite`): what each pass makes of a body, as source
//! text with whitespace removed.

use super::squash;
use crate::diagnostics::Errors;
use crate::parse;
use proc_macro2::TokenStream;
use quote::{ToTokens, quote};

/// The body of `item` after the rewrite stage.
fn rewritten(item: TokenStream) -> String {
    let mut errors = Errors::default();
    let opts = parse::options(quote!(), &mut errors);
    let item_fn: syn::ItemFn = syn::parse2(item).expect("a function");
    let desc = parse::function(item_fn, &opts, &mut errors).expect("a valid signature");
    squash(&crate::rewrite::rewrite(&desc).to_token_stream().to_string())
}

#[test]
fn a_labelled_break_sets_a_flag_that_the_outer_loop_reads() {
    let got = rewritten(quote! {
        fn f(x: &[f64], n: usize) -> f64 {
            let mut s = 0.0;
            'outer: for i in 0..n {
                for j in 0..n {
                    if x[j] > 1.0 { break 'outer; }
                    s += x[j] * x[i];
                }
            }
            s
        }
    });
    let expected = squash(
        "{ let mut s = 0.0; let mut __autodiff_exit1: usize = 0;
           for i in 0..n {
               for j in 0..n { if x[j] > 1.0 { __autodiff_exit1 = 1usize; break; } s += x[j] * x[i]; }
               if __autodiff_exit1 == 1 { break; }
               if __autodiff_exit1 == 2 { __autodiff_exit1 = 0; continue; }
           }
           s }",
    );
    assert_eq!(got, expected);
}

#[test]
fn a_return_inside_a_loop_breaks_and_returns_after_it() {
    let got = rewritten(quote! {
        fn f(x: &[f64]) -> f64 {
            let mut s = 0.0;
            for i in 0..x.len() { if x[i] < 0.0 { return s; } s += x[i]; }
            s
        }
    });
    let expected = squash(
        "{ let mut s = 0.0; let mut __autodiff_return1: usize = 0;
           for i in 0..x.len() { if x[i] < 0.0 { __autodiff_return1 = 1usize; break; } s += x[i]; }
           if __autodiff_return1 == 1usize { return s; }
           s }",
    );
    assert_eq!(got, expected);
}

#[test]
fn a_mapped_sum_becomes_an_index_loop() {
    let got = rewritten(quote! {
        fn f(x: &[f64]) -> f64 { x.iter().map(|v| v * v).sum::<f64>() }
    });
    let expected = squash(
        "{ { let mut __autodiff_acc2: f64 = -0.0;
             for __autodiff_k1 in 0..((x).len()) {
                 let __autodiff_item3 = { let v = x[__autodiff_k1]; v * v };
                 __autodiff_acc2 += __autodiff_item3;
             }
             __autodiff_acc2 } }",
    );
    assert_eq!(got, expected);
}

#[test]
fn an_enumerated_loop_binds_its_items_by_index() {
    let got = rewritten(quote! {
        fn f(x: &[f64], w: f64) -> f64 {
            let mut s = 0.0;
            for (i, &xi) in x.iter().enumerate() { s += xi * w * i as f64; }
            s
        }
    });
    let expected = squash(
        "{ let mut s = 0.0;
           for __autodiff_k1 in 0..((x).len()) {
               let i = __autodiff_k1; let xi = x[__autodiff_k1]; { s += xi * w * i as f64; }
           }
           s }",
    );
    assert_eq!(got, expected);
}

#[test]
fn a_copy_and_an_in_place_method_become_element_writes() {
    let got = rewritten(quote! {
        fn f(x: &[f64]) -> f64 { let mut b = x.to_vec(); b.reverse(); b[0] }
    });
    let expected = squash(
        "{ let mut b: Vec<f64> = {
               let mut __autodiff_collected2 = vec![0.0; (x).len()];
               for __autodiff_k1 in 0..((x).len()) { __autodiff_collected2[__autodiff_k1] = x[__autodiff_k1]; }
               __autodiff_collected2
           };
           { let __autodiff_n5 = (b).len();
             for __autodiff_k3 in 0..__autodiff_n5 / 2 {
                 let __autodiff_t4 = b[__autodiff_k3];
                 b[__autodiff_k3] = b[__autodiff_n5 - 1 - __autodiff_k3];
                 b[__autodiff_n5 - 1 - __autodiff_k3] = __autodiff_t4;
             } };
           b[0] }",
    );
    assert_eq!(got, expected);
}

#[test]
fn iterators_of_other_things_are_left_as_written() {
    // `idx` is a Vec of integers, not a sequence of floats: nothing to rewrite.
    let body = "{ let idx: Vec<usize> = vec![2, 0]; idx.iter().map(|i| x[*i]).sum::<f64>() }";
    let got = rewritten(format!("fn f(x: &[f64]) -> f64 {body}").parse().expect("tokens"));
    assert_eq!(got, squash(body));
}

#[test]
fn a_closure_body_that_begins_with_a_block_keeps_its_meaning() {
    // `{ .. } * v` at the start of the item's block would read as the block, then `*v`.
    let got = rewritten(quote! {
        fn f(x: &[f64], w: f64) -> f64 {
            x.iter().map(|v| { let v: f64 = *v; (v * w).tanh() } * v).sum::<f64>()
        }
    });
    let expected = squash(
        "{ { let mut __autodiff_acc2: f64 = -0.0;
             for __autodiff_k1 in 0..((x).len()) {
                 let __autodiff_item3 = { let v = x[__autodiff_k1]; ({ let v: f64 = v; (v * w).tanh() } * v) };
                 __autodiff_acc2 += __autodiff_item3;
             }
             __autodiff_acc2 } }",
    );
    assert_eq!(got, expected);
}

#[test]
fn a_nested_tuple_pattern_is_split_level_by_level() {
    let got = rewritten(quote! {
        fn f(w: f64, b: f64) -> f64 { let (v, (gw, (gb, _))) = g_grad(w, b); v * gw + gb }
    });
    let expected = squash(
        "{ let (v, __autodiff_tuple0) = g_grad(w, b); let (gw, __autodiff_tuple1) = __autodiff_tuple0;
           let (gb, _) = __autodiff_tuple1; v * gw + gb }",
    );
    assert_eq!(got, expected);
}

#[test]
fn a_let_assigned_at_the_end_of_every_arm_takes_the_if_as_its_value() {
    let got = rewritten(quote! {
        fn f(x: f64) -> f64 {
            let y;
            if x > 0.0 { y = x.sin(); } else if x < -1.0 { let t = x * 2.0; y = t; } else { y = 0.5; }
            y * x
        }
    });
    let expected = squash(
        "{ let y = if x > 0.0 { x.sin() } else if x < -1.0 { let t = x * 2.0; t } else { 0.5 }; y * x }",
    );
    assert_eq!(got, expected);
    // without an `else`, or read before it is assigned: left for lowering to report
    let kept = rewritten(quote! {
        fn f(x: f64) -> f64 { let y; if x > 0.0 { y = x; } y }
    });
    assert!(kept.contains("lety;"), "{kept}");
}

#[test]
fn a_name_a_closure_captured_and_then_shadowed_is_renamed_after_it() {
    let got = rewritten(quote! {
        fn f(gain: f64, x: f64) -> f64 {
            let response = |u: f64| gain * u;
            let gain = gain * gain;
            response(x) + gain
        }
    });
    let expected = squash(
        "{ let gain__shadow1 = gain * gain;
           ({ let __autodiff_arg0 = x; let u: f64 = __autodiff_arg0; gain * u }) + gain__shadow1 }",
    );
    assert_eq!(got, expected);
}

#[test]
fn a_closure_with_guard_returns_is_inlined_as_an_if_chain() {
    let got = rewritten(quote! {
        fn f(x: f64, lo: f64) -> f64 {
            let clamp = |t: f64| -> f64 {
                if t <= lo { return lo; }
                let s = t * 2.0;
                if s > 10.0 { return 10.0; }
                s
            };
            clamp(x)
        }
    });
    let expected = squash(
        "{ { let __autodiff_arg0 = x; let t: f64 = __autodiff_arg0;
             { if t <= lo { lo } else { let s = t * 2.0; if s > 10.0 { 10.0 } else { s } } } } }",
    );
    assert_eq!(got, expected);
}

#[test]
fn a_closure_that_adds_into_a_local_is_inlined_as_a_statement() {
    let got = rewritten(quote! {
        fn f(x: f64) -> f64 {
            let mut total = 0.0;
            let mut add = |v: f64| total += v;
            add(x * x);
            total
        }
    });
    let expected = squash(
        "{ let mut total = 0.0; { let __autodiff_arg0 = x * x; let v: f64 = __autodiff_arg0; total += v; }; total }",
    );
    assert_eq!(got, expected);
}

#[test]
fn a_let_typed_as_a_float_types_its_sum_over_a_constant_table() {
    let got = rewritten(quote! {
        fn f(w: &[f64]) -> f64 {
            let r: f64 = w.iter().zip(RATES.iter()).map(|(a, b)| a * b).sum();
            r
        }
    });
    assert!(got.contains("RATES[") && !got.contains(".sum"), "{got}");
}

#[test]
fn an_element_of_a_row_of_a_local_array_of_arrays_is_written_through_its_row() {
    let got = rewritten(quote! {
        fn f(ctrl: [[f64; 2]; 4], t: f64) -> f64 {
            let mut pts = ctrl;
            pts[1][0] += t;
            pts[1][0]
        }
    });
    let expected = squash(
        "{ let mut pts: [[f64; 2]; 4] = ctrl;
           { let mut __autodiff_row = pts[1]; __autodiff_row[0] += t; pts[1] = __autodiff_row; }
           pts[1][0] }",
    );
    assert_eq!(got, expected);
}

#[test]
fn a_local_struct_used_through_its_fields_becomes_a_local_per_field() {
    let got = rewritten(quote! {
        fn f(x0: f64, v0: f64) -> f64 {
            let mut p = Particle { x: x0, v: v0 };
            p.v += -p.x * 0.1;
            p.x + p.v.abs()
        }
    });
    let expected =
        squash("{ let mut p__x = x0; let mut p__v = v0; p__v += -p__x * 0.1; p__x + p__v.abs() }");
    assert_eq!(got, expected);
    // passed on whole: left as written
    let kept = rewritten(quote! {
        fn f(x0: f64) -> f64 { let p = P { x: x0 }; g(&p) }
    });
    assert!(kept.contains("P{x:x0}"), "{kept}");
}

#[test]
fn a_split_structs_fields_read_in_a_macro_are_renamed_there_too() {
    let got = rewritten(quote! {
        fn f(x0: f64) -> f64 {
            let p = P { x: x0 };
            assert!(p.x > 0.0, "x = {}", p.x);
            p.x
        }
    });
    assert!(
        got.contains("assert!(p__x>0.0,\\\"x = {}\\\",p__x)") || got.contains("p__x>0.0"),
        "{got}"
    );
    // a format string naming the struct uses it whole: left as written
    let kept = rewritten(quote! {
        fn f(x0: f64) -> f64 { let p = P { x: x0 }; println!("{p:?}"); p.x }
    });
    assert!(kept.contains("P{x:x0}"), "{kept}");
}

#[test]
fn a_vec_of_tuples_read_by_index_becomes_a_vec_per_element() {
    let got = rewritten(quote! {
        fn f(r: &[f64]) -> f64 {
            let pts: Vec<(f64, f64)> = r.iter().map(|&v| (v.cos(), v.sin())).collect();
            let (x, y) = pts[1];
            x * y + pts.len() as f64
        }
    });
    assert!(got.contains("letmutpts__0:Vec<f64>=Vec::new();"), "{got}");
    assert!(
        got.contains("pts__0.push(__autodiff_tuple.0);pts__1.push(__autodiff_tuple.1);"),
        "{got}"
    );
    assert!(!got.contains("pts[") && !got.contains("pts.len"), "{got}");
}

#[test]
fn a_copied_table_is_one_buffer_filled_cell_by_cell_and_its_rows_swap_cell_by_cell() {
    // (the swap of two cells then becomes three moves, as any buffer's)
    let got = rewritten(quote! {
        fn f(a_in: &[Vec<f64>], k: usize, p: usize) -> f64 {
            let mut a = a_in.to_vec();
            a.swap(k, p);
            a[k][0]
        }
    });
    let expected = squash(
        "{ let __autodiff_rows_a: usize = a_in.len();
           let __autodiff_cols_a: usize = if __autodiff_rows_a > 0 { a_in[0].len() } else { 0 };
           let mut a: Vec<f64> = vec![0.0; __autodiff_rows_a * __autodiff_cols_a];
           for __autodiff_r in 0..__autodiff_rows_a {
               assert_eq!(a_in[__autodiff_r].len(), __autodiff_cols_a, \"the rows of a table copied must have one length\");
               for __autodiff_c in 0..__autodiff_cols_a {
                   a[__autodiff_r * __autodiff_cols_a + __autodiff_c] = a_in[__autodiff_r][__autodiff_c];
               }
           }
           for __autodiff_c in 0..__autodiff_cols_a {
               {
                   let (__autodiff_p3, __autodiff_q4) =
                       ((k) * __autodiff_cols_a + __autodiff_c, (p) * __autodiff_cols_a + __autodiff_c);
                   let __autodiff_t2 = a[__autodiff_p3];
                   a[__autodiff_p3] = a[__autodiff_q4];
                   a[__autodiff_q4] = __autodiff_t2;
               };
           };
           a[(k) * __autodiff_cols_a + ::autodiff::__private::column(0, __autodiff_cols_a)] }",
    );
    assert_eq!(got, expected);
}

#[test]
fn names_set_in_every_arm_become_one_tuple_binding() {
    let got = rewritten(quote! {
        fn f(x: f64, y: f64) -> f64 {
            let lo;
            let hi: f64;
            if x < y { lo = x; hi = y; } else { hi = x; lo = y; }
            lo - hi
        }
    });
    // (each value bound in its arm's order, with its declared type)
    let expected = squash(
        "{ let (lo, hi) = if x < y {
               let __autodiff_deferred0 = x; let __autodiff_deferred1: f64 = y;
               (__autodiff_deferred0, __autodiff_deferred1)
           } else {
               let __autodiff_deferred1: f64 = x; let __autodiff_deferred0 = y;
               (__autodiff_deferred0, __autodiff_deferred1)
           };
           lo - hi }",
    );
    assert_eq!(got, expected);
}

//! The shape of the code reverse mode emits: what it stores, recomputes and tapes.

use super::{expansion, squash};
use crate::expand::dump;
use proc_macro2::TokenStream;
use quote::quote;

/// EXPANSION.md example 1: the reverse sweep of straight-line code keeps nothing beyond the
/// primal values and is exactly the hand-written adjoint.
#[test]
fn reverse_mode_of_straight_line_code_is_the_hand_written_adjoint() {
    let out = expansion(quote!(), quote! { fn f(x: f64, c: f64) -> f64 { c * x.sin() + x + c } });
    let rt = "::autodiff::__private";
    let vjp_body = squash(&format!(
        "let t = x.sin(); let t_1 = c * t; let t_2 = t_1 + x; let t_3 = t_2 + c;
         let mut t_3_bar = seed;
         let mut t_2_bar = {rt}::rules::add_vjp_0(&(), &(), &(), &t_3_bar);
         {rt}::accumulate(c_bar, {rt}::rules::add_vjp_1(&(), &(), &(), &t_3_bar));
         let mut t_1_bar = {rt}::rules::add_vjp_0(&(), &(), &(), &t_2_bar);
         {rt}::accumulate(x_bar, {rt}::rules::add_vjp_1(&(), &(), &(), &t_2_bar));
         {rt}::accumulate(c_bar, {rt}::rules::mul_vjp_0(&(), &t, &(), &t_1_bar));
         let mut t_bar = {rt}::rules::mul_vjp_1(&c, &(), &(), &t_1_bar);
         {rt}::accumulate(x_bar, {rt}::rules::sin_vjp(&x, &(), &t_bar));
         t_3"
    ));
    assert!(out.contains(&vjp_body), "reverse mode body differs:\n{out}");
    assert!(!out.contains("Some"), "straight-line code stores nothing");
}

/// Inside a branch, only what the arm's adjoint reads is handed over: for `a * a` the adjoint
/// reads `a` but not the product, and inactive values (the condition's inputs) not at all.
#[test]
fn reverse_mode_hands_over_only_what_arms_read() {
    let out = expansion(
        quote!(),
        quote! { fn f(x: f64, n: i32) -> f64 { let k = n * 2; if k > 3 { let a = x.sin(); a * a } else { x } } },
    );
    assert!(out.contains("Some((::autodiff::__private::Clone::clone(&a),))"), "{out}");
    assert!(
        out.contains("::autodiff::__private::Some(())"),
        "the else arm hands over nothing: {out}"
    );
}

/// EXPANSION.md example 2: an accumulation loop over a parameter stores nothing, and its
/// adjoint runs forward, fused with the primal loop.
#[test]
fn an_accumulation_loop_stores_nothing() {
    let out = expansion(
        quote!(),
        quote! {
            fn rosenbrock(x: &[f64]) -> f64 {
                let mut s = 0.0;
                for i in 0..x.len() - 1 {
                    let a = x[i + 1] - x[i] * x[i];
                    let b = 1.0 - x[i];
                    s += 100.0 * a * a + b * b;
                }
                s
            }
        },
    );
    assert!(!out.contains("__tape"), "no tape: {out}");
    // The loop only accumulates into `s`, the result: each iteration's adjoint runs in the
    // forward loop itself, so f_vjp has a single loop, like a hand-written gradient.
    let vjp = &out[out.find("fnrosenbrock_vjp").unwrap_or(0)
        ..out.find("fnrosenbrock_grad").unwrap_or(out.len())];
    assert_eq!(vjp.matches("foriin").count(), 1, "one fused loop: {vjp}");
    assert!(!vjp.contains(".rev()"), "{vjp}");
    // x[i] and x[i + 1] in one iteration: x_bar keeps its bounds checks, which stop LLVM from
    // merging the two additions into a vector read-modify-write that the next iteration
    // reloads (a store-forwarding stall); the tangent, only read, is cut.
    assert!(!vjp.contains("cut_to_length_mut"), "{vjp}");
    assert!(out.contains("letx_dot=::autodiff::__private::cut_to_length(x_dot,x.len(),\"x\");"));
    // the carried adjoint starts from -0.0, the additive identity
    assert!(vjp.contains("zero_adjoint(&__carry0_0)"), "{vjp}");
}

/// Slices read at one index per iteration get buffers cut to their length: the optimiser then
/// drops the buffers' bounds checks, which the primal's reads already made.
#[test]
fn buffers_read_once_per_iteration_are_cut_to_length() {
    let out = expansion(
        quote!(),
        quote! {
            fn f(a: &[f64], b: Vec<f64>, n: usize) -> f64 {
                let mut s = 0.0;
                for i in 0..n {
                    s += a[i] * b[i] + a[i].sin();
                    for j in 0..i {
                        s += b[j] * a[i];
                    }
                }
                s
            }
        },
    );
    for name in ["a", "b"] {
        let cut = format!(
            "let{name}_bar=::autodiff::__private::cut_to_length_mut({name}_bar,{name}.len(),\"{name}\");"
        );
        assert_eq!(out.matches(&cut).count(), 2, "in f_vjp and f_grad: {out}");
    }
}

/// EXPANSION.md example 3: a value overwritten in a loop goes on the tape, which is reserved
/// to the trip count; nothing else does.
#[test]
fn an_overwritten_value_goes_on_the_tape() {
    let out = expansion(
        quote!(),
        quote! {
            fn tower(x: f64, n: usize) -> f64 {
                let mut y = x;
                for _ in 0..n {
                    y = (y * x).sin();
                }
                y
            }
        },
    );
    assert!(
        out.contains("__tape0.reserve(::autodiff::__private::Iterator::size_hint(&(0..n)).0);"),
        "{out}"
    );
    assert!(
        out.contains(
            "::autodiff::__private::push_reserved(&mut__tape0,(::autodiff::__private::Clone::clone(&y),));"
        ),
        "only y, pushed into the reserved tape: {out}"
    );
    assert_eq!(
        out.matches("push_reserved(").count(),
        2,
        "one push in f_vjp and one in f_grad: {out}"
    );
    assert_eq!(
        out.matches(".push(").count(),
        0,
        "a range loop's pushes never grow the tape: {out}"
    );
}

/// A model parameter: its fields are reads whose kinds follow their use (borrowed: a tensor;
/// by value: a float), and the adjoint of each read adds into the same field of the model's.
#[test]
fn model_fields_are_reads_into_the_models_adjoint() {
    let item = quote! {
        fn loss(m: &Mlp, x: &Tensor) -> Tensor {
            let h = x.matmul(&m.layer.w) * m.scale;
            h.sum()
        }
    };
    let got = match dump(quote!(wrt(m)), item.clone()) {
        Ok(s) => s,
        Err(e) => panic!("unexpected errors: {e:?}"),
    };
    let expected = "\
params m (active), x
t = field layer.w(m) [varied]
t_1 = matmul(x, &t) [varied]
t_2 = field scale(m) [varied]
h = mul(t_1, t_2) [varied]
t_4 = sum(h) [varied]
yield (t_4)
";
    assert_eq!(got, expected);
    let out = expansion(quote!(wrt(m)), item);
    // The model's tangent and adjoint are values of its own type, by `&` and `&mut`.
    assert!(out.contains("m_dot:&Mlp"), "{out}");
    assert!(out.contains("m_bar:&mutMlp"), "{out}");
    assert!(out.contains("accumulate(&mutm_bar.layer.w,"), "{out}");
    assert!(out.contains("accumulate(&mutm_bar.scale,"), "{out}");
    assert!(out.contains("Clone::clone(&m_dot.layer.w)"), "{out}");
}

/// A buffer filled once and then only read: its reads in a later loop are recomputed from the
/// buffer by that loop's adjoint, not recorded on its tape (only the carried product is).
#[test]
fn frozen_buffer_reads_are_not_taped() {
    let out = expansion(
        quote!(),
        quote! {
            fn f(x: &[f64]) -> f64 {
                let mut e: Vec<f64> = vec![0.0; x.len()];
                for i in 0..x.len() {
                    e[i] = x[i].exp();
                }
                let mut s = 0.0;
                let mut p = 1.0;
                for i in 0..x.len() {
                    p = p * e[i];
                    s += p;
                }
                s
            }
        },
    );
    // f_vjp and f_grad each tape the first loop's exp (costly to recompute) and the second
    // loop's carried product; the second loop's read of `e[i]` is not taped.
    let pushes: Vec<&str> = out
        .match_indices("push_reserved(")
        .map(|(i, _)| &out[i..i + out[i..].find("));").unwrap_or(0)])
        .collect();
    assert_eq!(pushes.len(), 4, "{pushes:?}");
    let exp = "push_reserved(&mut__tape0,(::autodiff::__private::Clone::clone(&t_2),";
    let product = "push_reserved(&mut__tape1,(::autodiff::__private::Clone::clone(&p_1),";
    assert!(pushes.iter().all(|p| *p == exp || *p == product), "{pushes:?}");
}

/// An inner loop that only accumulates (`r -= x[j] * p`) but carries a value it does not
/// differentiate (`p *= t`) replays forwards in the adjoint sweep: nothing is taped.
#[test]
fn accumulating_loops_replay_instead_of_taping() {
    let out = expansion(
        quote!(),
        quote! {
            fn llsq(x: &[f64], n: usize) -> f64 {
                let mut sum = 0.0;
                for i in 0..n {
                    let t = i as f64 / n as f64;
                    let mut r = t;
                    let mut p = 1.0;
                    for j in 0..x.len() {
                        r -= x[j] * p;
                        p *= t;
                    }
                    sum += r * r;
                }
                sum
            }
        },
    );
    assert!(!out.contains(".push("), "{out}");
    assert!(!out.contains(".rev()"), "{out}");
}

/// A call's adjoint adds straight into a parameter's buffer (the callee ADDS), without a zeroed
/// copy; an argument passed twice still gets copies (two `&mut` of one buffer cannot coexist).
#[test]
fn calls_add_into_parameter_buffers_directly() {
    let out = expansion(quote!(), quote! { fn f(x: &[f64]) -> f64 { g(x) * 2.0 } });
    assert!(
        out.contains("g_vjp(x,::autodiff::__private::Clone::clone(&t_bar),&mut*x_bar)"),
        "{out}"
    );
    assert!(!out.contains("__part"), "{out}");
    let out = expansion(quote!(), quote! { fn f(x: &[f64]) -> f64 { h(x, x) } });
    assert!(out.contains("__part1"));
}

/// Views (emit/views.rs): a range loop reading `x[a + c]` unconditionally slices `x` once
/// before the loop, in reverse mode only; a parameter that the loop reads only through one view
/// gets a view of its adjoint buffer there; a read under a condition gets none.
#[test]
fn range_loops_read_through_views_in_reverse_mode() {
    let out = expansion(
        quote!(),
        quote! {
            fn rows(x: &[f64], m: &[f64], d: usize) -> f64 {
                let mut s = 0.0;
                for i in 0..x.len() / d {
                    for c in 0..d {
                        s += (x[i * d + c] - m[c]).powi(2);
                    }
                    for c in 1..d {
                        if c > 2 {
                            s += m[c - 1];
                        }
                    }
                }
                s
            }
        },
    );
    let vjp =
        &out[out.find("fnrows_vjp").unwrap_or(0)..out.find("fnrows_grad").unwrap_or(out.len())];
    assert!(vjp.contains("::autodiff::__private::view(&x,if"), "{vjp}");
    assert!(vjp.contains("::autodiff::__private::view(&m,if"), "{vjp}");
    // x is read only at i * d + c in the inner loop: its adjoint has a view there
    assert!(vjp.contains("view_mut(&mut*x_bar,"), "{vjp}");
    // m too, in that loop; the other loop reads it under a condition: no view there
    assert_eq!(vjp.matches("view_mut(&mut*m_bar,").count(), 1, "{vjp}");
    assert!(vjp.contains("=m[t_6]") && vjp.contains("m_bar[t_6]"), "checked: {vjp}");
    let jvp = &out[out.find("fnrows_jvp").unwrap_or(0)..out.find("fnrows_vjp").unwrap_or(0)];
    assert!(!jvp.contains("view("), "no views in forward mode: {jvp}");
}

/// A mean over a loop (`s / x.len() as f64`): the divisor is computed before the loop, so the
/// loop's adjoint runs inside it (one pass, like a hand-written gradient).
#[test]
fn a_mean_fuses_its_loop() {
    let out = expansion(
        quote!(wrt(b, w)),
        quote! {
            fn mse(b: f64, w: f64, x: &[f64], y: &[f64]) -> f64 {
                let mut s = 0.0;
                for (xi, yi) in x.iter().zip(y) {
                    let e = b + w * xi - yi;
                    s += e * e;
                }
                s / x.len() as f64
            }
        },
    );
    let vjp = &out[out.find("fnmse_vjp").unwrap_or(0)..out.find("fnmse_grad").unwrap_or(out.len())];
    assert_eq!(vjp.matches("forautodiff_k").count(), 1, "one loop: {vjp}");
    assert!(!vjp.contains(".rev()"), "{vjp}");
    let hoisted = vjp.find("lett_7=x.len()asf64;").unwrap_or(usize::MAX);
    assert!(hoisted < vjp.find("for").unwrap_or(0), "the divisor before the loop: {vjp}");
    // `e * e`: one rule for the square, not `mul`'s two
    assert!(vjp.contains("rules::square_vjp(&e,&"), "{vjp}");
    assert!(!vjp.contains("mul_vjp_1(&e"), "{vjp}");
    assert!(out.contains("rules::square_jvp(&e,&e_dot)"), "{out}");
}

/// The adjoint of a distance loop inside a `min` runs only for the distance that won: it is
/// skipped when its result's adjoint is zero; a loop whose adjoint pops a tape never is.
#[test]
fn loops_whose_result_adjoints_are_zero_are_skipped() {
    let nearest = |inner: TokenStream| {
        expansion(
            quote!(wrt(c)),
            quote! {
                fn f(c: &[f64], p: &[f64], d: usize) -> f64 {
                    let mut total = 0.0;
                    for i in 0..p.len() {
                        let mut best = f64::INFINITY;
                        for j in 0..c.len() {
                            let mut dist = 0.0;
                            #inner
                            if dist < best { best = dist; }
                        }
                        total += best;
                    }
                    total
                }
            },
        )
    };
    let ranged = nearest(quote!(for _ in 0..d {
        dist += (c[j] - p[i]).powi(2);
    }));
    assert!(ranged.contains("if!(::autodiff::__private::is_zero(&"), "{ranged}");
    let popped =
        nearest(quote!(let mut m = 0; while m < d { dist += (c[j] - p[i]).powi(2); m += 1; }));
    assert!(!popped.contains("is_zero"), "{popped}");
}

//! Forward mode. Input: the IR. Output: the body of `f_jvp`, which computes each value and,
//! for each varied value, its tangent right after it:
//!
//! ```text
//! t0 = sin(x)          let t0 = x.sin();  let t0_dot = rules::sin_jvp(&x, &t0, &x_dot);
//! (y) = if c {..}      let (y, y_dot) = if c { ..; (a, a_dot) } else { ..; (b, zero_like(&b)) };
//! yield y              (y, y_dot)
//! ```

use super::context::Ctx;
use crate::ir::{Block, Node, Operand, Prim};
use crate::kind::{Kind, Seq};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

/// The body of `f_jvp`.
pub fn body(cx: &Ctx<'_>) -> TokenStream {
    let code = nodes(cx, &cx.f.body);
    let result = cx.operand(cx.f.result());
    // The result's tangent is returned by value, whatever its kind.
    let tangent = match cx.f.result() {
        // (a `Vec` parameter returned: its tangent is a slice)
        Operand::Var(v)
            if cx.f.var(*v).varied
                && cx.f.var(*v).param.is_some()
                && cx.f.var(*v).kind == Kind::Seq(Seq::Vec) =>
        {
            let d = cx.dot(*v);
            quote!(#d.to_vec())
        }
        Operand::Var(v) if cx.f.var(*v).varied => {
            let d = cx.dot(*v);
            quote!(#d)
        }
        r => {
            let (rt, x) = (&cx.rt, cx.operand(r));
            quote!(#rt::zero_like(&#x))
        }
    };
    quote! { #code (#result, #tangent) }
}

/// The tangent of an operand: its own, or zero for a constant. Slices and `Vec`s pass their
/// tangents by reference (`&[f]`), as the contract's signatures take them.
/// The tangent of a value a branch or a loop body yields: owned, like the value itself (a
/// local `Vec`'s tangent is moved out, not borrowed).
fn yielded_tangent(cx: &Ctx<'_>, o: &Operand) -> TokenStream {
    match o {
        Operand::Var(v)
            if cx.f.var(*v).param.is_none() && cx.f.var(*v).kind == Kind::Seq(Seq::Vec) =>
        {
            if cx.f.var(*v).varied {
                let d = cx.dot(*v);
                quote!(#d)
            } else {
                let (rt, x) = (&cx.rt, cx.operand(o));
                quote!(#rt::zero_like(&#x))
            }
        }
        o => tangent(cx, o),
    }
}

fn tangent(cx: &Ctx<'_>, o: &Operand) -> TokenStream {
    let rt = &cx.rt;
    // Slices, Vecs and tensors held by reference pass their tangents by reference.
    let by_ref = o.var().is_some_and(|v| {
        let info = cx.f.var(v);
        matches!(info.kind, Kind::Seq(Seq::Slice | Seq::Vec))
            || (info.kind == Kind::Tensor && matches!(info.ty, Some(syn::Type::Reference(_))))
    });
    match o {
        Operand::Var(v) if cx.f.var(*v).varied && by_ref && cx.f.var(*v).param.is_none() => {
            let d = cx.dot(*v);
            quote!(&#d)
        }
        Operand::Var(v) if cx.f.var(*v).varied && cx.f.var(*v).kind == Kind::Tensor => {
            let d = cx.dot(*v);
            if cx.f.var(*v).param.is_some() { quote!(#d) } else { quote!(#rt::Clone::clone(&#d)) }
        }
        Operand::Var(v) if cx.f.var(*v).varied => {
            let d = cx.dot(*v);
            quote!(#d)
        }
        Operand::Var(_) if by_ref => {
            let x = cx.operand(o);
            quote!(&#rt::zero_like(&#x))
        }
        Operand::Ref(v) if cx.f.var(*v).varied => {
            let d = cx.dot(*v);
            quote!(&#d)
        }
        Operand::Ref(_) => {
            let x = cx.operand(o);
            quote!(&#rt::zero_like(#x))
        }
        // A borrowed constant (`&[1.0, 2.0]`): a borrowed zero.
        Operand::Const(syn::Expr::Reference(_)) => {
            let x = cx.operand(o);
            quote!(&#rt::zero_like(&#x))
        }
        o => {
            let x = cx.operand(o);
            quote!(#rt::zero_like(&#x))
        }
    }
}

/// An owned tangent of `o`, for places that keep it: an element of an array, the start of a
/// loop-carried value (each iteration replaces it with an owned value). Sequences and tensors
/// otherwise pass their tangents by reference.
fn owned_tangent(cx: &Ctx<'_>, o: &Operand) -> TokenStream {
    let rt = &cx.rt;
    match o {
        Operand::Var(v) if !cx.f.var(*v).varied => {
            let x = cx.id(*v);
            quote!(#rt::zero_like(&#x))
        }
        Operand::Var(v) if cx.f.var(*v).kind == Kind::Tensor => {
            let d = cx.dot(*v);
            let by_ref = cx.f.var(*v).param.is_some()
                && matches!(cx.f.var(*v).ty, Some(syn::Type::Reference(_)));
            if by_ref { quote!(#rt::Clone::clone(#d)) } else { quote!(#rt::Clone::clone(&#d)) }
        }
        Operand::Var(v)
            if cx.f.var(*v).param.is_none() && matches!(cx.f.var(*v).kind, Kind::Seq(Seq::Vec)) =>
        {
            let d = cx.dot(*v);
            quote!(#rt::Clone::clone(&#d))
        }
        // a `Vec` parameter's tangent is a slice (`(y, x)` of `x: Vec<f64>`)
        Operand::Var(v) if cx.f.var(*v).kind == Kind::Seq(Seq::Vec) => {
            let d = cx.dot(*v);
            quote!(#d.to_vec())
        }
        o => tangent(cx, o),
    }
}

fn nodes(cx: &Ctx<'_>, block: &Block) -> TokenStream {
    let rt = &cx.rt;
    let mut out = TokenStream::new();
    for node in &block.nodes {
        match node {
            Node::Opaque { out: v, expr, .. } => {
                let (b, expr) = (cx.binding(*v), cx.inactive(*v, expr));
                out.extend(quote!(let #b = #expr;));
                if cx.f.var(*v).buffer && cx.f.var(*v).varied {
                    let (d, id) = (cx.dot(*v), cx.id(*v));
                    out.extend(quote!(let mut #d = #rt::zero_like(&#id);));
                }
            }
            Node::Store(st) => {
                let t = cx.f.var(st.buffer).varied.then(|| tangent(cx, &st.value));
                out.extend(cx.store(st, t));
            }
            Node::Op(op) if !cx.f.var(op.out).varied => {
                let (b, primal) = (cx.binding(op.out), cx.primal(op));
                out.extend(quote!(let #b = #primal;));
            }
            Node::Op(op) => {
                let (b, y, y_dot) = (cx.binding(op.out), cx.id(op.out), cx.dot(op.out));
                match op.prim {
                    Prim::Rule(rule) if cx.square(op, rule).is_some_and(|v| cx.f.var(v).varied) => {
                        let primal = cx.primal(op);
                        let x = op.args[0].var().map(|v| (cx.id(v).clone(), cx.dot(v)));
                        let (x, d) = x.unzip();
                        let rt = &cx.rt;
                        out.extend(quote!(let #b = #primal; let #y_dot = #rt::rules::square_jvp(&#x, &#d);));
                    }
                    Prim::Rule(rule) => {
                        let primal = cx.primal(op);
                        let terms: Vec<TokenStream> = op
                            .args
                            .iter()
                            .enumerate()
                            .filter(|(k, a)| rule.diff[*k] && cx.varied(a))
                            .map(|(k, a)| match a.var() {
                                Some(v) => cx.rule_call(op, rule, "jvp", k, &cx.dot(v)),
                                None => TokenStream::new(),
                            })
                            .collect();
                        // (a name of the macro's own: the user's `d` may be read by the terms)
                        let d = proc_macro2::Ident::new(
                            "__autodiff_sum",
                            proc_macro2::Span::mixed_site(),
                        );
                        let sum = match terms.as_slice() {
                            [one] => one.clone(),
                            [first, rest @ ..] => quote!({
                                let mut #d = #first;
                                #(#rt::accumulate(&mut #d, #rest);)*
                                #d
                            }),
                            [] => quote!(#rt::zero_like(&#y)),
                        };
                        out.extend(quote!(let #b = #primal; let #y_dot = #sum;));
                    }
                    Prim::Index => {
                        let primal = cx.primal(op);
                        let (rt, i) = (&cx.rt, cx.operand(&op.args[1]));
                        let seq_dot = op.args[0].var().map(|v| cx.dot(v));
                        out.extend(quote!(let #b = #primal; let #y_dot = #rt::Clone::clone(&#seq_dot[#i]);));
                    }
                    Prim::Element => {
                        let primal = cx.primal(op);
                        let tuple_dot = tangent(cx, &op.args[0]);
                        let k = match op.form {
                            crate::ir::Form::Element(k) => syn::Index::from(k),
                            _ => syn::Index::from(0),
                        };
                        let rt = &cx.rt;
                        out.extend(quote!(let #b = #primal; let #y_dot = #rt::Clone::clone(&#tuple_dot.#k);));
                    }
                    Prim::Slice => {
                        let primal = cx.primal(op);
                        let (start, end) = (cx.operand(&op.args[1]), cx.operand(&op.args[2]));
                        let seq_dot = op.args[0].var().map(|v| cx.dot(v));
                        out.extend(quote!(let #b = #primal; let #y_dot = &#seq_dot[#start..#end];));
                    }
                    Prim::Store => {
                        let primal = cx.primal(op);
                        let (arr, i, v) = (
                            tangent(cx, &op.args[0]),
                            cx.operand(&op.args[1]),
                            tangent(cx, &op.args[2]),
                        );
                        let d = proc_macro2::Ident::new(
                            "__autodiff_sum",
                            proc_macro2::Span::mixed_site(),
                        );
                        out.extend(quote!(let #b = #primal; let #y_dot = { let mut #d = #arr; #d[#i] = #v; #d };));
                    }
                    Prim::Build => {
                        let primal = cx.primal(op);
                        let ts = op.args.iter().map(|a| owned_tangent(cx, a));
                        let tangents = match &op.form {
                            crate::ir::Form::Path(p) => quote!(#p(#(#ts),*)),
                            crate::ir::Form::Tuple => quote!((#(#ts,)*)),
                            _ => quote!([#(#ts),*]),
                        };
                        out.extend(quote!(let #b = #primal; let #y_dot = #tangents;));
                    }
                    Prim::Field => {
                        let primal = cx.primal(op);
                        let model_dot = op.args[0].var().map(|v| cx.dot(v));
                        let place = cx.place(op, &quote!(#model_dot));
                        let skipped = cx.skipped(op);
                        out.extend(if cx.f.var(op.out).kind == Kind::Seq(Seq::Slice) {
                            // Borrowed as a slice: so is its tangent (a skipped field's is zeros).
                            let zeros = format_ident!("{}_zeros", y_dot);
                            quote! {
                                let #b = #primal;
                                let #zeros = if #skipped { #rt::zero_like(#y) } else { #rt::Vec::new() };
                                let #y_dot = if #skipped { &#zeros[..] } else { &#place[..] };
                            }
                        } else {
                            quote! {
                                let #b = #primal;
                                let #y_dot = if #skipped { #rt::zero_like(&#y) } else { #rt::Clone::clone(&#place) };
                            }
                        });
                    }
                    Prim::Call => {
                        let (callee, args) = cx.companion(op, "jvp");
                        let values = args.iter().map(|a| cx.argument(a));
                        let tangents =
                            args.iter().filter(|a| cx.has_slot(a)).map(|a| tangent(cx, a));
                        let _ = b;
                        // (a buffer from a call, `let mut c: Vec<f64> = g(x); c[0] += ..`)
                        let m = cx.f.var(op.out).buffer.then(|| quote!(mut));
                        out.extend(
                            quote!(let (#m #y, #m #y_dot) = #callee(#(#values,)* #(#tangents),*);),
                        );
                    }
                }
            }
            Node::Loop(lp) => {
                for c in &lp.carried {
                    // The tangent first: the value may move its start value.
                    if cx.f.var(c.out).varied {
                        let (od, t) = (cx.dot(c.out), owned_tangent(cx, &c.init));
                        out.extend(quote!(let mut #od = #t;));
                    }
                    let (o, init) = (cx.id(c.out), cx.owned(&c.init));
                    out.extend(quote!(let mut #o = #init;));
                }
                let mut rest = nodes(cx, &lp.body);
                for (c, y) in lp.carried.iter().zip(&lp.body.yields) {
                    let (o, v) = (cx.id(c.out), cx.operand(y));
                    rest.extend(quote!(#o = #v;));
                    if cx.f.var(c.out).varied {
                        let (od, t) = (cx.dot(c.out), yielded_tangent(cx, y));
                        rest.extend(quote!(#od = #t;));
                    }
                }
                out.extend(cx.loop_head(lp, cx.loop_starts(lp, true), rest));
            }
            Node::Branch(br) => {
                let mut pattern = Vec::new();
                for v in &br.outs {
                    pattern.push(cx.id(*v).clone());
                    if cx.f.var(*v).varied {
                        pattern.push(cx.dot(*v));
                    }
                }
                let arms: Vec<TokenStream> = br
                    .arms
                    .iter()
                    .map(|arm| {
                        let code = nodes(cx, &arm.body);
                        let mut values = Vec::new();
                        for (v, y) in br.outs.iter().zip(&arm.body.yields) {
                            values.push(cx.owned(y));
                            if cx.f.var(*v).varied {
                                values.push(yielded_tangent(cx, y));
                            }
                        }
                        quote!({ #code (#(#values),*) })
                    })
                    .collect();
                let branch = cx.branch(br, &arms);
                out.extend(quote!(let (#(#pattern),*) = #branch;));
            }
        }
    }
    out
}

//! Forward mode. Input: the IR. Output: the body of `f_jvp`, which computes each value and,
//! for each varied value, its tangent right after it:
//!
//! ```text
//! t0 = sin(x)          let t0 = x.sin();  let t0_dot = rules::sin_jvp(&x, &t0, &x_dot);
//! (y) = if c {..}      let (y, y_dot) = if c { ..; (a, a_dot) } else { ..; (b, zero_like(&b)) };
//! yield y              (y, y_dot)
//! ```
//!
//! The same emitter writes `f_jvp_batch` (`#[differentiable(batch)]`): every tangent is then an
//! array of `N` tangents, one per direction, the primal computed once. Each tangent expression
//! is written for one direction `__k` and made into an array by `core::array::from_fn`; writes
//! into a buffer's tangents loop over the directions.
//!
//! ```text
//! let t0 = x.sin();  let t0_dot = from_fn(|__k| rules::sin_jvp(&x, &t0, &x_dot[__k]));
//! ```

use super::context::Ctx;
use crate::ir::{Block, Node, Operand, Prim};
use crate::kind::{Kind, Seq};
use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote};

/// The body of `f_jvp`.
pub fn body(cx: &Ctx<'_>) -> TokenStream {
    Fw { cx, batch: None }.body()
}

/// The body of `f_jvp_batch`, `n` naming the number of directions (a const parameter).
pub fn batch_body(cx: &Ctx<'_>, n: &Ident) -> TokenStream {
    Fw { cx, batch: Some(n.clone()) }.body()
}

/// The forward emitter: one direction, or a batch of `N`.
struct Fw<'c, 'f> {
    cx: &'c Ctx<'f>,
    batch: Option<Ident>,
}

impl Fw<'_, '_> {
    /// The direction's index in batch code.
    fn k(&self) -> Ident {
        Ident::new("__k", Span::mixed_site())
    }

    /// `v`'s tangent as a place of one direction: `v_dot`, or `v_dot[__k]`.
    fn place(&self, v: crate::ir::Var) -> TokenStream {
        let d = self.cx.dot(v);
        match &self.batch {
            None => quote!(#d),
            Some(_) => {
                let k = self.k();
                quote!(#d[#k])
            }
        }
    }

    /// `v`'s tangent as a value of one direction (a copy in batch code).
    fn value(&self, v: crate::ir::Var) -> TokenStream {
        let d = self.cx.dot(v);
        match &self.batch {
            None => quote!(#d),
            Some(_) => {
                let (rt, k) = (&self.cx.rt, self.k());
                quote!(#rt::Clone::clone(&#d[#k]))
            }
        }
    }

    /// A tangent from its expression for one direction: itself, or the array of every
    /// direction's.
    fn each(&self, e: TokenStream) -> TokenStream {
        match &self.batch {
            None => e,
            Some(n) => {
                let k = self.k();
                quote!(::core::array::from_fn::<_, #n, _>(|#k| #e))
            }
        }
    }

    /// A statement on tangents, for one direction: itself, or a loop over the directions.
    fn each_stmt(&self, s: TokenStream) -> TokenStream {
        match &self.batch {
            None => s,
            Some(n) => {
                let k = self.k();
                quote!(for #k in 0..#n { #s })
            }
        }
    }

    fn body(&self) -> TokenStream {
        let cx = self.cx;
        let code = self.nodes(&cx.f.body);
        let result = cx.operand(cx.f.result());
        // The result's tangent is returned by value, whatever its kind.
        let tangent = match cx.f.result() {
            // (a `Vec` parameter returned: its tangent is a slice)
            Operand::Var(v)
                if cx.f.var(*v).varied
                    && cx.f.var(*v).param.is_some()
                    && cx.f.var(*v).kind == Kind::Seq(Seq::Vec) =>
            {
                let d = self.place(*v);
                self.each(quote!(#d.to_vec()))
            }
            Operand::Var(v) if cx.f.var(*v).varied => {
                let d = cx.dot(*v);
                quote!(#d)
            }
            r => {
                let (rt, x) = (&cx.rt, cx.operand(r));
                self.each(quote!(#rt::zero_like(&#x)))
            }
        };
        // (the tangent first: a zero tangent borrows the result, which the tuple moves)
        let t = Ident::new("__tangent", Span::mixed_site());
        quote! { #code let #t = #tangent; (#result, #t) }
    }

    /// The tangent of a value a branch or a loop body yields: owned, like the value itself (a
    /// local `Vec`'s tangent is moved out, not borrowed); every direction's in batch code.
    fn yielded_tangent(&self, o: &Operand) -> TokenStream {
        let cx = self.cx;
        match o {
            Operand::Var(v)
                if cx.f.var(*v).param.is_none() && cx.f.var(*v).kind == Kind::Seq(Seq::Vec) =>
            {
                if cx.f.var(*v).varied {
                    let d = cx.dot(*v);
                    quote!(#d)
                } else {
                    let (rt, x) = (&cx.rt, cx.operand(o));
                    self.each(quote!(#rt::zero_like(&#x)))
                }
            }
            // a `Vec` parameter's tangent is a slice: yielded as a `Vec`, as the value is
            Operand::Var(v)
                if cx.f.var(*v).varied
                    && cx.f.var(*v).param.is_some()
                    && cx.f.var(*v).kind == Kind::Seq(Seq::Vec) =>
            {
                self.each(self.owned_tangent(o))
            }
            // (a float's, an array's: copied whole)
            Operand::Var(v) if self.batch.is_some() && cx.f.var(*v).varied && !self.by_ref(o) => {
                let d = cx.dot(*v);
                quote!(#d)
            }
            o => self.each(self.tangent(o)),
        }
    }

    /// Whether an operand's tangent is passed by reference: slices, `Vec`s, and tensors held
    /// by reference.
    fn by_ref(&self, o: &Operand) -> bool {
        o.var().is_some_and(|v| {
            let info = self.cx.f.var(v);
            matches!(info.kind, Kind::Seq(Seq::Slice | Seq::Vec))
                || (info.kind == Kind::Tensor && matches!(info.ty, Some(syn::Type::Reference(_))))
        })
    }

    /// The tangent of an operand, for one direction: its own, or zero for a constant. Slices
    /// and `Vec`s pass their tangents by reference (`&[f]`), as the contract's signatures take
    /// them.
    fn tangent(&self, o: &Operand) -> TokenStream {
        let cx = self.cx;
        let rt = &cx.rt;
        let by_ref = self.by_ref(o);
        match o {
            Operand::Var(v) if cx.f.var(*v).varied && by_ref && cx.f.var(*v).param.is_none() => {
                let d = self.place(*v);
                quote!(&#d)
            }
            Operand::Var(v) if cx.f.var(*v).varied && cx.f.var(*v).kind == Kind::Tensor => {
                let d = cx.dot(*v);
                if cx.f.var(*v).param.is_some() {
                    quote!(#d)
                } else {
                    quote!(#rt::Clone::clone(&#d))
                }
            }
            Operand::Var(v) if cx.f.var(*v).varied => self.value(*v),
            Operand::Var(_) if by_ref => {
                let x = cx.operand(o);
                quote!(&#rt::zero_like(&#x))
            }
            Operand::Ref(v) if cx.f.var(*v).varied => {
                let d = self.place(*v);
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

    /// An owned tangent of `o`, for one direction, for places that keep it: an element of an
    /// array, the start of a loop-carried value (each iteration replaces it with an owned
    /// value). Sequences and tensors otherwise pass their tangents by reference.
    fn owned_tangent(&self, o: &Operand) -> TokenStream {
        let cx = self.cx;
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
                if cx.f.var(*v).param.is_none()
                    && matches!(cx.f.var(*v).kind, Kind::Seq(Seq::Vec)) =>
            {
                let d = self.place(*v);
                quote!(#rt::Clone::clone(&#d))
            }
            // a `Vec` parameter's tangent is a slice (`(y, x)` of `x: Vec<f64>`)
            Operand::Var(v) if cx.f.var(*v).kind == Kind::Seq(Seq::Vec) => {
                let d = self.place(*v);
                quote!(#d.to_vec())
            }
            o => self.tangent(o),
        }
    }

    /// One zero `z`, borrowed by every direction as the callee's parameter takes it (the array
    /// of borrows typed by the callee: an array literal's zero is a slice's where the callee
    /// takes a slice).
    fn borrowed_each(&self, z: &Ident) -> TokenStream {
        let rt = &self.cx.rt;
        quote!(#rt::zeros_as(&#z))
    }

    /// The tangents a call takes for its arguments in batch code: for each, the array of its
    /// directions' (zeros made once before the call, borrowed by every direction).
    fn batch_call_tangents(&self, args: &[Operand]) -> (TokenStream, Vec<TokenStream>) {
        let cx = self.cx;
        let rt = &cx.rt;
        let mut setup = TokenStream::new();
        let mut out = Vec::new();
        for (j, a) in args.iter().enumerate().filter(|(_, a)| cx.has_slot(a)) {
            let varied = a.var().is_some_and(|v| cx.f.var(v).varied);
            let seq = a
                .var()
                .is_some_and(|v| matches!(cx.f.var(v).kind, Kind::Seq(Seq::Slice | Seq::Vec)));
            let z = format_ident!("__zero{}", j, span = Span::mixed_site());
            out.push(match (varied, a) {
                (true, Operand::Var(v) | Operand::Ref(v)) if seq => {
                    let d = self.place(*v);
                    self.each(quote!(&#d[..]))
                }
                (true, _) => self.each(self.tangent(a)),
                // a borrowed zero, made once: of a slice or `Vec` as a slice, of an array or
                // an nalgebra value as itself
                (false, Operand::Var(v) | Operand::Ref(v))
                    if self.by_ref(a) || matches!(a, Operand::Ref(_)) =>
                {
                    let x = cx.id(*v);
                    setup.extend(quote!(let #z = #rt::zero_like(&#x);));
                    self.borrowed_each(&z)
                }
                (false, Operand::Const(syn::Expr::Reference(r))) => {
                    let x = &r.expr;
                    setup.extend(quote!(let #z = #rt::zero_like(&(#x));));
                    self.borrowed_each(&z)
                }
                (false, _) => self.each(self.tangent(a)),
            });
        }
        (setup, out)
    }

    fn nodes(&self, block: &Block) -> TokenStream {
        let cx = self.cx;
        let rt = &cx.rt;
        let mut out = TokenStream::new();
        for node in &block.nodes {
            match node {
                Node::Opaque { out: v, expr, .. } => {
                    let (b, expr) = (cx.binding(*v), cx.inactive(*v, expr));
                    out.extend(quote!(let #b = #expr;));
                    if cx.f.var(*v).buffer && cx.f.var(*v).varied {
                        let (d, id) = (cx.dot(*v), cx.id(*v));
                        let zero = self.each(quote!(#rt::zero_like(&#id)));
                        out.extend(quote!(let mut #d = #zero;));
                    }
                }
                Node::Store(st) => {
                    out.extend(cx.store(st, None));
                    if cx.f.var(st.buffer).varied {
                        let t = self.tangent(&st.value);
                        let d = self.place(st.buffer);
                        out.extend(self.each_stmt(cx.store_tangent(st, d, t)));
                    }
                }
                Node::Op(op) if !cx.f.var(op.out).varied => {
                    let (b, primal) = (cx.binding(op.out), cx.primal(op));
                    out.extend(quote!(let #b = #primal;));
                }
                Node::Op(op) => out.extend(self.op(op)),
                Node::Loop(lp) => {
                    for c in &lp.carried {
                        // The tangent first: the value may move its start value.
                        if cx.f.var(c.out).varied {
                            let od = cx.dot(c.out);
                            let t = match &c.init {
                                Operand::Var(v)
                                    if self.batch.is_some()
                                        && cx.f.var(*v).varied
                                        && cx.f.var(*v).param.is_none()
                                        && !matches!(cx.f.var(*v).kind, Kind::Tensor) =>
                                {
                                    // every direction's, copied whole
                                    let d = cx.dot(*v);
                                    quote!(#rt::Clone::clone(&#d))
                                }
                                init => self.each(self.owned_tangent(init)),
                            };
                            out.extend(quote!(let mut #od = #t;));
                        }
                        let (o, init) = (cx.id(c.out), cx.owned(&c.init));
                        out.extend(quote!(let mut #o = #init;));
                    }
                    let mut rest = self.nodes(&lp.body);
                    for (c, y) in lp.carried.iter().zip(&lp.body.yields) {
                        let (o, v) = (cx.id(c.out), cx.operand(y));
                        rest.extend(quote!(#o = #v;));
                        if cx.f.var(c.out).varied {
                            let (od, t) = (cx.dot(c.out), self.yielded_tangent(y));
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
                            let code = self.nodes(&arm.body);
                            let mut values = Vec::new();
                            for (v, y) in br.outs.iter().zip(&arm.body.yields) {
                                values.push(cx.owned(y));
                                if cx.f.var(*v).varied {
                                    values.push(self.yielded_tangent(y));
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

    /// A varied operation and its tangent.
    fn op(&self, op: &crate::ir::Op) -> TokenStream {
        let cx = self.cx;
        let rt = &cx.rt;
        let (b, y, y_dot) = (cx.binding(op.out), cx.id(op.out), cx.dot(op.out));
        let primal = cx.primal(op);
        let tangent = match op.prim {
            Prim::Rule(rule) if cx.square(op, rule).is_some_and(|v| cx.f.var(v).varied) => {
                let x = op.args[0].var().map(|v| (cx.id(v).clone(), self.place(v)));
                let (x, d) = x.unzip();
                quote!(#rt::rules::square_jvp(&#x, &#d))
            }
            Prim::Rule(rule) => {
                let terms: Vec<TokenStream> = op
                    .args
                    .iter()
                    .enumerate()
                    .filter(|(k, a)| rule.diff[*k] && cx.varied(a))
                    .map(|(k, a)| match a.var() {
                        Some(v) => cx.rule_call(op, rule, "jvp", k, &self.place(v)),
                        None => TokenStream::new(),
                    })
                    .collect();
                // (a name of the macro's own: the user's `d` may be read by the terms)
                let d = Ident::new("__autodiff_sum", Span::mixed_site());
                match terms.as_slice() {
                    [one] => one.clone(),
                    [first, rest @ ..] => quote!({
                        let mut #d = #first;
                        #(#rt::accumulate(&mut #d, #rest);)*
                        #d
                    }),
                    [] => quote!(#rt::zero_like(&#y)),
                }
            }
            Prim::Index => {
                let i = cx.operand(&op.args[1]);
                let seq_dot = op.args[0].var().map(|v| self.place(v));
                quote!(#rt::Clone::clone(&#seq_dot[#i]))
            }
            Prim::Element => {
                let tuple_dot = self.tangent(&op.args[0]);
                let k = match op.form {
                    crate::ir::Form::Element(k) => syn::Index::from(k),
                    _ => syn::Index::from(0),
                };
                quote!(#rt::Clone::clone(&#tuple_dot.#k))
            }
            Prim::Slice => {
                let (start, end) = (cx.operand(&op.args[1]), cx.operand(&op.args[2]));
                let seq_dot = op.args[0].var().map(|v| self.place(v));
                quote!(&#seq_dot[#start..#end])
            }
            Prim::Copy => {
                let seq_dot = op.args[0].var().map(|v| self.place(v));
                quote!(#rt::Clone::clone(&#seq_dot))
            }
            Prim::Store => {
                let (arr, i, v) =
                    (self.tangent(&op.args[0]), cx.operand(&op.args[1]), self.tangent(&op.args[2]));
                let d = Ident::new("__autodiff_sum", Span::mixed_site());
                quote!({ let mut #d = #arr; #d[#i] = #v; #d })
            }
            Prim::Build if matches!(op.form, crate::ir::Form::Repeat) => {
                let (t, n) = (self.owned_tangent(&op.args[0]), cx.operand(&op.args[1]));
                quote!(#rt::repeat(#t, #n))
            }
            Prim::Build => {
                let ts = op.args.iter().map(|a| self.owned_tangent(a));
                match &op.form {
                    crate::ir::Form::Path(p) => quote!(#p(#(#ts),*)),
                    crate::ir::Form::Tuple => quote!((#(#ts,)*)),
                    crate::ir::Form::Vec => quote!(#rt::Vec::from([#(#ts),*])),
                    _ => quote!([#(#ts),*]),
                }
            }
            Prim::Field => {
                let model_dot = op.args[0].var().map(|v| self.place(v));
                let place = cx.place(op, &quote!(#model_dot));
                let skipped = cx.skipped(op);
                if cx.f.var(op.out).kind == Kind::Seq(Seq::Slice) {
                    // Borrowed as a slice: so is its tangent (a skipped field's is zeros).
                    let zeros = format_ident!("{}_zeros", y_dot);
                    return quote! {
                        let #b = #primal;
                        let #zeros = if #skipped { #rt::zero_like(#y) } else { #rt::Vec::new() };
                        let #y_dot = if #skipped { &#zeros[..] } else { &#place[..] };
                    };
                }
                quote!(if #skipped { #rt::zero_like(&#y) } else { #rt::Clone::clone(&#place) })
            }
            Prim::Call if self.batch.is_some() => {
                let (callee, args) = cx.companion(op, "jvp_batch");
                let values = args.iter().map(|a| cx.argument(a));
                let (setup, tangents) = self.batch_call_tangents(&args);
                let m = cx.f.var(op.out).buffer.then(|| quote!(mut));
                return quote! {
                    #setup
                    let (#m #y, #m #y_dot) = #callee(#(#values,)* #(#tangents),*);
                };
            }
            Prim::Call => {
                let (callee, args) = cx.companion(op, "jvp");
                let values = args.iter().map(|a| cx.argument(a));
                let tangents = args.iter().filter(|a| cx.has_slot(a)).map(|a| self.tangent(a));
                // (a buffer from a call, `let mut c: Vec<f64> = g(x); c[0] += ..`)
                let m = cx.f.var(op.out).buffer.then(|| quote!(mut));
                return quote!(let (#m #y, #m #y_dot) = #callee(#(#values,)* #(#tangents),*););
            }
        };
        let tangent = self.each(tangent);
        // (a buffer's tangent is written in place as the buffer is: `let mut v = vec![a, b];`)
        let m = cx.f.var(op.out).buffer.then(|| quote!(mut));
        quote!(let #b = #primal; let #m #y_dot = #tangent;)
    }
}

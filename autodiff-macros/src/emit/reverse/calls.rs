//! The adjoint of a call of a differentiable function: its `_vjp`, adding into the caller's
//! adjoint buffers.

use super::Reverse;
use crate::ir::{Op, Operand, Var};
use crate::kind::Kind;
use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote};

impl Reverse<'_, '_> {
    /// The adjoint of a call `g(args)`: `g_vjp(args, ȳ, buffers..)`, whose buffers are the
    /// callers' own adjoints where they can be (it ADDS into them), else zeroed parts added
    /// afterwards.
    pub(super) fn call(&mut self, op: &Op, g: &Ident) -> TokenStream {
        let cx = self.cx;
        let rt = &cx.rt;
        let mut out = TokenStream::new();
        let (callee, args) = cx.companion(op, "vjp");
        let mut buffers = Vec::new();
        let mut slots = Vec::new();
        let slotted: Vec<&Operand> = args.iter().filter(|a| cx.has_slot(a)).collect();
        for a in slotted.iter().copied() {
            let x = match self.call_buffer(op, a, &slotted) {
                Buffer::Own(v) => {
                    let bar = cx.bar(v);
                    buffers.push(if cx.f.var(v).param.is_some() {
                        quote!(&mut *#bar)
                    } else {
                        quote!(&mut #bar)
                    });
                    continue;
                }
                Buffer::Range(args) => {
                    let Some(whole) = args[0].var() else { continue };
                    let (bar, start, end) =
                        (cx.bar(whole), cx.operand(&args[1]), cx.operand(&args[2]));
                    buffers.push(quote!(&mut #bar[#start..#end]));
                    continue;
                }
                Buffer::Part(Some(parts)) => {
                    let (whole, start, end) =
                        (cx.operand(&parts[0]), cx.operand(&parts[1]), cx.operand(&parts[2]));
                    quote!(#whole[#start..#end])
                }
                Buffer::Part(None) => cx.operand(a),
            };
            let p = format_ident!("__part{}", self.parts, span = Span::mixed_site());
            self.parts += 1;
            // The callee computes no adjoint for an inactive tensor argument.
            let tensor = a.var().is_some_and(|v| cx.f.var(v).kind == Kind::Tensor);
            let buffer = if tensor && !cx.is_active(a) {
                quote!(#rt::discard_like(&#x))
            } else {
                quote!(#rt::zero_adjoint(&#x))
            };
            out.extend(quote!(let mut #p = #buffer;));
            buffers.push(quote!(&mut #p));
            slots.push((a.clone(), p));
        }
        if let crate::ir::Form::Tangent(_, primal) = &op.form {
            // The tangent `(y, ẏ) = g_jvp(a, ȧ)` with adjoints `(ȳ, ẏ̄)`: `ā += ȳ·∇g + ẏ̄·∇²g·ȧ`
            // and `ǡ += ẏ̄·∇g`, that is `g_vjp` with `ȳ` and `g_hvp` with `ẏ̄` (second order).
            let receiver = args.len() < op.args.len();
            let primal = primal - usize::from(receiver);
            let n = args[..primal].iter().filter(|a| cx.has_slot(a)).count();
            let values: Vec<TokenStream> = args.iter().map(|a| cx.argument(a)).collect();
            let (first, hvp) = (&values[..primal], cx.companion(op, "hvp").0);
            let (own, tangents) = buffers.split_at(n);
            let s = Ident::new("__seeds", Span::mixed_site());
            out.extend(quote! {
                let #s = #rt::Clone::clone(&#g);
                #callee(#(#first,)* #s.0, #(#own),*);
                #hvp(#(#values,)* #s.1, #(#tangents,)* #(#own),*);
            });
        } else {
            // A tuple result's seed holds `&[E]` for a `Vec` (DESIGN.md).
            let seed = if cx.f.var(op.out).kind == Kind::Tuple {
                quote!(#rt::as_seed(&#g))
            } else {
                quote!(#rt::Clone::clone(&#g))
            };
            match op.pullback {
                Some(pb) => {
                    let pb = cx.id(pb);
                    out.extend(quote!(#pb(#seed, #(#buffers),*);));
                }
                None => {
                    let values = args.iter().map(|a| cx.argument(a));
                    out.extend(quote!(#callee(#(#values,)* #seed, #(#buffers),*);));
                }
            }
        }
        for (a, p) in slots {
            out.extend(self.contribute(&a, quote!(#p)));
        }
        out
    }

    /// Where the callee of `op` adds the adjoint of its argument `a` (one of `slotted`, the
    /// arguments with adjoints).
    pub(super) fn call_buffer(&self, op: &Op, a: &Operand, slotted: &[&Operand]) -> Buffer {
        let cx = self.cx;
        let once = |v: Var| slotted.iter().filter(|b| b.var() == Some(v)).count() == 1;
        let own = |v: &Var| {
            cx.active.contains(v) && (cx.f.var(*v).param.is_some() || self.declared.contains(v))
        };
        if let Some(v) = a.var().filter(|v| own(v) && once(*v)) {
            return Buffer::Own(v);
        }
        let whole_of = |v: Var| self.slices.get(&v).and_then(|s| s[0].var());
        let alone = |w: Var| {
            slotted.iter().filter_map(|b| b.var()).all(|b| b != w)
                && slotted.iter().filter(|b| b.var().and_then(whole_of) == Some(w)).count() == 1
        };
        if let Some(args) = a.var().filter(|v| once(*v)).and_then(|v| self.slices.get(&v))
            && args[0].var().is_some_and(|w| own(&w) && alone(w))
        {
            return Buffer::Range(args.clone());
        }
        match a.var().and_then(|v| self.sub_slices.get(&v)) {
            Some(parts) if op.pullback.is_some() => Buffer::Part(Some(parts.clone())),
            _ => Buffer::Part(None),
        }
    }
}

/// Where a callee adds an argument's adjoint ([`Reverse::call_buffer`]).
pub(super) enum Buffer {
    /// The caller's own adjoint of the argument, a parameter's or a local's already declared,
    /// passed once: the callee ADDS into it directly (no zeroed copy to add afterwards).
    Own(Var),
    /// A sub-slice passed on and read nowhere else: the callee adds straight into that range
    /// of the whole's adjoint (the sub-slice's operands: whole, start, end); one mutable
    /// borrow of the whole's adjoint per call, so not when the call is also passed the whole
    /// or another sub-slice of it.
    Range(Vec<Operand>),
    /// A zeroed buffer added into the argument's adjoint afterwards, shaped like the argument
    /// or, in split mode, like the whole sliced again (`Some` of the sub-slice's operands: the
    /// pullback of `f_pullback` then holds no borrow of a slice its caller lent).
    Part(Option<Vec<Operand>>),
}

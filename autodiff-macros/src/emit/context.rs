//! What both emitters share: names of values, tangents and adjoints; operands; the primal of
//! an operation as the user wrote it; calls of runtime rules and of companion functions.

use crate::ir::{Form, Function, Loop, LoopHead, Op, Operand, Prim, Var};
use crate::kind::{Kind, Seq};
use crate::rules::Rule;
use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use std::collections::HashSet;

/// The function being emitted and what the emitters need to know about it.
pub struct Ctx<'a> {
    /// The lowered function.
    pub f: &'a Function,
    /// The path generated code reaches the runtime through (`::autodiff::__private`).
    pub rt: TokenStream,
    /// Values that are varied and useful: the ones with adjoints.
    pub active: &'a HashSet<Var>,
    /// The sub-slices range loops read (see [`super::views`]).
    pub views: super::views::Views,
    /// Inactive state that code kept as written changes in place (`rng` of `rng.normal()`,
    /// see [`crate::analyse::changed_in_place`]): bound `mut`, never recomputed.
    pub changed: HashSet<Var>,
}

impl Ctx<'_> {
    /// The identifier of a value.
    pub fn id(&self, v: Var) -> &Ident {
        &self.f.var(v).ident
    }

    /// The identifier of a value's tangent (`x_dot`).
    pub fn dot(&self, v: Var) -> Ident {
        format_ident!("{}_dot", self.f.var(v).name, span = Span::mixed_site())
    }

    /// The identifier of a value's adjoint (`x_bar`); for a parameter, the `&mut` buffer.
    pub fn bar(&self, v: Var) -> Ident {
        format_ident!("{}_bar", self.f.var(v).name, span = Span::mixed_site())
    }

    /// Whether a value depends on an active parameter.
    pub fn varied(&self, o: &Operand) -> bool {
        o.var().is_some_and(|v| self.f.var(v).varied)
    }

    /// Whether a value has an adjoint.
    pub fn is_active(&self, o: &Operand) -> bool {
        o.var().is_some_and(|v| self.active.contains(&v))
    }

    /// An operand as an expression.
    pub fn operand(&self, o: &Operand) -> TokenStream {
        match o {
            Operand::Var(v) => {
                let id = self.id(*v);
                quote!(#id)
            }
            Operand::Ref(v) => {
                let id = self.id(*v);
                quote!(&#id)
            }
            Operand::Const(e @ syn::Expr::Lit(_)) => quote!(#e),
            Operand::Const(e) => quote!((#e)),
        }
    }

    /// `let name: T` when the source annotated the value's type.
    pub fn binding(&self, v: Var) -> TokenStream {
        let id = self.id(v);
        let mutable = (self.f.var(v).buffer || self.changed.contains(&v)).then(|| quote!(mut));
        match &self.f.var(v).ty {
            Some(ty) if self.f.var(v).param.is_none() => quote!(#mutable #id: #ty),
            _ => quote!(#mutable #id),
        }
    }

    /// A write into a buffer (and, in forward mode, into its tangent).
    pub fn store(&self, st: &crate::ir::Store, tangent: Option<TokenStream>) -> TokenStream {
        use crate::ir::StoreOp;
        let (b, i, v) = (self.id(st.buffer), self.operand(&st.index), self.operand(&st.value));
        let mut out = match st.op {
            StoreOp::Set => quote!(#b[#i] = #v;),
            StoreOp::Add => quote!(#b[#i] += #v;),
            StoreOp::Sub => quote!(#b[#i] -= #v;),
            StoreOp::Push => quote!(#b.push(#v);),
        };
        if let Some(t) = tangent {
            let d = self.dot(st.buffer);
            out.extend(self.store_tangent(st, quote!(#d), t));
        }
        out
    }

    /// The tangent half of a write into a buffer: into `d`, the buffer's tangent (or one
    /// direction's, in batch forward mode), the value's tangent `t`.
    pub fn store_tangent(
        &self,
        st: &crate::ir::Store,
        d: TokenStream,
        t: TokenStream,
    ) -> TokenStream {
        use crate::ir::StoreOp;
        let (rt, i) = (&self.rt, self.operand(&st.index));
        match st.op {
            StoreOp::Set => quote!(#d[#i] = #t;),
            StoreOp::Add => quote!(#rt::accumulate(&mut #d[#i], #t);),
            StoreOp::Sub => {
                quote!(#rt::accumulate(&mut #d[#i], #rt::rules::neg_jvp(&(), &(), &#t));)
            }
            StoreOp::Push => quote!(#d.push(#t);),
        }
    }

    /// An owned copy of a tensor value (a cheap handle), for places that take ownership while
    /// the adjoint sweep may read the value again: `Clone::clone(&t)`, or `Clone::clone(t)` for
    /// a tensor held by reference. Other values are passed as they are.
    pub fn owned(&self, o: &Operand) -> TokenStream {
        let rt = &self.rt;
        match o {
            Operand::Var(v) if self.f.var(*v).kind == Kind::Tensor => {
                let id = self.id(*v);
                match self.f.var(*v).ty {
                    Some(syn::Type::Reference(_)) => quote!(#rt::Clone::clone(#id)),
                    _ => quote!(#rt::Clone::clone(&#id)),
                }
            }
            // a `Vec` parameter taken by value (`if c { x } else { .. }`): the generated code
            // reads it again
            Operand::Var(v)
                if self.f.var(*v).param.is_some()
                    && self.f.var(*v).kind == Kind::Seq(Seq::Vec)
                    && !matches!(self.f.var(*v).ty, Some(syn::Type::Reference(_))) =>
            {
                let id = self.id(*v);
                quote!(#rt::Clone::clone(&#id))
            }
            o => self.operand(o),
        }
    }

    /// An argument of a call: owned sequences are cloned, since the generated code uses them
    /// again after the call.
    pub fn argument(&self, o: &Operand) -> TokenStream {
        let x = self.operand(o);
        match o {
            Operand::Var(v) if self.f.var(*v).kind == Kind::Seq(Seq::Vec) => {
                let rt = &self.rt;
                quote!(#rt::Clone::clone(&#x))
            }
            _ => x,
        }
    }

    /// The primal of `op`, written as the user wrote it so type inference sees the same code.
    pub fn primal(&self, op: &Op) -> TokenStream {
        let a: Vec<TokenStream> = match (op.prim, &op.form) {
            (Prim::Call, _) => op.args.iter().map(|o| self.argument(o)).collect(),
            // Tensor operators take their operands by reference: the adjoint uses them again.
            (_, Form::Binary(_) | Form::Neg) => op
                .args
                .iter()
                .map(|o| match o {
                    Operand::Var(v)
                        if self.f.var(*v).kind == Kind::Tensor
                            && !matches!(self.f.var(*v).ty, Some(syn::Type::Reference(_))) =>
                    {
                        let id = self.id(*v);
                        quote!(&#id)
                    }
                    o => self.operand(o),
                })
                .collect(),
            // An array of tensors owns copies of its elements (cheap handles): the adjoint
            // sweep may read them again.
            (Prim::Build, _) => op.args.iter().map(|o| self.owned(o)).collect(),
            // Tensor methods take their tensor arguments by reference; an owned tensor value
            // here was bound by reference in the source (`let w = &h; x.matmul(w)`).
            (_, Form::Method(_)) => op
                .args
                .iter()
                .enumerate()
                .map(|(k, o)| match o {
                    // a borrowed receiver (`r.sum()` of `let r = &h;`): `(&h).sum()`
                    Operand::Ref(v) if k == 0 => {
                        let id = self.id(*v);
                        quote!((&#id))
                    }
                    Operand::Var(v)
                        if k > 0
                            && self.f.var(*v).kind == Kind::Tensor
                            && !matches!(self.f.var(*v).ty, Some(syn::Type::Reference(_))) =>
                    {
                        let id = self.id(*v);
                        quote!(&#id)
                    }
                    o => self.operand(o),
                })
                .collect(),
            _ => op.args.iter().map(|o| self.operand(o)).collect(),
        };
        match &op.form {
            Form::Binary(bin) => {
                let (l, r) = (&a[0], &a[1]);
                quote_spanned!(op.span=> #l #bin #r)
            }
            Form::Neg => {
                let x = &a[0];
                quote_spanned!(op.span=> -#x)
            }
            Form::Method(m) => {
                let (recv, rest) = (&a[0], &a[1..]);
                quote_spanned!(op.span=> #recv.#m(#(#rest),*))
            }
            Form::Path(p) => quote_spanned!(op.span=> #p(#(#a),*)),
            // The field of a model's tangent: zero for a skipped field (second order).
            Form::Tangent(..) if matches!(op.prim, crate::ir::Prim::Field) => {
                let (rt, place, skipped) = (&self.rt, self.place(op, &a[0]), self.skipped(op));
                quote_spanned!(op.span=> if #skipped { #rt::zero_like(&#place) } else { #rt::Clone::clone(&#place) })
            }
            // `g_jvp(args.., tangents..)`, a tuple of the value and its tangent
            Form::Tangent(..) => {
                let (callee, args) = self.companion(op, "jvp");
                let values = args.iter().map(|o| self.argument(o));
                quote_spanned!(op.span=> #callee(#(#values),*))
            }
            Form::Cast(ty) => {
                let x = &a[0];
                quote_spanned!(op.span=> (#x as #ty))
            }
            Form::Index if self.f.var(op.out).kind == Kind::Tensor => {
                let (rt, seq, i) = (&self.rt, &a[0], &a[1]);
                quote_spanned!(op.span=> #rt::Clone::clone(&#seq[#i]))
            }
            Form::Index => match self.views.reads.get(&op.out) {
                Some((view, _, c)) => quote_spanned!(op.span=> #view[#c]),
                None => {
                    let (seq, i) = (&a[0], &a[1]);
                    quote_spanned!(op.span=> #seq[#i])
                }
            },
            Form::Slice => {
                let (seq, start, end) = (&a[0], &a[1], &a[2]);
                quote_spanned!(op.span=> &#seq[#start..#end])
            }
            Form::Copy => {
                let (rt, x) = (&self.rt, &a[0]);
                quote_spanned!(op.span=> #rt::Clone::clone(&#x))
            }
            Form::Store => {
                let (rt, arr, i, v) = (&self.rt, &a[0], &a[1], &a[2]);
                quote_spanned!(op.span=> { let mut a = #rt::Clone::clone(&#arr); a[#i] = #v; a })
            }
            Form::Array => quote_spanned!(op.span=> [#(#a),*]),
            Form::Vec => {
                let rt = &self.rt;
                quote_spanned!(op.span=> #rt::Vec::from([#(#a),*]))
            }
            Form::Repeat => {
                let (rt, v, n) = (&self.rt, &a[0], &a[1]);
                quote_spanned!(op.span=> #rt::repeat(#v, #n))
            }
            // (cloned: a `Vec` element is still read by the adjoint sweep)
            Form::Tuple => {
                let rt = &self.rt;
                quote_spanned!(op.span=> (#(#rt::Clone::clone(&#a),)*))
            }
            Form::Element(k) => {
                let (rt, t, k) = (&self.rt, &a[0], syn::Index::from(*k));
                quote_spanned!(op.span=> #rt::Clone::clone(&#t.#k))
            }
            // A sequence field borrowed as a slice (`let v: &[f64] = &m.v;`) is a reference.
            Form::Field(_) if self.f.var(op.out).kind == Kind::Seq(Seq::Slice) => {
                let place = self.place(op, &a[0]);
                quote_spanned!(op.span=> &#place)
            }
            Form::Field(_) => {
                let (rt, place) = (&self.rt, self.place(op, &a[0]));
                quote_spanned!(op.span=> #rt::Clone::clone(&#place))
            }
        }
    }

    /// The place a field read `op` reads in `whole`, the model or its tangent or adjoint:
    /// `whole.a.b`, or `whole.a.b[i]`.
    pub fn place(&self, op: &Op, whole: &TokenStream) -> TokenStream {
        let Some(path) = op.form.field_path() else {
            return quote!(compile_error!("internal error: a field read without a path"));
        };
        let indices = op.args.iter().skip(1).map(|i| self.operand(i));
        quote!(#whole #(.#path)* #([#indices])*)
    }

    /// Whether the field a read `op` reads, or a struct on its path, is `#[autodiff(skip)]`:
    /// `m.__autodiff_skips_a() || m.a.__autodiff_skips_b()` (methods `#[derive(Differentiable)]`
    /// writes, constant for the optimiser). Such a field has no tangent and takes no adjoint.
    pub fn skipped(&self, op: &Op) -> TokenStream {
        let Some(path) = op.form.field_path() else { return quote!(false) };
        if path.is_empty() {
            return quote!(false);
        }
        let model = self.operand(&op.args[0]);
        let tests = path.iter().enumerate().map(|(k, member)| {
            let prefix = &path[..k];
            let name = match member {
                syn::Member::Named(id) => format_ident!("__autodiff_skips_{}", id),
                syn::Member::Unnamed(i) => format_ident!("__autodiff_skips_{}", i.index),
            };
            // (a component of an nalgebra field, `cam.center.x`: never skipped, from the
            // runtime's `Components`; a derived struct's own method comes first)
            let rt = &self.rt;
            match member {
                syn::Member::Named(id)
                    if ["x", "y", "z", "w"].contains(&id.to_string().as_str()) =>
                {
                    quote!({ use #rt::Components as _; #model #(.#prefix)*.#name() })
                }
                _ => quote!(#model #(.#prefix)*.#name()),
            }
        });
        quote!((#(#tests)||*))
    }

    /// A call of the runtime's rule for operand `k` of `op` in `mode` (`jvp`/`vjp`), with the
    /// operand's tangent or the result's adjoint `seed`. In reverse mode the values the rule
    /// does not read are passed as `&()`, so nothing keeps them alive.
    pub fn rule_call(
        &self,
        op: &Op,
        rule: &Rule,
        mode: &str,
        k: usize,
        seed: &impl quote::ToTokens,
    ) -> TokenStream {
        let rt = &self.rt;
        let f = Ident::new(&rule.function(mode, k), op.span);
        let tensor = self.tensor(op, rule);
        let algebra = tensor || self.algebra(op, rule);
        let pass = |j: u8, value: TokenStream| {
            if mode == "jvp" || algebra || rule.reads(k, j) { quote!(&#value) } else { quote!(&()) }
        };
        // An inactive float operand of unknown type may be a reference to a float (an item of
        // `TABLE.iter()`): the rule takes the float itself.
        let float = |j: usize, o: &Operand| match o {
            Operand::Var(v)
                if !algebra
                    && rule.diff.get(j).copied().unwrap_or(false)
                    && !self.f.var(*v).varied
                    && self.f.var(*v).kind == Kind::Unknown =>
            {
                let id = self.id(*v);
                quote!(#rt::value(&#id))
            }
            o => self.value(o),
        };
        let args = op.args.iter().enumerate().map(|(j, o)| pass(j as u8, float(j, o)));
        let id = self.id(op.out);
        let y = pass(crate::rules::Y, quote!(#id));
        let module = if tensor {
            quote!(rules::tensor)
        } else if algebra {
            quote!(rules::algebra)
        } else {
            quote!(rules)
        };
        quote_spanned!(op.span=> #rt::#module::#f(#(#args,)* #y, &#seed))
    }

    /// `x * x` of a float `x`: the value squared, whose rules (`rules::square_jvp`,
    /// `square_vjp`) take one product per element where `mul`'s two operands take two.
    pub fn square(&self, op: &Op, rule: &Rule) -> Option<Var> {
        match op.args.as_slice() {
            [Operand::Var(a), Operand::Var(b)]
                if std::ptr::eq(rule, &crate::rules::MUL)
                    && a == b
                    && self.f.var(*a).kind == Kind::Float
                    && !self.f.var(*a).maybe_algebra =>
            {
                Some(*a)
            }
            _ => None,
        }
    }

    /// Whether an operation on nalgebra values takes its rules from `rules::algebra`, which
    /// dispatch on the operand types (and read every operand).
    pub fn algebra(&self, op: &Op, rule: &Rule) -> bool {
        let algebra = |v: Var| {
            let info = self.f.var(v);
            info.kind == Kind::Algebra
                || (info.maybe_algebra
                    && matches!(rule.name, "add" | "sub" | "mul" | "div" | "neg"))
        };
        crate::rules::ALGEBRA_METHODS.iter().any(|(r, _)| std::ptr::eq(r, rule))
            || op.args.iter().any(|a| a.var().is_some_and(algebra))
    }

    /// Whether an operation on tensors takes its rules from `rules::tensor` (which read every
    /// operand and sum broadcast adjoints back to each operand's shape).
    pub fn tensor(&self, op: &Op, rule: &Rule) -> bool {
        crate::rules::TENSOR_METHODS.iter().any(|r| std::ptr::eq(r, rule))
            || op.args.iter().any(|a| a.var().is_some_and(|v| self.f.var(v).kind == Kind::Tensor))
    }

    /// An operand's value for a rule's argument: `&v` operands pass `v` itself.
    pub fn value(&self, o: &Operand) -> TokenStream {
        match o {
            Operand::Ref(v) => {
                let id = self.id(*v);
                quote!(#id)
            }
            o => self.operand(o),
        }
    }

    /// The values the reverse-mode rule for operand `k` of `op` reads.
    pub fn rule_reads(&self, op: &Op, rule: &Rule, k: usize) -> Vec<Operand> {
        if self.algebra(op, rule) || self.tensor(op, rule) {
            let mut all = op.args.clone();
            all.push(Operand::Var(op.out));
            return all;
        }
        let mut out: Vec<Operand> = op
            .args
            .iter()
            .enumerate()
            .filter(|(j, _)| rule.reads(k, *j as u8))
            .map(|(_, o)| o.clone())
            .collect();
        if rule.reads(k, crate::rules::Y) {
            out.push(Operand::Var(op.out));
        }
        out
    }

    /// A branch around its arms' code: `if cond { arm0 } else { arm1 }` or
    /// `match scrutinee { pat => arm, .. }`.
    pub fn branch(&self, br: &crate::ir::Branch, arms: &[TokenStream]) -> TokenStream {
        match &br.head {
            crate::ir::Head::If(cond) => {
                let (then, els) = (&arms[0], &arms[1]);
                quote!(if #cond #then else #els)
            }
            crate::ir::Head::Match(scrutinee) => {
                let pats = br.arms.iter().map(|a| &a.pat);
                quote!(match #scrutinee { #(#pats => #arms)* })
            }
        }
    }

    /// One iteration of a loop inside its head: `start` runs first (binding the iteration's
    /// start values), then a `while` condition, then `rest`, then the exit test of `break`.
    pub fn loop_head(&self, lp: &Loop, start: TokenStream, rest: TokenStream) -> TokenStream {
        let views = self.view_decls(lp, true, false);
        let exit = match (lp.exits, lp.body.yields.last()) {
            (true, Some(go)) => {
                let go = self.operand(go);
                quote!(if !#go { break; })
            }
            _ => TokenStream::new(),
        };
        match &lp.head {
            LoopHead::Range { pat, iter } | LoopHead::Iter { pat, iter } => {
                quote!(#views for #pat in #iter { #start #rest #exit })
            }
            LoopHead::While(cond) => quote!(loop { #start if !(#cond) { break; } #rest #exit }),
            LoopHead::Loop => quote!(loop { #start #rest #exit }),
        }
    }

    /// An inactive value's expression as written, or its view's element (`x[a + c]` ->
    /// `__view3_0[c]`, see [`super::views`]).
    pub fn inactive(&self, v: Var, expr: &syn::Expr) -> TokenStream {
        match self.views.reads.get(&v) {
            Some((view, _, c)) => quote!(#view[#c]),
            None => quote!(#expr),
        }
    }

    /// The views to take before a loop (see [`super::views`]): of the sequences it reads
    /// (`primal`), of the adjoint buffers its adjoint adds into (`bars`).
    pub fn view_decls(&self, lp: &Loop, primal: bool, bars: bool) -> TokenStream {
        let rt = &self.rt;
        let mut out = TokenStream::new();
        for v in self.views.loops.get(&lp.id).into_iter().flatten() {
            // The start as the first iteration computes it: not at all when there is none.
            let len = &v.len;
            let start = &v.start;
            let start = quote!(if #len > 0 { #start } else { 0 });
            if primal {
                let (name, seq) = (&v.name, self.id(v.seq));
                out.extend(quote!(let #name = #rt::view(&#seq, #start, #len);));
            }
            if let (true, Some(name)) = (bars, &v.bar) {
                let bar = self.bar(v.seq);
                out.extend(quote!(let #name = #rt::view_mut(&mut *#bar, #start, #len);));
            }
        }
        out
    }

    /// `let phi = out.clone();` for each carried variable: the iteration's start values.
    ///
    /// A `for` loop moves them instead (every iteration assigns them again at its end, and
    /// nothing leaves the loop in between): no copy, and for floats nothing that keeps the
    /// variable in memory across the iteration.
    pub fn loop_starts(&self, lp: &Loop, tangents: bool) -> TokenStream {
        let rt = &self.rt;
        let moves = matches!(lp.head, LoopHead::Range { .. } | LoopHead::Iter { .. });
        let take = |o: &Ident| if moves { quote!(#o) } else { quote!(#rt::Clone::clone(&#o)) };
        let mut out = TokenStream::new();
        for c in &lp.carried {
            let (phi, o) = (self.id(c.phi), take(self.id(c.out)));
            out.extend(quote!(let #phi = #o;));
            if tangents && self.f.var(c.out).varied {
                let (pd, od) = (self.dot(c.phi), take(&self.dot(c.out)));
                out.extend(quote!(let #pd = #od;));
            }
        }
        out
    }

    /// Whether the callee of a call takes a tangent/adjoint for this argument: it does for
    /// every float parameter.
    pub fn has_slot(&self, o: &Operand) -> bool {
        match o {
            Operand::Var(v) | Operand::Ref(v) => {
                let info = self.f.var(*v);
                info.varied
                    || matches!(
                        info.kind,
                        Kind::Float | Kind::Seq(_) | Kind::Algebra | Kind::Tensor
                    )
            }
            Operand::Const(e) => Kind::of_const(e) == Kind::Float,
        }
    }

    /// The companion of a called function or method: `g` -> `g_jvp`, `self.g` -> `self.g_vjp`.
    /// Returns the callee expression and the remaining (non-receiver) arguments.
    pub fn companion(&self, op: &Op, suffix: &str) -> (TokenStream, Vec<Operand>) {
        let form = match &op.form {
            Form::Tangent(inner, _) => inner,
            form => form,
        };
        match form {
            Form::Path(p) => {
                let mut p = p.clone();
                if let Some(last) = p.path.segments.last_mut() {
                    last.ident =
                        format_ident!("{}_{}", last.ident, suffix, span = last.ident.span());
                }
                (quote!(#p), op.args.clone())
            }
            Form::Method(m) => {
                let recv = self.operand(&op.args[0]);
                let name = format_ident!("{}_{}", m, suffix, span = m.span());
                (quote_spanned!(op.span=> #recv.#name), op.args[1..].to_vec())
            }
            // Operators and casts are rules, never calls.
            _ => (quote!(compile_error!("internal error: a call of an operator")), Vec::new()),
        }
    }
}

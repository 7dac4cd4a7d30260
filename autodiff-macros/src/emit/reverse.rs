//! Reverse mode. Input: the IR. Output: the body of `f_vjp`: a forward sweep (the primal,
//! keeping what the adjoint sweep needs) and then the adjoint sweep, the nodes in reverse
//! order, each adding its contributions into its operands' adjoints:
//!
//! ```text
//! t1 = mul(c, t0)      forward: let t1 = c * t0;
//!                      reverse: accumulate(c_bar, rules::mul_vjp_0(&(), &t0, &(), &t1_bar));
//!                               let mut t0_bar = rules::mul_vjp_1(&c, &(), &(), &t1_bar);
//! ```
//!
//! What is kept: adjoints are declared at their first contribution (a value's last use), so a
//! value nobody differentiates gets no code. Rules read only what their formula needs (`&()`
//! for the rest). Values computed inside a branch arm leave scope with the arm: the arm hands
//! the ones its adjoint reads to the adjoint sweep in an `Option` (one per arm, `Some` for the
//! arm taken). A loop's adjoint runs its iterations backwards (a range with `.rev()`, anything
//! else by popping a tape) and *recomputes* each iteration's cheap values from the values
//! carried into it: only carried values the adjoint needs, the items of non-range iterators and
//! the results of nested loops go on the loop's tape, one entry per iteration. Nested loops are
//! not recomputed: they push their own tapes during the forward sweep, in exactly the order
//! their adjoints pop them. Each tape is a `Vec` declared once per call, reserved to the trip
//! count when it is known.

use super::context::Ctx;
use crate::analyse::frozen_buffers;
use crate::ir::{
    Block, Branch, Loop, LoopHead, Node, Operand, Prim, Var, branch_inner, defined_within,
    definitions, loop_inner, read_within, reads,
};
use crate::kind::Kind;
use crate::syntax::{observes, pattern_names, pattern_observes};
use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote};
use std::collections::{BTreeSet, HashMap, HashSet};

/// The body of `f_vjp`: the seed's identifier is `seed`, parameter adjoints are `&mut` buffers
/// named by [`Ctx::bar`].
pub fn body(cx: &Ctx<'_>) -> TokenStream {
    let mut rev = Reverse {
        cx,
        declared: HashSet::new(),
        reads: vec![BTreeSet::new()],
        saves: HashMap::new(),
        tapes: HashMap::new(),
        parts: 0,
        frozen: frozen_buffers(cx.f),
        slices: crate::analyse::slices_read_once(cx.f),
        depth: 0,
        marked: BTreeSet::new(),
    };
    let seed = Ident::new("seed", Span::mixed_site());
    let rt = &cx.rt;
    let fusable =
        !cx.f.vars.iter().enumerate().any(|(i, info)| info.buffer && cx.active.contains(&Var(i)));
    let code = match fusable.then(|| rev.fused(&cx.f.body, &seed)).flatten() {
        Some(code) => code,
        None => {
            let adjoint = rev.block(&cx.f.body, &[Some(quote!(#seed))]);
            let forward = rev.forward(&cx.f.body, true);
            quote!(#forward #adjoint)
        }
    };
    let mut tapes: Vec<usize> =
        rev.tapes.iter().filter(|(_, t)| t.is_some()).map(|(id, _)| *id).collect();
    tapes.sort();
    let tapes = tapes.into_iter().map(|id| {
        let t = tape(id);
        quote!(let mut #t = #rt::Vec::new();)
    });
    let marks = rev.marked.iter().map(|id| {
        let m = marks(*id);
        quote!(let mut #m: #rt::Vec<usize> = #rt::Vec::new();)
    });
    let result = cx.operand(cx.f.result());
    quote! { #(#tapes)* #(#marks)* #code #result }
}

fn tape(id: usize) -> Ident {
    format_ident!("__tape{}", id, span = Span::mixed_site())
}

/// Where a nested loop of data-dependent length keeps its tape's length at each start.
fn marks(id: usize) -> Ident {
    format_ident!("__marks{}", id, span = Span::mixed_site())
}

fn slot(br: &Branch, arm: usize) -> Ident {
    format_ident!("__branch{}_{}", br.id, arm, span = Span::mixed_site())
}

fn carry(lp: &Loop, j: usize) -> Ident {
    format_ident!("__carry{}_{}", lp.id, j, span = Span::mixed_site())
}

struct Reverse<'c, 'a> {
    cx: &'c Ctx<'a>,
    /// Values whose adjoint is declared and in scope.
    declared: HashSet<Var>,
    /// The primal values the adjoint code reads, one set per nested arm or iteration.
    reads: Vec<BTreeSet<Var>>,
    /// For each (branch, arm): what the arm hands to the adjoint sweep.
    saves: HashMap<(usize, usize), Vec<Ident>>,
    /// For each loop with adjoint code: what goes on its tape per iteration (`None`: no tape,
    /// the loop is a range walked backwards).
    tapes: HashMap<usize, Option<Vec<Ident>>>,
    /// A counter for the names of callee adjoint buffers.
    parts: usize,
    /// Sub-slices read once, with their operands (see [`crate::analyse::slices_read_once`]).
    slices: HashMap<Var, Vec<Operand>>,
    /// Buffers never written after they are read: their reads are recomputed, not recorded.
    frozen: HashSet<Var>,
    /// How many loops enclose the adjoint code being written.
    depth: usize,
    /// Loops popped until a mark (see [`Reverse::lp`]): nested loops of data-dependent length.
    marked: BTreeSet<usize>,
}

impl Reverse<'_, '_> {
    fn read(&mut self, o: &Operand) {
        if let (Some(v), Some(reads)) = (o.var(), self.reads.last_mut()) {
            reads.insert(v);
        }
    }

    /// Adds `contribution` into the adjoint of `o` (declaring it at the first contribution).
    fn contribute(&mut self, o: &Operand, contribution: TokenStream) -> TokenStream {
        let Some(v) = &o.var() else { return TokenStream::new() };
        if !self.cx.active.contains(v) {
            return TokenStream::new();
        }
        let (rt, bar) = (&self.cx.rt, self.cx.bar(*v));
        if self.cx.f.var(*v).param.is_some() {
            // A tensor parameter's buffer may be a caller's discard buffer: skip the work.
            if self.cx.f.var(*v).kind == Kind::Tensor {
                quote!(if #rt::wanted(&*#bar) { #rt::accumulate(#bar, #contribution); })
            } else {
                quote!(#rt::accumulate(#bar, #contribution);)
            }
        } else if self.declared.contains(v) {
            quote!(#rt::accumulate(&mut #bar, #contribution);)
        } else {
            self.declared.insert(*v);
            quote!(let mut #bar = #contribution;)
        }
    }

    /// The adjoint code of a block whose yields receive the given adjoints.
    fn block(&mut self, block: &Block, yield_adjoints: &[Option<TokenStream>]) -> TokenStream {
        let cx = self.cx;
        let rt = &cx.rt;
        // A buffer written in place has one adjoint for the block that declares it (the
        // function, or one run of a loop body or an arm), as long as the buffer it starts from.
        let mut out = TokenStream::new();
        let buffers = block.nodes.iter().flat_map(definitions);
        for v in buffers.filter(|v| cx.f.var(*v).buffer && cx.active.contains(v)) {
            let (bar, id) = (cx.bar(v), cx.id(v));
            match cx.f.var(v).length {
                // pushed into: as long as it is at the block's end
                Some(len) => {
                    let n = cx.id(len);
                    out.extend(quote!(let mut #bar = #rt::adjoint_of_length(&#id, #n);));
                    self.read(&Operand::Var(len));
                }
                None => out.extend(quote!(let mut #bar = #rt::zero_adjoint(&#id);)),
            }
            self.read(&Operand::Var(v));
            self.declared.insert(v);
        }
        for (y, adj) in block.yields.iter().zip(yield_adjoints) {
            if let Some(adj) = adj {
                out.extend(self.contribute(y, adj.clone()));
            }
        }
        for node in block.nodes.iter().rev() {
            let code = self.node(node);
            out.extend(code);
        }
        out
    }

    fn node(&mut self, node: &Node) -> TokenStream {
        let cx = self.cx;
        let rt = &cx.rt;
        match node {
            Node::Opaque { .. } => TokenStream::new(),
            Node::Store(st) => {
                use crate::ir::StoreOp;
                if !cx.active.contains(&st.buffer) {
                    return TokenStream::new();
                }
                self.read(&st.index);
                let (bar, i) = (cx.bar(st.buffer), cx.operand(&st.index));
                let element = quote!(#rt::Clone::clone(&#bar[#i]));
                let mut out = match st.op {
                    StoreOp::Sub => {
                        self.contribute(&st.value, quote!(#rt::rules::neg_vjp(&(), &(), &#bar[#i])))
                    }
                    _ => self.contribute(&st.value, element),
                };
                if st.op == StoreOp::Set {
                    out.extend(quote!(#bar[#i] = #rt::zero_adjoint(&#bar[#i]);));
                }
                out
            }
            Node::Op(op) if !cx.active.contains(&op.out) || !self.declared.contains(&op.out) => {
                TokenStream::new()
            }
            Node::Op(op) => {
                let g = cx.bar(op.out);
                let mut out = TokenStream::new();
                match op.prim {
                    Prim::Rule(rule)
                        if cx.square(op, rule).is_some_and(|v| cx.active.contains(&v)) =>
                    {
                        let x = &op.args[0];
                        self.read(x);
                        let value = cx.value(x);
                        let c = quote!(#rt::rules::square_vjp(&#value, &#g));
                        out.extend(self.contribute(x, c));
                    }
                    Prim::Rule(rule) => {
                        for (k, a) in op.args.iter().enumerate() {
                            if rule.diff[k] && cx.is_active(a) {
                                cx.rule_reads(op, rule, k).iter().for_each(|r| self.read(r));
                                let c = cx.rule_call(op, rule, "vjp", k, &g);
                                out.extend(self.contribute(a, c));
                            }
                        }
                    }
                    // An element, a sub-slice or a field: its adjoint adds into the same place
                    // of the whole's adjoint, which is declared (zeros) at the first such read.
                    Prim::Index | Prim::Slice | Prim::Field => {
                        if let Some(whole) = op.args[0].var().filter(|v| cx.active.contains(v)) {
                            let bar = cx.bar(whole);
                            op.args[1..].iter().for_each(|a| self.read(a));
                            let place = match (op.prim, cx.views.reads.get(&op.out)) {
                                (Prim::Field, _) => cx.place(op, &quote!(#bar)),
                                (Prim::Slice, _) => {
                                    let (start, end) =
                                        (cx.operand(&op.args[1]), cx.operand(&op.args[2]));
                                    quote!(#bar[#start..#end])
                                }
                                (_, Some((_, Some(view), c))) => quote!(#view[#c]),
                                _ => {
                                    let i = cx.operand(&op.args[1]);
                                    quote!(#bar[#i])
                                }
                            };
                            if cx.f.var(whole).param.is_none() && !self.declared.contains(&whole) {
                                let id = cx.id(whole);
                                self.read(&op.args[0]);
                                self.declared.insert(whole);
                                out.extend(quote!(let mut #bar = #rt::zero_adjoint(&#id);));
                            }
                            let add = quote!(#rt::accumulate(&mut #place, #rt::Clone::clone(&#g)););
                            out.extend(match op.prim {
                                Prim::Field => {
                                    self.read(&op.args[0]);
                                    let skipped = cx.skipped(op);
                                    quote!(if !#skipped { #add })
                                }
                                _ => add,
                            });
                        }
                    }
                    Prim::Store => {
                        let i = cx.operand(&op.args[1]);
                        if cx.is_active(&op.args[2]) {
                            self.read(&op.args[1]);
                            out.extend(
                                self.contribute(&op.args[2], quote!(#rt::Clone::clone(&#g[#i]))),
                            );
                        }
                        if cx.is_active(&op.args[0]) {
                            self.read(&op.args[1]);
                            let d = proc_macro2::Ident::new(
                                "__autodiff_sum",
                                proc_macro2::Span::mixed_site(),
                            );
                            let rest = quote!({ let mut #d = #rt::Clone::clone(&#g); #d[#i] = #rt::zero_adjoint(&#d[#i]); #d });
                            out.extend(self.contribute(&op.args[0], rest));
                        }
                    }
                    Prim::Build => {
                        for (k, a) in op.args.iter().enumerate() {
                            let k = syn::Index::from(k);
                            out.extend(self.contribute(a, quote!(#rt::Clone::clone(&#g[#k]))));
                        }
                    }
                    Prim::Call => {
                        op.args.iter().for_each(|a| self.read(a));
                        let (callee, args) = cx.companion(op, "vjp");
                        let mut buffers = Vec::new();
                        let mut slots = Vec::new();
                        let slotted: Vec<&Operand> =
                            args.iter().filter(|a| cx.has_slot(a)).collect();
                        for a in slotted.iter().copied() {
                            // An argument whose adjoint is a buffer already (a parameter's, or a
                            // local's already declared), passed once: the callee ADDS into it
                            // directly (no zeroed copy to add afterwards).
                            let once =
                                |v: Var| slotted.iter().filter(|b| b.var() == Some(v)).count() == 1;
                            if let Some(v) = a.var().filter(|v| {
                                cx.active.contains(v)
                                    && (cx.f.var(*v).param.is_some() || self.declared.contains(v))
                                    && once(*v)
                            }) {
                                let bar = cx.bar(v);
                                buffers.push(if cx.f.var(v).param.is_some() {
                                    quote!(&mut *#bar)
                                } else {
                                    quote!(&mut #bar)
                                });
                                continue;
                            }
                            // A sub-slice passed on and read nowhere else: the callee adds
                            // straight into that range of the whole's adjoint (one mutable
                            // borrow of the whole's adjoint per call, so not when the call is
                            // also passed the whole or another sub-slice of it).
                            let whole_of = |v: Var| self.slices.get(&v).and_then(|s| s[0].var());
                            let alone = |w: Var| {
                                slotted.iter().filter_map(|b| b.var()).all(|b| b != w)
                                    && slotted
                                        .iter()
                                        .filter(|b| b.var().and_then(whole_of) == Some(w))
                                        .count()
                                        == 1
                            };
                            if let Some(args) = a
                                .var()
                                .filter(|v| once(*v))
                                .and_then(|v| self.slices.get(&v))
                                .cloned()
                                && let Some(whole) = args[0].var().filter(|w| {
                                    cx.active.contains(w)
                                        && (cx.f.var(*w).param.is_some()
                                            || self.declared.contains(w))
                                        && alone(*w)
                                })
                            {
                                self.read(&args[1]);
                                self.read(&args[2]);
                                let (bar, start, end) =
                                    (cx.bar(whole), cx.operand(&args[1]), cx.operand(&args[2]));
                                buffers.push(quote!(&mut #bar[#start..#end]));
                                continue;
                            }
                            let p =
                                format_ident!("__part{}", self.parts, span = Span::mixed_site());
                            self.parts += 1;
                            let x = cx.operand(a);
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
                        let values = args.iter().map(|a| cx.argument(a));
                        out.extend(
                            quote!(#callee(#(#values,)* #rt::Clone::clone(&#g), #(#buffers),*);),
                        );
                        for (a, p) in slots {
                            out.extend(self.contribute(&a, quote!(#p)));
                        }
                    }
                }
                out
            }
            Node::Branch(br) => self.branch(br),
            Node::Loop(lp) => self.lp(lp),
        }
    }

    /// Declares, before nested code, the adjoints of values from outside it (not in `inner`)
    /// that it reads and so may add into: they must outlive the arm or iteration.
    fn predeclare(&mut self, inner: &HashSet<Var>, read: HashSet<Var>) -> TokenStream {
        let cx = self.cx;
        let rt = &cx.rt;
        let mut outer: Vec<Var> = read
            .into_iter()
            .filter(|v| {
                !inner.contains(v)
                    && cx.active.contains(v)
                    && cx.f.var(*v).param.is_none()
                    && !self.declared.contains(v)
            })
            .collect();
        outer.sort();
        let mut out = TokenStream::new();
        for v in outer {
            let (bar, id) = (cx.bar(v), cx.id(v));
            out.extend(quote!(let mut #bar = #rt::zero_adjoint(&#id);));
            self.read(&Operand::Var(v));
            self.declared.insert(v);
        }
        out
    }

    /// `if let Some(saved) = slot_0 { adjoint of arm 0 } else if let ...`
    fn branch(&mut self, br: &Branch) -> TokenStream {
        if !self.branch_has_adjoint(br) {
            return TokenStream::new();
        }
        let cx = self.cx;
        let rt = &cx.rt;
        let adjoints: Vec<Option<TokenStream>> = br
            .outs
            .iter()
            .map(|o| {
                let bar = cx.bar(*o);
                (cx.active.contains(o) && self.declared.contains(o))
                    .then(|| quote!(#rt::Clone::clone(&#bar)))
            })
            .collect();
        let mut read = HashSet::new();
        br.arms.iter().for_each(|a| read_within(&a.body, &mut read));
        let mut out = self.predeclare(&branch_inner(br), read);
        let mut arms = Vec::new();
        for (k, arm) in br.arms.iter().enumerate() {
            let declared = self.declared.clone();
            self.reads.push(BTreeSet::new());
            let code = self.block(&arm.body, &adjoints);
            let reads = self.reads.pop().unwrap_or_default();
            self.declared = declared;
            // What the arm defines and its adjoint code reads is handed over; the rest is
            // read from the enclosing scope.
            // (A `match` arm's pattern bindings too: `Some(&j) => .. x[j] ..`.)
            let here: HashSet<Var> = arm.body.nodes.iter().flat_map(definitions).collect();
            let bound = arm.pat.as_ref().map(pattern_names).unwrap_or_default();
            let mut saved: Vec<Ident> = Vec::new();
            for v in reads {
                if here.contains(&v) || bound.contains(&cx.id(v).to_string()) {
                    saved.push(cx.id(v).clone());
                } else {
                    self.read(&Operand::Var(v));
                }
            }
            for node in &arm.body.nodes {
                if let Node::Branch(inner) = node
                    && self.branch_has_adjoint(inner)
                {
                    (0..inner.arms.len()).for_each(|j| saved.push(slot(inner, j)));
                }
            }
            let s = slot(br, k);
            arms.push(quote!(if let #rt::Some((#(#saved,)*)) = #s { #code }));
            self.saves.insert((br.id, k), saved);
        }
        out.extend(quote!(#(#arms)else*));
        out
    }

    fn branch_has_adjoint(&self, br: &Branch) -> bool {
        branch_inner(br).iter().any(|v| self.cx.active.contains(v))
            || br.arms.iter().any(|a| self.writes_active_buffer(&a.body))
    }

    /// Whether code writes into a buffer with an adjoint: its adjoint moves or clears the
    /// elements' adjoints even when it defines no active value (`b[k] = x`, `b[k] = 0.0`).
    fn writes_active_buffer(&self, b: &Block) -> bool {
        b.nodes.iter().any(|n| match n {
            Node::Store(st) => self.cx.active.contains(&st.buffer),
            Node::Branch(br) => br.arms.iter().any(|a| self.writes_active_buffer(&a.body)),
            Node::Loop(lp) => self.writes_active_buffer(&lp.body),
            Node::Op(_) | Node::Opaque { .. } => false,
        })
    }

    /// Whether the forward sweep records a node wherever it runs, rather than its enclosing
    /// loop's adjoint running it again: loops, writes into buffers and reads from them (a buffer
    /// read again later may hold something else), expressions that could observe being run
    /// twice (`rng.normal()`, see [`observes`]), and branches holding any of those or choosing
    /// their arm by such an expression.
    fn recorded(&self, node: &Node) -> bool {
        let changing = |v: &Var| self.changing(*v);
        let buffer_read = |op: &crate::ir::Op| {
            matches!(op.prim, Prim::Index) && op.args[0].var().is_some_and(|v| changing(&v))
        };
        match node {
            Node::Loop(_) | Node::Store(_) => true,
            Node::Op(op) => buffer_read(op),
            Node::Opaque { uses, expr, .. } => uses.iter().any(changing) || observes(expr),
            Node::Branch(br) => {
                br.uses.iter().any(changing)
                    || head_observes(br)
                    || br.arms.iter().any(|a| a.body.nodes.iter().any(|n| self.recorded(n)))
            }
        }
    }

    /// Whether a value may hold something else when read again: a buffer written again after
    /// it is first read (not frozen), or inactive state that code kept as written changes in
    /// place (`rng` of `rng.normal()`).
    fn changing(&self, v: Var) -> bool {
        (self.cx.f.var(v).buffer && !self.frozen.contains(&v)) || self.cx.changed.contains(&v)
    }

    fn loop_has_adjoint(&self, lp: &Loop) -> bool {
        loop_inner(lp).iter().any(|v| self.cx.active.contains(v))
            || self.writes_active_buffer(&lp.body)
    }

    /// The adjoint of a loop: iterations backwards, each recomputing what its adjoint reads
    /// from the values carried into it, then running the body's adjoint.
    fn lp(&mut self, lp: &Loop) -> TokenStream {
        if !self.loop_has_adjoint(lp) {
            return TokenStream::new();
        }
        let cx = self.cx;
        let rt = &cx.rt;
        let (mut out, carries) = self.loop_prologue(lp);
        let (iteration, reads) = self.loop_iteration(lp, &carries);

        // Recompute what the adjoint reads; keep on the tape what cannot be recomputed.
        let (recompute, needed, recorded_values) = self.recompute(&lp.body, reads);
        // A range walked backwards evaluates its head again in the adjoint sweep: not when the
        // head reads a buffer that changes later (`0..row.len()` before more pushes, or a
        // loop-local buffer, which the adjoint has as declared); such a loop tapes its index.
        let backwards = matches!(&lp.head, LoopHead::Range { iter, .. } if !observes(iter))
            && !lp.exits
            && !lp.uses.iter().any(|v| self.changing(*v));
        let phis: HashSet<Var> = lp.carried.iter().map(|c| c.phi).collect();
        let mut taped: Vec<Var> = needed
            .iter()
            .copied()
            .filter(|v| phis.contains(v) || (!backwards && lp.bound.contains(v)))
            .collect();
        taped.sort();
        for v in &needed {
            if !phis.contains(v) && !lp.bound.contains(v) {
                self.read(&Operand::Var(*v));
            }
        }
        // A loop that only accumulates, and would tape nothing but values it carries without
        // differentiating them (`power *= t`), replays forwards instead: each iteration runs its
        // primal again, then its adjoint (the carried adjoint never changes). No tape.
        let replay = backwards
            && !taped.is_empty()
            && recorded_values.is_empty()
            && taped.iter().all(|v| !cx.active.contains(v))
            && self.only_accumulates(lp)
            && lp.body.nodes.iter().all(|n| !self.recorded(n));
        if replay {
            out.extend(self.replay(lp, iteration));
            out.extend(self.loop_epilogue(lp, &carries));
            return out;
        }
        let mut taped: Vec<Ident> = taped.iter().map(|v| cx.id(*v).clone()).collect();
        taped.extend(recorded_values);
        let t = tape(lp.id);
        let code = match &lp.head {
            LoopHead::Range { pat, iter } if backwards => {
                lp.uses.iter().for_each(|v| self.read(&Operand::Var(*v)));
                let views = self.view_decls(lp);
                if taped.is_empty() {
                    self.tapes.insert(lp.id, None);
                    quote!(#views for #pat in (#iter).rev() { #recompute #iteration })
                } else {
                    let pop = quote!(let #rt::Some((#(#taped,)*)) = #t.pop() else { break; };);
                    self.tapes.insert(lp.id, Some(taped));
                    quote!(#views for #pat in (#iter).rev() { #pop #recompute #iteration })
                }
            }
            _ => {
                let mut fields = taped.clone();
                if !backwards {
                    for v in &lp.bound {
                        if needed.contains(v) && !fields.contains(cx.id(*v)) {
                            fields.push(cx.id(*v).clone());
                        }
                    }
                }
                self.tapes.insert(lp.id, Some(fields.clone()));
                if self.depth == 0 {
                    quote!(while let #rt::Some((#(#fields,)*)) = #t.pop() { #recompute #iteration })
                } else {
                    // Inside another loop the tape holds the entries of every run of this one:
                    // each adjoint pops back to the length the tape had when its run started.
                    self.marked.insert(lp.id);
                    let m = marks(lp.id);
                    quote! {
                        let __mark = #m.pop().unwrap_or(0);
                        while #t.len() > __mark {
                            let #rt::Some((#(#fields,)*)) = #t.pop() else { break; };
                            #recompute #iteration
                        }
                    }
                }
            }
        };
        out.extend(code);
        out.extend(self.loop_epilogue(lp, &carries));
        out
    }

    /// The views taken before a loop's adjoint (of sequences and adjoint buffers), with the
    /// values they read marked as read.
    fn view_decls(&mut self, lp: &Loop) -> TokenStream {
        for v in self.cx.views.loops.get(&lp.id).into_iter().flatten() {
            v.uses.iter().for_each(|u| self.read(&Operand::Var(*u)));
            self.read(&Operand::Var(v.seq));
        }
        self.cx.view_decls(lp, true, true)
    }

    /// A loop's adjoint as a second forward pass (see [`Reverse::lp`]): the carried values start
    /// again from the loop's start values, and each iteration's primal precedes its `adjoint`.
    fn replay(&mut self, lp: &Loop, adjoint: TokenStream) -> TokenStream {
        let cx = self.cx;
        let LoopHead::Range { pat, iter } = &lp.head else { return TokenStream::new() };
        let mut outer = HashSet::new();
        read_within(&lp.body, &mut outer);
        let mut inner = HashSet::new();
        defined_within(&lp.body, &mut inner);
        inner.extend(lp.carried.iter().map(|c| c.phi));
        inner.extend(lp.bound.iter().copied());
        let mut outer: Vec<Var> = outer.difference(&inner).copied().collect();
        outer.extend(lp.uses.iter().copied());
        outer.extend(lp.carried.iter().filter_map(|c| c.init.var()));
        outer.iter().for_each(|v| self.read(&Operand::Var(*v)));
        self.tapes.insert(lp.id, None);
        let mut starts = TokenStream::new();
        let mut updates = TokenStream::new();
        for (c, y) in lp.carried.iter().zip(&lp.body.yields) {
            let (o, init, v) = (cx.id(c.out), cx.owned(&c.init), cx.operand(y));
            starts.extend(quote!(let mut #o = #init;));
            updates.extend(quote!(#o = #v;));
        }
        let phis = cx.loop_starts(lp, false);
        let primal = self.forward(&lp.body, true);
        let views = self.view_decls(lp);
        quote!({ #starts #views for #pat in #iter { #phis #primal #adjoint #updates } })
    }

    /// Before a loop's adjoint: the adjoints carried from one iteration back to the previous
    /// one (starting from the loop results' adjoints), and the adjoints of outer values the
    /// body adds into.
    fn loop_prologue(&mut self, lp: &Loop) -> (TokenStream, Vec<Option<Ident>>) {
        let cx = self.cx;
        let rt = &cx.rt;
        let mut out = TokenStream::new();
        let carries: Vec<Option<Ident>> = lp
            .carried
            .iter()
            .enumerate()
            .map(|(j, c)| {
                (cx.active.contains(&c.out) || cx.active.contains(&c.phi)).then(|| carry(lp, j))
            })
            .collect();
        for (c, k) in lp.carried.iter().zip(&carries) {
            let Some(k) = k else { continue };
            if cx.active.contains(&c.out) && self.declared.contains(&c.out) {
                let bar = cx.bar(c.out);
                out.extend(quote!(let mut #k = #rt::Clone::clone(&#bar);));
            } else {
                let o = cx.id(c.out);
                self.read(&Operand::Var(c.out));
                out.extend(quote!(let mut #k = #rt::zero_adjoint(&#o);));
            }
        }
        let mut body_reads = HashSet::new();
        read_within(&lp.body, &mut body_reads);
        out.extend(self.predeclare(&loop_inner(lp), body_reads));
        (out, carries)
    }

    /// One iteration's adjoint, with the primal values it reads.
    fn loop_iteration(
        &mut self,
        lp: &Loop,
        carries: &[Option<Ident>],
    ) -> (TokenStream, HashSet<Var>) {
        let cx = self.cx;
        let rt = &cx.rt;
        let declared = self.declared.clone();
        self.reads.push(BTreeSet::new());
        self.depth += 1;
        let mut iteration = TokenStream::new();
        for (c, k) in lp.carried.iter().zip(carries) {
            if let (Some(k), true) = (k, cx.active.contains(&c.phi)) {
                let bar = cx.bar(c.phi);
                iteration.extend(quote!(let mut #bar = #rt::zero_adjoint(&#k);));
                self.declared.insert(c.phi);
            }
        }
        let mut adjoints: Vec<Option<TokenStream>> =
            carries.iter().map(|k| k.as_ref().map(|k| quote!(#rt::Clone::clone(&#k)))).collect();
        adjoints.push(None); // the go-on flag
        iteration.extend(self.block(&lp.body, &adjoints));
        for (c, k) in lp.carried.iter().zip(carries) {
            let Some(k) = k else { continue };
            if cx.active.contains(&c.phi) {
                let bar = cx.bar(c.phi);
                iteration.extend(quote!(#k = #bar;));
            } else {
                iteration.extend(quote!(#k = #rt::zero_adjoint(&#k);));
            }
        }
        let reads: HashSet<Var> = self.reads.pop().unwrap_or_default().into_iter().collect();
        self.declared = declared;
        self.depth -= 1;
        (iteration, reads)
    }

    /// After a loop's adjoint: the carried adjoints reach the values the loop started from.
    fn loop_epilogue(&mut self, lp: &Loop, carries: &[Option<Ident>]) -> TokenStream {
        let mut out = TokenStream::new();
        for (c, k) in lp.carried.iter().zip(carries) {
            if let Some(k) = k {
                out.extend(self.contribute(&c.init, quote!(#k)));
            }
        }
        out
    }

    /// The whole body in one pass over its last loop, when that loop only accumulates
    /// (`s += t`: the adjoint carried between iterations never changes) and its results reach
    /// the function's result through operations whose adjoints read only values from before the
    /// loop. Then each iteration's adjoint runs right after its primal, in the forward loop —
    /// no second pass, nothing recomputed — as a hand-written gradient does:
    ///
    /// ```text
    /// before; [adjoint of result <- loop results]; for .. { body; adjoint of body }; after;
    /// [adjoints of the rest of after]; [adjoints into the loop's start values]; adjoint of before
    /// ```
    ///
    /// Of the loops at the top of the body that qualify, the largest is fused.
    fn fused(&mut self, body: &Block, seed: &Ident) -> Option<TokenStream> {
        let mut candidates: Vec<(usize, usize)> = body
            .nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| matches!(n, Node::Loop(_)))
            .map(|(i, n)| (size(n), i))
            .collect();
        candidates.sort_by(|a, b| b.cmp(a));
        let li = candidates.into_iter().map(|(_, i)| i).find(|&i| self.fusable(body, i))?;
        self.fuse(body, li, seed)
    }

    /// Whether every active value a loop carries only accumulates (`s = s + t`, `s = s - t`,
    /// `s` read nowhere else in the body): then the adjoint carried between iterations never
    /// changes, and the iterations' adjoints may run in any order.
    fn only_accumulates(&self, lp: &Loop) -> bool {
        let cx = self.cx;
        lp.carried.iter().enumerate().all(|(j, c)| {
            if !(cx.active.contains(&c.out) || cx.active.contains(&c.phi)) {
                return true;
            }
            let Some(next) = lp.body.yields.get(j).and_then(Operand::var) else { return false };
            let def = lp.body.nodes.iter().find_map(|n| match n {
                Node::Op(op) if op.out == next => Some(op),
                _ => None,
            });
            let Some(def) = def else { return false };
            let is_phi = |o: &Operand| matches!(o, Operand::Var(v) if *v == c.phi);
            let accumulates = match def.prim {
                Prim::Rule(r) if std::ptr::eq(r, &crate::rules::ADD) => {
                    is_phi(&def.args[0]) || is_phi(&def.args[1])
                }
                Prim::Rule(r) if std::ptr::eq(r, &crate::rules::SUB) => is_phi(&def.args[0]),
                _ => false,
            };
            accumulates && count_reads(&lp.body, c.phi) == 1
        })
    }

    /// Whether the loop at `li` can be fused (see [`Reverse::fused`]).
    fn fusable(&self, body: &Block, li: usize) -> bool {
        self.fusion_flow(body, li).is_some()
    }

    /// For a loop that can be fused: which nodes after it its results flow through, and which
    /// run before it instead (see [`hoistable`]).
    fn fusion_flow(&self, body: &Block, li: usize) -> Option<(Vec<bool>, Vec<bool>)> {
        let cx = self.cx;
        let result = body.yields.first()?.var()?;
        let Node::Loop(lp) = &body.nodes[li] else { return None };
        if !matches!(lp.head, LoopHead::Range { .. }) || lp.exits || !self.loop_has_adjoint(lp) {
            return None;
        }
        if !self.only_accumulates(lp) {
            return None;
        }
        // The operations after the loop that its results flow through (closed: whatever reads
        // one of their values is one of them).
        let tail = &body.nodes[li + 1..];
        let mut flow: HashSet<Var> = lp.carried.iter().map(|c| c.out).collect();
        let mut in_flow = vec![false; tail.len()];
        for (t, node) in tail.iter().enumerate() {
            if reads(node).iter().any(|v| flow.contains(v)) {
                let Node::Op(op) = node else { return None };
                let Prim::Rule(_) = op.prim else { return None };
                in_flow[t] = true;
                flow.insert(op.out);
            }
        }
        if !flow.contains(&result) {
            return None;
        }
        let hoisted = hoistable(cx, lp, tail);
        let mut later = loop_inner(lp);
        for (n, _) in tail.iter().zip(&hoisted).filter(|(_, h)| !**h) {
            later.extend(definitions(n));
        }
        for (node, _) in tail.iter().zip(&in_flow).filter(|(_, f)| **f) {
            let Node::Op(op) = node else { return None };
            let Prim::Rule(rule) = op.prim else { return None };
            for (k, a) in op.args.iter().enumerate() {
                let reads_later = cx
                    .rule_reads(op, rule, k)
                    .iter()
                    .any(|r| r.var().is_some_and(|v| later.contains(&v)));
                if rule.diff[k] && cx.is_active(a) && reads_later {
                    return None;
                }
            }
        }

        Some((in_flow, hoisted))
    }

    /// Emits the body with the loop at `li` fused (see [`Reverse::fused`]).
    fn fuse(&mut self, body: &Block, li: usize, seed: &Ident) -> Option<TokenStream> {
        let cx = self.cx;
        let result = body.yields.first()?.var()?;
        let Node::Loop(lp) = &body.nodes[li] else { return None };
        let (in_flow, hoisted) = self.fusion_flow(body, li)?;
        let tail = &body.nodes[li + 1..];
        // Adjoint code, in the order it runs.
        let mut flow_adjoint = self.contribute(&Operand::Var(result), quote!(#seed));
        for (node, _) in tail.iter().zip(&in_flow).rev().filter(|(_, f)| **f) {
            flow_adjoint.extend(self.node(node));
        }
        let (prologue, carries) = self.loop_prologue(lp);
        let (iteration, _) = self.loop_iteration(lp, &carries);
        self.tapes.insert(lp.id, None);
        let mut rest_adjoint = TokenStream::new();
        for (node, _) in tail.iter().zip(&in_flow).rev().filter(|(_, f)| !**f) {
            rest_adjoint.extend(self.node(node));
        }
        let epilogue = self.loop_epilogue(lp, &carries);
        let mut before_adjoint = TokenStream::new();
        for node in body.nodes[..li].iter().rev() {
            before_adjoint.extend(self.node(node));
        }

        // Forward code (what branches hand over is known now).
        let mut before: TokenStream =
            body.nodes[..li].iter().map(|n| self.forward_node(n, true)).collect();
        for (n, _) in tail.iter().zip(&hoisted).filter(|(_, h)| **h) {
            before.extend(self.forward_node(n, true));
        }
        let mut fused_loop = TokenStream::new();
        for c in &lp.carried {
            let (o, init) = (cx.id(c.out), cx.owned(&c.init));
            fused_loop.extend(quote!(let mut #o = #init;));
        }
        let mut rest = self.forward(&lp.body, true);
        rest.extend(iteration);
        for (c, y) in lp.carried.iter().zip(&lp.body.yields) {
            let (o, v) = (cx.id(c.out), cx.operand(y));
            rest.extend(quote!(#o = #v;));
        }
        fused_loop.extend(cx.view_decls(lp, false, true));
        fused_loop.extend(cx.loop_head(lp, cx.loop_starts(lp, false), rest));
        let after: TokenStream = tail
            .iter()
            .zip(&hoisted)
            .filter(|(_, h)| !**h)
            .map(|(n, _)| self.forward_node(n, true))
            .collect();
        Some(
            quote! { #before #flow_adjoint #prologue #fused_loop #after #rest_adjoint #epilogue #before_adjoint },
        )
    }

    /// The forward code (recording) of the nodes of `body` that the adjoint needs: those whose
    /// values it reads, transitively, and branches with adjoints of their own. Nested loops
    /// (and branches holding loops) are not run again: they recorded their tapes in the forward
    /// sweep, in the order their adjoints pop them, and what the adjoint reads of their results
    /// goes on this loop's tape. Returns the code, the values needed from outside the body, and
    /// what of the body must be taped.
    fn recompute(
        &self,
        body: &Block,
        mut needed: HashSet<Var>,
    ) -> (TokenStream, HashSet<Var>, Vec<Ident>) {
        let mut keep = vec![false; body.nodes.len()];
        let mut taped: Vec<Ident> = Vec::new();
        for (i, node) in body.nodes.iter().enumerate().rev() {
            let defs = definitions(node);
            if self.recorded(node) || costly(node) {
                let mut defs: Vec<Var> = defs.into_iter().filter(|v| needed.contains(v)).collect();
                defs.sort();
                taped.extend(defs.iter().map(|v| self.cx.id(*v).clone()));
                needed.retain(|v| !defs.contains(v));
                if let Node::Branch(br) = node
                    && self.branch_has_adjoint(br)
                {
                    taped.extend((0..br.arms.len()).map(|k| slot(br, k)));
                }
                continue;
            }
            let nested = matches!(node, Node::Branch(br) if self.branch_has_adjoint(br));
            if nested || defs.iter().any(|v| needed.contains(v)) {
                keep[i] = true;
                needed.extend(reads(node));
            }
        }
        let mut code = TokenStream::new();
        for (node, keep) in body.nodes.iter().zip(keep) {
            if keep {
                code.extend(self.forward_node(node, true));
            }
        }
        let here: HashSet<Var> = body.nodes.iter().flat_map(definitions).collect();
        (code, needed.into_iter().filter(|v| !here.contains(v)).collect(), taped)
    }

    /// The forward sweep. `record`: branches hand over what their arms' adjoints read and loops
    /// push their tapes; otherwise (inside a loop body, which its adjoint recomputes) plain.
    fn forward(&self, block: &Block, record: bool) -> TokenStream {
        block.nodes.iter().map(|n| self.forward_node(n, record)).collect()
    }

    fn forward_node(&self, node: &Node, record: bool) -> TokenStream {
        let cx = self.cx;
        let rt = &cx.rt;
        match node {
            Node::Opaque { out: v, expr, .. } => {
                let (b, expr) = (cx.binding(*v), cx.inactive(*v, expr));
                quote!(let #b = #expr;)
            }
            Node::Op(op) => {
                let (b, primal) = (cx.binding(op.out), cx.primal(op));
                quote!(let #b = #primal;)
            }
            Node::Store(st) => cx.store(st, None),
            Node::Branch(br) => {
                let keeps =
                    (record || self.recorded(node) || costly(node)) && self.branch_has_adjoint(br);
                let mut pattern: Vec<Ident> = br.outs.iter().map(|v| cx.id(*v).clone()).collect();
                if keeps {
                    pattern.extend((0..br.arms.len()).map(|k| slot(br, k)));
                }
                let arms: Vec<TokenStream> = br
                    .arms
                    .iter()
                    .enumerate()
                    .map(|(k, arm)| {
                        // A kept branch's nested branches hand over their values too.
                        let code = self.forward(&arm.body, record || keeps);
                        // Tensors yielded are copies (handles): the value may be read again.
                        let mut values: Vec<TokenStream> =
                            arm.body.yields.iter().map(|y| cx.owned(y)).collect();
                        // The saved copies are taken before the yielded values move out.
                        let mut keep = TokenStream::new();
                        if keeps {
                            let saved = self.saves.get(&(br.id, k)).cloned().unwrap_or_default();
                            let kept = format_ident!("__keep", span = Span::mixed_site());
                            keep =
                                quote!(let #kept = #rt::Some((#(#rt::Clone::clone(&#saved),)*)););
                            for j in 0..br.arms.len() {
                                values.push(if j == k { quote!(#kept) } else { quote!(#rt::None) });
                            }
                        }
                        quote!({ #code #keep (#(#values),*) })
                    })
                    .collect();
                let branch = cx.branch(br, &arms);
                quote!(let (#(#pattern),*) = #branch;)
            }
            Node::Loop(lp) => {
                let mut out = TokenStream::new();
                for c in &lp.carried {
                    let (o, init) = (cx.id(c.out), cx.owned(&c.init));
                    out.extend(quote!(let mut #o = #init;));
                }
                // A loop records its tape wherever it runs in the forward sweep (its adjoint never
                // runs it again); its body runs plain, since its adjoint recomputes it.
                let taped = self.tapes.get(&lp.id).cloned().flatten();
                let t = tape(lp.id);
                let mut rest = self.forward(&lp.body, false);
                if let Some(fields) = &taped {
                    if self.marked.contains(&lp.id) {
                        let m = marks(lp.id);
                        out.extend(quote!(#m.push(#t.len());));
                    }
                    // The head is evaluated once more for its size hint, unless that could be
                    // observed (`0..rng.count()`).
                    let reserved = match &lp.head {
                        LoopHead::Range { iter, .. } | LoopHead::Iter { iter, .. }
                            if !observes(iter) =>
                        {
                            out.extend(quote!(#t.reserve(#rt::Iterator::size_hint(&(#iter)).0);));
                            matches!(lp.head, LoopHead::Range { .. })
                        }
                        _ => false,
                    };
                    let entry = quote!((#(#rt::Clone::clone(&#fields),)*));
                    // An integer range's size hint is its trip count: the reserve above holds
                    // every push, and a push without a growth path (a call) keeps the loop's
                    // values in registers.
                    rest.extend(if reserved {
                        quote!(#rt::push_reserved(&mut #t, #entry);)
                    } else {
                        quote!(#t.push(#entry);)
                    });
                }
                for (c, y) in lp.carried.iter().zip(&lp.body.yields) {
                    let (o, v) = (cx.id(c.out), cx.operand(y));
                    rest.extend(quote!(#o = #v;));
                }
                out.extend(cx.loop_head(lp, cx.loop_starts(lp, false), rest));
                out
            }
        }
    }
}

/// Whether a branch chooses its arm by an expression that could observe being run twice
/// (`if rng.uniform() < p`, a guard calling a user's function).
fn head_observes(br: &Branch) -> bool {
    let head = match &br.head {
        crate::ir::Head::If(c) | crate::ir::Head::Match(c) => c,
    };
    observes(head) || br.arms.iter().filter_map(|a| a.pat.as_ref()).any(pattern_observes)
}

/// Which of the nodes after a loop may run before it: simple inactive expressions
/// (`x.len() as f64`) reading nothing the loop or the other nodes after it define. A fused
/// loop's adjoint reads them inside the loop (`s / n`: the adjoint of `s` reads `n`).
/// Nothing the loop may change in place counts as unchanged: a buffer, or a value an
/// expression in the loop mentions (`v.extend(..)`, `idx.push(i)`, then `v.len()` after it).
fn hoistable(cx: &Ctx<'_>, lp: &Loop, tail: &[Node]) -> Vec<bool> {
    let mut defined = loop_inner(lp);
    defined.extend(lp.carried.iter().map(|c| c.out));
    touched_within(cx, &lp.body, &mut defined);
    tail.iter()
        .map(|n| {
            let hoist = matches!(n, Node::Opaque { expr, uses, .. }
                if crate::syntax::is_simple(expr)
                    && uses.iter().all(|u| !defined.contains(u) && !cx.f.var(*u).buffer));
            if !hoist {
                defined.extend(definitions(n));
            }
            hoist
        })
        .collect()
}

/// Adds the values that code inside `block` may change in place: what expressions kept as
/// written may change (see [`crate::syntax::changes`]), and the buffers it stores into.
fn touched_within(cx: &Ctx<'_>, block: &Block, out: &mut HashSet<Var>) {
    for node in &block.nodes {
        match node {
            Node::Opaque { expr, uses, .. } => {
                let changed = crate::syntax::changes(expr);
                out.extend(uses.iter().filter(|u| {
                    let name = cx.f.var(**u).ident.to_string();
                    changed.places.contains(&name) || changed.passed.contains(&name)
                }));
            }
            Node::Store(st) => {
                out.insert(st.buffer);
            }
            Node::Branch(br) => br.arms.iter().for_each(|a| touched_within(cx, &a.body, out)),
            Node::Loop(inner) => touched_within(cx, &inner.body, out),
            Node::Op(_) => {}
        }
    }
}

/// Whether recomputing a node costs more than keeping its value on a tape (8 bytes per
/// iteration): transcendental functions and calls, and branches holding one (the branch then
/// hands its arm's values to the adjoint from the forward sweep, through the tape).
fn costly(node: &Node) -> bool {
    const COSTLY: &[&str] = &[
        "exp", "exp2", "exp_m1", "ln", "ln_1p", "log", "log2", "log10", "sin", "cos", "tan",
        "asin", "acos", "atan", "atan2", "sinh", "cosh", "tanh", "asinh", "acosh", "atanh", "powf",
        "cbrt", "hypot",
    ];
    match node {
        Node::Op(op) => match op.prim {
            Prim::Rule(r) => COSTLY.contains(&r.name),
            Prim::Call => true,
            _ => false,
        },
        Node::Branch(br) => br.arms.iter().any(|a| a.body.nodes.iter().any(costly)),
        _ => false,
    }
}

/// How many nodes a node holds, itself included: the measure of a loop's cost.
fn size(node: &Node) -> usize {
    let block = |b: &Block| b.nodes.iter().map(size).sum::<usize>();
    1 + match node {
        Node::Branch(br) => br.arms.iter().map(|a| block(&a.body)).sum(),
        Node::Loop(lp) => block(&lp.body),
        _ => 0,
    }
}

/// How many times `v` is read inside `b` (operands, yields, inactive expressions, heads).
fn count_reads(b: &Block, v: Var) -> usize {
    let ops = |os: &[Operand]| os.iter().filter(|o| o.var() == Some(v)).count();
    let mut n = ops(&b.yields);
    for node in &b.nodes {
        n += match node {
            Node::Op(op) => ops(&op.args),
            Node::Opaque { uses, .. } => uses.iter().filter(|u| **u == v).count(),
            Node::Branch(br) => {
                br.uses.iter().filter(|u| **u == v).count()
                    + br.arms.iter().map(|a| count_reads(&a.body, v)).sum::<usize>()
            }
            Node::Loop(lp) => {
                lp.uses.iter().filter(|u| **u == v).count()
                    + lp.carried.iter().filter(|c| c.init.var() == Some(v)).count()
                    + count_reads(&lp.body, v)
            }
            Node::Store(st) => [Some(st.buffer), st.index.var(), st.value.var()]
                .iter()
                .filter(|u| **u == Some(v))
                .count(),
        };
    }
    n
}

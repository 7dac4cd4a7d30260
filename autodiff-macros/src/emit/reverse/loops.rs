//! The adjoint of a loop: its iterations backwards (a range with `.rev()`, anything else by
//! popping a tape), each recomputing the cheap values its adjoint reads from the values carried
//! into it and taping the rest; or, for a loop that only accumulates, a replay forwards.

use super::branches::head_observes;
use super::plan::Strategy;
use super::sweep::Sweep;
use super::{Reverse, carry, marks, slot, tape};
use crate::ir::{
    Block, Loop, LoopHead, Node, Prim, Var, definitions, loop_inner, read_within, reads,
};
use crate::kind::Kind;
use crate::syntax::observes;
use proc_macro2::{Ident, TokenStream};
use quote::quote;
use std::collections::{BTreeSet, HashSet};

impl Reverse<'_, '_> {
    /// Whether the forward sweep records a node wherever it runs, rather than its enclosing
    /// loop's adjoint running it again: loops, writes into buffers and reads from them (a buffer
    /// read again later may hold something else), expressions that could observe being run
    /// twice (`rng.normal()`, see [`observes`]), calls in split mode, and branches holding any
    /// of those or choosing their arm by such an expression.
    pub(super) fn recorded(&self, node: &Node) -> bool {
        let changing = |v: &Var| self.changing(*v);
        let buffer_read = |op: &crate::ir::Op| {
            matches!(op.prim, Prim::Index) && op.args[0].var().is_some_and(|v| changing(&v))
        };
        match node {
            Node::Loop(_) | Node::Store(_) => true,
            // (a call in split mode runs once: its pullback and value go on the tape; a copy
            // of a buffer for a call is the buffer as the call saw it)
            Node::Op(op) => {
                buffer_read(op) || op.pullback.is_some() || matches!(op.prim, Prim::Copy)
            }
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
    pub(super) fn changing(&self, v: Var) -> bool {
        (self.cx.f.var(v).buffer && !self.frozen.contains(&v)) || self.cx.changed.contains(&v)
    }

    pub(super) fn loop_has_adjoint(&self, lp: &Loop) -> bool {
        loop_inner(lp).iter().any(|v| self.cx.active.contains(v))
            || self.writes_active_buffer(&lp.body)
    }

    /// The adjoint of a loop, as the plan has it ([`Strategy`]): iterations backwards, each
    /// recomputing what its adjoint reads from the values carried into it (popping the rest
    /// from the tape), then running the body's adjoint; or a replay forwards; or each
    /// iteration run again (rerun.rs).
    pub(super) fn lp(&mut self, lp: &Loop) -> TokenStream {
        let Some(planned) = self.plan.loops.get(&lp.id).filter(|_| self.loop_has_adjoint(lp))
        else {
            return TokenStream::new();
        };
        let (strategy, tape_fields, reads) =
            (planned.strategy, planned.tape.clone(), planned.reads.clone());
        let kept: Vec<Var> = planned.kept.iter().map(|(v, _)| *v).collect();
        if strategy == Strategy::Rerun {
            return self.rerun(lp, tape_fields);
        }
        let cx = self.cx;
        let rt = &cx.rt;
        let outer = self.frozen.clone();
        self.frozen.extend(kept.iter().copied());
        let (mut out, carries) = self.loop_prologue(lp);
        let iteration = self.loop_iteration(lp, &carries);
        let recompute = self.recompute(&lp.body, reads);
        self.frozen = outer;
        if strategy == Strategy::Replay {
            out.extend(self.replay(lp, iteration));
            out.extend(self.loop_epilogue(lp, &carries));
            return out;
        }
        let t = tape(lp.id);
        let code = match (&lp.head, strategy, tape_fields) {
            (LoopHead::Range { pat, iter }, Strategy::Backwards, taped) => {
                let views = self.view_decls(lp);
                let mut restore = TokenStream::new();
                for (j, b) in kept.iter().enumerate() {
                    let (b, k) = (cx.id(*b), kept_values(lp.id, j));
                    restore.extend(quote!(#rt::restore(&mut #b, &mut #k);));
                }
                match taped {
                    None if kept.is_empty() => {
                        let adjoint = quote!(for #pat in (#iter).rev() { #recompute #iteration });
                        match self.zero_skip(lp, &carries) {
                            Some(nonzero) => quote!(#views if #nonzero { #adjoint }),
                            None => quote!(#views #adjoint),
                        }
                    }
                    None => {
                        quote!(#views for #pat in (#iter).rev() { #restore #recompute #iteration })
                    }
                    Some(taped) => {
                        let pop = quote!(let #rt::Some((#(#taped,)*)) = #t.pop() else { break; };);
                        quote!(#views for #pat in (#iter).rev() { #pop #restore #recompute #iteration })
                    }
                }
            }
            // Inside another loop the tape holds the entries of every run of this one: each
            // adjoint pops back to the length the tape had when its run started.
            (_, Strategy::Marked, fields) => {
                let (m, fields) = (marks(lp.id), fields.unwrap_or_default());
                quote! {
                    let __mark = #m.pop().unwrap_or(0);
                    while #t.len() > __mark {
                        let #rt::Some((#(#fields,)*)) = #t.pop() else { break; };
                        #recompute #iteration
                    }
                }
            }
            (_, _, fields) => {
                let fields = fields.unwrap_or_default();
                quote!(while let #rt::Some((#(#fields,)*)) = #t.pop() { #recompute #iteration })
            }
        };
        out.extend(code);
        out.extend(self.loop_epilogue(lp, &carries));
        out
    }

    /// The buffers from outside `lp` that its body writes, element by element, and reads, and
    /// never writes after it first read them in an iteration: each read sees what the
    /// iteration left in the buffer, so keeping the contents at the end of each iteration
    /// (and putting them back before its adjoint) replaces taping every read. Only a buffer
    /// each iteration fills whole ([`crate::analyse::fills_whole`]): keeping a large buffer
    /// written at a few places would cost its length per iteration. Not a buffer
    /// the body pushes into, changes by a method or passes to a call, nor one viewed whole
    /// before the loop (the view would hold it while it is put back).
    pub(super) fn keepable(&self, lp: &Loop) -> Vec<Var> {
        let f = self.cx.f;
        let mut local = HashSet::new();
        crate::ir::defined_within(&lp.body, &mut local);
        let (stored, other) = crate::analyse::buffer_writes(f, &lp.body);
        let mut read = HashSet::new();
        crate::ir::buffer_events(f, &lp.body, &mut |e| {
            if let crate::ir::BufferEvent::Read(v) = e {
                read.insert(v);
            }
        });
        let frozen = crate::analyse::frozen_in(f, &lp.body);
        let viewed: HashSet<Var> =
            self.cx.views.loops.get(&lp.id).into_iter().flatten().map(|v| v.seq).collect();
        let mut kept: Vec<Var> = stored
            .into_iter()
            .filter(|b| {
                !local.contains(b)
                    && read.contains(b)
                    && frozen.contains(b)
                    && !viewed.contains(b)
                    && !self.frozen.contains(b)
                    && crate::analyse::fills_whole(f, lp, *b)
            })
            .filter(|b| !other.contains(b))
            .collect();
        kept.sort();
        kept
    }

    /// The condition under which the adjoint of `lp` (walked backwards, no tape) can change
    /// anything: one of the adjoints of its float results is not zero. Everything its adjoint
    /// adds is linear in those when it writes no active buffer, so when they are all zero
    /// (the distances to every centroid but the nearest one, in a `min` over a loop) the
    /// adjoint is skipped. `None` when that does not hold, or when a loop inside keeps a tape
    /// or a buffer's contents (its adjoint must pop what its forward sweep pushed).
    pub(super) fn zero_skip(&self, lp: &Loop, carries: &[Option<Ident>]) -> Option<TokenStream> {
        let cx = self.cx;
        let rt = &cx.rt;
        let ks: Vec<&Ident> = carries.iter().flatten().collect();
        let floats = lp
            .carried
            .iter()
            .zip(carries)
            .all(|(c, k)| k.is_none() || cx.f.var(c.out).kind == Kind::Float);
        if ks.is_empty() || !floats || self.writes_active_buffer(&lp.body) {
            return None;
        }
        let mut inner = Vec::new();
        nested_loops(&lp.body, &mut inner);
        let untaped = inner.iter().all(|id| {
            self.plan.loops.get(id).is_some_and(|l| {
                l.tape.is_none() && l.kept.is_empty() && l.strategy != Strategy::Marked
            })
        });
        untaped.then(|| quote!(!(#(#rt::is_zero(&#ks))&&*)))
    }

    /// The views taken before a loop's adjoint (of sequences and adjoint buffers).
    pub(super) fn view_decls(&self, lp: &Loop) -> TokenStream {
        self.cx.view_decls(lp, true, true)
    }

    /// A loop's adjoint as a second forward pass (see [`Reverse::replays`]): the carried values
    /// start again from the loop's start values, and each iteration's primal precedes its
    /// `adjoint`.
    pub(super) fn replay(&mut self, lp: &Loop, adjoint: TokenStream) -> TokenStream {
        let cx = self.cx;
        let LoopHead::Range { pat, iter } = &lp.head else { return TokenStream::new() };
        let mut starts = TokenStream::new();
        let mut updates = TokenStream::new();
        for (c, y) in lp.carried.iter().zip(&lp.body.yields) {
            let (o, init, v) = (cx.id(c.out), cx.owned(&c.init), cx.operand(y));
            starts.extend(quote!(let mut #o = #init;));
            updates.extend(quote!(#o = #v;));
        }
        let phis = cx.loop_starts(lp, false);
        let kept = lp.body.nodes.iter().filter(|n| !matches!(n, Node::Store(_)));
        let primal: TokenStream = kept.map(|n| self.forward_node(n, Sweep::Record)).collect();
        let views = self.view_decls(lp);
        quote!({ #starts #views for #pat in #iter { #phis #primal #adjoint #updates } })
    }

    /// Whether a loop's adjoint replays it forwards (see [`Reverse::lp`]): a loop walked
    /// backwards that only accumulates, whose tape would hold nothing but values it carries
    /// without differentiating them (`taped`) and no recorded value (`recorded`).
    pub(super) fn replays(
        &self,
        lp: &Loop,
        backwards: bool,
        taped: &[Var],
        recorded: &[Ident],
    ) -> bool {
        backwards
            && !taped.is_empty()
            && recorded.is_empty()
            && taped.iter().all(|v| !self.cx.active.contains(v))
            && self.only_accumulates(lp)
            && lp.body.nodes.iter().all(|n| !self.recorded(n) || self.adds_unread(lp, n))
    }

    /// Which of a loop's carried values have adjoints carried from one iteration back to the
    /// previous one.
    pub(super) fn carries(&self, lp: &Loop) -> Vec<bool> {
        let active = &self.cx.active;
        lp.carried.iter().map(|c| active.contains(&c.out) || active.contains(&c.phi)).collect()
    }

    /// Whether `node` adds into (or subtracts from) a buffer that the body of `lp` never reads.
    fn adds_unread(&self, lp: &Loop, node: &Node) -> bool {
        let Node::Store(st) = node else { return false };
        let mut read = false;
        crate::ir::buffer_events(self.cx.f, &lp.body, &mut |e| {
            if let crate::ir::BufferEvent::Read(v) | crate::ir::BufferEvent::Passed(v, _) = e {
                read |= v == st.buffer;
            }
        });
        matches!(st.op, crate::ir::StoreOp::Add | crate::ir::StoreOp::Sub)
            && !read
            && !lp.uses.contains(&st.buffer)
    }

    /// Before a loop's adjoint: the adjoints carried from one iteration back to the previous
    /// one (starting from the loop results' adjoints), and the adjoints of outer values the
    /// body adds into.
    pub(super) fn loop_prologue(&mut self, lp: &Loop) -> (TokenStream, Vec<Option<Ident>>) {
        let cx = self.cx;
        let rt = &cx.rt;
        let mut out = TokenStream::new();
        let carries: Vec<Option<Ident>> = self
            .carries(lp)
            .into_iter()
            .enumerate()
            .map(|(j, k)| k.then(|| carry(lp, j)))
            .collect();
        for (c, k) in lp.carried.iter().zip(&carries) {
            let Some(k) = k else { continue };
            if cx.active.contains(&c.out) && self.declared.contains(&c.out) {
                let bar = cx.bar(c.out);
                out.extend(quote!(let mut #k = #rt::Clone::clone(&#bar);));
            } else {
                let o = cx.id(c.out);
                out.extend(quote!(let mut #k = #rt::zero_adjoint(&#o);));
            }
        }
        let mut body_reads = HashSet::new();
        read_within(&lp.body, &mut body_reads);
        out.extend(self.predeclare(&loop_inner(lp), body_reads));
        (out, carries)
    }

    /// One iteration's adjoint.
    pub(super) fn loop_iteration(&mut self, lp: &Loop, carries: &[Option<Ident>]) -> TokenStream {
        let cx = self.cx;
        let rt = &cx.rt;
        let declared = self.declared.clone();
        let mut iteration = TokenStream::new();
        let mut body_reads = HashSet::new();
        read_within(&lp.body, &mut body_reads);
        for (c, k) in lp.carried.iter().zip(carries) {
            if let (Some(k), true) = (k, cx.active.contains(&c.phi)) {
                // The carried value's adjoint starts at zero shaped like the value: for a
                // tensor, the value itself (its shape may change from one iteration to the
                // next: a sequence that grows), which the body reads anyway; else the adjoint
                // carried in.
                let bar = cx.bar(c.phi);
                let like = if cx.f.var(c.phi).kind == Kind::Tensor && body_reads.contains(&c.phi) {
                    cx.id(c.phi)
                } else {
                    k
                };
                iteration.extend(quote!(let mut #bar = #rt::zero_adjoint(&#like);));
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
        self.declared = declared;
        iteration
    }

    /// After a loop's adjoint: the carried adjoints reach the values the loop started from.
    pub(super) fn loop_epilogue(&mut self, lp: &Loop, carries: &[Option<Ident>]) -> TokenStream {
        let mut out = TokenStream::new();
        for (c, k) in lp.carried.iter().zip(carries) {
            if let Some(k) = k {
                out.extend(self.contribute(&c.init, quote!(#k)));
            }
        }
        out
    }

    /// The forward code (recording) of the nodes of `body` that the adjoint needs: those whose
    /// values it reads, transitively, and branches with adjoints of their own. Nested loops
    /// (and branches holding loops) are not run again: they recorded their tapes in the forward
    /// sweep, in the order their adjoints pop them, and what the adjoint reads of their results
    /// goes on this loop's tape. `needed`: what the iteration's adjoint reads.
    pub(super) fn recompute(&self, body: &Block, needed: BTreeSet<Var>) -> TokenStream {
        let keep = self.recomputed(body, needed).keep;
        let nodes = body.nodes.iter().zip(keep).filter(|(_, keep)| *keep);
        nodes.map(|(node, _)| self.forward_node(node, Sweep::Record)).collect()
    }

    /// Which nodes of `body` an iteration's adjoint that reads `needed` runs again (see
    /// [`Reverse::recompute`]), the values it needs from outside the body, and what of the body
    /// must be taped.
    pub(super) fn recomputed(&self, body: &Block, needed: BTreeSet<Var>) -> Recomputed {
        let mut needed: HashSet<Var> = needed.into_iter().collect();
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
        let here: HashSet<Var> = body.nodes.iter().flat_map(definitions).collect();
        let needed = needed.into_iter().filter(|v| !here.contains(v)).collect();
        Recomputed { keep, needed, taped }
    }
}

/// What an iteration's adjoint recomputes of a loop body ([`Reverse::recomputed`]).
pub(super) struct Recomputed {
    /// By node: whether it runs again.
    pub keep: Vec<bool>,
    /// The values it needs from outside the body.
    pub needed: HashSet<Var>,
    /// What of the body it finds on the tape instead (recorded or costly nodes' values).
    pub taped: Vec<Ident>,
}

/// Whether recomputing a node costs more than keeping its value on a tape (8 bytes per
/// iteration): transcendental functions and calls, and branches holding one (the branch then
/// hands its arm's values to the adjoint from the forward sweep, through the tape).
pub(super) fn costly(node: &Node) -> bool {
    match node {
        Node::Op(op) => match op.prim {
            Prim::Rule(r) => r.cost == crate::rules::Cost::Costly,
            Prim::Call => true,
            _ => false,
        },
        Node::Branch(br) => br.arms.iter().any(|a| a.body.nodes.iter().any(costly)),
        _ => false,
    }
}

/// Where loop `id` keeps the contents of its `j`-th kept buffer, one iteration after another.
pub(super) fn kept_values(id: usize, j: usize) -> Ident {
    quote::format_ident!("__kept{}_{}", id, j, span = proc_macro2::Span::mixed_site())
}

/// The ids of the loops inside `b`, at any depth.
fn nested_loops(b: &Block, out: &mut Vec<usize>) {
    for node in &b.nodes {
        match node {
            Node::Loop(lp) => {
                out.push(lp.id);
                nested_loops(&lp.body, out);
            }
            Node::Branch(br) => br.arms.iter().for_each(|a| nested_loops(&a.body, out)),
            Node::Op(_) | Node::Opaque { .. } | Node::Store(_) => {}
        }
    }
}

//! Fusion: the adjoint of an accumulation loop (`s += t`) run inside the forward loop itself,
//! one pass, as a hand-written gradient is written.

use super::super::context::Ctx;
use super::Reverse;
use super::plan::Strategy;
use super::sweep::Sweep;
use crate::ir::{
    Block, BufferEvent, Loop, LoopHead, Node, Operand, Prim, Var, definitions, loop_inner, reads,
};
use proc_macro2::{Ident, TokenStream};
use quote::quote;
use std::collections::HashSet;

impl Reverse<'_, '_> {
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
    pub(super) fn fused(&mut self, body: &Block, seed: &Ident) -> Option<TokenStream> {
        let li = body.nodes.iter().position(|n| {
            let fused = |l: &super::plan::LoopPlan| l.strategy == Strategy::Fused;
            matches!(n, Node::Loop(lp) if self.plan.loops.get(&lp.id).is_some_and(fused))
        })?;
        self.fuse(body, li, seed)
    }

    /// The index of the loop at the top of `body` to fuse, if any: the largest that can be.
    pub(super) fn fusion_candidate(&self, body: &Block) -> Option<usize> {
        let mut candidates: Vec<(usize, usize)> = body
            .nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| matches!(n, Node::Loop(_)))
            .map(|(i, n)| (size(n), i))
            .collect();
        candidates.sort_by(|a, b| b.cmp(a));
        candidates.into_iter().map(|(_, i)| i).find(|&i| self.fusable(body, i))
    }

    /// Whether every active value a loop carries only accumulates (`s = s + t`, `s = s - t`,
    /// `s` read nowhere else in the body, before or after): then the adjoint carried between iterations never
    /// changes, and the iterations' adjoints may run in any order.
    pub(super) fn only_accumulates(&self, lp: &Loop) -> bool {
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
            // (the new value read in the body, `total += t; other += total * total;`, makes
            // the carried adjoint grow with every later iteration's use)
            accumulates && count_reads(&lp.body, c.phi) == 1 && count_reads(&lp.body, next) == 1
        })
    }

    /// Whether the loop at `li` can be fused (see [`Reverse::fused`]).
    pub(super) fn fusable(&self, body: &Block, li: usize) -> bool {
        self.fusion_flow(body, li).is_some()
    }

    /// For a loop that can be fused: which nodes after it its results flow through, and which
    /// run before it instead (see [`hoistable`]).
    pub(super) fn fusion_flow(&self, body: &Block, li: usize) -> Option<(Vec<bool>, Vec<bool>)> {
        let cx = self.cx;
        let result = body.yields.first()?.var()?;
        let Node::Loop(lp) = &body.nodes[li] else { return None };
        if !matches!(lp.head, LoopHead::Range { .. }) || lp.exits || !self.loop_has_adjoint(lp) {
            return None;
        }
        if !self.only_accumulates(lp) || !self.buffers_apart(lp, &body.nodes[li + 1..]) {
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
    pub(super) fn fuse(&mut self, body: &Block, li: usize, seed: &Ident) -> Option<TokenStream> {
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
        // The adjoints of the buffers from before the loop: its iterations add into them.
        let mut buffers = self.buffer_adjoints(&body.nodes[..li]);
        let (prologue, carries) = self.loop_prologue(lp);
        let iteration = self.loop_iteration(lp, &carries);
        let mut rest_adjoint = self.buffer_adjoints(tail);
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
            body.nodes[..li].iter().map(|n| self.forward_node(n, Sweep::Record)).collect();
        for (n, _) in tail.iter().zip(&hoisted).filter(|(_, h)| **h) {
            before.extend(self.forward_node(n, Sweep::Record));
        }
        let mut fused_loop = TokenStream::new();
        for c in &lp.carried {
            let (o, init) = (cx.id(c.out), cx.owned(&c.init));
            fused_loop.extend(quote!(let mut #o = #init;));
        }
        let mut rest = self.forward(&lp.body, Sweep::Record);
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
            .map(|(n, _)| self.forward_node(n, Sweep::Record))
            .collect();
        buffers.extend(flow_adjoint);
        Some(
            quote! { #before #buffers #prologue #fused_loop #after #rest_adjoint #epilogue #before_adjoint },
        )
    }

    /// The adjoints (zeros) of the active buffers that `nodes` define, declared before the
    /// adjoint code that adds into them.
    fn buffer_adjoints(&mut self, nodes: &[Node]) -> TokenStream {
        let cx = self.cx;
        let rt = &cx.rt;
        let mut out = TokenStream::new();
        for v in nodes.iter().flat_map(definitions) {
            if cx.f.var(v).buffer && cx.active.contains(&v) && !self.declared.contains(&v) {
                let (bar, id) = (cx.bar(v), cx.id(v));
                out.extend(quote!(let mut #bar = #rt::zero_adjoint(&#id);));
                self.declared.insert(v);
            }
        }
        out
    }

    /// Whether a loop's adjoint may run before the adjoints of the code after it (`tail`)
    /// as far as buffers go, and each iteration's adjoint right after its primal: the tail
    /// neither reads a buffer the loop writes (its adjoint would add into that buffer's
    /// adjoint after the loop's adjoint read it) nor writes one the loop reads (its adjoint
    /// would take the loop's additions for its own); nothing after the loop pushes (a
    /// buffer's adjoint is as long as the buffer when the loop runs); and every buffer the
    /// loop both writes and reads is filled in each iteration before it is read
    /// ([`crate::analyse::iteration_private`]), so no iteration's adjoint reads what another
    /// one adds.
    fn buffers_apart(&self, lp: &Loop, tail: &[Node]) -> bool {
        let f = self.cx.f;
        let mut local = HashSet::new();
        crate::ir::defined_within(&lp.body, &mut local);
        let (mut written, mut read) = (HashSet::new(), HashSet::new());
        crate::ir::buffer_events(f, &lp.body, &mut |e| match e {
            BufferEvent::Write(v) => {
                written.insert(v);
            }
            BufferEvent::Read(v) => {
                read.insert(v);
            }
            BufferEvent::Passed(v, _) => {
                // a callee may write it
                written.insert(v);
                read.insert(v);
            }
            BufferEvent::Sliced(..) | BufferEvent::Declared(..) => {}
        });
        // Only adjoints matter: an inactive buffer has none, and each iteration's adjoint reads
        // the primal values its own primal left.
        let active = |v: &Var| self.cx.active.contains(v);
        written.retain(|v| !local.contains(v) && active(v));
        read.retain(|v| active(v));
        if written.is_empty() && read.is_empty() {
            return true;
        }
        let mut apart = crate::analyse::iteration_private(f, lp, true).is_some();
        let tail = Block { nodes: tail.to_vec(), yields: Vec::new() };
        crate::ir::buffer_events(f, &tail, &mut |e| match e {
            BufferEvent::Read(v) => apart &= !written.contains(&v),
            BufferEvent::Write(v) | BufferEvent::Passed(v, _) => {
                apart &= !written.contains(&v) && !read.contains(&v);
            }
            BufferEvent::Sliced(..) | BufferEvent::Declared(..) => {}
        });
        apart && !pushes(&tail)
    }
}

/// Whether code pushes into a buffer.
fn pushes(b: &Block) -> bool {
    b.nodes.iter().any(|n| match n {
        Node::Store(st) => st.op == crate::ir::StoreOp::Push,
        Node::Branch(br) => br.arms.iter().any(|a| pushes(&a.body)),
        Node::Loop(inner) => pushes(&inner.body),
        Node::Op(_) | Node::Opaque { .. } => false,
    })
}

/// Which of the nodes after a loop may run before it: simple inactive expressions
/// (`x.len() as f64`) reading nothing the loop or the other nodes after it define. A fused
/// loop's adjoint reads them inside the loop (`s / n`: the adjoint of `s` reads `n`).
/// Nothing the loop may change in place counts as unchanged: a buffer, or a value an
/// expression in the loop mentions (`v.extend(..)`, `idx.push(i)`, then `v.len()` after it).
pub(super) fn hoistable(cx: &Ctx<'_>, lp: &Loop, tail: &[Node]) -> Vec<bool> {
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
pub(super) fn touched_within(cx: &Ctx<'_>, block: &Block, out: &mut HashSet<Var>) {
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

/// How many nodes a node holds, itself included: the measure of a loop's cost.
pub(super) fn size(node: &Node) -> usize {
    let block = |b: &Block| b.nodes.iter().map(size).sum::<usize>();
    1 + match node {
        Node::Branch(br) => br.arms.iter().map(|a| block(&a.body)).sum(),
        Node::Loop(lp) => block(&lp.body),
        _ => 0,
    }
}

/// How many times `v` is read inside `b` (operands, yields, inactive expressions, heads).
pub(super) fn count_reads(b: &Block, v: Var) -> usize {
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

//! Planning reverse mode, before any code is written: a walk over the IR in the adjoint
//! sweep's order that finds which primal values each piece of adjoint code reads, and from
//! that each loop's strategy and tape and what each branch arm hands over.
//!
//! What an adjoint reads depends on the order adjoints are declared in (an operation whose
//! result's adjoint no later use declared has no adjoint code; an adjoint declared before an
//! arm or a loop is zeros shaped like its value, which that reads), so the walk keeps the same
//! `declared` set the emitters keep. It follows the emitters' structure function by function:
//! `block` and `node` (mod.rs), `call` (calls.rs), `branch` (branches.rs), `lp` (loops.rs),
//! `rerun` (rerun.rs), `replay` and the fused loop (fusion.rs). The decisions themselves
//! (`keepable`, `recomputed`, `only_accumulates`, `fusion_flow`, `runs_again_alike`, ...) are
//! the emitters' own predicates, shared.

use super::super::{Reverse, Strategy};
use crate::ir::{
    Block, Branch, Form, Loop, LoopHead, Node, Op, Operand, Prim, Var, branch_inner,
    defined_within, definitions, loop_inner, read_within,
};
use crate::kind::Kind;
use crate::syntax::{observes, pattern_names};
use proc_macro2::Ident;
use std::collections::{BTreeSet, HashSet};

impl Reverse<'_, '_> {
    /// Plans the adjoint of a function's body whose result receives the seed, fusing its
    /// largest accumulation loop when `fuse` allows (see [`Reverse::fused`]).
    pub(in super::super) fn plan_body(&mut self, body: &Block, fuse: bool) {
        match self.fusion_candidate(body).filter(|_| fuse) {
            Some(li) => self.plan_fused(body, li),
            None => self.plan_block(body, &[true]),
        }
        self.declared.clear();
        self.reads = vec![BTreeSet::new()];
    }

    /// Notes that the adjoint code being planned reads `o`.
    fn read(&mut self, o: &Operand) {
        if let (Some(v), Some(reads)) = (o.var(), self.reads.last_mut()) {
            reads.insert(v);
        }
    }

    fn plan_contribute(&mut self, o: &Operand) {
        if let Some(v) = o.var()
            && self.cx.active.contains(&v)
            && self.cx.f.var(v).param.is_none()
        {
            self.declared.insert(v);
        }
    }

    fn plan_block(&mut self, block: &Block, yields: &[bool]) {
        let cx = self.cx;
        let buffers = block.nodes.iter().flat_map(definitions);
        for v in buffers.filter(|v| cx.f.var(*v).buffer && cx.active.contains(v)) {
            if let Some(len) = cx.f.var(v).length {
                self.read(&Operand::Var(len));
            }
            self.read(&Operand::Var(v));
            self.declared.insert(v);
        }
        for (y, adjoint) in block.yields.iter().zip(yields) {
            if *adjoint {
                self.plan_contribute(y);
            }
        }
        for node in block.nodes.iter().rev() {
            self.plan_node(node);
        }
    }

    fn plan_node(&mut self, node: &Node) {
        let cx = self.cx;
        match node {
            Node::Opaque { .. } => {}
            Node::Store(st) => {
                if cx.active.contains(&st.buffer) {
                    self.read(&st.index);
                    self.plan_contribute(&st.value);
                }
            }
            Node::Op(op) if !cx.active.contains(&op.out) || !self.declared.contains(&op.out) => {}
            Node::Op(op) => self.plan_op(op),
            Node::Branch(br) => self.plan_branch(br),
            Node::Loop(lp) => self.plan_loop(lp),
        }
    }

    fn plan_op(&mut self, op: &Op) {
        let cx = self.cx;
        match op.prim {
            Prim::Rule(rule) if cx.square(op, rule).is_some_and(|v| cx.active.contains(&v)) => {
                self.read(&op.args[0]);
                self.plan_contribute(&op.args[0]);
            }
            Prim::Rule(rule) => {
                for (k, a) in op.args.iter().enumerate() {
                    if rule.diff[k] && cx.is_active(a) {
                        cx.rule_reads(op, rule, k).iter().for_each(|r| self.read(r));
                        self.plan_contribute(a);
                    }
                }
            }
            Prim::Index | Prim::Slice | Prim::Field | Prim::Element => {
                if let Some(whole) = op.args[0].var().filter(|v| cx.active.contains(v)) {
                    op.args[1..].iter().for_each(|a| self.read(a));
                    if cx.f.var(whole).param.is_none() && !self.declared.contains(&whole) {
                        self.read(&op.args[0]);
                        self.declared.insert(whole);
                    }
                    if matches!(op.prim, Prim::Field) {
                        self.read(&op.args[0]);
                    }
                }
            }
            Prim::Copy => self.plan_contribute(&op.args[0]),
            Prim::Store => {
                for k in [2, 0] {
                    if cx.is_active(&op.args[k]) {
                        self.read(&op.args[1]);
                        self.plan_contribute(&op.args[k]);
                    }
                }
            }
            Prim::Build if matches!(op.form, Form::Repeat) => {
                if cx.is_active(&op.args[0]) {
                    self.read(&op.args[0]);
                    self.plan_contribute(&op.args[0]);
                }
            }
            Prim::Build => op.args.iter().for_each(|a| self.plan_contribute(a)),
            Prim::Call => self.plan_call(op),
        }
    }

    /// See [`Reverse::call`]: the arguments (or the pullback), and what shapes the zeroed
    /// buffers of arguments whose adjoints cannot be passed directly.
    fn plan_call(&mut self, op: &Op) {
        let cx = self.cx;
        match op.pullback {
            Some(pb) => self.read(&Operand::Var(pb)),
            None => op.args.iter().for_each(|a| self.read(a)),
        }
        let (_, args) = cx.companion(op, "vjp");
        let slotted: Vec<&Operand> = args.iter().filter(|a| cx.has_slot(a)).collect();
        let mut slots = Vec::new();
        for a in slotted.iter().copied() {
            match self.call_buffer(op, a, &slotted) {
                super::super::calls::Buffer::Own(_) => {}
                super::super::calls::Buffer::Range(whole_args) => {
                    self.read(&whole_args[1]);
                    self.read(&whole_args[2]);
                }
                super::super::calls::Buffer::Part(Some(parts)) => {
                    parts.iter().for_each(|p| self.read(p));
                    slots.push(a.clone());
                }
                super::super::calls::Buffer::Part(None) => {
                    self.read(a);
                    slots.push(a.clone());
                }
            }
        }
        slots.iter().for_each(|a| self.plan_contribute(a));
    }

    /// Values from outside nested code that it reads get their adjoints declared before it.
    fn plan_predeclare(&mut self, inner: &HashSet<Var>, read: HashSet<Var>) {
        for v in self.predeclared(inner, read) {
            self.read(&Operand::Var(v));
            self.declared.insert(v);
        }
    }

    fn plan_branch(&mut self, br: &Branch) {
        if !self.branch_has_adjoint(br) {
            return;
        }
        let cx = self.cx;
        let adjoints: Vec<bool> =
            br.outs.iter().map(|o| cx.active.contains(o) && self.declared.contains(o)).collect();
        let mut read = HashSet::new();
        br.arms.iter().for_each(|a| read_within(&a.body, &mut read));
        self.plan_predeclare(&branch_inner(br), read);
        for (k, arm) in br.arms.iter().enumerate() {
            let declared = self.declared.clone();
            self.reads.push(BTreeSet::new());
            self.plan_block(&arm.body, &adjoints);
            let reads = self.reads.pop().unwrap_or_default();
            self.declared = declared;
            // What the arm defines (or its pattern binds) and its adjoint reads is handed
            // over; the rest is read from the enclosing scope.
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
                    (0..inner.arms.len()).for_each(|j| saved.push(super::super::slot(inner, j)));
                }
            }
            self.plan.arms.insert((br.id, k), saved);
        }
    }

    fn plan_loop(&mut self, lp: &Loop) {
        if !self.loop_has_adjoint(lp) {
            return;
        }
        let cx = self.cx;
        let backwards = self.walks_backwards(lp);
        let kept = if backwards { self.keepable(lp) } else { Vec::new() };
        if kept.is_empty() && self.reruns_iterations(lp).is_some() {
            self.plan_rerun(lp);
            return;
        }
        let outer = self.frozen.clone();
        self.frozen.extend(kept.iter().copied());
        let carries = self.plan_prologue(lp);
        let reads = self.plan_iteration(lp, &carries);
        let recomputed = self.recomputed(&lp.body, reads.clone());
        self.frozen = outer;
        let phis: HashSet<Var> = lp.carried.iter().map(|c| c.phi).collect();
        let needed = &recomputed.needed;
        let mut taped: Vec<Var> = needed
            .iter()
            .copied()
            .filter(|v| phis.contains(v) || (!backwards && lp.bound.contains(v)))
            .collect();
        taped.sort();
        for v in needed {
            if !phis.contains(v) && !lp.bound.contains(v) {
                self.read(&Operand::Var(*v));
            }
        }
        if self.replays(lp, backwards, &taped, &recomputed.taped) {
            self.plan_replay(lp, reads);
            self.plan_epilogue(lp, &carries);
            return;
        }
        let mut taped: Vec<Ident> = taped.iter().map(|v| cx.id(*v).clone()).collect();
        taped.extend(recomputed.taped.iter().cloned());
        let (strategy, tape) = match &lp.head {
            LoopHead::Range { .. } if backwards => {
                lp.uses.iter().for_each(|v| self.read(&Operand::Var(*v)));
                self.plan_views(lp);
                (Strategy::Backwards, (!taped.is_empty()).then_some(taped))
            }
            _ => {
                let mut fields = taped;
                if !backwards {
                    for v in &lp.bound {
                        if needed.contains(v) && !fields.contains(cx.id(*v)) {
                            fields.push(cx.id(*v).clone());
                        }
                    }
                }
                let strategy = if self.depth == 0 { Strategy::Popped } else { Strategy::Marked };
                (strategy, Some(fields))
            }
        };
        for b in &kept {
            self.read(&Operand::Var(*b));
        }
        self.plan.set_loop(lp.id, strategy, tape, reads);
        self.plan.keep(lp.id, kept.iter().map(|b| (*b, cx.id(*b).clone())).collect());
        self.plan_epilogue(lp, &carries);
    }

    /// See [`Reverse::rerun`].
    fn plan_rerun(&mut self, lp: &Loop) {
        let cx = self.cx;
        let region = crate::analyse::frozen_in(cx.f, &lp.body);
        let outer = self.frozen.clone();
        self.frozen.extend(region);
        let carries = self.plan_prologue(lp);
        self.in_iteration = true;
        let reads = self.plan_iteration(lp, &carries);
        self.in_iteration = false;
        self.frozen = outer;
        // The iteration reads, from outside the body, its carried values (taped) and the rest.
        let mut inner = HashSet::new();
        defined_within(&lp.body, &mut inner);
        inner.extend(lp.bound.iter().copied());
        let mut body_reads = HashSet::new();
        read_within(&lp.body, &mut body_reads);
        let phis: HashSet<Var> = lp.carried.iter().map(|c| c.phi).collect();
        let mut taped: Vec<Var> = body_reads.iter().copied().filter(|v| phis.contains(v)).collect();
        taped.sort();
        let outside = body_reads.iter().chain(&lp.uses);
        for v in outside.filter(|v| !inner.contains(v) && !phis.contains(v)) {
            self.read(&Operand::Var(*v));
        }
        let taped: Vec<Ident> = taped.iter().map(|v| cx.id(*v).clone()).collect();
        self.plan.set_loop(lp.id, Strategy::Rerun, (!taped.is_empty()).then_some(taped), reads);
        self.plan_views(lp);
        self.plan_epilogue(lp, &carries);
    }

    /// See [`Reverse::replay`]: the values the replayed body reads from outside it.
    fn plan_replay(&mut self, lp: &Loop, reads: BTreeSet<Var>) {
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
        self.plan.set_loop(lp.id, Strategy::Replay, None, reads);
        self.plan_views(lp);
    }

    /// See [`Reverse::view_decls`].
    fn plan_views(&mut self, lp: &Loop) {
        for v in self.cx.views.loops.get(&lp.id).into_iter().flatten() {
            v.uses.iter().for_each(|u| self.read(&Operand::Var(*u)));
            self.read(&Operand::Var(v.seq));
        }
    }

    /// See [`Reverse::loop_prologue`]: which carried values have adjoints.
    fn plan_prologue(&mut self, lp: &Loop) -> Vec<bool> {
        let cx = self.cx;
        let carries = self.carries(lp);
        for (c, k) in lp.carried.iter().zip(&carries) {
            if *k && !(cx.active.contains(&c.out) && self.declared.contains(&c.out)) {
                self.read(&Operand::Var(c.out));
            }
        }
        let mut body_reads = HashSet::new();
        read_within(&lp.body, &mut body_reads);
        self.plan_predeclare(&loop_inner(lp), body_reads);
        carries
    }

    /// See [`Reverse::loop_iteration`]: the primal values one iteration's adjoint reads.
    fn plan_iteration(&mut self, lp: &Loop, carries: &[bool]) -> BTreeSet<Var> {
        let cx = self.cx;
        let declared = self.declared.clone();
        self.reads.push(BTreeSet::new());
        self.depth += 1;
        let mut body_reads = HashSet::new();
        read_within(&lp.body, &mut body_reads);
        for (c, k) in lp.carried.iter().zip(carries) {
            if *k && cx.active.contains(&c.phi) {
                if cx.f.var(c.phi).kind == Kind::Tensor && body_reads.contains(&c.phi) {
                    self.read(&Operand::Var(c.phi));
                }
                self.declared.insert(c.phi);
            }
        }
        let mut adjoints = carries.to_vec();
        adjoints.push(false); // the go-on flag
        self.plan_block(&lp.body, &adjoints);
        let reads = self.reads.pop().unwrap_or_default();
        self.declared = declared;
        self.depth -= 1;
        reads
    }

    fn plan_epilogue(&mut self, lp: &Loop, carries: &[bool]) {
        for (c, k) in lp.carried.iter().zip(carries) {
            if *k {
                self.plan_contribute(&c.init);
            }
        }
    }

    /// See [`Reverse::fuse`]: the adjoint code in the order it runs.
    fn plan_fused(&mut self, body: &Block, li: usize) {
        let Some((in_flow, _)) = self.fusion_flow(body, li) else { return };
        let (Some(result), Node::Loop(lp)) = (body.yields.first(), &body.nodes[li]) else {
            return;
        };
        let tail = &body.nodes[li + 1..];
        self.plan_contribute(result);
        for (node, _) in tail.iter().zip(&in_flow).rev().filter(|(_, f)| **f) {
            self.plan_node(node);
        }
        self.plan_buffer_adjoints(&body.nodes[..li]);
        let carries = self.plan_prologue(lp);
        let reads = self.plan_iteration(lp, &carries);
        self.plan.set_loop(lp.id, Strategy::Fused, None, reads);
        self.plan_buffer_adjoints(tail);
        for (node, _) in tail.iter().zip(&in_flow).rev().filter(|(_, f)| !**f) {
            self.plan_node(node);
        }
        self.plan_epilogue(lp, &carries);
        for node in body.nodes[..li].iter().rev() {
            self.plan_node(node);
        }
    }

    fn plan_buffer_adjoints(&mut self, nodes: &[Node]) {
        let cx = self.cx;
        for v in nodes.iter().flat_map(definitions) {
            if cx.f.var(v).buffer && cx.active.contains(&v) && !self.declared.contains(&v) {
                self.read(&Operand::Var(v));
                self.declared.insert(v);
            }
        }
    }

    /// Whether `lp`'s adjoint walks its range again with `.rev()` (its head evaluated again):
    /// not when the head could observe that, reads a buffer that changes later, or the loop
    /// may exit early; such a loop tapes its index.
    pub(in super::super) fn walks_backwards(&self, lp: &Loop) -> bool {
        matches!(&lp.head, LoopHead::Range { iter, .. } if !observes(iter))
            && !lp.exits
            && !lp.uses.iter().any(|v| self.changing(*v))
    }
}

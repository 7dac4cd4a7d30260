//! Stage 5, analyse: activity. A value is *varied* if it depends on an active parameter
//! (computed while lowering, in program order) and *useful* if the result depends on it
//! (computed here, backwards; loops to a fixpoint). Only values that are both — *active* — get
//! adjoints. Also the definitions and reads of nested code, which reverse mode needs to decide
//! what to keep and what to recompute.

mod private;

pub use private::{buffer_writes, fills_whole, iteration_private};

use crate::ir::{Block, BufferEvent, Function, Node, Operand, Prim, Var, buffer_events, reads};
use quote::ToTokens;
use std::collections::{HashMap, HashSet};

/// The active values of `f`: varied and useful.
pub fn active(f: &Function) -> HashSet<Var> {
    let mut useful = HashSet::new();
    if let Some(v) = f.result().var() {
        useful.insert(v);
    }
    block(&f.body, &mut useful);
    useful.into_iter().filter(|v| f.var(*v).varied).collect()
}

fn mark(useful: &mut HashSet<Var>, o: &Operand) -> bool {
    o.var().is_some_and(|v| useful.insert(v))
}

/// Marks what the nodes of `b` need, given that `useful` already holds what follows them
/// (and which of `b`'s yields are useful).
fn block(b: &Block, useful: &mut HashSet<Var>) {
    for node in b.nodes.iter().rev() {
        match node {
            Node::Op(op) if useful.contains(&op.out) => {
                for (k, arg) in op.args.iter().enumerate() {
                    if op.prim.differentiable(k) {
                        mark(useful, arg);
                    }
                }
            }
            Node::Op(_) | Node::Opaque { .. } => {}
            Node::Store(st) => {
                if useful.contains(&st.buffer) {
                    mark(useful, &st.value);
                }
            }
            Node::Branch(br) => {
                for arm in &br.arms {
                    for (out, y) in br.outs.iter().zip(&arm.body.yields) {
                        if useful.contains(out) {
                            mark(useful, y);
                        }
                    }
                    block(&arm.body, useful);
                }
            }
            Node::Loop(lp) => loop {
                // An iteration's result feeds the next iteration's start and the loop's result;
                // what an iteration writes into a buffer, later iterations may read.
                let before = useful.len();
                let mut changed = false;
                for (c, y) in lp.carried.iter().zip(&lp.body.yields) {
                    if useful.contains(&c.out) || useful.contains(&c.phi) {
                        changed |= mark(useful, y);
                    }
                }
                block(&lp.body, useful);
                // (a loop that runs no iteration, or leaves before reassigning, hands its start
                // value on as its result)
                for c in &lp.carried {
                    if useful.contains(&c.phi) || useful.contains(&c.out) {
                        mark(useful, &c.init);
                    }
                }
                // A start value that became useful makes the previous iteration's result useful.
                if !changed && useful.len() == before {
                    break;
                }
            },
        }
    }
}

/// The buffers never written after they are first read (in program order, a loop's next
/// iteration after its last). A read of a frozen buffer gives the same value whenever it runs,
/// so reverse mode may recompute it instead of recording it (a table of `exp(q)` filled once,
/// then read in a loop).
pub fn frozen_buffers(f: &Function) -> HashSet<Var> {
    frozen_in(f, &f.body)
}

/// The buffers `b` never writes after it first reads them: within one run of `b` (one
/// iteration of a loop run again by reverse mode), their reads give the same value whenever
/// they run.
pub fn frozen_in(f: &Function, b: &Block) -> HashSet<Var> {
    let (mut read, mut thawed) = (HashSet::new(), HashSet::new());
    buffer_events(f, b, &mut |e| match e {
        BufferEvent::Read(v) => {
            read.insert(v);
        }
        BufferEvent::Write(v) if read.contains(&v) => {
            thawed.insert(v);
        }
        _ => {}
    });
    (0..f.vars.len()).map(Var).filter(|v| f.var(*v).buffer && !thawed.contains(v)).collect()
}

/// The sub-slices (`&x[a..b]`, [`crate::ir::Prim::Slice`]) that exactly one node reads, with
/// their operands (whole, start, end): passed to a call, the callee's adjoint may add straight
/// into that range of the whole's adjoint.
pub fn slices_read_once(f: &Function) -> HashMap<Var, Vec<Operand>> {
    fn walk(b: &Block, slices: &mut HashMap<Var, Vec<Operand>>, counts: &mut HashMap<Var, usize>) {
        b.yields.iter().filter_map(Operand::var).for_each(|v| *counts.entry(v).or_default() += 1);
        for node in &b.nodes {
            match node {
                Node::Op(op) => {
                    if matches!(op.prim, crate::ir::Prim::Slice) {
                        slices.insert(op.out, op.args.clone());
                    }
                    let read: HashSet<Var> = op.args.iter().filter_map(Operand::var).collect();
                    read.into_iter().for_each(|v| *counts.entry(v).or_default() += 1);
                }
                Node::Branch(br) => {
                    br.uses.iter().for_each(|v| *counts.entry(*v).or_default() += 1);
                    br.arms.iter().for_each(|a| walk(&a.body, slices, counts));
                }
                Node::Loop(lp) => {
                    lp.uses.iter().for_each(|v| *counts.entry(*v).or_default() += 1);
                    for c in &lp.carried {
                        c.init.var().iter().for_each(|v| *counts.entry(*v).or_default() += 1);
                    }
                    walk(&lp.body, slices, counts);
                }
                node => reads(node).into_iter().for_each(|v| *counts.entry(v).or_default() += 1),
            }
        }
    }
    let (mut slices, mut counts) = (HashMap::new(), HashMap::new());
    walk(&f.body, &mut slices, &mut counts);
    slices.retain(|v, _| counts.get(v) == Some(&1));
    slices
}

/// The parameters that some loop iteration reads at two different indices (`x[i]` and
/// `x[i + 1]`, not counting nested loops). The adjoint sweep adds into both places of their
/// buffers in one iteration; without bounds checks between the two additions LLVM's SLP
/// vectoriser merges them into one two-lane read-modify-write, which the next iteration partly
/// reads back: a store-forwarding stall per iteration (Rosenbrock's gradient ran 3.4x slower).
/// Their buffers keep their bounds checks. Indices are compared as written.
pub fn read_at_two_indices(f: &Function) -> HashSet<Var> {
    let mut written = HashMap::new();
    collect_opaque(&f.body, &mut written);
    let mut out = HashSet::new();
    loops_reading_twice(f, &f.body, &written, &mut out);
    out
}

/// The expression of every inactive value kept as written, as text.
fn collect_opaque(b: &Block, out: &mut HashMap<Var, String>) {
    for node in &b.nodes {
        match node {
            Node::Opaque { out: v, expr, .. } => {
                out.insert(*v, expr.to_token_stream().to_string());
            }
            Node::Branch(br) => br.arms.iter().for_each(|a| collect_opaque(&a.body, out)),
            Node::Loop(lp) => collect_opaque(&lp.body, out),
            _ => {}
        }
    }
}

fn loops_reading_twice(
    f: &Function,
    b: &Block,
    written: &HashMap<Var, String>,
    out: &mut HashSet<Var>,
) {
    for node in &b.nodes {
        match node {
            Node::Branch(br) => {
                br.arms.iter().for_each(|a| loops_reading_twice(f, &a.body, written, out))
            }
            Node::Loop(lp) => {
                let mut indices: HashMap<Var, HashSet<String>> = HashMap::new();
                parameter_indices(f, &lp.body, written, &mut indices);
                out.extend(indices.into_iter().filter(|(_, i)| i.len() > 1).map(|(p, _)| p));
                loops_reading_twice(f, &lp.body, written, out);
            }
            _ => {}
        }
    }
}

/// The indices at which `b` (with its branches, without nested loops) reads each parameter.
fn parameter_indices(
    f: &Function,
    b: &Block,
    written: &HashMap<Var, String>,
    out: &mut HashMap<Var, HashSet<String>>,
) {
    for node in &b.nodes {
        match node {
            Node::Op(op) if matches!(op.prim, Prim::Index) => {
                let (Some(p), Some(i)) = (op.args[0].var(), op.args.get(1)) else { continue };
                if f.var(p).param.is_none() {
                    continue;
                }
                let index = match i {
                    Operand::Const(e) => e.to_token_stream().to_string(),
                    Operand::Var(v) | Operand::Ref(v) => {
                        written.get(v).cloned().unwrap_or_else(|| f.var(*v).name.clone())
                    }
                };
                out.entry(p).or_default().insert(index);
            }
            Node::Branch(br) => {
                br.arms.iter().for_each(|a| parameter_indices(f, &a.body, written, out))
            }
            _ => {}
        }
    }
}

/// The values that code kept as written may change in place (`rng.normal()` changes `rng`,
/// `uniform(state)` what `state: &mut u64` points to, `draw(&mut s)` changes `s`): inactive
/// state, which reads after the change see differently. Reverse mode recomputes no read of
/// them; it keeps what it read from the forward sweep.
pub fn changed_in_place(f: &Function) -> HashSet<Var> {
    fn note(f: &Function, e: &syn::Expr, uses: &[Var], out: &mut HashSet<Var>) {
        let changes = crate::syntax::changes(e);
        for u in uses {
            let info = f.var(*u);
            let name = info.ident.to_string();
            let holds_mut =
                matches!(&info.ty, Some(syn::Type::Reference(r)) if r.mutability.is_some());
            if changes.places.contains(&name) || (holds_mut && changes.passed.contains(&name)) {
                out.insert(*u);
            }
        }
    }
    fn walk(f: &Function, b: &Block, out: &mut HashSet<Var>) {
        for node in &b.nodes {
            match node {
                Node::Opaque { expr, uses, .. } => note(f, expr, uses, out),
                Node::Branch(br) => {
                    let (crate::ir::Head::If(e) | crate::ir::Head::Match(e)) = &br.head;
                    note(f, e, &br.uses, out);
                    for arm in &br.arms {
                        if let Some(syn::Pat::Guard(g)) = &arm.pat {
                            note(f, &g.guard, &br.uses, out);
                        }
                        walk(f, &arm.body, out);
                    }
                }
                Node::Loop(lp) => {
                    match &lp.head {
                        crate::ir::LoopHead::Range { iter, .. }
                        | crate::ir::LoopHead::Iter { iter, .. }
                        | crate::ir::LoopHead::While(iter) => note(f, iter, &lp.uses, out),
                        crate::ir::LoopHead::Loop => {}
                    }
                    walk(f, &lp.body, out);
                }
                Node::Op(_) | Node::Store(_) => {}
            }
        }
    }
    let mut out = HashSet::new();
    walk(f, &f.body, &mut out);
    out
}

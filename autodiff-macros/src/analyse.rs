//! Stage 3, analyse: activity. A value is *varied* if it depends on an active parameter
//! (computed while lowering, in program order) and *useful* if the result depends on it
//! (computed here, backwards; loops to a fixpoint). Only values that are both — *active* — get
//! adjoints. Also the definitions and reads of nested code, which reverse mode needs to decide
//! what to keep and what to recompute.

use crate::ir::{Block, Function, Node, Operand, Var};
use std::collections::HashSet;

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
                for c in &lp.carried {
                    if useful.contains(&c.phi) {
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

/// Every value defined inside `b`, nested code included.
pub fn defined_within(b: &Block, out: &mut HashSet<Var>) {
    for node in &b.nodes {
        out.extend(definitions(node));
        match node {
            Node::Branch(br) => br.arms.iter().for_each(|a| defined_within(&a.body, out)),
            Node::Loop(lp) => defined_within(&lp.body, out),
            Node::Op(_) | Node::Opaque { .. } | Node::Store(_) => {}
        }
    }
}

/// The values a node defines at its own level: an operation's result, a branch's outputs, a
/// loop's results, iteration values and bound names.
pub fn definitions(node: &Node) -> Vec<Var> {
    match node {
        Node::Op(op) => vec![op.out],
        Node::Opaque { out, .. } => vec![*out],
        Node::Branch(br) => br.outs.clone(),
        Node::Loop(lp) => {
            let mut v: Vec<Var> = lp.carried.iter().flat_map(|c| [c.phi, c.out]).collect();
            v.extend(&lp.bound);
            v
        }
        Node::Store(_) => Vec::new(),
    }
}

/// Every value read inside `b` (operands, yields, inactive expressions), nested code included.
pub fn read_within(b: &Block, out: &mut HashSet<Var>) {
    out.extend(b.yields.iter().filter_map(Operand::var));
    for node in &b.nodes {
        out.extend(reads(node));
    }
}

/// Every value a node reads, nested code included.
pub fn reads(node: &Node) -> HashSet<Var> {
    let mut out = HashSet::new();
    match node {
        Node::Op(op) => out.extend(op.args.iter().filter_map(Operand::var)),
        Node::Opaque { uses, .. } => out.extend(uses),
        Node::Branch(br) => {
            out.extend(&br.uses);
            br.arms.iter().for_each(|a| read_within(&a.body, &mut out));
        }
        Node::Loop(lp) => {
            out.extend(&lp.uses);
            out.extend(lp.carried.iter().filter_map(|c| c.init.var()));
            read_within(&lp.body, &mut out);
        }
        Node::Store(st) => {
            out.insert(st.buffer);
            out.extend(st.index.var());
            out.extend(st.value.var());
        }
    }
    out
}

/// The buffers never written after they are first read: every `Store` into such a buffer comes
/// before every read of it in program order, and no loop both reads and writes it. A read of a
/// frozen buffer gives the same value whenever it runs, so reverse mode may recompute it instead
/// of recording it (a table of `exp(q)` filled once, then read in a loop).
pub fn frozen_buffers(f: &Function) -> HashSet<Var> {
    let buffers: HashSet<Var> = (0..f.vars.len()).map(Var).filter(|v| f.var(*v).buffer).collect();
    let mut read = HashSet::new();
    let mut thawed = HashSet::new();
    frozen_walk(f, &f.body, &mut read, &mut thawed);
    buffers.difference(&thawed).copied().collect()
}

/// Reads and writes of buffers in `b`, in order: a write after a read thaws the buffer.
fn frozen_walk(f: &Function, b: &Block, read: &mut HashSet<Var>, thawed: &mut HashSet<Var>) {
    for node in &b.nodes {
        match node {
            Node::Store(st) => {
                if read.contains(&st.buffer) {
                    thawed.insert(st.buffer);
                }
            }
            Node::Loop(lp) => {
                // An iteration's writes come after the previous iteration's reads.
                let (mut inner_reads, mut inner_writes) = (HashSet::new(), HashSet::new());
                buffer_uses(f, &lp.body, &mut inner_reads, &mut inner_writes);
                lp.uses.iter().filter(|v| f.var(**v).buffer).for_each(|v| {
                    inner_reads.insert(*v);
                });
                thawed.extend(inner_reads.intersection(&inner_writes).copied());
                frozen_walk(f, &lp.body, read, thawed);
                read.extend(inner_reads);
            }
            Node::Branch(br) => {
                br.uses.iter().filter(|v| f.var(**v).buffer).for_each(|v| {
                    read.insert(*v);
                });
                for arm in &br.arms {
                    frozen_walk(f, &arm.body, read, thawed);
                }
            }
            Node::Op(_) | Node::Opaque { .. } => {
                for v in reads(node) {
                    if f.var(v).buffer {
                        read.insert(v);
                    }
                }
            }
        }
    }
}

/// The buffers read and written anywhere in `b`.
fn buffer_uses(f: &Function, b: &Block, reads_: &mut HashSet<Var>, writes: &mut HashSet<Var>) {
    for node in &b.nodes {
        match node {
            Node::Store(st) => {
                writes.insert(st.buffer);
                if let Some(v) = st.index.var().filter(|v| f.var(*v).buffer) {
                    reads_.insert(v);
                }
            }
            Node::Loop(lp) => {
                lp.uses.iter().filter(|v| f.var(**v).buffer).for_each(|v| {
                    reads_.insert(*v);
                });
                buffer_uses(f, &lp.body, reads_, writes);
            }
            Node::Branch(br) => {
                br.uses.iter().filter(|v| f.var(**v).buffer).for_each(|v| {
                    reads_.insert(*v);
                });
                for arm in &br.arms {
                    buffer_uses(f, &arm.body, reads_, writes);
                }
            }
            Node::Op(_) | Node::Opaque { .. } => {
                for v in reads(node) {
                    if f.var(v).buffer {
                        reads_.insert(v);
                    }
                }
            }
        }
    }
}

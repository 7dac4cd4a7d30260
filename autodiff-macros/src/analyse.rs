//! Stage 3, analyse: activity. A value is *varied* if it depends on an active parameter
//! (computed while lowering, in program order) and *useful* if the result depends on it
//! (computed here, backwards). Only values that are both — *active* — get adjoints.

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

/// Marks what the nodes of `b` need, given that `useful` already holds what follows them
/// (and which of `b`'s yields are useful).
fn block(b: &Block, useful: &mut HashSet<Var>) {
    for node in b.nodes.iter().rev() {
        match node {
            Node::Op(op) if useful.contains(&op.out) => {
                for (k, arg) in op.args.iter().enumerate() {
                    if let (true, Some(v)) = (op.prim.differentiable(k), arg.var()) {
                        useful.insert(v);
                    }
                }
            }
            Node::Op(_) | Node::Opaque { .. } => {}
            Node::Branch(br) => {
                for arm in &br.arms {
                    for (out, y) in br.outs.iter().zip(&arm.body.yields) {
                        if let (true, Some(v)) = (useful.contains(out), y.var()) {
                            useful.insert(v);
                        }
                    }
                    block(&arm.body, useful);
                }
            }
        }
    }
}

/// Every value defined inside `b`, nested branches included.
pub fn defined_within(b: &Block, out: &mut HashSet<Var>) {
    for node in &b.nodes {
        match node {
            Node::Op(op) => {
                out.insert(op.out);
            }
            Node::Opaque { out: v, .. } => {
                out.insert(*v);
            }
            Node::Branch(br) => {
                out.extend(br.outs.iter().copied());
                br.arms.iter().for_each(|a| defined_within(&a.body, out));
            }
        }
    }
}

/// Every value read inside `b` (operands and yields), nested branches included.
pub fn read_within(b: &Block, out: &mut HashSet<Var>) {
    let vars = |ops: &[Operand]| ops.iter().filter_map(Operand::var).collect::<Vec<_>>();
    out.extend(vars(&b.yields));
    for node in &b.nodes {
        match node {
            Node::Op(op) => out.extend(vars(&op.args)),
            Node::Opaque { .. } => {}
            Node::Branch(br) => br.arms.iter().for_each(|a| read_within(&a.body, out)),
        }
    }
}

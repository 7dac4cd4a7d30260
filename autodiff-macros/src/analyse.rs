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
            Node::Opaque { expr, uses, .. } => {
                for v in uses.iter().filter(|v| f.var(**v).buffer) {
                    if mutates_buffer(expr, &f.var(*v).ident) && read.contains(v) {
                        thawed.insert(*v);
                    }
                    read.insert(*v);
                }
            }
            Node::Op(_) => {
                for v in reads(node) {
                    if f.var(v).buffer {
                        read.insert(v);
                    }
                }
            }
        }
    }
}

/// Methods of a `Vec` that leave it as it is.
const READ_ONLY_METHODS: &[&str] = &[
    "len", "is_empty", "iter", "get", "first", "last", "contains", "to_vec", "clone", "as_slice",
    "windows", "chunks", "split_at", "capacity",
];

/// Whether an expression kept as written changes the buffer named `buffer` (`b.fill(0.0)`,
/// `b.clear()`, `&mut b`): any method but the read-only ones counts.
pub fn mutates_buffer(expr: &syn::Expr, buffer: &proc_macro2::Ident) -> bool {
    struct Finder<'a> {
        buffer: &'a proc_macro2::Ident,
        found: bool,
    }
    impl<'ast> syn::visit::Visit<'ast> for Finder<'_> {
        fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
            let on_buffer =
                matches!(&*m.receiver, syn::Expr::Path(p) if p.path.is_ident(self.buffer));
            if on_buffer && !READ_ONLY_METHODS.contains(&m.method.to_string().as_str()) {
                self.found = true;
            }
            syn::visit::visit_expr_method_call(self, m);
        }
        fn visit_expr_reference(&mut self, r: &'ast syn::ExprReference) {
            if r.mutability.is_some()
                && matches!(&*r.expr, syn::Expr::Path(p) if p.path.is_ident(self.buffer))
            {
                self.found = true;
            }
            syn::visit::visit_expr_reference(self, r);
        }
    }
    let mut finder = Finder { buffer, found: false };
    syn::visit::Visit::visit_expr(&mut finder, expr);
    finder.found
}

/// The buffers read and written anywhere in `b`.
fn buffer_uses(f: &Function, b: &Block, reads_: &mut HashSet<Var>, writes: &mut HashSet<Var>) {
    for node in &b.nodes {
        match node {
            Node::Store(st) => {
                writes.insert(st.buffer);
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
            Node::Opaque { expr, uses, .. } => {
                for v in uses.iter().filter(|v| f.var(**v).buffer) {
                    reads_.insert(*v);
                    if mutates_buffer(expr, &f.var(*v).ident) {
                        writes.insert(*v);
                    }
                }
            }
            Node::Op(_) => {
                for v in reads(node) {
                    if f.var(v).buffer {
                        reads_.insert(v);
                    }
                }
            }
        }
    }
}

/// Buffers written after they are passed to a function, with the call's span: the callee's
/// adjoint, run in the reverse sweep, would read the buffer as it is by then. A write in a loop
/// that also passes the buffer on counts (the next iteration writes after this one's call).
pub fn buffers_written_after_calls(f: &Function) -> Vec<(Var, proc_macro2::Span)> {
    let mut passed = Vec::new();
    let mut out = Vec::new();
    after_calls_walk(f, &f.body, &mut passed, &mut out);
    out
}

fn after_calls_walk(
    f: &Function,
    b: &Block,
    passed: &mut Vec<(Var, proc_macro2::Span)>,
    out: &mut Vec<(Var, proc_macro2::Span)>,
) {
    let written = |v: Var, passed: &[(Var, proc_macro2::Span)], out: &mut Vec<_>| {
        if let Some((_, span)) = passed.iter().find(|(p, _)| *p == v)
            && !out.iter().any(|(o, _)| *o == v)
        {
            out.push((v, *span));
        }
    };
    for node in &b.nodes {
        match node {
            Node::Op(op) if matches!(op.prim, crate::ir::Prim::Call) => {
                for v in op.args.iter().filter_map(Operand::var) {
                    if f.var(v).buffer {
                        passed.push((v, op.span));
                    }
                }
            }
            Node::Op(_) => {}
            Node::Store(st) => written(st.buffer, passed, out),
            Node::Opaque { expr, uses, .. } => {
                for v in uses.iter().filter(|v| f.var(**v).buffer) {
                    if mutates_buffer(expr, &f.var(*v).ident) {
                        written(*v, passed, out);
                    }
                }
            }
            Node::Branch(br) => {
                br.arms.iter().for_each(|a| after_calls_walk(f, &a.body, passed, out));
            }
            Node::Loop(lp) => {
                // Walk the body twice: the second pass sees the first one's calls, as the
                // second iteration does.
                after_calls_walk(f, &lp.body, passed, out);
                after_calls_walk(f, &lp.body, passed, out);
            }
        }
    }
}

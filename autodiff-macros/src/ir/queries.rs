//! Questions about the IR that every later stage asks: what a node defines and reads.

use super::{Block, Branch, Function, Loop, Node, Operand, Var};
use std::collections::HashSet;

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

/// The values a branch defines, its outputs and everything inside its arms.
pub fn branch_inner(br: &Branch) -> HashSet<Var> {
    let mut inner: HashSet<Var> = br.outs.iter().copied().collect();
    br.arms.iter().for_each(|a| defined_within(&a.body, &mut inner));
    inner
}

/// The values a loop defines: carried values, bound names and everything in its body.
pub fn loop_inner(lp: &Loop) -> HashSet<Var> {
    let mut inner: HashSet<Var> = lp.carried.iter().flat_map(|c| [c.phi, c.out]).collect();
    inner.extend(&lp.bound);
    defined_within(&lp.body, &mut inner);
    inner
}

/// The values a node defines at its own level: an operation's result, a branch's outputs, a
/// loop's results, iteration values and bound names.
pub fn definitions(node: &Node) -> Vec<Var> {
    match node {
        Node::Op(op) => op.pullback.into_iter().chain([op.out]).collect(),
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

/// What code does to a buffer, in program order (see [`buffer_events`]).
pub enum BufferEvent {
    /// The buffer is read.
    Read(Var),
    /// The buffer is written (an element, or by a method such as `fill`).
    Write(Var),
    /// The buffer is passed to a function, in the call at this span, whose adjoint reads it in
    /// the reverse sweep (not a call in split mode: its pullback owns what it reads).
    Passed(Var, proc_macro2::Span),
    /// A sub-slice of the buffer is taken (`&b[a..c]`, after its read), at this span.
    Sliced(Var, proc_macro2::Span),
    /// The buffer is made (`let mut b = vec![0.0; n];`): in a loop, each iteration's is a new
    /// one, which no write of another iteration touches.
    Declared(Var),
}

/// Calls `event` for each declaration, read, write, call argument and sub-slice of a buffer in
/// `b`, in program order.
/// A loop body is walked twice: its second iteration comes after its first.
pub fn buffer_events(f: &Function, b: &Block, event: &mut impl FnMut(BufferEvent)) {
    let buffer = |v: &Var| f.var(*v).buffer;
    for node in &b.nodes {
        match node {
            Node::Store(st) => event(BufferEvent::Write(st.buffer)),
            Node::Op(op) => {
                for v in op.args.iter().filter_map(Operand::var).filter(buffer) {
                    event(BufferEvent::Read(v));
                    if matches!(op.prim, crate::ir::Prim::Call) && op.pullback.is_none() {
                        event(BufferEvent::Passed(v, op.span));
                    }
                }
                if let (crate::ir::Prim::Slice, Some(v)) = (op.prim, op.args[0].var())
                    && buffer(&v)
                {
                    event(BufferEvent::Sliced(v, op.span));
                }
            }
            Node::Opaque { out, expr, uses } => {
                // `zero_like(&b)` reads only `b`'s length (second order makes a buffer's
                // tangent so, before the buffer's first write)
                let shape_only = matches!(expr, syn::Expr::Call(c)
                    if matches!(&*c.func, syn::Expr::Path(p)
                        if p.path.segments.last().is_some_and(|s| s.ident == "zero_like")));
                for v in uses.iter().copied().filter(buffer).filter(|_| !shape_only) {
                    event(if crate::syntax::mutates_buffer(expr, &f.var(v).ident) {
                        BufferEvent::Write(v)
                    } else {
                        BufferEvent::Read(v)
                    });
                }
                if buffer(out) {
                    event(BufferEvent::Declared(*out));
                }
            }
            Node::Branch(br) => {
                br.uses.iter().copied().filter(buffer).for_each(|v| event(BufferEvent::Read(v)));
                br.arms.iter().for_each(|a| buffer_events(f, &a.body, event));
            }
            Node::Loop(lp) => {
                for _ in 0..2 {
                    lp.uses
                        .iter()
                        .copied()
                        .filter(buffer)
                        .for_each(|v| event(BufferEvent::Read(v)));
                    buffer_events(f, &lp.body, event);
                }
            }
        }
    }
}

/// Calls `visit` for each operation in `b`, nested code included, in program order.
pub fn each_op(b: &Block, visit: &mut impl FnMut(&crate::ir::Op)) {
    for node in &b.nodes {
        match node {
            Node::Op(op) => visit(op),
            Node::Branch(br) => br.arms.iter().for_each(|a| each_op(&a.body, visit)),
            Node::Loop(lp) => each_op(&lp.body, visit),
            Node::Opaque { .. } | Node::Store(_) => {}
        }
    }
}

/// The buffers written after an event `mark` picks out (in program order, a loop's next
/// iteration after its last), each with the span of its first such event.
pub fn written_after(
    f: &Function,
    mark: impl Fn(&BufferEvent) -> Option<(Var, proc_macro2::Span)>,
) -> Vec<(Var, proc_macro2::Span)> {
    let mut marked: Vec<(Var, proc_macro2::Span)> = Vec::new();
    let mut out: Vec<(Var, proc_macro2::Span)> = Vec::new();
    buffer_events(f, &f.body, &mut |e| {
        if let Some(m) = mark(&e) {
            marked.push(m);
        } else if let BufferEvent::Declared(v) = e {
            // a new buffer (the next iteration's): what was passed on is not written
            marked.retain(|(p, _)| *p != v);
        } else if let BufferEvent::Write(v) = e
            && let Some((_, span)) = marked.iter().find(|(p, _)| *p == v)
            && !out.iter().any(|(o, _)| *o == v)
        {
            out.push((v, *span));
        }
    });
    out
}

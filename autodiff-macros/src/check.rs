//! Stage 4, check: the checks that need the whole lowered function (serde_derive's
//! `internals/check.rs` is the model), run once after lowering. Each reports every problem it
//! finds, with the span of the code at fault and a help line.

use crate::diagnostics::Errors;
use crate::ir::{Block, BufferEvent, Function, Node, Operand, Var, buffer_events, definitions};
use std::collections::HashSet;

/// Reports what the lowered `f` must not do: buffers passed to a function from inside a loop
/// that declares them, or written after a call they were passed to (the callee's adjoint,
/// run in the reverse sweep, would read the buffer as it is by then).
pub fn check(f: &Function, errors: &mut Errors) {
    let from_loops = buffers_passed_from_loops(f);
    for (v, span) in &from_loops {
        errors.error(
            *span,
            format!("the buffer `{}` is declared inside a loop and passed to a function", f.var(*v).ident),
            "declare the buffer before the loop and pass it on after the loop, or pass its elements (`g(b[0], b[1])`)",
        );
    }
    for (_, span) in buffers_written_after_slices(f) {
        errors.error(
            span,
            "a sub-slice of a buffer that is written after it",
            "take sub-slices of a buffer after its last write (or index the buffer itself, `b[a + i]`)",
        );
    }
    let passed_from_loops = |v: &Var| from_loops.iter().any(|(o, _)| o == v);
    for (v, span) in
        buffers_written_after_calls(f).into_iter().filter(|(v, _)| !passed_from_loops(v))
    {
        errors.error(
            span,
            format!("the buffer `{}` is passed to a function and written afterwards", f.var(v).ident),
            "fill the buffer completely before passing it on, and write later values into another buffer",
        );
    }
}

/// Buffers written after they are passed to a function, with the call's span: the callee's
/// adjoint, run in the reverse sweep, would read the buffer as it is by then. A write in a loop
/// that also passes the buffer on counts (the next iteration writes after this one's call).
pub fn buffers_written_after_calls(f: &Function) -> Vec<(Var, proc_macro2::Span)> {
    written_after(f, |e| match e {
        BufferEvent::Passed(v, span) => Some((*v, *span)),
        _ => None,
    })
}

/// Buffers written after a sub-slice of them is taken (`&b[a..c]`), with the sub-slice's span:
/// reverse mode takes the sub-slice again where its adjoint reads it, and must see the values it
/// saw. A write in a loop that also takes the sub-slice counts (the next iteration writes after).
pub fn buffers_written_after_slices(f: &Function) -> Vec<(Var, proc_macro2::Span)> {
    written_after(f, |e| match e {
        BufferEvent::Sliced(v, span) => Some((*v, *span)),
        _ => None,
    })
}

/// The buffers written after an event `mark` picks out (in program order, a loop's next
/// iteration after its last), each with the span of its first such event.
fn written_after(
    f: &Function,
    mark: impl Fn(&BufferEvent) -> Option<(Var, proc_macro2::Span)>,
) -> Vec<(Var, proc_macro2::Span)> {
    let mut marked: Vec<(Var, proc_macro2::Span)> = Vec::new();
    let mut out: Vec<(Var, proc_macro2::Span)> = Vec::new();
    buffer_events(f, &f.body, &mut |e| {
        if let Some(m) = mark(&e) {
            marked.push(m);
        } else if let BufferEvent::Write(v) = e
            && let Some((_, span)) = marked.iter().find(|(p, _)| *p == v)
            && !out.iter().any(|(o, _)| *o == v)
        {
            out.push((v, *span));
        }
    });
    out
}

/// Buffers declared inside a loop body (at any depth) and passed to a function, with the call's
/// span. The callee's adjoint runs in the loop's adjoint, where such a buffer is not the one
/// the call saw (the adjoint has it as declared, before its writes).
pub fn buffers_passed_from_loops(f: &Function) -> Vec<(Var, proc_macro2::Span)> {
    fn walk(
        f: &Function,
        b: &Block,
        in_loop: bool,
        local: &mut HashSet<Var>,
        out: &mut Vec<(Var, proc_macro2::Span)>,
    ) {
        for node in &b.nodes {
            if in_loop {
                local.extend(definitions(node).into_iter().filter(|v| f.var(*v).buffer));
            }
            match node {
                Node::Op(op) if matches!(op.prim, crate::ir::Prim::Call) => {
                    for v in op.args.iter().filter_map(Operand::var) {
                        if local.contains(&v) && !out.iter().any(|(o, _)| *o == v) {
                            out.push((v, op.span));
                        }
                    }
                }
                Node::Branch(br) => {
                    br.arms.iter().for_each(|a| walk(f, &a.body, in_loop, local, out))
                }
                Node::Loop(lp) => walk(f, &lp.body, true, local, out),
                _ => {}
            }
        }
    }
    let mut out = Vec::new();
    walk(f, &f.body, false, &mut HashSet::new(), &mut out);
    out
}

//! Stage 4, check: the checks that need the whole lowered function (serde_derive's
//! `internals/check.rs` is the model), run once after lowering. Each reports every problem it
//! finds, with the span of the code at fault and a help line.

use crate::diagnostics::Errors;
use crate::ir::{Block, BufferEvent, Function, Node, Operand, Var, buffer_events, definitions};

/// Reports what the lowered `f` must not do: buffers written after a call they were passed to
/// (the callee's adjoint, run in the reverse sweep, would read the buffer as it is by then) or
/// after a sub-slice of them was taken. (A buffer declared inside a loop and passed to a
/// function is checked once reverse mode has chosen how the loop runs: [`loop_buffers_refused`].)
pub fn check(f: &Function, errors: &mut Errors) {
    for (_, span) in buffers_written_after_slices(f) {
        errors.error(
            span,
            "a sub-slice of a buffer that is written after it",
            "take sub-slices of a buffer after its last write (or index the buffer itself, `b[a + i]`)",
        );
    }
    for (v, span) in buffers_written_after_calls(f) {
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

/// Buffers declared inside a loop body and passed to a function, with the call's span and
/// the innermost loop declaring them. The callee's adjoint runs in that loop's adjoint, which
/// must have the buffer as the call saw it: so the loop's adjoint must run each iteration again
/// (rerun) or right after its primal (fused); else the buffer is as declared, before its writes.
pub fn buffers_passed_from_loops(f: &Function) -> Vec<(Var, proc_macro2::Span, usize)> {
    // `local`: (a buffer or a sub-slice of one, the buffer, the loop declaring it)
    fn walk(
        f: &Function,
        b: &Block,
        in_loop: Option<usize>,
        local: &mut Vec<(Var, Var, usize)>,
        out: &mut Vec<(Var, proc_macro2::Span, usize)>,
    ) {
        for node in &b.nodes {
            if let Some(id) = in_loop {
                local.extend(
                    definitions(node).into_iter().filter(|v| f.var(*v).buffer).map(|v| (v, v, id)),
                );
            }
            match node {
                // `&c[a..b]`: passing it on passes the buffer
                Node::Op(op) if matches!(op.prim, crate::ir::Prim::Slice) => {
                    if let Some(&(_, root, id)) =
                        op.args[0].var().and_then(|v| local.iter().find(|(l, _, _)| *l == v))
                    {
                        local.push((op.out, root, id));
                    }
                }
                // (a call in split mode: its pullback holds what its adjoint reads)
                Node::Op(op)
                    if matches!(op.prim, crate::ir::Prim::Call) && op.pullback.is_none() =>
                {
                    for v in op.args.iter().filter_map(Operand::var) {
                        if let Some(&(_, root, id)) = local.iter().find(|(l, _, _)| *l == v)
                            && !out.iter().any(|(o, _, _)| *o == root)
                        {
                            out.push((root, op.span, id));
                        }
                    }
                }
                Node::Branch(br) => {
                    br.arms.iter().for_each(|a| walk(f, &a.body, in_loop, local, out))
                }
                Node::Loop(lp) => walk(f, &lp.body, Some(lp.id), local, out),
                _ => {}
            }
        }
    }
    let mut out = Vec::new();
    walk(f, &f.body, None, &mut Vec::new(), &mut out);
    out
}

/// The buffers of [`buffers_passed_from_loops`] whose loop's adjoint, as reverse mode planned
/// it, does not have them as the calls saw them (`rebuilt(id)`: whether loop `id`'s adjoint
/// runs each iteration again or right after its primal, `None` for a loop without adjoint),
/// each with the call's span.
pub fn loop_buffers_refused(
    f: &Function,
    rebuilt: impl Fn(usize) -> Option<bool>,
) -> Vec<(Var, proc_macro2::Span)> {
    buffers_passed_from_loops(f)
        .into_iter()
        .filter(|(_, _, id)| rebuilt(*id) == Some(false))
        .map(|(v, span, _)| (v, span))
        .collect()
}

/// Reports [`loop_buffers_refused`].
pub fn report_loop_buffers(
    f: &Function,
    refused: &[(Var, proc_macro2::Span)],
    errors: &mut Errors,
) {
    for (v, span) in refused {
        errors.error(
            *span,
            format!(
                "the buffer `{}` is declared inside a loop whose iterations cannot be run again, and passed to a function",
                f.var(*v).ident
            ),
            "the call's adjoint needs the buffer as the call saw it: a `for` loop without `break` whose body changes no state outside it runs each iteration again for that; or pass the buffer's elements (`g(b[0], b[1])`)",
        );
    }
}

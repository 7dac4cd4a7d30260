//! Stage 4, check: the checks that need the whole lowered function (serde_derive's
//! `internals/check.rs` is the model), run once after lowering. Each reports every problem it
//! finds, with the span of the code at fault and a help line.

use crate::diagnostics::Errors;
use crate::ir::{Block, BufferEvent, Function, Node, Operand, Var, definitions};

/// Reports what the lowered `f` must not do: buffers written after a sub-slice of them was
/// taken. (A buffer passed to a call and written afterwards is passed as a copy, see
/// `lower::snapshots`; a buffer declared inside a loop and passed to a function is checked once
/// reverse mode has chosen how the loop runs: [`loop_buffers_refused`].)
pub fn check(f: &Function, errors: &mut Errors) {
    for (_, span) in buffers_written_after_slices(f) {
        errors.error(
            span,
            "a sub-slice of a buffer that is written after it",
            "take sub-slices of a buffer after its last write (or index the buffer itself, `b[a + i]`)",
        );
    }
}

/// Buffers written after a sub-slice of them is taken (`&b[a..c]`), with the sub-slice's span:
/// reverse mode takes the sub-slice again where its adjoint reads it, and must see the values it
/// saw. A write in a loop that also takes the sub-slice counts (the next iteration writes after).
pub fn buffers_written_after_slices(f: &Function) -> Vec<(Var, proc_macro2::Span)> {
    crate::ir::written_after(f, |e| match e {
        BufferEvent::Sliced(v, span) => Some((*v, *span)),
        _ => None,
    })
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
            "the call's adjoint needs the buffer as the call saw it: pass the whole buffer (`g(&b)`: the call is then given a copy, kept for its adjoint) or a new buffer holding the sub-slice's elements, not a sub-slice of it",
        );
    }
}

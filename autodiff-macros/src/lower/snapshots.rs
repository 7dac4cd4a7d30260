//! A buffer passed to a call and written after it (a state vector handed to a force helper,
//! then updated in place: `let f = forces(&pos); pos[i] += dt * v[i];`): the call is passed a
//! copy of the buffer, taken right before it. The call's adjoint (its `_vjp`, run in the
//! reverse sweep) then reads the buffer as the call saw it, not as later writes left it:
//!
//! ```text
//! t = call forces(pos)      =>      pos_copy = copy(pos); t = call forces(pos_copy)
//! ```
//!
//! The copy's adjoint adds into the whole buffer's. In a loop the copy is recorded (as a read of
//! a changing buffer is): the forward sweep keeps it on the loop's tape. Calls in split mode
//! need none (their pullback owns what it reads).

use crate::ir::{Block, BufferEvent, Form, Function, Node, Op, Operand, Prim, Var, VarInfo};
use std::collections::HashSet;

/// Gives each call that is passed a buffer written after it a copy of the buffer instead.
pub fn copy_buffers_passed_before_writes(f: &mut Function) {
    let written: HashSet<Var> = crate::ir::written_after(f, |e| match e {
        BufferEvent::Passed(v, span) => Some((*v, *span)),
        _ => None,
    })
    .into_iter()
    .map(|(v, _)| v)
    .collect();
    copy_buffers_for_calls(f, &written);
}

/// Gives each call that is passed one of `buffers` a copy of it instead: also a buffer declared
/// inside a loop whose adjoint cannot rebuild each iteration's (`check::loop_buffers_refused`,
/// known once reverse mode has planned the loops: an integrator's stage vectors, `let mut k2 =
/// ..; rhs(&k2)` in a time loop). The copy is kept from the forward sweep, never recomputed.
pub fn copy_buffers_for_calls(f: &mut Function, buffers: &HashSet<Var>) {
    if buffers.is_empty() {
        return;
    }
    let mut body = std::mem::take(&mut f.body);
    let mut names: HashSet<String> = f.vars.iter().map(|v| v.name.clone()).collect();
    copy_in(&mut body, f, buffers, &mut names);
    f.body = body;
}

fn copy_in(b: &mut Block, f: &mut Function, written: &HashSet<Var>, names: &mut HashSet<String>) {
    for mut node in std::mem::take(&mut b.nodes) {
        match &mut node {
            Node::Op(op) if matches!(op.prim, Prim::Call) && op.pullback.is_none() => {
                for a in op.args.iter_mut() {
                    let Some(v) = a.var().filter(|v| written.contains(v)) else { continue };
                    let copy = new_copy(f, v, names);
                    b.nodes.push(Node::Op(Op {
                        out: copy,
                        prim: Prim::Copy,
                        form: Form::Copy,
                        args: vec![Operand::Var(v)],
                        span: op.span,
                        pullback: None,
                    }));
                    *a = match a {
                        Operand::Ref(_) => Operand::Ref(copy),
                        _ => Operand::Var(copy),
                    };
                }
            }
            Node::Branch(br) => {
                br.arms.iter_mut().for_each(|arm| copy_in(&mut arm.body, f, written, names))
            }
            Node::Loop(lp) => copy_in(&mut lp.body, f, written, names),
            _ => {}
        }
        b.nodes.push(node);
    }
}

/// A new value to hold a copy of buffer `v`, named after it.
fn new_copy(f: &mut Function, v: Var, names: &mut HashSet<String>) -> Var {
    let buffer = f.var(v);
    let stem = format!("{}_copy", buffer.name);
    let mut name = stem.clone();
    let mut n = 0;
    while names.contains(&name) {
        n += 1;
        name = format!("{stem}_{n}");
    }
    names.insert(name.clone());
    let mut info = VarInfo::local(name, buffer.kind, buffer.varied);
    info.ty = buffer.ty.clone();
    f.vars.push(info);
    Var(f.vars.len() - 1)
}

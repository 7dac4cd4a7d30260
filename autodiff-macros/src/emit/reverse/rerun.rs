//! The adjoint of a loop whose iterations use scratch buffers: each iteration is run again,
//! backwards, right before its adjoint, instead of taping what the body reads back from
//! buffers it overwrites (a checkpoint per iteration, in the language of Griewank's book).
//!
//! ```text
//! forward sweep                        adjoint sweep
//! for c in 0..k {                      for c in (0..k).rev() {
//!     xc[j] = x[j] - mu[c*d + j]  ∀j       (pop the carried values, if any)
//!     .. reads of xc ..                    xc[j] = x[j] - mu[c*d + j]  ∀j   recording, as the
//!     push(carried values)                 .. reads of xc ..               forward sweep would
//! }                                        adjoint of the body
//!                                      }
//! ```
//!
//! It is chosen when the body reads buffers from outside it that each iteration writes before
//! reading ([`crate::analyse::iteration_private`]), or passes a buffer it declares to a call
//! (whose adjoint needs the buffer as the call saw it): within one run of the body such a buffer
//! is frozen, so loops inside recompute their reads of it instead of taping them, and their
//! tapes (if any) hold one iteration. Everything else the body reads must hold the same values
//! when the iteration runs again: frozen buffers, values assigned once, nothing that observes
//! being run twice.

use super::Reverse;
use super::branches::head_observes;
use super::sweep::Sweep;
use crate::ir::{
    Block, BufferEvent, Loop, LoopHead, Node, Operand, Var, buffer_events, defined_within,
};
use crate::syntax::observes;
use proc_macro2::{Ident, TokenStream};
use quote::quote;
use std::collections::HashSet;

impl Reverse<'_, '_> {
    /// The adjoint of `lp` by running each iteration again (the plan chose it: see
    /// [`Reverse::reruns_iterations`]), popping the carried values in `taped`, if any.
    pub(super) fn rerun(&mut self, lp: &Loop, taped: Option<Vec<Ident>>) -> TokenStream {
        let cx = self.cx;
        let rt = &cx.rt;
        let LoopHead::Range { pat, iter } = &lp.head else { return TokenStream::new() };
        // Within one run of the body, its own buffers are frozen as well.
        let region = crate::analyse::frozen_in(cx.f, &lp.body);
        let outer = self.frozen.clone();
        self.frozen.extend(region);
        let (mut out, carries) = self.loop_prologue(lp);
        let iteration = self.loop_iteration(lp, &carries);
        let again = self.forward(&lp.body, Sweep::Record);
        self.frozen = outer;
        let pop = match taped {
            Some(taped) => {
                let t = super::tape(lp.id);
                quote!(let #rt::Some((#(#taped,)*)) = #t.pop() else { break; };)
            }
            None => TokenStream::new(),
        };
        let views = self.view_decls(lp);
        out.extend(quote!(#views for #pat in (#iter).rev() { #pop #again #iteration }));
        out.extend(self.loop_epilogue(lp, &carries));
        out
    }

    /// Whether `lp`'s adjoint runs each iteration again (`Some`), when that is sound and saves
    /// tapes: a range not inside another such iteration, whose body reads buffers from outside
    /// that each iteration writes before reading ([`crate::analyse::iteration_private`]) or
    /// passes a buffer it declares to a call, and runs again alike.
    pub(super) fn reruns_iterations(&self, lp: &Loop) -> Option<()> {
        let cx = self.cx;
        let LoopHead::Range { iter, .. } = &lp.head else { return None };
        if self.in_iteration
            || observes(iter)
            || lp.exits
            || lp.uses.iter().any(|v| self.changing(*v))
        {
            return None;
        }
        let private = crate::analyse::iteration_private(cx.f, lp, false)?;
        // (a buffer the body declares and passes to a call: the call's adjoint needs it as the
        // call saw it, which running the iteration again rebuilds)
        let passes_own =
            crate::check::buffers_passed_from_loops(cx.f).iter().any(|(_, _, id)| *id == lp.id);
        let chosen = (!private.is_empty() || passes_own) && self.runs_again_alike(lp, &private);
        chosen.then_some(())
    }

    /// Whether running an iteration of `lp` again gives the values it gave: nothing in it
    /// observes being run (a generator's draw, state changed in place), and every buffer from
    /// outside that it reads is frozen or written by the body itself before it is read.
    fn runs_again_alike(&self, lp: &Loop, private: &HashSet<Var>) -> bool {
        let cx = self.cx;
        let mut local = HashSet::new();
        defined_within(&lp.body, &mut local);
        let mut alike = self.repeatable(&lp.body);
        buffer_events(cx.f, &lp.body, &mut |e| {
            if let BufferEvent::Read(v) | BufferEvent::Passed(v, _) = e
                && !local.contains(&v)
                && !private.contains(&v)
                && !self.frozen.contains(&v)
            {
                alike = false;
            }
        });
        alike
    }

    /// Whether code run twice does the same: no expression that observes being run, no call in
    /// split mode, no state changed in place.
    fn repeatable(&self, b: &Block) -> bool {
        let changed = |vs: &[Var]| vs.iter().any(|v| self.cx.changed.contains(v));
        b.nodes.iter().all(|node| match node {
            // (a call in split mode runs once)
            Node::Op(op) => {
                op.pullback.is_none()
                    && !op
                        .args
                        .iter()
                        .filter_map(Operand::var)
                        .any(|v| self.cx.changed.contains(&v))
            }
            Node::Store(_) => true,
            Node::Opaque { expr, uses, .. } => !observes(expr) && !changed(uses),
            Node::Branch(br) => {
                !head_observes(br)
                    && !changed(&br.uses)
                    && br.arms.iter().all(|a| self.repeatable(&a.body))
            }
            Node::Loop(inner) => {
                let head = match &inner.head {
                    LoopHead::Range { iter, .. } | LoopHead::Iter { iter, .. } => observes(iter),
                    LoopHead::While(cond) => observes(cond),
                    LoopHead::Loop => false,
                };
                !head && !changed(&inner.uses) && self.repeatable(&inner.body)
            }
        })
    }
}

//! The adjoint of a branch: each arm hands what its adjoint reads (the plan's hand-over) to the
//! adjoint sweep in an `Option` (`Some` for the arm taken), and the adjoint sweep runs the
//! taken arm's adjoint.

use super::{Reverse, slot};
use crate::ir::{Block, Branch, Node, branch_inner, read_within};
use crate::syntax::{observes, pattern_observes};
use proc_macro2::TokenStream;
use quote::quote;
use std::collections::HashSet;

impl Reverse<'_, '_> {
    /// `if let Some(saved) = slot_0 { adjoint of arm 0 } else if let ...`
    pub(super) fn branch(&mut self, br: &Branch) -> TokenStream {
        if !self.branch_has_adjoint(br) {
            return TokenStream::new();
        }
        let cx = self.cx;
        let rt = &cx.rt;
        let adjoints: Vec<Option<TokenStream>> = br
            .outs
            .iter()
            .map(|o| {
                let bar = cx.bar(*o);
                (cx.active.contains(o) && self.declared.contains(o))
                    .then(|| quote!(#rt::Clone::clone(&#bar)))
            })
            .collect();
        let mut read = HashSet::new();
        br.arms.iter().for_each(|a| read_within(&a.body, &mut read));
        let mut out = self.predeclare(&branch_inner(br), read);
        let mut arms = Vec::new();
        for (k, arm) in br.arms.iter().enumerate() {
            let declared = self.declared.clone();
            let code = self.block(&arm.body, &adjoints);
            self.declared = declared;
            let saved = self.plan.arms.get(&(br.id, k)).cloned().unwrap_or_default();
            let s = slot(br, k);
            arms.push(quote!(if let #rt::Some((#(#saved,)*)) = #s { #code }));
        }
        out.extend(quote!(#(#arms)else*));
        out
    }

    pub(super) fn branch_has_adjoint(&self, br: &Branch) -> bool {
        branch_inner(br).iter().any(|v| self.cx.active.contains(v))
            || br.arms.iter().any(|a| self.writes_active_buffer(&a.body))
    }

    /// Whether code writes into a buffer with an adjoint: its adjoint moves or clears the
    /// elements' adjoints even when it defines no active value (`b[k] = x`, `b[k] = 0.0`).
    pub(super) fn writes_active_buffer(&self, b: &Block) -> bool {
        b.nodes.iter().any(|n| match n {
            Node::Store(st) => self.cx.active.contains(&st.buffer),
            Node::Branch(br) => br.arms.iter().any(|a| self.writes_active_buffer(&a.body)),
            Node::Loop(lp) => self.writes_active_buffer(&lp.body),
            Node::Op(_) | Node::Opaque { .. } => false,
        })
    }
}

/// Whether a branch chooses its arm by an expression that could observe being run twice
/// (`if rng.uniform() < p`, a guard calling a user's function).
pub(super) fn head_observes(br: &Branch) -> bool {
    let head = match &br.head {
        crate::ir::Head::If(c) | crate::ir::Head::Match(c) => c,
    };
    observes(head) || br.arms.iter().filter_map(|a| a.pat.as_ref()).any(pattern_observes)
}

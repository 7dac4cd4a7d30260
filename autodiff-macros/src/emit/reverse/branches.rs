//! The adjoint of a branch: each arm hands what its adjoint reads to the adjoint sweep in an
//! `Option` (`Some` for the arm taken), and the adjoint sweep runs the taken arm's adjoint.

use super::{Reverse, slot};
use crate::ir::{Block, Branch, Node, Operand, Var, branch_inner, definitions, read_within};
use crate::syntax::{observes, pattern_names, pattern_observes};
use proc_macro2::{Ident, TokenStream};
use quote::quote;
use std::collections::{BTreeSet, HashSet};

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
            self.reads.push(BTreeSet::new());
            let code = self.block(&arm.body, &adjoints);
            let reads = self.reads.pop().unwrap_or_default();
            self.declared = declared;
            // What the arm defines and its adjoint code reads is handed over; the rest is
            // read from the enclosing scope.
            // (A `match` arm's pattern bindings too: `Some(&j) => .. x[j] ..`.)
            let here: HashSet<Var> = arm.body.nodes.iter().flat_map(definitions).collect();
            let bound = arm.pat.as_ref().map(pattern_names).unwrap_or_default();
            let mut saved: Vec<Ident> = Vec::new();
            for v in reads {
                if here.contains(&v) || bound.contains(&cx.id(v).to_string()) {
                    saved.push(cx.id(v).clone());
                } else {
                    self.read(&Operand::Var(v));
                }
            }
            for node in &arm.body.nodes {
                if let Node::Branch(inner) = node
                    && self.branch_has_adjoint(inner)
                {
                    (0..inner.arms.len()).for_each(|j| saved.push(slot(inner, j)));
                }
            }
            let s = slot(br, k);
            arms.push(quote!(if let #rt::Some((#(#saved,)*)) = #s { #code }));
            self.plan.arms.insert((br.id, k), saved);
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

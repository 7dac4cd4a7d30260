//! The forward sweep: the primal, keeping what the adjoint sweep reads (branches hand over
//! their arms' values, loops push their tapes).

use super::loops::costly;
use super::{Reverse, marks, slot, tape};
use crate::ir::{Block, LoopHead, Node};
use crate::syntax::observes;
use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote};

/// What a forward sweep keeps for the adjoint sweep.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Sweep {
    /// Branches hand over what their arms' adjoints read; loops push their tapes.
    Record,
    /// Inside a loop body, which its adjoint recomputes: only branches the adjoint cannot
    /// recompute hand over their values; loops push their tapes.
    Body,
    /// Inside the body of a loop whose adjoint runs each iteration again (the rerun strategy):
    /// nothing, that run records what the adjoint needs.
    Plain,
}

impl Sweep {
    /// The sweep of a loop body inside this one.
    fn loop_body(self) -> Sweep {
        match self {
            Sweep::Plain => Sweep::Plain,
            Sweep::Record | Sweep::Body => Sweep::Body,
        }
    }
}

impl Reverse<'_, '_> {
    /// The forward sweep of `block`.
    pub(super) fn forward(&self, block: &Block, sweep: Sweep) -> TokenStream {
        block.nodes.iter().map(|n| self.forward_node(n, sweep)).collect()
    }

    pub(super) fn forward_node(&self, node: &Node, sweep: Sweep) -> TokenStream {
        let cx = self.cx;
        let rt = &cx.rt;
        match node {
            Node::Opaque { out: v, expr, .. } => {
                let (b, expr) = (cx.binding(*v), cx.inactive(*v, expr));
                quote!(let #b = #expr;)
            }
            // A call in split mode: its value and its pullback, for the adjoint.
            Node::Op(op) if let Some(pullback) = op.pullback => {
                let (b, pb) = (cx.binding(op.out), cx.id(pullback));
                let (callee, args) = cx.companion(op, "pullback");
                let args = args.iter().map(|a| cx.argument(a));
                quote!(let (#b, #pb) = #callee(#(#args),*);)
            }
            Node::Op(op) => {
                let (b, primal) = (cx.binding(op.out), cx.primal(op));
                quote!(let #b = #primal;)
            }
            Node::Store(st) => cx.store(st, None),
            Node::Branch(br) => {
                let keeps = match sweep {
                    Sweep::Record => self.branch_has_adjoint(br),
                    Sweep::Body => {
                        (self.recorded(node) || costly(node)) && self.branch_has_adjoint(br)
                    }
                    Sweep::Plain => false,
                };
                let mut pattern: Vec<Ident> = br.outs.iter().map(|v| cx.id(*v).clone()).collect();
                if keeps {
                    pattern.extend((0..br.arms.len()).map(|k| slot(br, k)));
                }
                let arms: Vec<TokenStream> = br
                    .arms
                    .iter()
                    .enumerate()
                    .map(|(k, arm)| {
                        // A kept branch's nested branches hand over their values too.
                        let code =
                            self.forward(&arm.body, if keeps { Sweep::Record } else { sweep });
                        // Tensors yielded are copies (handles): the value may be read again.
                        let mut values: Vec<TokenStream> =
                            arm.body.yields.iter().map(|y| cx.owned(y)).collect();
                        // The saved copies are taken before the yielded values move out.
                        let mut keep = TokenStream::new();
                        if keeps {
                            let saved =
                                self.plan.arms.get(&(br.id, k)).cloned().unwrap_or_default();
                            let kept = format_ident!("__keep", span = Span::mixed_site());
                            let saved = saved.iter().map(|v| self.kept_copy(v));
                            keep = quote!(let #kept = #rt::Some((#(#saved,)*)););
                            for j in 0..br.arms.len() {
                                values.push(if j == k { quote!(#kept) } else { quote!(#rt::None) });
                            }
                        }
                        quote!({ #code #keep (#(#values),*) })
                    })
                    .collect();
                let branch = cx.branch(br, &arms);
                quote!(let (#(#pattern),*) = #branch;)
            }
            Node::Loop(lp) => {
                let mut out = TokenStream::new();
                for c in &lp.carried {
                    let (o, init) = (cx.id(c.out), cx.owned(&c.init));
                    out.extend(quote!(let mut #o = #init;));
                }
                // A loop records its tape wherever it runs in the forward sweep (its adjoint never
                // runs it again); its body runs as the body of a loop, since its adjoint
                // recomputes it, or plain when the adjoint runs each iteration again.
                let taped =
                    self.plan.tape(lp.id).map(<[Ident]>::to_vec).filter(|_| sweep != Sweep::Plain);
                let t = tape(lp.id);
                let body = if self.plan.reruns(lp.id) { Sweep::Plain } else { sweep.loop_body() };
                let mut rest = self.forward(&lp.body, body);
                if let Some(fields) = &taped {
                    if self.plan.marked(lp.id) {
                        let m = marks(lp.id);
                        out.extend(quote!(#m.push(#t.len());));
                    }
                    // The head is evaluated once more for its size hint, unless that could be
                    // observed (`0..rng.count()`), or it is not an iterator itself (`counts` of
                    // `for &k in counts`, a slice: `IntoIterator` only).
                    let reserved = match &lp.head {
                        LoopHead::Range { iter, .. } | LoopHead::Iter { iter, .. }
                            if !observes(iter) && makes_iterator(iter) =>
                        {
                            out.extend(quote!(#t.reserve(#rt::Iterator::size_hint(&(#iter)).0);));
                            matches!(lp.head, LoopHead::Range { .. })
                        }
                        _ => false,
                    };
                    let fields = fields.iter().map(|v| self.kept_copy(v));
                    let entry = quote!((#(#fields,)*));
                    // An integer range's size hint is its trip count: the reserve above holds
                    // every push, and a push without a growth path (a call) keeps the loop's
                    // values in registers.
                    rest.extend(if reserved {
                        quote!(#rt::push_reserved(&mut #t, #entry);)
                    } else {
                        quote!(#t.push(#entry);)
                    });
                }
                if sweep != Sweep::Plain {
                    for (j, (_, b)) in self.plan.kept(lp.id).iter().enumerate() {
                        let k = super::loops::kept_values(lp.id, j);
                        rest.extend(quote!(#rt::keep(&mut #k, &#b);));
                    }
                }
                for (c, y) in lp.carried.iter().zip(&lp.body.yields) {
                    let (o, v) = (cx.id(c.out), cx.operand(y));
                    rest.extend(quote!(#o = #v;));
                }
                out.extend(cx.loop_head(lp, cx.loop_starts(lp, false), rest));
                out
            }
        }
    }
}

/// Whether an expression is an iterator as syntax shows it: a range, or an adapter or method
/// that makes one (`x.iter()`, `.zip(..)`, `.enumerate()`).
fn makes_iterator(e: &syn::Expr) -> bool {
    match e {
        syn::Expr::Paren(p) => makes_iterator(&p.expr),
        syn::Expr::Range(_) => true,
        syn::Expr::MethodCall(m) => matches!(
            m.method.to_string().as_str(),
            "iter"
                | "iter_mut"
                | "into_iter"
                | "zip"
                | "enumerate"
                | "map"
                | "rev"
                | "skip"
                | "take"
                | "step_by"
                | "filter"
                | "windows"
                | "chunks"
                | "chunks_exact"
                | "copied"
                | "cloned"
                | "keys"
                | "values"
                | "chars"
        ),
        _ => false,
    }
}

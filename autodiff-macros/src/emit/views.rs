//! Views: a range loop that reads a sequence at `a + c` takes the sub-slice it reads once,
//! before the loop, so that its reads need no bounds check of their own. Rust checks `x[a + c]`
//! in every iteration; a hand-written loop avoids it by slicing first, and so does the code
//! reverse mode writes (forward and adjoint sweeps). Forward mode reads as written: on
//! Rosenbrock, views let LLVM vectorise the tangent's in-order float sum, which ran slower.
//!
//! ```text
//! for c in 0..n { .. x[a + c] .. }          (a, n simple and the same in every iteration;
//!                                             the loop has no exit; the read is unconditional)
//!   => let __view3_0 = view(&x, a, n);      one check, before the loop
//!      for c in 0..n { .. __view3_0[c] .. } c < n == the view's length: no check
//! ```
//!
//! A parameter's adjoint buffer gets a view the same way (`view_mut`) when every read of the
//! parameter anywhere inside the loop is at that same `a + c`: the loop's adjoint then adds
//! into `__bar_view3_0[c]`, and nothing else inside the loop borrows the buffer.
//!
//! A view of `n > 0` elements panics before the loop where the loop would have panicked in an
//! iteration: every iteration reads its element.

use crate::ir::{Block, Function, Loop, LoopHead, Node, Operand, Prim, Var, loop_inner};
use crate::kind::{Kind, Seq};
use crate::syntax::is_simple;
use crate::syntax::mentions_ident;
use proc_macro2::{Ident, Span};
use quote::{ToTokens, format_ident};
use std::collections::{HashMap, HashSet};
use syn::Expr;
use syn::visit_mut::VisitMut;

/// The sub-slice one loop reads of one sequence.
pub struct View {
    /// The view's name.
    pub name: Ident,
    /// Its adjoint buffer's view, if it has one.
    pub bar: Option<Ident>,
    /// The sequence viewed.
    pub seq: Var,
    /// The first element read (`a`) and the trip count (`n`).
    pub start: Expr,
    pub len: Expr,
    /// The values `a` and `n` read.
    pub uses: Vec<Var>,
}

/// Every view of a function.
#[derive(Default)]
pub struct Views {
    /// Per loop (by id): the views to take before it.
    pub loops: HashMap<usize, Vec<View>>,
    /// Per element read (by the value read): its view's name, its adjoint view's and the
    /// loop's index (`view[c]`).
    pub reads: HashMap<Var, (Ident, Option<Ident>, Expr)>,
}

/// Finds the views of `f`; `active`: the values with adjoints.
pub fn views(f: &Function, active: &HashSet<Var>) -> Views {
    let mut out = Views::default();
    walk(f, &f.body, active, &mut out);
    out
}

fn walk(f: &Function, b: &Block, active: &HashSet<Var>, out: &mut Views) {
    for node in &b.nodes {
        match node {
            Node::Branch(br) => br.arms.iter().for_each(|a| walk(f, &a.body, active, out)),
            Node::Loop(lp) => {
                walk(f, &lp.body, active, out);
                loop_views(f, lp, active, out);
            }
            Node::Op(_) | Node::Opaque { .. } | Node::Store(_) => {}
        }
    }
}

/// The views of one loop (its own body's reads; nested loops have theirs).
fn loop_views(f: &Function, lp: &Loop, active: &HashSet<Var>, out: &mut Views) {
    let LoopHead::Range { pat: syn::Pat::Ident(pi), iter } = &lp.head else { return };
    // (A head that reads a buffer is evaluated once: the reverse sweep tapes its index.)
    let reads_buffer = lp.uses.iter().any(|v| f.var(*v).buffer);
    if lp.exits || reads_buffer || pi.subpat.is_some() || pi.by_ref.is_some() {
        return;
    }
    let Some((first, len)) = trip_count(iter) else { return };
    let index = &pi.ident;
    // Element `c` of a view is read at `c - s`.
    let at: Expr = if is_zero(&first) {
        syn::parse_quote!(#index)
    } else {
        syn::parse_quote!((#index - (#first)))
    };
    let inner = loop_inner(lp);
    // The index values computed at the body's top level as `a + c`.
    let mut offsets: HashMap<Var, (Expr, Vec<Var>)> = HashMap::new();
    for n in &lp.body.nodes {
        if let Node::Opaque { out: v, expr, uses } = n
            && let Some(o) = invariant_offset(expr, index, &first, uses, &inner, &lp.bound)
        {
            offsets.insert(*v, o);
        }
    }
    let viewable = |seq: &Var| {
        let info = f.var(*seq);
        matches!(info.kind, Kind::Seq(Seq::Slice | Seq::Array | Seq::Vec))
            && !info.buffer
            && !inner.contains(seq)
    };
    // The reads at `a + c`: elements of active sequences (operations), and of
    // inactive ones (inactive expressions `x[a + c]` as written).
    let mut candidates: Vec<(Var, Var, Expr, Vec<Var>)> = Vec::new();
    for n in &lp.body.nodes {
        match n {
            Node::Op(op) => {
                if let (Prim::Index, [Operand::Var(seq), Operand::Var(i)]) = (op.prim, &op.args[..])
                    && viewable(seq)
                {
                    if let Some((a, uses)) = offsets.get(i) {
                        candidates.push((op.out, *seq, a.clone(), uses.clone()));
                    } else if lp.bound.contains(i) && f.var(*i).ident == *index {
                        // `x[c]`
                        candidates.push((op.out, *seq, first.clone(), Vec::new()));
                    }
                }
            }
            Node::Opaque { out: v, expr: Expr::Index(ix), uses } => {
                let Expr::Path(p) = &*ix.expr else { continue };
                let seq = uses.iter().find(|u| p.path.is_ident(&f.var(**u).ident));
                if let Some(seq) = seq.filter(|s| viewable(s))
                    && let Some((a, a_uses)) =
                        invariant_offset(&ix.index, index, &first, uses, &inner, &lp.bound)
                {
                    candidates.push((*v, *seq, a, a_uses));
                }
            }
            _ => {}
        }
    }
    let mut views: Vec<View> = Vec::new();
    let mut keys: Vec<(Var, String)> = Vec::new();
    let mut reads: Vec<(Var, usize)> = Vec::new();
    for (read, seq, a, uses) in candidates {
        let key = (seq, a.to_token_stream().to_string());
        let k = match keys.iter().position(|k| *k == key) {
            Some(k) => k,
            None => {
                let mut uses: Vec<Var> = uses.iter().copied().filter(|u| *u != seq).collect();
                uses.extend(&lp.uses);
                views.push(View {
                    name: format_ident!(
                        "__view{}_{}",
                        lp.id,
                        keys.len(),
                        span = Span::mixed_site()
                    ),
                    bar: None,
                    seq,
                    start: a.clone(),
                    len: len.clone(),
                    uses,
                });
                keys.push(key);
                keys.len() - 1
            }
        };
        reads.push((read, k));
    }
    // An adjoint view where the loop reads its parameter only through this view.
    for (k, view) in views.iter_mut().enumerate() {
        let seq = view.seq;
        if !active.contains(&seq) || f.var(seq).param.is_none() {
            continue;
        }
        let through_view: HashSet<Var> =
            reads.iter().filter(|(_, j)| *j == k).map(|(v, _)| *v).collect();
        if only_through(&lp.body, seq, &through_view) {
            view.bar = Some(format_ident!("__bar_view{}_{}", lp.id, k, span = Span::mixed_site()));
        }
    }
    for (v, k) in reads {
        let view = &views[k];
        out.reads.insert(v, (view.name.clone(), view.bar.clone(), at.clone()));
    }
    if !views.is_empty() {
        out.loops.insert(lp.id, views);
    }
}

/// The start `s` and the trip count of a range `s..e` with simple bounds: `e`, or
/// `usize::saturating_sub(e, s)` (an empty range has none; a loop with views indexes with its
/// counter, a `usize`).
fn trip_count(iter: &Expr) -> Option<(Expr, Expr)> {
    match iter {
        Expr::Paren(p) => trip_count(&p.expr),
        Expr::Range(r) if matches!(r.limits, syn::RangeLimits::HalfOpen(_)) => {
            let (start, end) = (r.start.as_deref()?, r.end.as_deref()?);
            if !is_simple(start) || !is_simple(end) {
                return None;
            }
            let len = if is_zero(start) {
                end.clone()
            } else {
                syn::parse_quote!(usize::saturating_sub(#end, #start))
            };
            Some((start.clone(), len))
        }
        _ => None,
    }
}

fn is_zero(e: &Expr) -> bool {
    matches!(e, Expr::Lit(l) if matches!(&l.lit, syn::Lit::Int(i) if i.base10_digits() == "0"))
}

/// For an index that is simple, the same in every iteration but for `c` (what it reads, `uses`,
/// is defined outside the loop), and `c` plus or minus terms without `c` (see [`unit`]): the
/// index at the first iteration, `c = s`, and what it reads.
fn invariant_offset(
    index: &Expr,
    c: &Ident,
    first: &Expr,
    uses: &[Var],
    inner: &HashSet<Var>,
    bound: &[Var],
) -> Option<(Expr, Vec<Var>)> {
    if !is_simple(index) || unit(index, c) != Some(true) {
        return None;
    }
    let mut start = index.clone();
    Substitute { name: c, by: first }.visit_expr_mut(&mut start);
    uses.iter()
        .all(|u| !inner.contains(u) || bound.contains(u))
        .then(|| (start, uses.iter().copied().filter(|u| !bound.contains(u)).collect()))
}

/// Whether `e` is `c` plus or minus terms without `c` (`Some(true)`: `a + c`, `c + a - 1`),
/// has no `c` (`Some(false)`), or neither (`None`: `c * d`, `a - c`).
fn unit(e: &Expr, c: &Ident) -> Option<bool> {
    match e {
        _ if !mentions_ident(e.to_token_stream(), c) => Some(false),
        Expr::Path(p) if p.path.is_ident(c) => Some(true),
        Expr::Paren(p) => unit(&p.expr, c),
        Expr::Binary(b) => match (&b.op, unit(&b.left, c)?, unit(&b.right, c)?) {
            (syn::BinOp::Add(_), l, r) if l != r => Some(true),
            (syn::BinOp::Sub(_), true, false) => Some(true),
            _ => None,
        },
        _ => None,
    }
}

/// Replaces the name `name` by `(by)`.
struct Substitute<'a> {
    name: &'a Ident,
    by: &'a Expr,
}

impl syn::visit_mut::VisitMut for Substitute<'_> {
    fn visit_expr_mut(&mut self, e: &mut Expr) {
        if matches!(e, Expr::Path(p) if p.path.is_ident(self.name)) {
            let by = self.by;
            *e = syn::parse_quote!((#by));
        } else {
            syn::visit_mut::visit_expr_mut(self, e);
        }
    }
}

/// Whether every operation inside `b` that reads `seq` is one of the reads `allowed`.
fn only_through(b: &Block, seq: Var, allowed: &HashSet<Var>) -> bool {
    b.nodes.iter().all(|n| match n {
        Node::Op(op) => !op.args.iter().any(|a| a.var() == Some(seq)) || allowed.contains(&op.out),
        Node::Branch(br) => br.arms.iter().all(|a| only_through(&a.body, seq, allowed)),
        Node::Loop(lp) => only_through(&lp.body, seq, allowed),
        Node::Opaque { .. } | Node::Store(_) => true,
    })
}

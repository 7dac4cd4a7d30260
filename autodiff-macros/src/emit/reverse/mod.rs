//! Reverse mode. Input: the IR. Output: the body of `f_vjp`: a forward sweep (the primal,
//! keeping what the adjoint sweep needs) and then the adjoint sweep, the nodes in reverse
//! order, each adding its contributions into its operands' adjoints:
//!
//! ```text
//! t1 = mul(c, t0)      forward: let t1 = c * t0;
//!                      reverse: accumulate(c_bar, rules::mul_vjp_0(&(), &t0, &(), &t1_bar));
//!                               let mut t0_bar = rules::mul_vjp_1(&c, &(), &(), &t1_bar);
//! ```
//!
//! What is kept: adjoints are declared at their first contribution (a value's last use), so a
//! value nobody differentiates gets no code. Rules read only what their formula needs (`&()`
//! for the rest). Values computed inside a branch arm leave scope with the arm: the arm hands
//! the ones its adjoint reads to the adjoint sweep in an `Option` (one per arm, `Some` for the
//! arm taken). A loop's adjoint runs its iterations backwards (a range with `.rev()`, anything
//! else by popping a tape) and *recomputes* each iteration's cheap values from the values
//! carried into it: only carried values the adjoint needs, the items of non-range iterators and
//! the results of nested loops go on the loop's tape, one entry per iteration. Nested loops are
//! not recomputed: they push their own tapes during the forward sweep, in exactly the order
//! their adjoints pop them. Each tape is a `Vec` declared once per call, reserved to the trip
//! count when it is known. What a loop's adjoint cannot see into (a draw from a random number
//! generator, anything [`crate::syntax::observes`] flags) is never run again: its value goes on
//! the tape.
//!
//! This file holds the adjoint of a block and of single operations; by construct:

mod branches; // arms hand their values over in an `Option`
mod calls; // a call's `_vjp`, adding into the caller's buffers
mod fusion; // an accumulation loop's adjoint inside the forward loop
mod loops; // loops backwards: recompute, tape, replay
pub mod plan; // how each loop's adjoint runs and what it tapes
mod rerun; // a loop with scratch buffers: each iteration run again before its adjoint
mod sweep; // the forward sweep, keeping what the adjoint reads (or plain)

use super::context::Ctx;
use crate::analyse::frozen_buffers;
use crate::ir::{Block, Branch, Form, Loop, Node, Operand, Prim, Var, definitions};
use crate::kind::Kind;
use plan::Plan;
pub use plan::Strategy;
use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote};
use std::collections::{BTreeSet, HashMap, HashSet};
use sweep::Sweep;

/// The body of `f_vjp` and the plan it follows: the seed's identifier is `seed`, parameter
/// adjoints are `&mut` buffers named by [`Ctx::bar`].
pub fn planned_body(cx: &Ctx<'_>) -> (TokenStream, Plan) {
    let result = cx.operand(cx.f.result());
    planned_body_returning(cx, result)
}

/// The plan of `f_vjp`'s body alone, made without writing code (see [`plan`]).
pub fn plan(cx: &Ctx<'_>) -> Plan {
    let mut rev = Reverse::new(cx);
    rev.plan_body(&cx.f.body, true);
    rev.plan
}

/// The body of `f_vjp` ending in `result` (an expression of values in scope at the end of the
/// function's body) instead of the function's result, and the plan it follows.
pub fn planned_body_returning(cx: &Ctx<'_>, result: TokenStream) -> (TokenStream, Plan) {
    let mut rev = Reverse::new(cx);
    rev.plan_body(&cx.f.body, true);
    let seed = Ident::new("seed", Span::mixed_site());
    let code = match rev.fused(&cx.f.body, &seed) {
        Some(code) => code,
        None => {
            let forward = rev.forward(&cx.f.body, Sweep::Record);
            let adjoint = rev.block(&cx.f.body, &[Some(quote!(#seed))]);
            quote!(#forward #adjoint)
        }
    };
    let decls = rev.tape_declarations();
    (quote! { #decls #code #result }, rev.plan)
}

/// The two halves of `f_pullback`'s body (split mode): the forward sweep (declaring the tapes
/// it fills) and the adjoint sweep, which reads `seed` and the parameters' adjoint buffers and
/// runs later, in the pullback. No loop is fused: the seed is not known during the forward
/// sweep.
pub fn split_body(cx: &Ctx<'_>) -> (TokenStream, TokenStream, Plan) {
    let mut rev = Reverse::new(cx);
    rev.plan_body(&cx.f.body, false);
    let seed = Ident::new("seed", Span::mixed_site());
    let forward = rev.forward(&cx.f.body, Sweep::Record);
    let adjoint = rev.block(&cx.f.body, &[Some(quote!(#seed))]);
    let decls = rev.tape_declarations();
    (quote!(#decls #forward), adjoint, rev.plan)
}

fn tape(id: usize) -> Ident {
    format_ident!("__tape{}", id, span = Span::mixed_site())
}

/// Where a nested loop of data-dependent length keeps its tape's length at each start.
fn marks(id: usize) -> Ident {
    format_ident!("__marks{}", id, span = Span::mixed_site())
}

fn slot(br: &Branch, arm: usize) -> Ident {
    format_ident!("__branch{}_{}", br.id, arm, span = Span::mixed_site())
}

fn carry(lp: &Loop, j: usize) -> Ident {
    format_ident!("__carry{}_{}", lp.id, j, span = Span::mixed_site())
}

struct Reverse<'c, 'a> {
    cx: &'c Ctx<'a>,
    /// Values whose adjoint is declared and in scope.
    declared: HashSet<Var>,
    /// How each loop's adjoint runs, what it tapes, what each arm hands over: made first
    /// (plan/build.rs), then read by the emitters of both sweeps.
    plan: Plan,
    /// (planning) The primal values the adjoint code reads, one set per nested arm or
    /// iteration.
    reads: Vec<BTreeSet<Var>>,
    /// A counter for the names of callee adjoint buffers.
    parts: usize,
    /// Sub-slices read once, with their operands (see [`crate::analyse::slices_read_once`]).
    slices: HashMap<Var, Vec<Operand>>,
    /// Buffers never written after they are read: their reads are recomputed, not recorded.
    frozen: HashSet<Var>,
    /// (planning) How many loops enclose the adjoint code being planned.
    depth: usize,
    /// (planning) Whether that code runs within one iteration's forward code (one run again):
    /// tapes pushed there are popped before the next iteration, so they stay short and
    /// nothing inside needs to run again to avoid them.
    in_iteration: bool,
    /// What the forward sweep keeps that nothing but the adjoint reads, moved (not cloned)
    /// onto tapes and out of arms: the pullbacks of calls in split mode (each called once, and
    /// not `Clone`) and the `Option`s arms hand over (which may hold pullbacks).
    moved: HashSet<Ident>,
    /// Every sub-slice `&x[a..b]`, with its operands (whole, start, end).
    sub_slices: HashMap<Var, Vec<Operand>>,
}

/// The identifiers of the pullbacks of `cx`'s calls in split mode and of the `Option`s its
/// branches' arms hand over.
fn moved(cx: &Ctx<'_>) -> HashSet<Ident> {
    fn walk(b: &Block, cx: &Ctx<'_>, out: &mut HashSet<Ident>) {
        for node in &b.nodes {
            match node {
                Node::Op(op) => out.extend(op.pullback.map(|p| cx.id(p).clone())),
                Node::Branch(br) => {
                    out.extend((0..br.arms.len()).map(|k| slot(br, k)));
                    br.arms.iter().for_each(|a| walk(&a.body, cx, out));
                }
                Node::Loop(lp) => walk(&lp.body, cx, out),
                Node::Opaque { .. } | Node::Store(_) => {}
            }
        }
    }
    let mut out = HashSet::new();
    walk(&cx.f.body, cx, &mut out);
    out
}

impl<'c, 'a> Reverse<'c, 'a> {
    fn new(cx: &'c Ctx<'a>) -> Self {
        Reverse {
            cx,
            declared: HashSet::new(),
            reads: vec![BTreeSet::new()],
            plan: Plan::default(),
            parts: 0,
            frozen: frozen_buffers(cx.f),
            slices: crate::analyse::slices_read_once(cx.f),
            depth: 0,
            in_iteration: false,
            moved: moved(cx),
            sub_slices: {
                let mut out = HashMap::new();
                crate::ir::each_op(&cx.f.body, &mut |op| {
                    if matches!(op.prim, Prim::Slice) {
                        out.insert(op.out, op.args.clone());
                    }
                });
                out
            },
        }
    }

    /// The declarations of the tapes, marks and kept buffers the plan uses, once per call.
    fn tape_declarations(&self) -> TokenStream {
        let rt = &self.cx.rt;
        let loops = &self.plan.loops;
        let tapes = loops.iter().filter(|(_, l)| l.tape.is_some()).map(|(id, _)| {
            let t = tape(*id);
            quote!(let mut #t = #rt::Vec::new();)
        });
        let marks = loops.iter().filter(|(_, l)| l.strategy == Strategy::Marked).map(|(id, _)| {
            let m = marks(*id);
            quote!(let mut #m: #rt::Vec<usize> = #rt::Vec::new();)
        });
        let kept = loops.iter().flat_map(|(id, l)| {
            (0..l.kept.len()).map(|j| {
                let k = loops::kept_values(*id, j);
                quote!(let mut #k = #rt::Vec::new();)
            })
        });
        quote!(#(#tapes)* #(#marks)* #(#kept)*)
    }
}

impl Reverse<'_, '_> {
    /// What goes on a tape or out of an arm for the value `id`: a copy (tensors are handles),
    /// or the value itself when only the adjoint reads it (see `Reverse::moved`).
    pub(super) fn kept_copy(&self, id: &Ident) -> TokenStream {
        let rt = &self.cx.rt;
        match self.moved.contains(id) {
            true => quote!(#id),
            false => quote!(#rt::Clone::clone(&#id)),
        }
    }

    /// Adds `contribution` into the adjoint of `o` (declaring it at the first contribution).
    pub(super) fn contribute(&mut self, o: &Operand, contribution: TokenStream) -> TokenStream {
        let Some(v) = &o.var() else { return TokenStream::new() };
        if !self.cx.active.contains(v) {
            return TokenStream::new();
        }
        let (rt, bar) = (&self.cx.rt, self.cx.bar(*v));
        if self.cx.f.var(*v).param.is_some() {
            // A tensor parameter's buffer may be a caller's discard buffer: skip the work.
            if self.cx.f.var(*v).kind == Kind::Tensor {
                quote!(if #rt::wanted(&*#bar) { #rt::accumulate(#bar, #contribution); })
            } else {
                quote!(#rt::accumulate(#bar, #contribution);)
            }
        } else if self.declared.contains(v) {
            quote!(#rt::accumulate(&mut #bar, #contribution);)
        } else {
            self.declared.insert(*v);
            quote!(let mut #bar = #contribution;)
        }
    }

    /// The adjoint code of a block whose yields receive the given adjoints.
    pub(super) fn block(
        &mut self,
        block: &Block,
        yield_adjoints: &[Option<TokenStream>],
    ) -> TokenStream {
        let cx = self.cx;
        let rt = &cx.rt;
        // A buffer written in place has one adjoint for the block that declares it (the
        // function, or one run of a loop body or an arm), as long as the buffer it starts from.
        let mut out = TokenStream::new();
        let buffers = block.nodes.iter().flat_map(definitions);
        for v in buffers.filter(|v| cx.f.var(*v).buffer && cx.active.contains(v)) {
            let (bar, id) = (cx.bar(v), cx.id(v));
            match cx.f.var(v).length {
                // pushed into: as long as it is at the block's end
                Some(len) => {
                    let n = cx.id(len);
                    out.extend(quote!(let mut #bar = #rt::adjoint_of_length(&#id, #n);));
                }
                None => out.extend(quote!(let mut #bar = #rt::zero_adjoint(&#id);)),
            }
            self.declared.insert(v);
        }
        for (y, adj) in block.yields.iter().zip(yield_adjoints) {
            if let Some(adj) = adj {
                out.extend(self.contribute(y, adj.clone()));
            }
        }
        for node in block.nodes.iter().rev() {
            let code = self.node(node);
            out.extend(code);
        }
        out
    }

    pub(super) fn node(&mut self, node: &Node) -> TokenStream {
        let cx = self.cx;
        let rt = &cx.rt;
        match node {
            Node::Opaque { .. } => TokenStream::new(),
            Node::Store(st) => {
                use crate::ir::StoreOp;
                if !cx.active.contains(&st.buffer) {
                    return TokenStream::new();
                }
                let (bar, i) = (cx.bar(st.buffer), cx.operand(&st.index));
                let element = quote!(#rt::Clone::clone(&#bar[#i]));
                let mut out = match st.op {
                    StoreOp::Sub => {
                        self.contribute(&st.value, quote!(#rt::rules::neg_vjp(&(), &(), &#bar[#i])))
                    }
                    _ => self.contribute(&st.value, element),
                };
                if st.op == StoreOp::Set {
                    out.extend(quote!(#bar[#i] = #rt::zero_adjoint(&#bar[#i]);));
                }
                out
            }
            Node::Op(op) if !cx.active.contains(&op.out) || !self.declared.contains(&op.out) => {
                TokenStream::new()
            }
            Node::Op(op) => {
                let g = cx.bar(op.out);
                let mut out = TokenStream::new();
                match op.prim {
                    Prim::Rule(rule)
                        if cx.square(op, rule).is_some_and(|v| cx.active.contains(&v)) =>
                    {
                        let x = &op.args[0];
                        let value = cx.value(x);
                        let c = quote!(#rt::rules::square_vjp(&#value, &#g));
                        out.extend(self.contribute(x, c));
                    }
                    Prim::Rule(rule) => {
                        for (k, a) in op.args.iter().enumerate() {
                            if rule.diff[k] && cx.is_active(a) {
                                let c = cx.rule_call(op, rule, "vjp", k, &g);
                                out.extend(self.contribute(a, c));
                            }
                        }
                    }
                    // An element, a sub-slice or a field: its adjoint adds into the same place
                    // of the whole's adjoint, which is declared (zeros) at the first such read.
                    Prim::Index | Prim::Slice | Prim::Field | Prim::Element => {
                        if let Some(whole) = op.args[0].var().filter(|v| cx.active.contains(v)) {
                            let bar = cx.bar(whole);
                            let place = match (op.prim, cx.views.reads.get(&op.out)) {
                                (Prim::Field, _) => cx.place(op, &quote!(#bar)),
                                (Prim::Element, _) => {
                                    let k = match op.form {
                                        Form::Element(k) => syn::Index::from(k),
                                        _ => syn::Index::from(0),
                                    };
                                    quote!(#bar.#k)
                                }
                                (Prim::Slice, _) => {
                                    let (start, end) =
                                        (cx.operand(&op.args[1]), cx.operand(&op.args[2]));
                                    quote!(#bar[#start..#end])
                                }
                                (_, Some((_, Some(view), c))) => quote!(#view[#c]),
                                _ => {
                                    let i = cx.operand(&op.args[1]);
                                    quote!(#bar[#i])
                                }
                            };
                            if cx.f.var(whole).param.is_none() && !self.declared.contains(&whole) {
                                let id = cx.id(whole);
                                self.declared.insert(whole);
                                out.extend(quote!(let mut #bar = #rt::zero_adjoint(&#id);));
                            }
                            let add = quote!(#rt::accumulate(&mut #place, #rt::Clone::clone(&#g)););
                            out.extend(match op.prim {
                                Prim::Field => {
                                    let skipped = cx.skipped(op);
                                    quote!(if !#skipped { #add })
                                }
                                _ => add,
                            });
                        }
                    }
                    // a copy of a whole buffer: its adjoint adds into the buffer's
                    Prim::Copy => {
                        out.extend(self.contribute(&op.args[0], quote!(#rt::Clone::clone(&#g))))
                    }
                    Prim::Store => {
                        let i = cx.operand(&op.args[1]);
                        if cx.is_active(&op.args[2]) {
                            out.extend(
                                self.contribute(&op.args[2], quote!(#rt::Clone::clone(&#g[#i]))),
                            );
                        }
                        if cx.is_active(&op.args[0]) {
                            let d = proc_macro2::Ident::new(
                                "__autodiff_sum",
                                proc_macro2::Span::mixed_site(),
                            );
                            let rest = quote!({ let mut #d = #rt::Clone::clone(&#g); #d[#i] = #rt::zero_adjoint(&#d[#i]); #d });
                            out.extend(self.contribute(&op.args[0], rest));
                        }
                    }
                    // `vec![v; n]`: every entry's adjoint reaches `v`
                    Prim::Build if matches!(op.form, Form::Repeat) => {
                        let v = &op.args[0];
                        if cx.is_active(v) {
                            let value = cx.value(v);
                            let c = quote!(#rt::sum_of_repeated(&#g, &#value));
                            out.extend(self.contribute(v, c));
                        }
                    }
                    Prim::Build => {
                        // `[a, b]` and vectors: the k-th entry; a matrix's `new` takes its
                        // entries row by row, `(k / columns, k % columns)`.
                        let shape = match &op.form {
                            Form::Path(p) => crate::syntax::algebra_new_shape(&p.path),
                            _ => None,
                        };
                        for (k, a) in op.args.iter().enumerate() {
                            let entry = match shape {
                                _ if matches!(op.form, Form::Tuple) => {
                                    let k = syn::Index::from(k);
                                    quote!(#g.#k)
                                }
                                Some((rows, cols)) if rows > 1 && cols > 1 => {
                                    let (r, c) = (k / cols, k % cols);
                                    quote!(#g[(#r, #c)])
                                }
                                _ => {
                                    let k = syn::Index::from(k);
                                    quote!(#g[#k])
                                }
                            };
                            out.extend(self.contribute(a, quote!(#rt::Clone::clone(&#entry))));
                        }
                    }
                    Prim::Call => out.extend(self.call(op, &g)),
                }
                out
            }
            Node::Branch(br) => self.branch(br),
            Node::Loop(lp) => self.lp(lp),
        }
    }

    /// The values from outside nested code (not in `inner`) that it reads whose adjoints are
    /// not declared yet, in order: [`Reverse::predeclare`] declares them.
    pub(super) fn predeclared(&self, inner: &HashSet<Var>, read: HashSet<Var>) -> Vec<Var> {
        let cx = self.cx;
        let mut outer: Vec<Var> = read
            .into_iter()
            .filter(|v| {
                !inner.contains(v)
                    && cx.active.contains(v)
                    && cx.f.var(*v).param.is_none()
                    && !self.declared.contains(v)
            })
            .collect();
        outer.sort();
        outer
    }

    /// Declares, before nested code, the adjoints of values from outside it (not in `inner`)
    /// that it reads and so may add into: they must outlive the arm or iteration.
    pub(super) fn predeclare(&mut self, inner: &HashSet<Var>, read: HashSet<Var>) -> TokenStream {
        let cx = self.cx;
        let rt = &cx.rt;
        let mut out = TokenStream::new();
        for v in self.predeclared(inner, read) {
            let (bar, id) = (cx.bar(v), cx.id(v));
            out.extend(quote!(let mut #bar = #rt::zero_adjoint(&#id);));
            self.declared.insert(v);
        }
        out
    }
}

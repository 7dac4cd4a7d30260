//! Reverse mode. Input: the IR. Output: the body of `f_vjp`: a forward sweep (the primal,
//! keeping what the adjoint sweep needs from inside branches) and then the adjoint sweep, the
//! nodes in reverse order, each adding its contributions into its operands' adjoints:
//!
//! ```text
//! t1 = mul(c, t0)      forward: let t1 = c * t0;
//!                      reverse: accumulate(c_bar, rules::mul_vjp_0(&c, &t0, &t1, &t1_bar));
//!                               let mut t0_bar = rules::mul_vjp_1(&c, &t0, &t1, &t1_bar);
//! ```
//!
//! Adjoints are declared at their first contribution, which is the value's last use in
//! program order, so a value nobody differentiates gets no code at all. Values computed inside
//! a branch arm go out of scope with the arm: the arm hands the ones its adjoint code reads to
//! the adjoint sweep in an `Option` (one per arm, `Some` for the arm taken), which also records
//! which arm ran. Nothing else is stored, and nothing allocates.

use super::context::Ctx;
use crate::analyse::{defined_within, read_within};
use crate::ir::{Block, Branch, Head, Node, Operand, Prim, Var};
use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote};
use std::collections::{BTreeSet, HashMap, HashSet};

/// The body of `f_vjp`: the seed's identifier is `seed`, parameter adjoints are `&mut` buffers
/// named by [`Ctx::bar`].
pub fn body(cx: &Ctx<'_>) -> TokenStream {
    let mut rev = Reverse {
        cx,
        declared: HashSet::new(),
        reads: vec![BTreeSet::new()],
        saves: HashMap::new(),
        parts: 0,
    };
    let seed = Ident::new("seed", Span::mixed_site());
    let adjoint = rev.block(&cx.f.body, &[Some(quote!(#seed))]);
    let forward = rev.forward(&cx.f.body);
    let result = cx.operand(cx.f.result());
    quote! { #forward #adjoint #result }
}

struct Reverse<'c, 'a> {
    cx: &'c Ctx<'a>,
    /// Values whose adjoint is declared and in scope.
    declared: HashSet<Var>,
    /// The primal values the adjoint code reads, one set per arm being emitted.
    reads: Vec<BTreeSet<Var>>,
    /// For each (branch, arm): what the arm hands to the adjoint sweep.
    saves: HashMap<(usize, usize), Vec<Ident>>,
    /// A counter for the names of callee adjoint buffers.
    parts: usize,
}

impl Reverse<'_, '_> {
    fn read(&mut self, o: &Operand) {
        if let (Some(v), Some(reads)) = (o.var(), self.reads.last_mut()) {
            reads.insert(v);
        }
    }

    /// Adds `contribution` into the adjoint of `o` (declaring it at the first contribution).
    fn contribute(&mut self, o: &Operand, contribution: TokenStream) -> TokenStream {
        let Some(v) = &o.var() else { return TokenStream::new() };
        if !self.cx.active.contains(v) {
            return TokenStream::new();
        }
        let (rt, bar) = (&self.cx.rt, self.cx.bar(*v));
        if self.cx.f.var(*v).param.is_some() {
            quote!(#rt::accumulate(#bar, #contribution);)
        } else if self.declared.contains(v) {
            quote!(#rt::accumulate(&mut #bar, #contribution);)
        } else {
            self.declared.insert(*v);
            quote!(let mut #bar = #contribution;)
        }
    }

    /// The adjoint code of a block whose yields receive the given adjoints.
    fn block(&mut self, block: &Block, yield_adjoints: &[Option<TokenStream>]) -> TokenStream {
        let mut out = TokenStream::new();
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

    fn node(&mut self, node: &Node) -> TokenStream {
        let cx = self.cx;
        let rt = &cx.rt;
        match node {
            Node::Opaque { .. } => TokenStream::new(),
            Node::Op(op) if !cx.active.contains(&op.out) || !self.declared.contains(&op.out) => {
                TokenStream::new()
            }
            Node::Op(op) => {
                let g = cx.bar(op.out);
                let mut out = TokenStream::new();
                match op.prim {
                    Prim::Rule(rule) => {
                        for (k, a) in op.args.iter().enumerate() {
                            if rule.diff[k] && cx.is_active(a) {
                                cx.rule_reads(op, rule, k).iter().for_each(|r| self.read(r));
                                let c = cx.rule_call(op, rule, "vjp", k, &g);
                                out.extend(self.contribute(a, c));
                            }
                        }
                    }
                    Prim::Index => {
                        if let Some(seq) = op.args[0].var().filter(|v| cx.active.contains(v)) {
                            self.read(&op.args[1]);
                            let (bar, i) = (cx.bar(seq), cx.operand(&op.args[1]));
                            out.extend(
                                quote!(#rt::accumulate(&mut #bar[#i], #rt::Clone::clone(&#g));),
                            );
                        }
                    }
                    Prim::Call => {
                        op.args.iter().for_each(|a| self.read(a));
                        let (callee, args) = cx.companion(op, "vjp");
                        let mut buffers = Vec::new();
                        let mut slots = Vec::new();
                        for a in args.iter().filter(|a| cx.has_slot(a)) {
                            let p =
                                format_ident!("__part{}", self.parts, span = Span::mixed_site());
                            self.parts += 1;
                            let x = cx.operand(a);
                            out.extend(quote!(let mut #p = #rt::zero_like(&#x);));
                            buffers.push(quote!(&mut #p));
                            slots.push((a.clone(), p));
                        }
                        let values = args.iter().map(|a| cx.argument(a));
                        out.extend(
                            quote!(#callee(#(#values,)* #rt::Clone::clone(&#g), #(#buffers),*);),
                        );
                        for (a, p) in slots {
                            out.extend(self.contribute(&a, quote!(#p)));
                        }
                    }
                }
                out
            }
            Node::Branch(br) => self.branch(br),
        }
    }

    /// Whether any adjoint flows through a branch.
    fn has_adjoint(&self, br: &Branch) -> bool {
        let mut inner = HashSet::new();
        br.arms.iter().for_each(|a| defined_within(&a.body, &mut inner));
        inner.extend(br.outs.iter().copied());
        inner.iter().any(|v| self.cx.active.contains(v))
    }

    fn slot(br: &Branch, arm: usize) -> Ident {
        format_ident!("__branch{}_{}", br.id, arm, span = Span::mixed_site())
    }

    /// `if let Some(saved) = slot_0 { adjoint of arm 0 } else if let ...`
    fn branch(&mut self, br: &Branch) -> TokenStream {
        if !self.has_adjoint(br) {
            return TokenStream::new();
        }
        let cx = self.cx;
        let rt = &cx.rt;
        let mut out = TokenStream::new();
        let adjoints: Vec<Option<TokenStream>> = br
            .outs
            .iter()
            .map(|o| {
                let bar = cx.bar(*o);
                (cx.active.contains(o) && self.declared.contains(o))
                    .then(|| quote!(#rt::Clone::clone(&#bar)))
            })
            .collect();
        // Adjoints of values from before the branch that its arms add into must outlive the arms.
        let mut inner = HashSet::new();
        let mut read = HashSet::new();
        for arm in &br.arms {
            defined_within(&arm.body, &mut inner);
            read_within(&arm.body, &mut read);
        }
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
        for v in outer {
            let (bar, id) = (cx.bar(v), cx.id(v));
            out.extend(quote!(let mut #bar = #rt::zero_like(&#id);));
            self.read(&Operand::Var(v));
            self.declared.insert(v);
        }
        let mut arms = Vec::new();
        for (k, arm) in br.arms.iter().enumerate() {
            let declared = self.declared.clone();
            self.reads.push(BTreeSet::new());
            let code = self.block(&arm.body, &adjoints);
            let reads = self.reads.pop().unwrap_or_default();
            self.declared = declared;
            // What the arm defines and its adjoint code reads is handed over; the rest is
            // read from the enclosing scope.
            let mut here = HashSet::new();
            direct_definitions(&arm.body, &mut here);
            let mut saved: Vec<Ident> = Vec::new();
            for v in reads {
                if here.contains(&v) {
                    saved.push(cx.id(v).clone());
                } else {
                    self.read(&Operand::Var(v));
                }
            }
            for node in &arm.body.nodes {
                if let Node::Branch(inner) = node
                    && self.has_adjoint(inner)
                {
                    (0..inner.arms.len()).for_each(|j| saved.push(Self::slot(inner, j)));
                }
            }
            let slot = Self::slot(br, k);
            arms.push(quote!(if let #rt::Some((#(#saved,)*)) = #slot { #code }));
            self.saves.insert((br.id, k), saved);
        }
        out.extend(quote!(#(#arms)else*));
        out
    }

    /// The forward sweep: the primal, with branches handing over what their arms' adjoint code
    /// needs.
    fn forward(&self, block: &Block) -> TokenStream {
        let cx = self.cx;
        let rt = &cx.rt;
        let mut out = TokenStream::new();
        for node in &block.nodes {
            match node {
                Node::Opaque { out: v, expr } => {
                    let b = cx.binding(*v);
                    out.extend(quote!(let #b = #expr;));
                }
                Node::Op(op) => {
                    let (b, primal) = (cx.binding(op.out), cx.primal(op));
                    out.extend(quote!(let #b = #primal;));
                }
                Node::Branch(br) => {
                    let keeps = self.has_adjoint(br);
                    let mut pattern: Vec<Ident> =
                        br.outs.iter().map(|v| cx.id(*v).clone()).collect();
                    if keeps {
                        pattern.extend((0..br.arms.len()).map(|k| Self::slot(br, k)));
                    }
                    let arms: Vec<TokenStream> = br
                        .arms
                        .iter()
                        .enumerate()
                        .map(|(k, arm)| {
                            let code = self.forward(&arm.body);
                            let mut values: Vec<TokenStream> =
                                arm.body.yields.iter().map(|y| cx.operand(y)).collect();
                            if keeps {
                                for j in 0..br.arms.len() {
                                    values.push(if j == k {
                                        let saved = self
                                            .saves
                                            .get(&(br.id, k))
                                            .cloned()
                                            .unwrap_or_default();
                                        quote!(#rt::Some((#(#rt::Clone::clone(&#saved),)*)))
                                    } else {
                                        quote!(#rt::None)
                                    });
                                }
                            }
                            quote!({ #code (#(#values),*) })
                        })
                        .collect();
                    let branch = match &br.head {
                        Head::If(cond) => {
                            let (then, els) = (&arms[0], &arms[1]);
                            quote!(if #cond #then else #els)
                        }
                        Head::Match(scrutinee) => {
                            let pats = br.arms.iter().map(|a| &a.pat);
                            quote!(match #scrutinee { #(#pats => #arms)* })
                        }
                    };
                    out.extend(quote!(let (#(#pattern),*) = #branch;));
                }
            }
        }
        out
    }
}

/// The values a block's own nodes define (not those of its nested branches' arms).
fn direct_definitions(b: &Block, out: &mut HashSet<Var>) {
    for node in &b.nodes {
        match node {
            Node::Op(op) => {
                out.insert(op.out);
            }
            Node::Opaque { out: v, .. } => {
                out.insert(*v);
            }
            Node::Branch(br) => out.extend(br.outs.iter().copied()),
        }
    }
}

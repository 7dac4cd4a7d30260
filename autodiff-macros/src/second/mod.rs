//! Second order: the *tangent function* of a lowered function, as IR.
//!
//! For `f(x) -> y` it builds `g(x, ẋ) -> ẏ` (forward mode written as IR: every varied value
//! followed by the operations computing its tangent, [`formulas`] for each rule), which reverse
//! mode then differentiates like any function (reverse over forward). Seeding `ẏ` with `s`,
//! the adjoint of `ẋ` is `s·∇f` and the adjoint of `x` is `s·∇²f·ẋ`: `f_hvp` in one forward
//! and one reverse sweep. Loops, branches, buffers and calls come for free from the reverse
//! planner (tapes hold tangents like any value); a call `g(a)` becomes its tangent
//! `(y, ẏ) = g_jvp(a, ȧ)` ([`crate::ir::Form::Tangent`]), whose adjoint calls `g_vjp` and
//! `g_hvp`.
//!
//! ```text
//! f:  t = sin(x); yield t           g:  t = sin(x); c = cos(x); t' = mul(c, x'); yield t'
//! ```

mod formulas;

use crate::diagnostics::Errors;
use crate::ir::{
    Arm, Block, Branch, Carried, Form, Function, Loop, Node, Op, Operand, Prim, Store, Var, VarInfo,
};
use crate::kind::{Kind, Seq};
use proc_macro2::{Span, TokenStream};
use quote::quote;
use std::collections::HashMap;

/// The tangent function of `f` and how its values relate to `f`'s.
pub struct Tangent {
    /// `g(params.., tangents..) -> ẏ`: `f`'s values keep their numbers.
    pub g: Function,
    /// Each active parameter of `f` with its tangent parameter in `g`, in order.
    pub dots: Vec<(Var, Var)>,
    /// The value of `f` (in scope at the end of `g`'s body).
    pub value: Operand,
}

/// Builds the tangent function of `f`; what has no second-order rule goes to `errors`.
/// `split_calls` names the functions the caller asked to call in split mode (`split(g, ..)`).
pub fn tangent(
    f: &Function,
    rt: &TokenStream,
    split_calls: &[String],
    errors: &mut Errors,
) -> Option<Tangent> {
    let mut tx = Tx {
        vars: f.vars.clone(),
        dot: HashMap::new(),
        rt: rt.clone(),
        problems: 0,
        split_calls: split_calls.to_vec(),
    };
    let mut params = f.params.clone();
    let mut dots = Vec::new();
    for &p in &f.params {
        let info = f.var(p);
        if !info.varied {
            continue;
        }
        let d = tx.fresh(p);
        tx.vars[d.0].param = Some(params.len());
        if info.kind == Kind::Seq(Seq::Vec) {
            // a `Vec` parameter's tangent is a slice
            tx.vars[d.0].kind = Kind::Seq(Seq::Slice);
            tx.vars[d.0].ty = None;
        }
        params.push(d);
        dots.push((p, d));
        tx.dot.insert(p, d);
    }
    let mut body = tx.block(&f.body, errors);
    let value = f.result().clone();
    let tangent = tx.tangent_or_zero(&mut body.nodes, &value);
    body.yields = vec![tangent];
    if tx.problems > 0 {
        return None;
    }
    let mut g = Function { vars: tx.vars, params, body, items: f.items.clone() };
    // (tangents of values that may be nalgebra values may be too)
    crate::lower::mark_maybe_algebra(&mut g);
    Some(Tangent { g, dots, value })
}

/// The transformation's state: `g`'s values so far and the tangent of each varied value.
struct Tx {
    vars: Vec<VarInfo>,
    dot: HashMap<Var, Var>,
    rt: TokenStream,
    problems: usize,
    /// Functions called in split mode on request: their second order goes through `_hvp`.
    split_calls: Vec<String>,
}

impl Tx {
    /// A new value like `v` (same kind and flags), for its tangent.
    fn fresh(&mut self, v: Var) -> Var {
        let mut info = self.vars[v.0].clone();
        info.name = format!("__d{}_{}", self.vars.len(), info.name);
        info.ident = proc_macro2::Ident::new(&info.name, Span::mixed_site());
        info.varied = true;
        info.param = None;
        self.vars.push(info);
        Var(self.vars.len() - 1)
    }

    /// A new value of `kind`.
    fn new_var(&mut self, kind: Kind, varied: bool) -> Var {
        let name = format!("__d{}", self.vars.len());
        self.vars.push(VarInfo::local(name, kind, varied));
        Var(self.vars.len() - 1)
    }

    fn varied(&self, o: &Operand) -> bool {
        o.var().is_some_and(|v| self.vars[v.0].varied)
    }

    fn kind(&self, o: &Operand) -> Kind {
        match o {
            Operand::Var(v) | Operand::Ref(v) => self.vars[v.0].kind,
            Operand::Const(e) => Kind::of_const(e),
        }
    }

    /// The tangent of an operand, `None` when it is zero.
    fn tangent(&self, o: &Operand) -> Option<Operand> {
        match o {
            Operand::Var(v) => self.dot.get(v).map(|d| Operand::Var(*d)),
            Operand::Ref(v) => self.dot.get(v).map(|d| Operand::Ref(*d)),
            Operand::Const(_) => None,
        }
    }

    /// An operand's value as an expression of the generated code.
    fn expr(&self, o: &Operand) -> TokenStream {
        match o {
            Operand::Var(v) | Operand::Ref(v) => {
                let id = &self.vars[v.0].ident;
                quote!(#id)
            }
            Operand::Const(e) => quote!((#e)),
        }
    }

    /// An inactive value computed as written: `expr`, reading `uses`.
    fn opaque(
        &mut self,
        nodes: &mut Vec<Node>,
        expr: TokenStream,
        uses: Vec<Var>,
        kind: Kind,
    ) -> Var {
        let out = self.new_var(kind, false);
        let expr = syn::parse2(expr).unwrap_or_else(|e| syn::Expr::Verbatim(e.to_compile_error()));
        nodes.push(Node::Opaque { out, expr, uses });
        out
    }

    /// A zero tangent shaped like `o`.
    fn zero(&mut self, nodes: &mut Vec<Node>, o: &Operand) -> Operand {
        let (rt, x) = (self.rt.clone(), self.expr(o));
        let kind = match self.kind(o) {
            Kind::Seq(Seq::Slice) => Kind::Seq(Seq::Vec),
            k => k,
        };
        let z =
            self.opaque(nodes, quote!(#rt::zero_like(&#x)), o.var().into_iter().collect(), kind);
        match o {
            Operand::Ref(_) => Operand::Ref(z),
            _ => Operand::Var(z),
        }
    }

    fn tangent_or_zero(&mut self, nodes: &mut Vec<Node>, o: &Operand) -> Operand {
        match self.tangent(o) {
            Some(t) => t,
            None => self.zero(nodes, o),
        }
    }

    fn block(&mut self, b: &Block, errors: &mut Errors) -> Block {
        let mut nodes = Vec::new();
        for node in &b.nodes {
            self.node(node, &mut nodes, errors);
        }
        Block { nodes, yields: b.yields.clone() }
    }

    fn node(&mut self, node: &Node, nodes: &mut Vec<Node>, errors: &mut Errors) {
        match node {
            Node::Opaque { out, .. } => {
                nodes.push(node.clone());
                if self.vars[out.0].buffer && self.vars[out.0].varied {
                    let d = self.fresh(*out);
                    let (rt, id) = (&self.rt, &self.vars[out.0].ident);
                    let expr = syn::parse_quote!(#rt::zero_like(&#id));
                    nodes.push(Node::Opaque { out: d, expr, uses: vec![*out] });
                    self.dot.insert(*out, d);
                }
            }
            Node::Store(st) => {
                nodes.push(node.clone());
                let Some(&d) = self.dot.get(&st.buffer) else { return };
                use crate::ir::StoreOp;
                let value = match (self.tangent(&st.value), st.op) {
                    (Some(t), _) => t,
                    (None, StoreOp::Set | StoreOp::Push) => self.zero(nodes, &st.value),
                    (None, StoreOp::Add | StoreOp::Sub) => return,
                };
                nodes.push(Node::Store(Store {
                    buffer: d,
                    index: st.index.clone(),
                    value,
                    op: st.op,
                }));
            }
            Node::Op(op) if !self.vars[op.out.0].varied => nodes.push(node.clone()),
            Node::Op(op) => self.op(op, nodes, errors),
            Node::Branch(br) => {
                let mut outs = br.outs.clone();
                let varied: Vec<Var> =
                    br.outs.iter().copied().filter(|v| self.vars[v.0].varied).collect();
                let arms = br
                    .arms
                    .iter()
                    .map(|arm| {
                        let mut body = self.block(&arm.body, errors);
                        for (v, y) in br.outs.iter().zip(&arm.body.yields) {
                            if self.vars[v.0].varied {
                                let t = self.tangent_or_zero(&mut body.nodes, y);
                                body.yields.push(t);
                            }
                        }
                        Arm { pat: arm.pat.clone(), body }
                    })
                    .collect();
                for v in varied {
                    let d = self.fresh(v);
                    outs.push(d);
                    self.dot.insert(v, d);
                }
                nodes.push(Node::Branch(Branch {
                    id: br.id,
                    head: br.head.clone(),
                    arms,
                    outs,
                    uses: br.uses.clone(),
                }));
            }
            Node::Loop(lp) => {
                let mut carried = lp.carried.clone();
                let mut inits = Vec::new();
                for c in &lp.carried {
                    if self.vars[c.out.0].varied {
                        let init = self.tangent_or_zero(nodes, &c.init);
                        let (phi, out) = (self.fresh(c.phi), self.fresh(c.out));
                        self.dot.insert(c.phi, phi);
                        inits.push((c.out, init, phi, out));
                    }
                }
                let mut body = self.block(&lp.body, errors);
                let exit = lp.exits.then(|| body.yields.pop()).flatten();
                for (c, y) in lp.carried.iter().zip(&lp.body.yields) {
                    if self.vars[c.out.0].varied {
                        let t = self.tangent_or_zero(&mut body.nodes, y);
                        body.yields.push(t);
                    }
                }
                body.yields.extend(exit);
                for (v, init, phi, out) in inits {
                    carried.push(Carried { init, phi, out });
                    self.dot.insert(v, out);
                }
                nodes.push(Node::Loop(Loop {
                    id: lp.id,
                    head: lp.head.clone(),
                    bound: lp.bound.clone(),
                    carried,
                    body,
                    exits: lp.exits,
                    uses: lp.uses.clone(),
                }));
            }
        }
    }

    /// A varied operation and the operations computing its tangent.
    fn op(&mut self, op: &Op, nodes: &mut Vec<Node>, errors: &mut Errors) {
        let kind = self.vars[op.out.0].kind;
        let tangent = match op.prim {
            Prim::Call => {
                self.call(op, nodes, errors);
                return;
            }
            Prim::Rule(rule) => {
                nodes.push(Node::Op(op.clone()));
                match formulas::tangent(self, op, rule, nodes) {
                    Some(t) => t,
                    None => {
                        errors.error(
                            op.span,
                            format!("`hessian` has no second-order rule for `{}` yet", rule.name),
                            "compute this value with operations that have one, or leave `hessian` out",
                        );
                        self.problems += 1;
                        return;
                    }
                }
            }
            Prim::Field => {
                if kind == Kind::Seq(Seq::Slice) {
                    errors.error(
                        op.span,
                        "`hessian` cannot differentiate a model's field borrowed as a slice yet",
                        "read its elements where they are used (`m.w[i]`), or leave `hessian` out",
                    );
                    self.problems += 1;
                    return;
                }
                nodes.push(Node::Op(op.clone()));
                let Some(model) = self.tangent(&op.args[0]) else { return };
                let mut args = op.args.clone();
                args[0] = model;
                let form = Form::Tangent(Box::new(op.form.clone()), 0);
                self.push(nodes, op.prim, form, args, kind, op.span)
            }
            Prim::Index | Prim::Slice | Prim::Copy | Prim::Element => {
                nodes.push(Node::Op(op.clone()));
                let Some(whole) = self.tangent(&op.args[0]) else { return };
                let mut args = op.args.clone();
                args[0] = whole;
                self.push(nodes, op.prim, op.form.clone(), args, kind, op.span)
            }
            Prim::Store => {
                nodes.push(Node::Op(op.clone()));
                let array = self.tangent_or_zero(nodes, &op.args[0]);
                let value = self.tangent_or_zero(nodes, &op.args[2]);
                let args = vec![array, op.args[1].clone(), value];
                self.push(nodes, op.prim, op.form.clone(), args, kind, op.span)
            }
            // (`vec![v; n]`: the tangent is `n` copies of `v`'s)
            Prim::Build if matches!(op.form, Form::Repeat) => {
                nodes.push(Node::Op(op.clone()));
                let args = vec![self.tangent_or_zero(nodes, &op.args[0]), op.args[1].clone()];
                self.push(nodes, op.prim, op.form.clone(), args, kind, op.span)
            }
            Prim::Build => {
                nodes.push(Node::Op(op.clone()));
                let args = op.args.iter().map(|a| self.tangent_or_zero(nodes, a)).collect();
                self.push(nodes, op.prim, op.form.clone(), args, kind, op.span)
            }
        };
        if let Some(d) = tangent.var() {
            // (the tangent of a buffer made by an operation, `let mut v = vec![a, b];`, is
            // written in place with it)
            if self.vars[op.out.0].buffer {
                let (scoped, length) = (self.vars[op.out.0].scoped, self.vars[op.out.0].length);
                let info = &mut self.vars[d.0];
                (info.buffer, info.scoped, info.length) = (true, scoped, length);
            }
            self.dot.insert(op.out, d);
        }
    }

    /// `y = g(a)` -> `t = g_jvp(a, ȧ); y = t.0; ẏ = t.1`, a tangent for every argument the
    /// callee takes one for (zero for inactive ones).
    fn call(&mut self, op: &Op, nodes: &mut Vec<Node>, errors: &mut Errors) {
        let callee = match &op.form {
            Form::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
            Form::Method(m) => Some(m.to_string()),
            _ => None,
        };
        if let Some(name) = callee.clone().filter(|n| n.ends_with("_grad")) {
            errors.error(
                op.span,
                format!("`hessian` would need third derivatives to differentiate `{name}` twice"),
                "leave `hessian` out of this function (its gradient and `f_vjp` still differentiate through the call), or compute the gradient's derivative another way",
            );
            self.problems += 1;
            return;
        }
        // A callee handed `&mut` state runs once (split mode); its `_hvp` would run it again.
        let runtime =
            matches!(&op.form, Form::Path(p) if crate::syntax::runtime_split_callee(&p.path));
        // (asked for by name, and handed no `&mut` parameter of the caller's)
        let handed_state = op.args.iter().filter_map(Operand::var).any(|v| {
            matches!(&self.vars[v.0].ty, Some(syn::Type::Reference(r)) if r.mutability.is_some())
        });
        let requested =
            !handed_state && callee.as_ref().is_some_and(|n| self.split_calls.contains(n));
        if op.pullback.is_some() && !runtime && !requested {
            errors.error(
                op.span,
                "`hessian` cannot differentiate twice a call handed `&mut` state: its `_hvp` would run the callee again",
                "take what the callee needs from the state before the call and pass the values (`let z: f64 = rng.normal(); g(x, z)`), or leave `hessian` out (`f_vjp` runs the callee once)",
            );
            self.problems += 1;
            return;
        }
        let receiver = usize::from(matches!(op.form, Form::Method(_)));
        let mut args = op.args.clone();
        for a in &op.args[receiver..] {
            if !self.has_slot(a) {
                continue;
            }
            // (callees take sequences and tensors by reference; a parameter's tangent is one)
            let sequence = matches!(self.kind(a), Kind::Seq(Seq::Slice | Seq::Vec) | Kind::Tensor);
            let t = match (self.tangent(a), a) {
                (Some(Operand::Var(d)), Operand::Var(v))
                    if sequence && self.vars[v.0].param.is_none() =>
                {
                    Operand::Ref(d)
                }
                (Some(t), _) => t,
                (None, _) => match self.zero(nodes, a) {
                    Operand::Var(z) if sequence => Operand::Ref(z),
                    z => z,
                },
            };
            args.push(t);
        }
        let form = Form::Tangent(Box::new(op.form.clone()), op.args.len());
        let pair = self.push(nodes, Prim::Call, form, args, Kind::Tuple, op.span);
        let kind = self.vars[op.out.0].kind;
        nodes.push(Node::Op(Op {
            out: op.out,
            prim: Prim::Element,
            form: Form::Element(0),
            args: vec![pair.clone()],
            span: op.span,
            pullback: None,
        }));
        let d = self.fresh(op.out);
        self.vars[d.0].kind = kind;
        nodes.push(Node::Op(Op {
            out: d,
            prim: Prim::Element,
            form: Form::Element(1),
            args: vec![pair],
            span: op.span,
            pullback: None,
        }));
        self.dot.insert(op.out, d);
    }

    /// Whether a callee takes a tangent for this argument (as `Ctx::has_slot`).
    fn has_slot(&self, o: &Operand) -> bool {
        match o {
            Operand::Var(v) | Operand::Ref(v) => {
                let info = &self.vars[v.0];
                info.varied
                    || matches!(
                        info.kind,
                        Kind::Float | Kind::Seq(_) | Kind::Algebra | Kind::Tensor
                    )
            }
            Operand::Const(e) => Kind::of_const(e) == Kind::Float,
        }
    }

    /// A new operation; its value is varied when an operand is.
    fn push(
        &mut self,
        nodes: &mut Vec<Node>,
        prim: Prim,
        form: Form,
        args: Vec<Operand>,
        kind: Kind,
        span: Span,
    ) -> Operand {
        let varied = args.iter().any(|a| self.varied(a));
        let out = self.new_var(kind, varied);
        nodes.push(Node::Op(Op { out, prim, form, args, span, pullback: None }));
        Operand::Var(out)
    }
}

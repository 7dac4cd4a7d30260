//! What syntax tells of an expression's type ([`Kind`]), for values the IR creates.

use super::context::Lowerer;
use super::expr::arithmetic;
use crate::kind::Kind;
use crate::rules;
use syn::{BinOp, Expr};

impl Lowerer<'_> {
    /// What syntax tells of an expression's type.
    pub fn infer_kind(&self, e: &Expr) -> Kind {
        match e {
            Expr::Lit(_) => Kind::of_const(e),
            Expr::Path(_) => match self.local_var(e) {
                Some(v) => self.vars[v.0].kind,
                None => Kind::of_const(e),
            },
            Expr::Paren(p) => self.infer_kind(&p.expr),
            Expr::Group(g) => self.infer_kind(&g.expr),
            Expr::Binary(b) if arithmetic(&b.op).is_some() => {
                self.infer_kind(&b.left).join(self.infer_kind(&b.right))
            }
            // Bit operations: integers (or bools, for `&`, `|`, `^` of bools).
            Expr::Binary(b) if matches!(b.op, BinOp::Shl(_) | BinOp::Shr(_)) => {
                self.infer_kind(&b.left)
            }
            Expr::Binary(b)
                if matches!(b.op, BinOp::BitAnd(_) | BinOp::BitOr(_) | BinOp::BitXor(_)) =>
            {
                self.infer_kind(&b.left).join(self.infer_kind(&b.right))
            }
            Expr::Binary(_) => Kind::Bool,
            Expr::Unary(u) => self.infer_kind(&u.expr),
            Expr::Cast(c) => Kind::of_type(&c.ty),
            Expr::Reference(r) if self.model_field(&r.expr).is_some() => Kind::Tensor,
            // `&v` of a `Vec` or an array is used as a slice.
            Expr::Reference(r) => match self.infer_kind(&r.expr) {
                Kind::Seq(crate::kind::Seq::Vec | crate::kind::Seq::Array) => {
                    Kind::Seq(crate::kind::Seq::Slice)
                }
                k => k,
            },
            Expr::Field(_) if self.model_field(e).is_some() => Kind::Float,
            Expr::Array(a) => match a.elems.first().map(|x| self.infer_kind(x)) {
                Some(Kind::Float) => Kind::Seq(crate::kind::Seq::Array),
                _ => Kind::Unknown,
            },
            Expr::Repeat(r) if self.infer_kind(&r.expr) == Kind::Float => {
                Kind::Seq(crate::kind::Seq::Array)
            }
            // `vec![0.0; n]`, `vec![a, b]` of floats
            Expr::Macro(m) if m.mac.path.is_ident("vec") => {
                let tokens = &m.mac.tokens;
                match syn::parse2::<Expr>(quote::quote!([#tokens])) {
                    Ok(Expr::Repeat(r)) if self.infer_kind(&r.expr) == Kind::Float => {
                        Kind::Seq(crate::kind::Seq::Vec)
                    }
                    Ok(Expr::Array(a))
                        if a.elems.first().is_some_and(|x| self.infer_kind(x) == Kind::Float) =>
                    {
                        Kind::Seq(crate::kind::Seq::Vec)
                    }
                    _ => Kind::Unknown,
                }
            }
            Expr::Index(ix)
                if self.infer_kind(&ix.expr) == Kind::Seq(crate::kind::Seq::Tensors) =>
            {
                Kind::Tensor
            }
            Expr::Index(ix)
                if self
                    .local_var(&ix.expr)
                    .is_some_and(|v| self.element_kind(v) != Kind::Float) =>
            {
                self.local_var(&ix.expr).map_or(Kind::Unknown, |v| self.element_kind(v))
            }
            // `ts[i]` of a sequence of floats (also one left out by `wrt`)
            Expr::Index(ix)
                if self
                    .local_var(&ix.expr)
                    .is_some_and(|v| matches!(self.vars[v.0].kind, Kind::Seq(_))) =>
            {
                Kind::Float
            }
            Expr::MethodCall(mc) => {
                let name = mc.method.to_string();
                let receiver = match self.model_field(&mc.receiver) {
                    Some(_) => field_receiver_kind(&name, 1 + mc.args.len(), self.scalar_function),
                    None => self.infer_kind(&mc.receiver),
                };
                // `t.item::<f64>()`: a float
                if receiver == Kind::Tensor && name == "item" {
                    return Kind::Float;
                }
                if receiver == Kind::Tensor && !rules::INACTIVE_METHODS.contains(&name.as_str()) {
                    return Kind::Tensor;
                }
                // `m.transpose()`, `v.cross(&w)`, `v.norm()` of an nalgebra value
                if receiver == Kind::Algebra
                    && let Some((_, float)) = rules::algebra_method(&name, 1 + mc.args.len())
                {
                    return if float { Kind::Float } else { Kind::Algebra };
                }
                if rules::INDEX_METHODS.contains(&name.as_str())
                    || rules::INACTIVE_METHODS.contains(&name.as_str())
                {
                    rules::inactive_method_kind(&name)
                } else if matches!(name.as_str(), "clone" | "to_owned") {
                    receiver
                } else if rules::method(&name, 1 + mc.args.len()).is_some() {
                    if receiver == Kind::Int { Kind::Int } else { Kind::Float }
                } else {
                    Kind::Unknown
                }
            }
            Expr::Call(c) => {
                let Expr::Path(fp) = &*c.func else { return Kind::Unknown };
                let segs: Vec<String> =
                    fp.path.segments.iter().map(|s| s.ident.to_string()).collect();
                match segs.last().map(String::as_str) {
                    Some("detach") => c.args.first().map_or(Kind::Unknown, |a| self.infer_kind(a)),
                    Some("no_grad") => match c.args.first() {
                        Some(Expr::Closure(cl)) => self.infer_kind(&cl.body),
                        _ => Kind::Unknown,
                    },
                    _ if segs.len() >= 2
                        && matches!(segs[segs.len() - 2].as_str(), "f32" | "f64" | "Real") =>
                    {
                        Kind::Float
                    }
                    Some("meshgrid") if segs.iter().any(|s| s == "Tensor") => {
                        Kind::Seq(crate::kind::Seq::Tensors)
                    }
                    _ if segs.iter().any(|s| s == "Tensor") => Kind::Tensor,
                    // `Matrix3::identity()`, `Vector3::zeros()`, `Matrix2::new(..)`: constant
                    // nalgebra values of floats (the element type is the caller's to infer).
                    Some(
                        "identity" | "zeros" | "new" | "from_element" | "repeat" | "x" | "y" | "z",
                    ) if segs.len() >= 2 && {
                        let owner = segs[segs.len() - 2].as_str();
                        ["Vector", "Matrix", "RowVector", "SVector", "SMatrix"]
                            .iter()
                            .any(|t| owner.starts_with(t))
                            && owner
                                .trim_start_matches(char::is_alphabetic)
                                .chars()
                                .all(|c| c.is_ascii_digit() || c == 'x')
                    } =>
                    {
                        Kind::Algebra
                    }
                    _ if c.args.iter().any(|a| self.infer_kind(a) == Kind::Tensor) => Kind::Tensor,
                    _ => Kind::Unknown,
                }
            }
            Expr::Block(b) => match b.block.stmts.last() {
                Some(syn::Stmt::Expr(e, None)) => self.infer_kind(e),
                _ => Kind::Unknown,
            },
            Expr::If(i) => match i.then_branch.stmts.last() {
                Some(syn::Stmt::Expr(e, None)) => self.infer_kind(e),
                _ => Kind::Unknown,
            },
            _ => Kind::Unknown,
        }
    }
}

/// Float methods that tensors have too (elementwise): on a model's field, they leave its kind
/// open, and the field is taken for a tensor.
pub(super) const TENSOR_FLOAT_METHODS: &[&str] =
    &["tanh", "exp", "ln", "sin", "cos", "sqrt", "powi", "powf", "abs"];

/// The kind of a model's field used as the receiver of `.name()`: a float when only floats have
/// the method (`m.a.max(x)`, `m.b.recip()`), or when floats have it and the function is one of
/// floats (`scalar_function`: a float result, no tensor parameter; `m.a.powi(4)`), else a
/// tensor (a tensor cannot be read by value, so a receiver is the likelier tensor).
pub(super) fn field_receiver_kind(name: &str, operands: usize, scalar_function: bool) -> Kind {
    let float = rules::method(name, operands).is_some();
    let float_only = float
        && rules::tensor_method(name, operands).is_none()
        && !TENSOR_FLOAT_METHODS.contains(&name);
    if float_only || (float && scalar_function) { Kind::Float } else { Kind::Tensor }
}

/// Marks the values that may be nalgebra values though the macro takes them for floats
/// ([`crate::ir::VarInfo::maybe_algebra`]): results of calls taking an nalgebra value (or such
/// a value), results of calls that arithmetic combines with such a value (`let r = rz(a);
/// r * link`, `r1 * rx(b)` of a marked `r1`), elements of their tuple results, and what
/// arithmetic, branches and loops make of them; repeated until nothing changes.
pub fn mark_maybe_algebra(f: &mut crate::ir::Function) {
    use crate::ir::{Block, Node, Operand, Prim, VarInfo};
    fn maybe(vars: &[VarInfo], o: &Operand) -> bool {
        o.var().is_some_and(|v| vars[v.0].maybe_algebra)
    }
    fn algebra(vars: &[VarInfo], o: &Operand) -> bool {
        maybe(vars, o) || o.var().is_some_and(|v| vars[v.0].kind == Kind::Algebra)
    }
    fn mark(info: &mut VarInfo, changed: &mut bool) {
        if !info.maybe_algebra && matches!(info.kind, Kind::Float | Kind::Unknown | Kind::Tuple) {
            info.maybe_algebra = true;
            *changed = true;
        }
    }
    // the results of calls of unknown type, their elements and arithmetic of them (`mrx(a) *
    // mry(b)`), which may be anything
    fn call_results(
        b: &Block,
        vars: &[VarInfo],
        out: &mut std::collections::HashSet<crate::ir::Var>,
    ) {
        for node in &b.nodes {
            match node {
                Node::Op(op)
                    if matches!(op.prim, Prim::Call)
                        || (derived(op.prim)
                            && op
                                .args
                                .iter()
                                .any(|a| a.var().is_some_and(|v| out.contains(&v)))) =>
                {
                    let kind = vars[op.out.0].kind;
                    if matches!(kind, Kind::Float | Kind::Unknown | Kind::Tuple | Kind::Algebra) {
                        out.insert(op.out);
                    }
                }
                Node::Branch(br) => br.arms.iter().for_each(|a| call_results(&a.body, vars, out)),
                Node::Loop(lp) => call_results(&lp.body, vars, out),
                _ => {}
            }
        }
    }
    // (an element of a call's tuple result, arithmetic of call results)
    fn derived(prim: Prim) -> bool {
        match prim {
            Prim::Element => true,
            Prim::Rule(r) => matches!(r.name, "add" | "sub" | "mul" | "neg"),
            _ => false,
        }
    }
    let mut calls = std::collections::HashSet::new();
    call_results(&f.body, &f.vars, &mut calls);
    fn walk(
        b: &Block,
        vars: &mut [VarInfo],
        calls: &std::collections::HashSet<crate::ir::Var>,
        changed: &mut bool,
    ) {
        for node in &b.nodes {
            match node {
                Node::Op(op) => {
                    // a call's result combined with a (maybe) nalgebra value may be one too
                    if matches!(op.prim, Prim::Rule(r) if matches!(r.name, "add" | "sub" | "mul"))
                        && (op.args.iter().any(|a| algebra(vars, a))
                            || algebra(vars, &Operand::Var(op.out)))
                    {
                        for v in
                            op.args.iter().filter_map(Operand::var).filter(|v| calls.contains(v))
                        {
                            mark(&mut vars[v.0], changed);
                        }
                    }
                    let from = match op.prim {
                        Prim::Call => op.args.iter().any(|a| algebra(vars, a)),
                        Prim::Rule(r)
                            if matches!(r.name, "add" | "sub" | "mul" | "div" | "neg") =>
                        {
                            op.args.iter().any(|a| maybe(vars, a))
                        }
                        Prim::Element => maybe(vars, &op.args[0]),
                        _ => false,
                    };
                    if from {
                        mark(&mut vars[op.out.0], changed);
                    }
                }
                Node::Branch(br) => {
                    for arm in &br.arms {
                        walk(&arm.body, vars, calls, changed);
                    }
                    for (k, out) in br.outs.iter().enumerate() {
                        if br
                            .arms
                            .iter()
                            .any(|a| a.body.yields.get(k).is_some_and(|y| maybe(vars, y)))
                        {
                            mark(&mut vars[out.0], changed);
                        }
                    }
                }
                Node::Loop(lp) => {
                    walk(&lp.body, vars, calls, changed);
                    for (c, y) in lp.carried.iter().zip(&lp.body.yields) {
                        if maybe(vars, &c.init) || maybe(vars, y) {
                            mark(&mut vars[c.phi.0], changed);
                            mark(&mut vars[c.out.0], changed);
                        }
                    }
                }
                Node::Opaque { .. } | Node::Store(_) => {}
            }
        }
    }
    let mut changed = true;
    while changed {
        changed = false;
        walk(&f.body, &mut f.vars, &calls, &mut changed);
    }
}

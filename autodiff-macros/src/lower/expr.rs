//! Lowering expressions: operators, float methods and functions, casts, calls of other
//! differentiable functions, and inactive expressions kept as written.

use super::context::Lowerer;
use super::rename::rename;
use crate::diagnostics::problems;
use crate::ir::{Form, Node, Op, Operand, Prim, Var};
use crate::kind::Kind;
use crate::rules::{self, Rule};
use crate::syntax::contains_return;
use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::{BinOp, Expr, UnOp};

impl<'s> Lowerer<'_> {
    /// Lowers an expression in value position.
    pub fn lower_expr(&mut self, e: &'s Expr) -> Operand {
        if contains_return(e) {
            return self.fail(
                e,
                "`return` inside an expression cannot be differentiated",
                problems::RETURN_FROM_A_STATEMENT,
            );
        }
        if let Some(c) = self.inline_const(e) {
            return c;
        }
        let r = rename(e, &self.env, &self.vars);
        if r.has_macro {
            return match e {
                Expr::Macro(m) => self.unsupported_macro(&m.mac),
                _ => self.refuse(e, &problems::MACRO_CALL),
            };
        }
        if (!r.mentions_varied || self.inactive_value(e)) && !r.mutates_local {
            // Nothing here depends on an active parameter (or only through methods like
            // `.len()`, whose values have no derivative): evaluate it as written.
            if let Some(v) = self.local_var(e) {
                return if self.borrowed(e) { Operand::Ref(v) } else { Operand::Var(v) };
            }
            // `&c` of a constant tensor or nalgebra value: a borrow of it, as of an active one
            // (an opaque value would be taken for an owned one, and borrowed again)
            if let Expr::Reference(rf) = e
                && rf.mutability.is_none()
                && matches!(self.infer_kind(&rf.expr), Kind::Tensor | Kind::Algebra)
            {
                return match self.lower_expr(&rf.expr) {
                    Operand::Var(v) | Operand::Ref(v) => Operand::Ref(v),
                    c => c,
                };
            }
            let kind = self.infer_kind(e);
            // (an element of a sequence of tensors is read by a copy of its handle: `ws[i]`)
            if kind == Kind::Tensor && matches!(e, Expr::Index(_)) {
                let (rt, x) = (&self.rt, &r.expr);
                return self.opaque(syn::parse_quote!(#rt::Clone::clone(&#x)), r.uses, kind);
            }
            return self.opaque(r.expr, r.uses, kind);
        }
        if let Some((root, path)) = self.model_field(e) {
            // Read by value: only `Copy` fields can be, so a float.
            return self.read_field(root, path, e.span(), Kind::Float);
        }
        match e {
            Expr::Paren(p) => self.lower_expr(&p.expr),
            Expr::Group(g) => self.lower_expr(&g.expr),
            Expr::Path(_) => match self.local_var(e) {
                Some(v) if self.borrowed(e) => Operand::Ref(v),
                Some(v) => Operand::Var(v),
                None => Operand::Const(e.clone()),
            },
            Expr::Binary(b) if crate::syntax::is_compound(&b.op) => {
                self.refuse(&b.op, &problems::ASSIGNMENT_IN_EXPRESSION)
            }
            Expr::Binary(b) if arithmetic(&b.op).is_some() => {
                let lhs = self.lower_expr(&b.left);
                self.lower_binary(b.op, lhs, &b.right, e.span())
            }
            // Comparisons and logic: inactive results, evaluated as written (short-circuiting kept).
            Expr::Binary(_) => self.opaque(r.expr, r.uses, Kind::Bool),
            Expr::Unary(u) => match u.op {
                UnOp::Neg(_) => {
                    let x = self.lower_expr(&u.expr);
                    // `-x` has the kind of `x` (a tensor stays a tensor); integers become floats
                    // only when varied, as for every operation.
                    let kind = x.var().map_or(Kind::Float, |v| self.vars[v.0].kind);
                    self.push_op(Prim::Rule(&rules::NEG), Form::Neg, vec![x], e.span(), kind)
                }
                // (`*r` of `let r = &h;` is `h` itself)
                UnOp::Deref(_) => match self.lower_expr(&u.expr) {
                    Operand::Ref(v) => Operand::Var(v),
                    o => o,
                },
                _ => {
                    let kind = self.infer_kind(e);
                    self.opaque(r.expr, r.uses, kind)
                }
            },
            Expr::Cast(c) if matches!(&*c.ty, syn::Type::Ptr(_)) => {
                self.refuse(&c.ty, &problems::RAW_POINTER)
            }
            Expr::RawAddr(r) => self.refuse(r, &problems::RAW_POINTER),
            Expr::Cast(c) => {
                let kind = Kind::of_type(&c.ty);
                if kind == Kind::Float {
                    let x = self.lower_expr(&c.expr);
                    let form = Form::Cast((*c.ty).clone());
                    self.push_op(Prim::Rule(&rules::CAST), form, vec![x], e.span(), Kind::Float)
                } else {
                    // A float cast to an integer: the result is piecewise constant.
                    self.opaque(r.expr, r.uses, kind)
                }
            }
            Expr::MethodCall(mc) => self.lower_method(mc, r.expr, r.uses),
            Expr::Call(call) => self.lower_call(call, r.expr, r.uses),
            Expr::If(_) | Expr::Match(_) => self.lower_branch(e, true),
            Expr::Block(b) if b.label.is_none() => self.lower_block_value(&b.block),
            Expr::Macro(m) if m.mac.path.is_ident("vec") && self.constant_repeat(&m.mac) => {
                // `vec![0.0; x.len()]`: constant contents, only the length reads active data
                // (`vec![0; n]`, `vec![false; n]`: data that is not floats).
                let tokens = &m.mac.tokens;
                let data = matches!(syn::parse2::<Expr>(quote::quote!([#tokens])),
                    Ok(Expr::Repeat(rep)) if matches!(Kind::of_const(&rep.expr), Kind::Int | Kind::Bool));
                let kind = if data { Kind::Unknown } else { Kind::Seq(crate::kind::Seq::Vec) };
                self.opaque(r.expr, r.uses, kind)
            }
            // `vec![a, b]` of values that depend on an active parameter: a new `Vec` of them
            Expr::Macro(m) if m.mac.path.is_ident("vec") && self.vec_literal(&m.mac).is_some() => {
                let elems = self.vec_literal(&m.mac).unwrap_or_default();
                let args: Vec<Operand> = elems.iter().map(|e| self.lower_expr(e)).collect();
                let kind = Kind::Seq(crate::kind::Seq::Vec);
                self.push_op(Prim::Build, Form::Vec, args, e.span(), kind)
            }
            // `vec![v; n]` of a value that depends on an active parameter: `n` copies of it
            Expr::Macro(m) if m.mac.path.is_ident("vec") && self.repeated_float(&m.mac).is_some() => {
                let Some(rep) = self.repeated_float(&m.mac) else { return Self::unit() };
                let value = self.lower_expr(&rep.expr);
                let Some(count) = self.lower_inactive_index(&rep.len) else { return Self::unit() };
                let kind = Kind::Seq(crate::kind::Seq::Vec);
                self.push_op(Prim::Build, Form::Repeat, vec![value, count], e.span(), kind)
            }
            Expr::Macro(m) => self.unsupported_macro(&m.mac),
            Expr::Reference(r) if r.mutability.is_none() => match self.lower_borrowed(&r.expr) {
                Operand::Var(v) | Operand::Ref(v) => Operand::Ref(v),
                Operand::Const(c) => Operand::Const(syn::parse_quote!(&#c)),
            },
            Expr::Reference(_) => self.fail(
                e,
                "`&mut` of a value that depends on an active parameter cannot be differentiated",
                "pass values to functions by value or `&`, and return results",
            ),
            Expr::Index(ix) => self.lower_index(ix),
            Expr::Tuple(t) if !t.elems.is_empty() => {
                let args: Vec<Operand> = t.elems.iter().map(|e| self.lower_expr(e)).collect();
                self.push_op(Prim::Build, Form::Tuple, args, e.span(), Kind::Tuple)
            }
            // `t.0` of a tuple value (a call's result, `(a, b)`)
            Expr::Field(f)
                if matches!(f.member, syn::Member::Unnamed(_))
                    && self.local_var(&f.base).is_some_and(|v| {
                        !matches!(self.vars[v.0].kind, Kind::Model | Kind::Algebra | Kind::Tensor)
                    }) =>
            {
                let (Some(t), syn::Member::Unnamed(k)) = (self.local_var(&f.base), &f.member) else {
                    return Self::unit();
                };
                self.element(t, k.index as usize, e.span())
            }
            // `g_grad(x, w).1.0`, `(a, b).0`: an element of a tuple made by an expression
            Expr::Field(f)
                if matches!(f.member, syn::Member::Unnamed(_))
                    && matches!(
                        &*f.base,
                        Expr::Call(_) | Expr::MethodCall(_) | Expr::Field(_) | Expr::Paren(_)
                    )
                    && self.local_var(&f.base).is_none()
                    && self.model_field(&f.base).is_none() =>
            {
                let syn::Member::Unnamed(k) = &f.member else { return Self::unit() };
                match self.lower_expr(&f.base) {
                    Operand::Var(t) | Operand::Ref(t)
                        if !matches!(
                            self.vars[t.0].kind,
                            Kind::Model | Kind::Algebra | Kind::Tensor
                        ) =>
                    {
                        self.element(t, k.index as usize, e.span())
                    }
                    _ => self.fail(
                        e,
                        "an element of this value cannot be differentiated",
                        "bind the tuple first: `let (a, b) = g(..);`",
                    ),
                }
            }
            Expr::Array(a) => {
                let args: Vec<Operand> = a.elems.iter().map(|e| self.lower_expr(e)).collect();
                self.push_op(Prim::Build, Form::Array, args, e.span(), Kind::Seq(crate::kind::Seq::Array))
            }
            Expr::Closure(_) => self.fail(
                e,
                "a closure passed to a function or kept as a value cannot be differentiated",
                "make it a named #[differentiable] function and call it by name where it is used (in an integrator, call the integrand by name); a closure bound by `let` and called in the body, `let f = |t: f64| t * x; f(2.0)`, is inlined",
            ),
            Expr::Assign(_) => self.refuse(e, &problems::ASSIGNMENT_IN_EXPRESSION),
            // `v.x` of a vector, also of a point read from a sequence (`p[i].x`)
            Expr::Field(f)
                if matches!(&f.member, syn::Member::Named(m) if ["x", "y", "z", "w"].contains(&m.to_string().as_str()))
                    && (self.local_var(&f.base).is_some_and(|v| self.vars[v.0].kind == Kind::Algebra)
                        || matches!(&*f.base, Expr::Index(ix) if self.local_var(&ix.expr).is_some_and(|v| self.holds_algebra(v)))) =>
            {
                let component = match &f.member {
                    syn::Member::Named(m) => ["x", "y", "z", "w"].iter().position(|c| m == c).unwrap_or(0),
                    syn::Member::Unnamed(i) => i.index as usize,
                };
                let base = match self.local_var(&f.base) {
                    Some(v) => Operand::Var(v),
                    None => self.lower_expr(&f.base),
                };
                let index = Operand::Const(syn::parse_quote!(#component));
                self.push_op(Prim::Index, Form::Index, vec![base, index], e.span(), Kind::Float)
            }
            // `(-p).x`, `(k * q).x`: a component of an nalgebra value made by an expression
            Expr::Field(f)
                if matches!(&f.member, syn::Member::Named(m) if ["x", "y", "z", "w"].contains(&m.to_string().as_str()))
                    && self.local_var(&f.base).is_none()
                    && self.infer_kind(&f.base) == Kind::Algebra =>
            {
                let component = match &f.member {
                    syn::Member::Named(m) => {
                        ["x", "y", "z", "w"].iter().position(|c| m == c).unwrap_or(0)
                    }
                    syn::Member::Unnamed(i) => i.index as usize,
                };
                let base = self.lower_expr(&f.base);
                let index = Operand::Const(syn::parse_quote!(#component));
                self.push_op(Prim::Index, Form::Index, vec![base, index], e.span(), Kind::Float)
            }
            Expr::Field(f)
                if matches!(&f.member, syn::Member::Named(m) if ["x", "y", "z", "w"].contains(&m.to_string().as_str())) =>
            {
                self.fail(
                    e,
                    "a component of a value whose type the macro cannot see cannot be differentiated",
                    "if it is an nalgebra vector (a call's result, say), give it its type, `let f: Vector3<f64> = ..;`, or index it: `f[0]` for `.x`; a model's fields are read with `#[derive(Differentiable)]` on its struct and `wrt(model)`",
                )
            }
            Expr::Field(_) => self.fail(
                e,
                "field access on a value that depends on an active parameter cannot be differentiated yet",
                "read fields of a model parameter: `#[derive(Differentiable)]` on its struct and `wrt(model)` on the function; or pass the floats as separate parameters",
            ),
            Expr::Struct(s) => self.fail(
                s,
                "a struct holding values that depend on an active parameter cannot be differentiated yet",
                "use the struct only through its fields (`p.x`, `p.v += ..`) in the block that makes it, which then become locals of their own; it cannot be passed on whole, returned or have methods called; a struct of parameters is a model: `#[derive(Differentiable)]` and `wrt(model)`",
            ),
            Expr::ForLoop(_) | Expr::While(_) | Expr::Loop(_) => self.fail(
                e,
                "a loop used as a value cannot be differentiated here",
                "`let v = loop { .. break value; .. };` works when the loop's own body breaks with the value; from an inner loop, keep the value in a variable declared before the loop and `break 'label;`",
            ),
            _ => self.fail(
                e,
                "this expression cannot be differentiated",
                "use arithmetic, float methods, `if`/`match`, and calls of #[differentiable] functions",
            ),
        }
    }

    /// `model.a.b` where `model` is a model value: the model and the path of fields.
    pub(super) fn model_field(&self, e: &Expr) -> Option<(Var, Vec<syn::Member>)> {
        let mut path = Vec::new();
        let mut base = e;
        loop {
            match base {
                Expr::Field(f) => {
                    path.push(f.member.clone());
                    base = &f.base;
                }
                Expr::Paren(p) => base = &p.expr,
                Expr::Group(g) => base = &g.expr,
                _ => break,
            }
        }
        let root = self.local_var(base).filter(|v| self.vars[v.0].kind == Kind::Model)?;
        path.reverse();
        (!path.is_empty()).then_some((root, path))
    }

    /// `model.a.b`: a read of a model's field, of the kind its use shows (the macro cannot see
    /// the struct's definition).
    pub(super) fn read_field(
        &mut self,
        root: Var,
        path: Vec<syn::Member>,
        span: Span,
        kind: Kind,
    ) -> Operand {
        self.push_op(Prim::Field, Form::Field(path), vec![Operand::Var(root)], span, kind)
    }

    /// An expression borrowed (`&e`) or used as a method's receiver: a model's field used this
    /// way is a tensor (or a nested model), since a tensor cannot be read by value.
    pub(super) fn lower_borrowed(&mut self, e: &'s Expr) -> Operand {
        match self.model_field(e) {
            Some((root, path)) => self.read_field(root, path, e.span(), Kind::Tensor),
            None => self.lower_expr(e),
        }
    }

    /// Whether `vec![e; n]` repeats a value that does not depend on an active parameter.
    /// The elements of `vec![a, b, c]` (a list, not `vec![v; n]`), if they are floats as
    /// syntax shows (not nalgebra values, tensors or sequences, whose `Vec`s are refused).
    pub(super) fn vec_literal(&self, mac: &syn::Macro) -> Option<Vec<Expr>> {
        let tokens = &mac.tokens;
        match syn::parse2::<Expr>(quote::quote!([#tokens])) {
            Ok(Expr::Array(a)) if !a.elems.is_empty() => {
                let floats = a
                    .elems
                    .iter()
                    .all(|e| matches!(self.infer_kind(e), Kind::Float | Kind::Int | Kind::Unknown));
                floats.then(|| a.elems.into_iter().collect())
            }
            _ => None,
        }
    }

    /// `vec![v; n]` whose value is a float as syntax shows (not a `Vec`, an nalgebra value or a
    /// tensor, whose `Vec`s are refused).
    pub(super) fn repeated_float(&self, mac: &syn::Macro) -> Option<syn::ExprRepeat> {
        let tokens = &mac.tokens;
        match syn::parse2::<Expr>(quote::quote!([#tokens])) {
            Ok(Expr::Repeat(r))
                if matches!(self.infer_kind(&r.expr), Kind::Float | Kind::Int | Kind::Unknown) =>
            {
                Some(r)
            }
            _ => None,
        }
    }

    pub(super) fn constant_repeat(&self, mac: &syn::Macro) -> bool {
        let tokens = &mac.tokens;
        match syn::parse2::<Expr>(quote::quote!([#tokens])) {
            Ok(Expr::Repeat(r)) => !rename(&r.expr, &self.env, &self.vars).mentions_varied,
            _ => false,
        }
    }

    /// Whether `e`'s value does not depend on an active parameter although it mentions one:
    /// built from values of methods like `.len()` (`x.len().saturating_sub(1)`,
    /// `x.len() as f64 * 0.5`, `(0..x.len()).filter(..)`), literals and inactive names.
    pub(super) fn inactive_value(&self, e: &Expr) -> bool {
        match e {
            _ if !rename(e, &self.env, &self.vars).mentions_varied => true,
            Expr::MethodCall(m)
                if rules::INACTIVE_METHODS.contains(&m.method.to_string().as_str()) =>
            {
                true
            }
            Expr::MethodCall(m) => {
                self.inactive_value(&m.receiver) && m.args.iter().all(|a| self.inactive_value(a))
            }
            Expr::Binary(b) => self.inactive_value(&b.left) && self.inactive_value(&b.right),
            // `0..x.len()`
            Expr::Range(r) => [&r.start, &r.end]
                .into_iter()
                .all(|b| b.as_deref().is_none_or(|b| self.inactive_value(b))),
            Expr::Paren(p) => self.inactive_value(&p.expr),
            // `t.shape()[0]`
            Expr::Index(ix) => self.inactive_value(&ix.expr) && self.inactive_value(&ix.index),
            // `(0..x.len()).size_hint().0`
            Expr::Field(f) => self.inactive_value(&f.base),
            Expr::Cast(c) => self.inactive_value(&c.expr),
            Expr::Unary(u) => self.inactive_value(&u.expr),
            _ => false,
        }
    }

    /// `lhs op rhs` for an operator `op` (compound assignments arrive here as their operator).
    pub fn lower_binary(&mut self, op: BinOp, lhs: Operand, rhs: &'s Expr, span: Span) -> Operand {
        let rhs = self.lower_expr(rhs);
        let kind = self.kind(&lhs).join(self.kind(&rhs));
        let whole = [&lhs, &rhs].into_iter().any(|o| matches!(self.kind(o), Kind::Seq(_)));
        match arithmetic(&op) {
            Some(_) if whole && (self.varied(&lhs) || self.varied(&rhs)) => self.fail(
                &op,
                "arithmetic on a whole sequence that depends on an active parameter",
                problems::SEQUENCE_READS,
            ),
            Some(rule) => {
                self.push_op(Prim::Rule(rule), Form::Binary(op), vec![lhs, rhs], span, kind)
            }
            None if self.varied(&lhs) || self.varied(&rhs) => self.fail(
                &op,
                "this operator has no derivative",
                "floats are differentiated through `+ - * / %` and float methods",
            ),
            None => {
                let (l, r) = (self.operand_expr(&lhs), self.operand_expr(&rhs));
                let uses = [&lhs, &rhs].iter().filter_map(|o| o.var()).collect();
                self.opaque(syn::parse_quote!(#l #op #r), uses, kind)
            }
        }
    }

    /// Records `out = prim(args)`.
    /// Whether an operand holds a float (not an index or a shape).
    fn vars_kind_is_float(&self, o: &Operand) -> bool {
        o.var().is_some_and(|v| matches!(self.vars[v.0].kind, Kind::Float | Kind::Unknown))
    }

    pub fn push_op(
        &mut self,
        prim: Prim,
        form: Form,
        args: Vec<Operand>,
        span: Span,
        kind: Kind,
    ) -> Operand {
        // An operand the rule does not differentiate (a tensor `clamp`'s bounds) that depends on
        // an active parameter would have its derivative dropped: refused, never silent.
        if let Prim::Rule(rule) = prim
            && let Some(k) = (0..args.len())
                .find(|k| !rule.diff.get(*k).copied().unwrap_or(true) && self.varied(&args[*k]))
            && self.vars_kind_is_float(&args[k])
        {
            self.errors.error(
                span,
                format!("operand {k} of `{}` depends on an active parameter, but its derivative is not taken here", rule.name),
                "make it a constant (`detach(..)`) if no gradient should flow through it, or write the operation with float arithmetic",
            );
        }
        let varied = args.iter().enumerate().any(|(k, a)| prim.differentiable(k) && self.varied(a));
        let kind =
            if varied && matches!(kind, Kind::Int | Kind::Unknown) { Kind::Float } else { kind };
        let out = self.new_var("t", kind, varied);
        self.nodes.push(Node::Op(Op { out, prim, form, args, span, pullback: None }));
        Operand::Var(out)
    }

    /// Whether a plain name borrows its value (`r` of `let r = &h;`, see `Binding::borrowed`).
    pub fn borrowed(&self, e: &Expr) -> bool {
        match e {
            Expr::Path(p) if p.qself.is_none() => p
                .path
                .get_ident()
                .and_then(|id| self.env.lookup(&id.to_string()))
                .is_some_and(|b| b.borrowed),
            Expr::Paren(p) => self.borrowed(&p.expr),
            _ => false,
        }
    }

    /// The IR value a plain name refers to.
    pub fn local_var(&self, e: &Expr) -> Option<Var> {
        match e {
            Expr::Path(p) if p.qself.is_none() => {
                p.path.get_ident().and_then(|id| self.env.lookup(&id.to_string())).map(|b| b.var)
            }
            Expr::Paren(p) => self.local_var(&p.expr),
            _ => None,
        }
    }

    /// A constant written in place: a literal, `-literal`, or a path that is not a local.
    pub(super) fn inline_const(&self, e: &Expr) -> Option<Operand> {
        match e {
            Expr::Lit(_) => Some(Operand::Const(e.clone())),
            Expr::Unary(u) if matches!(u.op, UnOp::Neg(_)) && matches!(&*u.expr, Expr::Lit(_)) => {
                Some(Operand::Const(e.clone()))
            }
            Expr::Path(p) if p.qself.is_none() && self.local_var(e).is_none() => {
                let is_self = p.path.get_ident().is_some_and(|i| i == "self");
                (!is_self).then(|| Operand::Const(e.clone()))
            }
            _ => None,
        }
    }

    /// An operand as an expression (for building inactive expressions).
    pub fn operand_expr(&self, o: &Operand) -> Expr {
        match o {
            Operand::Var(v) => {
                let id = &self.vars[v.0].ident;
                syn::parse_quote!(#id)
            }
            Operand::Ref(v) => {
                let id = &self.vars[v.0].ident;
                syn::parse_quote!(&#id)
            }
            Operand::Const(e) => e.clone(),
        }
    }
}

/// The rule of an arithmetic operator.
pub(super) fn arithmetic(op: &BinOp) -> Option<&'static Rule> {
    match op {
        BinOp::Add(_) => Some(&rules::ADD),
        BinOp::Sub(_) => Some(&rules::SUB),
        BinOp::Mul(_) => Some(&rules::MUL),
        BinOp::Div(_) => Some(&rules::DIV),
        BinOp::Rem(_) => Some(&rules::REM),
        _ => None,
    }
}

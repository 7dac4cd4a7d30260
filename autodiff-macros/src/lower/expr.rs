//! Lowering expressions: operators, float methods and functions, casts, calls of other
//! differentiable functions, and inactive expressions kept as written.

use super::context::Lowerer;
use super::rename::rename;
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
                "return from a statement: `if cond { return a; }` at the level of the function body or its branches",
            );
        }
        if let Some(c) = self.inline_const(e) {
            return c;
        }
        let r = rename(e, &self.env, &self.vars);
        if r.has_macro {
            return match e {
                Expr::Macro(m) => self.unsupported_macro(&m.mac),
                _ => self.fail(e, "macro calls cannot be differentiated", super::block::MACRO_HELP),
            };
        }
        if (!r.mentions_varied || self.inactive_value(e)) && !r.mutates_local {
            // Nothing here depends on an active parameter (or only through methods like
            // `.len()`, whose values have no derivative): evaluate it as written.
            if let Some(v) = self.local_var(e) {
                return Operand::Var(v);
            }
            let kind = self.infer_kind(e);
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
                Some(v) => Operand::Var(v),
                None => Operand::Const(e.clone()),
            },
            Expr::Binary(b) if crate::syntax::is_compound(&b.op) => self.fail(
                &b.op,
                "an assignment inside an expression cannot be differentiated",
                "make the assignment a statement of its own",
            ),
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
                UnOp::Deref(_) => self.lower_expr(&u.expr),
                _ => {
                    let kind = self.infer_kind(e);
                    self.opaque(r.expr, r.uses, kind)
                }
            },
            Expr::Cast(c) if matches!(&*c.ty, syn::Type::Ptr(_)) => self.fail(
                &c.ty,
                "raw pointers cannot be differentiated",
                "read through references or slices instead",
            ),
            Expr::RawAddr(r) => self.fail(r, "raw pointers cannot be differentiated", "read through references or slices instead"),
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
            Expr::Array(a) => {
                let args: Vec<Operand> = a.elems.iter().map(|e| self.lower_expr(e)).collect();
                self.push_op(Prim::Build, Form::Array, args, e.span(), Kind::Seq(crate::kind::Seq::Array))
            }
            Expr::Closure(_) => self.fail(
                e,
                "closures cannot be differentiated here",
                "closures are allowed in `no_grad(|| ..)`; for anything else write a named function, and mark it #[differentiable]",
            ),
            Expr::Assign(_) => self.fail(
                e,
                "an assignment inside an expression cannot be differentiated",
                "make the assignment a statement of its own",
            ),
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
            Expr::Field(_) => self.fail(
                e,
                "field access on a value that depends on an active parameter cannot be differentiated yet",
                "read fields of a model parameter: `#[derive(Differentiable)]` on its struct and `wrt(model)` on the function; or pass the floats as separate parameters",
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
    fn model_field(&self, e: &Expr) -> Option<(Var, Vec<syn::Member>)> {
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
    fn read_field(&mut self, root: Var, path: Vec<syn::Member>, span: Span, kind: Kind) -> Operand {
        self.push_op(Prim::Field, Form::Field(path), vec![Operand::Var(root)], span, kind)
    }

    /// An expression borrowed (`&e`) or used as a method's receiver: a model's field used this
    /// way is a tensor (or a nested model), since a tensor cannot be read by value.
    fn lower_borrowed(&mut self, e: &'s Expr) -> Operand {
        match self.model_field(e) {
            Some((root, path)) => self.read_field(root, path, e.span(), Kind::Tensor),
            None => self.lower_expr(e),
        }
    }

    /// Whether `vec![e; n]` repeats a value that does not depend on an active parameter.
    fn constant_repeat(&self, mac: &syn::Macro) -> bool {
        let tokens = &mac.tokens;
        match syn::parse2::<Expr>(quote::quote!([#tokens])) {
            Ok(Expr::Repeat(r)) => !rename(&r.expr, &self.env, &self.vars).mentions_varied,
            _ => false,
        }
    }

    /// The index of `seq[i]`, which must not depend on an active parameter.
    fn lower_inactive_index(&mut self, e: &'s Expr) -> Option<Operand> {
        let index = self.lower_expr(e);
        if self.varied(&index) {
            self.errors.error(
                e,
                "an index cannot depend on an active parameter",
                "compute indices from integers; wrap a float-derived index in `detach(..)`",
            );
            return None;
        }
        Some(index)
    }

    /// `&seq[a..b]` (also `a..`, `..b`, `..`): a sub-slice, borrowed, at inactive bounds.
    fn lower_sub_slice(
        &mut self,
        seq: Var,
        r: &'s syn::ExprRange,
        ix: &'s syn::ExprIndex,
    ) -> Operand {
        if self.vars[seq.0].buffer {
            return self.fail(
                ix,
                "a sub-slice of a buffer written in place cannot be differentiated yet",
                "index the buffer itself (`b[a + i]`), or take sub-slices of parameters and of values never written",
            );
        }
        if matches!(r.limits, syn::RangeLimits::Closed(_)) {
            return self.fail(
                r,
                "an inclusive range cannot slice here",
                "write it half-open: `a..b + 1`",
            );
        }
        let start = match &r.start {
            Some(e) => match self.lower_inactive_index(e) {
                Some(o) => o,
                None => return Self::unit(),
            },
            None => Operand::Const(syn::parse_quote!(0)),
        };
        let end = match &r.end {
            Some(e) => match self.lower_inactive_index(e) {
                Some(o) => o,
                None => return Self::unit(),
            },
            None => {
                let id = self.vars[seq.0].ident.clone();
                self.opaque(syn::parse_quote!(#id.len()), vec![seq], Kind::Int)
            }
        };
        let kind = Kind::Seq(crate::kind::Seq::Slice);
        let slice = self.push_op(
            Prim::Slice,
            Form::Slice,
            vec![Operand::Var(seq), start, end],
            ix.span(),
            kind,
        );
        // (its elements are the sequence's: points, rows)
        if let Operand::Var(v) = slice
            && let Some(e) = self.vars[seq.0].ty.as_ref().and_then(Kind::element_type)
        {
            self.vars[v.0].ty = Some(syn::parse_quote!(&[#e]));
        }
        slice
    }

    /// Whether `e`'s value does not depend on an active parameter although it mentions one:
    /// built from values of methods like `.len()` (`x.len().saturating_sub(1)`,
    /// `x.len() as f64 * 0.5`, `(0..x.len()).filter(..)`), literals and inactive names.
    fn inactive_value(&self, e: &Expr) -> bool {
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
            // `(0..x.len()).size_hint().0`
            Expr::Field(f) => self.inactive_value(&f.base),
            Expr::Cast(c) => self.inactive_value(&c.expr),
            Expr::Unary(u) => self.inactive_value(&u.expr),
            _ => false,
        }
    }

    /// Whether a sequence's elements are `Vec`s of floats (by its declared type).
    fn vec_rows(&self, seq: Var) -> bool {
        self.element_kind(seq) == Kind::Seq(crate::kind::Seq::Vec)
    }

    /// Whether a sequence's elements are nalgebra vectors or matrices (by its declared type).
    fn holds_algebra(&self, seq: Var) -> bool {
        self.element_kind(seq) == Kind::Algebra
    }

    /// The kind of a sequence's elements, by its declared type: points (`&[Vector3<f64>]`),
    /// rows (`&[[f64; 3]]`, `Vec<Vec<f64>>`), and otherwise floats.
    fn element_kind(&self, seq: Var) -> Kind {
        let declared = self.vars[seq.0].ty.as_ref().and_then(Kind::element_type);
        match declared.map(|e| Kind::of_type(&e)) {
            Some(k @ (Kind::Algebra | Kind::Seq(_))) => k,
            _ => Kind::Float,
        }
    }

    /// `seq[i]`: an element of a sequence of floats, at an inactive index.
    fn lower_index(&mut self, ix: &'s syn::ExprIndex) -> Operand {
        if let Some((root, path)) = self.model_field(&ix.expr) {
            // `m.w[i]`: an element of an array or `Vec` field, read in place.
            let Some(index) = self.lower_inactive_index(&ix.index) else { return Self::unit() };
            let args = vec![Operand::Var(root), index];
            return self.push_op(Prim::Field, Form::Field(path), args, ix.span(), Kind::Float);
        }
        // `rows[i][j]` of `rows: &[Vec<f64>]`: the element read in place (a row is not copied),
        // like an element of a model's `Vec` field.
        if let Expr::Index(inner) = &*ix.expr
            && let Some(rows) = self.local_var(&inner.expr)
            && self.vec_rows(rows)
        {
            let Some(i) = self.lower_inactive_index(&inner.index) else { return Self::unit() };
            let Some(j) = self.lower_inactive_index(&ix.index) else { return Self::unit() };
            let args = vec![Operand::Var(rows), i, j];
            return self.push_op(
                Prim::Field,
                Form::Field(Vec::new()),
                args,
                ix.span(),
                Kind::Float,
            );
        }
        let seq = match &*ix.expr {
            // `rows[i][j]`, `points[i][k]`: the row or point, then its element
            Expr::Index(inner)
                if self.local_var(&inner.expr).is_some_and(|v| {
                    matches!(self.element_kind(v), Kind::Seq(_) | Kind::Algebra)
                }) =>
            {
                self.lower_expr(&ix.expr).var()
            }
            e => self.local_var(e),
        }
        .filter(|v| matches!(self.vars[v.0].kind, Kind::Seq(_) | Kind::Algebra));
        let Some(seq) = seq else {
            return self.fail(
                &ix.expr,
                "only slices, arrays and `Vec`s of floats can be indexed here",
                "index a parameter or local of type `&[f64]`, `[f64; N]` or `Vec<f64>`",
            );
        };
        if let Expr::Range(r) = &*ix.index {
            return self.lower_sub_slice(seq, r, ix);
        }
        if self.vec_rows(seq) {
            // (at the sequence: a row read by an iterator form has no span of its own)
            return self.fail(
                &ix.expr,
                "a row of a sequence of `Vec`s cannot be read whole here",
                "read its elements, `a[i][j]` (rows that are arrays, `&[[f64; N]]`, can be read whole), or leave the parameter out of `wrt(..)` to use it as data",
            );
        }
        let Some(index) = self.lower_inactive_index(&ix.index) else { return Self::unit() };
        // An index computed as written (`x[i + 1]`) is known by its expression, when evaluating
        // that again would give the same value: a second `x[i + 1]` reuses the first read.
        let computed = match (&index, self.nodes.last()) {
            (Operand::Var(v), Some(Node::Opaque { out, expr, .. }))
                if out == v && crate::syntax::is_simple(expr) =>
            {
                Some(format!("={}", quote::quote!(#expr)))
            }
            _ => None,
        };
        let key = (seq, computed.clone().unwrap_or_else(|| operand_key(&index)));
        if let Some(v) = self.index_cache.get(&key).filter(|_| !self.vars[seq.0].buffer) {
            if computed.is_some() {
                self.nodes.pop(); // the index, computed again for nothing
            }
            return Operand::Var(*v);
        }
        let element = match self.vars[seq.0].kind {
            Kind::Seq(crate::kind::Seq::Tensors) => Kind::Tensor,
            // `p[i]` of `p: &[Vector3<f64>]`, `rows[i]` of `rows: &[[f64; 3]]`
            _ => self.element_kind(seq),
        };
        let value = self.push_op(
            Prim::Index,
            Form::Index,
            vec![Operand::Var(seq), index],
            ix.span(),
            element,
        );
        if let Operand::Var(v) = value {
            self.index_cache.insert(key, v);
        }
        value
    }

    /// `lhs op rhs` for an operator `op` (compound assignments arrive here as their operator).
    pub fn lower_binary(&mut self, op: BinOp, lhs: Operand, rhs: &'s Expr, span: Span) -> Operand {
        let rhs = self.lower_expr(rhs);
        let kind = self.kind(&lhs).join(self.kind(&rhs));
        match arithmetic(&op) {
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

    fn lower_method(
        &mut self,
        mc: &'s syn::ExprMethodCall,
        renamed: Expr,
        uses: Vec<Var>,
    ) -> Operand {
        let name = mc.method.to_string();
        if mc.turbofish.is_some() {
            return self.fail(
                &mc.method,
                format!("`.{name}::<..>()` cannot be differentiated yet"),
                "call the method without a turbofish, with the types given by a `let` annotation",
            );
        }
        if matches!(name.as_str(), "clone" | "to_owned" | "to_vec")
            && mc.args.is_empty()
            && self.local_var(&mc.receiver).is_some_and(|v| self.vars[v.0].buffer)
        {
            return self.fail(
                mc,
                "copying a buffer written in place cannot be differentiated yet",
                "copy its elements into a new buffer: `let mut c = vec![0.0; b.len()];` then `c[i] = b[i]`",
            );
        }
        if matches!(name.as_str(), "clone" | "to_owned") && mc.args.is_empty() {
            // An owned copy of a borrowed tensor (`let mut h = x.clone();` of `x: &Tensor`) is
            // a value of its own: loops carry owned tensors.
            let borrowed_tensor = self.local_var(&mc.receiver).filter(|v| {
                let info = &self.vars[v.0];
                info.kind == Kind::Tensor && matches!(info.ty, Some(syn::Type::Reference(_)))
            });
            if let (Some(v), Some(rule)) = (borrowed_tensor, rules::tensor_method("clone", 1)) {
                let args = vec![Operand::Var(v)];
                return self.push_op(
                    Prim::Rule(rule),
                    Form::Method(mc.method.clone()),
                    args,
                    mc.span(),
                    Kind::Tensor,
                );
            }
            // A field cloned is not `Copy`: a tensor (or a nested model).
            return self.lower_borrowed(&mc.receiver);
        }
        let operands = 1 + mc.args.len();
        let receiver_kind = match self.model_field(&mc.receiver) {
            Some(_) => field_receiver_kind(&name, operands),
            None => self.infer_kind(&mc.receiver),
        };
        // Methods of tensors use the tensor rows; a float method on a tensor keeps the tensor.
        let rule = match rules::tensor_method(&name, operands)
            .filter(|_| receiver_kind == Kind::Tensor)
        {
            Some(rule) => Some((rule, Kind::Tensor)),
            None => match rules::algebra_method(&name, operands) {
                Some((rule, true)) => Some((rule, Kind::Float)),
                Some((rule, false)) => Some((rule, Kind::Algebra)),
                None => rules::method(&name, operands).map(|rule| {
                    (rule, if receiver_kind == Kind::Tensor { Kind::Tensor } else { Kind::Float })
                }),
            },
        };
        if let Some((rule, kind)) = rule {
            let receiver = match self.model_field(&mc.receiver) {
                Some((root, path)) if receiver_kind == Kind::Float => {
                    self.read_field(root, path, mc.receiver.span(), Kind::Float)
                }
                _ => self.lower_borrowed(&mc.receiver),
            };
            let mut args = vec![receiver];
            args.extend(mc.args.iter().map(|a| self.lower_expr(a)));
            return self.push_op(
                Prim::Rule(rule),
                Form::Method(mc.method.clone()),
                args,
                mc.span(),
                kind,
            );
        }
        if rules::INACTIVE_METHODS.contains(&name.as_str()) {
            let kind = if matches!(name.as_str(), "len") { Kind::Int } else { Kind::Bool };
            return self.opaque(renamed, uses, kind);
        }
        if name == "to_vec" && rename(&mc.receiver, &self.env, &self.vars).mentions_varied {
            return self.fail(
                mc,
                "copying this sequence into a `Vec` cannot be differentiated: its elements are not known to be `f32` or `f64`",
                "`x.to_vec()` works for sequences of `f32`/`f64` (a parameter or a `let` typed as one); otherwise index the sequence itself, or copy it element by element into a buffer you declare",
            );
        }
        if self.local_var(&mc.receiver).is_some_and(|v| self.vars[v.0].kind == Kind::Model) {
            return self.fail(
                &mc.method,
                format!("a method of a model, `.{name}()`, cannot be differentiated"),
                format!("write it as a #[differentiable] function that takes the model as a parameter: `{name}(model, ..)`"),
            );
        }
        if rename(&mc.receiver, &self.env, &self.vars).mentions_varied {
            // A problem inside the receiver (`model.forward(x).sum()`) is the one to report.
            let before = self.errors.len();
            if !matches!(&*mc.receiver, Expr::Path(_)) {
                self.lower_borrowed(&mc.receiver);
            }
            if self.errors.len() > before {
                return Self::unit();
            }
            return self.fail(
                &mc.method,
                format!("no derivative rule for the method `.{name}()` on a value that depends on an active parameter"),
                format!(
                    "methods with derivatives: {}; wrap the call in `detach(..)` if no gradient should flow through it",
                    rules::METHODS.iter().map(|r| r.name).collect::<Vec<_>>().join(", ")
                ),
            );
        }
        // A method of an inactive receiver (e.g. `self.g(x)`): differentiated through its
        // `_jvp`/`_vjp` companions.
        if self.refuse_mut_state(std::iter::once(&*mc.receiver).chain(&mc.args)) {
            return Self::unit();
        }
        let mut args = vec![self.lower_borrowed(&mc.receiver)];
        args.extend(mc.args.iter().map(|a| self.lower_expr(a)));
        self.check_call_args(&args[1..], mc.args.iter());
        let kind = self.call_result_kind(&args[1..]);
        self.push_op(Prim::Call, Form::Method(mc.method.clone()), args, mc.span(), kind)
    }

    fn lower_call(&mut self, call: &'s syn::ExprCall, renamed: Expr, uses: Vec<Var>) -> Operand {
        let Expr::Path(fp) = &*call.func else {
            return self.fail(
                &call.func,
                "calling this expression cannot be differentiated",
                "call a named function that is #[differentiable] or has hand-written `_jvp`/`_vjp`",
            );
        };
        let segs: Vec<String> = fp.path.segments.iter().map(|s| s.ident.to_string()).collect();
        let last = segs.last().cloned().unwrap_or_default();
        if matches!(last.as_str(), "detach" | "no_grad") {
            let kind = call.args.first().map_or(Kind::Unknown, |a| match a {
                Expr::Closure(c) => self.infer_kind(&c.body),
                a => self.infer_kind(a),
            });
            return self.opaque(renamed, uses, kind);
        }
        let float_fn = segs.len() >= 2 && matches!(segs[segs.len() - 2].as_str(), "f32" | "f64");
        if float_fn {
            if let Some(rule) = rules::method(&last, call.args.len()) {
                let args = call.args.iter().map(|a| self.lower_expr(a)).collect();
                return self.push_op(
                    Prim::Rule(rule),
                    Form::Path(fp.clone()),
                    args,
                    call.span(),
                    Kind::Float,
                );
            }
            if rules::INACTIVE_METHODS.contains(&last.as_str()) {
                return self.opaque(renamed, uses, Kind::Bool);
            }
            return self.fail(
                fp,
                format!("no derivative rule for `{}`", segs.join("::")),
                format!(
                    "functions with derivatives: {}",
                    rules::METHODS.iter().map(|r| r.name).collect::<Vec<_>>().join(", ")
                ),
            );
        }
        let vector_type = segs.len() >= 2 && {
            let t = &segs[segs.len() - 2];
            (t.starts_with("Vector") || t.starts_with("SVector"))
                && t.trim_start_matches(|c: char| c.is_alphabetic())
                    .chars()
                    .all(|c| c.is_ascii_digit())
        };
        if vector_type && last == "new" {
            let args = call.args.iter().map(|a| self.lower_expr(a)).collect();
            return self.push_op(
                Prim::Build,
                Form::Path(fp.clone()),
                args,
                call.span(),
                Kind::Algebra,
            );
        }
        if self.local_var(&call.func).is_some() {
            return self.fail(
                &call.func,
                "calling a closure or function value cannot be differentiated",
                "call a named function that is #[differentiable] or has hand-written `_jvp`/`_vjp`",
            );
        }
        let args: Vec<Operand> = call.args.iter().map(|a| self.lower_expr(a)).collect();
        if !args.iter().any(|a| self.varied(a)) {
            // Only inactive arguments (`Vec::with_capacity(x.len())`): a constant.
            let kind = self.infer_kind(&Expr::Call(call.clone()));
            return self.opaque(renamed, uses, kind);
        }
        if self.refuse_mut_state(call.args.iter()) {
            return Self::unit();
        }
        self.check_call_args(&args, call.args.iter());
        // `Tensor::cat(..)`: the functions of `Tensor` return tensors; `meshgrid`, several.
        let kind = if segs.iter().any(|s| s == "Tensor") && last == "meshgrid" {
            Kind::Seq(crate::kind::Seq::Tensors)
        } else if segs.iter().any(|s| s == "Tensor") {
            Kind::Tensor
        } else {
            self.call_result_kind(&args)
        };
        self.push_op(Prim::Call, Form::Path(fp.clone()), args, call.span(), kind)
    }

    /// What a call of a differentiable function returns, as far as syntax shows: a tensor when
    /// it takes one (functions of tensors return tensors), else unknown (usually a float).
    fn call_result_kind(&self, args: &[Operand]) -> Kind {
        if args.iter().any(|a| self.kind(a) == Kind::Tensor) { Kind::Tensor } else { Kind::Unknown }
    }

    /// A differentiated call's adjoint runs the callee again (its `_vjp` recomputes it), so a
    /// callee handed `&mut` state (a random number generator) would change it a second time:
    /// refused, each such argument an error (DESIGN.md: "Nothing runs twice that can observe
    /// it"). Returns whether there was one.
    fn refuse_mut_state<'a>(&mut self, exprs: impl Iterator<Item = &'a Expr>) -> bool {
        let mut refused = false;
        let held: Vec<&Expr> = exprs.filter(|e| self.holds_mut_state(e)).collect();
        for e in held {
            self.errors.error(
                e,
                "a differentiated call cannot be handed `&mut` state: its adjoint would run the callee again and change the state a second time",
                "take what the callee needs from the state before the call and pass the values: `let z = rng.normal(); g(x, z)`",
            );
            refused = true;
        }
        refused
    }

    /// Whether an argument hands over `&mut` state: `&mut s`, a `&mut` parameter or `let`, or
    /// `self` in a `&mut self` method.
    fn holds_mut_state(&self, e: &Expr) -> bool {
        match e {
            Expr::Reference(r) => r.mutability.is_some(),
            Expr::Paren(p) => self.holds_mut_state(&p.expr),
            Expr::Path(p) if p.path.is_ident("self") => self.mut_self,
            _ => self.local_var(e).is_some_and(|v| {
                matches!(&self.vars[v.0].ty, Some(syn::Type::Reference(r)) if r.mutability.is_some())
            }),
        }
    }

    /// The callee's `_jvp`/`_vjp` take a tangent/adjoint for each of its float parameters, so
    /// each argument must be known to be a float or not.
    fn check_call_args<'a>(&mut self, args: &[Operand], exprs: impl Iterator<Item = &'a Expr>) {
        for (a, e) in args.iter().zip(exprs) {
            if a.var().is_some_and(|v| self.vars[v.0].buffer) {
                // Allowed when nothing writes the buffer afterwards (checked after lowering).
                continue;
            }
            if !self.varied(a) && self.kind(a) == Kind::Unknown {
                self.errors.error(
                    e,
                    "cannot tell whether this argument is a float",
                    "the callee's `_jvp`/`_vjp` take a tangent or adjoint for every float parameter (and every model it differentiates): bind a float argument with its type first, e.g. `let c: f64 = ...;`; a model is passed on only by a function that differentiates with respect to it too",
                );
            }
        }
    }

    /// Records `out = prim(args)`.
    pub fn push_op(
        &mut self,
        prim: Prim,
        form: Form,
        args: Vec<Operand>,
        span: Span,
        kind: Kind,
    ) -> Operand {
        let varied = args.iter().enumerate().any(|(k, a)| prim.differentiable(k) && self.varied(a));
        let kind =
            if varied && matches!(kind, Kind::Int | Kind::Unknown) { Kind::Float } else { kind };
        let out = self.new_var("t", kind, varied);
        self.nodes.push(Node::Op(Op { out, prim, form, args, span }));
        Operand::Var(out)
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
    fn inline_const(&self, e: &Expr) -> Option<Operand> {
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
            Expr::MethodCall(mc) => {
                let name = mc.method.to_string();
                let receiver = match self.model_field(&mc.receiver) {
                    Some(_) => field_receiver_kind(&name, 1 + mc.args.len()),
                    None => self.infer_kind(&mc.receiver),
                };
                if receiver == Kind::Tensor && !rules::INACTIVE_METHODS.contains(&name.as_str()) {
                    return Kind::Tensor;
                }
                if name == "len" {
                    Kind::Int
                } else if rules::INACTIVE_METHODS.contains(&name.as_str()) {
                    Kind::Bool
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
                        && matches!(segs[segs.len() - 2].as_str(), "f32" | "f64") =>
                    {
                        Kind::Float
                    }
                    Some("meshgrid") if segs.iter().any(|s| s == "Tensor") => {
                        Kind::Seq(crate::kind::Seq::Tensors)
                    }
                    _ if segs.iter().any(|s| s == "Tensor") => Kind::Tensor,
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
const TENSOR_FLOAT_METHODS: &[&str] =
    &["tanh", "exp", "ln", "sin", "cos", "sqrt", "powi", "powf", "abs"];

/// The kind of a model's field used as the receiver of `.name()`: a float when only floats have
/// the method (`m.a.max(x)`, `m.b.recip()`), else a tensor (a tensor cannot be read by value, so
/// a receiver is the likelier tensor).
fn field_receiver_kind(name: &str, operands: usize) -> Kind {
    let float_only = rules::method(name, operands).is_some()
        && rules::tensor_method(name, operands).is_none()
        && !TENSOR_FLOAT_METHODS.contains(&name);
    if float_only { Kind::Float } else { Kind::Tensor }
}

/// What identifies an index: its value, or the text of a constant.
fn operand_key(o: &Operand) -> String {
    match o {
        Operand::Var(v) | Operand::Ref(v) => format!("#{}", v.0),
        Operand::Const(e) => quote::quote!(#e).to_string(),
    }
}

/// The rule of an arithmetic operator.
fn arithmetic(op: &BinOp) -> Option<&'static Rule> {
    match op {
        BinOp::Add(_) => Some(&rules::ADD),
        BinOp::Sub(_) => Some(&rules::SUB),
        BinOp::Mul(_) => Some(&rules::MUL),
        BinOp::Div(_) => Some(&rules::DIV),
        BinOp::Rem(_) => Some(&rules::REM),
        _ => None,
    }
}

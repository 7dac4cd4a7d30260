//! `let` -> values: a name bound to a new value, a copy, a buffer or a tuple of values.

use super::context::Lowerer;
use super::rename::rename;
use crate::ir::{Node, Operand, Var};
use crate::kind::Kind;
use crate::syntax::contains_return;
use syn::spanned::Spanned;
use syn::{Expr, Pat};

impl<'s> Lowerer<'_> {
    /// Lowers `let pat (: ty)? = init;`.
    pub(super) fn lower_let(&mut self, local: &'s syn::Local) {
        let Some(init) = &local.init else {
            self.errors.error(
                &local.pat,
                "a `let` without a value cannot be differentiated",
                "initialise the variable where it is declared, e.g. `let mut s = 0.0;`",
            );
            return;
        };
        if let Some((else_token, _)) = &init.diverge {
            self.errors.error(
                else_token,
                "`let ... else` cannot be differentiated",
                "test first and bind after: `if x.is_empty() { return 0.0; } let f = x[0];` for `let Some(&f) = x.first() else { return 0.0 };` (`match` and `if let` on a value without a derivative work too)",
            );
            return;
        }
        if let Expr::Closure(c) = &*init.expr {
            // The rewrite stage inlined every closure it could (`rewrite/closures.rs`).
            self.errors.error(
                c,
                "this closure cannot be inlined where it is called",
                "call it only by name (`scale(2.0)`, not passed on or stored), with no `?` in its body and `return` only as a guard (`if t < lo { return lo; }` at the top of its body), before any name it reads is assigned: then each call is replaced by its body",
            );
            return;
        }
        if contains_return(&init.expr) {
            self.fail(
                &init.expr,
                "`return` inside a `let` initialiser cannot be differentiated",
                "return from a statement: `if cond { return a; }` before the `let`",
            );
            return;
        }
        let (pat, ty) = match &local.pat {
            Pat::Type(pt) => (&*pt.pat, Some((*pt.ty).clone())),
            p => (p, None),
        };
        match (pat, &*init.expr) {
            (Pat::Ident(pi), _) if pi.subpat.is_none() && pi.by_ref.is_none() => {
                let first = self.vars.len();
                let value = self.lower_expr(&init.expr);
                // `let r = &h;` of a local tensor, array or nalgebra value: `r` names `h`,
                // borrowed where it is passed on
                let value_kinds =
                    |k: Kind| matches!(k, Kind::Tensor | Kind::Algebra | Kind::Seq(crate::kind::Seq::Array));
                let borrows = match &value {
                    Operand::Ref(w) => {
                        let info = &self.vars[w.0];
                        let field = self.nodes.iter().any(|n| {
                            matches!(n, Node::Op(op) if op.out == *w && matches!(op.prim, crate::ir::Prim::Field))
                        });
                        info.param.is_none()
                            && !info.buffer
                            && !field
                            && value_kinds(info.kind)
                            && ty.as_ref().is_none_or(|t| match t {
                                syn::Type::Reference(r) => value_kinds(Kind::of_type(&r.elem)),
                                _ => false,
                            })
                    }
                    _ => false,
                };
                if let (true, Operand::Ref(w), None) = (borrows, &value, &pi.mutability) {
                    self.env.bind_borrowed(&pi.ident.to_string(), *w);
                    return;
                }
                let mut v = self.materialize(value, &pi.ident.to_string(), ty.clone(), first);
                let info = &self.vars[v.0];
                let data = !info.varied && matches!(info.kind, Kind::Int | Kind::Bool | Kind::Unknown);
                if pi.mutability.is_some() && v.0 < first && data {
                    // `let mut state = seed;`: inactive state of its own, which code kept as
                    // written may change in place (`uniform(&mut state)`), not a second name
                    // for `seed`.
                    let (kind, ident) = (info.kind, info.ident.clone());
                    let copy = self.new_var(&pi.ident.to_string(), kind, false);
                    self.vars[copy.0].ty = ty.clone();
                    self.nodes.push(Node::Opaque { out: copy, expr: syn::parse_quote!(#ident), uses: vec![v] });
                    v = copy;
                }
                // `let mut b: Vec<f64> = ..`: a buffer written in place (inside a loop body or
                // an arm, a new buffer each time that code runs).
                let fresh = v.0 >= first;
                let vec = self.vars[v.0].kind == Kind::Seq(crate::kind::Seq::Vec);
                // A `Vec` only ever assigned whole is a plain value, carried like a float.
                let written = self.element_writes.contains(&pi.ident.to_string());
                // A `let mut` of no known float kind (`vec![0usize; k]`, `Vec::new()`) written by
                // element is a buffer of inactive data: what it holds never has a derivative
                // (storing an active value into it is an error, below).
                let data = self.vars[v.0].kind == Kind::Unknown && !self.vars[v.0].varied;
                if pi.mutability.is_some() && fresh && (vec || data) && written {
                    let algebra =
                        crate::rewrite::buffer_types::algebra_repeat(&init.expr).is_some();
                    let untyped =
                        crate::rewrite::buffer_types::is_empty_vec(&init.expr) || algebra;
                    if data && ty.is_none() && untyped {
                        self.untyped.insert(v, crate::rewrite::buffer_types::key(&pi.ident));
                        if algebra {
                            self.untyped_algebra.insert(v);
                        }
                    }
                    self.vars[v.0].buffer = true;
                    self.vars[v.0].scoped = self.depth > 0;
                    if vec {
                        self.vars[v.0].varied |= self.any_active;
                    }
                }
                self.env.bind(&pi.ident.to_string(), v, false);
            }
            (Pat::Wild(_), e) => self.lower_stmt_expr(e),
            (Pat::Tuple(pt), Expr::Tuple(et)) if pt.elems.len() == et.elems.len() && ty.is_none() => {
                let mut values = Vec::new();
                for e in &et.elems {
                    let first = self.vars.len();
                    values.push((self.lower_expr(e), first));
                }
                for (p, (value, first)) in pt.elems.iter().zip(values) {
                    let (p, ty) = match p {
                        Pat::Type(t) => (&*t.pat, Some((*t.ty).clone())),
                        p => (p, None),
                    };
                    match p {
                        Pat::Ident(pi) if pi.subpat.is_none() && pi.by_ref.is_none() => {
                            let v = self.materialize(value, &pi.ident.to_string(), ty, first);
                            self.env.bind(&pi.ident.to_string(), v, false);
                        }
                        Pat::Wild(_) => {}
                        other => self.errors.error(
                            other,
                            "this pattern cannot be differentiated",
                            "bind each element of the tuple to a name",
                        ),
                    }
                }
            }
            // `let (a, b) = g(x);`: a tuple value, its elements read one by one.
            (Pat::Tuple(pt), init) if ty.is_none() => {
                let tuple = match self.lower_expr(init) {
                    Operand::Var(t) | Operand::Ref(t) => t,
                    Operand::Const(c) => {
                        let kind = self.infer_kind(&c);
                        match self.opaque(c, Vec::new(), kind) {
                            Operand::Var(t) => t,
                            _ => return,
                        }
                    }
                };
                for (k, p) in pt.elems.iter().enumerate() {
                    match p {
                        Pat::Ident(pi) if pi.subpat.is_none() && pi.by_ref.is_none() => {
                            let first = self.vars.len();
                            let value = self.element(tuple, k, init.span());
                            let v = self.materialize(value, &pi.ident.to_string(), None, first);
                            self.env.bind(&pi.ident.to_string(), v, false);
                        }
                        Pat::Wild(_) => {}
                        other => self.errors.error(
                            other,
                            "this pattern cannot be differentiated",
                            "bind each element of the tuple to a name: `let (a, b) = ..;`",
                        ),
                    }
                }
            }
            (other, _) => self.errors.error(
                other,
                "this `let` pattern cannot be differentiated",
                "bind the value to a name (`let x = ...;`), or a tuple of names to a tuple of values",
            ),
        }
    }

    /// Element `k` of the tuple `t` (`t.k`).
    pub fn element(&mut self, t: Var, k: usize, span: proc_macro2::Span) -> Operand {
        use crate::ir::{Form, Prim};
        // (what is destructured is a tuple: a call's result, whose seed is built for one)
        self.vars[t.0].kind = Kind::Tuple;
        let args = vec![Operand::Var(t)];
        self.push_op(Prim::Element, Form::Element(k), args, span, Kind::Unknown)
    }

    /// Gives `value` a value of its own named `name` (a constant becomes an assignment; a value
    /// created since `first` is renamed; an existing value is shared).
    pub fn materialize(
        &mut self,
        value: Operand,
        name: &str,
        ty: Option<syn::Type>,
        first: usize,
    ) -> Var {
        let annotated = ty
            .as_ref()
            .map(|t| Kind::of_type_with(t, &self.float_generics))
            .filter(|k| *k != Kind::Unknown);
        match value {
            Operand::Const(expr) => {
                let kind = annotated.unwrap_or_else(|| Kind::of_const(&expr));
                let v = self.new_var(name, kind, false);
                self.vars[v.0].ty = ty;
                let uses = rename(&expr, &self.env, &self.vars).uses;
                self.nodes.push(Node::Opaque { out: v, expr, uses });
                v
            }
            Operand::Var(v) if v.0 >= first && self.vars[v.0].param.is_none() => {
                self.rename_var(v, name);
                if let Some(k) = annotated {
                    self.vars[v.0].kind = k;
                }
                if self.vars[v.0].ty.is_none() {
                    self.vars[v.0].ty = ty;
                }
                v
            }
            // `let v: &[f64] = &m.v;`: a model's sequence field, borrowed as a slice.
            Operand::Ref(v)
                if v.0 >= first
                    && matches!(ty, Some(syn::Type::Reference(ref r)) if matches!(*r.elem, syn::Type::Slice(_)))
                    && self.nodes.iter().any(|n| matches!(n, Node::Op(op) if op.out == v && matches!(op.prim, crate::ir::Prim::Field))) =>
            {
                self.rename_var(v, name);
                self.vars[v.0].kind = Kind::Seq(crate::kind::Seq::Slice);
                v
            }
            // `let r: &[f64] = &c;` of a buffer: the whole of it as a sub-slice (`&c[..]`), so
            // that `r` stays a borrow where it is passed on
            Operand::Ref(v)
                if self.vars[v.0].buffer
                    && self.vars[v.0].kind == Kind::Seq(crate::kind::Seq::Vec)
                    && ty.as_ref().is_none_or(|t| matches!(t, syn::Type::Reference(_))) =>
            {
                match self.sub_slice(v, None, None, proc_macro2::Span::call_site()) {
                    Operand::Var(w) => {
                        self.rename_var(w, name);
                        w
                    }
                    _ => v,
                }
            }
            // `let t: f64 = m;` of a value whose kind syntax could not tell: the annotation does
            Operand::Var(v) | Operand::Ref(v) => {
                if let Some(k) = annotated
                    && self.vars[v.0].kind == Kind::Unknown
                    && self.vars[v.0].param.is_none()
                {
                    self.vars[v.0].kind = k;
                }
                v
            }
        }
    }
}

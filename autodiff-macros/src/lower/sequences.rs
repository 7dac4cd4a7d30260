//! Reading sequences: `x[i]` of slices, arrays, `Vec`s, rows and points, and sub-slices
//! `&x[a..b]`.

use super::context::Lowerer;
use crate::diagnostics::problems;
use crate::ir::{Form, Node, Operand, Prim, Var};
use crate::kind::Kind;
use syn::Expr;
use syn::spanned::Spanned;

impl<'s> Lowerer<'_> {
    /// The index of `seq[i]`, which must not depend on an active parameter.
    pub(super) fn lower_inactive_index(&mut self, e: &'s Expr) -> Option<Operand> {
        let index = self.lower_expr(e);
        if self.varied(&index) {
            self.errors.error(
                e,
                problems::ACTIVE_INDEX,
                "compute indices from integers; wrap a float-derived index in `detach(..)`",
            );
            return None;
        }
        Some(index)
    }

    /// `&seq[a..b]` (also `a..`, `..b`, `..`): a sub-slice, borrowed, at inactive bounds. Of a
    /// buffer only after its last write (checked in `check.rs`).
    pub(super) fn lower_sub_slice(
        &mut self,
        seq: Var,
        r: &'s syn::ExprRange,
        ix: &'s syn::ExprIndex,
    ) -> Operand {
        if matches!(r.limits, syn::RangeLimits::Closed(_)) {
            return self.fail(
                r,
                "an inclusive range cannot slice here",
                "write it half-open: `a..b + 1`",
            );
        }
        let mut bound = |e: &'s Option<Box<Expr>>| match e {
            Some(e) => self.lower_inactive_index(e).map(Some),
            None => Some(None),
        };
        let Some(start) = bound(&r.start) else { return Self::unit() };
        let Some(end) = bound(&r.end) else { return Self::unit() };
        self.sub_slice(seq, start, end, ix.span())
    }

    /// The sub-slice `&seq[start..end]` (from 0, to the end, where a bound is `None`).
    pub(super) fn sub_slice(
        &mut self,
        seq: Var,
        start: Option<Operand>,
        end: Option<Operand>,
        span: proc_macro2::Span,
    ) -> Operand {
        let start = start.unwrap_or_else(|| Operand::Const(syn::parse_quote!(0)));
        let end = end.unwrap_or_else(|| {
            let id = self.vars[seq.0].ident.clone();
            self.opaque(syn::parse_quote!(#id.len()), vec![seq], Kind::Int)
        });
        let kind = Kind::Seq(crate::kind::Seq::Slice);
        let slice =
            self.push_op(Prim::Slice, Form::Slice, vec![Operand::Var(seq), start, end], span, kind);
        // (its elements are the sequence's: points, rows)
        if let Operand::Var(v) = slice
            && let Some(e) = self.vars[seq.0].ty.as_ref().and_then(Kind::element_type)
        {
            self.vars[v.0].ty = Some(syn::parse_quote!(&[#e]));
        }
        slice
    }

    /// Whether a sequence's elements are `Vec`s of floats (by its declared type).
    pub(super) fn vec_rows(&self, seq: Var) -> bool {
        self.element_kind(seq) == Kind::Seq(crate::kind::Seq::Vec)
    }

    /// Whether a sequence's elements are nalgebra vectors or matrices (by its declared type).
    pub(super) fn holds_algebra(&self, seq: Var) -> bool {
        self.element_kind(seq) == Kind::Algebra
    }

    /// Gives `to`, a new value of the array `from` (its next value in a loop, after a write),
    /// `from`'s array type: reading its rows then knows they are arrays (`[[f64; 2]; 4]`).
    pub(super) fn inherit_array_type(&mut self, from: Var, to: Var) {
        if let Some(ty @ syn::Type::Array(_)) = &self.vars[from.0].ty {
            self.vars[to.0].ty = Some(ty.clone());
        }
    }

    /// The kind of a sequence's elements, by its declared type: points (`&[Vector3<f64>]`),
    /// rows (`&[[f64; 3]]`, `Vec<Vec<f64>>`), and otherwise floats.
    pub(super) fn element_kind(&self, seq: Var) -> Kind {
        let declared = self.vars[seq.0].ty.as_ref().and_then(Kind::element_type);
        match declared.map(|e| Kind::of_type(&e)) {
            Some(k @ (Kind::Algebra | Kind::Seq(_))) => k,
            _ => Kind::Float,
        }
    }

    /// `seq[i]`: an element of a sequence of floats, at an inactive index.
    pub(super) fn lower_index(&mut self, ix: &'s syn::ExprIndex) -> Operand {
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
            // `(h * x)[0]`: an nalgebra value (or a call's result) computed in place
            e @ (Expr::Paren(_) | Expr::Call(_) | Expr::MethodCall(_))
                if self.local_var(e).is_none() =>
            {
                self.lower_expr(e).var()
            }
            e => self.local_var(e),
        }
        .filter(|v| {
            // A value of unknown type that depends on an active parameter and is indexed
            // (`let v = g(x); v[0]`, an array a loop carries from such a call): a sequence, its
            // adjoint shaped like it (`zero_adjoint(&v)`: a `Vec` or an array alike).
            if self.vars[v.0].varied && matches!(self.vars[v.0].kind, Kind::Float | Kind::Unknown) {
                self.vars[v.0].kind = Kind::Seq(crate::kind::Seq::Array);
            }
            matches!(self.vars[v.0].kind, Kind::Seq(_) | Kind::Algebra)
        });
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
}

/// What identifies an index: its value, or the text of a constant.
pub(super) fn operand_key(o: &Operand) -> String {
    match o {
        Operand::Var(v) | Operand::Ref(v) => format!("#{}", v.0),
        Operand::Const(e) => quote::quote!(#e).to_string(),
    }
}

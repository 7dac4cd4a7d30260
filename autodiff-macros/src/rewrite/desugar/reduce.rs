//! Reductions (`sum`, `product`, `fold`) and collections (`collect`, `to_vec`, `clone`) of an
//! iteration, as loops.

use super::binding::{bound_body, strip_refs};
use super::walk::Desugar;
use syn::visit_mut::{self, VisitMut};
use syn::{Expr, Pat, parse_quote};

impl Desugar {
    /// `x.iter()...sum()`, `.product()`, `.fold(init, f)` as a loop.
    pub(super) fn reduction(&mut self, m: &syn::ExprMethodCall) -> Option<Expr> {
        let name = m.method.to_string();
        // A reduction typed as floats (`.sum::<f64>()`, a fold from a float literal) may read
        // constant tables: their items are floats too.
        let float_type = |t: &syn::GenericArgument| matches!(t, syn::GenericArgument::Type(ty) if crate::kind::Kind::of_type(ty) == crate::kind::Kind::Float);
        let typed = m.turbofish.as_ref().is_some_and(|t| t.args.first().is_some_and(float_type))
            || (name == "fold"
                && matches!(m.args.first(), Some(Expr::Lit(l)) if matches!(l.lit, syn::Lit::Float(_))));
        self.float_tables = typed;
        let src = match (name.as_str(), m.args.len()) {
            ("sum" | "product", 0) | ("fold", 2) => self.source(&m.receiver),
            _ => None,
        };
        self.float_tables = false;
        let src = src?;
        let (k, acc) = (self.fresh("k"), self.fresh("acc"));
        let range = Self::range(&src);
        let index: Expr = parse_quote!(#k);
        let ty = m.turbofish.as_ref().and_then(|t| match t.args.first() {
            Some(syn::GenericArgument::Type(ty)) => Some(ty.clone()),
            _ => None,
        });
        // `.fold(0.0, |acc: f64, v| ..)`: the accumulator's type from the closure's parameter
        let ty = ty.or_else(|| match m.args.get(1) {
            Some(Expr::Closure(c)) if name == "fold" => match c.inputs.first() {
                Some(Pat::Type(t)) => Some((*t.ty).clone()),
                _ => None,
            },
            _ => None,
        });
        let annotation = ty.map(|t| quote::quote!(: #t));
        let (init, step): (Expr, Vec<syn::Stmt>) = match name.as_str() {
            "sum" | "product" => {
                let item = self.fresh("item");
                let elem = (src.elem)(&index)?.expr()?;
                let op: syn::BinOp =
                    if name == "sum" { parse_quote!(+=) } else { parse_quote!(*=) };
                // std starts a float sum from -0.0 (so an empty or all -0.0 sum is -0.0)
                let init = if name == "sum" { parse_quote!(-0.0) } else { parse_quote!(1.0) };
                (init, vec![parse_quote!(let #item = #elem;), parse_quote!(#acc #op #item;)])
            }
            _ => {
                let init = m.args[0].clone();
                let step = match &m.args[1] {
                    Expr::Closure(c) if c.inputs.len() == 2 => {
                        let pa = strip_refs(&c.inputs[0]);
                        let item = (src.elem)(&index)?;
                        let body = crate::syntax::parenthesized_if_ambiguous((*c.body).clone());
                        let (lets, body) =
                            bound_body(&c.inputs[1], item, &src.refs, &body, |v, b| {
                                v.visit_expr_mut(b)
                            })?;
                        parse_quote!(#acc = { #(#lets)* let #pa = #acc; #body };)
                    }
                    f @ Expr::Path(_) => {
                        let elem = (src.elem)(&index)?.expr()?;
                        parse_quote!(#acc = #f(#acc, #elem);)
                    }
                    _ => return None,
                };
                (init, vec![step])
            }
        };
        let step = Self::kept(&src, &index, parse_quote!({ #(#step)* }))?;
        Some(parse_quote!({
            let mut #acc #annotation = #init;
            for #k in #range #step
            #acc
        }))
    }
}

impl Desugar {
    /// `<iteration>.collect()` into a `Vec`, `x.to_vec()` and `v.clone()` of a `Vec`: a buffer
    /// the loop fills. The
    /// element type comes from the turbofish or `target` (a `let`'s annotation); a target
    /// other than a `Vec` of floats (or of `_`) is left as written, and so is a range's
    /// collection unless it is typed as floats.
    ///
    /// ```text
    /// x.iter().map(|v| v.exp()).collect::<Vec<f64>>()
    ///     => { let mut b: Vec<f64> = vec![0.0; x.len()];
    ///          for k in 0..x.len() { b[k] = { let v = x[k]; v.exp() }; } b }
    /// (0..n).map(|i| x[i] * w).collect::<Vec<f64>>()
    ///     => { let mut b: Vec<f64> = Vec::with_capacity((0..n).size_hint().0);
    ///          for k in (0..n) { b.push({ let i = k; x[i] * w }); } b }
    /// ```
    pub(super) fn collect(
        &mut self,
        m: &syn::ExprMethodCall,
        target: Option<&syn::Type>,
    ) -> Option<Expr> {
        let src = match (m.method.to_string().as_str(), m.args.len()) {
            ("collect", 0) => self.source(&m.receiver)?,
            ("to_vec", 0) if self.float_roots(&m.receiver) => {
                self.seq(&m.receiver)?;
                self.source(&m.receiver)?
            }
            ("clone" | "to_owned", 0) => match &*m.receiver {
                Expr::Path(p)
                    if p.path.get_ident().is_some() && self.floats.is_vec(&m.receiver) =>
                {
                    self.source(&m.receiver)?
                }
                _ => return None,
            },
            _ => return None,
        };
        let turbofish = m.turbofish.as_ref().and_then(|t| match t.args.first() {
            Some(syn::GenericArgument::Type(ty)) => Some(ty.clone()),
            _ => None,
        });
        let elem = match turbofish.as_ref().or(target) {
            Some(t) if m.method == "collect" => Some(vec_element(t)?),
            _ => None,
        };
        let float = elem.as_ref().is_some_and(
            |t| matches!(t, syn::Type::Path(p) if p.path.is_ident("f64") || p.path.is_ident("f32")),
        );
        let inferred = elem.as_ref().is_none_or(|t| matches!(t, syn::Type::Infer(_)));
        // (A range, or a filter, has no length to allocate first: the buffer is pushed into.)
        // (Of an unknown element type, only the elements of sequences of floats.)
        if !(float || inferred && src.range.is_none() && self.float_roots(&m.receiver)) {
            return None;
        }
        let (k, b) = (self.fresh("k"), self.fresh("collected"));
        let item = (src.elem)(&parse_quote!(#k))?.expr()?;
        let annotation = elem.map(|t| quote::quote!(: Vec<#t>));
        let range = Self::range(&src);
        let kept = |body: syn::Block| Self::kept(&src, &parse_quote!(#k), body);
        Some(match (&src.range, &src.keep) {
            // The length counted first.
            (None, None) => {
                let len = Self::length(&src);
                parse_quote!({
                    let mut #b #annotation = vec![0.0; #len];
                    for #k in 0..(#len) { #b[#k] = #item; }
                    #b
                })
            }
            // A filter of floats of an unknown type: the items it keeps counted first, then
            // written at a running index.
            (None, Some(_)) if !float => {
                let (n, j) = (self.fresh("count"), self.fresh("at"));
                let count = kept(parse_quote!({ #n += 1; }))?;
                let fill = kept(parse_quote!({ #b[#j] = #item; #j += 1; }))?;
                parse_quote!({
                    let mut #n = 0usize;
                    for #k in #range #count
                    let mut #b = vec![0.0; #n];
                    let mut #j = 0usize;
                    for #k in #range #fill
                    #b
                })
            }
            // A range, or a filter, typed as floats: pushed into.
            _ => {
                let push = kept(parse_quote!({ #b.push(#item); }))?;
                parse_quote!({
                    let mut #b #annotation = Vec::with_capacity((#range).size_hint().0);
                    for #k in #range #push
                    #b
                })
            }
        })
    }
}

impl Desugar {
    /// Whether the sequences an iterator chain reads are all known to hold floats.
    pub(super) fn float_roots(&self, e: &Expr) -> bool {
        match e {
            Expr::MethodCall(m) => {
                self.float_roots(&m.receiver)
                    && (m.method != "zip" || m.args.iter().all(|a| self.float_roots(a)))
            }
            Expr::Path(_) => self.floats.is_seq(e),
            Expr::Reference(r) => self.float_roots(&r.expr),
            Expr::Paren(p) => self.float_roots(&p.expr),
            Expr::Index(ix) if matches!(&*ix.index, Expr::Range(_)) => self.float_roots(&ix.expr),
            _ => false,
        }
    }

    /// `let y: T = <collect>` and a result of type `T`: the collection typed by `T`.
    pub(super) fn typed_collect(&mut self, e: &mut Expr, ty: &syn::Type) {
        let Expr::MethodCall(m) = e else { return };
        self.visit_expr_mut(&mut m.receiver);
        if let Some(new) = self.collect(m, Some(ty)) {
            *e = new;
            visit_mut::visit_expr_mut(self, e);
        }
    }
}

/// `T` of `Vec<T>` (not of a slice or an array).
pub(super) fn vec_element(ty: &syn::Type) -> Option<syn::Type> {
    match ty {
        syn::Type::Path(_) => crate::kind::Kind::element_type(ty),
        _ => None,
    }
}

//! The walk over the body: the rewrites of `super` applied in order, statement by statement,
//! with the names in scope (what holds floats) kept as it goes.

use super::binding::bound_body;
use super::float_names::FloatNames;
use super::in_place::{is_mem_swap, mut_name};
use super::reduce::vec_element;
use crate::kind::Kind;
use proc_macro2::Span;
use std::collections::HashSet;
use syn::visit_mut::{self, VisitMut};
use syn::{Expr, Ident, Pat, parse_quote};

/// Rewrites the iterator forms of `block`; `params` are the parameters' names and kinds, `ret`
/// the function's result type.
pub fn desugar(
    block: &mut syn::Block,
    params: &[(String, Kind, syn::Type)],
    ret: Option<&syn::Type>,
    rt: &proc_macro2::TokenStream,
) {
    // (`Vec` rows are not iterated by index: a row would be moved out)
    let mut seqs = params
        .iter()
        .filter(|(_, k, t)| {
            matches!(k, Kind::Seq(_))
                && Kind::element_type(t).and_then(|e| vec_element(&e)).is_none()
        })
        .map(|(n, _, _)| n.clone())
        .collect();
    collect_local_seqs(block, &mut seqs);
    // `&[Vec<f64>]`, `Vec<Vec<f64>>`: iterated row by row, each row read in place (`w[k][j]`)
    let rows = params
        .iter()
        .filter(|(_, k, t)| {
            matches!(k, Kind::Seq(_))
                && Kind::element_type(t).and_then(|e| vec_element(&e)).is_some()
        })
        .map(|(n, _, _)| n.clone())
        .collect();
    // models named in `wrt(..)`: their sequence fields (`m.weights.iter()`) are iterated by index
    let models =
        params.iter().filter(|(_, k, _)| *k == Kind::Model).map(|(n, _, _)| n.clone()).collect();
    // `labels: &[usize]`: data iterated beside floats (`w.iter().zip(labels)`), read by index
    let rebound = crate::syntax::bound_names(&Expr::Block(syn::ExprBlock {
        attrs: Vec::new(),
        label: None,
        block: block.clone(),
    }));
    let data = params
        .iter()
        .filter(|(n, _, t)| {
            !rebound.contains(n)
                && matches!(t, syn::Type::Reference(_) | syn::Type::Array(_) | syn::Type::Path(_))
                && Kind::element_type(t)
                    .is_some_and(|e| matches!(Kind::of_type(&e), Kind::Int | Kind::Bool))
        })
        .map(|(n, _, _)| n.clone())
        .collect();
    let results = call_results(block, &rebound_twice(block));
    let types: Vec<(String, syn::Type)> =
        params.iter().map(|(n, _, t)| (n.clone(), t.clone())).collect();
    let floats = FloatNames::new(&types);
    // `v: &Vector3<f64>`, `a: &[f64; 3]` are copied in at the start of the generated functions
    // (items.rs): where the body passes them on (`w.dot(v)`, `g(v)`) they are borrowed again,
    // and `*v` is `v`.
    let by_reference: Vec<Ident> = params
        .iter()
        .filter(|(_, k, t)| {
            matches!(k, Kind::Algebra | Kind::Seq(crate::kind::Seq::Array))
                && matches!(t, syn::Type::Reference(_))
        })
        .map(|(n, _, _)| Ident::new(n, Span::call_site()))
        .collect();
    if !by_reference.is_empty() {
        super::binding::BorrowArguments::new(by_reference, true).visit_block_mut(block);
    }
    let mut buffers = crate::syntax::element_writes(block);
    buffers.extend(copies(block));
    let mut d = Desugar {
        seqs,
        data,
        results,
        rows,
        models,
        buffers,
        floats,
        next: 0,
        rt: rt.clone(),
        float_tables: false,
    };
    // `fn f(..) -> Vec<f64> { .. x.iter().map(..).collect() }`: typed by the result.
    if let Some(ret) = ret
        && let Some((syn::Stmt::Expr(tail, None), rest)) = block.stmts.split_last_mut()
        && matches!(tail, Expr::MethodCall(m) if m.method == "collect" && m.turbofish.is_none())
    {
        for s in rest {
            d.visit_stmt_mut(s);
        }
        d.typed_collect(tail, ret);
        return;
    }
    d.visit_block_mut(block);
}

/// The names bound by `let` to a copy or a collection (`x.to_vec()`, `v.clone()`,
/// `.collect()`): buffers once desugared.
fn copies(block: &syn::Block) -> HashSet<String> {
    struct Finder(HashSet<String>);
    impl<'a> syn::visit::Visit<'a> for Finder {
        fn visit_local(&mut self, l: &'a syn::Local) {
            let pat = match &l.pat {
                Pat::Type(t) => &*t.pat,
                p => p,
            };
            if let (Pat::Ident(pi), Some(init)) = (pat, &l.init)
                && matches!(&*init.expr, Expr::MethodCall(m) if matches!(m.method.to_string().as_str(), "to_vec" | "clone" | "to_owned" | "collect"))
            {
                self.0.insert(pi.ident.to_string());
            }
            syn::visit::visit_local(self, l);
        }
    }
    let mut f = Finder(HashSet::new());
    syn::visit::Visit::visit_block(&mut f, block);
    f.0
}

/// The names bound more than once in `block` (by `let`s, patterns, closure parameters).
fn rebound_twice(block: &syn::Block) -> HashSet<String> {
    struct Count(std::collections::HashMap<String, usize>);
    impl<'a> syn::visit::Visit<'a> for Count {
        fn visit_pat_ident(&mut self, p: &'a syn::PatIdent) {
            *self.0.entry(p.ident.to_string()).or_default() += 1;
            syn::visit::visit_pat_ident(self, p);
        }
    }
    let mut c = Count(std::collections::HashMap::new());
    syn::visit::Visit::visit_block(&mut c, block);
    c.0.into_iter().filter(|(_, n)| *n > 1).map(|(name, _)| name).collect()
}

/// The names bound once, without a type, to a call of a function (`let p = softmax(&z);`, not
/// `Vector3::new(..)` or `Vec::new()`), or to the elements of its tuple result (`let (m, c) =
/// stats(x);`): see [`Desugar::results`].
fn call_results(block: &syn::Block, rebound: &HashSet<String>) -> HashSet<String> {
    struct Finder<'r>(HashSet<String>, &'r HashSet<String>);
    impl<'a> syn::visit::Visit<'a> for Finder<'_> {
        fn visit_local(&mut self, l: &'a syn::Local) {
            let names: Vec<&syn::Ident> = match &l.pat {
                Pat::Ident(pi) if pi.subpat.is_none() => vec![&pi.ident],
                Pat::Tuple(t) => t
                    .elems
                    .iter()
                    .filter_map(|p| match p {
                        Pat::Ident(pi) if pi.subpat.is_none() => Some(&pi.ident),
                        _ => None,
                    })
                    .collect(),
                _ => Vec::new(),
            };
            if let Some(init) = &l.init
                && let Expr::Call(c) = &*init.expr
                && let Expr::Path(p) = &*c.func
                && p.path
                    .segments
                    .iter()
                    .all(|s| !s.ident.to_string().starts_with(char::is_uppercase))
            {
                let once = names.into_iter().filter(|n| !self.1.contains(&n.to_string()));
                self.0.extend(once.map(ToString::to_string));
            }
            syn::visit::visit_local(self, l);
        }
    }
    let mut f = Finder(HashSet::new(), rebound);
    syn::visit::Visit::visit_block(&mut f, block);
    f.0
}

/// Adds the names of `let`s whose type or value is a sequence of floats.
pub(super) fn collect_local_seqs(block: &syn::Block, seqs: &mut HashSet<String>) {
    struct Finder<'a>(&'a mut HashSet<String>);
    impl<'a> syn::visit::Visit<'a> for Finder<'_> {
        fn visit_local(&mut self, l: &'a syn::Local) {
            let (pat, ty) = match &l.pat {
                Pat::Type(t) => (&*t.pat, Some(&*t.ty)),
                p => (p, None),
            };
            if let Pat::Ident(pi) = pat {
                let by_type = ty.is_some_and(|t| {
                    matches!(crate::kind::Kind::of_type(t), crate::kind::Kind::Seq(_))
                });
                let by_value = ty.is_none() && l.init.as_ref().is_some_and(|i| match &*i.expr {
                    Expr::Array(_) | Expr::Repeat(_) => true,
                    Expr::Macro(m) => m.mac.path.is_ident("vec"),
                    // `b.clone()` of a sequence
                    Expr::MethodCall(m) if m.method == "clone" || m.method == "to_owned" => {
                        matches!(&*m.receiver, Expr::Path(p) if p.path.get_ident().is_some_and(|v| self.0.contains(&v.to_string())))
                    }
                    Expr::MethodCall(m) => {
                        m.method == "to_vec"
                            || m.method == "collect"
                                && matches!(m.turbofish.as_ref().and_then(|t| t.args.first()),
                                    Some(syn::GenericArgument::Type(ty)) if vec_element(ty).is_some())
                    }
                    // a sub-slice `&x[a..b]`
                    Expr::Reference(r) => {
                        matches!(&*r.expr, Expr::Index(ix) if matches!(&*ix.index, Expr::Range(_)))
                    }
                    _ => false,
                });
                if by_type || by_value {
                    self.0.insert(pi.ident.to_string());
                }
            }
            syn::visit::visit_local(self, l);
        }
    }
    syn::visit::Visit::visit_block(&mut Finder(seqs), block);
}

pub(super) struct Desugar {
    pub(super) seqs: HashSet<String>,
    /// Parameters holding sequences of integers or `bool`s (`labels: &[usize]`), never bound
    /// again: zipped with sequences of floats, read by index.
    pub(super) data: HashSet<String>,
    /// Names bound once, without a type, to a call's result (`let p = softmax(&z);`), which
    /// may be a sequence of floats: iterated beside a known one (`p.iter().zip(y)`) or in a
    /// reduction typed as floats, read by index.
    pub(super) results: HashSet<String>,
    /// Parameters of `Vec` rows (`&[Vec<f64>]`): their rows are iterated, each read in place.
    pub(super) rows: HashSet<String>,
    /// Model parameters (named in `wrt(..)`): a field iterated (`m.weights.iter()`) is read by
    /// index, `m.weights[k]`.
    pub(super) models: HashSet<String>,
    /// Names of `Vec`s written in place: written by element, or copies and collections
    /// (`x.to_vec()`, `.collect()`), which are filled element by element.
    pub(super) buffers: HashSet<String>,
    /// Names known to hold sequences (and `Vec`s) of floats.
    pub(super) floats: FloatNames,
    pub(super) next: usize,
    /// The path of the runtime's `__private` module.
    pub(super) rt: proc_macro2::TokenStream,
    /// Whether constant tables (`COEFFS.iter()`) count as sequences: inside a reduction typed
    /// as floats, whose items are then floats.
    pub(super) float_tables: bool,
}

impl Desugar {
    pub(super) fn fresh(&mut self, what: &str) -> Ident {
        self.next += 1;
        Ident::new(&format!("__autodiff_{what}{}", self.next), Span::call_site())
    }
}

/// Names bound by a loop's, an arm's or an `if let`'s pattern hold no sequence of floats.
impl crate::scopes::Scoped for Desugar {
    fn enter(&mut self) {
        self.floats.push();
    }

    fn leave(&mut self) {
        self.floats.pop();
    }

    fn bind(&mut self, pat: &Pat) {
        self.floats.bind_other(pat);
    }
}

impl VisitMut for Desugar {
    /// `let y: Vec<f64> = <iteration>.collect();`: the annotation types the buffer. The name
    /// is bound (for [`FloatNames`]) after its value.
    fn visit_local_mut(&mut self, l: &mut syn::Local) {
        let names = self.floats.of_let_names(l);
        // `let r: f64 = ...sum();` is `...sum::<f64>()`: a reduction typed as floats.
        if let (Pat::Type(pt), Some(init)) = (&l.pat, &mut l.init)
            && crate::kind::Kind::of_type(&pt.ty) == crate::kind::Kind::Float
            && let Expr::MethodCall(m) = &mut *init.expr
            && (m.method == "sum" || m.method == "product")
            && m.turbofish.is_none()
            && m.args.is_empty()
        {
            let ty = &pt.ty;
            m.turbofish = Some(syn::parse_quote!(::<#ty>));
        }
        match (&l.pat, &mut l.init) {
            (Pat::Type(pt), Some(init)) if matches!(&*init.expr, Expr::MethodCall(m) if m.method == "collect" && m.turbofish.is_none()) =>
            {
                self.typed_collect(&mut init.expr, &pt.ty);
            }
            _ => visit_mut::visit_local_mut(self, l),
        }
        for (name, holds) in names {
            self.floats.bind(name, holds);
        }
    }

    fn visit_block_mut(&mut self, b: &mut syn::Block) {
        self.floats.push();
        visit_mut::visit_block_mut(self, b);
        self.floats.pop();
    }

    crate::scopes::scoped_visits!();

    fn visit_expr_mut(&mut self, e: &mut Expr) {
        if let Some(read) = self.first_or_last(e).or_else(|| self.selection(e)) {
            *e = read;
            return;
        }
        visit_mut::visit_expr_mut(self, e);
        match e {
            // (A range loop is lowered as it is.)
            Expr::ForLoop(f) if f.label.is_none() && !crate::syntax::is_range(&f.expr) => {
                let Some(src) = self.source(&f.expr) else { return };
                let k = self.fresh("k");
                let range = Self::range(&src);
                let Some(item) = (src.elem)(&parse_quote!(#k)) else { return };
                let Some((lets, body)) =
                    bound_body(&f.pat, item, &src.refs, &f.body, |v, b| v.visit_block_mut(b))
                else {
                    return;
                };
                let Some(body) =
                    Self::kept(&src, &parse_quote!(#k), parse_quote!({ #(#lets)* #body }))
                else {
                    return;
                };
                *e = parse_quote!(for #k in #range #body);
                visit_mut::visit_expr_mut(self, e);
            }
            // `while let p = e { body }` -> `loop { match e { p => { body } _ => break, } }`
            Expr::While(w) if matches!(&*w.cond, Expr::Let(_)) => {
                let Expr::Let(l) = &*w.cond else { return };
                let (label, pat, scrutinee, body) = (&w.label, &l.pat, &l.expr, &w.body);
                *e = parse_quote!(#label loop { match #scrutinee { #pat => #body _ => break, } });
            }
            // `b.fill(v)`, `b[a..c].fill(v)`: the elements of the range written one by one.
            Expr::MethodCall(m) if m.method == "fill" && m.args.len() == 1 => {
                let receiver = match &*m.receiver {
                    Expr::Reference(r) if r.mutability.is_some() => &*r.expr,
                    r => r,
                };
                let Some(seq) = self.seq(receiver) else { return };
                let (k, value) = (self.fresh("k"), self.fresh("value"));
                let (name, written, v) = (&seq.name, &seq.written, &m.args[0]);
                let at = seq.at(&parse_quote!(#k));
                *e = parse_quote!({
                    let #value = #v;
                    for #k in 0..(#written).len() { #name[#at] = #value; }
                });
            }
            // `b.swap(i, j)`, `b.reverse()`, `b.copy_from_slice(s)`, `b.extend_from_slice(s)` of
            // sequences of floats: element by element.
            Expr::MethodCall(m)
                if matches!(
                    (m.method.to_string().as_str(), m.args.len()),
                    ("swap", 2) | ("reverse", 0) | ("copy_from_slice" | "extend_from_slice", 1)
                ) =>
            {
                if let Some(rewritten) = self.element_wise(m) {
                    *e = rewritten;
                }
            }
            Expr::MethodCall(m)
                if matches!(m.method.to_string().as_str(), "sort_by" | "sort_unstable_by")
                    && m.args.len() == 1 =>
            {
                if let Some(rewritten) = self.sorted(m) {
                    *e = rewritten;
                    visit_mut::visit_expr_mut(self, e);
                }
            }
            // `std::mem::swap(&mut a, &mut b)`: three assignments.
            Expr::Call(c) if is_mem_swap(&c.func) && c.args.len() == 2 => {
                let (Some(a), Some(b)) = (mut_name(&c.args[0]), mut_name(&c.args[1])) else {
                    return;
                };
                let t = self.fresh("swapped");
                let vecs = [&c.args[0], &c.args[1]].iter().all(|e| match e {
                    Expr::Reference(r) => self.floats.is_vec(&r.expr),
                    _ => false,
                });
                let written = [a, b].iter().any(|n| self.buffers.contains(&n.to_string()));
                *e = if vecs && written {
                    // Two `Vec` buffers (written in place): their elements are swapped, so each
                    // keeps its own adjoint buffer. Different lengths panic at the first element
                    // the shorter one lacks. (`Vec`s only ever assigned whole are values.)
                    let k = self.fresh("k");
                    parse_quote!({
                        for #k in 0..#a.len().max(#b.len()) {
                            let #t = #a[#k];
                            #a[#k] = #b[#k];
                            #b[#k] = #t;
                        }
                    })
                } else {
                    parse_quote!({ let #t = #a; #a = #b; #b = #t; })
                };
            }
            Expr::MethodCall(m) => {
                if let Some(r) = self.reduction(m).or_else(|| self.collect(m, None)) {
                    *e = r;
                    // The element may hold reductions of its own (from a closure body).
                    visit_mut::visit_expr_mut(self, e);
                }
            }
            _ => {}
        }
    }

    fn visit_expr_closure_mut(&mut self, _: &mut syn::ExprClosure) {
        // Closures are kept as written (only `no_grad(|| ..)` reaches lowering).
    }
}

impl Desugar {
    /// The first or last element of a sequence of floats, as a read by index:
    ///
    /// ```text
    /// *x.first().unwrap(), x.first().copied().unwrap()   =>  x[0]
    /// x.last().cloned().unwrap()                          =>  x[(x).len() - 1]
    /// x.last().copied().unwrap_or(d)                      =>  if (x).is_empty() { d } else { x[(x).len() - 1] }
    /// ```
    fn first_or_last(&self, e: &Expr) -> Option<Expr> {
        let method = |e: &Expr, names: &[&str], args: usize| match e {
            Expr::MethodCall(m)
                if names.contains(&m.method.to_string().as_str()) && m.args.len() == args =>
            {
                Some((*m.receiver).clone())
            }
            _ => None,
        };
        // `*x.first().unwrap()` or `x.first().copied().unwrap()`, and the `unwrap_or` forms.
        let (option, default, deref) = match e {
            Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => {
                (method(&u.expr, &["unwrap"], 0)?, None, true)
            }
            Expr::MethodCall(m) if m.method == "unwrap_or" && m.args.len() == 1 => {
                (method(e, &["unwrap_or"], 1)?, Some(m.args[0].clone()), false)
            }
            _ => (method(e, &["unwrap"], 0)?, None, false),
        };
        let option = match deref {
            true => option,
            false => method(&option, &["copied", "cloned"], 0)?,
        };
        let seq = method(&option, &["first"], 0)
            .map(|s| (s, true))
            .or_else(|| method(&option, &["last"], 0).map(|s| (s, false)));
        let (seq, first) = seq?;
        if !crate::syntax::is_simple(&seq) || !self.floats.is_seq(&seq) {
            return None;
        }
        let read: Expr = match first {
            true => parse_quote!(#seq[0]),
            false => parse_quote!(#seq[(#seq).len() - 1]),
        };
        Some(match default {
            Some(d) => parse_quote!(if (#seq).is_empty() { #d } else { #read }),
            None => read,
        })
    }

    /// The element a `max_by`/`min_by` selects, found by index with the comparator as written,
    /// then read by index (so its adjoint goes to that element):
    ///
    /// ```text
    /// *x.iter().max_by(cmp).unwrap()            =>  { let mut best = 0;
    /// x.iter().copied().min_by(cmp).unwrap()          for k in 1..(x).len() { if keeps(cmp(&x[best], &x[k])) { best = k; } }
    ///                                                 x[best] }
    /// ```
    ///
    /// `max_by` keeps the later of equal elements and `min_by` the earlier, as std does; an
    /// empty sequence panics, as `unwrap` does.
    fn selection(&self, e: &Expr) -> Option<Expr> {
        let call = |e: &Expr, names: &[&str], args: usize| match e {
            Expr::MethodCall(m)
                if names.contains(&m.method.to_string().as_str()) && m.args.len() == args =>
            {
                Some(m.clone())
            }
            _ => None,
        };
        // `*it.max_by(c).unwrap()`, `it.max_by(c).copied().unwrap()`, `it.copied().max_by(c).unwrap()`
        let (unwrapped, deref) = match e {
            Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => {
                (call(&u.expr, &["unwrap"], 0)?, true)
            }
            e => (call(e, &["unwrap"], 0)?, false),
        };
        let mut option = (*unwrapped.receiver).clone();
        let mut owned_after = false;
        if !deref && let Some(c) = call(&option, &["copied", "cloned"], 0) {
            option = (*c.receiver).clone();
            owned_after = true;
        }
        let select = call(&option, &["max_by", "min_by"], 1)?;
        let mut iter = (*select.receiver).clone();
        let mut owned_items = false;
        if let Some(c) = call(&iter, &["copied", "cloned"], 0) {
            iter = (*c.receiver).clone();
            owned_items = true;
        }
        // by reference (`*..unwrap()`, `.copied()` after) or by value (`.copied()` before)
        if owned_items == (deref || owned_after) {
            return None;
        }
        let seq = (*call(&iter, &["iter"], 0)?.receiver).clone();
        if !crate::syntax::is_simple(&seq) || !self.floats.is_seq(&seq) {
            return None;
        }
        let cmp = &select.args[0];
        let (best, k) =
            (quote::format_ident!("__autodiff_best"), quote::format_ident!("__autodiff_k"));
        let (a, b) = if owned_items {
            (quote::quote!(&#seq[#best]), quote::quote!(&#seq[#k]))
        } else {
            (quote::quote!(&&#seq[#best]), quote::quote!(&&#seq[#k]))
        };
        // max_by keeps a later element unless the best so far compares greater; min_by takes
        // a later element only when it compares less.
        let rt = &self.rt;
        let keeps = if select.method == "max_by" {
            quote::quote!(#rt::compare(#cmp, #a, #b) != #rt::Ordering::Greater)
        } else {
            quote::quote!(#rt::compare(#cmp, #b, #a) == #rt::Ordering::Less)
        };
        Some(parse_quote!({
            let _ = &#seq[0];
            let mut #best: usize = 0;
            for #k in 1..(#seq).len() {
                if #keeps {
                    #best = #k;
                }
            }
            #seq[#best]
        }))
    }
}

//! Before lowering: iterator forms over sequences of floats become index loops, which the
//! loop lowering differentiates (and walks backwards without storing indices).
//!
//! ```text
//! for (i, &xi) in x.iter().enumerate() { body }
//!     => for k in 0..x.len() { let (i, xi) = (k, x[k]); body }
//! x.iter().zip(y).map(|(a, b)| a * b).sum::<f64>()
//!     => { let mut acc: f64 = 0.0; for k in 0..x.len().min(y.len()) {
//!            let item = { let (a, b) = (x[k], y[k]); a * b }; acc += item; } acc }
//! ```
//!
//! Only iterators rooted at a name known to be a slice, array or `Vec` of floats (a parameter
//! or a `let` whose type or value shows it) are rewritten; others are left as written.

use proc_macro2::Span;
use std::collections::HashSet;
use syn::visit_mut::{self, VisitMut};
use syn::{Expr, Ident, Pat, parse_quote};

/// Rewrites the iterator forms of `block`; `seqs` are the names known to be sequences.
pub fn desugar(block: &mut syn::Block, mut seqs: HashSet<String>) {
    collect_local_seqs(block, &mut seqs);
    let mut d = Desugar { seqs, next: 0 };
    d.visit_block_mut(block);
}

/// Adds the names of `let`s whose type or value is a sequence of floats.
fn collect_local_seqs(block: &syn::Block, seqs: &mut HashSet<String>) {
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
                let by_value = l.init.as_ref().is_some_and(|i| match &*i.expr {
                    Expr::Array(_) | Expr::Repeat(_) => true,
                    Expr::Macro(m) => m.mac.path.is_ident("vec"),
                    Expr::MethodCall(m) => m.method == "to_vec",
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

/// Whether an iteration's items are references in the source (`x.iter()` yields `&f64`,
/// `.copied()` values), position by position in tuples (`zip`, `enumerate`).
#[derive(Clone)]
enum Refs {
    Leaf(bool),
    Tuple(Vec<Refs>),
}

/// The pattern binding an element whose source items are `refs`, with elements bound as values:
/// `&v` patterns lose their `&`, and a plain name `v` of a reference item goes into `derefs`,
/// whose `*v` in the body are then read as `v`.
fn bind(pat: &Pat, refs: &Refs, derefs: &mut Vec<Ident>) -> Pat {
    match (pat, refs) {
        (Pat::Paren(p), _) => bind(&p.pat, refs, derefs),
        (Pat::Ident(pi), Refs::Leaf(true)) if pi.subpat.is_none() && pi.by_ref.is_none() => {
            derefs.push(pi.ident.clone());
            pat.clone()
        }
        (Pat::Tuple(t), Refs::Tuple(rs)) if t.elems.len() == rs.len() => {
            let mut t = t.clone();
            t.elems = t.elems.iter().zip(rs).map(|(p, r)| bind(p, r, derefs)).collect();
            Pat::Tuple(t)
        }
        _ => strip_refs(pat),
    }
}

/// Reads `*v` as `v` for the names it holds (bound to values, not references).
struct StripDerefs<'a>(&'a [Ident]);

impl VisitMut for StripDerefs<'_> {
    fn visit_expr_mut(&mut self, e: &mut Expr) {
        if let Expr::Unary(u) = e
            && matches!(u.op, syn::UnOp::Deref(_))
            && matches!(&*u.expr, Expr::Path(p) if p.path.get_ident().is_some_and(|i| self.0.contains(i)))
        {
            *e = (*u.expr).clone();
            return;
        }
        visit_mut::visit_expr_mut(self, e);
    }
}

/// One element of an iteration, as an expression of the index.
struct Source {
    /// Whether the source's items are references.
    refs: Refs,
    /// The lengths of the sequences iterated together.
    lens: Vec<Expr>,
    /// The element at index `k`.
    elem: Box<dyn Fn(&Ident) -> Expr>,
}

struct Desugar {
    seqs: HashSet<String>,
    next: usize,
}

/// `&v` -> `v`, `&(a, b)` -> `(a, b)`, recursively in tuples: elements are values here.
fn strip_refs(p: &Pat) -> Pat {
    match p {
        Pat::Reference(r) => strip_refs(&r.pat),
        Pat::Tuple(t) => {
            let mut t = t.clone();
            t.elems = t.elems.iter().map(strip_refs).collect();
            Pat::Tuple(t)
        }
        Pat::Paren(q) => strip_refs(&q.pat),
        other => other.clone(),
    }
}

impl Desugar {
    fn fresh(&mut self, what: &str) -> Ident {
        self.next += 1;
        Ident::new(&format!("__autodiff_{what}{}", self.next), Span::call_site())
    }

    /// The sequence an expression iterates directly: `x`, `&x`, `x.iter()`, `x.iter().copied()`.
    fn base(&self, e: &Expr) -> Option<Expr> {
        match e {
            Expr::Path(p) => {
                let id = p.path.get_ident()?;
                self.seqs.contains(&id.to_string()).then(|| e.clone())
            }
            Expr::Reference(r) if r.mutability.is_none() => self.base(&r.expr),
            Expr::Paren(p) => self.base(&p.expr),
            Expr::MethodCall(m)
                if m.args.is_empty()
                    && matches!(
                        m.method.to_string().as_str(),
                        "iter" | "into_iter" | "copied" | "cloned"
                    ) =>
            {
                self.base(&m.receiver)
            }
            _ => None,
        }
    }

    /// The iteration an iterator expression describes, if it is built from sequences.
    fn source(&self, e: &Expr) -> Option<Source> {
        if let Some(seq) = self.base(e) {
            let len: Expr = parse_quote!(#seq.len());
            // Items of `x.iter()`, `&x` and a slice `x` are references (`*v` in the body);
            // reading them as values where the source had values changes nothing.
            return Some(Source {
                refs: Refs::Leaf(true),
                lens: vec![len],
                elem: Box::new(move |k| parse_quote!(#seq[#k])),
            });
        }
        let Expr::MethodCall(m) = e else { return None };
        match (m.method.to_string().as_str(), m.args.len()) {
            ("copied" | "cloned", 0) => {
                let inner = self.source(&m.receiver)?;
                Some(Source { refs: Refs::Leaf(false), ..inner })
            }
            ("enumerate", 0) => {
                let inner = self.source(&m.receiver)?;
                let f = inner.elem;
                Some(Source {
                    refs: Refs::Tuple(vec![Refs::Leaf(false), inner.refs]),
                    lens: inner.lens,
                    elem: Box::new(move |k| {
                        let x = f(k);
                        parse_quote!((#k, #x))
                    }),
                })
            }
            ("zip", 1) => {
                let (a, b) = (self.source(&m.receiver)?, self.source(&m.args[0])?);
                let (fa, fb) = (a.elem, b.elem);
                let mut lens = a.lens;
                lens.extend(b.lens);
                Some(Source {
                    refs: Refs::Tuple(vec![a.refs, b.refs]),
                    lens,
                    elem: Box::new(move |k| {
                        let (x, y) = (fa(k), fb(k));
                        parse_quote!((#x, #y))
                    }),
                })
            }
            ("map", 1) => {
                let Expr::Closure(c) = &m.args[0] else { return None };
                if c.inputs.len() != 1 {
                    return None;
                }
                let inner = self.source(&m.receiver)?;
                let mut derefs = Vec::new();
                let pat = bind(&c.inputs[0], &inner.refs, &mut derefs);
                let mut body = (*c.body).clone();
                StripDerefs(&derefs).visit_expr_mut(&mut body);
                let f = inner.elem;
                Some(Source {
                    refs: Refs::Leaf(false),
                    lens: inner.lens,
                    elem: Box::new(move |k| {
                        let x = f(k);
                        parse_quote!({ let #pat = #x; #body })
                    }),
                })
            }
            _ => None,
        }
    }

    fn range(src: &Source) -> Expr {
        let mut lens = src.lens.iter();
        let first = lens.next().cloned().unwrap_or_else(|| parse_quote!(0));
        let len = lens.fold(first, |acc, l| parse_quote!(#acc.min(#l)));
        parse_quote!(0..#len)
    }

    /// `x.iter()...sum()`, `.product()`, `.fold(init, f)` as a loop.
    fn reduction(&mut self, m: &syn::ExprMethodCall) -> Option<Expr> {
        let name = m.method.to_string();
        let src = match (name.as_str(), m.args.len()) {
            ("sum" | "product", 0) | ("fold", 2) => self.source(&m.receiver)?,
            _ => return None,
        };
        let (k, acc, item) = (self.fresh("k"), self.fresh("acc"), self.fresh("item"));
        let range = Self::range(&src);
        let elem = (src.elem)(&k);
        let ty = m.turbofish.as_ref().and_then(|t| match t.args.first() {
            Some(syn::GenericArgument::Type(ty)) => Some(ty.clone()),
            _ => None,
        });
        let annotation = ty.map(|t| quote::quote!(: #t));
        let (init, step): (Expr, syn::Stmt) = match name.as_str() {
            "sum" => (parse_quote!(0.0), parse_quote!(#acc += #item;)),
            "product" => (parse_quote!(1.0), parse_quote!(#acc *= #item;)),
            _ => {
                let init = m.args[0].clone();
                let step = match &m.args[1] {
                    Expr::Closure(c) if c.inputs.len() == 2 => {
                        let mut derefs = Vec::new();
                        let pa = strip_refs(&c.inputs[0]);
                        let pv = bind(&c.inputs[1], &src.refs, &mut derefs);
                        let mut body = (*c.body).clone();
                        StripDerefs(&derefs).visit_expr_mut(&mut body);
                        parse_quote!(#acc = { let #pa = #acc; let #pv = #item; #body };)
                    }
                    f @ Expr::Path(_) => parse_quote!(#acc = #f(#acc, #item);),
                    _ => return None,
                };
                (init, step)
            }
        };
        Some(parse_quote!({
            let mut #acc #annotation = #init;
            for #k in #range {
                let #item = #elem;
                #step
            }
            #acc
        }))
    }
}

impl VisitMut for Desugar {
    fn visit_expr_mut(&mut self, e: &mut Expr) {
        visit_mut::visit_expr_mut(self, e);
        match e {
            Expr::ForLoop(f) if f.label.is_none() => {
                let Some(src) = self.source(&f.expr) else { return };
                let k = self.fresh("k");
                let range = Self::range(&src);
                let mut derefs = Vec::new();
                let pat = bind(&f.pat, &src.refs, &mut derefs);
                let elem = (src.elem)(&k);
                let mut body = f.body.clone();
                StripDerefs(&derefs).visit_block_mut(&mut body);
                *e = parse_quote!(for #k in #range { let #pat = #elem; #body });
                visit_mut::visit_expr_mut(self, e);
            }
            Expr::MethodCall(m) => {
                if let Some(r) = self.reduction(m) {
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

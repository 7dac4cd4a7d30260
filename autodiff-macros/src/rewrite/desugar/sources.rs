//! Iterations as index loops: the sequences, ranges and adapters an iterator expression is
//! built from, and the item at each index.

use super::binding::{Item, Refs, Window, as_written, bound_body};
use super::walk::Desugar;
use crate::syntax::parenthesized_if_ambiguous;
use syn::{Expr, parse_quote};

/// The item at an index, or `None` where the iteration cannot be written as an index loop.
pub(super) type Elem = Box<dyn Fn(&Expr) -> Option<Item>>;

/// An iteration as an index loop: the item at index `k`.
pub(super) struct Source {
    /// Whether the source's items are references.
    pub(super) refs: Refs,
    /// The lengths of the sequences iterated together.
    pub(super) lens: Vec<Expr>,
    /// The item at index `k`.
    pub(super) elem: Elem,
    /// For an integer range (`(a..b)`, with `.rev()` or `.step_by(n)`): the range itself, which
    /// the loop iterates, its items (of the range's own type) standing for `k`.
    pub(super) range: Option<Expr>,
    /// After `.filter(p)`: whether the item at index `k` is kept, a `bool` expression.
    pub(super) keep: Option<Keep>,
}

/// Whether the item at an index is kept (see [`Source::keep`]).
pub(super) type Keep = std::rc::Rc<dyn Fn(&Expr) -> Option<Expr>>;

/// A sequence as the source wrote it: a name, or a range of one (`x[1..]`), starting at
/// `offset` in the named sequence.
pub(super) struct Seq {
    /// The named sequence.
    pub(super) name: Expr,
    /// The first element's index in it (`None`: 0).
    pub(super) offset: Option<Expr>,
    /// The sequence as written (`x`, `x[1..n]`), whose `.len()` (and `.windows(n).len()`, ..)
    /// checks the range as the source would.
    pub(super) written: Expr,
}

impl Seq {
    /// The index in the named sequence of element `k`.
    pub(super) fn at(&self, k: &Expr) -> Expr {
        match &self.offset {
            Some(o) => parse_quote!((#o) + (#k)),
            None => k.clone(),
        }
    }
}

impl Desugar {
    /// A sequence as written: a name known to be a sequence, `&x`, or a range of one
    /// (`x[a..b]`, `x[a..]`, `x[..b]`, with simple bounds).
    pub(super) fn seq(&self, e: &Expr) -> Option<Seq> {
        match e {
            // a row `w[k]` of `Vec` rows, read in place
            Expr::Index(ix)
                if !matches!(&*ix.index, Expr::Range(_))
                    && matches!(&*ix.expr, Expr::Path(p) if p.path.get_ident().is_some_and(|i| self.rows.contains(&i.to_string())))
                    && crate::syntax::is_simple(&ix.index) =>
            {
                Some(Seq { name: e.clone(), offset: None, written: e.clone() })
            }
            Expr::Path(p) => {
                let id = p.path.get_ident()?;
                // (a constant table, `COEFFS`, in a reduction typed as floats)
                let table = self.float_tables && is_constant_name(&id.to_string());
                let result = self.float_tables && self.results.contains(&id.to_string());
                (self.seqs.contains(&id.to_string()) || table || result).then(|| Seq {
                    name: e.clone(),
                    offset: None,
                    written: e.clone(),
                })
            }
            // a field of a model, `m.weights` (read `m.weights[k]`, as lowering reads fields)
            Expr::Field(f) if self.model_root(&f.base) => {
                Some(Seq { name: e.clone(), offset: None, written: e.clone() })
            }
            Expr::Reference(r) if r.mutability.is_none() => self.seq(&r.expr),
            Expr::Paren(p) => self.seq(&p.expr),
            Expr::Index(ix) => {
                let Expr::Range(r) = &*ix.index else { return None };
                let simple =
                    |b: &Option<Box<Expr>>| b.as_deref().is_none_or(crate::syntax::is_simple);
                if !simple(&r.start) || !simple(&r.end) {
                    return None;
                }
                let inner = self.seq(&ix.expr)?;
                if inner.offset.is_some() {
                    return None;
                }
                Some(Seq {
                    name: inner.name,
                    offset: r.start.as_deref().cloned(),
                    written: e.clone(),
                })
            }
            _ => None,
        }
    }

    /// Whether an expression is a model parameter or a field path of one (`m`, `m.layer`).
    fn model_root(&self, e: &Expr) -> bool {
        match e {
            Expr::Path(p) => {
                p.path.get_ident().is_some_and(|i| self.models.contains(&i.to_string()))
            }
            Expr::Field(f) => self.model_root(&f.base),
            _ => false,
        }
    }

    /// `r` or `&r` of a call's result bound without a type ([`Desugar::results`]), as a
    /// sequence.
    pub(super) fn result_seq(&self, e: &Expr) -> Option<Seq> {
        let e = match e {
            Expr::Reference(r) if r.mutability.is_none() => &*r.expr,
            e => e,
        };
        let Expr::Path(p) = e else { return None };
        p.path.get_ident().filter(|i| self.results.contains(&i.to_string()))?;
        Some(Seq { name: e.clone(), offset: None, written: e.clone() })
    }

    /// A parameter of integers or `bool`s, a field of `self` or a call's result
    /// ([`Desugar::results`]), iterated (`labels`, `&labels`, `labels.iter()`, `.copied()`), as
    /// a partner in `zip` of a known sequence: its element at each index.
    fn data_source(&self, e: &Expr) -> Option<Source> {
        let (base, copied) = match e {
            Expr::MethodCall(m)
                if m.args.is_empty()
                    && matches!(m.method.to_string().as_str(), "copied" | "cloned") =>
            {
                match &*m.receiver {
                    Expr::MethodCall(i) if i.args.is_empty() && i.method == "iter" => {
                        (&*i.receiver, true)
                    }
                    _ => return None,
                }
            }
            Expr::MethodCall(m) if m.args.is_empty() && m.method == "iter" => (&*m.receiver, false),
            Expr::Reference(r) if r.mutability.is_none() => (&*r.expr, false),
            e => (e, false),
        };
        let name: Expr = match base {
            Expr::Path(p) => {
                p.path.get_ident().filter(|i| {
                    self.data.contains(&i.to_string()) || self.results.contains(&i.to_string())
                })?;
                base.clone()
            }
            // a field of `self`, which is inactive (`self.w.iter().zip(x)` in a method)
            Expr::Field(f) if matches!(&*f.base, Expr::Path(p) if p.path.is_ident("self")) => {
                base.clone()
            }
            _ => return None,
        };
        Some(Source {
            refs: Refs::Leaf(!copied),
            lens: vec![parse_quote!((#name).len())],
            elem: Box::new(move |k| Some(Item::Value(parse_quote!(#name[#k])))),
            range: None,
            keep: None,
        })
    }

    /// The `Vec` rows an expression iterates row by row: `w`, `&w`, `w.iter()`.
    fn rows_of(&self, e: &Expr) -> Option<Expr> {
        match e {
            Expr::Path(p) => {
                p.path.get_ident().filter(|i| self.rows.contains(&i.to_string())).map(|_| e.clone())
            }
            Expr::Reference(r) if r.mutability.is_none() => self.rows_of(&r.expr),
            Expr::MethodCall(m)
                if m.args.is_empty()
                    && matches!(m.method.to_string().as_str(), "iter" | "into_iter") =>
            {
                self.rows_of(&m.receiver)
            }
            _ => None,
        }
    }

    /// The sequence an expression iterates directly: `x`, `&x`, `x[1..]`, `x.iter()`,
    /// `x.iter().copied()`.
    pub(super) fn base(&self, e: &Expr) -> Option<Seq> {
        match e {
            Expr::MethodCall(m)
                if m.args.is_empty()
                    && matches!(
                        m.method.to_string().as_str(),
                        "iter" | "into_iter" | "copied" | "cloned"
                    ) =>
            {
                self.base(&m.receiver)
            }
            _ => self.seq(e),
        }
    }

    /// The iteration an iterator expression describes, if it is built from sequences.
    pub(super) fn source(&self, e: &Expr) -> Option<Source> {
        // `b.iter_mut()`, `&mut b`: places.
        let place_of = |e: &Expr| match e {
            Expr::MethodCall(m) if m.method == "iter_mut" && m.args.is_empty() => {
                self.seq(&m.receiver)
            }
            Expr::Reference(r) if r.mutability.is_some() => self.seq(&r.expr),
            _ => None,
        };
        // Items of `x.iter()`, `&x` and a slice `x` are references (`*v` in the body); reading
        // them as values where the source had values changes nothing.
        if crate::syntax::is_range(e) {
            return Some(Source {
                refs: Refs::Leaf(false),
                lens: Vec::new(),
                elem: Box::new(|k| Some(Item::Value(k.clone()))),
                range: Some(parse_quote!((#e))),
                keep: None,
            });
        }
        // `w.iter()` of `Vec` rows: each item a row, read in place
        if let Some(rows) = self.rows_of(e) {
            return Some(Source {
                refs: Refs::Leaf(true),
                lens: vec![parse_quote!((#rows).len())],
                elem: Box::new(move |k| Some(Item::Row(parse_quote!(#rows[#k])))),
                range: None,
                keep: None,
            });
        }
        let sequence = match place_of(e) {
            Some(seq) => Some((seq, true)),
            None => self.base(e).map(|seq| (seq, false)),
        };
        if let Some((seq, places)) = sequence {
            let written = &seq.written;
            let len: Expr = parse_quote!((#written).len());
            // (`x.iter().copied()` yields values)
            let copied =
                matches!(e, Expr::MethodCall(m) if m.method == "copied" || m.method == "cloned");
            return Some(Source {
                refs: if places || copied {
                    Refs::Leaf(false)
                } else if self.floats.is_points(&seq.name) {
                    Refs::Borrowed
                } else {
                    Refs::Leaf(true)
                },
                lens: vec![len],
                elem: Box::new(move |k| {
                    let (name, i) = (&seq.name, seq.at(k));
                    let element = parse_quote!(#name[#i]);
                    Some(if places { Item::Place(element) } else { Item::Value(element) })
                }),
                range: None,
                keep: None,
            });
        }
        let Expr::MethodCall(m) = e else { return None };
        match (m.method.to_string().as_str(), m.args.len()) {
            ("copied" | "cloned", 0) => {
                let inner = self.index_source(&m.receiver)?;
                Some(Source { refs: Refs::Leaf(false), ..inner })
            }
            ("enumerate", 0) => {
                let inner = self.index_source(&m.receiver).filter(|s| s.keep.is_none())?;
                let f = inner.elem;
                Some(Source {
                    refs: Refs::Tuple(vec![Refs::Leaf(false), inner.refs]),
                    lens: inner.lens,
                    elem: Box::new(move |k| Some(Item::Tuple(vec![Item::Value(k.clone()), f(k)?]))),
                    range: None,
                    keep: None,
                })
            }
            ("zip", 1) => {
                // (one side a sequence the desugaring knows, the other may be data)
                let (known_a, known_b) =
                    (self.index_source(&m.receiver), self.index_source(&m.args[0]));
                if known_a.is_none() && known_b.is_none() {
                    return None;
                }
                let a = known_a.or_else(|| self.data_source(&m.receiver))?;
                let b = known_b.or_else(|| self.data_source(&m.args[0]))?;
                if a.keep.is_some() || b.keep.is_some() {
                    return None;
                }
                let (fa, fb) = (a.elem, b.elem);
                let mut lens = a.lens;
                lens.extend(b.lens);
                Some(Source {
                    refs: Refs::Tuple(vec![a.refs, b.refs]),
                    lens,
                    elem: Box::new(move |k| Some(Item::Tuple(vec![fa(k)?, fb(k)?]))),
                    range: None,
                    keep: None,
                })
            }
            ("map", 1) => {
                let (pat, body) = one_argument_closure(&m.args[0])?;
                let inner = self.source(&m.receiver)?;
                let (f, refs, range, keep) = (inner.elem, inner.refs, inner.range, inner.keep);
                let elem: Elem = Box::new(move |k| {
                    let (lets, body) =
                        bound_body(&pat, f(k)?, &refs, &body, |v, b| v.visit_expr_mut(b))?;
                    Some(Item::Value(parse_quote!({ #(#lets)* #body })))
                });
                // Whether the body can be written for an index at all.
                elem(&parse_quote!(0))?;
                Some(Source { refs: Refs::Leaf(false), lens: inner.lens, elem, range, keep })
            }
            // `.filter(|v| pred)`: the closure receives a reference to the item.
            ("filter", 1) => {
                let (pat, body) = one_argument_closure(&m.args[0])?;
                let inner = self.source(&m.receiver)?;
                let (f, refs) = (std::rc::Rc::new(inner.elem), inner.refs.clone());
                let before = inner.keep;
                let g = f.clone();
                // The predicate sees a reference to the item, as Rust gives it (`&&f64` of
                // `x.iter()`, `&(usize, &f64)` after `enumerate`): its pattern and body are
                // kept as written, and it is evaluated as a condition, which has no derivative.
                let keep: Keep = std::rc::Rc::new(move |k: &Expr| {
                    let item = as_written(g(k)?, &refs)?;
                    let this: Expr = parse_quote!({ let #pat = &#item; #body });
                    Some(match &before {
                        Some(b) => {
                            let b = b(k)?;
                            parse_quote!((#b) && #this)
                        }
                        None => this,
                    })
                });
                keep(&parse_quote!(0))?;
                Some(Source {
                    refs: inner.refs,
                    lens: inner.lens,
                    elem: Box::new(move |k| f(k)),
                    range: inner.range,
                    keep: Some(keep),
                })
            }
            ("rev", 0) | ("skip" | "take" | "step_by", 1)
                if m.args.iter().all(crate::syntax::is_simple) =>
            {
                let inner = self.source(&m.receiver)?;
                match &inner.range {
                    // `(a..b).map(f).rev()`: the range itself reversed (or stepped).
                    Some(range)
                        if (m.method == "rev" || m.method == "step_by") && inner.keep.is_none() =>
                    {
                        let (method, args) = (&m.method, &m.args);
                        let range = parse_quote!((#range).#method(#args));
                        Some(Source { range: Some(range), ..inner })
                    }
                    Some(_) => None,
                    // (`skip`, `take` and `step_by` count the items a filter keeps.)
                    None if inner.keep.is_some() && m.method != "rev" => None,
                    None => Some(Self::counted(m, inner)),
                }
            }
            ("windows" | "chunks" | "chunks_exact", 1) if crate::syntax::is_simple(&m.args[0]) => {
                let seq = self.seq(&m.receiver)?;
                let (n, method, written) = (m.args[0].clone(), &m.method, &seq.written);
                // The adapter's own `len()` counts the windows (and panics for a size of 0).
                let count: Expr = parse_quote!((#written).#method(#n).len());
                let total: Expr = parse_quote!((#written).len());
                let method = method.to_string();
                Some(Source {
                    refs: Refs::Leaf(false),
                    lens: vec![count],
                    elem: Box::new(move |k| {
                        let (start, len): (Expr, Expr) = match method.as_str() {
                            "windows" => (k.clone(), n.clone()),
                            "chunks_exact" => (parse_quote!((#k) * (#n)), n.clone()),
                            _ => (
                                parse_quote!((#k) * (#n)),
                                parse_quote!((#n).min((#total) - (#k) * (#n))),
                            ),
                        };
                        let start = seq.at(&parse_quote!((#start)));
                        Some(Item::Window(Box::new(Window { seq: seq.name.clone(), start, len })))
                    }),
                    range: None,
                    keep: None,
                })
            }
            _ => None,
        }
    }

    /// A source indexed by `k`, not an integer range (`zip` and `enumerate` index theirs).
    pub(super) fn index_source(&self, e: &Expr) -> Option<Source> {
        self.source(e).filter(|s| s.range.is_none())
    }

    /// `rev`, `skip`, `take` and `step_by` on a source indexed by `k`.
    pub(super) fn counted(m: &syn::ExprMethodCall, inner: Source) -> Source {
        let len = Self::length(&inner);
        let f = inner.elem;
        let n = m.args.first().cloned().unwrap_or_else(|| parse_quote!(1));
        // (Only `rev` follows a filter.)
        let keep = inner.keep.map(|keep| {
            let len = len.clone();
            std::rc::Rc::new(move |k: &Expr| keep(&parse_quote!((#len) - 1 - (#k)))) as Keep
        });
        let (len, elem): (Expr, Elem) = match m.method.to_string().as_str() {
            "rev" => (len.clone(), Box::new(move |k| f(&parse_quote!((#len) - 1 - (#k))))),
            "skip" => (
                parse_quote!((#len).saturating_sub(#n)),
                Box::new(move |k| f(&parse_quote!((#k) + (#n)))),
            ),
            "take" => (parse_quote!((#len).min(#n)), f),
            _ => (
                parse_quote!((#len).div_ceil(#n)),
                Box::new(move |k| f(&parse_quote!((#k) * (#n)))),
            ),
        };
        Source { refs: inner.refs, lens: vec![len], elem, range: None, keep }
    }

    /// The number of items: the shortest of the sequences iterated together.
    pub(super) fn length(src: &Source) -> Expr {
        let mut lens = src.lens.iter();
        let first = lens.next().cloned().unwrap_or_else(|| parse_quote!(0));
        lens.fold(first, |acc, l| parse_quote!((#acc).min(#l)))
    }

    /// `body`, run only for the items a filter keeps: `{ if keep { body } }`.
    pub(super) fn kept(src: &Source, k: &Expr, body: syn::Block) -> Option<syn::Block> {
        Some(match &src.keep {
            Some(keep) => {
                let cond = keep(k)?;
                parse_quote!({ if #cond #body })
            }
            None => body,
        })
    }

    /// What the loop iterates: `0..len`, or the range itself.
    pub(super) fn range(src: &Source) -> Expr {
        if let Some(range) = &src.range {
            return range.clone();
        }
        let len = Self::length(src);
        parse_quote!(0..(#len))
    }
}

/// Whether a name is written as a constant's (`COEFFS`, `GAUSS_NODES_3`).
fn is_constant_name(name: &str) -> bool {
    name.len() > 1
        && name.chars().any(|c| c.is_ascii_uppercase())
        && name.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

/// The pattern and body of `|pat| body`, the body parenthesized where splicing it could
/// re-read it (`{ .. } * v`); `None` for anything else.
fn one_argument_closure(e: &Expr) -> Option<(syn::Pat, Expr)> {
    let Expr::Closure(c) = e else { return None };
    if c.inputs.len() != 1 {
        return None;
    }
    Some((c.inputs[0].clone(), parenthesized_if_ambiguous((*c.body).clone())))
}

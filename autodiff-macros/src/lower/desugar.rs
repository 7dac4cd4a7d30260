//! Before lowering: iterator forms over sequences of floats become index loops, which the
//! loop lowering differentiates (and walks backwards without storing indices).
//!
//! ```text
//! for (i, &xi) in x.iter().enumerate() { body }
//!     => for k in 0..x.len() { let i = k; let xi = x[k]; body }
//! x.iter().zip(y).map(|(a, b)| a * b).sum::<f64>()
//!     => { let mut acc: f64 = -0.0; for k in 0..x.len().min(y.len()) {
//!            let item = { let a = x[k]; let b = y[k]; a * b }; acc += item; } acc }
//! x.windows(2).map(|w| w[1] - w[0]).sum::<f64>()
//!     => { .. for k in 0..x.windows(2).len() { let item = { x[k + (1)] - x[k + (0)] }; .. } .. }
//! for (bi, &xi) in b.iter_mut().zip(x) { *bi += xi * w; }
//!     => for k in 0..b.len().min(x.len()) { let xi = x[k]; b[k] += xi * w; }
//! b.fill(v);
//!     => { let value = v; for k in 0..b.len() { b[k] = value; } }
//! while let Some(&j) = next.get(i) { body }
//!     => loop { match next.get(i) { Some(&j) => { body } _ => break, } }
//! (0..n).map(|i| x[i] * w).sum::<f64>()
//!     => { let mut acc: f64 = -0.0; for k in (0..n) { let item = { let i = k; x[i] * w }; acc += item; } acc }
//! let e: Vec<f64> = x.iter().map(|v| v.exp()).collect();   (also `x.to_vec()`, `v.clone()`)
//!     => let e: Vec<f64> = { let mut b: Vec<f64> = vec![0.0; x.len()]; for k in 0..x.len() { b[k] = ..; } b };
//! std::mem::swap(&mut a, &mut b);
//!     => { let t = a; a = b; b = t; }
//!     (two `Vec`s: for k in 0..a.len().max(b.len()) { let t = a[k]; a[k] = b[k]; b[k] = t; })
//! ```
//!
//! Sources: an integer range (`(a..b)`, `.rev()`, `.step_by(n)`: iterated as it is, mapped and
//! reduced, but not zipped, enumerated, skipped or taken), a sequence (`x`, `&x`, `x.iter()`,
//! `.copied()`, `.cloned()`, a range of it such as `x[1..n]`), and `x.windows(n)`, `x.chunks(c)`, `x.chunks_exact(c)`, whose items are
//! sub-slices: a name bound to one becomes reads of `x` itself where it is indexed or asked its
//! `.len()`, and the sub-slice `&x[start..start + len]` where it is iterated. Adapters:
//! `enumerate`, `zip`, `map`, `rev`, `skip`, `take`, `step_by`, `filter` (its items are
//! the loop's items inside `if keep { .. }`; only `map`, `filter` and `rev` may follow it)
//! (arguments and range bounds must be simple: names, literals, arithmetic, `.len()`); reductions:
//! `sum`, `product`, `fold`. Lengths are the source's own (`x[1..n].len()`,
//! `x.windows(2).len()`), so a bad range or a window of 0 panics exactly where the source would.
//! `b.iter_mut()` (and `&mut b`) yields places: a name bound to one may only be dereferenced
//! (`*v`, read or written), which becomes `b[k]`.
//!
//! Only iterators rooted at a name known to be a slice, array or `Vec` of floats (a parameter
//! or a `let` whose type or value shows it) are rewritten; others are left as written (and
//! rejected by lowering when they iterate active values).

use super::float_names::FloatNames;
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
) {
    let mut seqs = params
        .iter()
        .filter(|(_, k, _)| matches!(k, Kind::Seq(_)))
        .map(|(n, _, _)| n.clone())
        .collect();
    collect_local_seqs(block, &mut seqs);
    let types: Vec<(String, syn::Type)> =
        params.iter().map(|(n, _, t)| (n.clone(), t.clone())).collect();
    let floats = FloatNames::new(&types);
    let mut d = Desugar { seqs, floats, next: 0 };
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

/// Whether an iteration's items are references in the source (`x.iter()` yields `&f64`,
/// `.copied()` values), position by position in tuples (`zip`, `enumerate`).
#[derive(Clone)]
enum Refs {
    Leaf(bool),
    /// A reference to a point (`p.iter()` of `p: &[Vector3<f64>]`): read as a value, but
    /// passed on as a reference (`d.dot(q)`), as Rust has it.
    Borrowed,
    Tuple(Vec<Refs>),
}

/// The pattern binding an element whose source items are `refs`, with elements bound as values:
/// `&v` patterns lose their `&`, and a plain name `v` of a reference item goes into `derefs`,
/// whose `*v` in the body are then read as `v`.
fn bind(pat: &Pat, refs: &Refs, derefs: &mut Vec<Ident>, borrowed: &mut Vec<Ident>) -> Pat {
    match (pat, refs) {
        (Pat::Paren(p), _) => bind(&p.pat, refs, derefs, borrowed),
        (Pat::Ident(pi), Refs::Leaf(true) | Refs::Borrowed)
            if pi.subpat.is_none() && pi.by_ref.is_none() =>
        {
            derefs.push(pi.ident.clone());
            if matches!(refs, Refs::Borrowed) {
                borrowed.push(pi.ident.clone());
            }
            pat.clone()
        }
        (Pat::Tuple(t), Refs::Tuple(rs)) if t.elems.len() == rs.len() => {
            let mut t = t.clone();
            t.elems = t.elems.iter().zip(rs).map(|(p, r)| bind(p, r, derefs, borrowed)).collect();
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

/// An item as the iterator yields it: references where the source has them (`&x[k]` of
/// `x.iter()`), windows as sub-slices; `None` for places.
fn as_written(item: Item, refs: &Refs) -> Option<Expr> {
    match (item, refs) {
        (Item::Value(e), Refs::Leaf(true) | Refs::Borrowed) => Some(parse_quote!(&#e)),
        (Item::Value(e), _) => Some(e),
        (Item::Window(w), _) => {
            let (seq, start, len) = (&w.seq, &w.start, &w.len);
            Some(parse_quote!(&#seq[#start..#start + #len]))
        }
        (Item::Place(_), _) => None,
        (Item::Tuple(items), Refs::Tuple(rs)) if rs.len() == items.len() => {
            let es = items
                .into_iter()
                .zip(rs)
                .map(|(i, r)| as_written(i, r))
                .collect::<Option<Vec<Expr>>>()?;
            Some(parse_quote!((#(#es),*)))
        }
        (Item::Tuple(items), _) => {
            let es = items
                .into_iter()
                .map(|i| as_written(i, &Refs::Leaf(false)))
                .collect::<Option<Vec<Expr>>>()?;
            Some(parse_quote!((#(#es),*)))
        }
    }
}

/// One item of an iteration at an index.
enum Item {
    /// A value, as an expression of the index.
    Value(Expr),
    /// A sub-slice (`x.windows(n)`, `x.chunks(c)`): bound to a name that the body only indexes
    /// and takes `.len()` of, which become reads of the sequence itself.
    Window(Box<Window>),
    /// An element as a place to write (`b.iter_mut()`): bound to a name that the body only
    /// dereferences, which becomes the element itself (`*v` -> `b[k]`).
    Place(Expr),
    /// The items of `zip` and `enumerate`.
    Tuple(Vec<Item>),
}

/// `seq[start..start + len]`.
#[derive(Clone)]
struct Window {
    seq: Expr,
    start: Expr,
    len: Expr,
}

impl Item {
    /// The item as one expression (not for windows, which are not values).
    fn expr(self) -> Option<Expr> {
        match self {
            Item::Value(e) => Some(e),
            Item::Window(_) | Item::Place(_) => None,
            Item::Tuple(items) => {
                let es = items.into_iter().map(Item::expr).collect::<Option<Vec<Expr>>>()?;
                Some(parse_quote!((#(#es),*)))
            }
        }
    }
}

/// The item at an index, or `None` where the iteration cannot be written as an index loop.
type Elem = Box<dyn Fn(&Expr) -> Option<Item>>;

/// An iteration as an index loop: the item at index `k`.
struct Source {
    /// Whether the source's items are references.
    refs: Refs,
    /// The lengths of the sequences iterated together.
    lens: Vec<Expr>,
    /// The item at index `k`.
    elem: Elem,
    /// For an integer range (`(a..b)`, with `.rev()` or `.step_by(n)`): the range itself, which
    /// the loop iterates, its items (of the range's own type) standing for `k`.
    range: Option<Expr>,
    /// After `.filter(p)`: whether the item at index `k` is kept, a `bool` expression.
    keep: Option<Keep>,
}

/// Whether the item at an index is kept (see [`Source::keep`]).
type Keep = std::rc::Rc<dyn Fn(&Expr) -> Option<Expr>>;

/// A sequence as the source wrote it: a name, or a range of one (`x[1..]`), starting at
/// `offset` in the named sequence.
struct Seq {
    /// The named sequence.
    name: Expr,
    /// The first element's index in it (`None`: 0).
    offset: Option<Expr>,
    /// The sequence as written (`x`, `x[1..n]`), whose `.len()` (and `.windows(n).len()`, ..)
    /// checks the range as the source would.
    written: Expr,
}

impl Seq {
    /// The index in the named sequence of element `k`.
    fn at(&self, k: &Expr) -> Expr {
        match &self.offset {
            Some(o) => parse_quote!((#o) + (#k)),
            None => k.clone(),
        }
    }
}

struct Desugar {
    seqs: HashSet<String>,
    /// Names known to hold sequences (and `Vec`s) of floats.
    floats: FloatNames,
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

/// Whether an expression is pure and cheap, so that evaluating it again (once per element
/// instead of once, or once more to read an element already read) changes nothing: literals,
/// names, fields, arithmetic, casts, `.len()`, `.min(..)`, `.max(..)`, `.saturating_sub(..)`,
/// `.div_ceil(..)`, and `.windows(n)`, `.chunks(n)`, `.chunks_exact(n)` (whose `.len()` counts).
pub fn is_simple(e: &Expr) -> bool {
    match e {
        Expr::Lit(_) | Expr::Path(_) => true,
        Expr::Field(f) => is_simple(&f.base),
        Expr::Paren(p) => is_simple(&p.expr),
        Expr::Cast(c) => is_simple(&c.expr),
        Expr::Binary(b) => is_simple(&b.left) && is_simple(&b.right),
        Expr::Unary(u) => is_simple(&u.expr),
        Expr::MethodCall(m) => {
            let method = m.method.to_string();
            let arity = match method.as_str() {
                "len" => 0,
                // integer arithmetic, and the counting adapters the desugaring writes
                // (`x.windows(2).len()`)
                "min" | "max" | "saturating_sub" | "div_ceil" | "windows" | "chunks"
                | "chunks_exact" => 1,
                _ => return false,
            };
            m.args.len() == arity && is_simple(&m.receiver) && m.args.iter().all(is_simple)
        }
        _ => false,
    }
}

/// Binds the item of an iteration to a pattern: `let`s for its values, and for each window
/// bound to a name, that name and the window. `None` if a window meets another pattern.
fn bind_item(
    pat: &Pat,
    item: Item,
    refs: &Refs,
    derefs: &mut Vec<Ident>,
    views: &mut Views,
) -> Option<Vec<syn::Stmt>> {
    let plain = |pi: &syn::PatIdent| pi.subpat.is_none() && pi.by_ref.is_none();
    match (pat, item) {
        (Pat::Paren(p), item) => bind_item(&p.pat, item, refs, derefs, views),
        (Pat::Ident(pi), Item::Window(w)) if plain(pi) => {
            views.windows.push((pi.ident.clone(), *w));
            Some(Vec::new())
        }
        (Pat::Ident(pi), Item::Place(e)) if plain(pi) && pi.mutability.is_none() => {
            views.places.push((pi.ident.clone(), e));
            Some(Vec::new())
        }
        (Pat::Wild(_), Item::Window(_) | Item::Place(_)) => Some(Vec::new()),
        (_, Item::Window(_) | Item::Place(_)) => None,
        (Pat::Tuple(t), Item::Tuple(items)) if t.elems.len() == items.len() => {
            let refs = match refs {
                Refs::Tuple(rs) if rs.len() == items.len() => rs.clone(),
                _ => vec![Refs::Leaf(false); items.len()],
            };
            let mut lets = Vec::new();
            for ((p, item), r) in t.elems.iter().zip(items).zip(&refs) {
                lets.extend(bind_item(p, item, r, derefs, views)?);
            }
            Some(lets)
        }
        (pat, item) => {
            let e = item.expr()?;
            let pat = bind(pat, refs, derefs, &mut views.borrowed);
            Some(vec![parse_quote!(let #pat = #e;)])
        }
    }
}

/// Reads of windows as reads of their sequence: `w[e]` -> `x[start + (e)]`, `w.len()` -> the
/// window's length; places as their elements: `*v` -> `b[k]`. Any other use of such a name (or
/// a binding that shadows it) clears `ok`: such a loop is left as written, and rejected by
/// lowering with its usual error.
#[derive(Default)]
struct Views {
    windows: Vec<(Ident, Window)>,
    places: Vec<(Ident, Expr)>,
    /// Names of points bound as values, borrowed where they are arguments (see [`Refs`]).
    borrowed: Vec<Ident>,
    ok: bool,
}

impl Views {
    fn name(e: &Expr) -> Option<&Ident> {
        let Expr::Path(p) = e else { return None };
        p.path.get_ident()
    }

    fn window(&self, e: &Expr) -> Option<&Window> {
        let id = Self::name(e)?;
        self.windows.iter().find(|(name, _)| name == id).map(|(_, w)| w)
    }

    fn place(&self, e: &Expr) -> Option<&Expr> {
        let id = Self::name(e)?;
        self.places.iter().find(|(name, _)| name == id).map(|(_, p)| p)
    }

    /// Whether the expressions that replace windows and places mention `id`.
    fn read_by_replacements(&self, id: &Ident) -> bool {
        use crate::analyse::mentions_ident as mentions;
        self.windows.iter().any(|(_, w)| {
            let (seq, start, len) = (&w.seq, &w.start, &w.len);
            mentions(quote::quote!(#seq #start #len), id)
        }) || self.places.iter().any(|(_, p)| mentions(quote::quote!(#p), id))
    }

    fn bound(&self, id: &Ident) -> bool {
        self.windows.iter().any(|(name, _)| name == id)
            || self.places.iter().any(|(name, _)| name == id)
    }
}

impl VisitMut for Views {
    fn visit_expr_mut(&mut self, e: &mut Expr) {
        if let Expr::Unary(u) = e
            && matches!(u.op, syn::UnOp::Deref(_))
            && let Some(place) = self.place(&u.expr)
        {
            *e = place.clone();
            return;
        }
        visit_mut::visit_expr_mut(self, e);
        let replacement = match e {
            Expr::Index(ix) => self.window(&ix.expr).map(|w| {
                let (seq, start, i) = (&w.seq, &w.start, &ix.index);
                parse_quote!(#seq[(#start) + (#i)])
            }),
            Expr::MethodCall(m) if m.method == "len" && m.args.is_empty() => {
                self.window(&m.receiver).map(|w| {
                    let len = &w.len;
                    parse_quote!((#len))
                })
            }
            _ => None,
        };
        match replacement {
            Some(r) => *e = r,
            None => {
                if Self::name(e).is_some_and(|id| self.bound(id)) {
                    self.ok = false;
                }
            }
        }
    }

    fn visit_pat_ident_mut(&mut self, p: &mut syn::PatIdent) {
        // A binding of the view's own name, or of a name its replacement reads (`let x = y;`
        // in a loop over `x.windows(2)`): `x[k + i]` would read the new `x`.
        if self.bound(&p.ident) || self.read_by_replacements(&p.ident) {
            self.ok = false;
        }
        visit_mut::visit_pat_ident_mut(self, p);
    }

    fn visit_expr_index_mut(&mut self, ix: &mut syn::ExprIndex) {
        // The window itself is replaced by visit_expr_mut; only its index is visited here.
        if self.window(&ix.expr).is_some() {
            self.visit_expr_mut(&mut ix.index);
        } else {
            visit_mut::visit_expr_index_mut(self, ix);
        }
    }

    fn visit_expr_method_call_mut(&mut self, m: &mut syn::ExprMethodCall) {
        if m.method == "len" && m.args.is_empty() && self.window(&m.receiver).is_some() {
            return;
        }
        let source = matches!(
            m.method.to_string().as_str(),
            "iter" | "into_iter" | "copied" | "cloned" | "windows" | "chunks" | "chunks_exact"
        );
        if source && let Some(slice) = self.slice(&m.receiver) {
            *m.receiver = slice;
        }
        if m.method == "zip"
            && let Some(slice) = m.args.first().and_then(|a| self.slice(a))
        {
            m.args[0] = slice;
        }
        visit_mut::visit_expr_method_call_mut(self, m);
    }

    fn visit_expr_for_loop_mut(&mut self, f: &mut syn::ExprForLoop) {
        if let Some(slice) = self.slice(&f.expr) {
            *f.expr = slice;
        }
        visit_mut::visit_expr_for_loop_mut(self, f);
    }
}

impl Views {
    /// A window iterated (`w.iter()`, `for &v in w`, `.zip(w)`): the sub-slice of its sequence,
    /// which the desugaring rewrites in turn (`(&x[k..k + (2)]).iter().sum()`).
    fn slice(&self, e: &Expr) -> Option<Expr> {
        let w = self.window(e)?;
        let (seq, start, len) = (&w.seq, &w.start, &w.len);
        let span = syn::spanned::Spanned::span(e);
        Some(syn::parse_quote_spanned!(span=> (&#seq[#start..#start + #len])))
    }
}

/// `body` with the item bound, its windows read from their sequences and its places written
/// as elements; `None` if a window or a place is used otherwise.
fn bound_body<T: Clone>(
    pat: &Pat,
    item: Item,
    refs: &Refs,
    body: &T,
    visit: impl Fn(&mut dyn VisitMut, &mut T),
) -> Option<(Vec<syn::Stmt>, T)> {
    let (mut derefs, mut views) = (Vec::new(), Views { ok: true, ..Views::default() });
    let lets = bind_item(pat, item, refs, &mut derefs, &mut views)?;
    let mut body = body.clone();
    // (before the derefs go: `g(*q)` passes a value)
    visit(&mut BorrowArguments(views.borrowed.clone()), &mut body);
    visit(&mut StripDerefs(&derefs), &mut body);
    visit(&mut views, &mut body);
    views.ok.then_some((lets, body))
}

/// `f(q)`, `a.dot(q)` -> `f(&q)`, `a.dot(&q)` for the names it holds (points bound as values
/// where the source has references), until a binding of the same name hides them.
struct BorrowArguments(Vec<Ident>);

impl BorrowArguments {
    fn borrow(&self, args: &mut syn::punctuated::Punctuated<Expr, syn::Token![,]>) {
        for a in args.iter_mut() {
            if matches!(a, Expr::Path(p) if p.path.get_ident().is_some_and(|i| self.0.contains(i)))
            {
                *a = parse_quote!(&#a);
            }
        }
    }
}

impl VisitMut for BorrowArguments {
    fn visit_block_mut(&mut self, b: &mut syn::Block) {
        let saved = self.0.clone();
        for stmt in &mut b.stmts {
            self.visit_stmt_mut(stmt);
            if let syn::Stmt::Local(l) = stmt {
                let hidden = crate::analyse::pattern_names(&l.pat);
                self.0.retain(|i| !hidden.contains(&i.to_string()));
            }
        }
        self.0 = saved;
    }

    fn visit_expr_closure_mut(&mut self, c: &mut syn::ExprClosure) {
        let saved = self.0.clone();
        for p in &c.inputs {
            let hidden = crate::analyse::pattern_names(p);
            self.0.retain(|i| !hidden.contains(&i.to_string()));
        }
        self.visit_expr_mut(&mut c.body);
        self.0 = saved;
    }

    fn visit_expr_call_mut(&mut self, c: &mut syn::ExprCall) {
        visit_mut::visit_expr_call_mut(self, c);
        self.borrow(&mut c.args);
    }

    fn visit_expr_method_call_mut(&mut self, m: &mut syn::ExprMethodCall) {
        visit_mut::visit_expr_method_call_mut(self, m);
        self.borrow(&mut m.args);
    }
}

impl Desugar {
    fn fresh(&mut self, what: &str) -> Ident {
        self.next += 1;
        Ident::new(&format!("__autodiff_{what}{}", self.next), Span::call_site())
    }

    /// A sequence as written: a name known to be a sequence, `&x`, or a range of one
    /// (`x[a..b]`, `x[a..]`, `x[..b]`, with simple bounds).
    fn seq(&self, e: &Expr) -> Option<Seq> {
        match e {
            Expr::Path(p) => {
                let id = p.path.get_ident()?;
                self.seqs.contains(&id.to_string()).then(|| Seq {
                    name: e.clone(),
                    offset: None,
                    written: e.clone(),
                })
            }
            Expr::Reference(r) if r.mutability.is_none() => self.seq(&r.expr),
            Expr::Paren(p) => self.seq(&p.expr),
            Expr::Index(ix) => {
                let Expr::Range(r) = &*ix.index else { return None };
                let simple = |b: &Option<Box<Expr>>| b.as_deref().is_none_or(is_simple);
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

    /// The sequence an expression iterates directly: `x`, `&x`, `x[1..]`, `x.iter()`,
    /// `x.iter().copied()`.
    fn base(&self, e: &Expr) -> Option<Seq> {
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
    fn source(&self, e: &Expr) -> Option<Source> {
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
        if crate::lower::loops::is_range(e) {
            return Some(Source {
                refs: Refs::Leaf(false),
                lens: Vec::new(),
                elem: Box::new(|k| Some(Item::Value(k.clone()))),
                range: Some(parse_quote!((#e))),
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
            return Some(Source {
                refs: if places {
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
                let (a, b) = (self.index_source(&m.receiver)?, self.index_source(&m.args[0])?);
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
                let Expr::Closure(c) = &m.args[0] else { return None };
                if c.inputs.len() != 1 {
                    return None;
                }
                let inner = self.source(&m.receiver)?;
                let (pat, body) = (c.inputs[0].clone(), (*c.body).clone());
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
                let Expr::Closure(c) = &m.args[0] else { return None };
                if c.inputs.len() != 1 {
                    return None;
                }
                let inner = self.source(&m.receiver)?;
                let (pat, body) = (c.inputs[0].clone(), (*c.body).clone());
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
            ("rev", 0) | ("skip" | "take" | "step_by", 1) if m.args.iter().all(is_simple) => {
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
            ("windows" | "chunks" | "chunks_exact", 1) if is_simple(&m.args[0]) => {
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
    fn index_source(&self, e: &Expr) -> Option<Source> {
        self.source(e).filter(|s| s.range.is_none())
    }

    /// `rev`, `skip`, `take` and `step_by` on a source indexed by `k`.
    fn counted(m: &syn::ExprMethodCall, inner: Source) -> Source {
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
    fn length(src: &Source) -> Expr {
        let mut lens = src.lens.iter();
        let first = lens.next().cloned().unwrap_or_else(|| parse_quote!(0));
        lens.fold(first, |acc, l| parse_quote!((#acc).min(#l)))
    }

    /// `body`, run only for the items a filter keeps: `{ if keep { body } }`.
    fn kept(src: &Source, k: &Expr, body: syn::Block) -> Option<syn::Block> {
        Some(match &src.keep {
            Some(keep) => {
                let cond = keep(k)?;
                parse_quote!({ if #cond #body })
            }
            None => body,
        })
    }

    /// What the loop iterates: `0..len`, or the range itself.
    fn range(src: &Source) -> Expr {
        if let Some(range) = &src.range {
            return range.clone();
        }
        let len = Self::length(src);
        parse_quote!(0..(#len))
    }

    /// `x.iter()...sum()`, `.product()`, `.fold(init, f)` as a loop.
    fn reduction(&mut self, m: &syn::ExprMethodCall) -> Option<Expr> {
        let name = m.method.to_string();
        let src = match (name.as_str(), m.args.len()) {
            ("sum" | "product", 0) | ("fold", 2) => self.source(&m.receiver)?,
            _ => return None,
        };
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
                        let (lets, body) =
                            bound_body(&c.inputs[1], item, &src.refs, &*c.body, |v, b| {
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
    fn collect(&mut self, m: &syn::ExprMethodCall, target: Option<&syn::Type>) -> Option<Expr> {
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
    /// The element-wise form of a method changing a sequence of floats in place:
    ///
    /// ```text
    /// b.swap(i, j)            => { let (p, q) = (i, j); let t = b[p]; b[p] = b[q]; b[q] = t; }
    /// b.reverse()             => { let n = b.len(); for k in 0..n / 2 { (swap k and n - 1 - k) } }
    /// b.copy_from_slice(s)    => { (lengths checked); for k in 0..b.len() { b[k] = s[k]; } }
    /// b.extend_from_slice(s)  => for k in 0..s.len() { b.push(s[k]); }
    /// ```
    ///
    /// (Different lengths in `copy_from_slice`, and an index past a sub-slice's end in `swap`,
    /// panic, as the methods themselves do.)
    fn element_wise(&mut self, m: &syn::ExprMethodCall) -> Option<Expr> {
        let receiver = match &*m.receiver {
            Expr::Reference(r) if r.mutability.is_some() => &*r.expr,
            r => r,
        };
        if !self.floats.is_seq(receiver) {
            return None;
        }
        let seq = self.seq(receiver)?;
        let (name, written) = (seq.name.clone(), seq.written.clone());
        let (k, t) = (self.fresh("k"), self.fresh("t"));
        let at = |i: &Expr| seq.at(i);
        Some(match m.method.to_string().as_str() {
            "swap" => {
                let (p, q, n) = (self.fresh("p"), self.fresh("q"), self.fresh("n"));
                let (i, j) = (&m.args[0], &m.args[1]);
                let (ap, aq) = (at(&parse_quote!(#p)), at(&parse_quote!(#q)));
                // (in a sub-slice, an index past its end panics, as `swap` does)
                let checks: Vec<syn::Stmt> = match &seq.offset {
                    None => Vec::new(),
                    Some(_) => vec![
                        parse_quote!(let #n = (#written).len();),
                        parse_quote!(let #p = (0..#n).nth(#p).expect("index out of bounds: the index is not below the slice's length");),
                        parse_quote!(let #q = (0..#n).nth(#q).expect("index out of bounds: the index is not below the slice's length");),
                    ],
                };
                parse_quote!({
                    let (#p, #q) = (#i, #j);
                    #(#checks)*
                    let #t = #name[#ap];
                    #name[#ap] = #name[#aq];
                    #name[#aq] = #t;
                })
            }
            "reverse" => {
                let n = self.fresh("n");
                let (front, back) = (at(&parse_quote!(#k)), at(&parse_quote!(#n - 1 - #k)));
                parse_quote!({
                    let #n = (#written).len();
                    for #k in 0..#n / 2 {
                        let #t = #name[#front];
                        #name[#front] = #name[#back];
                        #name[#back] = #t;
                    }
                })
            }
            method => {
                let src = m.args.first()?;
                if !self.floats.is_seq(src) {
                    return None;
                }
                let src = self.seq(src)?;
                let (src_name, src_written) = (&src.name, &src.written);
                let read = src.at(&parse_quote!(#k));
                if method == "copy_from_slice" {
                    let to = at(&parse_quote!(#k));
                    let n = self.fresh("n");
                    // (different lengths panic, as `copy_from_slice` does)
                    parse_quote!({
                        let #n = (#written).len();
                        (0..usize::from(#n == (#src_written).len())).nth(0).expect("source slice length does not match destination slice length");
                        for #k in 0..#n {
                            #name[#to] = #src_name[#read];
                        }
                    })
                } else {
                    if seq.offset.is_some() || !self.floats.is_vec(receiver) {
                        return None;
                    }
                    parse_quote!({
                        for #k in 0..(#src_written).len() {
                            #name.push(#src_name[#read]);
                        }
                    })
                }
            }
        })
    }

    /// Whether the sequences an iterator chain reads are all known to hold floats.
    fn float_roots(&self, e: &Expr) -> bool {
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
    fn typed_collect(&mut self, e: &mut Expr, ty: &syn::Type) {
        let Expr::MethodCall(m) = e else { return };
        self.visit_expr_mut(&mut m.receiver);
        if let Some(new) = self.collect(m, Some(ty)) {
            *e = new;
            visit_mut::visit_expr_mut(self, e);
        }
    }
}

/// `T` of `Vec<T>`.
fn vec_element(ty: &syn::Type) -> Option<syn::Type> {
    let syn::Type::Path(p) = ty else { return None };
    let seg = p.path.segments.last()?;
    let syn::PathArguments::AngleBracketed(a) = &seg.arguments else { return None };
    match a.args.first() {
        Some(syn::GenericArgument::Type(t)) if seg.ident == "Vec" && a.args.len() == 1 => {
            Some(t.clone())
        }
        _ => None,
    }
}

/// `a` of `&mut a`.
fn mut_name(e: &Expr) -> Option<&Ident> {
    match e {
        Expr::Reference(r) if r.mutability.is_some() => match &*r.expr {
            Expr::Path(p) => p.path.get_ident(),
            _ => None,
        },
        _ => None,
    }
}

/// Whether a call's function is `std::mem::swap` (or `core::`, or `mem::swap`).
fn is_mem_swap(f: &Expr) -> bool {
    let Expr::Path(p) = f else { return false };
    let names: Vec<String> = p.path.segments.iter().map(|s| s.ident.to_string()).collect();
    matches!(
        names.iter().map(String::as_str).collect::<Vec<_>>().as_slice(),
        ["mem", "swap"] | ["std" | "core", "mem", "swap"]
    )
}

impl VisitMut for Desugar {
    /// `let y: Vec<f64> = <iteration>.collect();`: the annotation types the buffer. The name
    /// is bound (for [`FloatNames`]) after its value.
    fn visit_local_mut(&mut self, l: &mut syn::Local) {
        let holds = self.floats.of_let(l);
        match (&l.pat, &mut l.init) {
            (Pat::Type(pt), Some(init)) if matches!(&*init.expr, Expr::MethodCall(m) if m.method == "collect" && m.turbofish.is_none()) =>
            {
                self.typed_collect(&mut init.expr, &pt.ty);
            }
            _ => visit_mut::visit_local_mut(self, l),
        }
        let pat = match &l.pat {
            Pat::Type(t) => &*t.pat,
            p => p,
        };
        self.floats.bind_let_pattern(pat, holds);
    }

    fn visit_block_mut(&mut self, b: &mut syn::Block) {
        self.floats.push();
        visit_mut::visit_block_mut(self, b);
        self.floats.pop();
    }

    fn visit_expr_for_loop_mut(&mut self, f: &mut syn::ExprForLoop) {
        self.visit_expr_mut(&mut f.expr);
        self.floats.push();
        self.floats.bind_other(&f.pat);
        self.visit_block_mut(&mut f.body);
        self.floats.pop();
    }

    fn visit_arm_mut(&mut self, arm: &mut syn::Arm) {
        self.floats.push();
        self.floats.bind_other(&arm.pat);
        visit_mut::visit_arm_mut(self, arm);
        self.floats.pop();
    }

    /// `if let p = e { .. }`, `while let p = e { .. }`: `p`'s names are bound in the body.
    fn visit_expr_if_mut(&mut self, i: &mut syn::ExprIf) {
        self.floats.push();
        self.visit_expr_mut(&mut i.cond);
        if let Expr::Let(l) = &*i.cond {
            self.floats.bind_other(&l.pat);
        }
        self.visit_block_mut(&mut i.then_branch);
        self.floats.pop();
        if let Some((_, e)) = &mut i.else_branch {
            self.visit_expr_mut(e);
        }
    }

    fn visit_expr_while_mut(&mut self, w: &mut syn::ExprWhile) {
        self.floats.push();
        self.visit_expr_mut(&mut w.cond);
        if let Expr::Let(l) = &*w.cond {
            self.floats.bind_other(&l.pat);
        }
        self.visit_block_mut(&mut w.body);
        self.floats.pop();
    }

    fn visit_expr_mut(&mut self, e: &mut Expr) {
        visit_mut::visit_expr_mut(self, e);
        match e {
            // (A range loop is lowered as it is.)
            Expr::ForLoop(f) if f.label.is_none() && !crate::lower::loops::is_range(&f.expr) => {
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
                *e = if vecs {
                    // Two `Vec`s (buffers, written in place): their elements are swapped, so
                    // each keeps its own adjoint buffer. Different lengths panic at the first
                    // element the shorter one lacks.
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

//! Binding an iteration's item to the pattern a loop or a closure gives it: values, windows
//! (read from their sequence), places (written in it) and borrowed points.

use crate::scopes::Scopes;
use syn::visit_mut::{self, VisitMut};
use syn::{Expr, Ident, Pat, parse_quote};

/// Whether an iteration's items are references in the source (`x.iter()` yields `&f64`,
/// `.copied()` values), position by position in tuples (`zip`, `enumerate`).
#[derive(Clone)]
pub(super) enum Refs {
    Leaf(bool),
    /// A reference to a point (`p.iter()` of `p: &[Vector3<f64>]`): read as a value, but
    /// passed on as a reference (`d.dot(q)`), as Rust has it.
    Borrowed,
    Tuple(Vec<Refs>),
}

/// The pattern binding an element whose source items are `refs`, with elements bound as values:
/// `&v` patterns lose their `&`, and a plain name `v` of a reference item goes into `derefs`,
/// whose `*v` in the body are then read as `v`.
pub(super) fn bind(
    pat: &Pat,
    refs: &Refs,
    derefs: &mut Vec<Ident>,
    borrowed: &mut Vec<Ident>,
) -> Pat {
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
pub(super) fn as_written(item: Item, refs: &Refs) -> Option<Expr> {
    match (item, refs) {
        (Item::Value(e), Refs::Leaf(true) | Refs::Borrowed) => Some(parse_quote!(&#e)),
        (Item::Value(e), _) => Some(e),
        (Item::Window(w), _) => {
            let (seq, start, len) = (&w.seq, &w.start, &w.len);
            Some(parse_quote!(&#seq[#start..#start + #len]))
        }
        (Item::Row(e), _) => Some(parse_quote!(&#e)),
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
pub(super) enum Item {
    /// A value, as an expression of the index.
    Value(Expr),
    /// A sub-slice (`x.windows(n)`, `x.chunks(c)`): bound to a name that the body only indexes
    /// and takes `.len()` of, which become reads of the sequence itself.
    Window(Box<Window>),
    /// An element as a place to write (`b.iter_mut()`): bound to a name that the body only
    /// dereferences, which becomes the element itself (`*v` -> `b[k]`).
    Place(Expr),
    /// A row of `Vec` rows (`w.iter()` of `w: &[Vec<f64>]`): bound to a name that stands for
    /// the row read in place (`row[j]` -> `w[k][j]`, `row.iter()` -> `w[k].iter()`).
    Row(Expr),
    /// The items of `zip` and `enumerate`.
    Tuple(Vec<Item>),
}

/// `seq[start..start + len]`.
#[derive(Clone)]
pub(super) struct Window {
    pub(super) seq: Expr,
    pub(super) start: Expr,
    pub(super) len: Expr,
}

impl Item {
    /// The item as one expression (not for windows, which are not values).
    pub(super) fn expr(self) -> Option<Expr> {
        match self {
            Item::Value(e) => Some(e),
            Item::Window(_) | Item::Place(_) | Item::Row(_) => None,
            Item::Tuple(items) => {
                let es = items.into_iter().map(Item::expr).collect::<Option<Vec<Expr>>>()?;
                Some(parse_quote!((#(#es),*)))
            }
        }
    }
}

/// `&v` -> `v`, `&(a, b)` -> `(a, b)`, recursively in tuples: elements are values here.
pub(super) fn strip_refs(p: &Pat) -> Pat {
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

/// Binds the item of an iteration to a pattern: `let`s for its values, and for each window
/// bound to a name, that name and the window. `None` if a window meets another pattern.
pub(super) fn bind_item(
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
        (Pat::Ident(pi), Item::Row(e)) if plain(pi) && pi.mutability.is_none() => {
            views.rows.push((pi.ident.clone(), e));
            Some(Vec::new())
        }
        (Pat::Wild(_), Item::Row(_)) => Some(Vec::new()),
        (_, Item::Row(_)) => None,
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
pub(super) struct Views {
    pub(super) windows: Vec<(Ident, Window)>,
    pub(super) places: Vec<(Ident, Expr)>,
    /// Names of rows and the row each stands for (see [`Item::Row`]).
    pub(super) rows: Vec<(Ident, Expr)>,
    /// Names of points bound as values, borrowed where they are arguments (see [`Refs`]).
    pub(super) borrowed: Vec<Ident>,
    pub(super) ok: bool,
}

impl Views {
    pub(super) fn name(e: &Expr) -> Option<&Ident> {
        let Expr::Path(p) = e else { return None };
        p.path.get_ident()
    }

    pub(super) fn window(&self, e: &Expr) -> Option<&Window> {
        let id = Self::name(e)?;
        self.windows.iter().find(|(name, _)| name == id).map(|(_, w)| w)
    }

    pub(super) fn place(&self, e: &Expr) -> Option<&Expr> {
        let id = Self::name(e)?;
        self.places.iter().find(|(name, _)| name == id).map(|(_, p)| p)
    }

    /// Whether the expressions that replace windows and places mention `id`.
    pub(super) fn read_by_replacements(&self, id: &Ident) -> bool {
        use crate::syntax::mentions_ident as mentions;
        self.windows.iter().any(|(_, w)| {
            let (seq, start, len) = (&w.seq, &w.start, &w.len);
            mentions(quote::quote!(#seq #start #len), id)
        }) || self.places.iter().chain(&self.rows).any(|(_, p)| mentions(quote::quote!(#p), id))
    }

    pub(super) fn bound(&self, id: &Ident) -> bool {
        self.windows.iter().any(|(name, _)| name == id)
            || self.places.iter().chain(&self.rows).any(|(name, _)| name == id)
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
        // a row's name, where the row is read in place: `row[j]`, `row.len()`, `row.iter()`,
        // `&row` (anything else, `g(row)` say, leaves the loop as written)
        let row_of = |e: &Expr| {
            Self::name(e)
                .and_then(|id| self.rows.iter().find(|(name, _)| name == id))
                .map(|(_, r)| r.clone())
        };
        match e {
            Expr::Index(ix) => {
                if let Some(row) = row_of(&ix.expr) {
                    *ix.expr = row;
                }
            }
            Expr::MethodCall(m)
                if matches!(
                    m.method.to_string().as_str(),
                    "len" | "is_empty" | "iter" | "into_iter"
                ) && m.args.is_empty() =>
            {
                if let Some(row) = row_of(&m.receiver) {
                    *m.receiver = row;
                }
            }
            Expr::Reference(r) if r.mutability.is_none() => {
                if let Some(row) = row_of(&r.expr) {
                    *r.expr = row;
                    return;
                }
            }
            e if row_of(e).is_some() => {
                self.ok = false;
                return;
            }
            _ => {}
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
    pub(super) fn slice(&self, e: &Expr) -> Option<Expr> {
        let w = self.window(e)?;
        let (seq, start, len) = (&w.seq, &w.start, &w.len);
        let span = syn::spanned::Spanned::span(e);
        Some(syn::parse_quote_spanned!(span=> (&#seq[#start..#start + #len])))
    }
}

/// `body` with the item bound, its windows read from their sequences and its places written
/// as elements; `None` if a window or a place is used otherwise.
pub(super) fn bound_body<T: Clone>(
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
    visit(&mut BorrowArguments::new(views.borrowed.clone(), false), &mut body);
    visit(&mut StripDerefs(&derefs), &mut body);
    visit(&mut views, &mut body);
    views.ok.then_some((lets, body))
}

/// `f(q)`, `a.dot(q)` -> `f(&q)`, `a.dot(&q)` for the names it holds (points bound as values
/// where the source has references), and with `strip`, `*q` -> `q`, until a binding of the
/// same name (a `let`, a closure's, a `for`'s, an arm's or an `if let`'s pattern) hides them.
pub(super) struct BorrowArguments {
    names: Vec<Ident>,
    strip: bool,
    /// The names bound since, which hide those of `names`.
    hidden: Scopes<()>,
}

impl BorrowArguments {
    pub(super) fn new(names: Vec<Ident>, strip: bool) -> Self {
        BorrowArguments { names, strip, hidden: Scopes::default() }
    }

    fn holds(&self, e: &Expr) -> bool {
        matches!(e, Expr::Path(p) if p.path.get_ident().is_some_and(|i| {
            self.names.contains(i) && self.hidden.lookup(&i.to_string()).is_none()
        }))
    }

    fn borrow(&self, args: &mut syn::punctuated::Punctuated<Expr, syn::Token![,]>) {
        for a in args.iter_mut() {
            if self.holds(a) {
                *a = parse_quote!(&#a);
            }
        }
    }
}

impl crate::scopes::Scoped for BorrowArguments {
    fn enter(&mut self) {
        self.hidden.push();
    }

    fn leave(&mut self) {
        self.hidden.pop();
    }

    fn bind(&mut self, pat: &Pat) {
        crate::syntax::pattern_names(pat).into_iter().for_each(|n| self.hidden.bind(n, ()));
    }
}

impl VisitMut for BorrowArguments {
    fn visit_expr_mut(&mut self, e: &mut Expr) {
        if self.strip
            && let Expr::Unary(u) = e
            && matches!(u.op, syn::UnOp::Deref(_))
            && self.holds(&u.expr)
        {
            *e = (*u.expr).clone();
            return;
        }
        visit_mut::visit_expr_mut(self, e);
    }

    fn visit_block_mut(&mut self, b: &mut syn::Block) {
        use crate::scopes::Scoped;
        self.enter();
        for stmt in &mut b.stmts {
            self.visit_stmt_mut(stmt);
            if let syn::Stmt::Local(l) = stmt {
                self.bind(&l.pat);
            }
        }
        self.leave();
    }

    fn visit_expr_closure_mut(&mut self, c: &mut syn::ExprClosure) {
        use crate::scopes::Scoped;
        self.enter();
        for p in &c.inputs {
            self.bind(p);
        }
        self.visit_expr_mut(&mut c.body);
        self.leave();
    }

    crate::scopes::scoped_visits!();

    // (borrowed before the arguments are visited: `g(*v)`'s `*v` becomes `v`, a value)
    fn visit_expr_call_mut(&mut self, c: &mut syn::ExprCall) {
        self.borrow(&mut c.args);
        visit_mut::visit_expr_call_mut(self, c);
    }

    fn visit_expr_method_call_mut(&mut self, m: &mut syn::ExprMethodCall) {
        self.borrow(&mut m.args);
        visit_mut::visit_expr_method_call_mut(self, m);
    }
}

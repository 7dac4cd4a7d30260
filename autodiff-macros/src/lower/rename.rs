//! Expressions that are not differentiated (conditions, integer arithmetic, `detach(..)`) are
//! emitted as written, with every name of the function's locals replaced by its IR value's
//! identifier. This walks such an expression, respecting names the expression binds itself
//! (closure parameters, `let`s in blocks, patterns), and reports what it found.

use super::env::Env;
use crate::ir::{Var, VarInfo};
use crate::kind::Kind;
use crate::scopes::Scopes;
use syn::visit_mut::{self, VisitMut};
use syn::{Expr, Pat, Stmt};

/// An expression with its names resolved.
pub struct Renamed {
    /// The expression, names replaced.
    pub expr: Expr,
    /// Whether it reads a value that depends on an active parameter.
    pub mentions_varied: bool,
    /// Whether it assigns to (or takes `&mut` of) a local of the function.
    pub mutates_local: bool,
    /// Whether it contains `return`.
    pub has_return: bool,
    /// Whether it contains a macro call (whose tokens cannot be renamed).
    pub has_macro: bool,
    /// The values it reads.
    pub uses: Vec<Var>,
}

/// Resolves the names in `expr`.
pub fn rename(expr: &Expr, env: &Env, vars: &[VarInfo]) -> Renamed {
    let mut r = Renamer { env, vars, shadow: Scopes::default(), found: Found::default() };
    let mut expr = expr.clone();
    r.visit_expr_mut(&mut expr);
    let f = r.found;
    Renamed {
        expr,
        mentions_varied: f.varied,
        mutates_local: f.mutates,
        has_return: f.ret,
        has_macro: f.mac,
        uses: f.uses,
    }
}

/// Resolves the names in a pattern's guard and nested expressions (not its bindings); returns
/// the values they read.
pub fn rename_in_pat(pat: &mut Pat, env: &Env, vars: &[VarInfo]) -> Vec<Var> {
    let mut r = Renamer { env, vars, shadow: Scopes::default(), found: Found::default() };
    r.visit_pat_mut(pat);
    r.found.uses
}

/// The names a pattern binds: identifiers that are not constants or enum variants (which Rust
/// style writes in CamelCase or SCREAMING_CASE).
pub fn pattern_bindings(pat: &Pat, out: &mut Vec<String>) {
    match pat {
        Pat::Ident(p) => {
            if is_binding_name(&p.ident.to_string()) {
                out.push(p.ident.to_string());
            }
            if let Some((_, sub)) = &p.subpat {
                pattern_bindings(sub, out);
            }
        }
        Pat::Tuple(t) => t.elems.iter().for_each(|p| pattern_bindings(p, out)),
        Pat::TupleStruct(t) => t.elems.iter().for_each(|p| pattern_bindings(p, out)),
        Pat::Struct(s) => s.fields.iter().for_each(|f| pattern_bindings(&f.pat, out)),
        Pat::Slice(s) => s.elems.iter().for_each(|p| pattern_bindings(p, out)),
        Pat::Or(o) => {
            if let Some(first) = o.cases.first() {
                pattern_bindings(first, out);
            }
        }
        Pat::Reference(r) => pattern_bindings(&r.pat, out),
        Pat::Paren(p) => pattern_bindings(&p.pat, out),
        Pat::Type(t) => pattern_bindings(&t.pat, out),
        Pat::Guard(g) => pattern_bindings(&g.pat, out),
        _ => {}
    }
}

/// Whether an identifier in a pattern binds a name (rather than naming a constant).
pub fn is_binding_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_lowercase() || c == '_') && name != "self"
}

#[derive(Default)]
struct Found {
    uses: Vec<Var>,
    varied: bool,
    mutates: bool,
    ret: bool,
    mac: bool,
}

struct Renamer<'a> {
    env: &'a Env,
    vars: &'a [VarInfo],
    /// Names bound inside the expression (closure parameters, `let`s of inner blocks, arms),
    /// which hide the function's.
    shadow: Scopes<()>,
    found: Found,
}

impl Renamer<'_> {
    fn shadowed(&self, name: &str) -> bool {
        self.shadow.lookup(name).is_some()
    }

    /// The local of the function a plain name refers to, if any.
    fn local(&self, expr: &Expr) -> Option<Var> {
        let Expr::Path(p) = expr else { return None };
        let id = p.path.get_ident()?;
        let name = id.to_string();
        if p.qself.is_some() || self.shadowed(&name) {
            return None;
        }
        self.env.lookup(&name).map(|b| b.var)
    }

    fn with_scope(&mut self, names: Vec<String>, f: impl FnOnce(&mut Self)) {
        self.shadow.push();
        names.into_iter().for_each(|n| self.shadow.bind(n, ()));
        f(self);
        self.shadow.pop();
    }

    /// Whether the local at the root of `place` is varied or may hold floats: what a `&mut`
    /// of it could change differentiates.
    fn holds_floats(&self, place: &Expr) -> bool {
        let base = root(place);
        self.local(base).is_none_or(|v| {
            let info = &self.vars[v.0];
            info.varied || !matches!(info.kind, Kind::Int | Kind::Bool | Kind::Unknown)
        })
    }

    fn note_mutation(&mut self, place: &Expr) {
        if self.local(root(place)).is_some() {
            self.found.mutates = true;
        }
    }
}

/// The name at the root of a place: `a` of `a.b[i]`, `*a`, `(a)`.
fn root(place: &Expr) -> &Expr {
    match place {
        Expr::Field(f) => root(&f.base),
        Expr::Index(i) => root(&i.expr),
        Expr::Paren(p) => root(&p.expr),
        Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => root(&u.expr),
        _ => place,
    }
}

fn bindings(pat: &Pat) -> Vec<String> {
    let mut out = Vec::new();
    pattern_bindings(pat, &mut out);
    out
}

impl crate::scopes::Scoped for Renamer<'_> {
    fn enter(&mut self) {
        self.shadow.push();
    }

    fn leave(&mut self) {
        self.shadow.pop();
    }

    fn bind(&mut self, pat: &Pat) {
        bindings(pat).into_iter().for_each(|n| self.shadow.bind(n, ()));
    }
}

impl VisitMut for Renamer<'_> {
    fn visit_expr_mut(&mut self, expr: &mut Expr) {
        if let Some(v) = self.local(expr) {
            let info = &self.vars[v.0];
            self.found.varied |= info.varied;
            if !self.found.uses.contains(&v) {
                self.found.uses.push(v);
            }
            let ident = info.ident.clone();
            // (a borrow of a local value, `r` of `let r = &h;`, reads `&h`)
            let borrowed = match &*expr {
                Expr::Path(p) => p
                    .path
                    .get_ident()
                    .and_then(|id| self.env.lookup(&id.to_string()))
                    .is_some_and(|b| b.borrowed),
                _ => false,
            };
            *expr = if borrowed { syn::parse_quote!((&#ident)) } else { syn::parse_quote!(#ident) };
            return;
        }
        if let Expr::Macro(m) = expr
            && m.mac.path.is_ident("vec")
        {
            // `vec![a, b]` and `vec![x; n]` hold expressions: rename them like any other.
            let tokens = &m.mac.tokens;
            match syn::parse2::<Expr>(quote::quote!([#tokens])) {
                Ok(mut inner) => {
                    self.visit_expr_mut(&mut inner);
                    match inner {
                        Expr::Array(a) => {
                            let elems = a.elems;
                            m.mac.tokens = quote::quote!(#elems);
                        }
                        Expr::Repeat(r) => {
                            let (e, n) = (r.expr, r.len);
                            m.mac.tokens = quote::quote!(#e; #n);
                        }
                        _ => self.found.mac = true,
                    }
                }
                Err(_) => self.found.mac = true,
            }
            return;
        }
        match expr {
            Expr::Return(_) => self.found.ret = true,
            Expr::Macro(_) => self.found.mac = true,
            Expr::Assign(a) => self.note_mutation(&a.left),
            Expr::Binary(b) if crate::syntax::is_compound(&b.op) => self.note_mutation(&b.left),
            // `&mut` of inactive state (`uniform(&mut seed)`, `&mut rng`) changes nothing the
            // IR differentiates: code kept as written may do it (reverse mode then keeps what
            // reads the state, see `analyse::changed_in_place`).
            Expr::Reference(r) if r.mutability.is_some() && self.holds_floats(&r.expr) => {
                self.note_mutation(&r.expr)
            }
            _ => {}
        }
        visit_mut::visit_expr_mut(self, expr);
    }

    fn visit_expr_closure_mut(&mut self, c: &mut syn::ExprClosure) {
        let names = c.inputs.iter().flat_map(bindings).collect();
        self.with_scope(names, |r| r.visit_expr_mut(&mut c.body));
    }

    fn visit_block_mut(&mut self, block: &mut syn::Block) {
        self.shadow.push();
        for stmt in &mut block.stmts {
            match stmt {
                Stmt::Local(local) => {
                    if let Some(init) = &mut local.init {
                        self.visit_expr_mut(&mut init.expr);
                        if let Some((_, e)) = &mut init.diverge {
                            self.visit_expr_mut(e);
                        }
                    }
                    bindings(&local.pat).into_iter().for_each(|n| self.shadow.bind(n, ()));
                }
                Stmt::Macro(_) => self.found.mac = true,
                Stmt::Item(_) => {}
                Stmt::Expr(e, _) => self.visit_expr_mut(e),
            }
        }
        self.shadow.pop();
    }

    crate::scopes::scoped_visits!();

    fn visit_pat_mut(&mut self, pat: &mut Pat) {
        // Only guards and constant expressions inside patterns read locals.
        if let Pat::Guard(g) = pat {
            self.visit_pat_mut(&mut g.pat);
            self.visit_expr_mut(&mut g.guard);
        }
    }

    fn visit_field_value_mut(&mut self, fv: &mut syn::FieldValue) {
        // `S { x }` must become `S { x: x_1 }` once `x` is renamed.
        if fv.colon_token.is_none() {
            fv.colon_token = Some(Default::default());
        }
        self.visit_expr_mut(&mut fv.expr);
    }
}

//! A local struct of values (`let mut p = Particle { x: x0, v: v0 };`) used only through its
//! fields becomes one local per field, which lowering differentiates like any local (scalar
//! replacement, as a compiler's SROA does):
//!
//! ```text
//! let mut p = Particle { x: x0, v: v0 };      =>   let mut p__x = x0; let mut p__v = v0;
//! p.v += a * dt;  p.x + 0.5 * p.v             =>   p__v += a * dt;  p__x + 0.5 * p__v
//! ```
//!
//! Only when the literal names every field it sets (no `..base`), and every later use of the
//! name in the block reads or writes one of those fields: a struct passed on whole, a method
//! called on it, a name in a macro, or a later `let` of the same name leave it as written
//! (lowering then reports it). A field holding a struct literal is split again.

use syn::visit::Visit;
use syn::visit_mut::{self, VisitMut};
use syn::{Expr, Member, Pat, Stmt, parse_quote};

/// Splits the local structs of `block` and of the blocks inside it.
pub fn rewrite(block: &mut syn::Block) {
    let mut names = Idents(std::collections::HashSet::new());
    names.visit_block(block);
    Blocks { taken: names.0, next: 0 }.visit_block_mut(block);
}

/// (`taken`: every identifier the source wrote, which a field's local must not be; `next`: the
/// count of temporaries made.)
struct Blocks {
    taken: std::collections::HashSet<String>,
    next: usize,
}

impl VisitMut for Blocks {
    fn visit_block_mut(&mut self, block: &mut syn::Block) {
        visit_mut::visit_block_mut(self, block);
        let mut i = 0;
        while i < block.stmts.len() {
            if let Some((name, mutable, fields)) = struct_let(&block.stmts[i])
                && only_fields(&name, &fields, &block.stmts[i + 1..])
                && fields
                    .iter()
                    .all(|(f, _)| !self.taken.contains(&local_name(&name, f).to_string()))
            {
                // The values first, into temporaries, then the locals: a value may read a
                // field of an outer struct of the same name (`let p = P { x: p.x + p.v, .. }`),
                // which becomes a local of the same name as this one's.
                // (only values that name the struct: a nested literal stays one, to be split)
                let mut stmts: Vec<Stmt> = Vec::new();
                let mut temps: Vec<Expr> = Vec::new();
                for (_, value) in &fields {
                    let mut names = Idents(std::collections::HashSet::new());
                    names.visit_expr(value);
                    if names.0.contains(&name.to_string()) {
                        self.next += 1;
                        let t =
                            syn::Ident::new(&format!("__autodiff_field{}", self.next), name.span());
                        stmts.push(parse_quote!(let #t = #value;));
                        temps.push(parse_quote!(#t));
                    } else {
                        temps.push(value.clone());
                    }
                }
                for ((field, _), t) in fields.iter().zip(&temps) {
                    // (not added to `taken`: a struct of the same name in an inner block gets
                    // locals of the same names, which shadow these as its name shadowed)
                    let local = local_name(&name, field);
                    stmts.push(if mutable {
                        parse_quote!(let mut #local = #t;)
                    } else {
                        parse_quote!(let #local = #t;)
                    });
                }
                let mut rename = Fields { name: name.clone() };
                block.stmts[i + 1..].iter_mut().for_each(|s| rename.visit_stmt_mut(s));
                block.stmts.splice(i..=i, stmts);
                continue; // (a field's own struct literal is split next)
            }
            i += 1;
        }
    }

    fn visit_item_mut(&mut self, _: &mut syn::Item) {}
}

/// Every identifier in some code.
struct Idents(std::collections::HashSet<String>);

impl<'a> Visit<'a> for Idents {
    fn visit_ident(&mut self, i: &'a syn::Ident) {
        self.0.insert(i.to_string());
    }
}

/// A struct literal's fields with their values.
type FieldValues = Vec<(syn::Ident, Expr)>;

/// `let [mut] name = Path { a: e, b, .. };` without `..base`: the name, whether `mut`, and the
/// fields with their values.
fn struct_let(stmt: &Stmt) -> Option<(syn::Ident, bool, FieldValues)> {
    let Stmt::Local(local) = stmt else { return None };
    let Pat::Ident(pi) = &local.pat else { return None };
    if pi.by_ref.is_some() || pi.subpat.is_some() {
        return None;
    }
    let init = local.init.as_ref().filter(|i| i.diverge.is_none())?;
    let Expr::Struct(s) = &*init.expr else { return None };
    if s.rest.is_some() || s.dot2_token.is_some() || s.qself.is_some() || s.fields.is_empty() {
        return None;
    }
    let fields = s
        .fields
        .iter()
        .map(|f| match &f.member {
            Member::Named(id) => Some((id.clone(), f.expr.clone())),
            Member::Unnamed(_) => None,
        })
        .collect::<Option<Vec<_>>>()?;
    Some((pi.ident.clone(), pi.mutability.is_some(), fields))
}

fn local_name(name: &syn::Ident, field: &syn::Ident) -> syn::Ident {
    syn::Ident::new(&format!("{name}__{field}"), field.span())
}

/// Whether every use of `name` in `rest` is `name.field` of one of `fields`.
fn only_fields(name: &syn::Ident, fields: &[(syn::Ident, Expr)], rest: &[Stmt]) -> bool {
    struct Uses<'a> {
        name: &'a syn::Ident,
        fields: &'a [(syn::Ident, Expr)],
        ok: bool,
    }
    impl<'v> Visit<'v> for Uses<'_> {
        fn visit_expr(&mut self, e: &'v Expr) {
            if let Expr::Field(f) = e
                && matches!(&*f.base, Expr::Path(p) if p.path.is_ident(self.name))
            {
                self.ok &= matches!(&f.member, Member::Named(m) if self.fields.iter().any(|(n, _)| n == m));
                return;
            }
            if matches!(e, Expr::Path(p) if p.path.is_ident(self.name)) {
                self.ok = false;
                return;
            }
            syn::visit::visit_expr(self, e);
        }
        fn visit_pat_ident(&mut self, p: &'v syn::PatIdent) {
            self.ok &= p.ident != *self.name; // bound again
        }
        fn visit_macro(&mut self, m: &'v syn::Macro) {
            // `assert!(p.x > 0.0)`, `println!("{}", p.v)`: arguments that are expressions are
            // checked as code; a format string naming the struct (`"{p:?}"`) uses it whole.
            match macro_arguments(m) {
                Some(args) => {
                    let (whole, formatted) =
                        (format!("{{{}}}", self.name), format!("{{{}:", self.name));
                    for a in &args {
                        if let Expr::Lit(l) = a
                            && let syn::Lit::Str(text) = &l.lit
                        {
                            let text = text.value();
                            self.ok &= !text.contains(&whole) && !text.contains(&formatted);
                        }
                        self.visit_expr(a);
                    }
                }
                None => self.ok &= !crate::syntax::mentions_ident(m.tokens.clone(), self.name),
            }
        }
        fn visit_item(&mut self, _: &'v syn::Item) {}
    }
    let mut uses = Uses { name, fields, ok: true };
    rest.iter().for_each(|s| uses.visit_stmt(s));
    uses.ok
}

/// `name.field` -> `name__field`.
struct Fields {
    name: syn::Ident,
}

impl VisitMut for Fields {
    // (a nested `fn` has names of its own)
    fn visit_item_mut(&mut self, _: &mut syn::Item) {}

    fn visit_macro_mut(&mut self, m: &mut syn::Macro) {
        if !crate::syntax::mentions_ident(m.tokens.clone(), &self.name) {
            return;
        }
        if let Some(mut args) = macro_arguments(m) {
            args.iter_mut().for_each(|a| self.visit_expr_mut(a));
            m.tokens = quote::quote!(#(#args),*);
        }
    }

    fn visit_expr_mut(&mut self, e: &mut Expr) {
        if let Expr::Field(f) = e
            && matches!(&*f.base, Expr::Path(p) if p.path.is_ident(&self.name))
            && let Member::Named(field) = &f.member
        {
            let local = local_name(&self.name, field);
            *e = parse_quote!(#local);
            return;
        }
        visit_mut::visit_expr_mut(self, e);
    }
}

/// A macro's arguments when they are expressions separated by commas (`assert!`,
/// `assert_eq!`, `println!`, ..).
fn macro_arguments(m: &syn::Macro) -> Option<Vec<Expr>> {
    use syn::parse::Parser as _;
    let parser = syn::punctuated::Punctuated::<Expr, syn::Token![,]>::parse_terminated;
    parser.parse2(m.tokens.clone()).ok().map(|p| p.into_iter().collect())
}

//! Tables (a dynamic-programming table, a lattice of values): a local `Vec` of rows made by
//! `vec![vec![v; m]; n]` and used only as `t[i][j]`, becomes one buffer of `n · m` elements,
//! row by row, which lowering writes in place like any buffer:
//!
//! ```text
//! let mut d = vec![vec![f64::INFINITY; m + 1]; n + 1];   =>   let __autodiff_rows_d = n + 1;
//!                                                             let __autodiff_cols_d = m + 1;
//!                                                             let mut d = vec![f64::INFINITY; __autodiff_rows_d * __autodiff_cols_d];
//! d[i][j] = cost + d[i - 1][j];                           =>   d[(i) * __autodiff_cols_d + (j)] = cost + d[..];
//! d.len(), d[i].len()                                     =>   __autodiff_rows_d, __autodiff_cols_d
//!                                                             (the dimensions as they were made)
//! ```
//!
//! A copy of a parameter's rows of floats (`let mut a = a_in.to_vec();`, `a_in.clone()`,
//! `a_in.iter().map(|row| row.to_vec()).collect()`, of `a_in: &[Vec<f64>]`) is a table too, its
//! cells copied one by one (rows of unequal lengths panic); `a.swap(i, j)` swaps two rows cell by
//! cell (pivoting).
//!
//! A row read whole (`d.last().unwrap()`, `d.first().unwrap()`, `&d[i]`, `d[i].iter()`) becomes
//! the sub-slice of the buffer holding it (`&d[r * cols..(r + 1) * cols]`, `r` the row checked
//! against the table's rows by `__private::row`/`end_row`: reverse mode allows it after the
//! buffer's last write). Any other use of the name (`d.push(..)`, passing `d` on)
//! leaves the table as written. A column past a row's end panics as indexing the row would
//! (`__private::column`), rather than reading the next row.

use quote::format_ident;
use syn::visit::Visit;
use syn::visit_mut::{self, VisitMut};
use syn::{Expr, Ident, Pat, Stmt, parse_quote};

/// Flattens the tables of `block` and of the blocks inside it; `params`: the parameters'
/// names, kinds and types (a copied parameter's element type).
pub fn rewrite(
    block: &mut syn::Block,
    params: &[(String, crate::kind::Kind, syn::Type)],
    rt: &proc_macro2::TokenStream,
) {
    Blocks(rt.clone(), params.to_vec()).visit_block_mut(block);
}

/// (The path of the runtime's `__private` module, and the parameters.)
struct Blocks(proc_macro2::TokenStream, Vec<(String, crate::kind::Kind, syn::Type)>);

impl VisitMut for Blocks {
    fn visit_block_mut(&mut self, block: &mut syn::Block) {
        visit_mut::visit_block_mut(self, block);
        let mut i = 0;
        while i < block.stmts.len() {
            let span = syn::spanned::Spanned::span(&block.stmts[i]);
            if let Some((name, init)) = table(&block.stmts[i], &self.1)
                && only_cells(&name, &block.stmts[i + 1..])
            {
                // (both dimensions as they are when the table is made: the names in them may be
                // rebound or assigned afterwards)
                let width = format_ident!("__autodiff_cols_{}", name);
                let height = format_ident!("__autodiff_rows_{}", name);
                let mut uses = Cells {
                    name: name.clone(),
                    width: width.clone(),
                    rows: quote::quote!(#height),
                    rt: self.0.clone(),
                };
                block.stmts[i + 1..].iter_mut().for_each(|s| uses.visit_stmt_mut(s));
                let decl: Vec<Stmt> = match init {
                    Init::Repeat { value, rows, cols } => vec![
                        parse_quote!(let #height: usize = #rows;),
                        parse_quote!(let #width: usize = #cols;),
                        // (spanned at the source's table, where errors about its values point)
                        syn::parse_quote_spanned!(span=> let mut #name = vec![#value; #height * #width];),
                    ],
                    // a copy of rows of equal length (a ragged source panics, as the table's
                    // own indexing would not have)
                    Init::Copy { source, element } => {
                        let (r, c) = (format_ident!("__autodiff_r"), format_ident!("__autodiff_c"));
                        vec![
                            parse_quote!(let #height: usize = #source.len();),
                            parse_quote!(let #width: usize = if #height > 0 { #source[0].len() } else { 0 };),
                            syn::parse_quote_spanned!(span=> let mut #name: Vec<#element> = vec![0.0; #height * #width];),
                            parse_quote!(for #r in 0..#height {
                                assert_eq!(#source[#r].len(), #width, "the rows of a table copied must have one length");
                                for #c in 0..#width {
                                    #name[#r * #width + #c] = #source[#r][#c];
                                }
                            }),
                        ]
                    }
                };
                let n = decl.len();
                block.stmts.splice(i..=i, decl);
                i += n;
                continue;
            }
            i += 1;
        }
    }
}

/// How a table is made.
enum Init {
    /// `vec![vec![value; cols]; rows]`
    Repeat { value: Box<Expr>, rows: Box<Expr>, cols: Box<Expr> },
    /// A copy of a parameter's rows (`a.to_vec()`, `a.clone()`,
    /// `a.iter().map(|row| row.to_vec()).collect()`), of floats of type `element`.
    Copy { source: Ident, element: Box<syn::Type> },
}

/// `let mut name = vec![vec![value; cols]; rows];`, or a copy of a parameter holding rows of
/// floats (`&[Vec<f64>]`, `Vec<Vec<f64>>`, `&[[f64; N]]`), maybe typed `Vec<Vec<E>>`.
fn table(stmt: &Stmt, params: &[(String, crate::kind::Kind, syn::Type)]) -> Option<(Ident, Init)> {
    let Stmt::Local(local) = stmt else { return None };
    let (pat, ty) = match &local.pat {
        Pat::Type(t) => (&*t.pat, Some(&*t.ty)),
        p => (p, None),
    };
    let Pat::Ident(pi) = pat else { return None };
    if pi.mutability.is_none() || pi.by_ref.is_some() || pi.subpat.is_some() {
        return None;
    }
    let init = local.init.as_ref().filter(|i| i.diverge.is_none())?;
    let repeat = |e: &Expr| -> Option<(Expr, Expr)> {
        let Expr::Macro(m) = e else { return None };
        if !m.mac.path.is_ident("vec") {
            return None;
        }
        let tokens = &m.mac.tokens;
        match syn::parse2::<Expr>(quote::quote!([#tokens])).ok()? {
            Expr::Repeat(r) => Some((*r.expr, *r.len)),
            _ => None,
        }
    };
    if let Some(source) = copied_rows(&init.expr) {
        let element = params
            .iter()
            .find(|(n, _, _)| source == n)
            .and_then(|(_, _, t)| row_element(t))
            .filter(|_| ty.is_none_or(|t| row_element(t).is_some()))?;
        return Some((pi.ident.clone(), Init::Copy { source, element: Box::new(element) }));
    }
    if ty.is_some() {
        return None;
    }
    let (row, rows) = repeat(&init.expr)?;
    let (value, cols) = repeat(&row)?;
    let simple = |e: &Expr| crate::syntax::is_simple(e);
    (simple(&rows) && simple(&cols) && simple(&value)).then(|| {
        let (value, rows, cols) = (Box::new(value), Box::new(rows), Box::new(cols));
        (pi.ident.clone(), Init::Repeat { value, rows, cols })
    })
}

/// The name whose rows `e` copies: `a.to_vec()`, `a.clone()`,
/// `a.iter().map(|r| r.to_vec()).collect()` (or `r.clone()`, `.collect::<Vec<_>>()`).
fn copied_rows(e: &Expr) -> Option<Ident> {
    let name = |e: &Expr| match e {
        Expr::Path(p) => p.path.get_ident().cloned(),
        _ => None,
    };
    let Expr::MethodCall(m) = e else { return None };
    match m.method.to_string().as_str() {
        "to_vec" | "clone" if m.args.is_empty() => name(&m.receiver),
        "collect" if m.args.is_empty() => {
            let Expr::MethodCall(map) = &*m.receiver else { return None };
            let Expr::MethodCall(iter) = &*map.receiver else { return None };
            let [Expr::Closure(c)] = map.args.iter().collect::<Vec<_>>()[..] else { return None };
            let [Pat::Ident(row)] = c.inputs.iter().collect::<Vec<_>>()[..] else { return None };
            let copies = matches!(&*c.body, Expr::MethodCall(b)
                if b.args.is_empty()
                    && matches!(b.method.to_string().as_str(), "to_vec" | "clone")
                    && name(&b.receiver).is_some_and(|r| r == row.ident));
            (map.method == "map" && iter.method == "iter" && iter.args.is_empty() && copies)
                .then(|| name(&iter.receiver))
                .flatten()
        }
        _ => None,
    }
}

/// `E` of a type holding rows of floats: `&[Vec<E>]`, `Vec<Vec<E>>`, `&Vec<Vec<E>>`,
/// `&[[E; N]]`, for `E` `f32` or `f64`.
fn row_element(ty: &syn::Type) -> Option<syn::Type> {
    let inner = |t: &syn::Type| -> Option<syn::Type> {
        match t {
            syn::Type::Reference(r) => inner_of(&r.elem),
            t => inner_of(t),
        }
    };
    fn inner_of(t: &syn::Type) -> Option<syn::Type> {
        match t {
            syn::Type::Slice(s) => Some((*s.elem).clone()),
            syn::Type::Path(p) => {
                let last = p.path.segments.last()?;
                let syn::PathArguments::AngleBracketed(a) = &last.arguments else { return None };
                match (last.ident == "Vec", a.args.first()) {
                    (true, Some(syn::GenericArgument::Type(t))) => Some(t.clone()),
                    _ => None,
                }
            }
            _ => None,
        }
    }
    let row = inner(ty)?;
    let element = match &row {
        syn::Type::Array(a) => (*a.elem).clone(),
        r => inner_of(r)?,
    };
    let float =
        matches!(&element, syn::Type::Path(p) if p.path.is_ident("f64") || p.path.is_ident("f32"));
    float.then_some(element)
}

/// Whether every use of `name` in `rest` is a cell `name[i][j]`, `name.len()` or
/// `name[i].len()`, and no binding hides it.
fn only_cells(name: &Ident, rest: &[Stmt]) -> bool {
    struct Check<'n> {
        name: &'n Ident,
        ok: bool,
    }
    impl<'a> Visit<'a> for Check<'_> {
        fn visit_expr(&mut self, e: &'a Expr) {
            let is_name = |e: &Expr| matches!(e, Expr::Path(p) if p.path.is_ident(self.name));
            match e {
                Expr::Index(outer) => {
                    if let Expr::Index(inner) = &*outer.expr
                        && is_name(&inner.expr)
                    {
                        self.visit_expr(&inner.index);
                        self.visit_expr(&outer.index);
                        return;
                    }
                }
                // rows swapped (pivoting)
                Expr::MethodCall(m)
                    if m.method == "swap" && m.args.len() == 2 && is_name(&m.receiver) =>
                {
                    m.args.iter().for_each(|a| self.visit_expr(a));
                    return;
                }
                Expr::MethodCall(m) if m.method == "len" && m.args.is_empty() => {
                    if is_name(&m.receiver) {
                        return;
                    }
                    if let Expr::Index(row) = &*m.receiver
                        && is_name(&row.expr)
                    {
                        self.visit_expr(&row.index);
                        return;
                    }
                }
                // a row read whole: `t.last().unwrap()`, `t.first().unwrap()`, `&t[i]`,
                // `t[i].iter()`
                e if row_of(e, self.name).is_some() => {
                    if let Some(Row::At(i)) = row_of(e, self.name) {
                        self.visit_expr(i);
                    }
                    return;
                }
                e if is_name(e) => {
                    self.ok = false;
                    return;
                }
                _ => {}
            }
            syn::visit::visit_expr(self, e);
        }
        fn visit_pat_ident(&mut self, p: &'a syn::PatIdent) {
            self.ok &= p.ident != *self.name;
        }
        fn visit_macro(&mut self, m: &'a syn::Macro) {
            self.ok &= !crate::syntax::mentions_ident(m.tokens.clone(), self.name);
        }
    }
    let mut check = Check { name, ok: true };
    rest.iter().for_each(|s| check.visit_stmt(s));
    check.ok
}

/// A row of table `name` read whole.
enum Row<'e> {
    First,
    Last,
    /// `&t[i]` or `t[i].iter()`
    At(&'e Expr),
}

/// The row `e` reads whole, if it is one of `t.first().unwrap()`, `t.last().unwrap()`,
/// `&t[i]` (shared) or `t[i].iter()`.
fn row_of<'e>(e: &'e Expr, name: &Ident) -> Option<Row<'e>> {
    let is_name = |e: &Expr| matches!(e, Expr::Path(p) if p.path.is_ident(name));
    match e {
        Expr::MethodCall(u) if u.method == "unwrap" && u.args.is_empty() => match &*u.receiver {
            Expr::MethodCall(m) if m.args.is_empty() && is_name(&m.receiver) => {
                match m.method.to_string().as_str() {
                    "first" => Some(Row::First),
                    "last" => Some(Row::Last),
                    _ => None,
                }
            }
            _ => None,
        },
        Expr::Reference(r) if r.mutability.is_none() => match &*r.expr {
            Expr::Index(ix) if is_name(&ix.expr) && !matches!(*ix.index, Expr::Range(_)) => {
                Some(Row::At(&ix.index))
            }
            _ => None,
        },
        Expr::MethodCall(m) if m.method == "iter" && m.args.is_empty() => match &*m.receiver {
            Expr::Index(ix) if is_name(&ix.expr) && !matches!(*ix.index, Expr::Range(_)) => {
                Some(Row::At(&ix.index))
            }
            _ => None,
        },
        _ => None,
    }
}

/// Rewrites the cells, lengths and row lengths of a flattened table.
struct Cells {
    name: Ident,
    width: Ident,
    rows: proc_macro2::TokenStream,
    rt: proc_macro2::TokenStream,
}

impl VisitMut for Cells {
    fn visit_expr_mut(&mut self, e: &mut Expr) {
        visit_mut::visit_expr_mut(self, e);
        let (name, width, rt) = (&self.name, &self.width, &self.rt);
        let is_name = |e: &Expr| matches!(e, Expr::Path(p) if p.path.is_ident(name));
        let rows = &self.rows;
        // a row read whole: the sub-slice of the flat buffer holding it
        // (the row checked against the table's rows, as indexing the table or `unwrap` would)
        let row = match row_of(e, name) {
            Some(Row::First) => Some(quote::quote!(#rt::end_row(#rows, false))),
            Some(Row::Last) => Some(quote::quote!(#rt::end_row(#rows, true))),
            Some(Row::At(i)) => Some(quote::quote!(#rt::row(#i, #rows))),
            None => None,
        };
        let row = row.map(|r| quote::quote!((#r) * #width..((#r) + 1) * #width));
        if let Some(range) = row {
            *e = match &*e {
                Expr::MethodCall(m) if m.method == "iter" => parse_quote!(#name[#range].iter()),
                _ => parse_quote!(&#name[#range]),
            };
            return;
        }
        let replacement: Option<Expr> = match &*e {
            // rows `i` and `j` swapped: their cells, one by one
            Expr::MethodCall(m)
                if m.method == "swap" && m.args.len() == 2 && is_name(&m.receiver) =>
            {
                let (i, j, c) = (&m.args[0], &m.args[1], format_ident!("__autodiff_c"));
                Some(parse_quote!(for #c in 0..#width {
                    #name.swap((#i) * #width + #c, (#j) * #width + #c);
                }))
            }
            Expr::Index(outer) => match &*outer.expr {
                Expr::Index(inner) if is_name(&inner.expr) => {
                    let (i, j) = (&inner.index, &outer.index);
                    Some(parse_quote!(#name[(#i) * #width + #rt::column(#j, #width)]))
                }
                _ => None,
            },
            Expr::MethodCall(m) if m.method == "len" && m.args.is_empty() => match &*m.receiver {
                r if is_name(r) => {
                    let rows = &self.rows;
                    Some(parse_quote!((#rows)))
                }
                Expr::Index(row) if is_name(&row.expr) => Some(parse_quote!(#width)),
                _ => None,
            },
            _ => None,
        };
        if let Some(r) = replacement {
            *e = r;
        }
    }
}

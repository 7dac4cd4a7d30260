//! Which names hold sequences of floats at a point of the body, as far as syntax shows: the
//! rewrites that make a new buffer of a sequence's elements (`x.to_vec()`, `v.clone()`,
//! `.collect()`, swapping two `Vec`s element by element) apply only to those, so a
//! `Vec<usize>`, a `BTreeSet`, a `Vec` of points or of a generic `T` is left as written.
//!
//! The desugaring walks the body in order and keeps a scope per block: a parameter of type
//! `&[f64]`, `[f32; N]` or `Vec<f64>`, or a `let` whose type says so or whose value does
//! (`vec![0.0; n]`, `[1.0, 2.0]`, `x.to_vec()`, `x.clone()` or `&x[a..b]` of such a name,
//! `collect::<Vec<f64>>()`) binds a sequence of floats; any other binding (another `let`, a
//! `for` pattern, a match arm, an `if let`) hides it for the rest of its scope.

use crate::kind::{Kind, Seq};
use crate::scopes::Scopes;
use syn::{Expr, Pat, Type};

/// What a name holds.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Holds {
    /// A `Vec` of floats.
    FloatVec,
    /// A slice or array of floats.
    FloatSeq,
    /// A sequence of nalgebra vectors or matrices (whose items are borrowed where passed on).
    Points,
    /// An array or `vec![..]` literal of plain values (numbers, elements, arithmetic, names of
    /// numbers: `[y, z]`), which `swap` and `reverse` may move element by element.
    Plain,
    /// A number (`f64`, `usize`, ..): a plain value.
    Scalar,
    Other,
}

/// The names in scope, innermost scope last (the shared [`Scopes`] table).
pub struct FloatNames {
    scopes: Scopes<Holds>,
}

impl FloatNames {
    /// The function's scope: `params` are each parameter's name and type.
    pub fn new(params: &[(String, Type)]) -> FloatNames {
        let mut scopes = Scopes::default();
        scopes.push();
        params.iter().for_each(|(n, t)| scopes.bind(n.clone(), Self::of_type(t)));
        FloatNames { scopes }
    }

    pub fn push(&mut self) {
        self.scopes.push();
    }

    pub fn pop(&mut self) {
        self.scopes.pop();
    }

    pub fn bind(&mut self, name: String, holds: Holds) {
        self.scopes.bind(name, holds);
    }

    /// Binds every name of a pattern to something else than a sequence of floats.
    pub fn bind_other(&mut self, pat: &Pat) {
        for name in crate::syntax::pattern_names(pat) {
            self.bind(name, Holds::Other);
        }
    }

    fn lookup(&self, name: &str) -> Holds {
        self.scopes.lookup(name).copied().unwrap_or(Holds::Other)
    }

    /// Whether `x`, `&x`, `x[a..b]` is a sequence of floats.
    pub fn is_seq(&self, e: &Expr) -> bool {
        Self::root(e).is_some_and(|n| matches!(self.lookup(&n), Holds::FloatVec | Holds::FloatSeq))
    }

    /// Whether `x`, `&x`, `x[a..b]` holds floats, points or array rows, or is a literal of plain
    /// values: elements that can be moved by copying.
    pub fn is_plain(&self, e: &Expr) -> bool {
        Self::root(e).is_some_and(|n| {
            matches!(
                self.lookup(&n),
                Holds::FloatVec | Holds::FloatSeq | Holds::Plain | Holds::Points
            )
        })
    }

    /// Whether `x`, `&x`, `x[a..b]` is a sequence of nalgebra values.
    pub fn is_points(&self, e: &Expr) -> bool {
        Self::root(e).is_some_and(|n| self.lookup(&n) == Holds::Points)
    }

    /// Whether a name is a `Vec` of floats.
    pub fn is_vec(&self, e: &Expr) -> bool {
        matches!(e, Expr::Path(_))
            && Self::root(e).is_some_and(|n| self.lookup(&n) == Holds::FloatVec)
    }

    /// The root name of `x`, `&x`, `x[a..b]`, `(x)`.
    fn root(e: &Expr) -> Option<String> {
        match e {
            Expr::Path(p) => p.path.get_ident().map(|i| i.to_string()),
            Expr::Reference(r) => Self::root(&r.expr),
            Expr::Paren(p) => Self::root(&p.expr),
            Expr::Index(ix) if matches!(&*ix.index, Expr::Range(_)) => Self::root(&ix.expr),
            _ => None,
        }
    }

    /// What a type holds: only sequences whose elements are `f32` or `f64` count.
    fn of_type(t: &Type) -> Holds {
        let element = Kind::element_type(t).map(|e| Kind::of_type(&e));
        let float_elements = element == Some(Kind::Float);
        let rows = element == Some(Kind::Seq(Seq::Array));
        match Kind::of_type(t) {
            Kind::Float | Kind::Int => Holds::Scalar,
            // (array rows are `Copy` like points: swapped element by element, borrowed items)
            Kind::Seq(_) if element == Some(Kind::Algebra) || rows => Holds::Points,
            Kind::Seq(Seq::Vec) if float_elements => Holds::FloatVec,
            Kind::Seq(Seq::Slice | Seq::Array) if float_elements => Holds::FloatSeq,
            _ => Holds::Other,
        }
    }

    /// The sequence an iterator chain starts from: `x` of `x.iter().map(..)`.
    fn chain_root(e: &Expr) -> &Expr {
        match e {
            Expr::MethodCall(m) => Self::chain_root(&m.receiver),
            e => e,
        }
    }

    /// Whether an expression is a plain value, `Copy` as far as syntax shows: a number, a name,
    /// an element or field, arithmetic of them (not a string, a call, a macro or a method).
    fn plain(&self, e: &Expr) -> bool {
        match e {
            Expr::Lit(l) => !matches!(l.lit, syn::Lit::Str(_) | syn::Lit::ByteStr(_)),
            Expr::Path(p) => {
                p.path.get_ident().is_some_and(|i| self.lookup(&i.to_string()) == Holds::Scalar)
            }
            // an element or a field of a sequence (`x[0]`, `p[1].x`, `a[0][1]`)
            Expr::Index(ix) => Self::root(&ix.expr).is_some() || self.plain(&ix.expr),
            Expr::Field(f) => self.plain(&f.base),
            Expr::Binary(b) => self.plain(&b.left) && self.plain(&b.right),
            Expr::Unary(u) => self.plain(&u.expr),
            Expr::Paren(p) => self.plain(&p.expr),
            Expr::Cast(c) => self.plain(&c.expr),
            _ => false,
        }
    }

    /// Whether an expression shows a float: a float literal, an element of a sequence of
    /// floats (`x[0]`), or arithmetic or a method of one (`2.0 * x[1]`, `x[0].sin()`).
    fn floatish(&self, e: &Expr) -> bool {
        match e {
            Expr::Index(ix) => !matches!(&*ix.index, Expr::Range(_)) && self.is_seq(&ix.expr),
            Expr::Binary(b) => self.floatish(&b.left) || self.floatish(&b.right),
            Expr::Unary(u) => self.floatish(&u.expr),
            Expr::Paren(p) => self.floatish(&p.expr),
            Expr::MethodCall(m) => self.floatish(&m.receiver),
            e => Kind::of_const(e) == Kind::Float,
        }
    }

    /// What each name of a `let` binds (before its value is rewritten): the one name of
    /// `let x = ..`, or each name of `let (a, b) = (.., ..)`; any other pattern's names hold
    /// something else.
    pub fn of_let_names(&self, l: &syn::Local) -> Vec<(String, Holds)> {
        let pat = match &l.pat {
            Pat::Type(t) => &*t.pat,
            p => p,
        };
        match (pat, l.init.as_ref().map(|i| &*i.expr)) {
            (Pat::Ident(pi), _) if pi.subpat.is_none() => {
                vec![(pi.ident.to_string(), self.of_let(l))]
            }
            (Pat::Tuple(t), Some(Expr::Tuple(e))) if t.elems.len() == e.elems.len() => t
                .elems
                .iter()
                .zip(&e.elems)
                .flat_map(|(p, e)| match p {
                    Pat::Ident(pi) if pi.subpat.is_none() => {
                        vec![(pi.ident.to_string(), self.of_value(e))]
                    }
                    p => crate::syntax::pattern_names(p)
                        .into_iter()
                        .map(|n| (n, Holds::Other))
                        .collect(),
                })
                .collect(),
            (p, _) => {
                crate::syntax::pattern_names(p).into_iter().map(|n| (n, Holds::Other)).collect()
            }
        }
    }

    /// What a `let` binds (before its value is rewritten).
    pub fn of_let(&self, l: &syn::Local) -> Holds {
        match (&l.pat, &l.init) {
            (Pat::Type(t), _) => Self::of_type(&t.ty),
            (_, Some(init)) => self.of_value(&init.expr),
            (_, None) => Holds::Other,
        }
    }

    fn of_value(&self, e: &Expr) -> Holds {
        let float = |e: &Expr| self.floatish(e);
        let plain = |e: &Expr| self.plain(e);
        match e {
            Expr::Macro(m) if m.mac.path.is_ident("vec") => {
                let tokens = &m.mac.tokens;
                match syn::parse2::<Expr>(quote::quote!([#tokens])) {
                    Ok(Expr::Repeat(r)) if float(&r.expr) => Holds::FloatVec,
                    Ok(Expr::Array(a)) if a.elems.iter().any(float) => Holds::FloatVec,
                    Ok(Expr::Array(a)) if a.elems.iter().all(plain) => Holds::Plain,
                    Ok(Expr::Repeat(r)) if plain(&r.expr) => Holds::Plain,
                    _ => Holds::Other,
                }
            }
            Expr::Repeat(r) if float(&r.expr) => Holds::FloatSeq,
            Expr::Array(a) if a.elems.iter().any(float) => Holds::FloatSeq,
            Expr::Array(a) if a.elems.iter().all(plain) => Holds::Plain,
            Expr::Repeat(r) if plain(&r.expr) => Holds::Plain,
            // `x[0].sin()`, `2.0 * y`: a number
            e if self.floatish(e) => Holds::Scalar,
            Expr::MethodCall(m) if m.args.is_empty() => match m.method.to_string().as_str() {
                "to_vec" if self.is_seq(&m.receiver) => Holds::FloatVec,
                "clone" | "to_owned" if self.is_vec(&m.receiver) => Holds::FloatVec,
                "clone" if self.is_seq(&m.receiver) => Holds::FloatSeq,
                "collect" => match m.turbofish.as_ref().and_then(|t| t.args.first()) {
                    // `x.iter().map(..).collect::<Vec<_>>()` of a sequence of floats
                    Some(syn::GenericArgument::Type(syn::Type::Path(p)))
                        if p.path.segments.last().is_some_and(|s| s.ident == "Vec")
                            && matches!(
                                Kind::element_type(&syn::Type::Path(p.clone())),
                                Some(syn::Type::Infer(_))
                            )
                            && self.is_seq(Self::chain_root(&m.receiver)) =>
                    {
                        Holds::FloatVec
                    }
                    Some(syn::GenericArgument::Type(t)) => Self::of_type(t),
                    _ => Holds::Other,
                },
                _ => Holds::Other,
            },
            e if Kind::of_const(e) == Kind::Int => Holds::Scalar,
            Expr::Reference(r) if matches!(&*r.expr, Expr::Index(ix) if matches!(&*ix.index, Expr::Range(_))) => {
                if self.is_seq(&r.expr) {
                    Holds::FloatSeq
                } else {
                    Holds::Other
                }
            }
            _ => Holds::Other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use syn::parse_quote;

    fn local(s: syn::Stmt) -> syn::Local {
        match s {
            syn::Stmt::Local(l) => l,
            _ => panic!("not a let"),
        }
    }

    #[test]
    fn lets_and_parameters_that_hold_floats() {
        let mut names = FloatNames::new(&[
            ("x".to_string(), parse_quote!(&[f64])),
            ("p".to_string(), parse_quote!(&[nalgebra::Vector3<f64>])),
            ("g".to_string(), parse_quote!(&[T])),
            ("n".to_string(), parse_quote!(usize)),
        ]);
        assert!(names.is_points(&parse_quote!(p[1..])));
        let lets: Vec<(syn::Local, Holds)> = vec![
            (local(parse_quote!(let a = vec![0.0; 3];)), Holds::FloatVec),
            (local(parse_quote!(let b = x.to_vec();)), Holds::FloatVec),
            (local(parse_quote!(let c = a.clone();)), Holds::FloatVec),
            (local(parse_quote!(let d: Vec<usize> = vec![1, 2];)), Holds::Other),
            (local(parse_quote!(let e = d.clone();)), Holds::Other),
            (
                local(parse_quote!(let s: std::collections::BTreeSet<usize> = it.collect();)),
                Holds::Other,
            ),
            (local(parse_quote!(let f = [1.0, 2.0];)), Holds::FloatSeq),
            (local(parse_quote!(let h = &x[1..];)), Holds::FloatSeq),
            (local(parse_quote!(let q = p.to_vec();)), Holds::Other),
            (local(parse_quote!(let r = g.to_vec();)), Holds::Other),
            (
                local(parse_quote!(let t = x.iter().map(|a| a * 2.0).collect::<Vec<f64>>();)),
                Holds::FloatVec,
            ),
            (
                local(parse_quote!(let u = x.iter().map(|a| a * 2.0).collect::<Vec<_>>();)),
                Holds::FloatVec,
            ),
            (local(parse_quote!(let v = [x[0], 2.0 * x[1]];)), Holds::FloatSeq),
            (local(parse_quote!(let w = [n, 2];)), Holds::Plain),
            (local(parse_quote!(let s = vec![String::new(), String::new()];)), Holds::Other),
            (local(parse_quote!(let names = [s0, s1];)), Holds::Other),
        ];
        for (l, expected) in lets {
            let bound = names.of_let_names(&l);
            assert_eq!(bound.len(), 1);
            assert_eq!(bound[0].1, expected, "{}", quote::quote!(#l));
            names.bind(bound[0].0.clone(), bound[0].1);
        }
        // each name of a tuple `let`
        let pair = names.of_let_names(&local(parse_quote!(let (y, z) = (x[0] * 2.0, x[1].sin());)));
        assert_eq!(pair, [("y".to_string(), Holds::Scalar), ("z".to_string(), Holds::Scalar)]);
        // an inner scope's other binding hides a name, until the scope ends
        let a: Expr = parse_quote!(a);
        names.push();
        names.bind_other(&parse_quote!((a, _)));
        assert!(!names.is_vec(&a));
        names.pop();
        assert!(names.is_vec(&a));
    }
}

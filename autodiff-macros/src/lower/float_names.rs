//! Which names hold sequences of floats, as far as syntax shows: the rewrites that make a new
//! buffer of a sequence's elements (`x.to_vec()`, `v.clone()`, `.collect()`, swapping two
//! `Vec`s element by element) apply only to those, so a `Vec<usize>` or a `BTreeSet` is left
//! as written.
//!
//! A name counts when every binding of it is such a sequence: a parameter of a sequence kind,
//! or a `let` whose type says so (`Vec<f64>`, `[f32; 3]`, `&[f64]`) or whose value does
//! (`vec![0.0; n]`, `[1.0, 2.0]`, `x.to_vec()`, `x.clone()` or `&x[a..b]` of such a name,
//! `collect::<Vec<f64>>()`). Bound anywhere else as anything else (a `for` pattern, a match
//! arm, another `let`), it does not count. Closure parameters are not counted against a name:
//! they are visible only inside their closure.

use crate::kind::{Kind, Seq};
use std::collections::HashSet;
use syn::visit::Visit;
use syn::{Expr, Pat};

/// Names bound only to sequences of floats, and those of them bound only to `Vec`s.
#[derive(Default)]
pub struct FloatNames {
    pub seqs: HashSet<String>,
    pub vecs: HashSet<String>,
}

impl FloatNames {
    /// The names of `block` (`params`: each parameter's name and kind).
    pub fn of(block: &syn::Block, params: &[(String, Kind)]) -> FloatNames {
        let mut f = Finder::default();
        for (name, kind) in params {
            f.bind(name, *kind);
        }
        f.visit_block(block);
        let FloatNames { mut seqs, mut vecs } = f.names;
        seqs.retain(|n| !f.others.contains(n));
        vecs.retain(|n| !f.others.contains(n) && seqs.contains(n));
        FloatNames { seqs, vecs }
    }
}

#[derive(Default)]
struct Finder {
    names: FloatNames,
    others: HashSet<String>,
}

impl Finder {
    fn bind(&mut self, name: &str, kind: Kind) {
        match kind {
            Kind::Seq(Seq::Vec) => {
                self.names.seqs.insert(name.to_string());
                self.names.vecs.insert(name.to_string());
            }
            Kind::Seq(Seq::Slice | Seq::Array) => {
                self.names.seqs.insert(name.to_string());
            }
            _ => {
                self.others.insert(name.to_string());
            }
        }
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

    fn float_seq(&self, e: &Expr) -> bool {
        Self::root(e).is_some_and(|n| self.names.seqs.contains(&n))
    }

    fn float_vec(&self, e: &Expr) -> bool {
        matches!(e, Expr::Path(_)) && Self::root(e).is_some_and(|n| self.names.vecs.contains(&n))
    }

    /// The kind a `let`'s value shows.
    fn kind_of_value(&self, e: &Expr) -> Kind {
        let float = |e: &Expr| Kind::of_const(e) == Kind::Float;
        match e {
            Expr::Macro(m) if m.mac.path.is_ident("vec") => {
                let tokens = &m.mac.tokens;
                match syn::parse2::<Expr>(quote::quote!([#tokens])) {
                    Ok(Expr::Repeat(r)) if float(&r.expr) => Kind::Seq(Seq::Vec),
                    Ok(Expr::Array(a)) if a.elems.first().is_some_and(float) => Kind::Seq(Seq::Vec),
                    _ => Kind::Unknown,
                }
            }
            Expr::Repeat(r) if float(&r.expr) => Kind::Seq(Seq::Array),
            Expr::Array(a) if a.elems.first().is_some_and(float) => Kind::Seq(Seq::Array),
            Expr::MethodCall(m) if m.args.is_empty() => match m.method.to_string().as_str() {
                "to_vec" if self.float_seq(&m.receiver) => Kind::Seq(Seq::Vec),
                "clone" | "to_owned" if self.float_vec(&m.receiver) => Kind::Seq(Seq::Vec),
                "clone" if self.float_seq(&m.receiver) => Kind::Seq(Seq::Array),
                "collect" => match m.turbofish.as_ref().and_then(|t| t.args.first()) {
                    Some(syn::GenericArgument::Type(t)) => Kind::of_type(t),
                    _ => Kind::Unknown,
                },
                _ => Kind::Unknown,
            },
            Expr::Reference(r) if matches!(&*r.expr, Expr::Index(ix) if matches!(&*ix.index, Expr::Range(_))) => {
                if self.float_seq(&r.expr) {
                    Kind::Seq(Seq::Slice)
                } else {
                    Kind::Unknown
                }
            }
            _ => Kind::Unknown,
        }
    }
}

impl<'a> Visit<'a> for Finder {
    fn visit_local(&mut self, l: &'a syn::Local) {
        if let Some(init) = &l.init {
            self.visit_local_init(init);
        }
        let (pat, ty) = match &l.pat {
            Pat::Type(t) => (&*t.pat, Some(&*t.ty)),
            p => (p, None),
        };
        match pat {
            Pat::Ident(pi) if pi.subpat.is_none() => {
                let kind = match (ty, &l.init) {
                    (Some(t), _) => Kind::of_type(t),
                    (None, Some(init)) => self.kind_of_value(&init.expr),
                    (None, None) => Kind::Unknown,
                };
                self.bind(&pi.ident.to_string(), kind);
            }
            p => self.visit_pat(p),
        }
    }

    fn visit_pat_ident(&mut self, p: &'a syn::PatIdent) {
        self.others.insert(p.ident.to_string());
        syn::visit::visit_pat_ident(self, p);
    }

    fn visit_expr_closure(&mut self, c: &'a syn::ExprClosure) {
        self.visit_expr(&c.body);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use syn::parse_quote;

    #[test]
    fn only_names_bound_to_float_sequences_count() {
        let block: syn::Block = parse_quote!({
            let a = vec![0.0; 3];
            let b = x.to_vec();
            let c = a.clone();
            let d: Vec<usize> = vec![1, 2];
            let e = d.clone();
            let s: std::collections::BTreeSet<usize> = it.collect();
            let f = [1.0, 2.0];
            let g = f.clone();
            let h = &x[1..];
            let k = vec![0.0; 2];
            for k in 0..3 {}
            let m = x.iter().map(|a| a * 2.0).sum::<f64>();
        });
        let params = [("x".to_string(), Kind::Seq(Seq::Slice)), ("n".to_string(), Kind::Int)];
        let names = FloatNames::of(&block, &params);
        let mut seqs: Vec<&str> = names.seqs.iter().map(String::as_str).collect();
        seqs.sort();
        assert_eq!(seqs, ["a", "b", "c", "f", "g", "h", "x"]);
        let mut vecs: Vec<&str> = names.vecs.iter().map(String::as_str).collect();
        vecs.sort();
        assert_eq!(vecs, ["a", "b", "c"]);
    }
}

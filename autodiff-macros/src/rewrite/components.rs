//! Writes of a component of a local nalgebra vector, as writes by index (which lowering
//! differentiates like an array's):
//!
//! ```text
//! let mut v = Vector3::new(a, b, c);  v.z = h;   =>   .. v[2] = h;
//! ```
//!
//! A name is rewritten only when every `let` (and parameter) that binds it holds a fixed-size
//! nalgebra vector, by its type or its constructor: a struct of the user's with an `x` field is
//! left alone.

use crate::kind::Kind;
use std::collections::{HashMap, HashSet};
use syn::visit::Visit;
use syn::visit_mut::{self, VisitMut};
use syn::{Expr, Pat, parse_quote};

/// Rewrites the component writes of `block`; `params` are the parameters' names and kinds.
pub fn rewrite(block: &mut syn::Block, params: &[(String, Kind, syn::Type)]) {
    let mut lets = Lets(HashMap::new());
    for (name, kind, ty) in params {
        let vector = *kind == Kind::Algebra && !matches!(ty, syn::Type::Reference(_));
        lets.note(name, vector);
    }
    lets.visit_block(block);
    let vectors: HashSet<String> =
        lets.0.into_iter().filter(|(_, all)| *all).map(|(n, _)| n).collect();
    if !vectors.is_empty() {
        Components(vectors).visit_block_mut(block);
    }
}

/// For each name bound by a `let`: whether every binding of it holds an nalgebra vector.
struct Lets(HashMap<String, bool>);

impl Lets {
    fn note(&mut self, name: &str, vector: bool) {
        let all = self.0.entry(name.to_string()).or_insert(true);
        *all &= vector;
    }
}

impl<'a> Visit<'a> for Lets {
    fn visit_local(&mut self, l: &'a syn::Local) {
        let (pat, ty) = match &l.pat {
            Pat::Type(t) => (&*t.pat, Some(&*t.ty)),
            p => (p, None),
        };
        let by_type = ty.is_some_and(|t| Kind::of_type(t) == Kind::Algebra);
        let by_value = l.init.as_ref().is_some_and(|i| constructs_vector(&i.expr));
        match pat {
            Pat::Ident(pi) => self.note(&pi.ident.to_string(), by_type || by_value),
            other => crate::syntax::pattern_names(other).iter().for_each(|n| self.note(n, false)),
        }
        if let Some(init) = &l.init {
            self.visit_expr(&init.expr);
            if let Some((_, diverge)) = &init.diverge {
                self.visit_expr(diverge);
            }
        }
    }

    fn visit_pat(&mut self, p: &'a Pat) {
        // names bound by other patterns (loops, arms, closures) are not vectors
        crate::syntax::pattern_names(p).iter().for_each(|n| self.note(n, false));
    }
}

/// `Vector3::new(..)`, `Vector3::zeros()`, `Vector3::x()`, `SVector::<f64, 3>::from_element(..)`.
fn constructs_vector(e: &Expr) -> bool {
    let Expr::Call(c) = e else { return false };
    let Expr::Path(p) = &*c.func else { return false };
    let segs: Vec<String> = p.path.segments.iter().map(|s| s.ident.to_string()).collect();
    match segs.as_slice() {
        [.., owner, f] => {
            let vector = (owner.starts_with("Vector") || owner.starts_with("SVector"))
                && owner
                    .trim_start_matches(char::is_alphabetic)
                    .chars()
                    .all(|c| c.is_ascii_digit());
            vector
                && matches!(
                    f.as_str(),
                    "new" | "zeros" | "from_element" | "x" | "y" | "z" | "w" | "repeat"
                )
        }
        _ => false,
    }
}

/// `v.x = e`, `v.y += e` of the names in the set -> `v[0] = e`, `v[1] += e`.
struct Components(HashSet<String>);

impl VisitMut for Components {
    fn visit_expr_mut(&mut self, e: &mut Expr) {
        visit_mut::visit_expr_mut(self, e);
        let place = match e {
            Expr::Assign(a) => &mut a.left,
            Expr::Binary(b) if crate::syntax::is_compound(&b.op) => &mut b.left,
            _ => return,
        };
        let Expr::Field(f) = &**place else { return };
        let syn::Member::Named(m) = &f.member else { return };
        let Some(k) = ["x", "y", "z", "w"].iter().position(|c| m == c) else { return };
        let Expr::Path(base) = &*f.base else { return };
        if !base.path.get_ident().is_some_and(|i| self.0.contains(&i.to_string())) {
            return;
        }
        let base = &f.base;
        **place = parse_quote!(#base[#k]);
    }
}

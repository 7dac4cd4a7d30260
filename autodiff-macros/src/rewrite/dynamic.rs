//! Reads of `DVector` and `DMatrix` parameters, which the derivatives read as slices (a
//! matrix column-major, its dimensions bound beside it, see `emit::items`):
//!
//! ```text
//! m[(i, j)]          =>   m[i + j * __autodiff_rows_m]
//! m.nrows()          =>   (__autodiff_rows_m as usize), m.ncols() likewise
//! m.shape()          =>   (__autodiff_rows_m as usize, __autodiff_cols_m as usize)
//! m.as_slice()       =>   &m[..]
//! x.dot(&y)          =>   x.iter().zip(y.iter()).map(|(a, b)| a * b).sum::<E>()
//! x.norm_squared()   =>   x.iter().map(|v| v * v).sum::<E>()
//! x.sum()            =>   x.iter().sum::<E>()
//! ```
//!
//! `x.len()`, `x[k]` and `x.iter()` read a matrix column by column, as a slice does: they stay;
//! `m.as_slice()` is the slice itself. A vector reads as a matrix of one column (`x.nrows()`,
//! `x[(i, 0)]`). A parameter whose name a `let`, a `for` loop or a `match` arm binds again is
//! left alone (the name may not be the matrix).

use crate::syntax::{dynamic_dimensions, dynamic_element};
use proc_macro2::Ident;
use syn::visit_mut::{self, VisitMut};
use syn::{Expr, parse_quote};

/// Rewrites the reads of `block`'s `DVector` and `DMatrix` parameters; `params` are the
/// parameters' names, kinds and types.
pub fn rewrite(block: &mut syn::Block, params: &[(String, crate::kind::Kind, syn::Type)]) {
    let bound = bound_again(block);
    let dynamic: Vec<Dynamic> = params
        .iter()
        .filter(|(n, _, _)| !bound.contains(n))
        .filter_map(|(n, _, t)| {
            Some(Dynamic {
                name: Ident::new(n, proc_macro2::Span::call_site()),
                element: dynamic_element(t)?,
            })
        })
        .collect();
    if !dynamic.is_empty() {
        Reads(dynamic).visit_block_mut(block);
    }
}

/// The names a `let`, a `for` loop or a `match` arm binds again (a closure's parameter of the
/// same name shadows only inside the closure, where the matrix's reads are not written).
fn bound_again(block: &syn::Block) -> std::collections::HashSet<String> {
    struct Lets(std::collections::HashSet<String>);
    impl<'a> syn::visit::Visit<'a> for Lets {
        fn visit_local(&mut self, l: &'a syn::Local) {
            self.0.extend(crate::syntax::pattern_names(&l.pat));
            syn::visit::visit_local(self, l);
        }
        fn visit_expr_for_loop(&mut self, f: &'a syn::ExprForLoop) {
            self.0.extend(crate::syntax::pattern_names(&f.pat));
            syn::visit::visit_expr_for_loop(self, f);
        }
        fn visit_arm(&mut self, a: &'a syn::Arm) {
            self.0.extend(crate::syntax::pattern_names(&a.pat));
            syn::visit::visit_arm(self, a);
        }
    }
    let mut lets = Lets(std::collections::HashSet::new());
    syn::visit::Visit::visit_block(&mut lets, block);
    lets.0
}

/// A `DVector` or `DMatrix` parameter (a vector reads as a matrix of one column).
struct Dynamic {
    name: Ident,
    /// Its element type.
    element: syn::Type,
}

struct Reads(Vec<Dynamic>);

impl Reads {
    /// The parameter `e` names, if it is one of them.
    fn parameter(&self, e: &Expr) -> Option<&Dynamic> {
        let Expr::Path(p) = e else { return None };
        let id = p.path.get_ident()?;
        self.0.iter().find(|d| d.name == *id)
    }

    /// The matrix (or vector) `e` names, if it is one of the parameters.
    fn matrix(&self, e: &Expr) -> Option<&Ident> {
        self.parameter(e).map(|d| &d.name)
    }

    /// `x.dot(&y)`, `x.norm_squared()`, `x.sum()` of a parameter, as iterator forms.
    fn reduction(&self, mc: &syn::ExprMethodCall) -> Option<Expr> {
        let d = self.parameter(&mc.receiver)?;
        let (x, e) = (&d.name, &d.element);
        match (mc.method.to_string().as_str(), mc.args.len()) {
            ("dot", 1) => {
                let y = match &mc.args[0] {
                    Expr::Reference(r) if r.mutability.is_none() => &*r.expr,
                    y => y,
                };
                Some(parse_quote!(#x.iter().zip((#y).iter()).map(|(a, b)| a * b).sum::<#e>()))
            }
            ("norm_squared", 0) => Some(parse_quote!(#x.iter().map(|v| v * v).sum::<#e>())),
            ("sum", 0) => Some(parse_quote!(#x.iter().sum::<#e>())),
            _ => None,
        }
    }
}

impl VisitMut for Reads {
    fn visit_expr_mut(&mut self, e: &mut Expr) {
        visit_mut::visit_expr_mut(self, e);
        let replacement: Option<Expr> = match &*e {
            Expr::Index(ix) => match (self.matrix(&ix.expr), &*ix.index) {
                (Some(m), Expr::Tuple(t)) if t.elems.len() == 2 => {
                    let (rows, _) = dynamic_dimensions(m);
                    let (i, j) = (&t.elems[0], &t.elems[1]);
                    Some(parse_quote!(#m[(#i) + (#j) * #rows]))
                }
                _ => None,
            },
            Expr::MethodCall(mc) => match (self.matrix(&mc.receiver), mc.args.is_empty()) {
                (Some(m), true) => {
                    let (rows, cols) = dynamic_dimensions(m);
                    match mc.method.to_string().as_str() {
                        // (`as usize`: lowering sees integers, not names it does not know)
                        "nrows" => Some(parse_quote!((#rows as usize))),
                        "ncols" => Some(parse_quote!((#cols as usize))),
                        "shape" => Some(parse_quote!((#rows as usize, #cols as usize))),
                        // (passed on as the whole of the slice, column-major)
                        "as_slice" => Some(parse_quote!(&#m[..])),
                        _ => self.reduction(mc),
                    }
                }
                _ => self.reduction(mc),
            },
            _ => None,
        };
        if let Some(r) = replacement {
            *e = r;
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::kind::Kind;
    use quote::ToTokens;

    #[test]
    fn entries_and_dimensions_of_a_matrix_parameter() {
        let mut body: syn::Block = syn::parse_quote!({
            let mut s = 0.0;
            for j in 0..a.ncols() {
                for i in 0..a.nrows() {
                    s += a[(i, j)] * x[j];
                }
            }
            s + a[0] + x.dot(&x) + a.norm_squared()
        });
        let params = [
            ("a".to_string(), Kind::Unknown, syn::parse_quote!(DMatrix<f64>)),
            ("x".to_string(), Kind::Unknown, syn::parse_quote!(DVector<f64>)),
        ];
        super::rewrite(&mut body, &params);
        let text = body.to_token_stream().to_string();
        assert!(text.contains("0 .. (__autodiff_cols_a as usize)"), "{text}");
        assert!(text.contains("0 .. (__autodiff_rows_a as usize)"), "{text}");
        assert!(text.contains("a [(i) + (j) * __autodiff_rows_a]"), "{text}");
        assert!(text.contains("a [0]"), "{text}");
        assert!(text.contains("x . iter () . zip ((x) . iter ())"), "{text}");
        assert!(text.contains("a . iter () . map (| v | v * v) . sum :: < f64 > ()"), "{text}");
    }

    #[test]
    fn a_vector_reads_as_one_column() {
        let mut body: syn::Block = syn::parse_quote!({
            x[(1, 0)] * x.nrows() as f64 + m.iter().map(|m| m * m).sum::<f64>()
        });
        let params = [
            ("x".to_string(), Kind::Unknown, syn::parse_quote!(&DVector<f64>)),
            ("m".to_string(), Kind::Unknown, syn::parse_quote!(DMatrix<f64>)),
        ];
        super::rewrite(&mut body, &params);
        let text = body.to_token_stream().to_string();
        assert!(text.contains("x [(1) + (0) * __autodiff_rows_x]"), "{text}");
        assert!(text.contains("(__autodiff_rows_x as usize) as f64"), "{text}");
    }

    #[test]
    fn a_name_bound_again_is_left_alone() {
        let mut body: syn::Block = syn::parse_quote!({
            let a = a.transpose();
            a[(0, 1)]
        });
        let params = [("a".to_string(), Kind::Unknown, syn::parse_quote!(DMatrix<f64>))];
        super::rewrite(&mut body, &params);
        assert!(body.to_token_stream().to_string().contains("a [(0 , 1)]"));
    }
}

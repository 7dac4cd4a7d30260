//! What the macro can tell about a value's type from syntax alone.
//!
//! The macro runs before type checking, so it knows types only where the source spells them:
//! parameter and `let` annotations, literals, casts, and the results of known operations. That
//! is enough to decide which parameters are active and which call arguments carry a tangent.

use syn::{Expr, Lit, Type};

/// The class of a value, as far as syntax shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `f32` or `f64`.
    Float,
    /// An integer.
    Int,
    /// A `bool`.
    Bool,
    /// Anything else, or not known.
    Unknown,
    /// A sequence of floats, indexed by integers.
    Seq(Seq),
    /// A nalgebra fixed-size vector or matrix of floats (`Vector3<f64>`, `SMatrix<f32, 2, 3>`).
    Algebra,
    /// The runtime's `Tensor` (or a reference to one).
    Tensor,
    /// A tuple of values (`(a, b)`, a call of a function returning one): its elements are read
    /// as `t.0`, its tangent and adjoint are tuples.
    Tuple,
    /// A struct named in `wrt` (`model: &Mlp`), `#[derive(Differentiable)]`: its fields are
    /// read with `model.field`, and its tangent and adjoint are values of the same struct.
    Model,
}

/// How a sequence of floats is held; it decides its tangent and adjoint types (DESIGN.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Seq {
    /// `&[f]`: tangent `&[f]`, adjoint `&mut [f]`, gradient `Vec<f>`.
    Slice,
    /// `[f; N]`: tangent `[f; N]`, adjoint `&mut [f; N]`, gradient `[f; N]`.
    Array,
    /// `Vec<f>` (or `&Vec<f>`): tangent `&[f]`, adjoint `&mut [f]`, gradient `Vec<f>`.
    Vec,
    /// A `Vec<Tensor>` result (`Tensor::meshgrid`): its elements are tensors, its tangent and
    /// adjoint `Vec<Tensor>`s.
    Tensors,
}

impl Kind {
    /// The kind of the result of arithmetic on values of kinds `self` and `other`.
    pub fn join(self, other: Kind) -> Kind {
        match (self, other) {
            (Kind::Tensor, _) | (_, Kind::Tensor) => Kind::Tensor,
            (Kind::Algebra, _) | (_, Kind::Algebra) => Kind::Algebra,
            (Kind::Float, _) | (_, Kind::Float) => Kind::Float,
            (a, b) if a == b => a,
            _ => Kind::Unknown,
        }
    }

    /// The kind a type names.
    pub fn of_type(ty: &Type) -> Kind {
        Kind::of_type_with(ty, &[])
    }

    /// The kind a type names, where the type parameters `floats` are floats (`T: Real`).
    pub fn of_type_with(ty: &Type, floats: &[proc_macro2::Ident]) -> Kind {
        let float = |t: &Type| match t {
            Type::Path(p) if p.qself.is_none() => {
                p.path.get_ident().is_some_and(|i| i == "f32" || i == "f64" || floats.contains(i))
            }
            _ => false,
        };
        let vec_of_float = |t: &Type| match t {
            Type::Path(p) if p.qself.is_none() && p.path.segments.len() == 1 => {
                let seg = &p.path.segments[0];
                match &seg.arguments {
                    syn::PathArguments::AngleBracketed(a)
                        if seg.ident == "Vec" && a.args.len() == 1 =>
                    {
                        matches!(&a.args[0], syn::GenericArgument::Type(e) if float(e))
                    }
                    _ => false,
                }
            }
            _ => false,
        };
        if float(ty) {
            return Kind::Float;
        }
        let tensor = |t: &Type| matches!(t, Type::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == "Tensor"));
        match ty {
            t if tensor(t) => return Kind::Tensor,
            Type::Reference(r) if r.mutability.is_none() && tensor(&r.elem) => return Kind::Tensor,
            _ => {}
        }
        if let Type::Path(p) = ty
            && let Some(last) = p.path.segments.last()
        {
            let name = last.ident.to_string();
            let algebra_name = ["Vector", "Matrix", "RowVector", "SVector", "SMatrix"]
                .iter()
                .any(|prefix| name.starts_with(prefix))
                && name
                    .trim_start_matches(|c: char| c.is_alphabetic())
                    .chars()
                    .all(|c| c.is_ascii_digit() || c == 'x');
            let float_elem = match &last.arguments {
                syn::PathArguments::AngleBracketed(a) => {
                    matches!(a.args.first(), Some(syn::GenericArgument::Type(t)) if float(t))
                }
                _ => false,
            };
            if algebra_name && float_elem {
                return Kind::Algebra;
            }
        }
        // Elements of a sequence: floats, nalgebra vectors and matrices of floats (points), or
        // arrays of floats (rows). (`Vec` rows are sequences only as parameters: `vec_rows`.)
        let element = |t: &Type| {
            float(t)
                || match Kind::of_type_with(t, floats) {
                    Kind::Algebra => true,
                    Kind::Seq(Seq::Array) => Kind::element_type(t).is_some_and(|e| float(&e)),
                    _ => false,
                }
        };
        let vec_of_float = |t: &Type| {
            vec_of_float(t)
                || matches!(Kind::element_type(t), Some(e) if matches!(t, Type::Path(_)) && element(&e))
        };
        match ty {
            Type::Tuple(t) if !t.elems.is_empty() => Kind::Tuple,
            Type::Paren(p) => Kind::of_type_with(&p.elem, floats),
            Type::Group(g) => Kind::of_type_with(&g.elem, floats),
            Type::Array(a) if element(&a.elem) => Kind::Seq(Seq::Array),
            Type::Reference(r) if r.mutability.is_none() => match &*r.elem {
                Type::Slice(s) if element(&s.elem) => Kind::Seq(Seq::Slice),
                t if vec_of_float(t) => Kind::Seq(Seq::Vec),
                _ => Kind::Unknown,
            },
            t if vec_of_float(t) => Kind::Seq(Seq::Vec),
            Type::Path(p) if p.qself.is_none() => match p.path.get_ident() {
                Some(id) => match id.to_string().as_str() {
                    "f32" | "f64" => Kind::Float,
                    "bool" => Kind::Bool,
                    "i8" | "i16" | "i32" | "i64" | "i128" | "isize" | "u8" | "u16" | "u32"
                    | "u64" | "u128" | "usize" => Kind::Int,
                    _ => Kind::Unknown,
                },
                None => Kind::Unknown,
            },
            _ => Kind::Unknown,
        }
    }

    /// The kind of a parameter of type `&[Vec<f>]`, `Vec<Vec<f>>` or `&Vec<Vec<f>>` (rows read
    /// by element, `a[i][j]`): a sequence; `Unknown` for any other type. Locals of these types
    /// stay plain values (`rows.swap(0, 1)` of constant rows keeps working).
    pub fn vec_rows(ty: &Type, floats: &[proc_macro2::Ident]) -> Kind {
        let row = Kind::element_type(ty);
        let rows_of_floats = row.as_ref().is_some_and(|r| {
            matches!(r, Type::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == "Vec"))
                && Kind::element_type(r)
                    .is_some_and(|e| Kind::of_type_with(&e, floats) == Kind::Float)
        });
        if !rows_of_floats {
            return Kind::Unknown;
        }
        // `&[Vec<f>]`, `Vec<Vec<f>>` (and `&Vec<Vec<f>>`); an array of rows is not one of them.
        let vec = |t: &Type| matches!(t, Type::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == "Vec"));
        match ty {
            Type::Reference(r) => match &*r.elem {
                Type::Slice(_) => Kind::Seq(Seq::Slice),
                t if vec(t) => Kind::Seq(Seq::Vec),
                _ => Kind::Unknown,
            },
            t if vec(t) => Kind::Seq(Seq::Vec),
            _ => Kind::Unknown,
        }
    }

    /// `E` of `Vec<E>`, `&[E]`, `[E; N]` (and references to them).
    pub fn element_type(ty: &Type) -> Option<Type> {
        match ty {
            Type::Reference(r) => Kind::element_type(&r.elem),
            Type::Paren(p) => Kind::element_type(&p.elem),
            Type::Slice(s) => Some((*s.elem).clone()),
            Type::Array(a) => Some((*a.elem).clone()),
            Type::Path(p) if p.qself.is_none() => {
                let seg = p.path.segments.last()?;
                match &seg.arguments {
                    syn::PathArguments::AngleBracketed(a)
                        if seg.ident == "Vec" && a.args.len() == 1 =>
                    {
                        match a.args.first()? {
                            syn::GenericArgument::Type(t) => Some(t.clone()),
                            _ => None,
                        }
                    }
                    _ => None,
                }
            }
            _ => None,
        }
    }

    /// The kind of a constant written in the source: a literal, `-literal`, or a path such as
    /// `std::f64::consts::PI`.
    pub fn of_const(expr: &Expr) -> Kind {
        match expr {
            Expr::Lit(l) => match &l.lit {
                Lit::Float(_) => Kind::Float,
                Lit::Int(i) if matches!(i.suffix(), "f32" | "f64") => Kind::Float,
                Lit::Int(_) => Kind::Int,
                Lit::Bool(_) => Kind::Bool,
                _ => Kind::Unknown,
            },
            Expr::Unary(u) => Kind::of_const(&u.expr),
            Expr::Paren(p) => Kind::of_const(&p.expr),
            Expr::Group(g) => Kind::of_const(&g.expr),
            Expr::Cast(c) => Kind::of_type(&c.ty),
            Expr::Path(p) => {
                let segs: Vec<String> =
                    p.path.segments.iter().map(|s| s.ident.to_string()).collect();
                let float_module = segs.iter().any(|s| s == "f64" || s == "f32");
                let float_const = segs.iter().any(|s| s == "consts")
                    || matches!(
                        segs.last().map(String::as_str),
                        Some(
                            "EPSILON"
                                | "MAX"
                                | "MIN"
                                | "MIN_POSITIVE"
                                | "INFINITY"
                                | "NEG_INFINITY"
                                | "NAN"
                        )
                    );
                if float_module && float_const { Kind::Float } else { Kind::Unknown }
            }
            _ => Kind::Unknown,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use syn::parse_quote;

    #[test]
    fn kinds_from_syntax() {
        assert_eq!(Kind::of_type(&parse_quote!(f64)), Kind::Float);
        assert_eq!(Kind::of_type(&parse_quote!(usize)), Kind::Int);
        assert_eq!(Kind::of_type(&parse_quote!(Vec<f64>)), Kind::Seq(Seq::Vec));
        assert_eq!(Kind::of_type(&parse_quote!(&[f32])), Kind::Seq(Seq::Slice));
        assert_eq!(Kind::of_type(&parse_quote!([f64; 3])), Kind::Seq(Seq::Array));
        assert_eq!(Kind::of_type(&parse_quote!(&mut [f64])), Kind::Unknown);
        assert_eq!(Kind::of_type(&parse_quote!(Vec<usize>)), Kind::Unknown);
        assert_eq!(Kind::of_type(&parse_quote!(Vector3<f64>)), Kind::Algebra);
        assert_eq!(Kind::of_type(&parse_quote!(nalgebra::Matrix2x3<f32>)), Kind::Algebra);
        assert_eq!(Kind::of_type(&parse_quote!(SMatrix<f64, 2, 3>)), Kind::Algebra);
        assert_eq!(Kind::of_type(&parse_quote!(Vector3<i32>)), Kind::Unknown);
        // sequences of points
        assert_eq!(Kind::of_type(&parse_quote!(&[Vector3<f64>])), Kind::Seq(Seq::Slice));
        assert_eq!(Kind::of_type(&parse_quote!(Vec<Vector2<f32>>)), Kind::Seq(Seq::Vec));
        assert_eq!(Kind::of_type(&parse_quote!([Matrix2<f64>; 3])), Kind::Seq(Seq::Array));
        // and of rows
        assert_eq!(Kind::of_type(&parse_quote!(&[[f64; 3]])), Kind::Seq(Seq::Slice));
        assert_eq!(Kind::of_type(&parse_quote!(Vec<[f32; 2]>)), Kind::Seq(Seq::Vec));
        assert_eq!(Kind::of_type(&parse_quote!([[f64; 2]; 2])), Kind::Seq(Seq::Array));
        assert_eq!(Kind::of_type(&parse_quote!(Vec<Vec<f64>>)), Kind::Unknown);
        assert_eq!(Kind::vec_rows(&parse_quote!(Vec<Vec<f64>>), &[]), Kind::Seq(Seq::Vec));
        assert_eq!(Kind::vec_rows(&parse_quote!(&[Vec<f32>]), &[]), Kind::Seq(Seq::Slice));
        assert_eq!(Kind::vec_rows(&parse_quote!(&[Vec<usize>]), &[]), Kind::Unknown);
        assert_eq!(Kind::of_type(&parse_quote!(Vec<Vec<Vec<f64>>>)), Kind::Unknown);
        assert_eq!(Kind::of_type(&parse_quote!(&[[[f64; 2]; 2]])), Kind::Unknown);
        assert_eq!(Kind::of_type(&parse_quote!(&[[usize; 2]])), Kind::Unknown);
        assert_eq!(Kind::Algebra.join(Kind::Float), Kind::Algebra);
        assert_eq!(Kind::of_type(&parse_quote!(&Tensor)), Kind::Tensor);
        assert_eq!(Kind::of_type(&parse_quote!(autodiff::Tensor)), Kind::Tensor);
        assert_eq!(Kind::Float.join(Kind::Tensor), Kind::Tensor);
        assert_eq!(Kind::of_const(&parse_quote!(2.0)), Kind::Float);
        assert_eq!(Kind::of_const(&parse_quote!(-3)), Kind::Int);
        assert_eq!(Kind::of_const(&parse_quote!(1f32)), Kind::Float);
        assert_eq!(Kind::of_const(&parse_quote!(std::f64::consts::PI)), Kind::Float);
        assert_eq!(Kind::of_const(&parse_quote!(K)), Kind::Unknown);
        assert_eq!(Kind::Int.join(Kind::Float), Kind::Float);
        assert_eq!(Kind::Int.join(Kind::Unknown), Kind::Unknown);
    }
}

//! nalgebra's constructors as syntax shows them.

/// The names nalgebra's types start with (`Vector3`, `Matrix2x3`, `UnitQuaternion`, ..).
pub const ALGEBRA_TYPES: &[&str] = &[
    "Vector",
    "RowVector",
    "Matrix",
    "SVector",
    "SMatrix",
    "DVector",
    "DMatrix",
    "Point",
    "Unit",
    "Quaternion",
    "Rotation",
    "Isometry",
    "Translation",
    "Similarity",
    "Transform",
];

/// Whether a type's name is one of nalgebra's (see [`ALGEBRA_TYPES`]).
pub fn names_algebra_type(name: &str) -> bool {
    ALGEBRA_TYPES.iter().any(|t| name.starts_with(t))
}

/// The element type `E` of `DVector<E>` or `DMatrix<E>` (nalgebra's dynamic vector and
/// matrix), if `ty` is one (or a shared reference to one): such a parameter is read as a
/// slice (column-major).
pub fn dynamic_element(ty: &syn::Type) -> Option<syn::Type> {
    let last = dynamic_last_segment(ty)?;
    match &last.arguments {
        syn::PathArguments::AngleBracketed(a) if a.args.len() == 1 => match &a.args[0] {
            syn::GenericArgument::Type(e) => Some(e.clone()),
            _ => None,
        },
        _ => None,
    }
}

/// The last segment of `DVector<..>` or `DMatrix<..>`, also behind a shared reference.
fn dynamic_last_segment(ty: &syn::Type) -> Option<&syn::PathSegment> {
    let ty = match ty {
        syn::Type::Reference(r) if r.mutability.is_none() => &*r.elem,
        t => t,
    };
    let syn::Type::Path(p) = ty else { return None };
    p.path.segments.last().filter(|s| s.ident == "DVector" || s.ident == "DMatrix")
}

/// The names under which a body reads the row and column counts of its `DMatrix` parameter
/// `m` (`m.nrows()`, `m.ncols()`), bound before `m` is read as a slice.
pub fn dynamic_dimensions(m: &proc_macro2::Ident) -> (proc_macro2::Ident, proc_macro2::Ident) {
    let span = proc_macro2::Span::call_site();
    (
        quote::format_ident!("__autodiff_rows_{}", m, span = span),
        quote::format_ident!("__autodiff_cols_{}", m, span = span),
    )
}

/// The shape `(rows, columns)` of the fixed-size nalgebra type whose `new` a path calls
/// (`Vector3::new`, `Matrix2::new`, `Matrix2x3::new`, `RowVector4::new`), whose arguments are
/// its entries row by row. `None` for any other path.
pub fn algebra_new_shape(path: &syn::Path) -> Option<(usize, usize)> {
    let segs: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
    let [.., owner, new] = segs.as_slice() else { return None };
    if new != "new" {
        return None;
    }
    let dims = |s: &str| -> Option<Vec<usize>> { s.split('x').map(|d| d.parse().ok()).collect() };
    let (kind, digits) = owner.split_at(owner.find(|c: char| c.is_ascii_digit())?);
    match (kind, dims(digits)?.as_slice()) {
        ("Vector" | "SVector" | "Point", [n]) => Some((*n, 1)),
        ("RowVector", [n]) => Some((1, *n)),
        ("Matrix", [n]) => Some((*n, *n)),
        ("Matrix", [r, c]) => Some((*r, *c)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::algebra_new_shape;
    use syn::parse_quote;

    #[test]
    fn shapes_of_constructors() {
        assert_eq!(algebra_new_shape(&parse_quote!(Vector3::new)), Some((3, 1)));
        assert_eq!(algebra_new_shape(&parse_quote!(nalgebra::Matrix2::new)), Some((2, 2)));
        assert_eq!(algebra_new_shape(&parse_quote!(Matrix2x3::new)), Some((2, 3)));
        assert_eq!(algebra_new_shape(&parse_quote!(RowVector4::new)), Some((1, 4)));
        assert_eq!(algebra_new_shape(&parse_quote!(Matrix3::identity)), None);
        assert_eq!(algebra_new_shape(&parse_quote!(Vec::new)), None);
    }
}

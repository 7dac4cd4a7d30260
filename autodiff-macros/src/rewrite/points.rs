//! nalgebra's points as the vectors of their coordinates, which lowering differentiates (a
//! point is its coordinates; what tells it from a vector, how a translation moves it, the
//! body's operations on it do not use):
//!
//! ```text
//! Point3::new(a, b, c)        =>  __private::Vector3::new(a, b, c)
//! Point3::origin()            =>  __private::Vector3::zeros()
//! Point3::from([a, b, c])     =>  __private::Vector3::new(a, b, c)
//! Point3::from(v)             =>  (v)             (v a vector as syntax shows: a vector
//!                                                  parameter, an expression naming `VectorN`)
//! p.coords                    =>  p
//! pts[i] (`pts: &[Point3<f64>]` a parameter)  =>  __private::Vector3::new((pts[i])[0], ..)
//! p of `for p in pts.iter()` (through enumerate, zip, skip, take, rev, step_by)  =>  likewise
//! nalgebra::distance(&p, &q)  =>  (p - q).norm()     (distance_squared: norm_squared)
//! let p: Point3<f64> = ..     =>  let p: __private::Vector3<f64> = ..
//! p (a parameter `&Point3`)   =>  __private::Vector3::new((p)[0], (p)[1], (p)[2])
//! ```
//!
//! Points may be added to and subtracted from, multiplied by rotations, matrices and floats,
//! negated, compared, indexed and read by `x`, `y`, `z`, `coords`: on those, a point and the
//! vector of its coordinates agree. Anything else — a point passed to a function, returned,
//! put in an array, a method other than `clone`, a product with an isometry, a similarity, a
//! translation or a transform (which move points and vectors differently) — leaves the body as
//! written, where lowering refuses an active point.

use proc_macro2::TokenStream;
use std::collections::HashSet;
use syn::visit::Visit;
use syn::visit_mut::{self, VisitMut};
use syn::{Expr, Pat, parse_quote};

/// Rewrites the points of `block` when every use is one of the above. `params`: the
/// parameters' names, kinds and types; `ret`: the result type; `rt`: the runtime's
/// `__private` path.
pub fn rewrite(
    block: &mut syn::Block,
    params: &[(String, crate::kind::Kind, syn::Type)],
    ret: Option<&syn::Type>,
    rt: &TokenStream,
) {
    if ret.is_some_and(mentions_point_type) {
        return;
    }
    let known = known_names(block, params);
    if known.points.iter().any(|n| known.others.contains(n)) {
        return;
    }
    let transforms: HashSet<String> = params
        .iter()
        .filter(|(_, _, t)| mentions(&quote::quote!(#t), TRANSFORMS))
        .map(|(n, _, _)| n.clone())
        .chain(transform_names(block))
        .collect();
    let mut vectors: HashSet<String> =
        params.iter().filter(|(_, _, t)| vector_type(t)).map(|(n, _, _)| n.clone()).collect();
    vectors.extend(vector_names(block));
    let factors = safe_factors(block, params);
    let mut check = Check {
        known: &known,
        transforms: &transforms,
        vectors: &vectors,
        factors: &factors,
        ok: true,
        any: false,
    };
    check.visit_block(block);
    if check.ok && check.any {
        Rewrite { known: &known, rt }.visit_block_mut(block);
    }
}

/// The points a body knows: the names bound to points and those of their coordinates.
struct Known {
    /// Names holding points: `let`s of points, point parameters, items of loops over
    /// sequences of points.
    points: HashSet<String>,
    /// Of those, the ones whose coordinates the rewrite reads as `(p.coords)` (parameters and
    /// loop items: their bindings stay as written).
    coords: HashSet<String>,
    /// Parameters holding sequences of points (`&[Point3<f64>]`): `pts[i]` is a point.
    seqs: HashSet<String>,
    /// Names some `let` binds to something else.
    others: HashSet<String>,
    /// Parameters of float arrays with their lengths (`Point3::from(a)` of `a: [f64; 3]`).
    arrays: std::collections::HashMap<String, usize>,
    /// The dimension of the points of [`Known::coords`] and [`Known::seqs`].
    dims: std::collections::HashMap<String, usize>,
}

/// The points of `block` and `params` (see [`Known`]).
fn known_names(block: &syn::Block, params: &[(String, crate::kind::Kind, syn::Type)]) -> Known {
    let named = |f: fn(&syn::Type) -> bool| -> HashSet<String> {
        params.iter().filter(|(_, _, t)| f(t)).map(|(n, _, _)| n.clone()).collect()
    };
    let point_params = named(|t| point_type(t).is_some());
    let mut known = Known {
        points: point_params.clone(),
        coords: point_params,
        seqs: named(|t| point_sequence(t).is_some()),
        others: HashSet::new(),
        arrays: params.iter().filter_map(|(n, _, t)| Some((n.clone(), array_length(t)?))).collect(),
        dims: params
            .iter()
            .filter_map(|(n, _, t)| Some((n.clone(), point_type(t).or(point_sequence(t))?)))
            .collect(),
    };
    loop {
        let before = known.points.len();
        Names(&mut known).visit_block(block);
        if known.points.len() == before {
            return known;
        }
    }
}

/// The names a body binds to points (`let p = Point3::new(..)`) and its parameters of point
/// types or sequences of them: where the rewrite above does not apply, they are points still.
pub fn point_names(
    block: &syn::Block,
    params: &[(String, crate::kind::Kind, syn::Type)],
) -> HashSet<String> {
    let known = known_names(block, params);
    known.points.union(&known.seqs).cloned().collect()
}

/// nalgebra's types that move points otherwise than vectors (a translation part).
const TRANSFORMS: &[&str] = &[
    "Isometry",
    "Similarity",
    "Translation",
    "Transform",
    "Affine",
    "Projective",
    "Perspective",
    "Orthographic",
];

/// Whether tokens name an identifier starting with one of `prefixes`.
fn mentions(tokens: &TokenStream, prefixes: &[&str]) -> bool {
    tokens.clone().into_iter().any(|t| match t {
        proc_macro2::TokenTree::Ident(i) => {
            let s = i.to_string();
            prefixes.iter().any(|p| s.starts_with(p))
        }
        proc_macro2::TokenTree::Group(g) => mentions(&g.stream(), prefixes),
        _ => false,
    })
}

/// The dimension of `PointN<..>` (`&PointN<..>` too).
fn point_type(ty: &syn::Type) -> Option<usize> {
    match ty {
        syn::Type::Reference(r) => point_type(&r.elem),
        syn::Type::Path(p) => p.path.segments.last().and_then(|s| point_dimension(&s.ident)),
        _ => None,
    }
}

/// The dimension of the points of `&[PointN<..>]`, `Vec<PointN<..>>`, `[PointN<..>; K]` (and
/// references to them).
fn point_sequence(ty: &syn::Type) -> Option<usize> {
    match ty {
        syn::Type::Reference(r) => point_sequence(&r.elem),
        syn::Type::Slice(s) => point_type(&s.elem),
        syn::Type::Array(a) => point_type(&a.elem),
        syn::Type::Path(p) => {
            let last = p.path.segments.last().filter(|s| s.ident == "Vec")?;
            let syn::PathArguments::AngleBracketed(a) = &last.arguments else { return None };
            match a.args.first() {
                Some(syn::GenericArgument::Type(t)) => point_type(t),
                _ => None,
            }
        }
        _ => None,
    }
}

/// The length of `[f64; N]` (or `&[f32; N]`), a literal `N`.
fn array_length(ty: &syn::Type) -> Option<usize> {
    match ty {
        syn::Type::Reference(r) => array_length(&r.elem),
        syn::Type::Array(a) => match &a.len {
            Expr::Lit(syn::ExprLit { lit: syn::Lit::Int(n), .. }) => n.base10_parse().ok(),
            _ => None,
        },
        _ => None,
    }
}

/// Whether a type is one of nalgebra's vectors (`Vector3<..>`, `SVector<..>`, a reference).
fn vector_type(ty: &syn::Type) -> bool {
    match ty {
        syn::Type::Reference(r) => vector_type(&r.elem),
        syn::Type::Path(p) => p.path.segments.last().is_some_and(|s| {
            let name = s.ident.to_string();
            name == "SVector"
                || name.strip_prefix("Vector").is_some_and(|n| n.parse::<usize>().is_ok())
        }),
        _ => false,
    }
}

fn mentions_point_type(ty: &syn::Type) -> bool {
    mentions(&quote::quote!(#ty), &["Point", "OPoint"])
}

/// `N` of `PointN`, for `N` in 1..=6.
fn point_dimension(ident: &proc_macro2::Ident) -> Option<usize> {
    let s = ident.to_string();
    let n: usize = s.strip_prefix("Point")?.parse().ok()?;
    (1..=6).contains(&n).then_some(n)
}

/// A call of a function of a point type.
enum Constructor {
    /// One the rewrite knows: the dimension and the entries of the vector it becomes (`None`
    /// for `origin()`: zeros).
    Known(usize, Option<Vec<Expr>>),
    /// `PointN::from(v)` of a value that is not an array literal: the point of a vector's
    /// coordinates, when syntax shows `v` is a vector (an array would be one too).
    From(Box<Expr>),
    /// Another.
    Other,
}

/// The point constructor `e` calls, if it calls one.
fn constructor(e: &Expr) -> Option<Constructor> {
    let Expr::Call(c) = e else { return None };
    let Expr::Path(p) = &*c.func else { return None };
    let segs: Vec<&syn::PathSegment> = p.path.segments.iter().collect();
    let [.., owner, function] = segs.as_slice() else { return None };
    let n = point_dimension(&owner.ident)?;
    let args: Vec<Expr> = c.args.iter().cloned().collect();
    Some(match (function.ident.to_string().as_str(), args.as_slice()) {
        ("new", _) if args.len() == n => Constructor::Known(n, Some(args)),
        ("origin", []) => Constructor::Known(n, None),
        ("from", [Expr::Array(a)]) if a.elems.len() == n => {
            Constructor::Known(n, Some(a.elems.iter().cloned().collect()))
        }
        ("from", [v]) => Constructor::From(Box::new(v.clone())),
        _ => Constructor::Other,
    })
}

/// `distance(&p, &q)` or `distance_squared(&p, &q)` (any path ending so): the two points, and
/// whether squared.
fn distance<'e>(e: &'e Expr, points: &Known) -> Option<(&'e Expr, &'e Expr, bool)> {
    let Expr::Call(c) = e else { return None };
    let Expr::Path(p) = &*c.func else { return None };
    let squared = match p.path.segments.last()?.ident.to_string().as_str() {
        "distance" => false,
        "distance_squared" => true,
        _ => return None,
    };
    let args: Vec<&Expr> = c.args.iter().collect();
    let [Expr::Reference(a), Expr::Reference(b)] = args.as_slice() else { return None };
    (is_point(&a.expr, points) && is_point(&b.expr, points)).then_some((&a.expr, &b.expr, squared))
}

/// Whether `e` is a point as its syntax shows: a constructor, a point's name, a point plus or
/// minus a vector, a point times a float or by a rotation, `-p`, `p.clone()`.
fn is_point(e: &Expr, points: &Known) -> bool {
    let named = |e: &Expr, names: &HashSet<String>| matches!(e, Expr::Path(p) if p.path.get_ident().is_some_and(|i| names.contains(&i.to_string())));
    match e {
        Expr::Paren(p) => is_point(&p.expr, points),
        Expr::Path(_) => named(e, &points.points),
        // `pts[i]` of a sequence of points
        Expr::Index(ix) => named(&ix.expr, &points.seqs),
        Expr::Binary(b) => {
            let (l, r) = (is_point(&b.left, points), is_point(&b.right, points));
            match b.op {
                syn::BinOp::Sub(_) => l && !r,
                syn::BinOp::Add(_) | syn::BinOp::Mul(_) | syn::BinOp::Div(_) => l || r,
                _ => false,
            }
        }
        Expr::Unary(u) if matches!(u.op, syn::UnOp::Neg(_)) => is_point(&u.expr, points),
        Expr::MethodCall(m) if m.method == "clone" => is_point(&m.receiver, points),
        // `if c { Point3::new(..) } else { .. }`: as its first arm's value
        Expr::If(i) => tail(&i.then_branch).is_some_and(|t| is_point(t, points)),
        Expr::Block(b) if b.label.is_none() => tail(&b.block).is_some_and(|t| is_point(t, points)),
        e => matches!(constructor(e), Some(Constructor::Known(..) | Constructor::From(_))),
    }
}

/// The value a block ends with.
fn tail(b: &syn::Block) -> Option<&Expr> {
    match b.stmts.last()? {
        syn::Stmt::Expr(e, None) => Some(e),
        _ => None,
    }
}

/// Adds the names every `let` of which binds a point, and the items of loops over sequences
/// of points, to [`Known`] (`others`: the names a `let` binds to something else).
struct Names<'k>(&'k mut Known);

impl<'a> Visit<'a> for Names<'_> {
    fn visit_local(&mut self, l: &'a syn::Local) {
        let (pat, ty) = match &l.pat {
            Pat::Type(t) => (&*t.pat, Some(&*t.ty)),
            p => (p, None),
        };
        let point = ty.and_then(point_type).is_some()
            || l.init.as_ref().is_some_and(|i| is_point(&i.expr, self.0));
        match pat {
            Pat::Ident(pi) if point => {
                self.0.points.insert(pi.ident.to_string());
            }
            p => self.0.others.extend(crate::syntax::pattern_names(p)),
        }
        syn::visit::visit_local(self, l);
    }

    // `for p in pts.iter()`, `for &p in pts`, `for p in &pts` of a sequence of points, through
    // `enumerate`, `zip`, `skip`, `take`, `rev`, `step_by`
    fn visit_expr_for_loop(&mut self, f: &'a syn::ExprForLoop) {
        let mut items = Vec::new();
        point_items(&f.expr, &f.pat, &self.0.seqs, &mut items);
        let names = crate::syntax::pattern_names(&f.pat);
        for name in names {
            match items.iter().find(|(item, _)| *item == name) {
                Some((_, seq)) => {
                    if let Some(n) = self.0.dims.get(seq).copied() {
                        self.0.dims.insert(name.clone(), n);
                    }
                    self.0.points.insert(name.clone());
                    self.0.coords.insert(name);
                }
                None => {
                    self.0.others.insert(name);
                }
            }
        }
        syn::visit::visit_expr_for_loop(self, f);
    }
}

/// The names `pat` binds to points of the sequences `seqs` when iterating `e`, with the
/// sequence each comes from.
fn point_items(e: &Expr, pat: &Pat, seqs: &HashSet<String>, out: &mut Vec<(String, String)>) {
    let pat = match pat {
        Pat::Reference(r) => &*r.pat,
        p => p,
    };
    let is_seq = |e: &Expr| {
        matches!(e, Expr::Path(p)
        if p.path.get_ident().is_some_and(|i| seqs.contains(&i.to_string())))
    };
    match e {
        Expr::Reference(r) => point_items(&r.expr, pat, seqs, out),
        Expr::Paren(p) => point_items(&p.expr, pat, seqs, out),
        Expr::Path(p) if is_seq(e) => {
            if let (Pat::Ident(pi), Some(seq)) = (pat, p.path.get_ident()) {
                out.push((pi.ident.to_string(), seq.to_string()));
            }
        }
        Expr::MethodCall(m) => match m.method.to_string().as_str() {
            "iter" | "skip" | "take" | "rev" | "step_by" => {
                point_items(&m.receiver, pat, seqs, out)
            }
            "enumerate" => {
                if let Pat::Tuple(t) = pat
                    && let [_, item] = t.elems.iter().collect::<Vec<_>>()[..]
                {
                    point_items(&m.receiver, item, seqs, out);
                }
            }
            "zip" => {
                let args: Vec<&Expr> = m.args.iter().collect();
                if let (Pat::Tuple(t), [other]) = (pat, &args[..])
                    && let [a, b] = t.elems.iter().collect::<Vec<_>>()[..]
                {
                    point_items(&m.receiver, a, seqs, out);
                    point_items(other, b, seqs, out);
                }
            }
            _ => {}
        },
        _ => {}
    }
}

/// The names a body binds to nalgebra vectors as syntax shows them (`let v =
/// Vector3::new(..);`, `let v: Vector3<f64> = ..`), not rebound to anything else.
fn vector_names(block: &syn::Block) -> HashSet<String> {
    struct Find(HashSet<String>, HashSet<String>);
    impl<'a> Visit<'a> for Find {
        fn visit_local(&mut self, l: &'a syn::Local) {
            let (pat, ty) = match &l.pat {
                Pat::Type(t) => (&*t.pat, Some(&*t.ty)),
                p => (p, None),
            };
            let init = l.init.as_ref().map(|i| {
                let e = &i.expr;
                quote::quote!(#e)
            });
            let vector = ty.is_some_and(vector_type)
                || (ty.is_none()
                    && init.as_ref().is_some_and(|t| {
                        mentions(t, &["Vector", "SVector"]) && !mentions(t, &["Point", "OPoint"])
                    }));
            match (pat, vector) {
                (Pat::Ident(pi), true) => {
                    self.0.insert(pi.ident.to_string());
                }
                (p, _) => self.1.extend(crate::syntax::pattern_names(p)),
            }
            syn::visit::visit_local(self, l);
        }
    }
    let mut find = Find(HashSet::new(), HashSet::new());
    find.visit_block(block);
    find.0.difference(&find.1).cloned().collect()
}

/// The names a body binds to values of [`TRANSFORMS`] types.
fn transform_names(block: &syn::Block) -> HashSet<String> {
    struct Find(HashSet<String>);
    impl<'a> Visit<'a> for Find {
        fn visit_local(&mut self, l: &'a syn::Local) {
            let init = l.init.as_ref().map(|i| {
                let e = &i.expr;
                quote::quote!(#e)
            });
            let ty = match &l.pat {
                Pat::Type(t) => {
                    let ty = &t.ty;
                    Some(quote::quote!(#ty))
                }
                _ => None,
            };
            if [init, ty].iter().flatten().any(|t| mentions(t, TRANSFORMS)) {
                self.0.extend(crate::syntax::pattern_names(&l.pat));
            }
            syn::visit::visit_local(self, l);
        }
    }
    let mut find = Find(HashSet::new());
    find.visit_block(block);
    find.0
}

/// The names that may multiply a point knowing it moves as a vector would: parameters of
/// floats, sequences of floats and nalgebra matrices or rotations, and `let`s of [`safe`]
/// values of those. Anything else (a helper's result, a field, a loop's item) could be an
/// isometry, whose translation moves a point and not a vector.
fn safe_factors(
    block: &syn::Block,
    params: &[(String, crate::kind::Kind, syn::Type)],
) -> HashSet<String> {
    use crate::kind::Kind;
    let matrix = |t: &syn::Type| {
        let t = quote::quote!(#t);
        mentions(&t, &["Matrix", "SMatrix", "Rotation", "UnitQuaternion", "UnitComplex"])
            && !mentions(&t, TRANSFORMS)
    };
    let mut factors: HashSet<String> = params
        .iter()
        .filter(|(_, k, t)| matches!(k, Kind::Float | Kind::Seq(_)) || matrix(t))
        .map(|(n, _, _)| n.clone())
        .collect();
    struct Lets<'s>(&'s mut HashSet<String>, bool);
    impl<'a> Visit<'a> for Lets<'_> {
        fn visit_local(&mut self, l: &'a syn::Local) {
            let pat = match &l.pat {
                Pat::Type(t) => &*t.pat,
                p => p,
            };
            if let Pat::Ident(pi) = pat
                && l.init.as_ref().is_some_and(|i| safe(&i.expr, self.0))
                && self.0.insert(pi.ident.to_string())
            {
                self.1 = true;
            }
            syn::visit::visit_local(self, l);
        }
    }
    loop {
        let mut lets = Lets(&mut factors, false);
        lets.visit_block(block);
        if !lets.1 {
            return factors;
        }
    }
}

/// Whether `e` is a value that moves a point as it moves a vector: a number, a float or
/// matrix of [`safe_factors`], arithmetic of those, a float method's value, a rotation's or a
/// matrix's constructor (`Rotation3::from_axis_angle(..)`, `Matrix3::new(..)`) or method
/// (`q.inverse()`).
fn safe(e: &Expr, names: &HashSet<String>) -> bool {
    match e {
        Expr::Lit(_) => true,
        Expr::Paren(p) => safe(&p.expr, names),
        Expr::Group(g) => safe(&g.expr, names),
        Expr::Unary(u) => safe(&u.expr, names),
        Expr::Cast(c) => safe(&c.expr, names),
        Expr::Binary(b) => safe(&b.left, names) && safe(&b.right, names),
        Expr::Path(p) => {
            p.path.get_ident().is_some_and(|i| names.contains(&i.to_string()))
                // constants of the float types (`f64::consts::PI`, `T::ONE`)
                || p.path.segments.len() > 1
                    && !mentions(&quote::quote!(#p), TRANSFORMS)
        }
        Expr::Index(ix) => safe(&ix.expr, names),
        Expr::Call(c) => match &*c.func {
            Expr::Path(p) => {
                let path = quote::quote!(#p);
                let owner = p.path.segments.iter().rev().nth(1).map(|s| s.ident.to_string());
                owner.is_some_and(|o| {
                    ["Matrix", "SMatrix", "Rotation", "UnitQuaternion", "UnitComplex", "f64", "f32"]
                        .iter()
                        .any(|t| o.starts_with(t))
                }) && !mentions(&path, TRANSFORMS)
            }
            _ => false,
        },
        Expr::MethodCall(m) => {
            let name = m.method.to_string();
            crate::rules::method(&name, 1 + m.args.len()).is_some()
                || (safe(&m.receiver, names)
                    && matches!(
                        name.as_str(),
                        "inverse" | "transpose" | "to_rotation_matrix" | "matrix" | "clone"
                    ))
        }
        _ => false,
    }
}

/// Whether every point stands where the rewrite keeps its meaning (see the module
/// documentation); `any`: whether there is a point at all.
struct Check<'n> {
    known: &'n Known,
    transforms: &'n HashSet<String>,
    /// Parameters of vector types (`Point3::from(v)` of one is a point).
    vectors: &'n HashSet<String>,
    /// The names whose product with a point is the product with its coordinates
    /// ([`safe_factors`]).
    factors: &'n HashSet<String>,
    ok: bool,
    any: bool,
}

impl Check<'_> {
    fn transform(&self, e: &Expr) -> bool {
        let named = matches!(e, Expr::Path(p)
            if p.path.get_ident().is_some_and(|i| self.transforms.contains(&i.to_string())));
        named || mentions(&quote::quote!(#e), TRANSFORMS)
    }

    /// Visits `e`, where a point may stand.
    fn allowed(&mut self, e: &Expr) {
        match e {
            Expr::Paren(p) => self.allowed(&p.expr),
            e => {
                self.any |= is_point(e, self.known);
                self.inner(e);
            }
        }
    }

    /// Visits the parts of `e`, which may itself be a point.
    fn inner(&mut self, e: &Expr) {
        use syn::BinOp::*;
        match e {
            Expr::Binary(b) => match b.op {
                Add(_) | Sub(_) | Div(_) | Eq(_) | Ne(_) | AddAssign(_) | SubAssign(_)
                | MulAssign(_) | DivAssign(_) => {
                    self.allowed(&b.left);
                    self.allowed(&b.right);
                }
                Mul(_) => {
                    let (l, r) = (is_point(&b.left, self.known), is_point(&b.right, self.known));
                    // (the other factor must be known to move a point as a vector: an isometry
                    // from a helper would add its translation to the point, not the vector)
                    let other_unsafe = (l && !safe(&b.right, self.factors) && !r)
                        || (r && !safe(&b.left, self.factors) && !l);
                    if (l || r)
                        && (self.transform(&b.left) || self.transform(&b.right) || other_unsafe)
                    {
                        self.ok = false;
                    }
                    self.allowed(&b.left);
                    self.allowed(&b.right);
                }
                _ => syn::visit::visit_expr(self, e),
            },
            Expr::Unary(u) if matches!(u.op, syn::UnOp::Neg(_)) => self.allowed(&u.expr),
            Expr::MethodCall(m) if m.method == "clone" && m.args.is_empty() => {
                self.allowed(&m.receiver)
            }
            Expr::Field(f)
                if matches!(&f.member, syn::Member::Named(n)
                    if ["x", "y", "z", "w", "coords"].contains(&n.to_string().as_str())) =>
            {
                self.allowed(&f.base)
            }
            Expr::Index(i) => {
                self.allowed(&i.expr);
                self.visit_expr(&i.index);
            }
            Expr::Assign(a) => {
                self.allowed(&a.left);
                self.allowed(&a.right);
            }
            // an `if` (or a block) whose arms end with points, where a point may stand
            Expr::If(i) => {
                self.visit_expr(&i.cond);
                self.arm(&i.then_branch);
                match i.else_branch.as_ref().map(|(_, e)| &**e) {
                    Some(Expr::Block(b)) => self.arm(&b.block),
                    Some(e) => self.allowed(e),
                    None => {}
                }
            }
            Expr::Block(b) if b.label.is_none() => self.arm(&b.block),
            e if distance(e, self.known).is_some() => {
                if let Some((a, b, _)) = distance(e, self.known) {
                    self.allowed(a);
                    self.allowed(b);
                }
            }
            e => match constructor(e) {
                Some(Constructor::Other) => self.ok = false,
                // (the point of a vector: a vector parameter, or an expression naming
                // nalgebra's vectors; an array would be taken for one)
                Some(Constructor::From(v)) => {
                    let array = matches!(&*v, Expr::Path(p)
                        if p.path.get_ident().is_some_and(|i| self.known.arrays.contains_key(&i.to_string())));
                    let vector = array
                        || mentions(&quote::quote!(#v), &["Vector", "SVector"])
                        || quote::quote!(#v).into_iter().any(|t| matches!(t,
                            proc_macro2::TokenTree::Ident(i) if self.vectors.contains(&i.to_string())));
                    if !vector {
                        self.ok = false;
                    }
                    syn::visit::visit_expr(self, e)
                }
                Some(Constructor::Known(..)) | None => syn::visit::visit_expr(self, e),
            },
        }
    }
}

impl Check<'_> {
    /// The statements of an arm, its value where a point may stand.
    fn arm(&mut self, b: &syn::Block) {
        match b.stmts.split_last() {
            Some((syn::Stmt::Expr(e, None), rest)) => {
                rest.iter().for_each(|s| self.visit_stmt(s));
                self.allowed(e);
            }
            _ => b.stmts.iter().for_each(|s| self.visit_stmt(s)),
        }
    }
}

impl<'a> Visit<'a> for Check<'_> {
    fn visit_expr(&mut self, e: &'a Expr) {
        if is_point(e, self.known) {
            self.ok = false;
        }
        self.inner(e);
    }

    fn visit_local(&mut self, l: &'a syn::Local) {
        if let Some(init) = &l.init {
            self.allowed(&init.expr);
            if let Some((_, diverge)) = &init.diverge {
                self.visit_expr(diverge);
            }
        }
    }

    // (macros' arguments are tokens: `assert!(p.x > 0.0)` reads a vector as well)
    fn visit_macro(&mut self, _: &'a syn::Macro) {}
}

struct Rewrite<'n> {
    known: &'n Known,
    rt: &'n TokenStream,
}

impl Rewrite<'_> {
    /// `__private::VectorN::new(p[0], .., p[N - 1])` of a point `p` of dimension `n` (its
    /// `coords` when the dimension is not known).
    fn entries(&self, p: &Expr, n: Option<usize>) -> Expr {
        match n {
            Some(n) => {
                let (rt, vector) = (self.rt, quote::format_ident!("Vector{}", n));
                let entries = (0..n).map(|k| quote::quote!((#p)[#k]));
                parse_quote!(#rt::#vector::new(#(#entries),*))
            }
            None => parse_quote!((#p.coords)),
        }
    }
}

impl VisitMut for Rewrite<'_> {
    fn visit_expr_mut(&mut self, e: &mut Expr) {
        if let Some((a, b, squared)) = distance(e, self.known) {
            let (mut a, mut b) = (a.clone(), b.clone());
            self.visit_expr_mut(&mut a);
            self.visit_expr_mut(&mut b);
            *e = match squared {
                true => parse_quote!(((#a) - (#b)).norm_squared()),
                false => parse_quote!(((#a) - (#b)).norm()),
            };
            return;
        }
        if let Expr::Field(f) = e
            && matches!(&f.member, syn::Member::Named(n) if n == "coords")
            && is_point(&f.base, self.known)
        {
            let mut base = (*f.base).clone();
            self.visit_expr_mut(&mut base);
            *e = parse_quote!((#base));
            return;
        }
        // (a point that stays a point where it is bound, a parameter's or a loop's, and
        // `pts[i]` of a sequence of points: the vector of its entries, which lowering knows
        // for an nalgebra value)
        if let Expr::Path(p) = e
            && let Some(id) =
                p.path.get_ident().filter(|i| self.known.coords.contains(&i.to_string()))
        {
            let n = self.known.dims.get(&id.to_string()).copied();
            *e = self.entries(&parse_quote!(#id), n);
            return;
        }
        if is_point(e, self.known)
            && let Expr::Index(ix) = e
        {
            let mut ix = ix.clone();
            self.visit_expr_mut(&mut ix.index);
            let seq = match &*ix.expr {
                Expr::Path(p) => p.path.get_ident().map(ToString::to_string),
                _ => None,
            };
            let n = seq.and_then(|s| self.known.dims.get(&s).copied());
            *e = self.entries(&Expr::Index(ix), n);
            return;
        }
        // `Point3::from(a)` of an array parameter: its entries
        if let Some(Constructor::From(v)) = constructor(e)
            && let Expr::Path(p) = &*v
            && let Some(id) = p.path.get_ident()
            && let Some(n) = self.known.arrays.get(&id.to_string())
        {
            let (rt, vector) = (self.rt, quote::format_ident!("Vector{}", n));
            let entries = (0..*n).map(|k| quote::quote!(#id[#k]));
            *e = parse_quote!(#rt::#vector::new(#(#entries),*));
            return;
        }
        if let Some(Constructor::From(v)) = constructor(e) {
            let mut v = *v;
            self.visit_expr_mut(&mut v);
            *e = parse_quote!((#v));
            return;
        }
        if let Some(Constructor::Known(n, entries)) = constructor(e) {
            let rt = self.rt;
            let vector = quote::format_ident!("Vector{}", n);
            *e = match entries {
                Some(mut entries) => {
                    entries.iter_mut().for_each(|a| self.visit_expr_mut(a));
                    parse_quote!(#rt::#vector::new(#(#entries),*))
                }
                None => parse_quote!(#rt::#vector::zeros()),
            };
            return;
        }
        visit_mut::visit_expr_mut(self, e);
    }

    fn visit_type_mut(&mut self, t: &mut syn::Type) {
        if let syn::Type::Path(p) = t
            && let Some(last) = p.path.segments.last()
            && let Some(n) = point_dimension(&last.ident)
        {
            let (rt, vector, args) =
                (self.rt, quote::format_ident!("Vector{}", n), last.arguments.clone());
            *t = parse_quote!(#rt::#vector #args);
            return;
        }
        visit_mut::visit_type_mut(self, t);
    }

    fn visit_macro_mut(&mut self, _: &mut syn::Macro) {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    fn rewritten(body: syn::Block, params: &[(&str, syn::Type)], ret: syn::Type) -> String {
        let mut body = body;
        let params: Vec<(String, crate::kind::Kind, syn::Type)> = params
            .iter()
            .map(|(n, t)| (n.to_string(), crate::kind::Kind::Unknown, t.clone()))
            .collect();
        rewrite(&mut body, &params, Some(&ret), &quote!(rt));
        quote!(#body).to_string()
    }

    #[test]
    fn points_become_vectors_where_they_mean_the_same() {
        let out = rewritten(
            parse_quote!({
                let p: Point3<f64> = Point3::new(x, y, 0.5);
                let q = r * p;
                let o = Point3::origin();
                nalgebra::distance(&q, &o) + (q - Point3::from([1.0, 0.0, 0.0])).norm() + q.coords.x
            }),
            &[("r", parse_quote!(Rotation3<f64>))],
            parse_quote!(f64),
        );
        let expected = quote!({
            let p: rt::Vector3<f64> = rt::Vector3::new(x, y, 0.5);
            let q = r * p;
            let o = rt::Vector3::zeros();
            ((q) - (o)).norm() + (q - rt::Vector3::new(1.0, 0.0, 0.0)).norm() + (q).x
        });
        assert_eq!(out, expected.to_string());
        // a parameter (inactive: `wrt` leaves it out) is its coordinates
        let out = rewritten(
            parse_quote!({ (r * p).x }),
            &[("p", parse_quote!(&Point3<f64>)), ("r", parse_quote!(&UnitQuaternion<f64>))],
            parse_quote!(f64),
        );
        let expected = quote!({ (r * rt::Vector3::new((p)[0usize], (p)[1usize], (p)[2usize])).x });
        assert_eq!(out, expected.to_string());
    }

    #[test]
    fn points_used_otherwise_are_left_as_written() {
        for body in [
            // passed to a function, put in an array, a method without a vector form
            quote!({
                let p = Point3::new(x, 0.0, 0.0);
                f(&p)
            }),
            quote!({
                let p = Point3::new(x, 0.0, 0.0);
                let q = [p, p];
                q[0].x
            }),
            quote!({
                let p = Point3::new(x, 0.0, 0.0);
                p.to_homogeneous().w
            }),
            // an isometry moves a point by its translation, not a vector
            quote!({
                let iso = Isometry3::new(t, w);
                (iso * Point3::new(x, 0.0, 0.0)).x
            }),
            quote!({
                let p = Point3::new(x, 0.0, 0.0);
                let p = 2.0;
                p
            }),
            quote!({ (Point3::from(v) - Point3::origin()).norm() }),
            // a factor of unknown provenance (a helper's isometry, a field) may move a point
            // otherwise than a vector
            quote!({
                let pose = base_pose();
                ((pose * Point3::new(x, 0.0, 0.0)) - Point3::origin()).norm()
            }),
            quote!({ (cfg.pose * Point3::new(x, 0.0, 0.0)).x }),
        ] {
            let block: syn::Block = syn::parse2(body.clone()).unwrap();
            assert_eq!(rewritten(block, &[], parse_quote!(f64)), body.to_string());
        }
        let body = quote!({ Point3::new(x, 0.0, 0.0) });
        let block: syn::Block = syn::parse2(body.clone()).unwrap();
        assert_eq!(rewritten(block, &[], parse_quote!(Point3<f64>)), body.to_string());
    }
}

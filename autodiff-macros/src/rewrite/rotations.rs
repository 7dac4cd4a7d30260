//! nalgebra's rotations built from active angles or axes, as their rotation matrices (whose
//! entries lowering differentiates like any `Matrix3::new`):
//!
//! ```text
//! UnitQuaternion::from_scaled_axis(w)            =>  { (Rodrigues' formula of w) Matrix3::new(..) }
//! Rotation3::from_euler_angles(roll, pitch, yaw) =>  { Matrix3::new(Rz(yaw) Ry(pitch) Rx(roll)) }
//! UnitQuaternion::from_axis_angle(&axis, angle)  =>  { Matrix3::new(c I + s [u]x + (1 - c) u uᵀ) }
//! Rotation2::new(angle), UnitComplex::new(angle) =>  { Matrix2::new(c, -s, s, c) }
//! UnitQuaternion::identity()                     =>  Matrix3::identity()
//! q0: UnitQuaternion<f64> (a parameter)          =>  let q0 = rotation_matrix(&q0);
//! q.inverse()                  =>  q.transpose()
//! q.transform_vector(&v)       =>  (q * v)
//! q.inverse_transform_vector(&v)  =>  (q.transpose() * v)
//! q.to_rotation_matrix()      =>  q
//! r.matrix(), *r.matrix()     =>  (r)
//! ```
//!
//! (`UnitQuaternion::new(w)` and `Rotation3::new(w)` take a scaled axis too.) Rodrigues'
//! formula `I + a W + b W²`, `W = [w]x`, takes `a = sin θ / θ` and `b = (1 - cos θ) / θ²` from
//! their series (to `θ⁸`) below `θ² = 1e-3` (`f64`) or `0.1` (`f32`), where the derivatives of
//! the quotients would lose digits to cancellation; the derivative at `w = 0` is exact (`[ẇ]x`). Products of
//! rotations, and of a rotation and a vector, are products of matrices. The derivatives' values
//! are computed through the matrices, so they may differ from the function's (through
//! quaternions) in the last bits.
//!
//! A name is rewritten only when every `let` binding it holds a rotation and the body uses it
//! only as above or as an operand of `*`; otherwise the function is left as written (and
//! lowering refuses an active rotation with its help).

use proc_macro2::TokenStream;
use std::collections::HashSet;
use syn::visit::Visit;
use syn::visit_mut::{self, VisitMut};
use syn::{Expr, Pat, parse_quote};

/// Rewrites the rotations of `block`; `params` are the parameters' names, kinds and types, `rt`
/// the runtime's `__private` path.
pub fn rewrite(
    block: &mut syn::Block,
    params: &[(String, crate::kind::Kind, syn::Type)],
    rt: &TokenStream,
) {
    // parameters of rotation types (inactive: `wrt` leaves them out), as their matrices
    let rotation_params: Vec<&String> = params
        .iter()
        .filter(|(_, _, t)| {
            rotation_type(match t {
                syn::Type::Reference(r) => &r.elem,
                t => t,
            })
        })
        .map(|(n, _, _)| n)
        .collect();
    let mut names = Names {
        rotations: rotation_params.iter().map(|n| n.to_string()).collect(),
        others: HashSet::new(),
    };
    // a `let` of a product of rotation names is a rotation: repeat until nothing is added
    loop {
        let before = names.rotations.len();
        names.visit_block(block);
        if names.rotations.len() == before {
            break;
        }
    }
    let rotations: HashSet<String> = names.rotations.difference(&names.others).cloned().collect();
    let points = super::points::point_names(block, params);
    let mut uses = Uses { rotations: &rotations, points: &points, unsupported: false };
    uses.visit_block(block);
    if uses.unsupported {
        return;
    }
    let mut r = Rewrite { rotations, rt: rt.clone() };
    r.visit_block_mut(block);
    // (only a parameter the body uses as a rotation throughout, never bound again)
    for name in rotation_params.into_iter().filter(|n| r.rotations.contains(*n)) {
        let q = syn::Ident::new(name, proc_macro2::Span::call_site());
        block.stmts.insert(0, parse_quote!(let #q = #rt::rotation_matrix(&#q);));
    }
}

/// The rotation constructor `e` calls: its kind and arguments.
fn constructor(e: &Expr) -> Option<(&'static str, Vec<&Expr>)> {
    let Expr::Call(call) = e else { return None };
    let Expr::Path(p) = &*call.func else { return None };
    let segs: Vec<String> = p.path.segments.iter().map(|s| s.ident.to_string()).collect();
    let [.., owner, f] = segs.as_slice() else { return None };
    let args: Vec<&Expr> = call.args.iter().collect();
    let kind = match (owner.as_str(), f.as_str(), args.len()) {
        ("UnitQuaternion" | "Rotation3", "from_scaled_axis" | "new", 1) => "scaled_axis",
        ("UnitQuaternion" | "Rotation3", "from_euler_angles", 3) => "euler",
        ("UnitQuaternion" | "Rotation3", "from_axis_angle", 2) => "axis_angle",
        ("Rotation2" | "UnitComplex", "new", 1) => "planar",
        ("UnitQuaternion" | "Rotation3", "identity", 0) => "identity3",
        ("Rotation2" | "UnitComplex", "identity", 0) => "identity2",
        _ => return None,
    };
    Some((kind, args))
}

/// Whether a type names one of nalgebra's rotations.
fn rotation_type(ty: &syn::Type) -> bool {
    matches!(ty, syn::Type::Path(p) if p.path.segments.last().is_some_and(|s| {
        matches!(s.ident.to_string().as_str(), "UnitQuaternion" | "Rotation3" | "Rotation2" | "UnitComplex")
    }))
}

/// The methods of a rotation that have a matrix form (not `into_inner`, which gives a
/// quaternion's or a complex number's components, not the matrix).
const METHODS: &[&str] = &[
    "inverse",
    "transform_vector",
    "inverse_transform_vector",
    "to_rotation_matrix",
    "matrix",
    "transpose",
];

/// Whether `e` is a rotation: a constructor, a rotation name, their products, `.inverse()`
/// (`.transpose()` once rewritten).
fn is_rotation(e: &Expr, rotations: &HashSet<String>) -> bool {
    match e {
        Expr::Paren(p) => is_rotation(&p.expr, rotations),
        Expr::Path(p) => p.path.get_ident().is_some_and(|i| rotations.contains(&i.to_string())),
        Expr::Binary(b) if matches!(b.op, syn::BinOp::Mul(_)) => {
            is_rotation(&b.left, rotations) && is_rotation(&b.right, rotations)
        }
        Expr::MethodCall(m)
            if m.args.is_empty()
                && matches!(
                    m.method.to_string().as_str(),
                    "inverse" | "to_rotation_matrix" | "matrix" | "transpose"
                ) =>
        {
            is_rotation(&m.receiver, rotations)
        }
        e => constructor(e).is_some(),
    }
}

/// The names every `let` of which binds a rotation (`others`: those some `let` binds to
/// something else).
struct Names {
    rotations: HashSet<String>,
    others: HashSet<String>,
}

impl<'a> Visit<'a> for Names {
    fn visit_local(&mut self, l: &'a syn::Local) {
        let (pat, ty) = match &l.pat {
            Pat::Type(t) => (&*t.pat, Some(&*t.ty)),
            p => (p, None),
        };
        let rotation = ty.is_none_or(rotation_type)
            && l.init.as_ref().is_some_and(|i| is_rotation(&i.expr, &self.rotations));
        match pat {
            Pat::Ident(pi) if rotation => {
                self.rotations.insert(pi.ident.to_string());
            }
            p => self.others.extend(crate::syntax::pattern_names(p)),
        }
        syn::visit::visit_local(self, l);
    }
}

/// Whether a rotation (a name of one, or a constructor's call) is used otherwise than the
/// rewrite knows.
struct Uses<'r> {
    rotations: &'r HashSet<String>,
    /// The names of points the points rewrite left as written.
    points: &'r HashSet<String>,
    unsupported: bool,
}

impl Uses<'_> {
    fn named(&self, e: &Expr) -> bool {
        matches!(e, Expr::Path(p) if p.path.get_ident().is_some_and(|i| self.rotations.contains(&i.to_string())))
    }

    /// A place where a rotation may stand: an operand of `*`, a `let`'s value, the receiver
    /// of one of [`METHODS`].
    fn operand(&mut self, e: &Expr) {
        match e {
            e if self.named(e) => {}
            Expr::Paren(p) => self.operand(&p.expr),
            e => match constructor(e) {
                Some((_, args)) => args.into_iter().for_each(|a| self.visit_expr(a)),
                None => self.visit_expr(e),
            },
        }
    }
}

impl<'a> Visit<'a> for Uses<'_> {
    fn visit_expr(&mut self, e: &'a Expr) {
        match e {
            // (a point: nalgebra multiplies rotations and points, not matrices and points)
            Expr::Binary(b)
                if matches!(b.op, syn::BinOp::Mul(_))
                    && [&*b.left, &*b.right].iter().any(|e| mentions_point(e, self.points)) =>
            {
                let rotation = |e: &Expr| self.named(e) || constructor(e).is_some();
                if rotation(&b.left) || rotation(&b.right) {
                    self.unsupported = true;
                }
                syn::visit::visit_expr(self, e);
            }
            Expr::Binary(b) if matches!(b.op, syn::BinOp::Mul(_)) => {
                self.operand(&b.left);
                self.operand(&b.right);
            }
            // `q = q * step;` (or `q *= step;`) of a rotation name: a rotation again
            Expr::Assign(a) if self.named(&a.left) => {
                if !is_rotation(&a.right, self.rotations) {
                    self.unsupported = true;
                }
                self.operand(&a.right);
            }
            Expr::Binary(b) if matches!(b.op, syn::BinOp::MulAssign(_)) && self.named(&b.left) => {
                if !is_rotation(&b.right, self.rotations) {
                    self.unsupported = true;
                }
                self.operand(&b.right);
            }
            Expr::MethodCall(m)
                if (self.named(&m.receiver) || constructor(&m.receiver).is_some())
                    && METHODS.contains(&m.method.to_string().as_str()) =>
            {
                self.operand(&m.receiver);
                m.args.iter().for_each(|a| self.visit_expr(a));
            }
            // an entry of a rotation's matrix (`m[(0, 2)]` of `let m = r.matrix();`, a
            // `Rotation3` indexed): the same entry of the matrix it becomes
            Expr::Index(ix) if self.named(&ix.expr) => self.visit_expr(&ix.index),
            e if self.named(e) || constructor(e).is_some() => self.unsupported = true,
            e => syn::visit::visit_expr(self, e),
        }
    }

    fn visit_local(&mut self, l: &'a syn::Local) {
        if let Some(init) = &l.init {
            self.operand(&init.expr);
            if let Some((_, diverge)) = &init.diverge {
                self.visit_expr(diverge);
            }
        }
    }
}

/// Whether an expression names one of nalgebra's points (`Point3::new(..)`, `Point3::origin()`)
/// or is the name of one (`points`).
fn mentions_point(e: &Expr, points: &HashSet<String>) -> bool {
    let named = |i: &proc_macro2::Ident| {
        i.to_string().starts_with("Point") || points.contains(&i.to_string())
    };
    quote::ToTokens::to_token_stream(e)
        .into_iter()
        .any(|t| matches!(t, proc_macro2::TokenTree::Ident(i) if named(&i)))
}

struct Rewrite {
    rotations: HashSet<String>,
    rt: TokenStream,
}

impl Rewrite {
    /// The rotation matrix of a constructor's call.
    fn matrix(&self, kind: &str, args: &[&Expr]) -> Expr {
        let rt = &self.rt;
        match (kind, args) {
            ("scaled_axis", [w]) => parse_quote!({
                let __autodiff_w = #w;
                let (__autodiff_x, __autodiff_y, __autodiff_z) = (__autodiff_w[0], __autodiff_w[1], __autodiff_w[2]);
                let __autodiff_t2 = __autodiff_x * __autodiff_x + __autodiff_y * __autodiff_y + __autodiff_z * __autodiff_z;
                // (their series near 0, where the quotients' derivatives would cancel)
                let __autodiff_small = #rt::small_rotation(#rt::detach(__autodiff_t2));
                let __autodiff_a = if __autodiff_small {
                    1.0 - __autodiff_t2 / 6.0 * (1.0 - __autodiff_t2 / 20.0 * (1.0 - __autodiff_t2 / 42.0 * (1.0 - __autodiff_t2 / 72.0)))
                } else {
                    #rt::Real::sin(#rt::Real::sqrt(__autodiff_t2)) / #rt::Real::sqrt(__autodiff_t2)
                };
                let __autodiff_b = if __autodiff_small {
                    0.5 * (1.0 - __autodiff_t2 / 12.0 * (1.0 - __autodiff_t2 / 30.0 * (1.0 - __autodiff_t2 / 56.0 * (1.0 - __autodiff_t2 / 90.0))))
                } else {
                    (1.0 - #rt::Real::cos(#rt::Real::sqrt(__autodiff_t2))) / __autodiff_t2
                };
                #rt::Matrix3::new(
                    1.0 - __autodiff_b * (__autodiff_y * __autodiff_y + __autodiff_z * __autodiff_z),
                    __autodiff_b * __autodiff_x * __autodiff_y - __autodiff_a * __autodiff_z,
                    __autodiff_b * __autodiff_x * __autodiff_z + __autodiff_a * __autodiff_y,
                    __autodiff_b * __autodiff_x * __autodiff_y + __autodiff_a * __autodiff_z,
                    1.0 - __autodiff_b * (__autodiff_x * __autodiff_x + __autodiff_z * __autodiff_z),
                    __autodiff_b * __autodiff_y * __autodiff_z - __autodiff_a * __autodiff_x,
                    __autodiff_b * __autodiff_x * __autodiff_z - __autodiff_a * __autodiff_y,
                    __autodiff_b * __autodiff_y * __autodiff_z + __autodiff_a * __autodiff_x,
                    1.0 - __autodiff_b * (__autodiff_x * __autodiff_x + __autodiff_y * __autodiff_y),
                )
            }),
            // nalgebra's order: roll about x first, then pitch about y, then yaw about z
            ("euler", [roll, pitch, yaw]) => parse_quote!({
                let (__autodiff_r, __autodiff_p, __autodiff_q) = (#roll, #pitch, #yaw);
                let (__autodiff_sr, __autodiff_cr) = (#rt::Real::sin(__autodiff_r), #rt::Real::cos(__autodiff_r));
                let (__autodiff_sp, __autodiff_cp) = (#rt::Real::sin(__autodiff_p), #rt::Real::cos(__autodiff_p));
                let (__autodiff_sy, __autodiff_cy) = (#rt::Real::sin(__autodiff_q), #rt::Real::cos(__autodiff_q));
                #rt::Matrix3::new(
                    __autodiff_cy * __autodiff_cp,
                    __autodiff_cy * __autodiff_sp * __autodiff_sr - __autodiff_sy * __autodiff_cr,
                    __autodiff_cy * __autodiff_sp * __autodiff_cr + __autodiff_sy * __autodiff_sr,
                    __autodiff_sy * __autodiff_cp,
                    __autodiff_sy * __autodiff_sp * __autodiff_sr + __autodiff_cy * __autodiff_cr,
                    __autodiff_sy * __autodiff_sp * __autodiff_cr - __autodiff_cy * __autodiff_sr,
                    -__autodiff_sp,
                    __autodiff_cp * __autodiff_sr,
                    __autodiff_cp * __autodiff_cr,
                )
            }),
            ("axis_angle", [axis, angle]) => parse_quote!({
                let __autodiff_t = #angle;
                // (the axis's components, of the angle's float type)
                let __autodiff_u = #rt::axis_components(#axis, #rt::detach(__autodiff_t));
                let (__autodiff_x, __autodiff_y, __autodiff_z) = (__autodiff_u[0], __autodiff_u[1], __autodiff_u[2]);
                let (__autodiff_s, __autodiff_c) = (#rt::Real::sin(__autodiff_t), #rt::Real::cos(__autodiff_t));
                let __autodiff_k = 1.0 - __autodiff_c;
                #rt::Matrix3::new(
                    __autodiff_c + __autodiff_x * __autodiff_x * __autodiff_k,
                    __autodiff_x * __autodiff_y * __autodiff_k - __autodiff_z * __autodiff_s,
                    __autodiff_x * __autodiff_z * __autodiff_k + __autodiff_y * __autodiff_s,
                    __autodiff_y * __autodiff_x * __autodiff_k + __autodiff_z * __autodiff_s,
                    __autodiff_c + __autodiff_y * __autodiff_y * __autodiff_k,
                    __autodiff_y * __autodiff_z * __autodiff_k - __autodiff_x * __autodiff_s,
                    __autodiff_z * __autodiff_x * __autodiff_k - __autodiff_y * __autodiff_s,
                    __autodiff_z * __autodiff_y * __autodiff_k + __autodiff_x * __autodiff_s,
                    __autodiff_c + __autodiff_z * __autodiff_z * __autodiff_k,
                )
            }),
            ("identity3", []) => parse_quote!(#rt::Matrix3::identity()),
            ("identity2", []) => parse_quote!(#rt::Matrix2::identity()),
            (_, [angle]) => parse_quote!({
                let __autodiff_t = #angle;
                let (__autodiff_s, __autodiff_c) = (#rt::Real::sin(__autodiff_t), #rt::Real::cos(__autodiff_t));
                #rt::Matrix2::new(__autodiff_c, -__autodiff_s, __autodiff_s, __autodiff_c)
            }),
            _ => parse_quote!(()),
        }
    }

    fn rotation(&self, e: &Expr) -> bool {
        is_rotation(e, &self.rotations)
    }
}

impl VisitMut for Rewrite {
    fn visit_expr_mut(&mut self, e: &mut Expr) {
        // `*r.matrix()`: the matrix itself (a value once rewritten)
        if let Expr::Unary(u) = e
            && matches!(u.op, syn::UnOp::Deref(_))
            && let Expr::MethodCall(m) = &*u.expr
            && m.method == "matrix"
            && m.args.is_empty()
            && self.rotation(&m.receiver)
        {
            *e = (*u.expr).clone();
        }
        visit_mut::visit_expr_mut(self, e);
        let new: Option<Expr> = match &*e {
            e if constructor(e).is_some() => {
                constructor(e).map(|(kind, args)| self.matrix(kind, &args))
            }
            Expr::MethodCall(m) if self.rotation(&m.receiver) => {
                let q = &m.receiver;
                let arg = m.args.first().map(|a| match a {
                    Expr::Reference(r) if r.mutability.is_none() => (*r.expr).clone(),
                    a => a.clone(),
                });
                match (m.method.to_string().as_str(), arg) {
                    ("inverse", None) => Some(parse_quote!(#q.transpose())),
                    ("to_rotation_matrix", None) => Some(parse_quote!(#q)),
                    ("matrix", None) => Some(parse_quote!((#q))),
                    ("transform_vector", Some(v)) => Some(parse_quote!((#q * #v))),
                    ("inverse_transform_vector", Some(v)) => {
                        Some(parse_quote!((#q.transpose() * #v)))
                    }
                    _ => None,
                }
            }
            _ => None,
        };
        if let Some(new) = new {
            *e = new;
        }
    }

    fn visit_local_mut(&mut self, l: &mut syn::Local) {
        // `let q: UnitQuaternion<f64> = ..`: the matrix's type is left to inference
        if let Pat::Type(t) = &l.pat
            && rotation_type(&t.ty)
            && let Pat::Ident(pi) = &*t.pat
            && self.rotations.contains(&pi.ident.to_string())
        {
            l.pat = (*t.pat).clone();
        }
        visit_mut::visit_local_mut(self, l);
    }
}

#[cfg(test)]
mod tests {
    use quote::{ToTokens, quote};

    fn rewritten(mut body: syn::Block) -> String {
        super::rewrite(&mut body, &[], &quote!(rt));
        body.to_token_stream().to_string()
    }

    #[test]
    fn rotations_become_matrices() {
        let text = rewritten(syn::parse_quote!({
            let q: UnitQuaternion<f64> = UnitQuaternion::from_scaled_axis(w);
            let r = Rotation3::from_euler_angles(a, b, c) * q.inverse();
            r.transform_vector(&v).dot(&q.inverse_transform_vector(&v))
        }));
        assert!(text.contains("let q = {"), "{text}");
        assert!(text.contains("rt :: Matrix3 :: new"), "{text}");
        assert!(text.contains("q . transpose ()"), "{text}");
        assert!(text.contains("(r * v) . dot"), "{text}");
        assert!(text.contains("(q . transpose () * v)"), "{text}");
    }

    #[test]
    fn a_rotation_used_otherwise_is_left_as_written() {
        let text = rewritten(syn::parse_quote!({
            let q = UnitQuaternion::from_scaled_axis(w);
            q.angle()
        }));
        assert!(text.contains("UnitQuaternion :: from_scaled_axis"), "{text}");
        let text = rewritten(syn::parse_quote!({ g(Rotation3::from_euler_angles(a, b, c)) }));
        assert!(text.contains("Rotation3 :: from_euler_angles"), "{text}");
    }
}

//! What code writes: assignments, the methods that change a `Vec`, the names written element by
//! element, and expressions simple enough to evaluate anywhere (no writes, no calls).

use std::collections::HashSet;
use syn::Expr;

/// Whether `op` assigns (`+=`, `-=`, ...).
pub fn is_compound(op: &syn::BinOp) -> bool {
    use syn::BinOp::*;
    matches!(
        op,
        AddAssign(_)
            | SubAssign(_)
            | MulAssign(_)
            | DivAssign(_)
            | RemAssign(_)
            | BitXorAssign(_)
            | BitAndAssign(_)
            | BitOrAssign(_)
            | ShlAssign(_)
            | ShrAssign(_)
    )
}

/// Methods of a `Vec` that leave it as it is.
const READ_ONLY_METHODS: &[&str] = &[
    "len", "is_empty", "iter", "get", "first", "last", "contains", "to_vec", "clone", "as_slice",
    "windows", "chunks", "split_at", "capacity",
];

/// The methods that change a `Vec` in place (`push` is differentiated; the others are refused
/// on a buffer with an error naming them).
pub const CHANGING_METHODS: &[&str] = &[
    "push",
    "extend_from_slice",
    "copy_from_slice",
    "clone_from_slice",
    "extend",
    "append",
    "insert",
    "remove",
    "swap_remove",
    "pop",
    "clear",
    "truncate",
    "resize",
    "retain",
    "dedup",
    "drain",
    "swap",
    "reverse",
    "rotate_left",
    "rotate_right",
    "sort_by",
    "sort_unstable_by",
];

/// Whether an expression kept as written changes the buffer named `buffer` (`b.fill(0.0)`,
/// `b.clear()`, `&mut b`): any method but the read-only ones counts.
pub fn mutates_buffer(expr: &syn::Expr, buffer: &proc_macro2::Ident) -> bool {
    struct Finder<'a> {
        buffer: &'a proc_macro2::Ident,
        found: bool,
    }
    impl<'ast> syn::visit::Visit<'ast> for Finder<'_> {
        fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
            let on_buffer =
                matches!(&*m.receiver, syn::Expr::Path(p) if p.path.is_ident(self.buffer));
            if on_buffer && !READ_ONLY_METHODS.contains(&m.method.to_string().as_str()) {
                self.found = true;
            }
            syn::visit::visit_expr_method_call(self, m);
        }
        fn visit_expr_reference(&mut self, r: &'ast syn::ExprReference) {
            if r.mutability.is_some()
                && matches!(&*r.expr, syn::Expr::Path(p) if p.path.is_ident(self.buffer))
            {
                self.found = true;
            }
            syn::visit::visit_expr_reference(self, r);
        }
    }
    let mut finder = Finder { buffer, found: false };
    syn::visit::Visit::visit_expr(&mut finder, expr);
    finder.found
}

/// The names `body` writes element by element.
pub fn element_writes(body: &syn::Block) -> HashSet<String> {
    struct Finder(HashSet<String>);
    impl Finder {
        fn note(&mut self, place: &syn::Expr) {
            if let syn::Expr::Index(ix) = place
                && let syn::Expr::Path(p) = &*ix.expr
                && let Some(id) = p.path.get_ident()
            {
                self.0.insert(id.to_string());
            }
        }
    }
    impl<'a> syn::visit::Visit<'a> for Finder {
        fn visit_expr_assign(&mut self, a: &'a syn::ExprAssign) {
            self.note(&a.left);
            syn::visit::visit_expr_assign(self, a);
        }
        fn visit_expr_binary(&mut self, b: &'a syn::ExprBinary) {
            if crate::syntax::is_compound(&b.op) {
                self.note(&b.left);
            }
            syn::visit::visit_expr_binary(self, b);
        }
        fn visit_expr_method_call(&mut self, m: &'a syn::ExprMethodCall) {
            // `push`, and the methods that change a `Vec` otherwise (a buffer changed by one of
            // them gets the lowering's error saying so, not a type error).
            if crate::syntax::CHANGING_METHODS.contains(&m.method.to_string().as_str())
                && let syn::Expr::Path(p) = &*m.receiver
                && let Some(id) = p.path.get_ident()
            {
                self.0.insert(id.to_string());
            }
            syn::visit::visit_expr_method_call(self, m);
        }
    }
    let mut finder = Finder(HashSet::new());
    syn::visit::Visit::visit_block(&mut finder, body);
    finder.0
}

/// Whether an expression is pure and cheap, so that evaluating it again (once per element
/// instead of once, or once more to read an element already read) changes nothing: literals,
/// names, fields, arithmetic, casts, `.len()`, `.min(..)`, `.max(..)`, `.saturating_sub(..)`,
/// `.div_ceil(..)`, and `.windows(n)`, `.chunks(n)`, `.chunks_exact(n)` (whose `.len()` counts).
pub fn is_simple(e: &Expr) -> bool {
    match e {
        Expr::Lit(_) | Expr::Path(_) => true,
        Expr::Field(f) => is_simple(&f.base),
        Expr::Paren(p) => is_simple(&p.expr),
        Expr::Cast(c) => is_simple(&c.expr),
        Expr::Binary(b) => is_simple(&b.left) && is_simple(&b.right),
        Expr::Unary(u) => is_simple(&u.expr),
        Expr::MethodCall(m) => {
            let method = m.method.to_string();
            let arity = match method.as_str() {
                "len" => 0,
                // integer arithmetic, and the counting adapters the desugaring writes
                // (`x.windows(2).len()`)
                "min" | "max" | "saturating_sub" | "div_ceil" | "windows" | "chunks"
                | "chunks_exact" => 1,
                _ => return false,
            };
            m.args.len() == arity && is_simple(&m.receiver) && m.args.iter().all(is_simple)
        }
        // the runtime's row checks that the table rewrite writes (`__private::row(i, rows)`)
        Expr::Call(c) => {
            matches!(&*c.func, Expr::Path(p)
                if p.path.segments.iter().any(|s| s.ident == "__private")
                    && p.path.segments.last().is_some_and(|s| s.ident == "row" || s.ident == "end_row"))
                && c.args.iter().all(|a| is_simple(a) || matches!(a, Expr::Lit(_)))
        }
        _ => false,
    }
}

//! Control flow as syntax shows it: exits from loops, returns, integer ranges.

use syn::Expr;

/// Whether an expression contains `break` (or, with `continues`, also `continue`) of the
/// enclosing loop: not of a loop nested in it, nor inside a closure.
pub fn leaves_loop(e: &Expr, continues: bool) -> bool {
    struct Finder {
        found: bool,
        continues: bool,
    }
    impl<'a> syn::visit::Visit<'a> for Finder {
        fn visit_expr_break(&mut self, _: &'a syn::ExprBreak) {
            self.found = true;
        }
        fn visit_expr_continue(&mut self, _: &'a syn::ExprContinue) {
            self.found |= self.continues;
        }
        fn visit_expr_closure(&mut self, _: &'a syn::ExprClosure) {}
        fn visit_expr_for_loop(&mut self, f: &'a syn::ExprForLoop) {
            self.visit_expr(&f.expr);
        }
        fn visit_expr_while(&mut self, w: &'a syn::ExprWhile) {
            self.visit_expr(&w.cond);
        }
        fn visit_expr_loop(&mut self, _: &'a syn::ExprLoop) {}
        fn visit_item(&mut self, _: &'a syn::Item) {}
    }
    let mut f = Finder { found: false, continues };
    syn::visit::Visit::visit_expr(&mut f, e);
    f.found
}

/// Whether an expression contains `return` (outside closures, whose returns are their own).
pub fn contains_return(e: &Expr) -> bool {
    find_return(e).is_some()
}

/// The first `return` in `e` (outside closures and items).
pub fn find_return(e: &Expr) -> Option<&syn::ExprReturn> {
    struct Finder<'a>(Option<&'a syn::ExprReturn>);
    impl<'a> syn::visit::Visit<'a> for Finder<'a> {
        fn visit_expr_return(&mut self, r: &'a syn::ExprReturn) {
            self.0 = self.0.or(Some(r));
        }
        fn visit_expr_closure(&mut self, _: &'a syn::ExprClosure) {}
        fn visit_item(&mut self, _: &'a syn::Item) {}
    }
    let mut f = Finder(None);
    syn::visit::Visit::visit_expr(&mut f, e);
    f.0
}

/// Whether an iterator expression is an integer range, possibly reversed or stepped: such a
/// loop can be walked backwards by `.rev()` instead of storing its indices.
pub fn is_range(e: &Expr) -> bool {
    match e {
        Expr::Range(r) => r.start.is_some() && r.end.is_some(),
        Expr::Paren(p) => is_range(&p.expr),
        Expr::MethodCall(m) if m.method == "rev" || m.method == "step_by" => is_range(&m.receiver),
        _ => false,
    }
}

/// `e`, in parentheses when it begins with a block-like expression that is not all of it
/// (`{ .. } * v`, `if c { a } else { b } + 1.0`): printed at the start of a statement or of a
/// `match` arm, such an expression would be read back as the block, then the rest. The rewrite
/// stage puts closure bodies and `break` values there.
pub fn parenthesized_if_ambiguous(e: Expr) -> Expr {
    fn block_like(e: &Expr) -> bool {
        matches!(
            e,
            Expr::Block(_)
                | Expr::If(_)
                | Expr::Match(_)
                | Expr::Loop(_)
                | Expr::While(_)
                | Expr::ForLoop(_)
                | Expr::Unsafe(_)
                | Expr::Const(_)
                | Expr::TryBlock(_)
        )
    }
    fn leftmost(e: &Expr) -> &Expr {
        match e {
            Expr::Binary(b) => leftmost(&b.left),
            Expr::MethodCall(m) => leftmost(&m.receiver),
            Expr::Field(f) => leftmost(&f.base),
            Expr::Index(i) => leftmost(&i.expr),
            Expr::Cast(c) => leftmost(&c.expr),
            Expr::Call(c) => leftmost(&c.func),
            Expr::Try(t) => leftmost(&t.expr),
            Expr::Assign(a) => leftmost(&a.left),
            Expr::Range(r) => r.start.as_deref().map_or(e, leftmost),
            e => e,
        }
    }
    if !block_like(&e) && block_like(leftmost(&e)) { syn::parse_quote!((#e)) } else { e }
}

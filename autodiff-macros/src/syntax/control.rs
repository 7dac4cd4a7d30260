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

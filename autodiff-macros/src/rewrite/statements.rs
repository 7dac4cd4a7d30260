//! Assignments written where Rust allows a value of `()`, as statements (rustfmt leaves
//! `if c { s = x } else { s = -x }` and `match k { 0 => s += 1.0, _ => s *= 2.0 }` so):
//!
//! ```text
//! { ..; s = x }        =>   { ..; s = x; }
//! 0 => s += 1.0,       =>   0 => { s += 1.0; }
//! ```

use syn::visit_mut::{self, VisitMut};
use syn::{Expr, Stmt, parse_quote};

/// Rewrites the assignments of `block` in value position into statements.
pub fn rewrite(block: &mut syn::Block) {
    Statements.visit_block_mut(block);
}

/// Whether `e` assigns (`a = b`, `a += b`, ..).
fn assigns(e: &Expr) -> bool {
    match e {
        Expr::Assign(_) => true,
        Expr::Binary(b) => crate::syntax::is_compound(&b.op),
        _ => false,
    }
}

struct Statements;

impl VisitMut for Statements {
    fn visit_block_mut(&mut self, b: &mut syn::Block) {
        visit_mut::visit_block_mut(self, b);
        if let Some(Stmt::Expr(e, semi @ None)) = b.stmts.last_mut()
            && assigns(e)
        {
            *semi = Some(Default::default());
        }
    }

    fn visit_arm_mut(&mut self, arm: &mut syn::Arm) {
        visit_mut::visit_arm_mut(self, arm);
        if assigns(&arm.body) {
            let body = &arm.body;
            *arm.body = parse_quote!({ #body; });
            arm.comma = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use quote::ToTokens;

    #[test]
    fn assignments_in_value_position_become_statements() {
        let mut body: syn::Block = syn::parse_quote!({
            if x > 0.0 {
                s = x * x
            } else {
                s = -x
            }
            match k {
                0 => s += 1.0,
                _ => s *= 2.0,
            }
            s
        });
        super::rewrite(&mut body);
        let text = body.to_token_stream().to_string();
        assert!(text.contains("{ s = x * x ; } else { s = - x ; }"), "{text}");
        assert!(text.contains("0 => { s += 1.0 ; } _ => { s *= 2.0 ; }"), "{text}");
    }
}

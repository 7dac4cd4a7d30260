//! Which code may run twice: expressions that could observe a second run (a random number
//! generator's draw), and what code may change in place.

use super::is_compound;
use crate::rules;
use std::collections::HashSet;
use syn::visit::{self, Visit};
use syn::{Expr, Pat};

/// Whether running `e` a second time could see or change state that the IR does not hold:
/// a call of a function or method not known to be pure (a random number generator's
/// `rng.normal()`, a counter's `c.next()`, a user's helper, `detach(..)`/`no_grad(|| ..)` of
/// such code), a macro other than `vec!`, an assignment, a `&mut` borrow, `await`.
///
/// Reverse mode recomputes an inactive expression only when this is false; otherwise the
/// forward sweep keeps its value (DESIGN.md: "Nothing runs twice that can observe it").
///
/// ```text
/// i * d + j, x.len(), n as f64, data[i], detach(y), f64::from(k), vec![0.0; n]   -> false
/// c.next(), rng.normal(), draw(&mut state), weight(i), no_grad(|| rng.normal())   -> true
/// ```
pub fn observes(e: &Expr) -> bool {
    let mut v = Observes(false);
    v.visit_expr(e);
    v.0
}

/// [`observes`] for the expressions inside a pattern (a `match` arm's guard).
pub fn pattern_observes(p: &Pat) -> bool {
    let mut v = Observes(false);
    v.visit_pat(p);
    v.0
}

struct Observes(bool);

impl<'a> Visit<'a> for Observes {
    fn visit_expr_call(&mut self, c: &'a syn::ExprCall) {
        let pure = match &*c.func {
            Expr::Path(p) if p.qself.is_none() => pure_function(&p.path),
            _ => false,
        };
        self.0 |= !pure;
        visit::visit_expr_call(self, c);
    }

    fn visit_expr_method_call(&mut self, m: &'a syn::ExprMethodCall) {
        self.0 |= !pure_method(&m.method.to_string(), 1 + m.args.len());
        visit::visit_expr_method_call(self, m);
    }

    fn visit_macro(&mut self, m: &'a syn::Macro) {
        // `vec![e; n]` and `vec![a, b]`: their contents decide.
        let tokens = &m.tokens;
        match syn::parse2::<Expr>(quote::quote!([#tokens])) {
            Ok(e) if m.path.is_ident("vec") => self.visit_expr(&e),
            _ => self.0 = true,
        }
    }

    fn visit_expr_assign(&mut self, _: &'a syn::ExprAssign) {
        self.0 = true;
    }

    fn visit_expr_binary(&mut self, b: &'a syn::ExprBinary) {
        self.0 |= is_compound(&b.op);
        visit::visit_expr_binary(self, b);
    }

    fn visit_expr_reference(&mut self, r: &'a syn::ExprReference) {
        self.0 |= r.mutability.is_some();
        visit::visit_expr_reference(self, r);
    }

    fn visit_expr_await(&mut self, _: &'a syn::ExprAwait) {
        self.0 = true;
    }

    fn visit_expr_yield(&mut self, _: &'a syn::ExprYield) {
        self.0 = true;
    }
}

/// The names an expression may change in place.
#[derive(Default)]
pub struct Changes {
    /// Changed for certain, or through a method that may change its receiver: assigned places
    /// (`a[i] = ..`, `n += 1`), `&mut` operands, receivers of methods not known to leave them
    /// as they were (`v.extend(..)`, `rng.normal()`), each by the name at its root.
    pub places: HashSet<String>,
    /// Names passed to a function not known to be pure: changed when they hold a `&mut`
    /// (`uniform(state)` of `state: &mut u64`), which only their type tells.
    pub passed: HashSet<String>,
}

/// What `e` may change in place (see [`Changes`]).
///
/// ```text
/// v.extend(w)       places {v}        rng.normal()        places {rng}
/// draw(&mut s, k)   places {s}, passed {k}    x.len(), data[i] * 2.0    nothing
/// ```
pub fn changes(e: &Expr) -> Changes {
    struct Finder(Changes);
    impl Finder {
        fn root(&mut self, e: &Expr) {
            match e {
                Expr::Path(p) => {
                    if let Some(i) = p.path.get_ident() {
                        self.0.places.insert(i.to_string());
                    }
                }
                Expr::Field(f) => self.root(&f.base),
                Expr::Index(ix) => self.root(&ix.expr),
                Expr::Paren(p) => self.root(&p.expr),
                Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => self.root(&u.expr),
                _ => {}
            }
        }
    }
    impl<'a> Visit<'a> for Finder {
        fn visit_expr_method_call(&mut self, m: &'a syn::ExprMethodCall) {
            if !pure_method(&m.method.to_string(), 1 + m.args.len()) {
                self.root(&m.receiver);
            }
            visit::visit_expr_method_call(self, m);
        }
        fn visit_expr_call(&mut self, c: &'a syn::ExprCall) {
            let pure =
                matches!(&*c.func, Expr::Path(p) if p.qself.is_none() && pure_function(&p.path));
            if !pure {
                for a in &c.args {
                    if let Expr::Path(p) = a
                        && let Some(i) = p.path.get_ident()
                    {
                        self.0.passed.insert(i.to_string());
                    }
                }
            }
            visit::visit_expr_call(self, c);
        }
        fn visit_expr_reference(&mut self, r: &'a syn::ExprReference) {
            if r.mutability.is_some() {
                self.root(&r.expr);
            }
            visit::visit_expr_reference(self, r);
        }
        fn visit_expr_assign(&mut self, a: &'a syn::ExprAssign) {
            self.root(&a.left);
            visit::visit_expr_assign(self, a);
        }
        fn visit_expr_binary(&mut self, b: &'a syn::ExprBinary) {
            if is_compound(&b.op) {
                self.root(&b.left);
            }
            visit::visit_expr_binary(self, b);
        }
    }
    let mut f = Finder(Changes::default());
    f.visit_expr(e);
    f.0
}

/// Functions whose result depends on their arguments alone: associated functions of numbers
/// (`f64::from`, `usize::min`), of std's and nalgebra's containers (`Vec::with_capacity`,
/// `DVector::zeros`), `std::cmp`'s, constructors of tuple structs and variants (`Some(x)`), and
/// `detach`/`no_grad` (their argument decides). A user's function may keep state: not pure.
fn pure_function(path: &syn::Path) -> bool {
    let segs: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
    let Some(last) = segs.last() else { return false };
    // (and the runtime's helpers, which generated code calls)
    if matches!(last.as_str(), "detach" | "no_grad") || segs.iter().any(|s| s == "__private") {
        return true;
    }
    if segs.len() == 1 {
        return last.starts_with(|c: char| c.is_ascii_uppercase());
    }
    let owner = segs[segs.len() - 2].as_str();
    const OWNERS: &[&str] = &[
        "f32", "f64", "i8", "i16", "i32", "i64", "i128", "isize", "u8", "u16", "u32", "u64",
        "u128", "usize", "bool", "char", "cmp", "Vec", "String", "Box", "Rc", "Arc", "Option",
        "Tensor", "DVector", "DMatrix", "Complex",
    ];
    const ALGEBRA: &[&str] =
        &["Vector", "RowVector", "Matrix", "SVector", "SMatrix", "Point", "Unit", "Rotation"];
    OWNERS.contains(&owner)
        || ALGEBRA.iter().any(|t| owner.starts_with(t))
        || owner.starts_with(|c: char| c.is_ascii_uppercase()) && last == "default"
}

/// Methods that leave their receiver as it was and read nothing else: every method of the
/// rule table (on inactive values too), the inactive float methods, and std's reading methods
/// of numbers, slices, options and iterators. `next`, `push`, `sort`, a random number
/// generator's `normal` or any method of a user's type: not pure.
fn pure_method(name: &str, operands: usize) -> bool {
    const READING: &[&str] = &[
        // numbers
        "abs",
        "min",
        "max",
        "clamp",
        "pow",
        "signum",
        "rem_euclid",
        "div_euclid",
        "to_bits",
        "wrapping_add",
        "wrapping_sub",
        "wrapping_mul",
        "saturating_sub",
        "saturating_add",
        "checked_sub",
        "checked_add",
        "checked_div",
        "div_ceil",
        "is_power_of_two",
        "count_ones",
        "leading_zeros",
        "trailing_zeros",
        "to_degrees",
        "to_radians",
        // sequences and options
        "get",
        "first",
        "last",
        "contains",
        "starts_with",
        "ends_with",
        "iter",
        "windows",
        "chunks",
        "chunks_exact",
        "as_slice",
        "as_ref",
        "to_vec",
        "to_owned",
        "clone",
        "unwrap",
        "unwrap_or",
        "expect",
        "is_some",
        "is_none",
        "is_ok",
        "is_err",
        "ok",
        "copied",
        "cloned",
        "nrows",
        "ncols",
        "shape",
        "rows",
        "columns",
        "column",
        "row",
        "transpose",
        "dot",
        "norm",
        "norm_squared",
        "into",
        // iterator adapters and reductions (the closures they take are visited too)
        "map",
        "filter",
        "zip",
        "enumerate",
        "rev",
        "step_by",
        "skip",
        "take",
        "chain",
        "sum",
        "product",
        "fold",
        "count",
        "any",
        "all",
        "position",
        "find",
        "collect",
        "min_by",
        "max_by",
        "into_iter",
    ];
    READING.contains(&name)
        || rules::INACTIVE_METHODS.contains(&name)
        || rules::method(name, operands).is_some()
        || rules::tensor_method(name, operands).is_some()
        || rules::algebra_method(name, operands).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;
    use syn::parse_quote;

    #[test]
    fn pure_expressions_can_be_run_again() {
        let pure: [Expr; 9] = [
            parse_quote!(i * d + j),
            parse_quote!(x.len() as f64),
            parse_quote!(data[i].sin()),
            parse_quote!(detach(y * 2.0)),
            parse_quote!(f64::from(k)),
            parse_quote!(vec![0.0; n]),
            parse_quote!(Vec::with_capacity(n)),
            parse_quote!(Some(x.iter().map(|v| v * v).sum::<f64>())),
            parse_quote!(usize::min(a, b)),
        ];
        for e in &pure {
            assert!(!observes(e), "{}", quote::quote!(#e));
        }
    }

    #[test]
    fn calls_that_may_keep_state_cannot() {
        let observing: [Expr; 8] = [
            parse_quote!(c.next()),
            parse_quote!(rng.normal() * sigma),
            parse_quote!(draw(&mut state)),
            parse_quote!(weight(i)),
            parse_quote!(no_grad(|| rng.normal())),
            parse_quote!(detach(noise.sample())),
            parse_quote!(v.pop().unwrap_or(0.0)),
            parse_quote!(vec![rng.uniform(); n]),
        ];
        for e in &observing {
            assert!(observes(e), "{}", quote::quote!(#e));
        }
        let guarded: Pat = parse_quote!(k if rng.uniform() < 0.5);
        assert!(pattern_observes(&guarded));
    }

    #[test]
    fn changes_name_the_roots_of_what_may_change() {
        let names = |e: Expr| {
            let c = changes(&e);
            let mut places: Vec<String> = c.places.into_iter().collect();
            let mut passed: Vec<String> = c.passed.into_iter().collect();
            places.sort();
            passed.sort();
            (places, passed)
        };
        let none: Vec<String> = Vec::new();
        assert_eq!(names(parse_quote!(x.len() + data[i])), (none.clone(), none.clone()));
        assert_eq!(names(parse_quote!(rng.normal())), (vec!["rng".into()], none.clone()));
        assert_eq!(names(parse_quote!(m.w[0].push(1))), (vec!["m".into()], none.clone()));
        assert_eq!(
            names(parse_quote!(draw(&mut s, k) + f64::from(n))),
            (vec!["s".into()], vec!["k".into()])
        );
        assert_eq!(names(parse_quote!(*state ^= 3)), (vec!["state".into()], none));
    }
}

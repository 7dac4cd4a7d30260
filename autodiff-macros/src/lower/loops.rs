//! Lowering loops: `for` over ranges and iterators, `while`, `loop`, with `break`/`continue`.
//!
//! A variable the body reassigns is *carried*: it has a value before the loop (`init`), at the
//! start of each iteration (`phi`) and after the loop (`out`). Whether `phi` depends on an
//! active parameter depends on the body, so the body is lowered again when an iteration turns
//! out to make a carried value varied (a fixpoint; each carried variable can change once).

use super::block::Cont;
use super::context::Lowerer;
use super::rename::rename;
use crate::diagnostics::problems;
use crate::ir::{Carried, Loop, LoopHead, Node, Operand, Var};
use crate::kind::Kind;
use crate::syntax::find_return;
use std::rc::Rc;
use syn::{Expr, Pat};

/// The variable an assignment changes: `x` in `x = ..` and in `x[i] = ..` (arrays are values).
fn place_name(place: &Expr) -> Option<String> {
    match place {
        Expr::Path(p) => p.path.get_ident().map(ToString::to_string),
        Expr::Index(ix) => place_name(&ix.expr),
        Expr::Paren(p) => place_name(&p.expr),
        _ => None,
    }
}

/// The names a block assigns to (`x = ..`, `x += ..`, `x[i] = ..`), nested blocks and loops
/// included.
fn assigned_names(block: &syn::Block) -> Vec<String> {
    struct Finder(Vec<String>);
    impl<'a> syn::visit::Visit<'a> for Finder {
        fn visit_expr_assign(&mut self, a: &'a syn::ExprAssign) {
            self.0.extend(place_name(&a.left));
            syn::visit::visit_expr_assign(self, a);
        }
        fn visit_expr_binary(&mut self, b: &'a syn::ExprBinary) {
            if crate::syntax::is_compound(&b.op) {
                self.0.extend(place_name(&b.left));
            }
            syn::visit::visit_expr_binary(self, b);
        }
        fn visit_expr_closure(&mut self, _: &'a syn::ExprClosure) {}
        fn visit_item(&mut self, _: &'a syn::Item) {}
    }
    let mut f = Finder(Vec::new());
    syn::visit::Visit::visit_block(&mut f, block);
    let mut names = Vec::new();
    for n in f.0 {
        if !names.contains(&n) {
            names.push(n);
        }
    }
    names
}

/// Whether a block contains `break` for its own loop.
fn contains_break(block: &syn::Block) -> bool {
    block.stmts.iter().any(|s| match s {
        syn::Stmt::Expr(e, _) => crate::syntax::leaves_loop(e, false),
        syn::Stmt::Local(l) => {
            l.init.as_ref().is_some_and(|i| crate::syntax::leaves_loop(&i.expr, false))
        }
        _ => false,
    })
}

/// Whether an iterator expression's items are windows or chunks of a sequence.
fn yields_windows(e: &Expr) -> bool {
    match e {
        Expr::MethodCall(m) => {
            matches!(m.method.to_string().as_str(), "windows" | "chunks" | "chunks_exact")
                || yields_windows(&m.receiver)
                || m.args.iter().any(yields_windows)
        }
        Expr::Paren(p) => yields_windows(&p.expr),
        Expr::Reference(r) => yields_windows(&r.expr),
        _ => false,
    }
}

/// Whether an iterator expression's items are places to write (`b.iter_mut()`, `&mut b`).
fn yields_places(e: &Expr) -> bool {
    match e {
        Expr::MethodCall(m) => {
            m.method == "iter_mut" || yields_places(&m.receiver) || m.args.iter().any(yields_places)
        }
        Expr::Paren(p) => yields_places(&p.expr),
        Expr::Reference(r) => r.mutability.is_some() || yields_places(&r.expr),
        _ => false,
    }
}

/// A loop's head before its body is lowered.
enum Source<'s> {
    For { pat: &'s Pat, iter: Expr, range: bool },
    While(&'s Expr),
    Loop,
}

impl<'s> Lowerer<'_> {
    /// Lowers a `for`, `while` or `loop` statement.
    pub fn lower_loop(&mut self, e: &'s Expr) {
        let (label, body) = match e {
            Expr::ForLoop(f) => (&f.label, &f.body),
            Expr::While(w) => (&w.label, &w.body),
            Expr::Loop(l) => (&l.label, &l.body),
            _ => return,
        };
        if let Some(l) = label {
            self.errors.error(
                l,
                "this labelled loop cannot be differentiated: a loop used as a value exits to it",
                "`break 'a;` and `continue 'a;` work from loop statements; leave a loop used as a value with a plain `break v`, set a flag, and test it after that loop",
            );
            return;
        }
        if let Some(r) = find_return(e) {
            self.errors.error(r, problems::RETURN_IN_LOOP.message, problems::RETURN_IN_LOOP.help);
            return;
        }
        let mut head_uses = Vec::new();
        let source = match e {
            Expr::ForLoop(f) => {
                let r = rename(&f.expr, &self.env, &self.vars);
                let range = crate::syntax::is_range(&f.expr);
                if yields_places(&f.expr) {
                    // The desugaring left it as written: the body used an item otherwise.
                    self.errors.error(
                        &f.expr,
                        "a `for` loop over places (`iter_mut()`) cannot be differentiated when an item is used other than as `*v`",
                        "read and write each item as `*v` only (`*v = *v * 2.0;`), or loop over indices: `for i in 0..b.len() { b[i] = .. }`",
                    );
                    return;
                }
                // A range's bounds are integers, inactive even when computed from active data
                // (`0..x.len() - 1`); other iterators over active values are not supported yet.
                if (r.mutates_local || r.has_macro) || (r.mentions_varied && !range) {
                    let help = if yields_windows(&f.expr) {
                        // The desugaring left it as written: the body used a window otherwise.
                        "a window or chunk of an active slice can only be indexed (`w[0]`), asked its `.len()` and iterated (`w.iter()`) here, in a body that does not bind the names the iterator reads again (`let x = ..`); write other uses with indices: `for k in 0..w.len() { .. w[k] .. }`"
                    } else {
                        "loop over indices instead: `for i in 0..x.len() { let xi = x[i]; .. }`"
                    };
                    self.errors.error(
                        &f.expr,
                        "a `for` loop over values that depend on an active parameter cannot be differentiated yet",
                        help,
                    );
                    return;
                }
                head_uses = r.uses;
                Source::For { pat: &f.pat, iter: r.expr, range }
            }
            Expr::While(w) if matches!(&*w.cond, Expr::Let(_)) => {
                self.errors.error(
                    &w.cond,
                    "`while let` cannot be differentiated",
                    "use `loop` with `match` and `break`",
                );
                return;
            }
            Expr::While(w) => Source::While(&w.cond),
            _ => Source::Loop,
        };
        let carried: Vec<String> = assigned_names(body)
            .into_iter()
            .filter(|n| {
                self.env.lookup(n).is_some_and(|b| !b.active_param && !self.vars[b.var.0].buffer)
            })
            .collect();
        let exits = contains_break(body);
        let mut forced = vec![false; carried.len()];
        // A carried value whose start tells nothing of its kind (a placeholder declared before
        // the loop) takes the kind of what the body assigns it, found the same way.
        let mut kinds: Vec<Option<Kind>> = vec![None; carried.len()];
        let checkpoint = self.checkpoint();
        loop {
            let inits: Vec<Operand> = carried
                .iter()
                .map(|n| self.env.lookup(n).map_or_else(Self::unit, |b| Operand::Var(b.var)))
                .collect();
            let phis: Vec<Var> = carried
                .iter()
                .zip(&inits)
                .zip(forced.iter().zip(&kinds))
                .map(|((n, init), (forced, forced_kind))| {
                    let kind = forced_kind.unwrap_or_else(|| self.kind(init));
                    let varied = self.varied(init) || *forced;
                    let phi = self.new_var(n, kind, varied);
                    if let Some(from) = init.var() {
                        self.inherit_array_type(from, phi);
                    }
                    phi
                })
                .collect();
            self.env.push();
            let mut uses = head_uses.clone();
            let first_bound = self.vars.len();
            let pattern = match &source {
                Source::For { pat, range, .. } => {
                    let mut pat = (*pat).clone();
                    let kind = if *range { Kind::Int } else { Kind::Unknown };
                    self.rename_bindings(&mut pat, &mut uses, kind);
                    Some(pat)
                }
                _ => None,
            };
            let bound: Vec<Var> = (first_bound..self.vars.len()).map(Var).collect();
            for (n, phi) in carried.iter().zip(&phis) {
                self.env.assign(n, *phi);
            }
            let head = match &source {
                Source::For { iter, range: true, .. } => LoopHead::Range {
                    pat: pattern.clone().unwrap_or(Pat::Verbatim(Default::default())),
                    iter: iter.clone(),
                },
                Source::For { iter, .. } => LoopHead::Iter {
                    pat: pattern.clone().unwrap_or(Pat::Verbatim(Default::default())),
                    iter: iter.clone(),
                },
                Source::While(cond) => match self.inactive_expr(cond, "a `while` condition") {
                    Some((c, u)) => {
                        uses.extend(u);
                        LoopHead::While(c)
                    }
                    None => LoopHead::Loop,
                },
                Source::Loop => LoopHead::Loop,
            };
            let saved = self.enter_block();
            let cont = Cont::LoopBody { carried: Rc::new(carried.clone()), exits };
            let yields = self.lower_loop_body(body, &cont);
            let body_nodes = self.leave_block(saved);
            self.env.pop();
            let mut again = false;
            for (j, phi) in phis.iter().enumerate() {
                if yields.get(j).is_some_and(|y| self.varied(y)) && !self.vars[phi.0].varied {
                    forced[j] = true;
                    again = true;
                }
                let assigned = yields.get(j).map_or(Kind::Unknown, |y| self.kind(y));
                if self.vars[phi.0].kind == Kind::Unknown && assigned != Kind::Unknown {
                    kinds[j] = Some(assigned);
                    again = true;
                }
            }
            if again {
                self.restore(&checkpoint);
                continue;
            }
            let mut items = Vec::new();
            for ((n, init), phi) in carried.iter().zip(inits).zip(&phis) {
                let info = &self.vars[phi.0];
                let (kind, varied) = (info.kind, info.varied);
                let out = self.new_var(n, kind, varied);
                self.inherit_array_type(*phi, out);
                self.env.assign(n, out);
                items.push(Carried { init, phi: *phi, out });
            }
            let id = self.branch_id();
            let body = crate::ir::Block { nodes: body_nodes, yields };
            self.nodes.push(Node::Loop(Loop {
                id,
                head,
                bound,
                carried: items,
                body,
                exits,
                uses,
            }));
            return;
        }
    }
}

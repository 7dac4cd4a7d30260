//! Lowering sequences of statements: blocks, where control goes when they end (a value, the
//! function's result, a loop's next iteration), and early `return`, `break`, `continue`.
//!
//! Early returns are lowered by moving "the rest of the function" into each arm of the branch
//! that contains them (continuation passing): `if c { return a; } rest` becomes
//! `if c { a } else { rest }`, whose value is the function's result. The work list below makes
//! this one loop: an arm's statements are followed by the statements after the branch.

use super::branches::ArmBody;
use super::context::Lowerer;
use crate::diagnostics::{Site, problems};
use crate::ir::{Arm, Block, Branch, Node, Operand, Var};
use crate::kind::Kind;
use crate::syntax::{contains_return, find_return, leaves_loop};
use std::rc::Rc;
use syn::{Expr, Stmt};

/// One step of lowering a sequence of statements.
#[derive(Clone, Copy)]
pub enum Work<'s> {
    /// A statement.
    Stmt(&'s Stmt),
    /// A block's final expression (its value, if nothing but scope ends follows it).
    Tail(&'s Expr),
    /// A block opens a scope.
    Enter,
    /// A block closes its scope.
    Exit,
}

/// The work list of a block's statements, its scope included.
pub(super) fn block_work(block: &syn::Block) -> Vec<Work<'_>> {
    let mut work = vec![Work::Enter];
    for (i, stmt) in block.stmts.iter().enumerate() {
        match stmt {
            Stmt::Expr(e, None) if i + 1 == block.stmts.len() => work.push(Work::Tail(e)),
            s => work.push(Work::Stmt(s)),
        }
    }
    work.push(Work::Exit);
    work
}

/// Where a sequence of statements goes when it ends, and so what it yields.
#[derive(Clone)]
pub enum Cont {
    /// A block in value position: its value.
    Value,
    /// The end of the function: its result; `return` is lowered here.
    Function,
    /// The end of a loop body: the next value of each carried variable (by name) and, when the
    /// loop can be left by `break`, whether to go on; `break` and `continue` are lowered here.
    LoopBody {
        /// The names of the carried variables.
        carried: Rc<Vec<String>>,
        /// Whether the body contains `break`.
        exits: bool,
    },
}

impl<'s> Lowerer<'_> {
    /// Lowers the function body; returns the function's result.
    pub fn lower_fn_body(&mut self, block: &'s syn::Block) -> Operand {
        let mut work = block_work(block);
        // The parameters' scope is the function's outermost; the body needs no scope of its own.
        work.remove(0);
        work.pop();
        self.lower_seq(&work, &Cont::Function).pop().unwrap_or_else(Self::unit)
    }

    /// Lowers a block in value position; returns its value.
    pub fn lower_block_value(&mut self, block: &'s syn::Block) -> Operand {
        self.lower_seq(&block_work(block), &Cont::Value).pop().unwrap_or_else(Self::unit)
    }

    /// Lowers a loop body; returns its yields (see [`Cont::LoopBody`]).
    pub fn lower_loop_body(&mut self, block: &'s syn::Block, cont: &Cont) -> Vec<Operand> {
        self.lower_seq(&block_work(block), cont)
    }

    /// What a sequence yields when control reaches its end (`go_on` for a loop body).
    pub(super) fn end_yields(&mut self, cont: &Cont, go_on: bool) -> Vec<Operand> {
        match cont {
            Cont::Value | Cont::Function => vec![Self::unit()],
            Cont::LoopBody { carried, exits } => {
                let mut ys: Vec<Operand> = carried
                    .iter()
                    .map(|name| match self.env.lookup(name) {
                        Some(b) => Operand::Var(b.var),
                        None => Self::unit(),
                    })
                    .collect();
                if *exits {
                    ys.push(Operand::Const(if go_on {
                        syn::parse_quote!(true)
                    } else {
                        syn::parse_quote!(false)
                    }));
                }
                ys
            }
        }
    }

    /// Lowers a work list; returns what it yields to `cont`.
    pub(super) fn lower_seq(&mut self, work: &[Work<'s>], cont: &Cont) -> Vec<Operand> {
        for (i, w) in work.iter().enumerate() {
            let rest = &work[i + 1..];
            match *w {
                Work::Enter => self.env.push(),
                Work::Exit => self.env.pop(),
                Work::Stmt(Stmt::Local(local)) => self.lower_let(local),
                Work::Stmt(Stmt::Item(item)) => self.items.push(item.clone()),
                Work::Stmt(Stmt::Macro(m)) => {
                    if !self.lower_check(&m.mac) {
                        self.unsupported_macro(&m.mac);
                    }
                }
                Work::Stmt(Stmt::Expr(e, _)) => {
                    if let Some(ys) = self.lower_divergent(e, rest, cont) {
                        return ys;
                    }
                    self.lower_stmt_expr(e);
                }
                Work::Tail(e) => {
                    if let Some(ys) = self.lower_divergent(e, rest, cont) {
                        return ys;
                    }
                    let last = rest.iter().all(|w| matches!(w, Work::Exit));
                    // A loop in tail position is a statement: its value is `()`.
                    let is_loop = matches!(e, Expr::ForLoop(_) | Expr::While(_) | Expr::Loop(_));
                    if last && !is_loop && !matches!(cont, Cont::LoopBody { .. }) {
                        let value = self.lower_expr(e);
                        rest.iter().for_each(|_| self.env.pop());
                        return vec![value];
                    }
                    self.lower_stmt_expr(e);
                }
            }
        }
        self.end_yields(cont, true)
    }

    /// If `e` leaves the sequence (`return`, `break`, `continue`, or a branch containing one),
    /// lowers it with `rest` as its continuation and gives what the sequence yields.
    pub(super) fn lower_divergent(
        &mut self,
        e: &'s Expr,
        rest: &[Work<'s>],
        cont: &Cont,
    ) -> Option<Vec<Operand>> {
        let returns = contains_return(e);
        let jumps = leaves_loop(e, true);
        if !returns && !jumps {
            return None;
        }
        if returns && !matches!(cont, Cont::Function) {
            let help = match cont {
                Cont::LoopBody { .. } => problems::RETURN_IN_LOOP.help,
                _ => problems::RETURN_FROM_A_STATEMENT,
            };
            return Some(vec![self.fail(
                e,
                "`return` here cannot be differentiated: only statements of the function body and of its branches may return",
                help,
            )]);
        }
        if jumps && !matches!(cont, Cont::LoopBody { .. }) {
            return Some(vec![self.fail(
                e,
                "`break` or `continue` inside a value cannot be differentiated",
                "use `break`/`continue` as statements of the loop body or of its branches",
            )]);
        }
        match e {
            Expr::Return(r) => Some(vec![match &r.expr {
                Some(v) => self.lower_expr(v),
                None => Self::unit(),
            }]),
            Expr::Break(b) if b.label.is_none() && b.expr.is_none() => Some(self.end_yields(cont, false)),
            Expr::Continue(c) if c.label.is_none() => Some(self.end_yields(cont, true)),
            Expr::Break(_) | Expr::Continue(_) => Some(vec![self.fail(
                e,
                "labelled `break`/`continue` and `break` with a value cannot be differentiated",
                "use a plain `break` or `continue`, and a variable for the value",
            )]),
            Expr::Paren(p) => self.lower_divergent(&p.expr, rest, cont),
            Expr::Block(b) if b.label.is_none() => {
                let mut work = block_work(&b.block);
                work.extend_from_slice(rest);
                Some(self.lower_seq(&work, cont))
            }
            Expr::If(_) | Expr::Match(_) => {
                let (head, uses, arms) = self.branch_arms(e)?;
                let before = self.env.clone();
                let mut lowered = Vec::new();
                let mut uses = uses;
                for (pat, body) in arms {
                    self.env = before.clone();
                    self.env.push();
                    let pat = pat.map(|p| self.bind_pattern(&p, &mut uses));
                    let saved = self.enter_block();
                    let mut work = Vec::new();
                    match body {
                        ArmBody::Block(b) => work.extend(block_work(b)),
                        ArmBody::Expr(x) => work.push(Work::Tail(x)),
                        ArmBody::Empty => {}
                    }
                    work.push(Work::Exit);
                    work.extend_from_slice(rest);
                    let yields = self.lower_seq(&work, cont);
                    let nodes = self.leave_block(saved);
                    lowered.push(Arm { pat, body: Block { nodes, yields } });
                }
                self.env = before;
                let names: Vec<String> = match cont {
                    Cont::LoopBody { carried, .. } => carried.iter().cloned().chain(["go".to_string()]).collect(),
                    _ => vec!["result".to_string()],
                };
                let count = lowered.first().map_or(0, |a| a.body.yields.len());
                let outs: Vec<Var> = (0..count)
                    .map(|i| self.merge_outputs(&lowered, i, names.get(i).map_or("t", String::as_str)))
                    .collect();
                let id = self.branch_id();
                let yields = outs.iter().map(|v| Operand::Var(*v)).collect();
                self.nodes.push(Node::Branch(Branch { id, head, arms: lowered, outs, uses }));
                Some(yields)
            }
            Expr::ForLoop(_) | Expr::While(_) | Expr::Loop(_) => Some(vec![self.refuse(
                find_return(e).map_or_else(|| Site::from(e), Site::from),
                &problems::RETURN_IN_LOOP,
            )]),
            _ => Some(vec![self.fail(
                e,
                "`return`, `break` or `continue` inside an expression cannot be differentiated",
                "use them as statements: `if cond { return a; }` at the level of the function body or its branches",
            )]),
        }
    }

    /// Reports a macro call in the body.
    pub fn unsupported_macro(&mut self, mac: &syn::Macro) -> Operand {
        let name = mac.path.segments.last().map(|s| s.ident.to_string()).unwrap_or_default();
        if name == "vec" {
            return self.fail(
                mac,
                "a `Vec` of values that depend on an active parameter cannot be differentiated yet",
                "a `vec!` of floats differentiates (`vec![a, b, c]`, `vec![v; n]`); keep other values in locals of their own (`let p0 = Vector2::new(x, 1.0);`)",
            );
        }
        self.fail(
            &mac.path,
            format!("the macro `{name}!` cannot be differentiated"),
            problems::MACRO_HELP,
        )
    }

    /// Records an inactive expression evaluated as written.
    pub fn opaque(&mut self, expr: Expr, uses: Vec<Var>, kind: Kind) -> Operand {
        let v = self.new_var("t", kind, false);
        self.nodes.push(Node::Opaque { out: v, expr, uses });
        Operand::Var(v)
    }
}

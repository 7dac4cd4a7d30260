//! Lowering statements: `let`, assignment, blocks, branches, and early `return`.
//!
//! Early returns are lowered by moving "the rest of the function" into each arm of the branch
//! that contains them (continuation passing): `if c { return a; } rest` becomes
//! `if c { a } else { rest }`, whose value is the function's result. The work list below makes
//! this one loop: an arm's statements are followed by the statements after the branch.

use super::context::Lowerer;
use super::rename::{pattern_bindings, rename};
use crate::diagnostics::Site;
use crate::ir::{Arm, Block, Branch, Head, Node, Operand, Var};
use crate::kind::Kind;
use crate::syntax::{contains_return, find_return, leaves_loop};
use std::rc::Rc;
use syn::spanned::Spanned;
use syn::{Expr, Pat, Stmt};

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
fn block_work(block: &syn::Block) -> Vec<Work<'_>> {
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

/// An arm as the source writes it: its pattern (for `match` and `if let`) and its code.
type SourceArm<'s> = (Option<Pat>, ArmBody<'s>);

/// What an arm of a branch runs.
pub enum ArmBody<'s> {
    Block(&'s syn::Block),
    Expr(&'s Expr),
    Empty,
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
    fn end_yields(&mut self, cont: &Cont, go_on: bool) -> Vec<Operand> {
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
    fn lower_seq(&mut self, work: &[Work<'s>], cont: &Cont) -> Vec<Operand> {
        for (i, w) in work.iter().enumerate() {
            let rest = &work[i + 1..];
            match *w {
                Work::Enter => self.env.push(),
                Work::Exit => self.env.pop(),
                Work::Stmt(Stmt::Local(local)) => self.lower_let(local),
                Work::Stmt(Stmt::Item(item)) => self.items.push(item.clone()),
                Work::Stmt(Stmt::Macro(m)) => {
                    self.unsupported_macro(&m.mac);
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
    fn lower_divergent(
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
                Cont::LoopBody { .. } => {
                    "write the `return` as a statement of the loop's body or of its branches (`if c { return v; }`, `match k { 0 => return v, .. }`), or `break` and return after the loop"
                }
                _ => {
                    "return from a statement: `if cond { return a; }` at the level of the function body or its branches"
                }
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
            Expr::ForLoop(_) | Expr::While(_) | Expr::Loop(_) => Some(vec![self.fail(
                find_return(e).map_or_else(|| Site::from(e), Site::from),
                "`return` inside a loop cannot be differentiated",
                "write the `return` as a statement of the loop's body or of its branches (`if c { return v; }`, `match k { 0 => return v, .. }`), or `break` and return after the loop",
            )]),
            _ => Some(vec![self.fail(
                e,
                "`return`, `break` or `continue` inside an expression cannot be differentiated",
                "use them as statements: `if cond { return a; }` at the level of the function body or its branches",
            )]),
        }
    }

    /// The value an output of a branch takes: a new value whose kind and activity join the
    /// arms' `yields[index]`.
    fn merge_outputs(&mut self, arms: &[Arm], index: usize, name: &str) -> Var {
        let mut kind: Option<Kind> = None;
        let mut varied = false;
        for arm in arms {
            let y = &arm.body.yields[index];
            varied |= self.varied(y);
            let k = self.kind(y);
            kind = Some(kind.map_or(k, |kk| if kk == k { k } else { kk.join(k) }));
        }
        self.new_var(name, kind.unwrap_or(Kind::Unknown), varied)
    }

    /// Splits an `if`/`if let`/`match` into its head and arms (for `if`, then and else).
    fn branch_arms(&mut self, e: &'s Expr) -> Option<(Head, Vec<Var>, Vec<SourceArm<'s>>)> {
        let else_body = |ei: &'s syn::ExprIf| match &ei.else_branch {
            Some((_, e)) => match &**e {
                Expr::Block(b) => ArmBody::Block(&b.block),
                other => ArmBody::Expr(other),
            },
            None => ArmBody::Empty,
        };
        match e {
            Expr::If(ei) => {
                if let Expr::Let(l) = &*ei.cond {
                    let (scrutinee, uses) =
                        self.inactive_expr(&l.expr, "the scrutinee of `if let`")?;
                    let wild: Pat = syn::parse_quote!(_);
                    let arms = vec![
                        (Some((*l.pat).clone()), ArmBody::Block(&ei.then_branch)),
                        (Some(wild), else_body(ei)),
                    ];
                    Some((Head::Match(scrutinee), uses, arms))
                } else {
                    let (cond, uses) = self.inactive_expr(&ei.cond, "a condition")?;
                    Some((
                        Head::If(cond),
                        uses,
                        vec![(None, ArmBody::Block(&ei.then_branch)), (None, else_body(ei))],
                    ))
                }
            }
            Expr::Match(m) => {
                let (scrutinee, uses) = self.inactive_expr(&m.expr, "the scrutinee of `match`")?;
                let r = rename(&m.expr, &self.env, &self.vars);
                let binds = m.arms.iter().any(|a| {
                    let mut names = Vec::new();
                    pattern_bindings(&a.pat, &mut names);
                    !names.is_empty()
                });
                if r.mentions_varied && (binds || self.infer_kind(&m.expr) == Kind::Float) {
                    self.errors.error(
                        &m.expr,
                        "`match` on a value that depends on an active parameter",
                        "its bindings would be constants and lose their gradient; branch with `if`/`else` on a comparison instead",
                    );
                    return None;
                }
                let arms =
                    m.arms.iter().map(|a| (Some(a.pat.clone()), ArmBody::Expr(&a.body))).collect();
                Some((Head::Match(scrutinee), uses, arms))
            }
            _ => None,
        }
    }

    /// A condition or scrutinee: evaluated as written, never differentiated.
    pub fn inactive_expr(&mut self, e: &Expr, what: &str) -> Option<(Expr, Vec<Var>)> {
        let r = rename(e, &self.env, &self.vars);
        if r.has_return || r.mutates_local || r.has_macro {
            self.errors.error(
                e,
                format!(
                    "{what} of a differentiable function may not return, assign or call a macro"
                ),
                "compute the value in a `let` before the branch",
            );
            return None;
        }
        Some((r.expr, r.uses))
    }

    /// Binds the names of a `match` arm's pattern in the current scope and renames them (and
    /// the names its guard reads).
    pub fn bind_pattern(&mut self, pat: &Pat, uses: &mut Vec<Var>) -> Pat {
        let mut pat = pat.clone();
        uses.extend(super::rename::rename_in_pat(&mut pat, &self.env, &self.vars));
        self.rename_bindings(&mut pat, uses, Kind::Unknown);
        pat
    }

    /// Binds a pattern's names to new values of `kind`, renaming them; guards' reads go to `uses`.
    pub fn rename_bindings(&mut self, pat: &mut Pat, uses: &mut Vec<Var>, kind: Kind) {
        match pat {
            Pat::Ident(p) => {
                let name = p.ident.to_string();
                if super::rename::is_binding_name(&name) {
                    let v = self.new_var(&name, kind, false);
                    self.env.bind(&name, v, false);
                    p.ident = self.vars[v.0].ident.clone();
                }
                if let Some((_, sub)) = &mut p.subpat {
                    self.rename_bindings(sub, uses, kind);
                }
            }
            Pat::Tuple(t) => t.elems.iter_mut().for_each(|p| self.rename_bindings(p, uses, kind)),
            Pat::TupleStruct(t) => {
                t.elems.iter_mut().for_each(|p| self.rename_bindings(p, uses, kind))
            }
            Pat::Struct(s) => {
                for f in s.fields.iter_mut() {
                    f.colon_token.get_or_insert_with(Default::default);
                    self.rename_bindings(&mut f.pat, uses, kind);
                }
            }
            Pat::Slice(s) => s.elems.iter_mut().for_each(|p| self.rename_bindings(p, uses, kind)),
            Pat::Reference(r) => self.rename_bindings(&mut r.pat, uses, kind),
            Pat::Paren(p) => self.rename_bindings(&mut p.pat, uses, kind),
            Pat::Type(t) => self.rename_bindings(&mut t.pat, uses, kind),
            Pat::Or(o) => {
                // Every alternative binds the same names: rename them all to the first's values.
                let before = self.env.clone();
                let mut first = true;
                for case in o.cases.iter_mut() {
                    if first {
                        self.rename_bindings(case, uses, kind);
                        first = false;
                    } else {
                        let now = self.env.clone();
                        self.rename_like(case, &now, &before);
                    }
                }
            }
            Pat::Guard(g) => {
                self.rename_bindings(&mut g.pat, uses, kind);
                let r = rename(&g.guard, &self.env, &self.vars);
                uses.extend(r.uses);
                *g.guard = r.expr;
            }
            _ => {}
        }
    }

    /// Renames the bindings of a later `|` alternative to the values the first one bound.
    fn rename_like(&mut self, pat: &mut Pat, now: &super::env::Env, before: &super::env::Env) {
        if let Pat::Ident(p) = pat {
            let name = p.ident.to_string();
            if let Some(b) =
                now.lookup(&name).filter(|b| before.lookup(&name).map(|o| o.var) != Some(b.var))
            {
                p.ident = self.vars[b.var.0].ident.clone();
            }
            return;
        }
        let mut sub: Vec<&mut Pat> = Vec::new();
        match pat {
            Pat::Tuple(t) => sub.extend(t.elems.iter_mut()),
            Pat::TupleStruct(t) => sub.extend(t.elems.iter_mut()),
            Pat::Struct(s) => sub.extend(s.fields.iter_mut().map(|f| {
                f.colon_token.get_or_insert_with(Default::default);
                &mut *f.pat
            })),
            Pat::Slice(s) => sub.extend(s.elems.iter_mut()),
            Pat::Reference(r) => sub.push(&mut r.pat),
            Pat::Paren(p) => sub.push(&mut p.pat),
            _ => {}
        }
        for p in sub {
            self.rename_like(p, now, before);
        }
    }

    /// Lowers an `if`/`match` without `return`: a branch whose outputs are its value (when
    /// `want_value`) and every variable an arm reassigns (phi nodes).
    pub fn lower_branch(&mut self, e: &'s Expr, want_value: bool) -> Operand {
        let Some((head, mut uses, arms)) = self.branch_arms(e) else { return Self::unit() };
        let before = self.env.clone();
        let mut lowered = Vec::new();
        let mut afters = Vec::new();
        for (pat, body) in arms {
            self.env = before.clone();
            self.env.push();
            let pat = pat.map(|p| self.bind_pattern(&p, &mut uses));
            let saved = self.enter_block();
            let value = match body {
                ArmBody::Block(b) => self.lower_block_value(b),
                ArmBody::Expr(x) => self.lower_expr(x),
                ArmBody::Empty => Self::unit(),
            };
            self.env.pop();
            let nodes = self.leave_block(saved);
            afters.push(self.env.clone());
            lowered.push(Arm { pat, body: Block { nodes, yields: vec![value] } });
        }
        // Variables reassigned in any arm become outputs of the branch.
        let mut changed: Vec<(usize, usize)> = Vec::new();
        for after in &afters {
            for pos in after.changed_since(&before) {
                if !changed.contains(&pos) {
                    changed.push(pos);
                }
            }
        }
        changed.sort();
        for (arm, after) in lowered.iter_mut().zip(&afters) {
            for &pos in &changed {
                let v = after.at(pos).map(|b| b.var).unwrap_or(Var(0));
                arm.body.yields.push(Operand::Var(v));
            }
        }
        self.env = before;
        let mut outs = Vec::new();
        let mut value = Self::unit();
        if want_value {
            let v = self.merge_outputs(&lowered, 0, "t");
            outs.push(v);
            value = Operand::Var(v);
        } else {
            lowered.iter_mut().for_each(|a| {
                a.body.yields.remove(0);
            });
        }
        let first_phi = outs.len();
        for (i, &pos) in changed.iter().enumerate() {
            let name = self.env.at(pos).map(|b| b.name.clone()).unwrap_or_default();
            let v = self.merge_outputs(&lowered, first_phi + i, &name);
            self.env.set_at(pos, v);
            outs.push(v);
        }
        let id = self.branch_id();
        self.nodes.push(Node::Branch(Branch { id, head, arms: lowered, outs, uses }));
        value
    }

    /// Lowers `let pat (: ty)? = init;`.
    fn lower_let(&mut self, local: &'s syn::Local) {
        let Some(init) = &local.init else {
            self.errors.error(
                &local.pat,
                "a `let` without a value cannot be differentiated",
                "initialise the variable where it is declared, e.g. `let mut s = 0.0;`",
            );
            return;
        };
        if let Some((else_token, _)) = &init.diverge {
            self.errors.error(
                else_token,
                "`let ... else` cannot be differentiated",
                "use `match` or `if let` with an `else` branch that returns",
            );
            return;
        }
        if contains_return(&init.expr) {
            self.fail(
                &init.expr,
                "`return` inside a `let` initialiser cannot be differentiated",
                "return from a statement: `if cond { return a; }` before the `let`",
            );
            return;
        }
        let (pat, ty) = match &local.pat {
            Pat::Type(pt) => (&*pt.pat, Some((*pt.ty).clone())),
            p => (p, None),
        };
        match (pat, &*init.expr) {
            (Pat::Ident(pi), _) if pi.subpat.is_none() && pi.by_ref.is_none() => {
                let first = self.vars.len();
                let value = self.lower_expr(&init.expr);
                let mut v = self.materialize(value, &pi.ident.to_string(), ty.clone(), first);
                let info = &self.vars[v.0];
                let data = !info.varied && matches!(info.kind, Kind::Int | Kind::Bool | Kind::Unknown);
                if pi.mutability.is_some() && v.0 < first && data {
                    // `let mut state = seed;`: inactive state of its own, which code kept as
                    // written may change in place (`uniform(&mut state)`), not a second name
                    // for `seed`.
                    let (kind, ident) = (info.kind, info.ident.clone());
                    let copy = self.new_var(&pi.ident.to_string(), kind, false);
                    self.vars[copy.0].ty = ty;
                    self.nodes.push(Node::Opaque { out: copy, expr: syn::parse_quote!(#ident), uses: vec![v] });
                    v = copy;
                }
                // `let mut b: Vec<f64> = ..`: a buffer written in place (inside a loop body or
                // an arm, a new buffer each time that code runs).
                let fresh = v.0 >= first;
                let vec = self.vars[v.0].kind == Kind::Seq(crate::kind::Seq::Vec);
                // A `Vec` only ever assigned whole is a plain value, carried like a float.
                let written = self.element_writes.contains(&pi.ident.to_string());
                // A `let mut` of no known float kind (`vec![0usize; k]`, `Vec::new()`) written by
                // element is a buffer of inactive data: what it holds never has a derivative
                // (storing an active value into it is an error, below).
                let data = self.vars[v.0].kind == Kind::Unknown && !self.vars[v.0].varied;
                if pi.mutability.is_some() && fresh && (vec || data) && written {
                    self.vars[v.0].buffer = true;
                    self.vars[v.0].scoped = self.depth > 0;
                    if vec {
                        self.vars[v.0].varied |= self.any_active;
                    }
                }
                self.env.bind(&pi.ident.to_string(), v, false);
            }
            (Pat::Wild(_), e) => self.lower_stmt_expr(e),
            (Pat::Tuple(pt), Expr::Tuple(et)) if pt.elems.len() == et.elems.len() && ty.is_none() => {
                let mut values = Vec::new();
                for e in &et.elems {
                    let first = self.vars.len();
                    values.push((self.lower_expr(e), first));
                }
                for (p, (value, first)) in pt.elems.iter().zip(values) {
                    let (p, ty) = match p {
                        Pat::Type(t) => (&*t.pat, Some((*t.ty).clone())),
                        p => (p, None),
                    };
                    match p {
                        Pat::Ident(pi) if pi.subpat.is_none() && pi.by_ref.is_none() => {
                            let v = self.materialize(value, &pi.ident.to_string(), ty, first);
                            self.env.bind(&pi.ident.to_string(), v, false);
                        }
                        Pat::Wild(_) => {}
                        other => self.errors.error(
                            other,
                            "this pattern cannot be differentiated",
                            "bind each element of the tuple to a name",
                        ),
                    }
                }
            }
            (other, _) => self.errors.error(
                other,
                "this `let` pattern cannot be differentiated",
                "bind the value to a name (`let x = ...;`), or a tuple of names to a tuple of values",
            ),
        }
    }

    /// Gives `value` a value of its own named `name` (a constant becomes an assignment; a value
    /// created since `first` is renamed; an existing value is shared).
    pub fn materialize(
        &mut self,
        value: Operand,
        name: &str,
        ty: Option<syn::Type>,
        first: usize,
    ) -> Var {
        let annotated = ty.as_ref().map(Kind::of_type).filter(|k| *k != Kind::Unknown);
        match value {
            Operand::Const(expr) => {
                let kind = annotated.unwrap_or_else(|| Kind::of_const(&expr));
                let v = self.new_var(name, kind, false);
                self.vars[v.0].ty = ty;
                let uses = rename(&expr, &self.env, &self.vars).uses;
                self.nodes.push(Node::Opaque { out: v, expr, uses });
                v
            }
            Operand::Var(v) if v.0 >= first && self.vars[v.0].param.is_none() => {
                self.rename_var(v, name);
                if let Some(k) = annotated {
                    self.vars[v.0].kind = k;
                }
                if self.vars[v.0].ty.is_none() {
                    self.vars[v.0].ty = ty;
                }
                v
            }
            // `let v: &[f64] = &m.v;`: a model's sequence field, borrowed as a slice.
            Operand::Ref(v)
                if v.0 >= first
                    && matches!(ty, Some(syn::Type::Reference(ref r)) if matches!(*r.elem, syn::Type::Slice(_)))
                    && self.nodes.iter().any(|n| matches!(n, Node::Op(op) if op.out == v && matches!(op.prim, crate::ir::Prim::Field))) =>
            {
                self.rename_var(v, name);
                self.vars[v.0].kind = Kind::Seq(crate::kind::Seq::Slice);
                v
            }
            Operand::Var(v) | Operand::Ref(v) => v,
        }
    }

    /// Lowers an expression whose value is discarded.
    pub fn lower_stmt_expr(&mut self, e: &'s Expr) {
        match e {
            Expr::MethodCall(mc)
                if mc.method == "push"
                    && mc.args.len() == 1
                    && self.local_var(&mc.receiver).is_some_and(|v| self.vars[v.0].buffer) =>
            {
                use crate::ir::{Store, StoreOp};
                let Some(buffer) = self.local_var(&mc.receiver) else { return };
                if self.vars[buffer.0].scoped {
                    self.pushed.insert(buffer);
                }
                let id = self.vars[buffer.0].ident.clone();
                let index = self.opaque(syn::parse_quote!(#id.len()), vec![buffer], Kind::Int);
                let value = self.lower_expr(&mc.args[0]);
                if self.inactive_buffer_takes(buffer, &value, e) {
                    return;
                }
                self.nodes.push(Node::Store(Store { buffer, index, value, op: StoreOp::Push }));
            }
            Expr::Assign(a) => self.lower_assign(&a.left, &a.right, None),
            Expr::Binary(b) if crate::syntax::is_compound(&b.op) => {
                self.lower_assign(&b.left, &b.right, Some(&b.op))
            }
            Expr::If(_) | Expr::Match(_) => {
                self.lower_branch(e, false);
            }
            Expr::Block(b) if b.label.is_none() => {
                self.lower_block_value(&b.block);
            }
            Expr::Paren(p) => self.lower_stmt_expr(&p.expr),
            Expr::Macro(m) => {
                self.unsupported_macro(&m.mac);
            }
            Expr::ForLoop(_) | Expr::While(_) | Expr::Loop(_) => {
                let r = rename(e, &self.env, &self.vars);
                if r.mentions_varied || r.mutates_local || r.has_return {
                    self.lower_loop(e);
                } else {
                    self.opaque(r.expr, r.uses, Kind::Unknown);
                }
            }
            _ => {
                let r = rename(e, &self.env, &self.vars);
                let changed_buffer = self.vars.iter().enumerate().find(|(i, v)| {
                    v.buffer
                        && v.varied
                        && r.uses.contains(&Var(*i))
                        && crate::syntax::mutates_buffer(&r.expr, &v.ident)
                });
                if let Some((_, v)) = changed_buffer {
                    self.errors.error(
                        e,
                        format!("this changes the buffer `{}` in a way that cannot be differentiated", v.ident),
                        "write its elements with `b[i] = ..`, `b[i] += ..` or `b.push(..)`, or fill a new buffer",
                    );
                } else if r.mutates_local {
                    self.errors.error(
                        e,
                        "this statement changes a local in a way that cannot be differentiated",
                        "assign with `x = ...` or `x += ...` at the level of a statement",
                    );
                } else if r.has_macro {
                    self.errors.error(e, "macro calls cannot be differentiated", MACRO_HELP);
                } else {
                    self.opaque(r.expr, r.uses, Kind::Unknown);
                }
            }
        }
    }

    /// Lowers `place = value` or `place op= value`.
    fn lower_assign(&mut self, place: &'s Expr, value: &'s Expr, op: Option<&syn::BinOp>) {
        if let Expr::Index(ix) = place {
            return self.lower_store(ix, value, op);
        }
        let Expr::Path(p) = place else {
            self.errors.error(
                place,
                "assignment to this place cannot be differentiated yet",
                "assign to a local variable: `let mut y = ...; y = ...;`",
            );
            return;
        };
        let Some(name) = p.path.get_ident().map(ToString::to_string) else {
            self.errors.error(
                place,
                "assignment to a path cannot be differentiated",
                "assign to a local variable",
            );
            return;
        };
        let Some(binding) = self.env.lookup(&name).cloned() else {
            self.errors.error(
                place,
                format!("`{name}` is not a local variable of this function"),
                "differentiable functions assign only to their own `let mut` variables",
            );
            return;
        };
        if self.vars[binding.var.0].buffer {
            // (A copy or a collection is a buffer filled element by element as it is made.)
            let (what, help) = if self.element_writes.contains(&name) {
                (
                    "is written element by element",
                    "write its elements (`b[i] = ..`), or keep the new value in a variable of its own",
                )
            } else {
                (
                    "is a buffer filled in place (by `.to_vec()`, `.clone()` or `.collect()`)",
                    "write its elements instead (`for i in 0..b.len() { b[i] = .. }`), or keep each new value in a `let` of its own",
                )
            };
            self.errors.error(
                place,
                format!("`{name}` {what}, so it cannot also be assigned whole"),
                help,
            );
            return;
        }
        if binding.active_param {
            self.errors.error(
                place,
                format!("cannot assign to `{name}`: it is a parameter we differentiate with respect to"),
                format!(
                    "the gradient is taken at the value passed in (PyTorch: \"a leaf Variable that requires grad is used in an in-place operation\"); copy it first: `let mut {name}_local = {name};`"
                ),
            );
            return;
        }
        let first = self.vars.len();
        let result = match op {
            None => self.lower_expr(value),
            Some(op) => {
                let bin = compound_to_binary(op);
                self.lower_binary(bin, Operand::Var(binding.var), value, place.span())
            }
        };
        let v = self.materialize(result, &name, None, first);
        self.env.assign(&name, v);
    }

    /// `a[i] = value` or `a[i] op= value` on a local array: the array is a value, so this makes
    /// a new one with element `i` replaced.
    fn lower_store(&mut self, ix: &'s syn::ExprIndex, value: &'s Expr, op: Option<&syn::BinOp>) {
        use crate::ir::{Form, Prim};
        let target = match &*ix.expr {
            Expr::Path(p) => p.path.get_ident().map(ToString::to_string),
            _ => None,
        };
        let binding = target.as_ref().and_then(|n| self.env.lookup(n).cloned());
        let Some((name, binding)) = target.zip(binding) else {
            self.errors.error(
                &ix.expr,
                "only local arrays can be written element by element",
                "declare the buffer in the function: `let mut y = [0.0; 3];`",
            );
            return;
        };
        let kind = self.vars[binding.var.0].kind;
        if binding.active_param || self.vars[binding.var.0].param.is_some() {
            self.errors.error(
                &ix.expr,
                format!("cannot write into the parameter `{name}`"),
                format!("copy it into a local array first: `let mut {name}_local = {name};`"),
            );
            return;
        }
        let buffer = self.vars[binding.var.0].buffer;
        if !buffer && !matches!(kind, Kind::Seq(crate::kind::Seq::Array) | Kind::Algebra) {
            let help = if kind == Kind::Seq(crate::kind::Seq::Vec) {
                "declare the buffer with `let mut` where it starts: `let mut b: Vec<f64> = vec![0.0; n];`"
            } else {
                "write into a local array (`let mut y = [0.0; N];`) or a `Vec` buffer (`let mut b: Vec<f64> = vec![0.0; n];`)"
            };
            self.errors.error(
                &ix.expr,
                format!("writing into `{name}` element by element cannot be differentiated"),
                help,
            );
            return;
        }
        let index = self.lower_expr(&ix.index);
        if self.varied(&index) {
            self.errors.error(
                &ix.index,
                "an index cannot depend on an active parameter",
                "compute indices from integers",
            );
            return;
        }
        // `b[i] op= v` is `b[i] = b[i] op v`, except `+=`/`-=` into a buffer, which add in place.
        let read_modify = |this: &mut Self, op: &syn::BinOp| {
            let element = vec![Operand::Var(binding.var), index.clone()];
            let old = this.push_op(Prim::Index, Form::Index, element, ix.span(), Kind::Float);
            this.lower_binary(compound_to_binary(op), old, value, ix.span())
        };
        if buffer {
            use crate::ir::{Store, StoreOp};
            let (op, value) = match op {
                None => (StoreOp::Set, self.lower_expr(value)),
                Some(syn::BinOp::AddAssign(_)) => (StoreOp::Add, self.lower_expr(value)),
                Some(syn::BinOp::SubAssign(_)) => (StoreOp::Sub, self.lower_expr(value)),
                Some(op) => (StoreOp::Set, read_modify(self, op)),
            };
            if self.inactive_buffer_takes(binding.var, &value, &ix.expr) {
                return;
            }
            self.nodes.push(Node::Store(Store { buffer: binding.var, index, value, op }));
            return;
        }
        let new_value = match op {
            None => self.lower_expr(value),
            Some(op) => read_modify(self, op),
        };
        let array = self.push_op(
            Prim::Store,
            Form::Store,
            vec![Operand::Var(binding.var), index, new_value],
            ix.span(),
            kind,
        );
        if let Operand::Var(v) = array {
            self.rename_var(v, &name);
            self.vars[v.0].varied |= self.vars[binding.var.0].varied;
            self.env.assign(&name, v);
        }
    }

    /// Whether a value that depends on an active parameter is stored into a buffer of inactive
    /// data (whose element type the macro cannot see): reported, since its derivative would be
    /// lost.
    fn inactive_buffer_takes(&mut self, buffer: Var, value: &Operand, at: &Expr) -> bool {
        if self.vars[buffer.0].varied || !self.varied(value) {
            return false;
        }
        let name = self.vars[buffer.0].ident.to_string();
        self.errors.error(
            at,
            format!("`{name}` holds values that depend on an active parameter, but its element type is not known to be a float"),
            format!("give it a float type: `let mut {name}: Vec<f64> = ..`"),
        );
        true
    }

    /// Reports a macro call in the body.
    pub fn unsupported_macro(&mut self, mac: &syn::Macro) -> Operand {
        let name = mac.path.segments.last().map(|s| s.ident.to_string()).unwrap_or_default();
        if name == "vec" {
            return self.fail(
                mac,
                "a `Vec` of values that depend on an active parameter cannot be differentiated yet",
                "start the buffer from constants (`let mut b: Vec<f64> = vec![0.0; n];`) and write the values into it (`b[i] = ..`)",
            );
        }
        self.fail(&mac.path, format!("the macro `{name}!` cannot be differentiated"), MACRO_HELP)
    }

    /// Records an inactive expression evaluated as written.
    pub fn opaque(&mut self, expr: Expr, uses: Vec<Var>, kind: Kind) -> Operand {
        let v = self.new_var("t", kind, false);
        self.nodes.push(Node::Opaque { out: v, expr, uses });
        Operand::Var(v)
    }
}

/// The help line of macro errors.
pub const MACRO_HELP: &str = "the macro's tokens cannot be read as an expression to differentiate; compute its value outside the differentiable function, or wrap it as `no_grad(|| ..)` in a helper";

/// `+=` -> `+`, and so on.
fn compound_to_binary(op: &syn::BinOp) -> syn::BinOp {
    use syn::BinOp::*;
    match op {
        AddAssign(t) => Add(syn::Token![+](t.spans[0])),
        SubAssign(t) => Sub(syn::Token![-](t.spans[0])),
        MulAssign(t) => Mul(syn::Token![*](t.spans[0])),
        DivAssign(t) => Div(syn::Token![/](t.spans[0])),
        RemAssign(t) => Rem(syn::Token![%](t.spans[0])),
        BitXorAssign(t) => BitXor(syn::Token![^](t.spans[0])),
        BitAndAssign(t) => BitAnd(syn::Token![&](t.spans[0])),
        BitOrAssign(t) => BitOr(syn::Token![|](t.spans[0])),
        ShlAssign(t) => Shl(syn::Token![<<](t.spans[0])),
        ShrAssign(t) => Shr(syn::Token![>>](t.spans[0])),
        other => *other,
    }
}

//! `if`, `match`, `if let` -> [`crate::ir::Branch`]: each arm lowered in its own scope, the
//! variables it changes merged into the branch's outputs.

use super::context::Lowerer;
use super::rename::{pattern_bindings, rename};
use crate::ir::{Arm, Block, Branch, Head, Node, Operand, Var};
use crate::kind::Kind;
use syn::{Expr, Pat};

impl<'s> Lowerer<'_> {
    /// The value an output of a branch takes: a new value whose kind and activity join the
    /// arms' `yields[index]` (and which keeps their array type: its rows are read as arrays).
    pub(super) fn merge_outputs(&mut self, arms: &[Arm], index: usize, name: &str) -> Var {
        let mut kind: Option<Kind> = None;
        let mut varied = false;
        for arm in arms {
            let y = &arm.body.yields[index];
            varied |= self.varied(y);
            let k = self.kind(y);
            kind = Some(kind.map_or(k, |kk| if kk == k { k } else { kk.join(k) }));
        }
        let out = self.new_var(name, kind.unwrap_or(Kind::Unknown), varied);
        let typed = arms
            .iter()
            .filter_map(|a| a.body.yields[index].var())
            .find(|y| matches!(self.vars[y.0].ty, Some(syn::Type::Array(_))));
        if let Some(from) = typed {
            self.inherit_array_type(from, out);
        }
        out
    }

    /// Splits an `if`/`if let`/`match` into its head and arms (for `if`, then and else).
    pub(super) fn branch_arms(
        &mut self,
        e: &'s Expr,
    ) -> Option<(Head, Vec<Var>, Vec<SourceArm<'s>>)> {
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
                    // (its bindings would be evaluated as written: constants)
                    let mut names = Vec::new();
                    pattern_bindings(&l.pat, &mut names);
                    if !names.is_empty()
                        && rename(&l.expr, &self.env, &self.vars).mentions_varied
                        && !self.inactive_value(&l.expr)
                    {
                        self.errors.error(
                            &l.expr,
                            "`if let` on a value that depends on an active parameter",
                            "its bindings would be constants and lose their gradient; test first and index after: `if i + 1 < x.len() { let next = x[i + 1]; .. }` for `if let Some(&next) = x.get(i + 1)`, `if !x.is_empty() { let f = x[0]; .. }` for `x.first()`",
                        );
                        return None;
                    }
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
                if r.mentions_varied
                    && !self.inactive_value(&m.expr)
                    && (binds || self.infer_kind(&m.expr) == Kind::Float)
                {
                    self.errors.error(
                        &m.expr,
                        "`match` on a value that depends on an active parameter",
                        "its bindings would be constants and lose their gradient; bind the value to names only (`v if v > 0.0 => .., v => ..`), or branch with `if`/`else` on a comparison",
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
    pub(super) fn rename_like(
        &mut self,
        pat: &mut Pat,
        now: &super::env::Env,
        before: &super::env::Env,
    ) {
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
}

/// An arm as the source writes it: its pattern (for `match` and `if let`) and its code.
pub(super) type SourceArm<'s> = (Option<Pat>, ArmBody<'s>);

/// What an arm of a branch runs.
pub enum ArmBody<'s> {
    Block(&'s syn::Block),
    Expr(&'s Expr),
    Empty,
}

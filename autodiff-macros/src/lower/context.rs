//! The lowering state and its entry point.

use super::env::Env;
use crate::diagnostics::Errors;
use crate::ir::{Block, Function, Node, Operand, Var, VarInfo};
use crate::kind::Kind;
use crate::parse::FnDesc;
use proc_macro2::{Ident, Span};
use std::collections::{HashMap, HashSet};

/// Lowers `body`, the rewritten body of `desc`, into the IR. Problems go to `errors`; the IR
/// is then incomplete and must not be emitted.
pub fn lower(desc: &FnDesc, body: &syn::Block, errors: &mut Errors) -> Function {
    lower_noting(desc, body, errors).0
}

/// [`lower`], and the untyped buffers that received active floats: lowered again with them
/// annotated, they differentiate (see [`crate::rewrite::buffer_types`]).
pub fn lower_noting(
    desc: &FnDesc,
    body: &syn::Block,
    errors: &mut Errors,
) -> (Function, crate::rewrite::buffer_types::Untyped) {
    let mut cx = Lowerer {
        vars: Vec::new(),
        env: Env::default(),
        errors,
        names: HashSet::from(["seed".to_string(), "self".to_string()]),
        nodes: Vec::new(),
        next_branch: 0,
        items: Vec::new(),
        index_cache: HashMap::new(),
        depth: 0,
        any_active: desc.params.iter().any(|p| p.active),
        scalar_function: desc.ret_kind == Kind::Float
            && desc.params.iter().all(|p| p.kind != Kind::Tensor),
        element_writes: crate::syntax::element_writes(body),
        pushed: HashSet::new(),
        mut_self: desc
            .receiver
            .as_ref()
            .is_some_and(|r| matches!(&r.kind, syn::ReceiverKind::Reference(_, _, Some(_)))),
        mut_params: HashSet::new(),
        untyped: HashMap::new(),
        untyped_algebra: HashSet::new(),
        promote: Vec::new(),
        rt: desc.rt.clone(),
        split_calls: desc.split_calls.clone(),
        float_generics: desc.float_generics.clone(),
    };
    cx.env.push();
    if let Some(r) = &desc.receiver {
        let ident = Ident::new("self", r.self_token.span);
        let v = cx.push_var(VarInfo {
            name: "self".into(),
            ident,
            kind: Kind::Unknown,
            varied: false,
            ty: None,
            param: None,
            buffer: false,
            scoped: false,
            length: None,
            maybe_algebra: false,
        });
        cx.env.bind("self", v, false);
    }
    let mut params = Vec::new();
    for (i, p) in desc.params.iter().enumerate() {
        let name = cx.unique_name(&p.ident.to_string());
        let v = cx.push_var(VarInfo {
            name,
            ident: p.ident.clone(),
            kind: p.kind,
            varied: p.active,
            ty: Some(p.ty.clone()),
            param: Some(i),
            buffer: false,
            scoped: false,
            length: None,
            maybe_algebra: false,
        });
        cx.env.bind_param(&p.ident.to_string(), v, p.active);
        if p.mutable {
            cx.mut_params.insert(v);
        }
        params.push(v);
    }
    let result = cx.lower_fn_body(body);
    let nodes = std::mem::take(&mut cx.nodes);
    let mut f = Function {
        vars: cx.vars,
        params,
        body: Block { nodes, yields: vec![result] },
        items: cx.items,
    };
    super::snapshots::copy_buffers_passed_before_writes(&mut f);
    super::kinds::mark_maybe_algebra(&mut f);
    (f, cx.promote)
}

/// What [`Lowerer::checkpoint`] saves.
pub struct Checkpoint {
    vars: usize,
    names: HashSet<String>,
    nodes: usize,
    env: Env,
    next_branch: usize,
    items: usize,
    errors: usize,
    index_cache: HashMap<(Var, String), Var>,
    depth: usize,
}

/// The state of lowering one function.
pub struct Lowerer<'e> {
    /// Every value created so far.
    pub vars: Vec<VarInfo>,
    /// What each source name refers to.
    pub env: Env,
    /// Where problems go.
    pub errors: &'e mut Errors,
    /// Names already given to values.
    names: HashSet<String>,
    /// The block under construction.
    pub nodes: Vec<Node>,
    next_branch: usize,
    /// Items declared in the body (`use`, nested `fn`), emitted at the top of every generated
    /// function.
    pub items: Vec<syn::Item>,
    /// Elements already read in this block and the blocks around it: `(sequence, index)` ->
    /// value. Reading `x[i]` again reuses the value, so its adjoint is summed in a register
    /// and added into `x_bar[i]` once, as a hand-written gradient does.
    pub index_cache: HashMap<(Var, String), Var>,
    /// How deep in arms and loop bodies lowering is (0: the function body).
    pub depth: usize,
    /// Whether the function has an active parameter.
    pub any_active: bool,
    /// Whether it has a float result and no tensor parameter: a model's field it calls a
    /// method on is a float when floats have that method.
    pub scalar_function: bool,
    /// The names written element by element somewhere in the body (`b[i] = ..`, `b[i] += ..`,
    /// `b.push(..)`): a `let mut` `Vec` of one of these names is a buffer.
    pub element_writes: HashSet<String>,
    /// The scoped buffers pushed into (see [`crate::ir::VarInfo::length`]).
    pub pushed: HashSet<Var>,
    /// Whether the function is a method taking `&mut self`.
    pub mut_self: bool,
    /// The parameters declared `mut x: T`: the function's own copies, which it may write when
    /// they are inactive (an active one is refused as PyTorch refuses in-place writes to leaves).
    pub mut_params: HashSet<Var>,
    /// Buffers declared `let mut b = Vec::new();` without a type, with where they are declared.
    pub untyped: HashMap<Var, (String, String)>,
    /// Of those, the buffers of nalgebra values (`vec![Vector3::zeros(); n]`), typed only when
    /// they receive such values.
    pub untyped_algebra: HashSet<Var>,
    /// Those of them that received an active float.
    pub promote: crate::rewrite::buffer_types::Untyped,
    /// The path of the runtime (for functions lowering calls by path).
    pub rt: proc_macro2::TokenStream,
    /// The functions to call in split mode (`split(g, ..)`).
    pub split_calls: Vec<String>,
    /// The type parameters that are floats (`T: Real`).
    pub float_generics: Vec<Ident>,
}

impl Lowerer<'_> {
    fn push_var(&mut self, info: VarInfo) -> Var {
        self.vars.push(info);
        Var(self.vars.len() - 1)
    }

    /// A name no other value has, derived from `base`; never ending in `_bar`/`_dot` so that
    /// adjoint and tangent names derived from it cannot collide either.
    fn unique_name(&mut self, base: &str) -> String {
        let mut stem = base.trim_start_matches('_').to_string();
        if stem.is_empty() || stem == "r#" {
            stem = "v".into();
        }
        let stem = stem.trim_start_matches("r#").to_string();
        let mut name = stem.clone();
        let mut n = 0;
        while self.names.contains(&name) || name.ends_with("_bar") || name.ends_with("_dot") {
            n += 1;
            name = format!("{stem}_{n}");
        }
        self.names.insert(name.clone());
        name
    }

    /// A new value named after `base`.
    pub fn new_var(&mut self, base: &str, kind: Kind, varied: bool) -> Var {
        let name = self.unique_name(base);
        self.push_var(VarInfo::local(name, kind, varied))
    }

    /// Gives a value created for an expression the name of the source variable it is bound to.
    pub fn rename_var(&mut self, v: Var, base: &str) {
        let name = self.unique_name(base);
        let old =
            std::mem::replace(&mut self.vars[v.0].ident, Ident::new(&name, Span::mixed_site()));
        self.vars[v.0].name = name;
        // A block value may have been read under its old name already
        // (`let a = { let mut b = ..; b.push(..); b };` reads `b.len()`).
        let mut renaming = RenameIdent { old, new: self.vars[v.0].ident.clone() };
        rename_in_nodes(&mut self.nodes, &mut renaming);
    }

    /// The state to go back to when a loop body must be lowered again.
    pub fn checkpoint(&self) -> Checkpoint {
        Checkpoint {
            vars: self.vars.len(),
            names: self.names.clone(),
            nodes: self.nodes.len(),
            env: self.env.clone(),
            next_branch: self.next_branch,
            items: self.items.len(),
            errors: self.errors.len(),
            index_cache: self.index_cache.clone(),
            depth: self.depth,
        }
    }

    /// Goes back to a checkpoint, forgetting everything lowered since.
    pub fn restore(&mut self, c: &Checkpoint) {
        self.vars.truncate(c.vars);
        self.names = c.names.clone();
        self.nodes.truncate(c.nodes);
        self.env = c.env.clone();
        self.next_branch = c.next_branch;
        self.items.truncate(c.items);
        self.errors.truncate(c.errors);
        self.index_cache = c.index_cache.clone();
        self.depth = c.depth;
        self.pushed.retain(|v| v.0 < c.vars);
    }

    /// Starts lowering a nested block (an arm, a loop body): its nodes go to a new list, and
    /// what it reads from sequences is forgotten when it ends.
    pub fn enter_block(&mut self) -> (Vec<Node>, HashMap<(Var, String), Var>) {
        self.depth += 1;
        (std::mem::take(&mut self.nodes), self.index_cache.clone())
    }

    /// Ends a nested block started by [`Lowerer::enter_block`]; returns its nodes.
    pub fn leave_block(&mut self, saved: (Vec<Node>, HashMap<(Var, String), Var>)) -> Vec<Node> {
        // A buffer declared here and pushed into: its length at the block's end, which sizes
        // its adjoint in the block's adjoint.
        let pushed: Vec<Var> = self
            .nodes
            .iter()
            .flat_map(crate::ir::definitions)
            .filter(|v| self.vars[v.0].scoped && self.pushed.contains(v))
            .collect();
        for b in pushed {
            let id = self.vars[b.0].ident.clone();
            if let Operand::Var(len) = self.opaque(syn::parse_quote!(#id.len()), vec![b], Kind::Int)
            {
                self.vars[b.0].length = Some(len);
            }
        }
        self.depth -= 1;
        self.index_cache = saved.1;
        std::mem::replace(&mut self.nodes, saved.0)
    }

    /// A fresh branch number.
    pub fn branch_id(&mut self) -> usize {
        self.next_branch += 1;
        self.next_branch - 1
    }

    /// Whether an operand depends on an active parameter.
    pub fn varied(&self, o: &Operand) -> bool {
        o.var().is_some_and(|v| self.vars[v.0].varied)
    }

    /// What syntax tells of an operand's type.
    pub fn kind(&self, o: &Operand) -> Kind {
        match o {
            Operand::Var(v) | Operand::Ref(v) => self.vars[v.0].kind,
            Operand::Const(e) => Kind::of_const(e),
        }
    }

    /// The unit value `()`, the placeholder after an error.
    pub fn unit() -> Operand {
        Operand::Const(syn::parse_quote!(()))
    }

    /// Records a [`crate::diagnostics::problems::Problem`] and returns the placeholder operand.
    pub fn refuse(
        &mut self,
        site: impl Into<crate::diagnostics::Site>,
        problem: &crate::diagnostics::problems::Problem,
    ) -> Operand {
        self.errors.report(site, problem);
        Self::unit()
    }

    /// Records an error and returns the placeholder operand.
    pub fn fail(
        &mut self,
        span: impl Into<crate::diagnostics::Site>,
        message: impl std::fmt::Display,
        help: impl std::fmt::Display,
    ) -> Operand {
        self.errors.error(span, message, help);
        Self::unit()
    }
}

/// Replaces a variable's old name by its new one in the expressions nodes hold.
struct RenameIdent {
    old: Ident,
    new: Ident,
}

impl syn::visit_mut::VisitMut for RenameIdent {
    fn visit_expr_path_mut(&mut self, p: &mut syn::ExprPath) {
        if p.qself.is_none() && p.path.is_ident(&self.old) {
            p.path = self.new.clone().into();
        }
    }

    fn visit_macro_mut(&mut self, m: &mut syn::Macro) {
        // `vec![0.0; d.len()]`: its tokens are expressions too.
        let tokens = &m.tokens;
        if !m.path.is_ident("vec") {
            return;
        }
        match syn::parse2::<syn::Expr>(quote::quote!([#tokens])) {
            Ok(syn::Expr::Array(mut a)) => {
                syn::visit_mut::visit_expr_array_mut(self, &mut a);
                let elems = a.elems;
                m.tokens = quote::quote!(#elems);
            }
            Ok(syn::Expr::Repeat(mut r)) => {
                syn::visit_mut::visit_expr_repeat_mut(self, &mut r);
                let (e, n) = (r.expr, r.len);
                m.tokens = quote::quote!(#e; #n);
            }
            _ => {}
        }
    }
}

fn rename_in_nodes(nodes: &mut [Node], r: &mut RenameIdent) {
    use crate::ir::{Head, LoopHead};
    use syn::visit_mut::VisitMut;
    for node in nodes {
        match node {
            Node::Opaque { expr, .. } => r.visit_expr_mut(expr),
            Node::Branch(br) => {
                match &mut br.head {
                    Head::If(e) | Head::Match(e) => r.visit_expr_mut(e),
                }
                for arm in &mut br.arms {
                    rename_in_nodes(&mut arm.body.nodes, r);
                }
            }
            Node::Loop(lp) => {
                match &mut lp.head {
                    LoopHead::Range { iter, .. } | LoopHead::Iter { iter, .. } => {
                        r.visit_expr_mut(iter)
                    }
                    LoopHead::While(e) => r.visit_expr_mut(e),
                    LoopHead::Loop => {}
                }
                rename_in_nodes(&mut lp.body.nodes, r);
            }
            Node::Op(_) | Node::Store(_) => {}
        }
    }
}

//! `f_graph()` (with `#[differentiable(graph)]`): the function's computation as Graphviz DOT
//! text, written at compile time from the IR (SEEDS S20, what torchviz draws for PyTorch).
//!
//! One node per parameter (`style=filled` when active, `style=dashed` when constant), per
//! operation (labelled with its name as written: `add`, `mul`, `neg` for operators, the method
//! or function name for calls), per constant and inactive expression, and one for the result;
//! edges follow the data. A loop is a cluster holding its body, with one node per variable it
//! carries (an edge back from the body's new value, dashed: the next iteration); a branch is a
//! cluster holding one cluster per arm and one node per value it yields.
//!
//! ```text
//! fn wave(x: f64, c: f64) -> f64 { c * x.sin() + x + c }   #[differentiable(graph, wrt(x))]
//!   => p0 "x" (filled), p1 "c" (dashed), sin, mul, add, add, result
//! ```

use crate::ir::{Block, Form, Function, Head, LoopHead, Node, Operand, Prim, StoreOp, Var};
use crate::parse::FnDesc;
use proc_macro2::{Literal, TokenStream, TokenTree};
use quote::{ToTokens, format_ident, quote};
use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

/// Fill of an operation on active values (a parameter's fill is Graphviz's default grey).
const ACTIVE_FILL: &str = "#cfe2ff";

/// `f_graph()`: the DOT text of `f`'s computation.
pub fn graph_item(desc: &FnDesc, f: &Function, active: &HashSet<Var>) -> TokenStream {
    let name = &desc.item.sig.ident;
    let vis = &desc.item.vis;
    let graph = format_ident!("{}_graph", name, span = name.span());
    let dot = Literal::string(&dot(desc, f, active));
    let doc = format!(
        " The computation of `{name}` as Graphviz DOT text, written at compile time: render it \
         with `autodiff::graph::to_svg` or Graphviz's `dot -Tsvg`."
    );
    quote! {
        #[doc = #doc]
        #[allow(dead_code)]
        #vis fn #graph() -> &'static str {
            #dot
        }
    }
}

/// The DOT text itself.
pub fn dot(desc: &FnDesc, f: &Function, active: &HashSet<Var>) -> String {
    let name = desc.item.sig.ident.to_string();
    let mut g = Graph {
        f,
        active,
        out: String::new(),
        edges: String::new(),
        defs: HashMap::new(),
        depth: 1,
        fresh: 0,
    };
    let _ = writeln!(g.out, "digraph {} {{", quoted(&name));
    g.line(&format!("label={}; labelloc=t;", quoted(&name)));
    g.line("node [fontname=\"Helvetica\"];");
    for (k, (p, v)) in desc.params.iter().zip(&f.params).enumerate() {
        let id = format!("p{k}");
        let style = if p.active { "filled" } else { "dashed" };
        g.line(&format!(
            "{id} [label={}, shape=box, style={style}];",
            quoted(&p.ident.to_string())
        ));
        g.defs.insert(*v, id);
    }
    g.block(&f.body);
    let result = "result".to_string();
    g.line(&format!(
        "{result} [label=\"result\", shape=box, style=filled, fillcolor=\"{ACTIVE_FILL}\"];"
    ));
    if let Some(y) = f.body.yields.first() {
        g.edge_from(y, &result, "");
    }
    let Graph { mut out, edges, .. } = g;
    out.push_str(&edges);
    out.push_str("}\n");
    out
}

/// The DOT text being written: nodes (nested in their clusters) in `out`, edges after them.
struct Graph<'f> {
    f: &'f Function,
    active: &'f HashSet<Var>,
    out: String,
    edges: String,
    /// The node that holds each value (a buffer's: the last write to it).
    defs: HashMap<Var, String>,
    depth: usize,
    fresh: usize,
}

impl Graph<'_> {
    fn line(&mut self, text: &str) {
        let _ = writeln!(self.out, "{}{text}", "  ".repeat(self.depth));
    }

    /// A node `id` labelled `label`: filled for a value on the way from an active parameter
    /// to the result, dashed for a constant one.
    fn node(&mut self, id: &str, label: &str, value: Option<Var>, shape: Option<&str>) {
        let style = match value {
            Some(v) if self.active.contains(&v) => {
                format!(", style=filled, fillcolor=\"{ACTIVE_FILL}\"")
            }
            Some(v) if self.f.var(v).varied => String::new(),
            _ => ", style=dashed".to_string(),
        };
        let shape = shape.map(|s| format!(", shape={s}")).unwrap_or_default();
        self.line(&format!("{id} [label={}{shape}{style}];", quoted(label)));
    }

    /// An edge into `to` from the node holding `from` (a constant operand gets a node of its
    /// own), dashed when the value carries no derivative (or `attrs` says so).
    fn edge_from(&mut self, from: &Operand, to: &str, attrs: &str) {
        let (tail, value) = match from {
            Operand::Var(v) | Operand::Ref(v) => match self.defs.get(v) {
                Some(id) => (id.clone(), Some(*v)),
                None => return,
            },
            Operand::Const(e) => {
                let id = self.fresh("k");
                self.line(&format!(
                    "{id} [label={}, shape=plaintext];",
                    quoted(&short(&tokens(e)))
                ));
                (id, None)
            }
        };
        if tail == to {
            return;
        }
        let mut attrs: Vec<&str> = attrs.split(", ").filter(|a| !a.is_empty()).collect();
        if !value.is_some_and(|v| self.active.contains(&v)) && !attrs.contains(&"style=dashed") {
            attrs.push("style=dashed");
        }
        let attrs =
            if attrs.is_empty() { String::new() } else { format!(" [{}]", attrs.join(", ")) };
        let _ = writeln!(self.edges, "  {tail} -> {to}{attrs};");
    }

    /// Source text of `t` with the user's names (`x_1` -> `x`), as the source wrote it.
    fn source(&self, t: &impl ToTokens) -> String {
        let names: HashMap<&str, String> =
            self.f.vars.iter().map(|v| (v.name.as_str(), user_name(&v.name))).collect();
        tokens(&rename(t.to_token_stream(), &names))
    }

    fn fresh(&mut self, prefix: &str) -> String {
        self.fresh += 1;
        format!("{prefix}{}", self.fresh)
    }

    fn open(&mut self, id: &str, label: &str) {
        self.line(&format!("subgraph cluster_{id} {{"));
        self.depth += 1;
        self.line(&format!("label={};", quoted(&short(label))));
    }

    fn close(&mut self) {
        self.depth -= 1;
        self.line("}");
    }

    fn block(&mut self, b: &Block) {
        for node in &b.nodes {
            match node {
                Node::Op(op) => {
                    let id = format!("n{}", op.out.0);
                    self.node(&id, &op_name(op.prim, &op.form), Some(op.out), None);
                    for (k, arg) in op.args.iter().enumerate() {
                        // No derivative flows into an operand the operation is constant in
                        // (`x.signum()`, an index).
                        let attrs = if op.prim.differentiable(k) { "" } else { "style=dashed" };
                        self.edge_from(arg, &id, attrs);
                    }
                    self.defs.insert(op.out, id);
                }
                Node::Opaque { out, expr, uses } => {
                    let id = format!("n{}", out.0);
                    let name = user_name(&self.f.var(*out).name);
                    let text = self.source(expr);
                    let label = if name == "t" { text } else { format!("{name} = {text}") };
                    self.node(&id, &short(&label), Some(*out), Some("plaintext"));
                    for u in uses {
                        self.edge_from(&Operand::Var(*u), &id, "");
                    }
                    self.defs.insert(*out, id);
                }
                Node::Store(st) => {
                    let id = self.fresh("w");
                    let what = match st.op {
                        StoreOp::Set => "store",
                        StoreOp::Add => "add into",
                        StoreOp::Sub => "sub from",
                        StoreOp::Push => "push",
                    };
                    self.node(&id, what, Some(st.buffer), None);
                    self.edge_from(&Operand::Var(st.buffer), &id, "");
                    self.edge_from(&st.value, &id, "");
                    if st.op != StoreOp::Push {
                        self.edge_from(&st.index, &id, "");
                    }
                    self.defs.insert(st.buffer, id);
                }
                Node::Branch(br) => {
                    let head = match &br.head {
                        Head::If(c) => format!("if {}", self.source(c)),
                        Head::Match(s) => format!("match {}", self.source(s)),
                    };
                    self.open(&format!("branch_{}", br.id), &head);
                    let cond = format!("b{}", br.id);
                    if !br.uses.is_empty() {
                        let label = if matches!(br.head, Head::If(_)) { "if" } else { "match" };
                        self.line(&format!(
                            "{cond} [label=\"{label}\", shape=diamond, style=dashed];"
                        ));
                        for u in &br.uses {
                            self.edge_from(&Operand::Var(*u), &cond, "");
                        }
                    }
                    for (k, arm) in br.arms.iter().enumerate() {
                        if arm.body.nodes.is_empty() {
                            continue;
                        }
                        let label = match &arm.pat {
                            Some(p) => self.source(p),
                            None if k == 0 => "then".into(),
                            None => "else".into(),
                        };
                        self.open(&format!("branch_{}_arm_{k}", br.id), &label);
                        self.block(&arm.body);
                        self.close();
                    }
                    for (k, out) in br.outs.iter().enumerate() {
                        let id = format!("v{}", out.0);
                        self.node(&id, &user_name(&self.f.var(*out).name), Some(*out), Some("box"));
                        for arm in &br.arms {
                            if let Some(y) = arm.body.yields.get(k) {
                                self.edge_from(y, &id, "");
                            }
                        }
                        self.defs.insert(*out, id);
                    }
                    self.close();
                }
                Node::Loop(lp) => {
                    let head = match &lp.head {
                        LoopHead::Range { pat, iter } | LoopHead::Iter { pat, iter } => {
                            format!("for {} in {}", self.source(pat), self.source(iter))
                        }
                        LoopHead::While(c) => format!("while {}", self.source(c)),
                        LoopHead::Loop => "loop".into(),
                    };
                    self.open(&format!("loop_{}", lp.id), &head);
                    let index = format!("i{}", lp.id);
                    if !lp.bound.is_empty() || !lp.uses.is_empty() {
                        let label = match &lp.head {
                            LoopHead::Range { pat, .. } | LoopHead::Iter { pat, .. }
                                if !lp.bound.is_empty() =>
                            {
                                self.source(pat)
                            }
                            LoopHead::Range { .. } | LoopHead::Iter { .. } => "count".into(),
                            LoopHead::While(_) => "while".into(),
                            LoopHead::Loop => "loop".into(),
                        };
                        self.line(&format!(
                            "{index} [label={}, shape=plaintext];",
                            quoted(&short(&label))
                        ));
                        for u in &lp.uses {
                            self.edge_from(&Operand::Var(*u), &index, "");
                        }
                        for v in &lp.bound {
                            self.defs.insert(*v, index.clone());
                        }
                    }
                    for c in &lp.carried {
                        let id = format!("v{}", c.phi.0);
                        self.node(
                            &id,
                            &user_name(&self.f.var(c.phi).name),
                            Some(c.phi),
                            Some("box"),
                        );
                        self.edge_from(&c.init, &id, "");
                        self.defs.insert(c.phi, id);
                    }
                    self.block(&lp.body);
                    for (c, y) in lp.carried.iter().zip(&lp.body.yields) {
                        let id = format!("v{}", c.phi.0);
                        self.edge_from(y, &id, "constraint=false, style=dashed");
                        self.defs.insert(c.out, id);
                    }
                    self.close();
                }
            }
        }
    }
}

/// The name of an operation as the source wrote it.
fn op_name(prim: Prim, form: &Form) -> String {
    match (prim, form) {
        (_, Form::Binary(op)) => match op {
            syn::BinOp::Add(_) => "add".into(),
            syn::BinOp::Sub(_) => "sub".into(),
            syn::BinOp::Mul(_) => "mul".into(),
            syn::BinOp::Div(_) => "div".into(),
            syn::BinOp::Rem(_) => "rem".into(),
            other => tokens(other),
        },
        (_, Form::Neg) => "neg".into(),
        (_, Form::Method(m)) => m.to_string(),
        (_, Form::Path(p)) => {
            p.path.segments.last().map(|s| s.ident.to_string()).unwrap_or_default()
        }
        (_, Form::Cast(ty)) => format!("as {}", tokens(ty)),
        (_, Form::Index) => "index".into(),
        (_, Form::Slice) => "slice".into(),
        (_, Form::Copy) => "copy".into(),
        (_, Form::Store) => "store".into(),
        (_, Form::Array) => "array".into(),
        (_, Form::Vec) => "vec".into(),
        (_, Form::Repeat) => "repeat".into(),
        (_, Form::Tuple) => "tuple".into(),
        (_, Form::Element(k)) => format!(".{k}"),
        (_, Form::Field(path)) => {
            path.iter().map(|m| format!(".{}", tokens(m))).collect::<String>()
        }
        (_, Form::Tangent(inner, _)) => format!("tangent of {}", op_name(prim, inner)),
    }
}

/// `tokens` with each identifier that `names` knows replaced.
fn rename(tokens: TokenStream, names: &HashMap<&str, String>) -> TokenStream {
    tokens
        .into_iter()
        .map(|t| match t {
            TokenTree::Ident(id) => match names.get(id.to_string().as_str()) {
                Some(name) => TokenTree::Ident(proc_macro2::Ident::new(name, id.span())),
                None => TokenTree::Ident(id),
            },
            TokenTree::Group(g) => {
                let mut inner = proc_macro2::Group::new(g.delimiter(), rename(g.stream(), names));
                inner.set_span(g.span());
                TokenTree::Group(inner)
            }
            other => other,
        })
        .collect()
}

/// The user's name of a versioned value (`s_2` -> `s`).
fn user_name(name: &str) -> String {
    match name.rsplit_once('_') {
        Some((base, n)) if !base.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => base.into(),
        _ => name.into(),
    }
}

/// Source text of tokens, spaced like source (`x[i]`, `&x`).
fn tokens(t: &impl ToTokens) -> String {
    let mut s = crate::ir::tokens(t);
    for (from, to) in
        [(" [", "["), ("[ ", "["), (" ]", "]"), ("& ", "&"), (" .. ", ".."), (" ..= ", "..=")]
    {
        s = s.replace(from, to);
    }
    s
}

/// At most 40 characters of `text`.
fn short(text: &str) -> String {
    if text.chars().count() <= 40 {
        return text.to_string();
    }
    let cut: String = text.chars().take(38).collect();
    format!("{cut}…")
}

/// `text` as a DOT string.
fn quoted(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

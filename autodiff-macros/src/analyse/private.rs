//! Buffers private to one iteration of a loop: scratch space that each iteration fills before
//! it reads it (`xc[j] = x[i * d + j] - mu[j]` for every `j`, then reads of `xc`). Reverse mode
//! can then run an iteration a second time from its carried values alone, instead of taping
//! every value the body reads back from the buffer (`emit/reverse/loops.rs`, the rerun
//! strategy); a compiler's scalar expansion sees the same thing.
//!
//! Coverage is decided on the IR as written, conservatively:
//! - a range loop `for j in 0..n { b[j] = ..; .. }` (no `break`, the write at the top of its
//!   body) covers `b[i]` for every `i` bound by a range loop ending at the same `n`, in the rest
//!   of the block it is in (indices are `usize`, so `a..n` lies inside `0..n`);
//! - a write `b[i] = ..` covers reads of `b[i]` with the same index value after it in its block;
//! - in expressions kept as written (a branch's condition `if b[j] > 0.0`), a read `b[j]` with a
//!   plain index counts as the same read;
//! - anything else that reads such a buffer (another index, a call, a method, the buffer named
//!   whole) leaves the loop as it is.

use crate::ir::{Block, Function, Loop, LoopHead, Node, Operand, Prim, StoreOp, Var};
use quote::ToTokens;
use std::collections::{HashMap, HashSet};

/// The buffers from outside `lp` that its body writes and reads, when every read is covered by
/// a write of the same iteration before it (see the module documentation). `None` when one is
/// not, or when the body changes a buffer from outside in a way the analysis does not follow
/// (a push, a method such as `fill`, a call it is passed to): running an iteration again would
/// then not give the values it gave.
///
/// `constants`: a read at a constant index (`b[0]` after `for j in 0..k { b[j] = .. }`) counts
/// as covered when every write of `b` in the loop fills `0..k` for the same `k`, which the
/// loop does not change: then every iteration writes `b[0]` before reading it, or none writes
/// it at all (`k == 0`: the read sees the value from before the loop in every iteration, which
/// is all an adjoint run in another order needs, but not a run again after later code).
pub fn iteration_private(f: &Function, lp: &Loop, constants: bool) -> Option<HashSet<Var>> {
    let mut local = HashSet::new();
    crate::ir::defined_within(&lp.body, &mut local);
    let (stored, other) = buffer_writes(f, &lp.body);
    if other.iter().any(|v| !local.contains(v)) {
        return None;
    }
    let written: HashSet<Var> = stored.into_iter().filter(|v| !local.contains(v)).collect();
    let mut read = HashSet::new();
    let locals: HashSet<String> = local.iter().map(|v| f.var(*v).ident.to_string()).collect();
    let mut uniform = HashMap::new();
    if constants {
        // The same `n` in every iteration: it names nothing the loop binds, not even its index
        // or the values it carries (`0..m - i`, `0..len` with `len -= 1` are not).
        let bound: HashSet<String> =
            crate::ir::loop_inner(lp).iter().map(|v| f.var(*v).ident.to_string()).collect();
        let mut fills = HashMap::new();
        filled_whole(&lp.body, &bound, &mut fills);
        uniform = fills.into_iter().filter_map(|(b, end)| Some((b, end?))).collect();
    }
    let mut cx = Coverage {
        f,
        written: &written,
        read: &mut read,
        locals: &locals,
        whole: HashMap::new(),
        elements: HashSet::new(),
        ranges: HashMap::new(),
        uniform: &uniform,
    };
    cx.block(&lp.body).then_some(read)
}

/// The buffers `b` (nested code included) writes element by element (`b[i] = ..`, `+=`, `-=`),
/// and those it changes another way: a push, a method such as `fill`, a call it is passed to.
pub fn buffer_writes(f: &Function, b: &Block) -> (HashSet<Var>, HashSet<Var>) {
    fn walk(f: &Function, b: &Block, stored: &mut HashSet<Var>, other: &mut HashSet<Var>) {
        let buffer = |v: &Var| f.var(*v).buffer;
        for node in &b.nodes {
            match node {
                Node::Store(st) if st.op == StoreOp::Push => {
                    other.insert(st.buffer);
                }
                Node::Store(st) => {
                    stored.insert(st.buffer);
                }
                Node::Op(op) if matches!(op.prim, Prim::Call) => {
                    other.extend(op.args.iter().filter_map(Operand::var).filter(buffer));
                }
                Node::Op(_) => {}
                Node::Opaque { expr, uses, .. } => other.extend(uses.iter().filter(|v| {
                    buffer(v) && crate::syntax::mutates_buffer(expr, &f.var(**v).ident)
                })),
                Node::Branch(br) => br.arms.iter().for_each(|a| walk(f, &a.body, stored, other)),
                Node::Loop(inner) => walk(f, &inner.body, stored, other),
            }
        }
    }
    let (mut stored, mut other) = (HashSet::new(), HashSet::new());
    walk(f, b, &mut stored, &mut other);
    (stored, other)
}

/// What is known to be written at a point of one iteration.
struct Coverage<'a> {
    f: &'a Function,
    /// The buffers whose reads must be covered.
    written: &'a HashSet<Var>,
    /// Those of them read so far.
    read: &'a mut HashSet<Var>,
    /// The names of values the body defines (a local buffer may grow: its `len()` is not an end).
    locals: &'a HashSet<String>,
    /// Per buffer, the ends `n` of ranges `0..n` written whole.
    whole: HashMap<Var, Vec<String>>,
    /// Elements written at an index value: (buffer, index).
    elements: HashSet<(Var, Var)>,
    /// The end `n` of the range each enclosing range loop's index runs over.
    ranges: HashMap<Var, String>,
    /// The buffers every write of which in the loop fills `0..n`, with that `n` (the loop does
    /// not change it).
    uniform: &'a HashMap<Var, String>,
}

impl Coverage<'_> {
    /// Whether every read of a written buffer in `b` is covered; coverage gained in `b` stays
    /// in `b`.
    fn block(&mut self, b: &Block) -> bool {
        let (whole, elements) = (self.whole.clone(), self.elements.clone());
        let covered = b.nodes.iter().all(|node| self.node(node));
        (self.whole, self.elements) = (whole, elements);
        covered
    }

    fn node(&mut self, node: &Node) -> bool {
        let written = |v: &Var| self.written.contains(v);
        match node {
            Node::Op(op) => {
                for (k, a) in op.args.iter().enumerate() {
                    let Some(v) = a.var().filter(written) else { continue };
                    if !(matches!(op.prim, Prim::Index) && k == 0 && self.covers(v, &op.args[1])) {
                        return false;
                    }
                }
                true
            }
            Node::Store(st) => {
                if !written(&st.buffer) {
                    return true;
                }
                match (st.op, st.index.var()) {
                    (StoreOp::Set, Some(i)) => {
                        self.elements.insert((st.buffer, i));
                        true
                    }
                    (StoreOp::Set, None) => true,
                    (_, _) => self.covers(st.buffer, &st.index),
                }
            }
            Node::Opaque { expr, uses, .. } => self.expression(expr, uses),
            Node::Branch(br) => {
                let head = match &br.head {
                    crate::ir::Head::If(e) | crate::ir::Head::Match(e) => e,
                };
                self.expression(head, &br.uses) && br.arms.iter().all(|a| self.block(&a.body))
            }
            Node::Loop(inner) => {
                if inner.uses.iter().any(written) {
                    return false;
                }
                let range = index_range(inner, self.locals);
                if let Some((i, _, end)) = &range {
                    self.ranges.insert(*i, end.clone());
                }
                if !self.block(&inner.body) {
                    return false;
                }
                // `for i in 0..n { b[i] = .. }` writes `b[..n]` whole
                if let (Some((i, true, end)), false) = (range, inner.exits) {
                    for node in &inner.body.nodes {
                        if let Node::Store(st) = node
                            && st.op == StoreOp::Set
                            && st.index.var() == Some(i)
                        {
                            self.whole.entry(st.buffer).or_default().push(end.clone());
                        }
                    }
                }
                true
            }
        }
    }

    /// Whether the reads of written buffers in an expression kept as written (reading `uses`)
    /// are covered: each names the buffer only as `b[j]`, `j` one of the values it reads.
    fn expression(&mut self, expr: &syn::Expr, uses: &[Var]) -> bool {
        let f = self.f;
        let named = |name: &syn::Ident| uses.iter().copied().find(|v| f.var(*v).ident == *name);
        for b in uses.iter().copied().filter(|v| self.written.contains(v)) {
            let mut reads =
                ElementReads { buffer: &f.var(b).ident, indices: Vec::new(), whole: false };
            syn::visit::Visit::visit_expr(&mut reads, expr);
            if reads.whole {
                return false;
            }
            for i in reads.indices {
                match named(&i) {
                    Some(i) if self.covers(b, &Operand::Var(i)) => {}
                    _ => return false,
                }
            }
        }
        true
    }

    /// Whether reading `buffer` at `index` reads an element written before in this iteration.
    fn covers(&mut self, buffer: Var, index: &Operand) -> bool {
        let Some(i) = index.var() else {
            let filled = self
                .uniform
                .get(&buffer)
                .is_some_and(|end| self.whole.get(&buffer).is_some_and(|ends| ends.contains(end)));
            if filled {
                self.read.insert(buffer);
            }
            return filled;
        };
        let by_range = self
            .ranges
            .get(&i)
            .is_some_and(|end| self.whole.get(&buffer).is_some_and(|ends| ends.contains(end)));
        let covered = by_range || self.elements.contains(&(buffer, i));
        if covered {
            self.read.insert(buffer);
        }
        covered
    }
}

/// For a range loop `for i in a..n` with a plain index and an end that names only values that
/// keep theirs (paths, literals, arithmetic, `.len()` of something from outside the loop, which
/// does not grow in it): the index, whether `a` is `0`, and `n` as text.
fn index_range(lp: &Loop, locals: &HashSet<String>) -> Option<(Var, bool, String)> {
    let LoopHead::Range { iter: syn::Expr::Range(r), .. } = &lp.head else { return None };
    let ([i], syn::RangeLimits::HalfOpen(_), Some(end)) = (&lp.bound[..], &r.limits, &r.end) else {
        return None;
    };
    let from_zero = matches!(r.start.as_deref(), Some(syn::Expr::Lit(l)) if l.lit.to_token_stream().to_string() == "0");
    stable(end, locals).then(|| (*i, from_zero, end.to_token_stream().to_string()))
}

/// Whether an expression names only values that cannot change while a loop runs (values are
/// assigned once in the IR; a buffer's length changes only by pushes, which only local buffers
/// get).
fn stable(e: &syn::Expr, locals: &HashSet<String>) -> bool {
    match e {
        syn::Expr::Path(_) | syn::Expr::Lit(_) => true,
        syn::Expr::Paren(p) => stable(&p.expr, locals),
        syn::Expr::Binary(b) => stable(&b.left, locals) && stable(&b.right, locals),
        syn::Expr::MethodCall(m) => {
            m.method == "len"
                && m.args.is_empty()
                && matches!(&*m.receiver, syn::Expr::Path(p)
                    if p.path.get_ident().is_some_and(|i| !locals.contains(&i.to_string())))
        }
        _ => false,
    }
}

/// Per buffer written in `b`: the end `n` when every write fills `0..n` whole (a range loop
/// with the write at the top of its body, at the loop's index) for one `n` naming nothing in
/// `locals` (what the loop binds); `None` when some write is another kind.
fn filled_whole(b: &Block, locals: &HashSet<String>, out: &mut HashMap<Var, Option<String>>) {
    for node in &b.nodes {
        match node {
            Node::Store(st) => note(out, st.buffer, None),
            Node::Op(_) | Node::Opaque { .. } => {}
            Node::Branch(br) => br.arms.iter().for_each(|a| filled_whole(&a.body, locals, out)),
            Node::Loop(inner) => {
                let fill = index_range(inner, locals)
                    .filter(|(_, from_zero, end)| {
                        *from_zero
                            && !inner.exits
                            && !end
                                .split(|c: char| !c.is_alphanumeric() && c != '_')
                                .any(|word| locals.contains(word))
                    })
                    .map(|(i, _, end)| (i, end));
                let mut rest = HashMap::new();
                for node in &inner.body.nodes {
                    match (node, &fill) {
                        (Node::Store(st), Some((i, end)))
                            if st.op == StoreOp::Set && st.index.var() == Some(*i) =>
                        {
                            note(out, st.buffer, Some(end.clone()));
                        }
                        _ => {
                            let one = Block { nodes: vec![node.clone()], yields: Vec::new() };
                            filled_whole(&one, locals, &mut rest);
                        }
                    }
                }
                for (buffer, _) in rest {
                    note(out, buffer, None);
                }
            }
        }
    }
}

/// Records a write of `buffer` filling `0..end` (`None`: another kind of write).
fn note(out: &mut HashMap<Var, Option<String>>, buffer: Var, end: Option<String>) {
    let entry = out.entry(buffer).or_insert_with(|| end.clone());
    if *entry != end {
        *entry = None;
    }
}

/// The reads `buffer[i]` in an expression (`i` a plain name), and whether it names the buffer
/// any other way (whole, with another index, inside a macro).
struct ElementReads<'a> {
    buffer: &'a syn::Ident,
    indices: Vec<syn::Ident>,
    whole: bool,
}

impl<'ast> syn::visit::Visit<'ast> for ElementReads<'_> {
    fn visit_expr(&mut self, e: &'ast syn::Expr) {
        let is_buffer =
            |e: &syn::Expr| matches!(e, syn::Expr::Path(p) if p.path.is_ident(self.buffer));
        match e {
            syn::Expr::Index(ix) if is_buffer(&ix.expr) => match &*ix.index {
                syn::Expr::Path(p) if p.path.get_ident().is_some() => {
                    self.indices.extend(p.path.get_ident().cloned());
                }
                _ => self.whole = true,
            },
            e if is_buffer(e) => self.whole = true,
            _ => syn::visit::visit_expr(self, e),
        }
    }

    fn visit_macro(&mut self, m: &'ast syn::Macro) {
        let named = m
            .tokens
            .clone()
            .into_iter()
            .any(|t| matches!(&t, proc_macro2::TokenTree::Ident(i) if i == self.buffer));
        self.whole |= named || m.tokens.to_string().contains(&self.buffer.to_string());
    }
}

/// Whether every iteration of `lp` writes all of buffer `b`: a range loop `for i in 0..n` at
/// the top of the body stores `b[i]` at the top of its own, `n` being the length `b` was made
/// with (`vec![v; n]`, `[v; n]`, as written) or `b.len()`. Keeping such a buffer's contents per
/// iteration costs what the iteration's own writes cost (a buffer written at a few places and
/// kept whole would cost its length per iteration).
pub fn fills_whole(f: &Function, lp: &Loop, b: Var) -> bool {
    let Some(made) = made_with_length(&f.body, b) else { return false };
    let own = format!("{} . len ()", f.var(b).ident);
    let locals = HashSet::new();
    lp.body.nodes.iter().any(|node| {
        let Node::Loop(fill) = node else { return false };
        let Some((i, true, end)) = index_range(fill, &locals) else { return false };
        !fill.exits
            && (end == made || end == own)
            && fill.body.nodes.iter().any(|n| {
                matches!(n, Node::Store(st)
                    if st.buffer == b && st.op == StoreOp::Set && st.index.var() == Some(i))
            })
    })
}

/// The length a buffer was made with, as text: `n` of `vec![v; n]` or `[v; n]`.
fn made_with_length(block: &Block, b: Var) -> Option<String> {
    for node in &block.nodes {
        let found = match node {
            Node::Opaque { out, expr, .. } if *out == b => {
                let repeat = match expr {
                    syn::Expr::Macro(m) if m.mac.path.is_ident("vec") => {
                        let tokens = &m.mac.tokens;
                        syn::parse2::<syn::Expr>(quote::quote!([#tokens])).ok()
                    }
                    e => Some(e.clone()),
                };
                match repeat {
                    Some(syn::Expr::Repeat(r)) => return Some(r.len.to_token_stream().to_string()),
                    _ => return None,
                }
            }
            Node::Branch(br) => br.arms.iter().find_map(|a| made_with_length(&a.body, b)),
            Node::Loop(inner) => made_with_length(&inner.body, b),
            _ => None,
        };
        if found.is_some() {
            return found;
        }
    }
    None
}

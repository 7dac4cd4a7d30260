//! The intermediate representation: the function body as single assignments of primitive
//! operations, with structured branches. Every stage after lowering reads this, never syntax.
//!
//! Each value is assigned once ([`Var`]); a `let mut` reassigned in the source becomes several
//! values. Branches yield values ([`Block::yields`]) that become the branch's outputs, like phi
//! nodes in SSA form. Early returns are lowered away: the rest of the function is moved into
//! the branches that continue, so the body's single yield is the function's result.

use crate::kind::Kind;
use crate::rules::Rule;
use proc_macro2::{Ident, Span};

mod dump;
mod queries;

pub use dump::tokens;
pub use queries::{
    BufferEvent, branch_inner, buffer_events, defined_within, definitions, each_op, loop_inner,
    read_within, reads, written_after,
};

/// A value, assigned once.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Var(pub usize);

/// What is known about a value.
#[derive(Clone)]
pub struct VarInfo {
    /// A unique name, a valid identifier: the user's name with a version (`s_1`), or `tN`.
    pub name: String,
    /// The identifier the generated code uses (the user's own for parameters).
    pub ident: Ident,
    /// What syntax tells of its type.
    pub kind: Kind,
    /// Whether it depends on an active parameter (the forward half of activity analysis).
    pub varied: bool,
    /// A type annotation from the source, kept in the generated code for type inference.
    pub ty: Option<syn::Type>,
    /// For a parameter: its position among the function's typed parameters.
    pub param: Option<usize>,
    /// A `Vec` buffer written in place (`let mut b: Vec<f64> = ..; b[i] = ..; b.push(..)`): one
    /// value for the whole function, changed by [`Node::Store`]s.
    pub buffer: bool,
    /// A buffer declared inside a loop body or a branch arm: a new one each time that code
    /// runs. Its adjoint is declared where the adjoint of that block starts.
    pub scoped: bool,
    /// For a scoped buffer that is pushed into: its length at the end of its block (an inactive
    /// value there), the length of its adjoint.
    pub length: Option<Var>,
    /// A value of unknown type that may be an nalgebra value (the result of a call taking one,
    /// `let f = force(p, k);`, and arithmetic on such results): its arithmetic takes the rules of
    /// `rules::algebra`, which serve floats and nalgebra values alike.
    pub maybe_algebra: bool,
}

impl VarInfo {
    /// A local value of the macro's own, named `name` (a unique, valid identifier).
    pub fn local(name: String, kind: Kind, varied: bool) -> VarInfo {
        VarInfo {
            ident: Ident::new(&name, Span::mixed_site()),
            name,
            kind,
            varied,
            ty: None,
            param: None,
            buffer: false,
            scoped: false,
            length: None,
            maybe_algebra: false,
        }
    }
}

/// An operation's input: a value, or a constant emitted as written.
#[derive(Clone)]
pub enum Operand {
    /// A value of the IR.
    Var(Var),
    /// A value passed by reference (`&v`, a sequence passed to a function).
    Ref(Var),
    /// A literal or a path to a constant, emitted as written.
    Const(syn::Expr),
}

impl Operand {
    /// The value this operand reads, if not a constant.
    pub fn var(&self) -> Option<Var> {
        match self {
            Operand::Var(v) | Operand::Ref(v) => Some(*v),
            Operand::Const(_) => None,
        }
    }
}

/// How the primal of an operation is written in the generated code: as the user wrote it, so
/// that type inference sees the same expression.
#[derive(Clone)]
pub enum Form {
    /// `a op b`
    Binary(syn::BinOp),
    /// `-a`
    Neg,
    /// `a.method(b, ..)`
    Method(Ident),
    /// `path(a, b, ..)`
    Path(syn::ExprPath),
    /// `a as T`
    Cast(syn::Type),
    /// `a[i]`
    Index,
    /// `&a[start..end]`
    Slice,
    /// `a.clone()` of a whole buffer
    Copy,
    /// `{ let mut a = a; a[i] = v; a }`
    Store,
    /// `[a, b, c]`
    Array,
    /// `vec![a, b, c]`
    Vec,
    /// `vec![a; n]` (operands: the value, the inactive count)
    Repeat,
    /// `(a, b)`
    Tuple,
    /// `t.k` of a tuple
    Element(usize),
    /// `model.a.b` (or `model.a.b[i]` with an index operand): a field of a model, read by
    /// cloning (tensors are cheap handles).
    Field(Vec<syn::Member>),
    /// The tangent of a call, for second order (see `crate::second`): `g_jvp(args.., tangents..)`
    /// of the call written as the inner form with its first `usize` operands, the rest being
    /// their tangents; its adjoint calls `g_vjp` and `g_hvp`. Of a `Form::Field` (with a
    /// `Prim::Field`, operand 0 being the model's tangent): the field of the tangent, zero
    /// when the field is `#[autodiff(skip)]`.
    Tangent(Box<Form>, usize),
}

impl Form {
    /// The path of a field read (`Form::Field`), or of the read of a field's tangent (a
    /// `Form::Tangent` of one, second order).
    pub fn field_path(&self) -> Option<&[syn::Member]> {
        match self {
            Form::Field(path) => Some(path),
            Form::Tangent(inner, _) => inner.field_path(),
            _ => None,
        }
    }
}

/// What an operation is, for differentiation.
#[derive(Clone, Copy)]
pub enum Prim {
    /// A primitive with a rule in the runtime.
    Rule(&'static Rule),
    /// A call to a function or method that has `_jvp`/`_vjp` companions.
    Call,
    /// Reading an element `seq[i]` of a sequence of floats.
    Index,
    /// Borrowing the sub-slice `&seq[start..end]` (operands: seq, start, end) of a sequence
    /// that is never written in place: its adjoint adds into the same range of `seq`'s.
    Slice,
    /// A copy of the whole buffer operand 0, taken where a call is passed a buffer that is
    /// written after the call (see `lower::snapshots`): the call's adjoint reads the copy, the
    /// buffer as the call saw it; the copy's adjoint adds into the buffer's whole adjoint.
    Copy,
    /// A new array equal to operand 0 with element operand 1 replaced by operand 2
    /// (`y[i] = v` on a local array: arrays are values).
    Store,
    /// A new array, `Vec`, tuple or nalgebra value of the operands' values (`[a, b, c]`,
    /// `vec![a, b]`, `(a, b)`, `Vector3::new(a, b, c)`).
    Build,
    /// Element `k` of a tuple, operand 0 (`t.0`, or bound by `let (a, b) = t;`): its adjoint
    /// adds into the same element of the tuple's adjoint.
    Element,
    /// Reading a field (`Form::Field`) of a model, operand 0, or an element of it at the
    /// inactive index operand 1: its adjoint adds into the same place of the model's adjoint,
    /// unless the field is `#[autodiff(skip)]`.
    Field,
}

impl Prim {
    /// Whether the operation's result depends differentiably on operand `k`.
    pub fn differentiable(&self, k: usize) -> bool {
        match self {
            Prim::Rule(r) => r.diff.get(k).copied().unwrap_or(false),
            Prim::Call => true,
            Prim::Index | Prim::Slice | Prim::Copy => k == 0,
            Prim::Store => k != 1,
            Prim::Build => true,
            Prim::Field | Prim::Element => k == 0,
        }
    }
}

/// One assignment `out = prim(args)`.
#[derive(Clone)]
pub struct Op {
    /// The value assigned.
    pub out: Var,
    /// The primitive.
    pub prim: Prim,
    /// How to write its primal.
    pub form: Form,
    /// Its operands (a method's receiver first).
    pub args: Vec<Operand>,
    /// Where the source wrote it.
    pub span: Span,
    /// For a call in split mode: the value holding its pullback. Reverse mode's forward sweep
    /// binds `(out, pullback) = g_pullback(args)` and the adjoint calls the pullback instead
    /// of `g_vjp`, so the callee runs once (DESIGN.md: a callee handed `&mut` state; the
    /// runtime's layers and losses, whose adjoints would compute their products again).
    pub pullback: Option<Var>,
}

/// How a branch chooses its arm.
#[derive(Clone)]
pub enum Head {
    /// `if cond { arm 0 } else { arm 1 }`
    If(syn::Expr),
    /// `match scrutinee { pat => arm, .. }`; each arm carries its pattern.
    Match(syn::Expr),
}

/// One arm of a branch.
#[derive(Clone)]
pub struct Arm {
    /// The pattern (with its guard) of a `match` arm; `None` for `if`.
    pub pat: Option<syn::Pat>,
    /// The arm's code and the values it yields to the branch's outputs.
    pub body: Block,
}

/// A branch whose arms each yield one value per output.
#[derive(Clone)]
pub struct Branch {
    /// A number unique in the function.
    pub id: usize,
    /// The condition or scrutinee (inactive: evaluated as written).
    pub head: Head,
    /// The arms, in source order.
    pub arms: Vec<Arm>,
    /// The values the branch defines.
    pub outs: Vec<Var>,
    /// The values the condition, scrutinee and guards read.
    pub uses: Vec<Var>,
}

/// How a loop iterates.
#[derive(Clone)]
pub enum LoopHead {
    /// `for pat in range`: an integer range (possibly `.rev()`/`.step_by(k)`), which the
    /// adjoint sweep walks backwards with `.rev()` instead of storing the indices.
    Range {
        /// The pattern, its names renamed to the loop's index values.
        pat: syn::Pat,
        /// The range expression, evaluated as written.
        iter: syn::Expr,
    },
    /// `for pat in iterator`: any other iterator; the adjoint sweep stores the items it needs.
    Iter {
        /// The pattern, its names renamed.
        pat: syn::Pat,
        /// The iterator expression, evaluated as written.
        iter: syn::Expr,
    },
    /// `while cond`, the condition reading the loop-carried values.
    While(syn::Expr),
    /// `loop`, left by `break`.
    Loop,
}

/// A variable the loop body reassigns.
#[derive(Clone)]
pub struct Carried {
    /// Its value before the loop.
    pub init: Operand,
    /// Its value at the start of an iteration.
    pub phi: Var,
    /// Its value after the loop.
    pub out: Var,
}

/// A loop: the body yields the next value of each carried variable and, when the body can
/// `break`, a last yield that is `false` to leave the loop.
#[derive(Clone)]
pub struct Loop {
    /// A number unique in the function.
    pub id: usize,
    /// How it iterates.
    pub head: LoopHead,
    /// The values bound by a `for` pattern (inactive).
    pub bound: Vec<Var>,
    /// The loop-carried variables.
    pub carried: Vec<Carried>,
    /// The body.
    pub body: Block,
    /// Whether the body yields a "go on" flag after the carried values.
    pub exits: bool,
    /// The values the head reads.
    pub uses: Vec<Var>,
}

/// A statement of the IR.
#[derive(Clone)]
pub enum Node {
    /// A primitive operation or a differentiable call.
    Op(Op),
    /// An inactive expression, evaluated exactly as written (names renamed).
    Opaque {
        /// The value assigned.
        out: Var,
        /// The expression.
        expr: syn::Expr,
        /// The values it reads.
        uses: Vec<Var>,
    },
    /// Structured control flow.
    Branch(Branch),
    /// A loop.
    Loop(Loop),
    /// A write into a `Vec` buffer, in place.
    Store(Store),
}

/// How a [`Store`] changes its element.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum StoreOp {
    /// `b[i] = v`
    Set,
    /// `b[i] += v`
    Add,
    /// `b[i] -= v`
    Sub,
    /// `b.push(v)`, the new element's index being `index`.
    Push,
}

/// `buffer[index] op= value`.
#[derive(Clone)]
pub struct Store {
    /// The buffer.
    pub buffer: Var,
    /// The element (for a push, the buffer's length before it).
    pub index: Operand,
    /// The value written or added.
    pub value: Operand,
    /// How.
    pub op: StoreOp,
}

/// A sequence of statements and the values it yields.
#[derive(Clone, Default)]
pub struct Block {
    /// The statements in order.
    pub nodes: Vec<Node>,
    /// What the block yields: the function's result for the body, the branch outputs for an arm.
    pub yields: Vec<Operand>,
}

/// A lowered function.
#[derive(Clone)]
pub struct Function {
    /// Every value.
    pub vars: Vec<VarInfo>,
    /// The typed parameters, in order.
    pub params: Vec<Var>,
    /// The body; it yields exactly the function's result.
    pub body: Block,
    /// Items declared in the body (`use`, nested `fn`), repeated in every generated function.
    pub items: Vec<syn::Item>,
}

impl Function {
    /// The information on `v`.
    pub fn var(&self, v: Var) -> &VarInfo {
        &self.vars[v.0]
    }

    /// The function's result.
    pub fn result(&self) -> &Operand {
        &self.body.yields[0]
    }
}

//! Statements that write: assignments to names (`s = ..`, `s += ..`), element writes into
//! arrays and buffers (`b[i] = ..`, `b.push(..)`), and expressions kept for their effect.

use super::context::Lowerer;
use super::rename::rename;
use crate::diagnostics::problems;
use crate::ir::{Node, Operand, Var};
use crate::kind::Kind;
use syn::Expr;
use syn::spanned::Spanned;

impl<'s> Lowerer<'_> {
    /// `assert!(..)`, `assert_eq!(..)`, `assert_ne!(..)` and their `debug_` forms: inactive
    /// checks, kept as written with their names renamed (a message's inline `{name}` too, as a
    /// named argument). Returns false for any other macro.
    ///
    /// ```text
    /// assert!(s > 0.0, "s = {s}");   =>   assert!(s_2 > 0.0, "s = {s}", s = s_2);
    /// ```
    pub fn lower_check(&mut self, mac: &syn::Macro) -> bool {
        const CHECKS: &[&str] = &[
            "assert",
            "assert_eq",
            "assert_ne",
            "debug_assert",
            "debug_assert_eq",
            "debug_assert_ne",
        ];
        let name = mac.path.segments.last().map(|s| s.ident.to_string()).unwrap_or_default();
        if !CHECKS.contains(&name.as_str()) {
            return false;
        }
        let parser = syn::punctuated::Punctuated::<Expr, syn::Token![,]>::parse_terminated;
        let Ok(args) = syn::parse::Parser::parse2(parser, mac.tokens.clone()) else {
            return false;
        };
        let mut uses = Vec::new();
        let mut renamed: Vec<Expr> = Vec::new();
        let mut named: Vec<String> = Vec::new();
        for a in &args {
            // `name = value` in the message's arguments: only the value reads locals.
            let (target, value) = match a {
                Expr::Assign(asg) => (Some(&asg.left), &*asg.right),
                e => (None, e),
            };
            let r = rename(value, &self.env, &self.vars);
            if r.has_return || r.mutates_local || r.has_macro {
                return false;
            }
            uses.extend(r.uses);
            let v = r.expr;
            renamed.push(match target {
                Some(t) => {
                    named.push(quote::quote!(#t).to_string());
                    syn::parse_quote!(#t = #v)
                }
                None => v,
            });
        }
        // The message's inline captures (`{s}`) name locals that lowering may have renamed.
        for a in args.iter() {
            let Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(text), .. }) = a else { continue };
            for capture in inline_captures(&text.value()) {
                let Some(b) = self.env.lookup(&capture) else { continue };
                if named.contains(&capture) {
                    continue;
                }
                let (id, var) = (syn::Ident::new(&capture, mac.path.span()), b.var);
                let value = self.vars[var.0].ident.clone();
                uses.push(var);
                renamed.push(syn::parse_quote!(#id = #value));
                named.push(capture);
            }
        }
        let path = &mac.path;
        let expr: Expr = syn::parse_quote!(#path!(#(#renamed),*));
        self.opaque(expr, uses, Kind::Unknown);
        true
    }

    /// Whether `e` depends on an active parameter (other than through `detach(..)` or
    /// `no_grad(..)`, which are inactive): written into `&mut` state, its derivative would be
    /// lost. Lowers `e` to see, then drops what that made.
    fn carries_derivative(&mut self, e: &'s Expr) -> bool {
        let (nodes, errors) = (self.nodes.len(), self.errors.len());
        let value = self.lower_expr(e);
        let varied = self.varied(&value);
        self.nodes.truncate(nodes);
        self.errors.truncate(errors);
        varied
    }

    /// Lowers an expression whose value is discarded.
    pub fn lower_stmt_expr(&mut self, e: &'s Expr) {
        match e {
            // `log.push(x)`, `stats.record(x)` of `&mut` state: the value's derivative would be
            // lost
            Expr::MethodCall(mc)
                if place_root(&mc.receiver).is_some_and(|root| self.holds_mut_state(root))
                    && let Some(arg) = mc.args.iter().find(|a| self.carries_derivative(a)) =>
            {
                self.errors.error(
                    arg,
                    "a value that depends on an active parameter cannot be written into `&mut` state: its derivative would be lost",
                    "write `detach(..)` of it to store the value without its derivative, or return it",
                );
            }
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
                if !self.lower_check(&m.mac) {
                    self.unsupported_macro(&m.mac);
                }
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
                // `y.swap(0, 2)` of an array value (`let mut y = x;`): arrays are values, each
                // write a new one, so a change in place would go unseen
                let changed_value = self.vars.iter().enumerate().find(|(i, v)| {
                    !v.buffer
                        && v.varied
                        && matches!(v.kind, Kind::Seq(_) | Kind::Algebra)
                        && r.uses.contains(&Var(*i))
                        && crate::syntax::mutates_buffer(&r.expr, &v.ident)
                });
                if let Some((_, v)) = changed_buffer {
                    self.errors.error(
                        e,
                        format!("this changes the buffer `{}` in a way that cannot be differentiated", v.ident),
                        "write its elements with `b[i] = ..`, `b[i] += ..` or `b.push(..)`, or fill a new buffer",
                    );
                } else if let Some((_, v)) = changed_value {
                    // (the name the statement changes, which may be a copy of `v`'s)
                    let y = written_name(e, &v.ident);
                    self.errors.error(
                        e,
                        format!("this changes the array `{y}` in place, which cannot be differentiated"),
                        format!("give it its type, `let mut {y}: [f64; N] = ..;` (a typed array is written in place: its `swap`, `reverse` and `copy_from_slice` differentiate), or write its elements (a swap: `let t = {y}[i]; {y}[i] = {y}[j]; {y}[j] = t;`)"),
                    );
                } else if r.mutates_local {
                    self.errors.error(
                        e,
                        "this statement changes a local in a way that cannot be differentiated",
                        "assign with `x = ...` or `x += ...` at the level of a statement",
                    );
                } else if r.has_macro {
                    self.errors.report(e, &problems::MACRO_CALL);
                } else {
                    self.opaque(r.expr, r.uses, Kind::Unknown);
                }
            }
        }
    }

    /// Lowers `place = value` or `place op= value`.
    pub(super) fn lower_assign(
        &mut self,
        place: &'s Expr,
        value: &'s Expr,
        op: Option<&syn::BinOp>,
    ) {
        // `*calls += 1`, `out[i] = ..`, `state.k = ..` of `&mut` state: inactive data the
        // function may write (DESIGN.md), the statement kept as written.
        if place_root(place).is_some_and(|root| self.holds_mut_state(root)) {
            let (l, r) =
                (rename(place, &self.env, &self.vars), rename(value, &self.env, &self.vars));
            if self.carries_derivative(value) {
                self.errors.error(
                    value,
                    "a value that depends on an active parameter cannot be written into `&mut` state: its derivative would be lost",
                    "write `detach(..)` of it to store the value without its derivative, or return it",
                );
                return;
            }
            let (left, right) = (&l.expr, &r.expr);
            let stmt: Expr = match op {
                Some(op) => syn::parse_quote!(#left #op #right),
                None => syn::parse_quote!(#left = #right),
            };
            let mut uses = l.uses;
            uses.extend(r.uses);
            self.opaque(stmt, uses, Kind::Unknown);
            return;
        }
        if let Expr::Index(ix) = place {
            return self.lower_store(ix, value, op);
        }
        let Expr::Path(p) = place else {
            // `w.z = ..` of a local: a component of an nalgebra vector whose type the macro
            // could not see, or a field of a struct
            let help = if matches!(place, Expr::Field(_)) {
                "a component of an nalgebra vector is written when the vector's type shows (`let mut w: Vector3<f64> = ..;` or `Vector3::new(..)`); keep a struct's fields in local variables"
            } else {
                "assign to a local variable: `let mut y = ...; y = ...;`"
            };
            self.errors.error(place, "assignment to this place cannot be differentiated yet", help);
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
                    "give its `let` a type (`let mut b: Vec<f64> = ..`): a typed buffer assigned whole takes the new value's elements; or keep the new value in a variable of its own",
                )
            } else {
                (
                    "is a buffer filled in place (by `.to_vec()`, `.clone()` or `.collect()`)",
                    "give its `let` a type (`let mut b: Vec<f64> = ..`): a typed buffer assigned whole takes the new value's elements; or keep each new value in a `let` of its own",
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
    pub(super) fn lower_store(
        &mut self,
        ix: &'s syn::ExprIndex,
        value: &'s Expr,
        op: Option<&syn::BinOp>,
    ) {
        use crate::ir::{Form, Prim};
        let target = match &*ix.expr {
            Expr::Path(p) => p.path.get_ident().map(ToString::to_string),
            _ => None,
        };
        let binding = target.as_ref().and_then(|n| self.env.lookup(n).cloned());
        let Some((name, binding)) = target.zip(binding) else {
            // `t[i][j] = ..` of a local `Vec` of rows that some other use kept from being a table
            let table = match &*ix.expr {
                Expr::Index(row) => match &*row.expr {
                    Expr::Path(p) => {
                        p.path.get_ident().filter(|n| self.env.lookup(&n.to_string()).is_some())
                    }
                    _ => None,
                },
                _ => None,
            };
            match table {
                Some(t) => self.errors.error(
                    &ix.expr,
                    format!("`{t}[i][j] = ..` writes a table, but `{t}` is also used another way"),
                    format!("an array of arrays is written in place with its type: `let mut {t}: [[f64; M]; N] = ..;`; a `vec![vec![..; m]; n]` table when its other uses are `{t}[i][j]`, `{t}.len()`, `{t}[i].len()` and rows read whole once filled (`&{t}[i]`, `{t}[i].iter()`, `{t}.last().unwrap()`); or use one flat buffer `vec![0.0; n * m]` indexed `{t}[i * m + j]`"),
                ),
                None => self.errors.error(
                    &ix.expr,
                    "only local arrays can be written element by element",
                    "declare the buffer in the function: `let mut y = [0.0; 3];`",
                ),
            }
            return;
        };
        let kind = self.vars[binding.var.0].kind;
        // A parameter written through its own binding; a `let mut` copy of it (`let mut y = x;`,
        // also `let mut x = x;`) is a local array of its own (arrays are values: a write makes
        // a new one).
        let own = binding.param
            && self.vars[binding.var.0].param.is_some()
            && !self.mut_params.contains(&binding.var);
        if binding.active_param || own {
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
            self.errors.error(&ix.index, problems::ACTIVE_INDEX, "compute indices from integers");
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
            self.inherit_array_type(binding.var, v);
            self.rename_var(v, &name);
            self.vars[v.0].varied |= self.vars[binding.var.0].varied;
            self.env.assign(&name, v);
        }
    }

    /// Whether a value that depends on an active parameter is stored into a buffer of inactive
    /// data (whose element type the macro cannot see): reported, since its derivative would be
    /// lost.
    pub(super) fn inactive_buffer_takes(
        &mut self,
        buffer: Var,
        value: &Operand,
        at: &Expr,
    ) -> bool {
        if self.vars[buffer.0].varied || !self.varied(value) {
            return false;
        }
        // (a buffer of nalgebra zeros receives nalgebra values; an empty one, floats)
        let element = match self.untyped_algebra.contains(&buffer) {
            true => Kind::Algebra,
            false => Kind::Float,
        };
        let float = value.var().is_some_and(|v| self.vars[v.0].kind == element);
        if let Some(key) = self.untyped.get(&buffer).filter(|_| float)
            && !self.promote.contains(key)
        {
            self.promote.push(key.clone());
        }
        // (the name as the source writes it, not the value's version)
        let name = written_name(at, &self.vars[buffer.0].ident);
        if value.var().is_some_and(|v| self.vars[v.0].kind == Kind::Tensor) {
            self.errors.error(
                at,
                format!("`{name}` collects tensors that depend on an active parameter: a `Vec` of tensors cannot be differentiated yet"),
                "carry the sequence as one tensor and grow it, `seq = Tensor::cat(&[seq, h.clone()], 0);`, or build an array of the tensors, `[a, b, c]`",
            );
            return true;
        }
        self.errors.error(
            at,
            format!("`{name}` holds values that depend on an active parameter, but its element type is not known to be a float"),
            format!("give it its type: `let mut {name}: Vec<f64> = ..` (`Vec<Vector3<f64>>` for points)"),
        );
        true
    }
}

/// The name a statement or method call changes as the source writes it (`y` of `y.swap(..)`),
/// else `fallback` (the name of the value it changes, which may be another's copy).
fn written_name(e: &Expr, fallback: &proc_macro2::Ident) -> String {
    let written = match e {
        Expr::MethodCall(m) => &*m.receiver,
        e => e,
    };
    match written {
        Expr::Path(p) if p.path.get_ident().is_some() => quote::quote!(#p).to_string(),
        _ => fallback.to_string(),
    }
}

/// `+=` -> `+`, and so on.
pub(super) fn compound_to_binary(op: &syn::BinOp) -> syn::BinOp {
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

/// The names a format string captures inline: `"{s} and {x:.3}"` -> `s`, `x`.
fn inline_captures(format: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = format;
    while let Some(open) = rest.find('{') {
        rest = &rest[open + 1..];
        if let Some(after) = rest.strip_prefix('{') {
            rest = after; // `{{` is a literal brace
            continue;
        }
        let end = rest.find(['}', ':']).unwrap_or(rest.len());
        let name = rest[..end].trim();
        if name.starts_with(|c: char| c.is_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_alphanumeric() || c == '_')
            && !out.iter().any(|n| n == name)
        {
            out.push(name.to_string());
        }
        rest = &rest[end..];
    }
    out
}

/// The name a place is rooted at: `x` of `*x`, `x[i]`, `x.f`, `(*x).f[i]`.
fn place_root(place: &Expr) -> Option<&Expr> {
    match place {
        Expr::Path(_) => Some(place),
        Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => place_root(&u.expr),
        Expr::Index(ix) => place_root(&ix.expr),
        Expr::Field(f) => place_root(&f.base),
        Expr::Paren(p) => place_root(&p.expr),
        _ => None,
    }
}

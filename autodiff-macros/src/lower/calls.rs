//! Calls and methods: a rule-table method, a differentiable function's call (through its
//! `_jvp`/`_vjp`), and what a call may not be handed.

use super::context::Lowerer;
use super::kinds::field_receiver_kind;
use super::rename::rename;
use crate::diagnostics::problems;
use crate::ir::{Form, Node, Operand, Prim, Var};
use crate::kind::Kind;
use crate::rules;
use syn::Expr;
use syn::spanned::Spanned;

impl<'s> Lowerer<'_> {
    pub(super) fn lower_method(
        &mut self,
        mc: &'s syn::ExprMethodCall,
        renamed: Expr,
        uses: Vec<Var>,
    ) -> Operand {
        let name = mc.method.to_string();
        if name == "item" && mc.args.is_empty() && self.infer_kind(&mc.receiver) == Kind::Tensor {
            return self.lower_item(mc);
        }
        if mc.turbofish.is_some() {
            // (`let t: f64 = a.iter().sum();` gets its turbofish from the rewrite stage, which
            // turns sums over the sequences it knows into loops)
            let help = if matches!(name.as_str(), "sum" | "product") {
                "sum a sequence the macro knows by its own name: a parameter or a local array or `Vec` (`arr.iter().sum()`, not through a borrow `let a = &arr;`), or loop over its indices: `for i in 0..a.len() { t += a[i]; }`"
            } else {
                "call the method without a turbofish, with the types given by a `let` annotation"
            };
            let message = if matches!(name.as_str(), "sum" | "product") {
                format!("`.{name}()` of this iterator cannot be differentiated yet")
            } else {
                format!("`.{name}::<..>()` cannot be differentiated yet")
            };
            return self.fail(&mc.method, message, help);
        }
        if matches!(name.as_str(), "clone" | "to_owned" | "to_vec")
            && mc.args.is_empty()
            && self.local_var(&mc.receiver).is_some_and(|v| self.vars[v.0].buffer)
        {
            return self.fail(
                mc,
                "copying a buffer written in place cannot be differentiated yet",
                "copy its elements into a new buffer: `let mut c = vec![0.0; b.len()];` then `c[i] = b[i]`",
            );
        }
        if matches!(name.as_str(), "clone" | "to_owned") && mc.args.is_empty() {
            // An owned copy of a borrowed tensor (`let mut h = x.clone();` of `x: &Tensor`) is
            // a value of its own: loops carry owned tensors.
            let borrowed_tensor = self.local_var(&mc.receiver).filter(|v| {
                let info = &self.vars[v.0];
                info.kind == Kind::Tensor && matches!(info.ty, Some(syn::Type::Reference(_)))
            });
            if let (Some(v), Some(rule)) = (borrowed_tensor, rules::tensor_method("clone", 1)) {
                let args = vec![Operand::Var(v)];
                return self.push_op(
                    Prim::Rule(rule),
                    Form::Method(mc.method.clone()),
                    args,
                    mc.span(),
                    Kind::Tensor,
                );
            }
            // A field cloned is not `Copy`: a tensor (or a nested model). A borrow cloned
            // (`r.clone()` of `let r = &h;`) is the value itself.
            return match self.lower_borrowed(&mc.receiver) {
                Operand::Ref(v) => Operand::Var(v),
                o => o,
            };
        }
        let operands = 1 + mc.args.len();
        let mut receiver_kind = match self.model_field(&mc.receiver) {
            Some(_) => field_receiver_kind(&name, operands, self.scalar_function),
            None => self.infer_kind(&mc.receiver),
        };
        // A method only tensors have, of a receiver syntax cannot tell (`(g(&h) + g(&h)).sum()`
        // of an inlined closure): the receiver lowered tells.
        let mut lowered = None;
        if matches!(receiver_kind, Kind::Unknown | Kind::Float)
            && self.model_field(&mc.receiver).is_none()
            && rules::tensor_method(&name, operands).is_some()
            && rules::method(&name, operands).is_none()
            && rules::algebra_method(&name, operands).is_none()
        {
            let saved = self.checkpoint();
            let receiver = self.lower_borrowed(&mc.receiver);
            if self.kind(&receiver) == Kind::Tensor {
                receiver_kind = Kind::Tensor;
                lowered = Some(receiver);
            } else {
                self.restore(&saved);
            }
        }
        // Methods of tensors use the tensor rows; a float method on a tensor keeps the tensor.
        let rule = match rules::tensor_method(&name, operands)
            .filter(|_| receiver_kind == Kind::Tensor)
        {
            Some(rule) => Some((rule, Kind::Tensor)),
            None => match rules::algebra_method(&name, operands) {
                Some((rule, true)) => Some((rule, Kind::Float)),
                Some((rule, false)) => Some((rule, Kind::Algebra)),
                None => rules::method(&name, operands).map(|rule| {
                    (rule, if receiver_kind == Kind::Tensor { Kind::Tensor } else { Kind::Float })
                }),
            },
        };
        if let Some((rule, kind)) = rule {
            let receiver = match (lowered, self.model_field(&mc.receiver)) {
                (Some(receiver), _) => receiver,
                (None, Some((root, path))) if receiver_kind == Kind::Float => {
                    self.read_field(root, path, mc.receiver.span(), Kind::Float)
                }
                (None, _) => self.lower_borrowed(&mc.receiver),
            };
            let mut args = vec![receiver];
            args.extend(mc.args.iter().map(|a| self.lower_expr(a)));
            return self.push_op(
                Prim::Rule(rule),
                Form::Method(mc.method.clone()),
                args,
                mc.span(),
                kind,
            );
        }
        if rules::INACTIVE_METHODS.contains(&name.as_str()) {
            return self.opaque(renamed, uses, rules::inactive_method_kind(&name));
        }
        if name == "to_vec" && rename(&mc.receiver, &self.env, &self.vars).mentions_varied {
            return self.fail(
                mc,
                "copying this sequence into a `Vec` cannot be differentiated: its elements are not known to be `f32` or `f64`",
                "`x.to_vec()` works for sequences of `f32`/`f64` (a parameter or a `let` typed as one); of a generic `T`, copy element by element into a buffer: `let mut p: Vec<T> = vec![T::ZERO; x.len()]; for i in 0..x.len() { p[i] = x[i]; }`; otherwise index the sequence itself",
            );
        }
        if self.local_var(&mc.receiver).is_some_and(|v| self.vars[v.0].kind == Kind::Model) {
            return self.fail(
                &mc.method,
                format!("a method of a model, `.{name}()`, cannot be differentiated"),
                format!("write it as a #[differentiable] function that takes the model as a parameter, `{name}(model, ..)`, and name the model and every other parameter it differentiates in its `wrt(..)` (`#[differentiable(wrt(model, x))]`: a differentiated call passes a tangent for each of them, and a model is differentiated only when named)"),
            );
        }
        if rename(&mc.receiver, &self.env, &self.vars).mentions_varied {
            // A problem inside the receiver (`model.forward(x).sum()`) is the one to report.
            let before = self.errors.len();
            if !matches!(&*mc.receiver, Expr::Path(_)) {
                self.lower_borrowed(&mc.receiver);
            }
            if self.errors.len() > before {
                return Self::unit();
            }
            // An iterator or slice method the rewrite stage did not turn into a loop
            const ITERATION: &[&str] = &[
                "iter",
                "into_iter",
                "iter_mut",
                "reduce",
                "scan",
                "chain",
                "take_while",
                "skip_while",
                "split_at",
                "first",
                "last",
                "flat_map",
                "flatten",
                "peekable",
                "cycle",
                "product",
                "max_by_key",
                "min_by_key",
            ];
            if ITERATION.contains(&name.as_str()) {
                return self.fail(
                    &mc.method,
                    format!("this use of `.{name}()` on values that depend on an active parameter cannot be differentiated yet"),
                    "the iterator forms that differentiate: `for v in x.iter()` (with `.zip`, `.enumerate`, `.rev`, `.skip`, `.take`, `.step_by`), `x.windows(k)`, `x.chunks(k)`, `.map(..).sum()`, `.fold(..)`, `.collect()` into a `Vec`, `max_by`/`min_by`; otherwise loop over indices: `for i in 0..x.len() { .. x[i] .. }`",
                );
            }
            if matches!(receiver_kind, Kind::Seq(_)) {
                return self.fail(
                    &mc.method,
                    format!("no derivative rule for the method `.{name}()` of a sequence that depends on an active parameter"),
                    problems::SEQUENCE_READS,
                );
            }
            // (of an nalgebra value, the nalgebra methods with rules)
            let known: Vec<&str> = if receiver_kind == Kind::Algebra {
                rules::ALGEBRA_METHODS.iter().map(|(r, _)| r.name).collect()
            } else if receiver_kind == Kind::Tensor {
                rules::TENSOR_METHODS.iter().map(|r| r.name).collect()
            } else {
                rules::METHODS.iter().map(|r| r.name).collect()
            };
            return self.fail(
                &mc.method,
                format!("no derivative rule for the method `.{name}()` on a value that depends on an active parameter"),
                format!(
                    "methods with derivatives: {}; wrap the call in `detach(..)` if no gradient should flow through it",
                    known.join(", ")
                ),
            );
        }
        // A method of an inactive receiver (e.g. `self.g(x)`): differentiated through its
        // `_jvp`/`_vjp` companions.
        if self.refuse_mut_state(std::iter::once(&*mc.receiver).chain(&mc.args)) {
            return Self::unit();
        }
        let mut args = vec![self.lower_borrowed(&mc.receiver)];
        args.extend(mc.args.iter().map(|a| self.lower_expr(a)));
        self.check_call_args(&args[1..], mc.args.iter());
        let kind = self.call_result_kind(&args[1..]);
        self.push_op(Prim::Call, Form::Method(mc.method.clone()), args, mc.span(), kind)
    }

    /// `x.item::<E>()` of a tensor that depends on an active parameter: the one element as a
    /// float, differentiable (`rules::tensor::item::<E>(&x)`).
    fn lower_item(&mut self, mc: &'s syn::ExprMethodCall) -> Operand {
        let element = mc.turbofish.as_ref().and_then(|t| match t.args.first() {
            Some(syn::GenericArgument::Type(ty)) if t.args.len() == 1 => Some(ty.clone()),
            _ => None,
        });
        let Some(element) = element else {
            return self.fail(
                mc,
                "`.item()` of a tensor that depends on an active parameter needs its element type",
                "name it: `.item::<f64>()` (or `::<f32>`)",
            );
        };
        let x = match self.lower_borrowed(&mc.receiver) {
            Operand::Var(v) | Operand::Ref(v) => Operand::Ref(v),
            c => c,
        };
        let (Some(rule), rt) = (rules::tensor_method("item", 1), &self.rt) else {
            return Self::unit();
        };
        let path: syn::ExprPath = syn::parse_quote!(#rt::rules::tensor::item::<#element>);
        self.push_op(Prim::Rule(rule), Form::Path(path), vec![x], mc.span(), Kind::Float)
    }

    pub(super) fn lower_call(
        &mut self,
        call: &'s syn::ExprCall,
        renamed: Expr,
        uses: Vec<Var>,
    ) -> Operand {
        let Expr::Path(fp) = &*call.func else {
            return self.fail(
                &call.func,
                "calling this expression cannot be differentiated",
                problems::CALL_A_NAMED_FUNCTION,
            );
        };
        let segs: Vec<String> = fp.path.segments.iter().map(|s| s.ident.to_string()).collect();
        let last = segs.last().cloned().unwrap_or_default();
        if matches!(last.as_str(), "detach" | "no_grad") {
            let kind = call.args.first().map_or(Kind::Unknown, |a| match a {
                Expr::Closure(c) => self.infer_kind(&c.body),
                a => self.infer_kind(a),
            });
            return self.opaque(renamed, uses, kind);
        }
        // (`f64::sin(x)`, and `Real::sin(x)` as the rotations rewrite writes it: no other trait
        // in scope can make it ambiguous)
        let float_fn =
            segs.len() >= 2 && matches!(segs[segs.len() - 2].as_str(), "f32" | "f64" | "Real");
        if float_fn {
            // `f64::from(x)` of a float: a conversion, like `x as f64`.
            if last == "from" && call.args.len() == 1 {
                let args = call.args.iter().map(|a| self.lower_expr(a)).collect();
                let form = Form::Path(fp.clone());
                return self.push_op(
                    Prim::Rule(&rules::CAST),
                    form,
                    args,
                    call.span(),
                    Kind::Float,
                );
            }
            if let Some(rule) = rules::method(&last, call.args.len()) {
                let args = call.args.iter().map(|a| self.lower_expr(a)).collect();
                return self.push_op(
                    Prim::Rule(rule),
                    Form::Path(fp.clone()),
                    args,
                    call.span(),
                    Kind::Float,
                );
            }
            if rules::INACTIVE_METHODS.contains(&last.as_str()) {
                return self.opaque(renamed, uses, Kind::Bool);
            }
            return self.fail(
                fp,
                format!("no derivative rule for `{}`", segs.join("::")),
                format!(
                    "functions with derivatives: {}",
                    rules::METHODS.iter().map(|r| r.name).collect::<Vec<_>>().join(", ")
                ),
            );
        }
        // `Tensor::full(shape, v)`, `Tensor::scalar(v)` of an active `v`: tensors of it.
        if segs.len() >= 2
            && segs[segs.len() - 2] == "Tensor"
            && let Some(rule) = rules::tensor_method(&last, call.args.len())
                .filter(|r| matches!(r.name, "full" | "scalar"))
        {
            let args = call.args.iter().map(|a| self.lower_expr(a)).collect();
            let form = Form::Path(fp.clone());
            return self.push_op(Prim::Rule(rule), form, args, call.span(), Kind::Tensor);
        }
        // `Vector3::new(a, b, c)`, `Matrix2::new(c, -s, s, c)`: entries row by row.
        if crate::syntax::algebra_new_shape(&fp.path).is_some() {
            let args = call.args.iter().map(|a| self.lower_expr(a)).collect();
            return self.push_op(
                Prim::Build,
                Form::Path(fp.clone()),
                args,
                call.span(),
                Kind::Algebra,
            );
        }
        if algebra_type(&segs)
            && call.args.iter().any(|a| rename(a, &self.env, &self.vars).mentions_varied)
        {
            // (its `_jvp` would be looked up on nalgebra's type: rustc's E0599)
            return self.fail(
                fp,
                format!("`{}` has no derivative rule", segs.join("::")),
                "nalgebra values are built from active entries by `VectorN::new`, `MatrixN::new`, `MatrixRxC::new` and `RowVectorN::new` (entries row by row); rotations (`UnitQuaternion::from_scaled_axis`, `from_euler_angles`, `from_axis_angle`, `Rotation3::new`, `Rotation2::new`) differentiate when used through `*` (of rotations, vectors and points; not with isometries or translations), `inverse()`, `transform_vector` and `inverse_transform_vector`; otherwise give the computation a custom derivative: a function of your own with hand-written `_jvp` and `_vjp`",
            );
        }
        if self.local_var(&call.func).is_some() {
            return self.fail(
                &call.func,
                "calling a closure or function value cannot be differentiated",
                problems::CALL_A_NAMED_FUNCTION,
            );
        }
        // `Pair(a, b)`, `Some(x)`: a tuple struct or an enum variant (names start upper-case)
        // holding active values (its `_vjp` would be looked up: rustc's error).
        if last.starts_with(|c: char| c.is_ascii_uppercase())
            && call.args.iter().any(|a| rename(a, &self.env, &self.vars).mentions_varied)
        {
            return self.fail(
                call,
                format!("`{}(..)` holding values that depend on an active parameter cannot be differentiated yet", segs.join("::")),
                "keep the values in locals of their own (or a tuple `(a, b)`); a struct used only through its named fields (`let p = P { x, v }; p.x`) differentiates",
            );
        }
        let (before, cache) = (self.nodes.len(), self.index_cache.clone());
        let args: Vec<Operand> = call.args.iter().map(|a| self.lower_expr(a)).collect();
        if !args.iter().any(|a| self.varied(a)) {
            // Only inactive arguments (`Vec::with_capacity(x.len())`): a constant, the call as
            // written (which evaluates its arguments: the values lowered for them go unread, and
            // one of a generic type, `&Vector3::z_axis()`, would leave its type unknown).
            self.nodes.truncate(before);
            self.index_cache = cache;
            let kind = self.infer_kind(&Expr::Call(call.clone()));
            return self.opaque(renamed, uses, kind);
        }
        // A callee handed `&mut` state runs once: in split mode (its `_pullback`). An
        // associated function called through `Self::` has none (generated methods are joint).
        let mut_state = call.args.iter().any(|e| self.holds_mut_state(e));
        let through_self = fp.path.segments.first().is_some_and(|s| s.ident == "Self");
        if through_self && self.refuse_mut_state(call.args.iter()) {
            return Self::unit();
        }
        self.check_call_args(&args, call.args.iter());
        // `Tensor::cat(..)`: the functions of `Tensor` return tensors; `meshgrid`, several.
        let kind = if segs.iter().any(|s| s == "Tensor") && last == "meshgrid" {
            Kind::Seq(crate::kind::Seq::Tensors)
        } else if segs.iter().any(|s| s == "Tensor") {
            Kind::Tensor
        } else {
            self.call_result_kind(&args)
        };
        let split = mut_state
            || crate::syntax::runtime_split_callee(&fp.path)
            || (self.split_calls.contains(&last) && !through_self);
        let out = self.push_op(Prim::Call, Form::Path(fp.clone()), args, call.span(), kind);
        if split {
            let pullback = self.new_var("pullback", Kind::Unknown, false);
            if let Some(Node::Op(op)) = self.nodes.last_mut() {
                op.pullback = Some(pullback);
            }
        }
        out
    }

    /// What a call of a differentiable function returns, as far as syntax shows: a tensor when
    /// it takes one (functions of tensors return tensors), else unknown (usually a float).
    pub(super) fn call_result_kind(&self, args: &[Operand]) -> Kind {
        if args.iter().any(|a| self.kind(a) == Kind::Tensor) { Kind::Tensor } else { Kind::Unknown }
    }

    /// A method's adjoint runs the callee again (its `_vjp` recomputes it; only free functions
    /// have a split form), so a method handed `&mut` state (a random number generator) would
    /// change it a second time: refused, each such argument an error (DESIGN.md: "Nothing runs
    /// twice that can observe it"). Returns whether there was one.
    pub(super) fn refuse_mut_state<'a>(&mut self, exprs: impl Iterator<Item = &'a Expr>) -> bool {
        let mut refused = false;
        let held: Vec<&Expr> = exprs.filter(|e| self.holds_mut_state(e)).collect();
        for e in held {
            self.errors.error(
                e,
                "a differentiated call cannot be handed `&mut` state: its adjoint would run the callee again and change the state a second time",
                "a method (or a function called through `Self::`) has no split form, which would run it once: make it a free function taking the state (`fn g(x: f64, rng: &mut Rng)`), or take what it needs from the state before the call and pass the values: `let z: f64 = rng.normal(); g(x, z)`",
            );
            refused = true;
        }
        refused
    }

    /// Whether an argument hands over `&mut` state: `&mut s`, a `&mut` parameter or `let`, or
    /// `self` in a `&mut self` method.
    pub(super) fn holds_mut_state(&self, e: &Expr) -> bool {
        match e {
            Expr::Reference(r) => r.mutability.is_some(),
            Expr::Paren(p) => self.holds_mut_state(&p.expr),
            Expr::Path(p) if p.path.is_ident("self") => self.mut_self,
            _ => self.local_var(e).is_some_and(|v| {
                matches!(&self.vars[v.0].ty, Some(syn::Type::Reference(r)) if r.mutability.is_some())
            }),
        }
    }

    /// The callee's `_jvp`/`_vjp` take a tangent/adjoint for each of its float parameters, so
    /// each argument must be known to be a float or not.
    pub(super) fn check_call_args<'a>(
        &mut self,
        args: &[Operand],
        exprs: impl Iterator<Item = &'a Expr>,
    ) {
        for (a, e) in args.iter().zip(exprs) {
            // `&mut` state is inactive data (DESIGN.md)
            if self.holds_mut_state(e) {
                continue;
            }
            // a `DVector`/`DMatrix` parameter, which the derivatives read as a slice
            if let Some(v) = a.var()
                && self.vars[v.0].varied
                && self.vars[v.0].param.is_some()
                && self.vars[v.0]
                    .ty
                    .as_ref()
                    .is_some_and(|t| crate::syntax::dynamic_element(t).is_some())
            {
                self.errors.error(
                    e,
                    format!("the parameter `{}` is read as a slice inside the derivatives and cannot be passed on whole", self.vars[v.0].ident),
                    "pass its elements as a slice, `g(m.as_slice())`, to a parameter `&[f64]` (column-major for a matrix, with its dimensions beside it)",
                );
                continue;
            }
            if a.var().is_some_and(|v| self.vars[v.0].buffer) {
                // Allowed when nothing writes the buffer afterwards (checked after lowering).
                continue;
            }
            // (a value whose declared type is not a float's, `act: Activation`, is not one)
            let declared = a.var().is_some_and(|v| self.vars[v.0].ty.is_some());
            if !self.varied(a) && self.kind(a) == Kind::Unknown && !declared {
                self.errors.error(
                    e,
                    "cannot tell whether this argument is a float",
                    "the callee's `_jvp`/`_vjp` take a tangent or adjoint for every float parameter (and every model it differentiates): bind a float argument with its type first, e.g. `let c: f64 = ...;`; a model is passed on only by a function that differentiates with respect to it too",
                );
            }
        }
    }
}

/// Whether a path names an associated function of an nalgebra type (`UnitQuaternion::..`,
/// `Rotation3::..`, `Matrix3::..`).
fn algebra_type(segs: &[String]) -> bool {
    segs.len() >= 2 && crate::syntax::names_algebra_type(&segs[segs.len() - 2])
}

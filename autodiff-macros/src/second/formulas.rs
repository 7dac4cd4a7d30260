//! The tangent of each rule of the rule table, written with the table's own operations so
//! that reverse mode differentiates it again: `ẏ = Σ ∂y/∂xₖ · ẋₖ`, each partial derivative a
//! formula of the operands and the result `y`. Piecewise linear operations (`abs`, `max`,
//! rounding, ...) have locally constant partials: the first-order rule's value at `ẋ = 1`,
//! kept as an inactive coefficient (their second derivative is zero where it exists).

use super::Tx;
use crate::ir::{Form, Node, Op, Operand, Prim};
use crate::kind::Kind;
use crate::rules::{self, Rule};
use quote::quote;

/// The tangent of `op` (already emitted), or `None` when `rule` has no second-order formula.
pub(super) fn tangent(
    tx: &mut Tx,
    op: &Op,
    rule: &'static Rule,
    nodes: &mut Vec<Node>,
) -> Option<Operand> {
    let mut b = Builder { tx, nodes, op };
    let x = |k: usize| op.args[k].clone();
    let d: Vec<Option<Operand>> = op
        .args
        .iter()
        .enumerate()
        .map(
            |(k, a)| {
                if rule.diff.get(k).copied().unwrap_or(false) { b.tx.tangent(a) } else { None }
            },
        )
        .collect();
    let y = Operand::Var(op.out);
    if d.iter().all(Option::is_none) {
        return Some(b.tx.zero(b.nodes, &y));
    }
    // `Σ partial · ẋ` over the operands with a tangent
    let terms: Vec<Operand> = match rule.name {
        "add" => d.iter().flatten().cloned().collect(),
        "sub" => match (&d[0], &d[1]) {
            (Some(a), Some(c)) => vec![b.bin("-", a.clone(), c.clone())],
            (Some(a), None) => vec![a.clone()],
            (None, Some(c)) => vec![b.neg(c.clone())],
            (None, None) => vec![],
        },
        "neg" => d[0].iter().map(|a| b.neg(a.clone())).collect(),
        // (left and right kept in place: matrices do not commute)
        // `x * x`: `ẏ = x·(ẋ + ẋ)`, one product (as `square_jvp`)
        "mul"
            if matches!((&op.args[0], &op.args[1]), (Operand::Var(a), Operand::Var(c)) if a == c)
                && b.tx.kind(&op.args[0]) == Kind::Float =>
        {
            let dx = d[0].clone()?;
            let twice = b.bin("+", dx.clone(), dx);
            vec![b.bin("*", x(0), twice)]
        }
        "mul" => {
            let mut t = Vec::new();
            if let Some(a) = &d[0] {
                t.push(b.bin("*", a.clone(), x(1)));
            }
            if let Some(c) = &d[1] {
                t.push(b.bin("*", x(0), c.clone()));
            }
            t
        }
        // y = a / c: ẏ = (ȧ - y·ċ) / c
        "div" => {
            let num = match (&d[0], &d[1]) {
                (Some(a), Some(c)) => {
                    let yc = b.bin("*", y.clone(), c.clone());
                    b.bin("-", a.clone(), yc)
                }
                (Some(a), None) => a.clone(),
                (None, Some(c)) => {
                    let yc = b.bin("*", y.clone(), c.clone());
                    b.neg(yc)
                }
                (None, None) => return None,
            };
            vec![b.bin("/", num, x(1))]
        }
        // linear in the value: the same tensor of its tangent
        "full" | "scalar" => {
            let k = op.args.len() - 1;
            let mut args = op.args.clone();
            args[k] = d[k].clone()?;
            vec![b.push_kind(Prim::Rule(rule), op.form.clone(), args, Kind::Tensor)]
        }
        // the tangent's one element
        "item" => {
            let a = match d[0].clone()? {
                Operand::Var(v) | Operand::Ref(v) => Operand::Ref(v),
                c => c,
            };
            vec![b.push_kind(Prim::Rule(rule), op.form.clone(), vec![a], Kind::Float)]
        }
        "cast" => d[0]
            .iter()
            .map(|a| b.push(Prim::Rule(&rules::CAST), op.form.clone(), vec![a.clone()]))
            .collect(),
        "component_mul" | "dot" | "cross" => {
            let mut t = Vec::new();
            if let Some(a) = &d[0] {
                t.push(b.method(rule.name, vec![a.clone(), x(1)])?);
            }
            if let Some(c) = &d[1] {
                t.push(b.method(rule.name, vec![x(0), c.clone()])?);
            }
            t
        }
        // ẏ = Σ C ⊙ ȧ, C the cofactor matrix (a rule of its own, differentiated by the runtime)
        "determinant" => {
            let rt = b.tx.rt.clone();
            let path: syn::ExprPath = syn::parse_quote!(#rt::rules::algebra::cofactors);
            let c = b.push(Prim::Rule(&rules::COFACTORS), Form::Path(path), vec![x(0)]);
            vec![b.method("dot", vec![c, d[0].clone()?])?]
        }
        // tensors: `ȧ·b + a·ḃ` as `mul`, kept in order
        "matmul" => {
            let mut t = Vec::new();
            if let Some(a) = &d[0] {
                t.push(b.method("matmul", vec![a.clone(), x(1)])?);
            }
            if let Some(c) = &d[1] {
                t.push(b.method("matmul", vec![x(0), c.clone()])?);
            }
            t
        }
        // linear in the tensor: the same operation of its tangent (dims, shapes as written)
        "sum" | "mean" | "sum_dim" | "narrow" | "select" | "t" | "clone" | "reshape"
        | "transpose" | "unsqueeze" | "squeeze"
            if b.tx.kind(&op.args[0]) == Kind::Tensor =>
        {
            let mut args = op.args.clone();
            args[0] = d[0].clone()?;
            vec![b.method(rule.name, args)?]
        }
        // `y ⊙ (ẋ - Σ_dim y ⊙ ẋ)` and `ẋ - Σ_dim eʸ ⊙ ẋ`
        "softmax" | "log_softmax" => {
            let da = d[0].clone()?;
            let keep = Operand::Var(b.tx.opaque(b.nodes, quote!(true), Vec::new(), Kind::Bool));
            let weights = match rule.name {
                "softmax" => y.clone(),
                _ => b.method("exp", vec![y.clone()])?,
            };
            let weighted = b.bin("*", weights.clone(), da.clone());
            let total = b.method("sum_dim", vec![weighted, x(1), keep])?;
            match rule.name {
                "softmax" => {
                    let centred = b.bin("-", da, total);
                    vec![b.bin("*", y, centred)]
                }
                _ => vec![b.bin("-", da, total)],
            }
        }
        // the tangent at each slice's maximum: `(w ⊙ ẋ).sum_dim(..)`, `w` where it is
        "max_dim" => {
            let da = d[0].clone()?;
            let (rt, xv, dim, keep, yv) = (
                b.tx.rt.clone(),
                b.tx.expr(&x(0)),
                b.tx.expr(&x(1)),
                b.tx.expr(&x(2)),
                b.tx.expr(&y),
            );
            let mut uses: Vec<_> = op.args.iter().filter_map(Operand::var).collect();
            uses.push(op.out);
            let expr = quote!(#rt::rules::tensor::max_dim_weights(&#xv, #dim, #keep, &#yv));
            let w = Operand::Var(b.tx.opaque(b.nodes, expr, uses, Kind::Tensor));
            let picked = b.bin("*", w, da);
            vec![b.method("sum_dim", vec![picked, x(1), x(2)])?]
        }
        "transpose" | "trace" => {
            d[0].iter().map(|a| b.method(rule.name, vec![a.clone()])).collect::<Option<_>>()?
        }
        "mul_add" => {
            let mut t = Vec::new();
            if let Some(a) = &d[0] {
                t.push(b.bin("*", a.clone(), x(1)));
            }
            if let Some(c) = &d[1] {
                t.push(b.bin("*", x(0), c.clone()));
            }
            t.extend(d[2].clone());
            t
        }
        "atan2" => {
            // ẏ = (c·ȧ - a·ċ) / (a² + c²)
            let (a, c) = (x(0), x(1));
            let aa = b.bin("*", a.clone(), a.clone());
            let cc = b.bin("*", c.clone(), c.clone());
            let den = b.bin("+", aa, cc);
            let num = match (&d[0], &d[1]) {
                (Some(da), Some(dc)) => {
                    let l = b.bin("*", c, da.clone());
                    let r = b.bin("*", a, dc.clone());
                    b.bin("-", l, r)
                }
                (Some(da), None) => b.bin("*", c, da.clone()),
                (None, Some(dc)) => {
                    let r = b.bin("*", a, dc.clone());
                    b.neg(r)
                }
                (None, None) => return None,
            };
            vec![b.bin("/", num, den)]
        }
        "hypot" => {
            // ẏ = (a·ȧ + c·ċ) / y
            let mut t = Vec::new();
            if let Some(da) = &d[0] {
                t.push(b.bin("*", x(0), da.clone()));
            }
            if let Some(dc) = &d[1] {
                t.push(b.bin("*", x(1), dc.clone()));
            }
            let num = b.sum(t)?;
            vec![b.bin("/", num, y)]
        }
        "log" => {
            // y = ln a / ln c: ∂a = 1 / (a ln c), ∂c = -y / (c ln c)
            let lc = b.method("ln", vec![x(1)])?;
            let mut t = Vec::new();
            if let Some(da) = &d[0] {
                let den = b.bin("*", x(0), lc.clone());
                t.push(b.bin("/", da.clone(), den));
            }
            if let Some(dc) = &d[1] {
                let den = b.bin("*", x(1), lc);
                let yd = b.bin("*", y, dc.clone());
                let q = b.bin("/", yd, den);
                t.push(b.neg(q));
            }
            t
        }
        "powf" => {
            // y = aᵖ: ∂a = p·aᵖ⁻¹, ∂p = y·ln a, with the first-order rules' guards: ∂a is
            // 0 when p = 0 (a constant p: `0 · a⁰`, not `0 · a⁻¹`, NaN at a = 0), ∂p is 0 at
            // a = 0 (`ln_or_zero`)
            let mut t = Vec::new();
            if let Some(da) = &d[0] {
                let pm1 = if b.tx.varied(&x(1)) {
                    let one = b.like(&y, 1.0);
                    b.bin("-", x(1), one)
                } else {
                    let (rt, p) = (b.tx.rt.clone(), b.tx.expr(&x(1)));
                    let guard = quote!(if #p == #rt::like(&#p, 0.0) { #p } else { #p - #rt::like(&#p, 1.0) });
                    let uses = x(1).var().into_iter().collect();
                    Operand::Var(b.tx.opaque(b.nodes, guard, uses, b.tx.kind(&x(1))))
                };
                let pow = b.method("powf", vec![x(0), pm1])?;
                let partial = b.bin("*", x(1), pow);
                t.push(b.bin("*", partial, da.clone()));
            }
            if let Some(dp) = &d[1] {
                // (of a tensor base, `ln` itself: the guarded rule is of floats)
                let ln = if b.tx.kind(&x(0)) == Kind::Tensor {
                    b.method("ln", vec![x(0)])?
                } else {
                    b.guarded(&rules::LN_OR_ZERO, x(0))
                };
                let partial = b.bin("*", y, ln);
                t.push(b.bin("*", partial, dp.clone()));
            }
            t
        }
        "powi" => {
            // y = aⁿ: ∂a = n·aⁿ⁻¹
            let Some(da) = &d[0] else { return None };
            let (rt, a, n) = (b.tx.rt.clone(), b.tx.expr(&x(0)), b.tx.expr(&x(1)));
            let uses = op.args.iter().filter_map(Operand::var).collect::<Vec<_>>();
            // (`n = 0`: the partial is `0 · x⁰`, not `0 · x⁻¹`, which is NaN at 0)
            let nm1 = quote!(if #n == 0 { 0 } else { #n - 1 });
            let nm1 = Operand::Var(b.tx.opaque(b.nodes, nm1, uses.clone(), Kind::Int));
            let nf = b.tx.opaque(b.nodes, quote!(#rt::like(&#a, (#n) as f64)), uses, Kind::Float);
            let nf = Operand::Var(nf);
            let pow = b.method("powi", vec![x(0), nm1])?;
            let partial = b.bin("*", nf, pow);
            vec![b.bin("*", partial, da.clone())]
        }
        "sqrt" => {
            let two = b.like(&y, 2.0);
            let den = b.bin("*", two, y);
            vec![b.bin("/", d[0].clone()?, den)]
        }
        "cbrt" => {
            let three = b.like(&y, 3.0);
            let yy = b.bin("*", y.clone(), y);
            let den = b.bin("*", three, yy);
            vec![b.bin("/", d[0].clone()?, den)]
        }
        "norm" => {
            // ẏ = a·ȧ / y (0 at a = 0, as the first-order rule)
            let ad = b.method("dot", vec![x(0), d[0].clone()?])?;
            let inv = b.recip_or_zero(y);
            vec![b.bin("*", ad, inv)]
        }
        "norm_squared" => {
            let ad = b.method("dot", vec![x(0), d[0].clone()?])?;
            let two = b.like(&ad, 2.0);
            vec![b.bin("*", two, ad)]
        }
        "normalize" => {
            // y = a / |a|: ẏ = (ȧ - y·(y·ȧ)) / |a|
            let da = d[0].clone()?;
            let n = b.method("norm", vec![x(0)])?;
            let yd = b.method("dot", vec![y.clone(), da.clone()])?;
            let along = b.bin("*", y, yd);
            let num = b.bin("-", da, along);
            let inv = b.recip_or_zero(n);
            vec![b.bin("*", num, inv)]
        }
        name => {
            let da = d[0].clone()?;
            let partial = match name {
                "sin" => b.method("cos", vec![x(0)])?,
                "cos" => {
                    let s = b.method("sin", vec![x(0)])?;
                    b.neg(s)
                }
                "tan" => {
                    let yy = b.bin("*", y.clone(), y.clone());
                    let one = b.like(&y, 1.0);
                    b.bin("+", one, yy)
                }
                "asin" | "acos" | "atanh" | "atan" | "asinh" | "acosh" => {
                    let xx = b.bin("*", x(0), x(0));
                    let one = b.like(&y, 1.0);
                    let inner = match name {
                        "asin" | "acos" | "atanh" => b.bin("-", one.clone(), xx),
                        "acosh" => b.bin("-", xx, one.clone()),
                        _ => b.bin("+", xx, one.clone()),
                    };
                    let den = match name {
                        "atan" | "atanh" => inner,
                        _ => b.method("sqrt", vec![inner])?,
                    };
                    let q = b.bin("/", one, den);
                    if name == "acos" { b.neg(q) } else { q }
                }
                "sinh" => b.method("cosh", vec![x(0)])?,
                "cosh" => b.method("sinh", vec![x(0)])?,
                "tanh" => {
                    let yy = b.bin("*", y.clone(), y.clone());
                    let one = b.like(&y, 1.0);
                    b.bin("-", one, yy)
                }
                "exp" => y,
                "exp_m1" => {
                    let one = b.like(&y, 1.0);
                    b.bin("+", y, one)
                }
                "exp2" => {
                    let ln2 = b.like(&y, std::f64::consts::LN_2);
                    b.bin("*", y, ln2)
                }
                "ln" | "ln_1p" | "log2" | "log10" => {
                    let one = b.like(&y, 1.0);
                    let den = match name {
                        "ln" => x(0),
                        "ln_1p" => b.bin("+", one.clone(), x(0)),
                        _ => {
                            let base = if name == "log2" {
                                std::f64::consts::LN_2
                            } else {
                                std::f64::consts::LN_10
                            };
                            let c = b.like(&y, base);
                            b.bin("*", x(0), c)
                        }
                    };
                    b.bin("/", one, den)
                }
                "recip" => {
                    let yy = b.bin("*", y.clone(), y);
                    b.neg(yy)
                }
                "sigmoid" => {
                    let one = b.like(&y, 1.0);
                    let rest = b.bin("-", one, y.clone());
                    b.bin("*", y, rest)
                }
                _ => return piecewise(&mut b, rule, &d, &y),
            };
            vec![b.bin("*", partial, da)]
        }
    };
    b.sum(terms)
}

/// `abs`, `max`, `%`, rounding, ...: `ẏ = Σ cₖ · ẋₖ` with `cₖ` the first-order rule at `ẋₖ = 1`.
fn piecewise(
    b: &mut Builder<'_, '_>,
    rule: &'static Rule,
    d: &[Option<Operand>],
    y: &Operand,
) -> Option<Operand> {
    const PIECEWISE: &[&str] = &[
        "abs",
        "copysign",
        "relu",
        "max",
        "min",
        "clamp",
        "rem_euclid",
        "rem",
        "signum",
        "floor",
        "ceil",
        "round",
        "trunc",
        "fract",
        "to_degrees",
        "to_radians",
    ];
    if !PIECEWISE.contains(&rule.name) {
        return None;
    }
    let rt = b.tx.rt.clone();
    let args: Vec<_> = b.op.args.iter().map(|a| b.tx.expr(a)).collect();
    let yv = b.tx.expr(y);
    let mut uses: Vec<_> = b.op.args.iter().filter_map(Operand::var).collect();
    uses.push(b.op.out);
    let kind = b.tx.kind(y);
    let module = if kind == Kind::Tensor { quote!(rules::tensor) } else { quote!(rules) };
    let mut terms = Vec::new();
    for (k, dk) in d.iter().enumerate() {
        let Some(dk) = dk else { continue };
        let f = proc_macro2::Ident::new(&rule.function("jvp", k), b.op.span);
        let c = b.tx.opaque(
            b.nodes,
            quote!(#rt::#module::#f(#(&#args,)* &#yv, &#rt::unit_like(&#yv))),
            uses.clone(),
            kind,
        );
        terms.push(b.bin("*", Operand::Var(c), dk.clone()));
    }
    b.sum(terms)
}

/// Writes the operations of a formula after `op`.
struct Builder<'t, 'n> {
    tx: &'t mut Tx,
    nodes: &'n mut Vec<Node>,
    op: &'n Op,
}

impl Builder<'_, '_> {
    /// A new operation, of the kind its operands join to.
    fn push(&mut self, prim: Prim, form: Form, args: Vec<Operand>) -> Operand {
        let kind = args.iter().map(|a| self.tx.kind(a)).fold(Kind::Unknown, |k, a| match k {
            Kind::Unknown => a,
            k => k.join(a),
        });
        self.push_kind(prim, form, args, kind)
    }

    /// A new operation of `kind` (a float from a tensor, a tensor from a float).
    fn push_kind(&mut self, prim: Prim, form: Form, args: Vec<Operand>, kind: Kind) -> Operand {
        self.tx.push(self.nodes, prim, form, args, kind, self.op.span)
    }

    /// `a op c` for `op` in `+ - * /`.
    fn bin(&mut self, op: &str, a: Operand, c: Operand) -> Operand {
        let rule = match op {
            "+" => &rules::ADD,
            "-" => &rules::SUB,
            "*" => &rules::MUL,
            _ => &rules::DIV,
        };
        let bin: syn::BinOp = syn::parse_str(op).unwrap_or(syn::BinOp::Add(Default::default()));
        self.push(Prim::Rule(rule), Form::Binary(bin), vec![a, c])
    }

    fn neg(&mut self, a: Operand) -> Operand {
        self.push(Prim::Rule(&rules::NEG), Form::Neg, vec![a])
    }

    /// `a.name(rest..)`, a method of the rule table.
    fn method(&mut self, name: &str, args: Vec<Operand>) -> Option<Operand> {
        let tensor = args.first().is_some_and(|a| self.tx.kind(a) == Kind::Tensor);
        let rule = tensor
            .then(|| rules::tensor_method(name, args.len()))
            .flatten()
            .or_else(|| rules::method(name, args.len()))
            .or_else(|| rules::algebra_method(name, args.len()).map(|(r, _)| r))?;
        let mut args = args;
        if let ("dot" | "cross" | "component_mul", Some(Operand::Var(v))) = (name, args.get(1)) {
            // (nalgebra's `a.dot(&b)` takes its operand by reference)
            args[1] = Operand::Ref(*v);
        }
        let form = Form::Method(proc_macro2::Ident::new(name, self.op.span));
        let n = args.len();
        let out = self.push(Prim::Rule(rule), form, args);
        if let Some(v) = out.var()
            && let Some((_, true)) = rules::algebra_method(name, n)
        {
            // `dot` of vectors is a float
            self.tx.vars[v.0].kind = Kind::Float;
        }
        Some(out)
    }

    /// `rules::recip_or_zero(x)`: `1 / x`, 0 at 0.
    fn recip_or_zero(&mut self, x: Operand) -> Operand {
        self.guarded(&rules::RECIP_OR_ZERO, x)
    }

    /// `rules::<name>(x)` of a guarded rule (`recip_or_zero`, `ln_or_zero`).
    fn guarded(&mut self, rule: &'static Rule, x: Operand) -> Operand {
        let (rt, name) = (self.tx.rt.clone(), proc_macro2::Ident::new(rule.name, self.op.span));
        let path: syn::ExprPath = syn::parse_quote!(#rt::rules::#name);
        self.push(Prim::Rule(rule), Form::Path(path), vec![x])
    }

    /// The constant `v` of the float type of `of` (an inactive value).
    fn like(&mut self, of: &Operand, v: f64) -> Operand {
        let (rt, x) = (self.tx.rt.clone(), self.tx.expr(of));
        let lit = proc_macro2::Literal::f64_suffixed(v);
        let uses = of.var().into_iter().collect();
        Operand::Var(self.tx.opaque(self.nodes, quote!(#rt::like(&#x, #lit)), uses, Kind::Float))
    }

    /// The sum of the terms (`None` for none).
    fn sum(&mut self, terms: Vec<Operand>) -> Option<Operand> {
        let mut it = terms.into_iter();
        let first = it.next()?;
        Some(it.fold(first, |acc, t| self.bin("+", acc, t)))
    }
}

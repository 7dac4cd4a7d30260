//! The IR's stable text form, for snapshot tests and `ARCHITECTURE.md`.

use super::{Block, Form, Function, Head, LoopHead, Node, Operand, Prim, Var};
use quote::ToTokens;
use std::fmt::{self, Write as _};

impl Function {
    /// The stable text form used by snapshot tests and `ARCHITECTURE.md`.
    pub fn dump(&self) -> String {
        let mut out = String::new();
        let params: Vec<String> = self
            .params
            .iter()
            .map(|p| {
                let v = self.var(*p);
                format!("{}{}", v.name, if v.varied { " (active)" } else { "" })
            })
            .collect();
        let _ = writeln!(out, "params {}", params.join(", "));
        self.dump_block(&self.body, 0, &mut out);
        out
    }

    fn dump_block(&self, block: &Block, depth: usize, out: &mut String) {
        let pad = "  ".repeat(depth);
        for node in &block.nodes {
            match node {
                Node::Op(op) => {
                    let what = match (op.prim, &op.form) {
                        (Prim::Rule(r), _) => r.name.to_string(),
                        (Prim::Call, Form::Tangent(inner, _)) => match &**inner {
                            Form::Path(p) => format!("tangent of call {}", tokens(p)),
                            Form::Method(m) => format!("tangent of call .{m}"),
                            _ => "tangent of call".to_string(),
                        },
                        (Prim::Call, Form::Path(p)) => format!("call {}", tokens(p)),
                        (Prim::Call, Form::Method(m)) => format!("call .{m}"),
                        (Prim::Call, _) => "call".to_string(),
                        (Prim::Index, _) => "index".to_string(),
                        (Prim::Slice, _) => "slice".to_string(),
                        (Prim::Copy, _) => "copy".to_string(),
                        (Prim::Store, _) => "store".to_string(),
                        (Prim::Build, Form::Tuple) => "tuple".to_string(),
                        (Prim::Build, Form::Vec) => "vec".to_string(),
                        (Prim::Build, Form::Repeat) => "repeat".to_string(),
                        (Prim::Build, _) => "array".to_string(),
                        (Prim::Element, Form::Element(k)) => format!("element {k}"),
                        (Prim::Element, _) => "element".to_string(),
                        (Prim::Field, Form::Field(path)) => {
                            format!(
                                "field {}",
                                path.iter().map(tokens).collect::<Vec<_>>().join(".")
                            )
                        }
                        (Prim::Field, _) => "field".to_string(),
                    };
                    let args: Vec<String> = op.args.iter().map(|a| self.operand(a)).collect();
                    // a call in split mode: `(y, pullback) = call g(..)`
                    let out_name = match op.pullback {
                        Some(p) => format!("({}, {})", self.var(op.out).name, self.var(p).name),
                        None => self.var(op.out).name.clone(),
                    };
                    let _ = writeln!(
                        out,
                        "{pad}{out_name} = {what}({}){}",
                        args.join(", "),
                        self.mark(op.out)
                    );
                }
                Node::Opaque { out: v, expr, .. } => {
                    let _ = writeln!(out, "{pad}{} = const {}", self.var(*v).name, tokens(expr));
                }
                Node::Branch(b) => {
                    let outs: Vec<String> = b
                        .outs
                        .iter()
                        .map(|v| format!("{}{}", self.var(*v).name, self.mark(*v)))
                        .collect();
                    let _ = match &b.head {
                        Head::If(c) => {
                            writeln!(out, "{pad}({}) = if {} {{", outs.join(", "), tokens(c))
                        }
                        Head::Match(s) => {
                            writeln!(out, "{pad}({}) = match {} {{", outs.join(", "), tokens(s))
                        }
                    };
                    for (k, arm) in b.arms.iter().enumerate() {
                        let label = match &arm.pat {
                            Some(p) => tokens(p),
                            None if k == 0 => "then".to_string(),
                            None => "else".to_string(),
                        };
                        let _ = writeln!(out, "{pad}  {label} =>");
                        self.dump_block(&arm.body, depth + 2, out);
                    }
                    let _ = writeln!(out, "{pad}}}");
                }
                Node::Store(st) => {
                    let _ = writeln!(
                        out,
                        "{pad}{}[{}] {:?} {}",
                        self.var(st.buffer).name,
                        self.operand(&st.index),
                        st.op,
                        self.operand(&st.value)
                    );
                }
                Node::Loop(lp) => {
                    let carried: Vec<String> = lp
                        .carried
                        .iter()
                        .map(|c| {
                            format!(
                                "{} = {} -> {}{}",
                                self.var(c.phi).name,
                                self.operand(&c.init),
                                self.var(c.out).name,
                                self.mark(c.out)
                            )
                        })
                        .collect();
                    let head = match &lp.head {
                        LoopHead::Range { pat, iter } => {
                            format!("for {} in range {}", tokens(pat), tokens(iter))
                        }
                        LoopHead::Iter { pat, iter } => {
                            format!("for {} in {}", tokens(pat), tokens(iter))
                        }
                        LoopHead::While(c) => format!("while {}", tokens(c)),
                        LoopHead::Loop => "loop".to_string(),
                    };
                    let _ = writeln!(out, "{pad}{head} [{}] {{", carried.join(", "));
                    self.dump_block(&lp.body, depth + 1, out);
                    let _ = writeln!(out, "{pad}}}");
                }
            }
        }
        let ys: Vec<String> = block.yields.iter().map(|y| self.operand(y)).collect();
        let _ = writeln!(out, "{pad}yield ({})", ys.join(", "));
    }

    fn mark(&self, v: Var) -> &'static str {
        if self.var(v).varied { " [varied]" } else { "" }
    }

    fn operand(&self, o: &Operand) -> String {
        match o {
            Operand::Var(v) => self.var(*v).name.clone(),
            Operand::Ref(v) => format!("&{}", self.var(*v).name),
            Operand::Const(e) => tokens(e),
        }
    }
}

/// Source text of tokens, spaced like source (`f64::sin`, `x.len()`).
pub fn tokens(t: &impl ToTokens) -> String {
    let mut s = t.to_token_stream().to_string();
    // Make token spacing read like source: `f64 :: sin` -> `f64::sin`, `x . len ()` -> `x.len()`.
    for (from, to) in
        [(" :: ", "::"), (" . ", "."), (" (", "("), ("( ", "("), (" )", ")"), (" ,", ",")]
    {
        s = s.replace(from, to);
    }
    s
}

impl fmt::Debug for Function {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.dump())
    }
}

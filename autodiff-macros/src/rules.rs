//! The rule table: which syntax is which primitive operation, how its derivative is named in
//! the runtime's `rules` module, and which values each derivative reads.
//!
//! Adding an operation is one row here and one rule in `autodiff-runtime/src/rules/`. A rule
//! `name` with one differentiable operand is called as `name_jvp`/`name_vjp`; with several, as
//! `name_jvp_k`/`name_vjp_k` for operand `k`. Operands include the method receiver first.
//!
//! `reads[k]` lists what the derivative for operand `k` reads: operand indices, and [`Y`] for
//! the result. Reverse mode keeps only those values alive (and passes `&()` for the others),
//! so e.g. the adjoint of `s + t` keeps nothing and the adjoint of `x.exp()` keeps only the
//! result. It must agree with the `T`/`_` marks of the rule's arguments in the runtime.

/// The result of the operation, in a `reads` list.
pub const Y: u8 = u8::MAX;

/// One primitive operation.
#[derive(Debug, PartialEq, Eq)]
pub struct Rule {
    /// The rule's name in the runtime.
    pub name: &'static str,
    /// Which operands are differentiable (its length is the arity).
    pub diff: &'static [bool],
    /// For each operand, what its derivative reads (empty for non-differentiable operands).
    pub reads: &'static [&'static [u8]],
}

impl Rule {
    /// The runtime function computing the tangent (`mode = "jvp"`) or the adjoint
    /// (`mode = "vjp"`) contribution of operand `k`.
    pub fn function(&self, mode: &str, k: usize) -> String {
        if self.diff.iter().filter(|d| **d).count() > 1 {
            format!("{}_{mode}_{k}", self.name)
        } else {
            format!("{}_{mode}", self.name)
        }
    }

    /// Whether the derivative for operand `k` reads operand `j` (or the result, `j = Y`).
    pub fn reads(&self, k: usize, j: u8) -> bool {
        self.reads.get(k).is_some_and(|r| r.contains(&j))
    }
}

const ONE: &[bool] = &[true];
const TWO: &[bool] = &[true, true];
const THREE: &[bool] = &[true, true, true];

macro_rules! table {
    ($($name:literal: $diff:expr, $reads:expr;)*) => {
        &[$(Rule { name: $name, diff: $diff, reads: $reads }),*]
    };
}

/// Float methods (receiver first) and `f32::`/`f64::` functions of the same name.
pub static METHODS: &[Rule] = table! {
    "sin": ONE, &[&[0]];
    "cos": ONE, &[&[0]];
    "tan": ONE, &[&[Y]];
    "asin": ONE, &[&[0]];
    "acos": ONE, &[&[0]];
    "atan": ONE, &[&[0]];
    "atan2": TWO, &[&[0, 1], &[0, 1]];
    "sinh": ONE, &[&[0]];
    "cosh": ONE, &[&[0]];
    "tanh": ONE, &[&[Y]];
    "asinh": ONE, &[&[0]];
    "acosh": ONE, &[&[0]];
    "atanh": ONE, &[&[0]];
    "exp": ONE, &[&[Y]];
    "exp2": ONE, &[&[Y]];
    "exp_m1": ONE, &[&[Y]];
    "ln": ONE, &[&[0]];
    "ln_1p": ONE, &[&[0]];
    "log2": ONE, &[&[0]];
    "log10": ONE, &[&[0]];
    "log": TWO, &[&[0, 1], &[1, Y]];
    "sqrt": ONE, &[&[Y]];
    "cbrt": ONE, &[&[Y]];
    "powi": &[true, false], &[&[0, 1], &[]];
    "powf": TWO, &[&[0, 1], &[0, 1, Y]];
    "abs": ONE, &[&[0]];
    "max": TWO, &[&[0, 1], &[0, 1]];
    "min": TWO, &[&[0, 1], &[0, 1]];
    "clamp": THREE, &[&[0, 1, 2], &[0, 1], &[0, 2]];
    "mul_add": THREE, &[&[1], &[0], &[]];
    "recip": ONE, &[&[Y]];
    "hypot": TWO, &[&[0, Y], &[1, Y]];
    "signum": ONE, &[&[]];
    "floor": ONE, &[&[]];
    "ceil": ONE, &[&[]];
    "round": ONE, &[&[]];
    "trunc": ONE, &[&[]];
    "fract": ONE, &[&[]];
    "to_degrees": ONE, &[&[]];
    "to_radians": ONE, &[&[]];
};

/// `+`
pub static ADD: Rule = Rule { name: "add", diff: TWO, reads: &[&[], &[]] };
/// `-`
pub static SUB: Rule = Rule { name: "sub", diff: TWO, reads: &[&[], &[]] };
/// `*`
pub static MUL: Rule = Rule { name: "mul", diff: TWO, reads: &[&[1], &[0]] };
/// `/`
pub static DIV: Rule = Rule { name: "div", diff: TWO, reads: &[&[1], &[1, Y]] };
/// `%`
pub static REM: Rule = Rule { name: "rem", diff: TWO, reads: &[&[], &[0, 1]] };
/// Unary `-`.
pub static NEG: Rule = Rule { name: "neg", diff: ONE, reads: &[&[]] };
/// `as f32` / `as f64` of a float (the operand is read for its type).
pub static CAST: Rule = Rule { name: "cast", diff: ONE, reads: &[&[0]] };

/// Methods of nalgebra vectors and matrices, differentiated by `rules::algebra` (which reads
/// every operand): their names and whether the result is a float (else a vector or matrix).
pub static ALGEBRA_METHODS: &[(Rule, bool)] = &[
    (Rule { name: "dot", diff: TWO, reads: &[&[0, 1, Y], &[0, 1, Y]] }, true),
    (Rule { name: "cross", diff: TWO, reads: &[&[0, 1, Y], &[0, 1, Y]] }, false),
    (Rule { name: "norm", diff: ONE, reads: &[&[0, Y]] }, true),
    (Rule { name: "norm_squared", diff: ONE, reads: &[&[0, Y]] }, true),
    (Rule { name: "normalize", diff: ONE, reads: &[&[0, Y]] }, false),
    (Rule { name: "transpose", diff: ONE, reads: &[&[0, Y]] }, false),
];

/// Looks up a nalgebra method: its rule and whether its result is a float.
pub fn algebra_method(name: &str, operands: usize) -> Option<(&'static Rule, bool)> {
    ALGEBRA_METHODS
        .iter()
        .find(|(r, _)| r.name == name && r.diff.len() == operands)
        .map(|(r, f)| (r, *f))
}

/// Methods of `Tensor`, differentiated by `rules::tensor` (which reads every operand); the
/// elementwise functions they share with floats (`sin`, `exp`, ...) use the float rows' names.
pub static TENSOR_METHODS: &[Rule] = &[
    Rule { name: "relu", diff: ONE, reads: &[&[0, Y]] },
    Rule { name: "sigmoid", diff: ONE, reads: &[&[0, Y]] },
    Rule { name: "sum", diff: ONE, reads: &[&[0, Y]] },
    Rule { name: "mean", diff: ONE, reads: &[&[0, Y]] },
    Rule { name: "sum_dim", diff: &[true, false, false], reads: &[&[0, 1, 2, Y], &[], &[]] },
    Rule { name: "max_dim", diff: &[true, false, false], reads: &[&[0, 1, 2, Y], &[], &[]] },
    Rule {
        name: "narrow",
        diff: &[true, false, false, false],
        reads: &[&[0, 1, 2, 3], &[], &[], &[]],
    },
    Rule { name: "select", diff: &[true, false, false], reads: &[&[0, 1, 2], &[], &[]] },
    Rule { name: "matmul", diff: TWO, reads: &[&[0, 1, Y], &[0, 1, Y]] },
    Rule { name: "t", diff: ONE, reads: &[&[0, Y]] },
    Rule { name: "clone", diff: ONE, reads: &[&[0, Y]] },
    Rule { name: "reshape", diff: &[true, false], reads: &[&[0, 1, Y], &[]] },
    Rule { name: "powf", diff: &[true, false], reads: &[&[0, 1, Y], &[]] },
];

/// Looks up a tensor method by name and number of operands.
pub fn tensor_method(name: &str, operands: usize) -> Option<&'static Rule> {
    TENSOR_METHODS.iter().find(|r| r.name == name && r.diff.len() == operands)
}

/// Methods that are allowed on active values and give inactive results.
pub static INACTIVE_METHODS: &[&str] = &[
    "is_nan",
    "is_finite",
    "is_infinite",
    "is_normal",
    "is_subnormal",
    "is_sign_positive",
    "is_sign_negative",
    "classify",
    "partial_cmp",
    "total_cmp",
    "eq",
    "ne",
    "lt",
    "le",
    "gt",
    "ge",
    "len",
    "is_empty",
];

/// Looks up a float method or function by name and number of operands.
pub fn method(name: &str, operands: usize) -> Option<&'static Rule> {
    METHODS.iter().find(|r| r.name == name && r.diff.len() == operands)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_function_names_follow_the_runtime_convention() {
        assert_eq!(method("sin", 1).map(|r| r.function("vjp", 0)).as_deref(), Some("sin_vjp"));
        assert_eq!(method("powi", 2).map(|r| r.function("jvp", 0)).as_deref(), Some("powi_jvp"));
        assert_eq!(MUL.function("vjp", 1), "mul_vjp_1");
        assert_eq!(
            method("clamp", 3).map(|r| r.function("jvp", 2)).as_deref(),
            Some("clamp_jvp_2")
        );
        assert!(method("sin", 2).is_none());
    }

    #[test]
    fn every_rule_lists_reads_for_each_operand() {
        for r in METHODS.iter().chain([&ADD, &SUB, &MUL, &DIV, &REM, &NEG, &CAST]) {
            assert_eq!(r.reads.len(), r.diff.len(), "{}", r.name);
        }
        assert!(MUL.reads(0, 1) && !MUL.reads(0, 0) && !ADD.reads(1, Y));
    }
}

//! The rule table: which syntax is which primitive operation, and how its derivative is named
//! in the runtime's `rules` module.
//!
//! Adding an operation is one row here and one rule in `autodiff-runtime/src/rules/`. A rule
//! `name` with one differentiable operand is called as `name_jvp`/`name_vjp`; with several, as
//! `name_jvp_k`/`name_vjp_k` for operand `k`. Operands include the method receiver first.

/// One primitive operation.
#[derive(Debug, PartialEq, Eq)]
pub struct Rule {
    /// The rule's name in the runtime.
    pub name: &'static str,
    /// Which operands are differentiable (its length is the arity).
    pub diff: &'static [bool],
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
}

const ONE: &[bool] = &[true];
const TWO: &[bool] = &[true, true];
const THREE: &[bool] = &[true, true, true];

macro_rules! table {
    ($($name:literal: $diff:expr),* $(,)?) => {
        &[$(Rule { name: $name, diff: $diff }),*]
    };
}

/// Float methods (receiver first) and `f32::`/`f64::` functions of the same name.
pub static METHODS: &[Rule] = table! {
    "sin": ONE, "cos": ONE, "tan": ONE, "asin": ONE, "acos": ONE, "atan": ONE, "atan2": TWO,
    "sinh": ONE, "cosh": ONE, "tanh": ONE, "asinh": ONE, "acosh": ONE, "atanh": ONE,
    "exp": ONE, "exp2": ONE, "exp_m1": ONE, "ln": ONE, "ln_1p": ONE, "log2": ONE, "log10": ONE,
    "log": TWO, "sqrt": ONE, "cbrt": ONE, "powi": &[true, false], "powf": TWO, "abs": ONE,
    "max": TWO, "min": TWO, "clamp": THREE, "mul_add": THREE, "recip": ONE, "hypot": TWO,
    "signum": ONE, "floor": ONE, "ceil": ONE, "round": ONE, "trunc": ONE, "fract": ONE,
    "to_degrees": ONE, "to_radians": ONE,
};

/// Binary operators.
pub static ADD: Rule = Rule { name: "add", diff: TWO };
/// `-`
pub static SUB: Rule = Rule { name: "sub", diff: TWO };
/// `*`
pub static MUL: Rule = Rule { name: "mul", diff: TWO };
/// `/`
pub static DIV: Rule = Rule { name: "div", diff: TWO };
/// `%`
pub static REM: Rule = Rule { name: "rem", diff: TWO };
/// Unary `-`.
pub static NEG: Rule = Rule { name: "neg", diff: ONE };
/// `as f32` / `as f64` of a float.
pub static CAST: Rule = Rule { name: "cast", diff: ONE };

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
}

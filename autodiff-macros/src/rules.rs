//! The rule table: which syntax is which primitive operation, how its derivative is named in
//! the runtime's `rules` module, and which values each derivative reads.
//!
//! Adding an operation is one row here and one rule in `autodiff-runtime/src/rules/`. A rule
//! `name` with one differentiable operand is called as `name_jvp`/`name_vjp`; with several, as
//! `name_jvp_k`/`name_vjp_k` for operand `k`. Operands include the method receiver first.
//!
//! A row is `name: differentiable operands, reads[, costly]`.
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
    /// Whether recomputing it in a loop's adjoint costs more than keeping its value.
    pub cost: Cost,
}

/// What recomputing an operation costs, against keeping its value on a tape (8 bytes per
/// iteration for a float): reverse mode recomputes the cheap ones, tapes the costly ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cost {
    /// Arithmetic, comparisons, `sqrt`, `abs`, ...: recomputed.
    Cheap,
    /// Transcendental functions (`exp`, `ln`, `sin`, `powf`, ...): kept.
    Costly,
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
    ($($name:literal: $diff:expr, $reads:expr $(, $cost:ident)?;)*) => {
        &[$(Rule { name: $name, diff: $diff, reads: $reads, cost: cost!($($cost)?) }),*]
    };
}

macro_rules! cost {
    () => {
        Cost::Cheap
    };
    (costly) => {
        Cost::Costly
    };
}

/// Float methods (receiver first) and `f32::`/`f64::` functions of the same name.
pub static METHODS: &[Rule] = table! {
    "sin": ONE, &[&[0]], costly;
    "cos": ONE, &[&[0]], costly;
    "tan": ONE, &[&[Y]], costly;
    "asin": ONE, &[&[0]], costly;
    "acos": ONE, &[&[0]], costly;
    "atan": ONE, &[&[0]], costly;
    "atan2": TWO, &[&[0, 1], &[0, 1]], costly;
    "sinh": ONE, &[&[0]], costly;
    "cosh": ONE, &[&[0]], costly;
    "tanh": ONE, &[&[Y]], costly;
    "asinh": ONE, &[&[0]], costly;
    "acosh": ONE, &[&[0]], costly;
    "atanh": ONE, &[&[0]], costly;
    "exp": ONE, &[&[Y]], costly;
    "exp2": ONE, &[&[Y]], costly;
    "exp_m1": ONE, &[&[Y]], costly;
    "ln": ONE, &[&[0]], costly;
    "ln_1p": ONE, &[&[0]], costly;
    "log2": ONE, &[&[0]], costly;
    "log10": ONE, &[&[0]], costly;
    "log": TWO, &[&[0, 1], &[1, Y]], costly;
    "sqrt": ONE, &[&[Y]];
    "cbrt": ONE, &[&[Y]], costly;
    "powi": &[true, false], &[&[0, 1], &[]];
    "powf": TWO, &[&[0, 1], &[0, 1, Y]], costly;
    "abs": ONE, &[&[0]];
    "max": TWO, &[&[0, 1], &[0, 1]];
    "min": TWO, &[&[0, 1], &[0, 1]];
    "clamp": THREE, &[&[0, 1, 2], &[0, 1], &[0, 2]];
    "mul_add": THREE, &[&[1], &[0], &[]];
    "recip": ONE, &[&[Y]];
    "hypot": TWO, &[&[0, Y], &[1, Y]], costly;
    "copysign": TWO, &[&[0, 1], &[]];
    "rem_euclid": TWO, &[&[], &[0, 1, Y]];
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
pub static ADD: Rule = Rule { name: "add", diff: TWO, reads: &[&[], &[]], cost: Cost::Cheap };
/// `-`
pub static SUB: Rule = Rule { name: "sub", diff: TWO, reads: &[&[], &[]], cost: Cost::Cheap };
/// `*`
pub static MUL: Rule = Rule { name: "mul", diff: TWO, reads: &[&[1], &[0]], cost: Cost::Cheap };
/// `/`
pub static DIV: Rule = Rule { name: "div", diff: TWO, reads: &[&[1], &[1, Y]], cost: Cost::Cheap };
/// `%`
pub static REM: Rule = Rule { name: "rem", diff: TWO, reads: &[&[], &[0, 1]], cost: Cost::Cheap };
/// Unary `-`.
pub static NEG: Rule = Rule { name: "neg", diff: ONE, reads: &[&[]], cost: Cost::Cheap };
/// `as f32` / `as f64` of a float (the operand is read for its type).
pub static CAST: Rule = Rule { name: "cast", diff: ONE, reads: &[&[0]], cost: Cost::Cheap };
/// `rules::algebra::cofactors(m)`, the cofactor matrix: not a method users write, but what the
/// tangent of `determinant` is made of (`ẏ = cofactors(m) · ṁ`), so that second order can
/// differentiate it.
pub static COFACTORS: Rule =
    Rule { name: "cofactors", diff: ONE, reads: &[&[0, Y]], cost: Cost::Costly };

/// `rules::recip_or_zero(x)`: `1 / x`, 0 at 0. Not a method users write: second-order code
/// divides by it where the first-order rule has a guard at 0 (`norm`, `normalize`).
pub static RECIP_OR_ZERO: Rule =
    Rule { name: "recip_or_zero", diff: ONE, reads: &[&[Y]], cost: Cost::Cheap };

/// `rules::ln_or_zero(x)`: `ln x`, 0 at 0. Not a method users write: second-order code takes it
/// where the first-order rule is masked at 0 (`powf`'s derivative in its exponent, `y · ln a`).
pub static LN_OR_ZERO: Rule =
    Rule { name: "ln_or_zero", diff: ONE, reads: &[&[0]], cost: Cost::Costly };

/// Methods of nalgebra vectors and matrices, differentiated by `rules::algebra` (which reads
/// every operand): their names and whether the result is a float (else a vector or matrix).
pub static ALGEBRA_METHODS: &[(Rule, bool)] = &[
    (Rule { name: "dot", diff: TWO, reads: &[&[0, 1, Y], &[0, 1, Y]], cost: Cost::Cheap }, true),
    (Rule { name: "cross", diff: TWO, reads: &[&[0, 1, Y], &[0, 1, Y]], cost: Cost::Cheap }, false),
    (Rule { name: "norm", diff: ONE, reads: &[&[0, Y]], cost: Cost::Cheap }, true),
    (Rule { name: "norm_squared", diff: ONE, reads: &[&[0, Y]], cost: Cost::Cheap }, true),
    (Rule { name: "normalize", diff: ONE, reads: &[&[0, Y]], cost: Cost::Cheap }, false),
    (Rule { name: "transpose", diff: ONE, reads: &[&[0, Y]], cost: Cost::Cheap }, false),
    (Rule { name: "trace", diff: ONE, reads: &[&[0, Y]], cost: Cost::Cheap }, true),
    (Rule { name: "determinant", diff: ONE, reads: &[&[0, Y]], cost: Cost::Costly }, true),
    (
        Rule {
            name: "component_mul",
            diff: TWO,
            reads: &[&[0, 1, Y], &[0, 1, Y]],
            cost: Cost::Cheap,
        },
        false,
    ),
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
    Rule { name: "relu", diff: ONE, reads: &[&[0, Y]], cost: Cost::Cheap },
    Rule { name: "sigmoid", diff: ONE, reads: &[&[0, Y]], cost: Cost::Cheap },
    Rule { name: "sum", diff: ONE, reads: &[&[0, Y]], cost: Cost::Cheap },
    Rule { name: "mean", diff: ONE, reads: &[&[0, Y]], cost: Cost::Cheap },
    Rule {
        name: "sum_dim",
        diff: &[true, false, false],
        reads: &[&[0, 1, 2, Y], &[], &[]],
        cost: Cost::Cheap,
    },
    Rule {
        name: "max_dim",
        diff: &[true, false, false],
        reads: &[&[0, 1, 2, Y], &[], &[]],
        cost: Cost::Cheap,
    },
    Rule {
        name: "narrow",
        diff: &[true, false, false, false],
        reads: &[&[0, 1, 2, 3], &[], &[], &[]],
        cost: Cost::Cheap,
    },
    Rule {
        name: "select",
        diff: &[true, false, false],
        reads: &[&[0, 1, 2], &[], &[]],
        cost: Cost::Cheap,
    },
    Rule {
        name: "transpose",
        diff: &[true, false, false],
        reads: &[&[0, 1, 2, Y], &[], &[]],
        cost: Cost::Cheap,
    },
    Rule { name: "unsqueeze", diff: &[true, false], reads: &[&[0, 1, Y], &[]], cost: Cost::Cheap },
    Rule { name: "squeeze", diff: &[true, false], reads: &[&[0, 1, Y], &[]], cost: Cost::Cheap },
    Rule { name: "softmax", diff: &[true, false], reads: &[&[0, 1, Y], &[]], cost: Cost::Costly },
    Rule {
        name: "log_softmax",
        diff: &[true, false],
        reads: &[&[0, 1, Y], &[]],
        cost: Cost::Costly,
    },
    Rule {
        name: "clamp",
        diff: &[true, false, false],
        reads: &[&[0, 1, 2, Y], &[], &[]],
        cost: Cost::Cheap,
    },
    Rule { name: "matmul", diff: TWO, reads: &[&[0, 1, Y], &[0, 1, Y]], cost: Cost::Cheap },
    Rule { name: "t", diff: ONE, reads: &[&[0, Y]], cost: Cost::Cheap },
    Rule { name: "clone", diff: ONE, reads: &[&[0, Y]], cost: Cost::Cheap },
    Rule { name: "reshape", diff: &[true, false], reads: &[&[0, 1, Y], &[]], cost: Cost::Cheap },
    Rule { name: "powf", diff: TWO, reads: &[&[0, 1, Y], &[0, 1, Y]], cost: Cost::Costly },
    // `x.item::<E>()`, called as `rules::tensor::item::<E>(&x)`: the element as a float
    Rule { name: "item", diff: ONE, reads: &[&[0, Y]], cost: Cost::Cheap },
    // `Tensor::full(shape, v)` and `Tensor::scalar(v)` of an active float `v`
    Rule { name: "full", diff: &[false, true], reads: &[&[], &[0, 1, Y]], cost: Cost::Cheap },
    Rule { name: "scalar", diff: ONE, reads: &[&[0, Y]], cost: Cost::Cheap },
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
    // of tensors
    "shape",
    "numel",
    "dtype",
    "device",
    "argmax",
    // tensors of constants shaped like a tensor
    "zeros_like",
    "ones_like",
    // searches and tests of sequences, their closures comparing values (a grid's interval,
    // `knots.partition_point(|&k| k < t)`): indices and `bool`s
    "partition_point",
    "binary_search",
    "binary_search_by",
    "binary_search_by_key",
    "position",
    "rposition",
    "any",
    "all",
    "contains",
];

/// The methods of [`INACTIVE_METHODS`] whose results are indices (or counts), not `bool`s.
pub static INDEX_METHODS: &[&str] = &["len", "numel", "partition_point", "position", "rposition"];

/// The kind of the value of one of [`INACTIVE_METHODS`]: an index, a tensor of constants
/// (`zeros_like`), something else (`shape`, `argmax`'s indices), or a test.
pub fn inactive_method_kind(name: &str) -> crate::kind::Kind {
    use crate::kind::Kind;
    match name {
        n if INDEX_METHODS.contains(&n) => Kind::Int,
        "shape"
        | "dtype"
        | "device"
        | "argmax"
        | "binary_search"
        | "binary_search_by"
        | "binary_search_by_key" => Kind::Unknown,
        "zeros_like" | "ones_like" => Kind::Tensor,
        _ => Kind::Bool,
    }
}

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

//! The problems reported from more than one place, each message and help line written once.
//! A problem reported from one place keeps its text there, beside the check.

/// A problem's message and the help line that says how to fix it.
pub struct Problem {
    /// What is wrong.
    pub message: &'static str,
    /// What to write instead (code that compiles).
    pub help: &'static str,
}

/// The help line of everything that does not call a named function.
pub const CALL_A_NAMED_FUNCTION: &str =
    "call a named function that is #[differentiable] or has hand-written `_jvp`/`_vjp`";

/// The help line of a macro the body uses.
pub const MACRO_HELP: &str = "move it into a plain function and call that with `detach(..)`ed values (`report(detach(x));` with `fn report(x: f64) { println!(\"{x}\") }`), or compute it outside the differentiable function; `assert!`, `assert_eq!` and `debug_assert!` are kept as written";

/// The help line of a whole sequence used as one value (arithmetic on it, a method without a
/// rule).
pub const SEQUENCE_READS: &str = "read a sequence (a slice, `Vec`, `DVector` or `DMatrix`) element by element: `x[i]`, `m[(i, j)]`, `x.iter()`, `x.len()`, `m.nrows()`, `m.ncols()`, `x.iter().map(..).sum()`; write a product as a loop (`for j in 0..m.ncols() { y += m[(i, j)] * x[j]; }`), or take a fixed-size nalgebra type (`Matrix3<f64>`), whose products differentiate";

/// A `return` in a loop, where the rewrite stage could not move it out.
pub const RETURN_IN_LOOP: Problem = Problem {
    message: "`return` inside a loop cannot be differentiated",
    help: "write the `return` as a statement of the loop's body or of its branches (`if c { return v; }`, `match k { 0 => return v, .. }`), or `break` and return after the loop",
};

/// The help line of a `return` nested in an expression.
pub const RETURN_FROM_A_STATEMENT: &str = "return from a statement: `if cond { return a; }` at the level of the function body or its branches";

/// `*const T`, `*mut T`, `&raw const x` in the body.
pub const RAW_POINTER: Problem = Problem {
    message: "raw pointers cannot be differentiated",
    help: "read through references or slices instead",
};

/// `a = b` or `a += b` used as a value.
pub const ASSIGNMENT_IN_EXPRESSION: Problem = Problem {
    message: "an assignment inside an expression cannot be differentiated",
    help: "make the assignment a statement of its own",
};

/// A macro whose tokens are not an expression.
pub const MACRO_CALL: Problem =
    Problem { message: "macro calls cannot be differentiated", help: MACRO_HELP };

/// The message of an index computed from active values.
pub const ACTIVE_INDEX: &str = "an index cannot depend on an active parameter";

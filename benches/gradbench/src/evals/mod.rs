//! One module per GradBench eval, each a plain Rust function marked `#[differentiable]` and the
//! glue that reads its input and writes its output in the eval's layout.

mod ba;
mod det;
mod gmm;
mod ht;
mod kmeans;
mod llsq;
mod lse;
mod lstm;
mod ode;

use serde_json::Value;

/// The modules this tool defines.
pub const MODULES: &[&str] = &["ba", "det", "gmm", "ht", "kmeans", "llsq", "lse", "lstm", "ode"];

/// Evaluates `module.function` on `input`: its output and the time of each run.
pub fn evaluate(module: &str, function: &str, input: &Value) -> Result<(Value, Vec<u64>), String> {
    match module {
        "ba" => ba::evaluate(function, input),
        "det" => det::evaluate(function, input),
        "gmm" => gmm::evaluate(function, input),
        "ht" => ht::evaluate(function, input),
        "kmeans" => kmeans::evaluate(function, input),
        "llsq" => llsq::evaluate(function, input),
        "lse" => lse::evaluate(function, input),
        "lstm" => lstm::evaluate(function, input),
        "ode" => ode::evaluate(function, input),
        _ => Err(format!("unknown module `{module}`")),
    }
}

/// The error for a function the module does not have.
fn unknown(module: &str, function: &str) -> String {
    format!("the module `{module}` has no function `{function}`")
}

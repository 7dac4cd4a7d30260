//! A GradBench tool: reads one JSON message per line on stdin and answers each with one line on
//! stdout (nothing else is written there; diagnostics go to stderr).
//!
//! Messages: `start` (answered with the tool's name), `define {module}` (whether this tool
//! implements the module), `evaluate {module, function, input}` (the output and one
//! `evaluate` timing per run: the computation is repeated until the input's `min_runs` and
//! `min_seconds` are both met, and only the computation is timed), `end` (the tool exits), and
//! anything else (answered with its `id`).
//!
//! Every derivative here comes from `#[differentiable]`: the evals are plain Rust functions.

mod evals;
mod input;

use serde_json::{Value, json};
use std::io::{BufRead, Write};

fn main() {
    let stdin = std::io::stdin();
    let mut stdout = std::io::stdout().lock();
    for line in stdin.lock().lines() {
        let Ok(line) = line else { break };
        if line.trim().is_empty() {
            continue;
        }
        let message: Value = match serde_json::from_str(&line) {
            Ok(m) => m,
            Err(e) => {
                eprintln!("autodiff-gradbench: not JSON ({e}): {line}");
                continue;
            }
        };
        let Some(reply) = answer(&message) else { break };
        if writeln!(stdout, "{reply}").and_then(|()| stdout.flush()).is_err() {
            break;
        }
    }
}

/// The reply to one message, or `None` at the end.
fn answer(message: &Value) -> Option<Value> {
    let id = message.get("id").cloned().unwrap_or(Value::Null);
    let module = message.get("module").and_then(Value::as_str).unwrap_or_default();
    Some(match message.get("kind").and_then(Value::as_str) {
        Some("start") => json!({ "id": id, "tool": "autodiff" }),
        Some("define") => json!({ "id": id, "success": evals::MODULES.contains(&module) }),
        Some("evaluate") => {
            let function = message.get("function").and_then(Value::as_str).unwrap_or_default();
            let input = message.get("input").unwrap_or(&Value::Null);
            match evals::evaluate(module, function, input) {
                Ok((output, times)) => {
                    let timings: Vec<Value> = times
                        .iter()
                        .map(|ns| json!({ "name": "evaluate", "nanoseconds": ns }))
                        .collect();
                    json!({ "id": id, "success": true, "output": output, "timings": timings })
                }
                Err(error) => json!({ "id": id, "success": false, "error": error }),
            }
        }
        Some("end") => return None,
        _ => json!({ "id": id }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protocol_answers_echo_the_id() {
        let start = answer(&json!({"id": 0, "kind": "start", "eval": "llsq"}));
        assert_eq!(start, Some(json!({"id": 0, "tool": "autodiff"})));
        let define = answer(&json!({"id": 1, "kind": "define", "module": "gmm"}));
        assert_eq!(define, Some(json!({"id": 1, "success": true})));
        let unknown = answer(&json!({"id": 2, "kind": "define", "module": "nope"}));
        assert_eq!(unknown, Some(json!({"id": 2, "success": false})));
        let analysis = answer(&json!({"id": 3, "kind": "analysis", "of": 2, "valid": true}));
        assert_eq!(analysis, Some(json!({"id": 3})));
        assert_eq!(answer(&json!({"id": 4, "kind": "end"})), None);
    }

    #[test]
    fn evaluate_reports_runs_and_errors() {
        let input = json!({"x": [1.0, 2.0], "min_runs": 3, "min_seconds": 0.0});
        let reply = answer(&json!({"id": 5, "kind": "evaluate", "module": "lse",
            "function": "primal", "input": input}))
        .unwrap_or_default();
        assert_eq!(reply["success"], json!(true));
        assert_eq!(reply["timings"].as_array().map(Vec::len), Some(3));
        let expected = (1f64.exp() + 2f64.exp()).ln();
        assert!((reply["output"].as_f64().unwrap_or(0.0) - expected).abs() < 1e-12);
        let bad = answer(&json!({"id": 6, "kind": "evaluate", "module": "lse",
            "function": "primal", "input": {"y": 1}}))
        .unwrap_or_default();
        assert_eq!(bad["success"], json!(false));
        assert!(bad["error"].as_str().unwrap_or_default().contains("`x`"), "{bad}");
    }
}

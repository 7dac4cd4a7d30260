//! Reading an eval's input fields, and timing a computation the way GradBench asks.

use serde_json::Value;
use std::time::Instant;

/// The field `key` of `input`, or an error naming it.
fn field<'a>(input: &'a Value, key: &str) -> Result<&'a Value, String> {
    input.get(key).ok_or_else(|| format!("the input has no field `{key}`"))
}

/// A float field.
pub fn float(input: &Value, key: &str) -> Result<f64, String> {
    field(input, key)?.as_f64().ok_or_else(|| format!("`{key}` is not a number"))
}

/// A non-negative integer field.
pub fn count(input: &Value, key: &str) -> Result<usize, String> {
    field(input, key)?
        .as_u64()
        .and_then(|v| usize::try_from(v).ok())
        .ok_or_else(|| format!("`{key}` is not a non-negative integer"))
}

/// An array of numbers.
pub fn floats(input: &Value, key: &str) -> Result<Vec<f64>, String> {
    numbers(field(input, key)?).ok_or_else(|| format!("`{key}` is not an array of numbers"))
}

/// An array of arrays of numbers, flattened row after row.
pub fn rows(input: &Value, key: &str) -> Result<Vec<f64>, String> {
    let bad = || format!("`{key}` is not an array of arrays of numbers");
    let mut out = Vec::new();
    for row in field(input, key)?.as_array().ok_or_else(bad)? {
        out.extend(numbers(row).ok_or_else(bad)?);
    }
    Ok(out)
}

fn numbers(v: &Value) -> Option<Vec<f64>> {
    v.as_array()?.iter().map(Value::as_f64).collect()
}

/// `data` cut into rows of `width` numbers, as JSON.
pub fn to_rows(data: &[f64], width: usize) -> Value {
    if width == 0 {
        return Value::Array(Vec::new());
    }
    Value::Array(data.chunks(width).map(|r| Value::from(r.to_vec())).collect())
}

/// Runs `compute` until both the input's `min_runs` (default 1) and `min_seconds` (default 0)
/// are met; returns the last result and each run's time in nanoseconds.
pub fn timed<T>(input: &Value, mut compute: impl FnMut() -> T) -> (T, Vec<u64>) {
    let min_runs = input.get("min_runs").and_then(Value::as_u64).unwrap_or(1).max(1);
    let min_seconds = input.get("min_seconds").and_then(Value::as_f64).unwrap_or(0.0);
    let mut times = Vec::new();
    let mut total = 0.0;
    loop {
        let start = Instant::now();
        let result = std::hint::black_box(compute());
        let elapsed = start.elapsed();
        times.push(u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX));
        total += elapsed.as_secs_f64();
        if times.len() as u64 >= min_runs && total >= min_seconds {
            return (result, times);
        }
    }
}

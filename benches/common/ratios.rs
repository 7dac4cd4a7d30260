//! Reads criterion's estimates of the functions of one group and prints their ratios, so each
//! bench reports "ours / hand-written" from the same run.

use std::path::PathBuf;

/// The median time in nanoseconds criterion estimated for `group/function` in this run.
pub fn median_ns(group: &str, function: &str) -> Option<f64> {
    let root =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| PathBuf::from("target"), PathBuf::from);
    let path = root.join("criterion").join(group).join(function).join("new").join("estimates.json");
    let text = std::fs::read_to_string(path).ok()?;
    let median = &text[text.find("\"median\"")?..];
    let value = &median[median.find("\"point_estimate\":")? + "\"point_estimate\":".len()..];
    let end = value
        .find(|c: char| c != '.' && c != '-' && c != 'e' && c != '+' && !c.is_ascii_digit())?;
    value[..end].parse().ok()
}

/// Prints `numerator / denominator` for each pair, with both times.
#[allow(dead_code)] // benches/cuda.rs prints its own ratios from `median_ns`
pub fn print_ratios(group: &str, pairs: &[(&str, &str)]) {
    println!("\n{group}: ratios of median times (this run)");
    for (num, den) in pairs {
        match (median_ns(group, num), median_ns(group, den)) {
            (Some(a), Some(b)) => {
                println!("  {num:>12} / {den:<12} = {:.3}   ({a:.0} ns / {b:.0} ns)", a / b)
            }
            _ => println!("  {num} / {den}: no estimate (was the bench filtered out?)"),
        }
    }
}

/// Median seconds per case, by name, that a Python script of `benches/` prints (`name seconds`
/// per line), run with `$AUTODIFF_PYTHON` or `python3`; empty, saying why, when it cannot run
/// (the library it times is not installed, no Python).
#[allow(dead_code)] // not every bench compares with Python
pub fn python_times(script: &str, what: &str) -> Vec<(String, f64)> {
    // from the repository's root (where a bench runs when carried to another machine), else
    // where it was built
    let here = std::path::Path::new("benches").join(script);
    let script = if here.exists() {
        here
    } else {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("benches").join(script)
    };
    let python = std::env::var("AUTODIFF_PYTHON").unwrap_or_else(|_| "python3".into());
    match std::process::Command::new(&python).arg(&script).output() {
        Ok(out) if out.status.success() => String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| {
                let (name, secs) = l.split_once(' ')?;
                Some((name.to_string(), secs.trim().parse().ok()?))
            })
            .collect(),
        Ok(out) => {
            let err = String::from_utf8_lossy(&out.stderr);
            let last = err.lines().last().unwrap_or("");
            println!("{what} comparison skipped ({python} {}): {last}", script.display());
            Vec::new()
        }
        Err(e) => {
            println!("{what} comparison skipped: {python} did not start: {e}");
            Vec::new()
        }
    }
}

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

use autodiff::prelude::*;

// Arms that destructure an active value (a `match` whose arms only bind it to names, with
// guards, differentiates).
#[differentiable]
fn f(x: f64, y: f64) -> f64 {
    match (x, y) {
        (a, b) if a > b => a,
        (_, b) => b,
    }
}

// `if let` binding parts of an active value: the bindings would be constants.
#[differentiable]
fn next_difference(x: &[f64]) -> f64 {
    let mut s = 0.0;
    if let Some(&b) = x.get(1) {
        s += b * x[0];
    }
    s
}

// `let .. else` likewise; its help names code that compiles.
#[differentiable]
fn first(x: &[f64]) -> f64 {
    let Some(&f) = x.first() else { return 0.0 };
    f * 10.0
}

fn main() {}

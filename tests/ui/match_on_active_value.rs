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

fn main() {}

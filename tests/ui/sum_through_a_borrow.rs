use autodiff::prelude::*;

// The sum of a local array through a borrow: the macro sums the sequences it knows by name.
#[differentiable]
fn total(x: f64, k: f64) -> f64 {
    let arr = [x, k, x * k];
    let a = &arr;
    let t: f64 = a.iter().sum();
    t
}

fn main() {}

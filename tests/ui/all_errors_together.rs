use autodiff::prelude::*;

#[differentiable(speed = 3)]
fn f(x: f64) -> f64 {
    x = 1.0;
    let y = x.to_bits();
    println!("{y}");
    x
}

fn main() {}

use autodiff::prelude::*;

// `&mut` parameters are inactive data: writing a value that depends on `x` into one would
// lose its derivative, by assignment or by a method.
#[differentiable(wrt(x))]
fn log_into(x: f64, log: &mut Vec<f64>, calls: &mut usize) -> f64 {
    *calls += 1; // inactive: kept as written
    log.push(detach(x)); // detached on purpose: kept as written
    log[0] = x * x;
    log.push(x * 2.0);
    x * 3.0
}

fn main() {}

use autodiff::prelude::*;

#[differentiable]
fn f(x: f64, c: f64) -> f64 {
    c * x.sin() + x + c
}

#[differentiable]
fn g(x: f64, n: usize) -> f64 {
    let mut s = 0.0;
    if n > 2 {
        s += x * x;
    } else {
        s = x.exp();
    }
    if x < 0.0 {
        return -s;
    }
    let y = match n { 0 => 1.0, k => k as f64 };
    s * y + f(x, 2.0)
}

fn main() {
    println!("{:?}", f_grad(5.0, 3.0));
    println!("{:?}", g_grad(1.5, 3));
    println!("{:?}", g_jvp(1.5, 3, 1.0));
}

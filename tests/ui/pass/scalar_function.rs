use autodiff::prelude::*;

#[differentiable]
fn f(x: f64, y: f64) -> f64 {
    let mut s = x * y;
    if s > 1.0 {
        s = s.ln();
    }
    s + x.sin()
}

fn main() {
    let (value, (gx, gy)) = f_grad(1.0, 2.0);
    let _ = (value, gx, gy, f_jvp(1.0, 2.0, 1.0, 0.0));
}

use autodiff::prelude::*;

trait Loss {
    #[differentiable]
    fn loss(&self, x: f64) -> f64;
}

fn main() {}

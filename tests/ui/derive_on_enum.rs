use autodiff::prelude::*;

#[derive(Clone, Differentiable)]
enum Choice {
    Left(f64),
    Right(f64),
}

fn main() {}

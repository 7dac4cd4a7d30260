use autodiff::prelude::*;

struct Counter(usize);

#[differentiable]
impl Counter {
    fn count(&self) -> usize {
        self.0
    }
}

fn main() {}

use autodiff::prelude::*;

#[differentiable]
fn helper(v: &[f64]) -> f64 {
    v[0]
}

#[differentiable]
fn f(x: &[f64]) -> f64 {
    let mut total = 0.0;
    for i in 0..x.len() {
        let mut local: Vec<f64> = Vec::with_capacity(2);
        local.push(x[i]);
        local.truncate(0);
        total += x[i];
    }
    total
}

// A sub-slice of a buffer made in a loop that may stop early, passed to a call (the whole
// buffer would be passed as a copy).
#[differentiable]
fn early_exit(x: &[f64]) -> f64 {
    let mut total = 1.0;
    for i in 0..x.len() {
        let mut row: Vec<f64> = vec![0.0; 2];
        row[0] = x[i];
        total = total * helper(&row[1..]);
        if total > 10.0 {
            break;
        }
    }
    total
}

// `vec![v; n]` of an active nalgebra value (of a float, it differentiates).
#[differentiable]
fn repeated_active_value(x: f64, n: usize) -> f64 {
    let b = vec![nalgebra::Vector2::new(x, 1.0); n];
    b[0].x
}

#[differentiable]
fn copies_and_extends(x: &[f64]) -> f64 {
    let mut b = vec![0.0; 1];
    b[0] = x[0];
    let mut d = vec![0.0; 2];
    d.resize(3, x[0]);
    b[0] + d[0]
}

// Untyped, and what it receives is not a float (an untyped buffer of floats differentiates).
#[differentiable]
fn active_value_into_untyped_buffer(x: &[f64]) -> f64 {
    let mut b = Vec::new();
    b.push(nalgebra::Vector2::new(x[0], x[1]));
    b[0].x
}

// A buffer without a type assigned whole (a typed one takes the new value's elements).
#[differentiable]
fn untyped_replaced_whole(x: &[f64]) -> f64 {
    let mut y = vec![0.0; x.len()];
    y[0] = x[0];
    y = y.iter().map(|v| v.sin()).collect();
    y[0]
}

#[differentiable]
fn copy_of_generic_elements<T: Real>(x: &[T]) -> T {
    let b = x.to_vec();
    b[0] * b[1]
}

#[differentiable]
fn total(r: &[f64]) -> f64 {
    r[0] + r[1]
}

// A row passed on whole (rows are read in place: `a[i][j]`, `for row in a.iter()`).
#[differentiable]
fn vec_row_read_whole(a: &[Vec<f64>]) -> f64 {
    let mut s = 0.0;
    for i in 0..a.len() {
        s += total(&a[i]);
    }
    s
}

// A table written element by element and also grown: not a table the macro flattens.
#[differentiable]
fn table_grown(x: &[f64]) -> f64 {
    let mut t = vec![vec![0.0; 2]; 2];
    t.push(vec![0.0; 2]);
    t[0][1] = x[0];
    t[0][1] * x[1]
}

// An array value changed in place by a method
#[differentiable]
fn swapped(x: [f64; 3], k: f64) -> f64 {
    let a = [x[0] * k, x[1], x[2]];
    let mut y = a;
    y.swap(0, 2);
    y[0] + 2.0 * y[2]
}

fn main() {}

// The loop forms the macro rejects, each with its span and a help line.
use autodiff::prelude::*;

#[differentiable]
fn break_out_of_a_labelled_loop_value(x: &[f64]) -> f64 {
    let v = 'search: loop {
        for i in 0..x.len() {
            if x[i] > 1.0 {
                break 'search x[i];
            }
        }
    };
    v * 2.0
}

#[differentiable]
fn while_let(x: Vec<f64>) -> f64 {
    let mut s = 0.0;
    let mut i = 0;
    while let Some(v) = x.get(i) {
        s += v;
        i += 1;
    }
    s
}

#[differentiable]
fn labelled_break_from_a_loop_used_as_a_value(x: &[f64]) -> f64 {
    let mut s = 0.0;
    'a: for i in 0..x.len() {
        let v = loop {
            if x[i] > 0.5 {
                break 'a;
            }
            break x[i];
        };
        s += v * v;
    }
    s
}

#[differentiable]
fn return_inside_a_value(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() {
        let y = if x[i] > 1.0 { return s; } else { x[i] * 2.0 };
        s += y;
    }
    s
}

#[differentiable]
fn window_of_a_shadowed_name(x: &[f64], y: &[f64]) -> f64 {
    let mut s = 0.0;
    for w in x.windows(2) {
        let x = y;
        s += w[0] * x[0];
    }
    s
}

#[differentiable]
fn window_used_whole(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for w in x.windows(3) {
        let first = w;
        s += first[0];
    }
    s
}

#[differentiable]
fn sub_slice_of_a_buffer(x: &[f64]) -> f64 {
    let mut b: Vec<f64> = vec![0.0; 3];
    let mut s = 0.0;
    for i in 0..3 {
        b[i] = x[i];
        let head = &b[0..2];
        s += head[0] * head[1];
    }
    s
}

#[differentiable]
fn place_passed_on(x: &[f64]) -> f64 {
    let mut b: Vec<f64> = vec![0.0; 3];
    for v in b.iter_mut() {
        let r = v;
        *r = x[0];
    }
    b[0] * b[1]
}

fn main() {}

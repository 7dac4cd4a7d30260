//! Generated derivatives of loop-free scalar functions allocate nothing (DESIGN.md's
//! performance contract), branches and calls included. A counting global allocator counts the
//! allocations made on this test's thread while the generated functions run.

use autodiff::prelude::*;
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: forwards to the system allocator unchanged; only counts calls.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
        // SAFETY: the caller upholds `alloc`'s contract, which we pass on.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System.alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations_during(f: impl FnOnce()) -> usize {
    let before = ALLOCATIONS.with(Cell::get);
    f();
    ALLOCATIONS.with(Cell::get) - before
}

#[differentiable]
fn straight_line(x: f64, c: f64) -> f64 {
    c * x.sin() + x + c
}

#[differentiable]
fn branchy(x: f64, y: f64) -> f64 {
    let mut s = x * y;
    if s > 1.0 {
        s = s.ln();
    } else {
        s += x.exp();
    }
    if x < 0.0 {
        return straight_line(s, y);
    }
    s * straight_line(x, 2.0)
}

#[differentiable]
fn tower(x: f64, n: usize) -> f64 {
    let mut y = x;
    for _ in 0..n {
        y = (y * x).sin();
    }
    y
}

#[differentiable]
fn accumulate_loop(x: &[f64]) -> f64 {
    x.iter().map(|&v| v * v.sin()).sum()
}

/// Two loops that overwrite what their adjoints read: one typed tape each (ARCHITECTURE.md says
/// why not one stack for both), each allocated once however long its loop runs.
#[differentiable]
fn two_towers(x: f64, n: usize, m: usize) -> f64 {
    let mut y = x;
    for _ in 0..n {
        y = (y * x).sin();
    }
    let mut k = 0;
    let mut z = y;
    while k < m {
        z = (z + x).cos();
        k += 1;
    }
    z
}

/// DESIGN.md: loops allocate their value stacks once per call, sized in advance where the trip
/// count is known; an accumulation loop stores nothing at all.
#[test]
fn loops_allocate_their_tape_once() {
    let x = vec![0.5; 1000];
    let mut g = vec![0.0; 1000];
    let mut gx = 0.0;
    let mut sink = 0.0;
    assert_eq!(allocations_during(|| sink += accumulate_loop_vjp(&x, 1.0, &mut g)), 0);
    assert_eq!(allocations_during(|| sink += tower_vjp(0.7, 1000, 1.0, &mut gx)), 1);
    assert_eq!(allocations_during(|| sink += tower_jvp(0.7, 1000, 1.0).1), 0);
    // (the `while` loop's tape grows as it runs: a few reallocations, not one per iteration)
    let twice = allocations_during(|| sink += two_towers_vjp(0.7, 1000, 3, 1.0, &mut gx));
    assert_eq!(twice, 2, "two tapes of short loops");
    let long = allocations_during(|| sink += two_towers_vjp(0.7, 1000, 1000, 1.0, &mut gx));
    assert!((2..=14).contains(&long), "{long} allocations");
    assert!(sink.is_finite());
    assert!(gx.is_finite() && g[0] != 0.0);
}

#[test]
fn generated_scalar_code_does_not_allocate() {
    let mut sink = 0.0;
    let count = allocations_during(|| {
        for x in [-1.5, 0.3, 2.0] {
            let (mut gx, mut gy) = (0.0, 0.0);
            sink += straight_line_vjp(x, 3.0, 1.0, &mut gx, &mut gy) + gx + gy;
            sink += straight_line_jvp(x, 3.0, 1.0, 0.0).1;
            sink += straight_line_grad(x, 3.0).1.0;
            sink += branchy_vjp(x, 0.7, 1.0, &mut gx, &mut gy);
            sink += branchy_jvp(x, 0.7, 0.0, 1.0).1;
            sink += branchy_grad(x, 0.7).1.1;
        }
    });
    assert!(sink.is_finite());
    assert_eq!(count, 0, "generated code allocated {count} times");
    // the counter works: a Vec allocates
    assert_eq!(allocations_during(|| drop(std::hint::black_box(vec![1.0f64; 4]))), 1);
}

//! Slices, arrays and `Vec`s of floats in differentiable functions: as parameters and results,
//! local buffers written in place, iterators and their adapters, sub-slices, rows, and inactive
//! data beside them. Each function is checked against closed forms, central finite differences
//! and the adjoint identity `<J v, w> = <v, Jᵀ w>`.

use autodiff::prelude::*;

#[path = "../common/mod.rs"]
mod common;

/// Checks a `#[differentiable]` function `f` at a flat point with `common::check`:
/// `check_fn!(f, f_vjp, f_jvp, |v| (args..), &point)` compares `f(args..)` with `f_vjp` and
/// `f_jvp` called with the same arguments, followed by the adjoint buffers or tangents of the
/// active ones. Each argument is one of:
///
/// - `&v[range]`, an active slice, or `v[range].to_vec()`, an active `Vec`: its adjoint buffer and
///   tangent are the same range of the point's;
/// - `v[i]`, an active float;
/// - any other expression: an inactive argument, passed as written to all three.
///
/// The active arguments cover the point's coordinates in order: each adjoint buffer is the next
/// piece of the point's, and none is left over.
macro_rules! check_fn {
    // `rest` (the adjoint buffer not yet handed out) and `d` (the tangent) are named once, here,
    // and passed on: names made by a later expansion would not refer to the same variables.
    ($f:ident, $vjp:ident, $jvp:ident, |$v:ident| ($($args:tt)*), $point:expr $(,)?) => {
        check_fn!(@arg [$f $vjp $jvp $v $point] rest d [] [] [] $($args)*)
    };
    // An active slice.
    (@arg $call:tt $rest:ident $d:ident [$($p:tt)*] [$($a:tt)*] [$($t:tt)*]
        & $w:ident [$($r:tt)*] $(, $($more:tt)*)?) => {
        check_fn!(@arg $call $rest $d [$($p)* &$w[$($r)*],] [$($a)* {
            let (piece, tail) = std::mem::take(&mut $rest).split_at_mut($w[$($r)*].len());
            $rest = tail;
            piece
        },] [$($t)* &$d[$($r)*],] $($($more)*)?)
    };
    // An active `Vec`.
    (@arg $call:tt $rest:ident $d:ident [$($p:tt)*] [$($a:tt)*] [$($t:tt)*]
        $w:ident [$($r:tt)*] . to_vec() $(, $($more:tt)*)?) => {
        check_fn!(@arg $call $rest $d [$($p)* $w[$($r)*].to_vec(),] [$($a)* {
            let (piece, tail) = std::mem::take(&mut $rest).split_at_mut($w[$($r)*].len());
            $rest = tail;
            piece
        },] [$($t)* &$d[$($r)*],] $($($more)*)?)
    };
    // An active float.
    (@arg $call:tt $rest:ident $d:ident [$($p:tt)*] [$($a:tt)*] [$($t:tt)*]
        $w:ident [$($i:tt)*] $(, $($more:tt)*)?) => {
        check_fn!(@arg $call $rest $d [$($p)* $w[$($i)*],] [$($a)* {
            let (first, tail) = std::mem::take(&mut $rest).split_first_mut().unwrap();
            $rest = tail;
            first
        },] [$($t)* $d[$($i)*],] $($($more)*)?)
    };
    // An inactive argument.
    (@arg $call:tt $rest:ident $d:ident [$($p:tt)*] [$($a:tt)*] [$($t:tt)*]
        $e:expr $(, $($more:tt)*)?) => {
        check_fn!(@arg $call $rest $d [$($p)* $e,] [$($a)*] [$($t)*] $($($more)*)?)
    };
    // The arguments sorted: `f`'s, the adjoint buffers', the tangents'.
    (@arg [$f:ident $vjp:ident $jvp:ident $v:ident $point:expr] $rest:ident $d:ident
        [$($p:tt)*] [$($a:tt)*] [$($t:tt)*]) => {
        $crate::common::check(
            stringify!($f),
            |$v| $f($($p)*),
            |$v, seed, g| {
                let mut $rest = g;
                let value = $vjp($($p)* seed, $($a)*);
                assert!($rest.is_empty(), "{}: coordinates left without an adjoint", stringify!($f));
                value
            },
            |$v, $d| $jvp($($p)* $($t)*),
            $point,
        )
    };
}

mod adapters;
mod buffers;
mod collect_and_results;
mod inactive_data;
mod iterators;
mod parameters;
mod rows;
mod sub_slices;
mod swaps_and_copies;

// Helpers called by functions in several modules.

#[differentiable]
fn norm2(x: &[f64]) -> f64 {
    x[0] * x[0] + x[1] * x[1] + x[2] * x[2]
}

/// One read of each parameter per iteration: the buffers are cut to the parameters' length.
#[differentiable]
fn dot_product(a: &[f64], b: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..a.len() {
        s += a[i] * b[i];
    }
    s
}

//! Before lowering: iterator forms over sequences of floats become index loops, which the
//! loop lowering differentiates (and walks backwards without storing indices).
//!
//! ```text
//! for (i, &xi) in x.iter().enumerate() { body }
//!     => for k in 0..x.len() { let i = k; let xi = x[k]; body }
//! x.iter().zip(y).map(|(a, b)| a * b).sum::<f64>()
//!     => { let mut acc: f64 = -0.0; for k in 0..x.len().min(y.len()) {
//!            let item = { let a = x[k]; let b = y[k]; a * b }; acc += item; } acc }
//! x.windows(2).map(|w| w[1] - w[0]).sum::<f64>()
//!     => { .. for k in 0..x.windows(2).len() { let item = { x[k + (1)] - x[k + (0)] }; .. } .. }
//! for (bi, &xi) in b.iter_mut().zip(x) { *bi += xi * w; }
//!     => for k in 0..b.len().min(x.len()) { let xi = x[k]; b[k] += xi * w; }
//! b.fill(v);
//!     => { let value = v; for k in 0..b.len() { b[k] = value; } }
//! while let Some(&j) = next.get(i) { body }
//!     => loop { match next.get(i) { Some(&j) => { body } _ => break, } }
//! (0..n).map(|i| x[i] * w).sum::<f64>()
//!     => { let mut acc: f64 = -0.0; for k in (0..n) { let item = { let i = k; x[i] * w }; acc += item; } acc }
//! let e: Vec<f64> = x.iter().map(|v| v.exp()).collect();   (also `x.to_vec()`, `v.clone()`)
//!     => let e: Vec<f64> = { let mut b: Vec<f64> = vec![0.0; x.len()]; for k in 0..x.len() { b[k] = ..; } b };
//! std::mem::swap(&mut a, &mut b);
//!     => { let t = a; a = b; b = t; }
//!     (two `Vec`s: for k in 0..a.len().max(b.len()) { let t = a[k]; a[k] = b[k]; b[k] = t; })
//! ```
//!
//! Sources: an integer range (`(a..b)`, `.rev()`, `.step_by(n)`: iterated as it is, mapped and
//! reduced, but not zipped, enumerated, skipped or taken), a sequence (`x`, `&x`, `x.iter()`,
//! `.copied()`, `.cloned()`, a range of it such as `x[1..n]`), and `x.windows(n)`, `x.chunks(c)`, `x.chunks_exact(c)`, whose items are
//! sub-slices: a name bound to one becomes reads of `x` itself where it is indexed or asked its
//! `.len()`, and the sub-slice `&x[start..start + len]` where it is iterated. Adapters:
//! `enumerate`, `zip`, `map`, `rev`, `skip`, `take`, `step_by`, `filter` (its items are
//! the loop's items inside `if keep { .. }`; only `map`, `filter` and `rev` may follow it)
//! (arguments and range bounds must be simple: names, literals, arithmetic, `.len()`); reductions:
//! `sum`, `product`, `fold`. Lengths are the source's own (`x[1..n].len()`,
//! `x.windows(2).len()`), so a bad range or a window of 0 panics exactly where the source would.
//! `b.iter_mut()` (and `&mut b`) yields places: a name bound to one may only be dereferenced
//! (`*v`, read or written), which becomes `b[k]`.
//!
//! Only iterators rooted at a name known to be a slice, array or `Vec` of floats (a parameter
//! or a `let` whose type or value shows it) are rewritten; others are left as written (and
//! rejected by lowering when they iterate active values).

mod binding; // an item bound to a loop's or a closure's pattern
mod float_names; // which names hold sequences of floats, scope by scope
mod in_place; // swap, reverse, copy_from_slice, extend_from_slice, mem::swap
mod reduce; // sum, product, fold, collect, to_vec, clone
mod sources; // sequences, ranges and adapters as index loops
mod walk; // the walk over the body, with the names in scope

pub use walk::desugar;

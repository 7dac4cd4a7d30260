//! Views: the sub-slice a range loop reads, taken once before the loop so that the loop's
//! reads need no bounds check of their own. Generated code only (see the macro's
//! `emit/views.rs`).

/// The `len` elements of `seq` from `start` (none when `len` is 0, wherever `start` is): what
/// `for c in 0..len { .. seq[start + c] .. }` reads. Its length is `len`, so the optimiser
/// drops the check of each `view[c]` with `c < len`.
///
/// # Panics
///
/// If `len > 0` and `start + len` is past the end of `seq`: exactly when the loop itself would
/// have read past the end (the view is taken before the loop's first iteration instead).
///
/// ```
/// let x = [1.0, 2.0, 3.0, 4.0];
/// assert_eq!(autodiff_runtime::__private::view(&x, 1, 2), &[2.0, 3.0]);
/// assert!(autodiff_runtime::__private::view(&x, 9, 0).is_empty());
/// ```
#[inline(always)]
#[track_caller]
pub fn view<T>(seq: &[T], start: usize, len: usize) -> &[T] {
    if len == 0 { &seq[..0] } else { &seq[start..start + len] }
}

/// [`view`] of an adjoint buffer, for a loop whose adjoint adds into `buffer[start + c]`.
///
/// # Panics
///
/// As [`view`].
///
/// ```
/// let mut x_bar = [0.0; 4];
/// autodiff_runtime::__private::view_mut(&mut x_bar, 1, 2)[1] += 5.0;
/// assert_eq!(x_bar, [0.0, 0.0, 5.0, 0.0]);
/// ```
#[inline(always)]
#[track_caller]
pub fn view_mut<T>(buffer: &mut [T], start: usize, len: usize) -> &mut [T] {
    if len == 0 { &mut buffer[..0] } else { &mut buffer[start..start + len] }
}

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
pub fn view<T, S: Contiguous<T> + ?Sized>(seq: &S, start: usize, len: usize) -> &[T] {
    let seq = seq.contiguous();
    if len == 0 { &seq[..0] } else { &seq[start..start + len] }
}

/// A sequence whose elements lie in one slice: slices, arrays, `Vec`s and nalgebra's
/// contiguous vectors and matrices (column by column), which a loop of the macro's reads by
/// index (a call's result it cannot see the type of may be any of them).
///
/// ```
/// use autodiff_runtime::__private::Contiguous;
/// assert_eq!(nalgebra::Vector2::new(1.0, 2.0).contiguous(), &[1.0, 2.0]);
/// assert_eq!(vec![3.0].contiguous(), &[3.0]);
/// ```
pub trait Contiguous<T> {
    /// The elements, in order.
    fn contiguous(&self) -> &[T];
}

impl<T> Contiguous<T> for [T] {
    #[inline(always)]
    fn contiguous(&self) -> &[T] {
        self
    }
}

impl<T, const N: usize> Contiguous<T> for [T; N] {
    #[inline(always)]
    fn contiguous(&self) -> &[T] {
        self
    }
}

impl<T> Contiguous<T> for Vec<T> {
    #[inline(always)]
    fn contiguous(&self) -> &[T] {
        self
    }
}

impl<T, S: Contiguous<T> + ?Sized> Contiguous<T> for &S {
    #[inline(always)]
    fn contiguous(&self) -> &[T] {
        (**self).contiguous()
    }
}

impl<T, R, C, S> Contiguous<T> for nalgebra::Matrix<T, R, C, S>
where
    R: nalgebra::Dim,
    C: nalgebra::Dim,
    S: nalgebra::RawStorage<T, R, C> + nalgebra::IsContiguous,
{
    #[inline(always)]
    fn contiguous(&self) -> &[T] {
        self.as_slice()
    }
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

//! [`Placeholder`]: the value a variable that generated code declares before a loop holds
//! until the loop assigns it (the value of a `break` or `return` inside the loop).

/// A value of the type, never read: generated code declares `let mut slot = placeholder();`
/// before a loop, assigns it where the source returns or breaks with a value, and reads it
/// only after such an assignment.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot leave a loop by `return` or `break` with a value computed inside the loop",
    note = "floats, integers, arrays, `Vec`s, nalgebra vectors and matrices and `Tensor` can; keep the value in a variable declared before the loop, `break`, and return it after the loop"
)]
pub trait Placeholder {
    /// Any value of the type.
    fn placeholder() -> Self;
}

/// A placeholder of the type the caller infers.
///
/// ```
/// let mut slot: f64 = autodiff_runtime::__private::placeholder();
/// slot = 2.0;
/// assert_eq!(slot, 2.0);
/// ```
#[doc(hidden)]
#[inline(always)]
pub fn placeholder<T: Placeholder>() -> T {
    T::placeholder()
}

macro_rules! impl_default {
    ($($t:ty),*) => {$(
        impl Placeholder for $t {
            #[inline(always)]
            fn placeholder() -> Self {
                Default::default()
            }
        }
    )*};
}
impl_default!(f32, f64, bool, u8, u16, u32, u64, usize, i8, i16, i32, i64, isize);

impl<T: Placeholder, const N: usize> Placeholder for [T; N] {
    fn placeholder() -> Self {
        core::array::from_fn(|_| T::placeholder())
    }
}

impl<T> Placeholder for Vec<T> {
    fn placeholder() -> Self {
        Vec::new()
    }
}

macro_rules! impl_fixed_size {
    ($($t:ty),*) => {$(
        impl<const R: usize, const C: usize> Placeholder for nalgebra::SMatrix<$t, R, C> {
            fn placeholder() -> Self {
                Self::zeros()
            }
        }
    )*};
}
impl_fixed_size!(f32, f64);

impl Placeholder for crate::Tensor {
    fn placeholder() -> Self {
        crate::Tensor::scalar(0.0f32)
    }
}

impl<A: Placeholder, B: Placeholder> Placeholder for (A, B) {
    fn placeholder() -> Self {
        (A::placeholder(), B::placeholder())
    }
}

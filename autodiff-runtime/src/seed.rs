//! [`AsSeed`]: a result's adjoint in the form `f_vjp` takes it as a seed (a `Vec`'s as a slice).

/// A value's adjoint as the seed of `f_vjp` (DESIGN.md: a tuple result's seed holds `&[E]`
/// for a `Vec` element): generated code passes the adjoint of a call's tuple result to the
/// callee's `g_vjp` through [`as_seed`].
///
/// ```
/// use autodiff_runtime::AsSeed;
/// let adjoint = (2.0f64, vec![1.0, 0.5]);
/// let seed: (f64, &[f64]) = adjoint.as_seed();
/// assert_eq!(seed, (2.0, &[1.0, 0.5][..]));
/// ```
pub trait AsSeed {
    /// The seed: `Self` for floats, arrays, nalgebra values and tensors, `&[E]` for a `Vec<E>`.
    type Seed<'a>
    where
        Self: 'a;
    /// The seed of this adjoint.
    fn as_seed(&self) -> Self::Seed<'_>;
}

macro_rules! seed_is_a_copy {
    ($($t:ty),*) => {$(
        impl AsSeed for $t {
            type Seed<'a> = $t;
            #[inline(always)]
            fn as_seed(&self) -> $t {
                *self
            }
        }
    )*};
}
seed_is_a_copy!(f32, f64);

impl<E: Copy, const N: usize> AsSeed for [E; N] {
    type Seed<'a>
        = [E; N]
    where
        E: 'a;
    fn as_seed(&self) -> [E; N] {
        *self
    }
}

impl<E> AsSeed for Vec<E> {
    type Seed<'a>
        = &'a [E]
    where
        E: 'a;
    fn as_seed(&self) -> &[E] {
        self
    }
}

impl<E, R, C, S> AsSeed for nalgebra::Matrix<E, R, C, S>
where
    E: nalgebra::Scalar,
    R: nalgebra::Dim,
    C: nalgebra::Dim,
    S: nalgebra::RawStorage<E, R, C> + Clone,
{
    type Seed<'a>
        = Self
    where
        Self: 'a;
    fn as_seed(&self) -> Self {
        self.clone()
    }
}

impl AsSeed for crate::Tensor {
    type Seed<'a> = crate::Tensor;
    fn as_seed(&self) -> crate::Tensor {
        self.clone()
    }
}

macro_rules! seed_of_tuple {
    ($(($($t:ident $i:tt),+)),*) => {$(
        impl<$($t: AsSeed),+> AsSeed for ($($t,)+) {
            type Seed<'a> = ($($t::Seed<'a>,)+) where Self: 'a;
            fn as_seed(&self) -> Self::Seed<'_> {
                ($(self.$i.as_seed(),)+)
            }
        }
    )*};
}
seed_of_tuple!((A 0, B 1), (A 0, B 1, C 2), (A 0, B 1, C 2, D 3));

/// `adjoint.as_seed()`: see [`AsSeed`].
///
/// ```
/// let adjoint = (1.0f32, [2.0f32, 3.0]);
/// assert_eq!(autodiff_runtime::as_seed(&adjoint), (1.0, [2.0, 3.0]));
/// ```
#[inline(always)]
pub fn as_seed<T: AsSeed>(adjoint: &T) -> T::Seed<'_> {
    adjoint.as_seed()
}

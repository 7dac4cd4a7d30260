//! [`Differentiable`]: what every value that carries a derivative can do, and the two free
//! functions generated code calls, [`zero_like`] and [`accumulate`].

/// A value that has tangents and adjoints of its own type.
///
/// Generated code never names a type: an adjoint starts as [`zero_like`] of its primal and
/// contributions are added with [`accumulate`]. For `f32` and `f64` both inline to one float
/// operation.
///
/// ```
/// use autodiff_runtime::Differentiable;
/// let mut g = 2.5f64.zero_like();
/// g.accumulate(1.5);
/// g.accumulate(0.5);
/// assert_eq!(g, 2.0);
/// ```
pub trait Differentiable: Sized {
    /// A zero of the same shape as `self`.
    fn zero_like(&self) -> Self;
    /// Adds `contribution` into `self` (gradient accumulation).
    fn accumulate(&mut self, contribution: Self);
}

macro_rules! impl_float {
    ($($t:ty),*) => {$(
        impl Differentiable for $t {
            #[inline(always)]
            fn zero_like(&self) -> Self {
                0.0
            }
            #[inline(always)]
            fn accumulate(&mut self, contribution: Self) {
                *self += contribution;
            }
        }
    )*};
}
impl_float!(f32, f64);

/// A zero shaped like `value`: the starting point of every adjoint and of constant tangents.
///
/// ```
/// assert_eq!(autodiff_runtime::zero_like(&3.0f32), 0.0);
/// ```
#[inline(always)]
pub fn zero_like<T: Differentiable>(value: &T) -> T {
    value.zero_like()
}

/// Adds `contribution` into the adjoint `adjoint`.
///
/// ```
/// let mut a = 1.0f64;
/// autodiff_runtime::accumulate(&mut a, 2.0);
/// assert_eq!(a, 3.0);
/// ```
#[inline(always)]
pub fn accumulate<T: Differentiable>(adjoint: &mut T, contribution: T) {
    adjoint.accumulate(contribution);
}

/// Outputs for which a gradient (`f_grad`) is defined: the seed of reverse mode is one.
///
/// ```
/// use autodiff_runtime::GradOutput;
/// assert_eq!(<f64 as GradOutput>::unit_seed(), 1.0);
/// ```
pub trait GradOutput: Differentiable {
    /// The seed `1` that makes `f_vjp` compute a gradient.
    fn unit_seed() -> Self;
}

impl GradOutput for f32 {
    #[inline(always)]
    fn unit_seed() -> Self {
        1.0
    }
}

impl GradOutput for f64 {
    #[inline(always)]
    fn unit_seed() -> Self {
        1.0
    }
}

//! The run-time checks of shapes and lengths that generated code makes: tensor tangents,
//! adjoint buffers and seeds of their value's shape, a buffer assigned whole keeping its length.

/// The check before a buffer assigned whole takes the new value's elements (the macro
/// writes `state = step(&state, dt)` in place): the lengths must agree.
///
/// # Panics
///
/// If they differ, naming the buffer.
///
/// ```
/// autodiff_runtime::__private::assigned_whole(3, 3, "state");
/// assert!(std::panic::catch_unwind(|| autodiff_runtime::__private::assigned_whole(2, 3, "state")).is_err());
/// ```
#[track_caller]
pub fn assigned_whole(new: usize, old: usize, name: &str) {
    assert!(
        new == old,
        "`{name}` is assigned a value of length {new} but has length {old}: the derivatives write a buffer assigned whole in place, so its length must stay (bind the new value to a `let` of its own)"
    );
}

/// The check that a tensor parameter's tangent or adjoint buffer (`what`) has the
/// parameter's shape (a discard buffer, which generated code passes for an argument without
/// an adjoint, has none to check).
///
/// # Panics
///
/// If the shapes differ, naming both.
///
/// ```
/// use autodiff_runtime::Tensor;
/// let x = Tensor::zeros(&[3, 4]);
/// autodiff_runtime::__private::check_shape(&x, &Tensor::zeros(&[3, 4]), "x_bar");
/// assert!(std::panic::catch_unwind(|| {
///     autodiff_runtime::__private::check_shape(&x, &Tensor::zeros(&[4]), "x_bar")
/// }).is_err());
/// ```
#[track_caller]
pub fn check_shape(x: &crate::Tensor, d: &crate::Tensor, what: &str) {
    if !d.is_discard() && d.shape() != x.shape() {
        let name = what.rsplit_once('_').map_or(what, |(n, _)| n);
        panic!(
            "`{what}` has shape {:?} but `{name}` has shape {:?}: tangents and adjoint buffers take their parameter's shape",
            d.shape(),
            x.shape()
        );
    }
}

/// The check that `f_vjp`'s seed had the shape of the result `y` (or, for a one-element
/// result, one element: `f_grad`'s seed is the scalar 1).
///
/// # Panics
///
/// If not, naming both shapes.
///
/// ```
/// use autodiff_runtime::Tensor;
/// autodiff_runtime::__private::check_seed_shape(&[], &Tensor::zeros(&[1]));
/// assert!(std::panic::catch_unwind(|| {
///     autodiff_runtime::__private::check_seed_shape(&[], &Tensor::zeros(&[3]))
/// }).is_err());
/// ```
#[track_caller]
pub fn check_seed_shape(seed: &[usize], y: &crate::Tensor) {
    let one = |s: &[usize]| s.iter().product::<usize>() == 1;
    if seed != y.shape() && !(one(seed) && one(y.shape())) {
        seed_shape_differs(seed, y);
    }
}

/// A seed's shape, kept before the seed is moved into the adjoint sweep (no allocation up
/// to eight dimensions).
///
/// ```
/// use autodiff_runtime::{Tensor, __private::SeedShape};
/// assert_eq!(SeedShape::of(&Tensor::zeros(&[2, 3])).dims(), &[2, 3]);
/// ```
pub struct SeedShape {
    inline: [usize; 8],
    len: usize,
    spilled: Vec<usize>,
}

impl SeedShape {
    /// The shape of `seed`.
    #[inline]
    pub fn of(seed: &crate::Tensor) -> SeedShape {
        let shape = seed.shape();
        let mut inline = [0; 8];
        match shape.len() <= 8 {
            true => {
                inline[..shape.len()].copy_from_slice(shape);
                SeedShape { inline, len: shape.len(), spilled: Vec::new() }
            }
            false => SeedShape { inline, len: 0, spilled: shape.to_vec() },
        }
    }

    /// Its dimensions.
    #[inline]
    pub fn dims(&self) -> &[usize] {
        match self.spilled.is_empty() {
            true => &self.inline[..self.len],
            false => &self.spilled,
        }
    }
}

#[cold]
#[track_caller]
fn seed_shape_differs(seed: &[usize], y: &crate::Tensor) {
    panic!(
        "the seed has shape {seed:?} but the result has shape {:?}: a seed takes the result's shape (`f_grad` needs a one-element result; call `f_vjp` with a seed of the result's shape for the gradient of a weighted sum)",
        y.shape()
    );
}

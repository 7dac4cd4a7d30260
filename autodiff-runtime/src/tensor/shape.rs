//! [`Shape`]: a tensor's dimensions, held inline up to six of them, so that making or cloning
//! a tensor allocates its data and nothing for its shape (small tensors in a training step
//! spent most of their time in the allocator for one-`usize` shapes).

use std::fmt;
use std::ops::{Deref, DerefMut};

/// How many dimensions a shape holds without allocating.
const INLINE: usize = 6;

/// The dimensions of a tensor: a `[usize]` (by `Deref`) that owns them.
#[derive(Clone)]
pub(crate) enum Shape {
    /// Up to [`INLINE`] dimensions: the count and the dimensions.
    Inline(u8, [usize; INLINE]),
    /// More.
    Heap(Vec<usize>),
}

impl Shape {
    /// Removes and returns dimension `i`, as `Vec::remove`.
    pub(crate) fn remove(&mut self, i: usize) -> usize {
        match self {
            Shape::Inline(n, dims) => {
                let d = dims[..usize::from(*n)][i];
                dims.copy_within(i + 1..usize::from(*n), i);
                *n -= 1;
                d
            }
            Shape::Heap(v) => v.remove(i),
        }
    }

    /// Inserts `d` at `i`, as `Vec::insert`.
    pub(crate) fn insert(&mut self, i: usize, d: usize) {
        match self {
            Shape::Inline(n, dims) if usize::from(*n) < INLINE => {
                let len = usize::from(*n);
                assert!(i <= len, "insertion index {i} is out of bounds for a shape of {len}");
                dims.copy_within(i..len, i + 1);
                dims[i] = d;
                *n += 1;
            }
            _ => {
                let mut v = self.to_vec();
                v.insert(i, d);
                *self = Shape::from(v);
            }
        }
    }
}

impl Deref for Shape {
    type Target = [usize];
    fn deref(&self) -> &[usize] {
        match self {
            Shape::Inline(n, dims) => &dims[..usize::from(*n)],
            Shape::Heap(v) => v,
        }
    }
}

impl DerefMut for Shape {
    fn deref_mut(&mut self) -> &mut [usize] {
        match self {
            Shape::Inline(n, dims) => &mut dims[..usize::from(*n)],
            Shape::Heap(v) => v,
        }
    }
}

impl From<&[usize]> for Shape {
    fn from(dims: &[usize]) -> Shape {
        match dims.len() {
            n if n <= INLINE => {
                let mut inline = [0; INLINE];
                inline[..n].copy_from_slice(dims);
                Shape::Inline(n as u8, inline)
            }
            _ => Shape::Heap(dims.to_vec()),
        }
    }
}

impl From<Vec<usize>> for Shape {
    fn from(dims: Vec<usize>) -> Shape {
        match dims.len() <= INLINE {
            true => Shape::from(dims.as_slice()),
            false => Shape::Heap(dims),
        }
    }
}

impl<const N: usize> From<[usize; N]> for Shape {
    fn from(dims: [usize; N]) -> Shape {
        Shape::from(&dims[..])
    }
}

impl PartialEq for Shape {
    fn eq(&self, other: &Shape) -> bool {
        **self == **other
    }
}

impl PartialEq<[usize]> for Shape {
    fn eq(&self, other: &[usize]) -> bool {
        **self == *other
    }
}

impl PartialEq<&[usize]> for Shape {
    fn eq(&self, other: &&[usize]) -> bool {
        **self == **other
    }
}

impl PartialEq<Vec<usize>> for Shape {
    fn eq(&self, other: &Vec<usize>) -> bool {
        **self == **other
    }
}

impl fmt::Debug for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        (**self).fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::Shape;

    /// Inline and on the heap, a shape is its dimensions: removing, inserting and comparing
    /// as a `Vec` does.
    #[test]
    fn a_shape_behaves_as_a_vec_of_its_dimensions() {
        for dims in [vec![], vec![3], vec![2, 3, 4], vec![1, 2, 3, 4, 5, 6], vec![1; 9]] {
            let mut s = Shape::from(dims.clone());
            let mut v = dims.clone();
            assert_eq!(s, v);
            s.insert(0, 7);
            v.insert(0, 7);
            assert_eq!(s, v);
            s.insert(v.len(), 8);
            v.insert(v.len(), 8);
            assert_eq!(s, v);
            assert_eq!(s.remove(1), v.remove(1));
            assert_eq!((s.clone(), s.len()), (Shape::from(v.clone()), v.len()));
            s[0] = 5;
            v[0] = 5;
            assert_eq!(&s[..], &v[..]);
            assert_eq!(format!("{s:?}"), format!("{v:?}"));
        }
        assert!(matches!(Shape::from(vec![1; 6]), Shape::Inline(6, _)));
        assert!(matches!(Shape::from(vec![1; 7]), Shape::Heap(_)));
    }
}

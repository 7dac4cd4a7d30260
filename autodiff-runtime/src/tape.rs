//! The value stacks (tapes) of reverse mode: one `Vec` per loop that overwrites values its
//! adjoint needs, declared once per call, reserved to the loop's trip count before it runs.

/// Pushes `value` onto a tape reserved for it before a range loop (one push per iteration, the
/// trip count known): with no growth path inside the loop, the compiler keeps the loop's values
/// in registers around the push instead of saving them for a call (a fifth off the GMM
/// gradient).
///
/// # Panics
///
/// If the tape is full: the generated code reserves every push it makes this way, so that is an
/// internal error.
///
/// ```
/// let mut tape = Vec::with_capacity(1);
/// autodiff_runtime::__private::push_reserved(&mut tape, 2.0f64);
/// assert_eq!(tape, [2.0]);
/// ```
#[inline(always)]
pub fn push_reserved<T>(tape: &mut Vec<T>, value: T) {
    if tape.len() == tape.capacity() {
        tape_full();
    }
    tape.push(value);
}

#[cold]
#[inline(never)]
fn tape_full() -> ! {
    panic!("internal error of autodiff: a loop's tape was reserved too short")
}

/// Keeps a copy of a scratch buffer's contents at the end of a loop iteration: reverse mode
/// puts them back ([`restore`]) before that iteration's adjoint, which then reads the buffer
/// as the iteration left it instead of taping each read.
///
/// ```
/// use autodiff_runtime::__private::{keep, restore};
/// let (mut kept, mut scratch) = (Vec::new(), vec![1.0, 2.0]);
/// keep(&mut kept, &scratch);
/// scratch.copy_from_slice(&[5.0, 6.0]);
/// keep(&mut kept, &scratch);
/// restore(&mut scratch, &mut kept);
/// assert_eq!(scratch, [5.0, 6.0]);
/// restore(&mut scratch, &mut kept);
/// assert_eq!((scratch, kept.len()), (vec![1.0, 2.0], 0));
/// ```
#[inline(always)]
pub fn keep<T: Clone>(kept: &mut Vec<T>, buffer: &[T]) {
    kept.extend_from_slice(buffer);
}

/// Puts back the contents [`keep`] kept last (the buffer has the length it had then: the
/// generated code keeps only buffers that no push changes in the loop).
///
/// # Panics
///
/// If fewer values are kept than the buffer holds: an internal error.
#[inline(always)]
pub fn restore<T: Clone>(buffer: &mut [T], kept: &mut Vec<T>) {
    let Some(start) = kept.len().checked_sub(buffer.len()) else {
        panic!("internal error of autodiff: a kept buffer was restored twice")
    };
    buffer.clone_from_slice(&kept[start..]);
    kept.truncate(start);
}

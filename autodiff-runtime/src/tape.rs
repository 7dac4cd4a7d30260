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

//! How much of a directory's output multilog writes at a time. Whenever it waits
//! for input, all it has read is in `current`; while more input is waiting, it
//! writes `current` in pieces that end on `ALIGNED` boundaries of the file, since a
//! write that ends inside a page has the kernel zero the rest of the page and fill
//! it again at the next write (measured, `multilog s16777215` on 200 MB of lines:
//! 0.19 s against 0.28 when each write ended at a line's end).

/// Writes made while more input waits end on multiples of this many bytes.
pub const ALIGNED: u64 = 32 * 1024;

/// Of `pending` bytes of output for a `current` that already holds `written`
/// bytes, how many to write now: all of them, unless more input is waiting; then
/// those up to the last `ALIGNED` boundary, keeping less than `ALIGNED` back.
pub fn to_write(written: u64, pending: usize, more_waiting: bool) -> usize {
    if !more_waiting {
        return pending;
    }
    let past_boundary = (written.wrapping_add(pending as u64) % ALIGNED) as usize;
    pending.saturating_sub(past_boundary)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn examples() {
        assert_eq!(to_write(0, 100, false), 100);
        assert_eq!(to_write(0, 100, true), 0);
        assert_eq!(to_write(0, 40_000, true), 32_768);
        assert_eq!(to_write(30_000, 40_000, true), 35_536);
        assert_eq!(to_write(30_000, 2_768, true), 2_768);
    }

    proptest! {
        #[test]
        fn waiting_input_gets_aligned_writes_and_less_than_a_piece_held(
            written in 0u64..1 << 40,
            pending in 0usize..200_000,
            more_waiting: bool,
        ) {
            let n = to_write(written, pending, more_waiting);
            prop_assert!(n <= pending);
            if more_waiting {
                prop_assert!(n == 0 || (written + n as u64).is_multiple_of(ALIGNED));
                prop_assert!(((pending - n) as u64) < ALIGNED);
            } else {
                prop_assert_eq!(n, pending);
            }
        }
    }
}

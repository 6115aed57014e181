//! How much input multilog reads at a time, and how it batches a directory's output.
//!
//! What multilog has taken out of its input must be in `current` before it waits
//! for anything (more input, a rotation's fsync, a processor): a `kill -9` then
//! loses no more than upstream's, which holds at most its 1024-byte input buffer.
//! So each read is no larger than what can be written before a rotation could be
//! due ([`to_read`]): near a rotation, multilog reads a byte at a time until the
//! line that fills `current` ends, and holds nothing when the rotation waits.
//! Everything a read brought is written before the next read.
//! Within the output of one read, writes end on `ALIGNED` boundaries of the file
//! where they can, since a write that ends inside a page has the kernel zero the
//! rest of the page and fill it again at the next write.

/// The most input read at a time: few system calls, memory near upstream's.
pub const READ_MAX: usize = 32 * 1024;
/// Writes made within one read's output end on multiples of this many bytes.
pub const ALIGNED: u64 = 32 * 1024;

/// How many bytes to read, when `before_rotation` bytes of input could be taken
/// without a rotation (`Lines::input_before_rotation`).
pub fn to_read(before_rotation: u64) -> usize {
    usize::try_from(before_rotation)
        .unwrap_or(usize::MAX)
        .clamp(1, READ_MAX)
}

/// Of `pending` bytes of output for a `current` that already holds `written`
/// bytes, how many to write while more of the same read's output is coming: those
/// up to the last `ALIGNED` boundary, keeping less than `ALIGNED` back.
pub fn to_write(written: u64, pending: usize) -> usize {
    let past_boundary = (written.wrapping_add(pending as u64) % ALIGNED) as usize;
    pending.saturating_sub(past_boundary)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn examples() {
        assert_eq!(to_write(0, 100), 0);
        assert_eq!(to_write(0, 40_000), 32_768);
        assert_eq!(to_write(30_000, 40_000), 35_536);
        assert_eq!(to_write(30_000, 2_768), 2_768);
        assert_eq!(to_read(0), 1);
        assert_eq!(to_read(5000), 5000);
        assert_eq!(to_read(u64::MAX), READ_MAX);
    }

    proptest! {
        #[test]
        fn aligned_writes_and_less_than_a_piece_held(
            written in 0u64..1 << 40,
            pending in 0usize..200_000,
        ) {
            let n = to_write(written, pending);
            prop_assert!(n <= pending);
            prop_assert!(n == 0 || (written + n as u64).is_multiple_of(ALIGNED));
            prop_assert!(((pending - n) as u64) < ALIGNED);
        }

        #[test]
        fn reads_are_bounded_and_past_a_rotation_by_a_byte_at_most(before in any::<u64>()) {
            let n = to_read(before);
            prop_assert!((1..=READ_MAX).contains(&n));
            prop_assert!(n as u64 <= before || n == 1);
        }
    }
}

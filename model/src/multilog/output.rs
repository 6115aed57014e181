//! How much input multilog reads at a time.
//!
//! What multilog has taken out of its input must be in `current` before it waits
//! for anything (more input, a rotation's fsync, a processor): a `kill -9` then
//! loses no more than upstream's, which holds at most its 1024-byte input buffer.
//! So each read is no larger than what can be written before a rotation could be
//! due ([`to_read`]): near a rotation, multilog reads a byte at a time until the
//! line that fills `current` ends, and holds nothing when the rotation waits.
//! Everything a read brought is written before the next read: the line machine
//! makes it one write per directory, where no rotation comes between.

/// The most input read at a time: few system calls, memory near upstream's.
pub const READ_MAX: usize = 32 * 1024;

/// How many bytes to read, when `before_rotation` bytes of input could be taken
/// without a rotation (`Lines::input_before_rotation`).
pub fn to_read(before_rotation: u64) -> usize {
    usize::try_from(before_rotation)
        .unwrap_or(usize::MAX)
        .clamp(1, READ_MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn examples() {
        assert_eq!(to_read(0), 1);
        assert_eq!(to_read(5000), 5000);
        assert_eq!(to_read(u64::MAX), READ_MAX);
    }

    proptest! {
        #[test]
        fn reads_are_bounded_and_past_a_rotation_by_a_byte_at_most(before in any::<u64>()) {
            let n = to_read(before);
            prop_assert!((1..=READ_MAX).contains(&n));
            prop_assert!(n as u64 <= before || n == 1);
        }
    }
}

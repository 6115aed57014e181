//! `supervise/death_tally`, in s6-supervise's format, so that s6's own readers
//! (`s6-svdt`, `s6-permafailon`) read ours unchanged: one 14-byte record per exit
//! of the service, oldest first: the time of the exit as a TAI64N label on s6's
//! clock (8 bytes of seconds, 4 of nanoseconds, big-endian), the exit code (128 +
//! the signal after a kill), and the signal (0 after an exit).

use super::Ended;
use crate::tai64::Tai64N;

/// The length of one record.
pub const RECORD: usize = 14;
/// How many records are kept without `max-death-tally`.
pub const DEFAULT_MAX: u16 = 100;
/// The most records kept (s6's `S6_MAX_DEATH_TALLY`).
pub const MAX: u16 = 4096;

/// Seconds between UTC and TAI since 2017, which s6's clock counts (skalibs adds
/// its leap-second table to the system clock) and daemontools' labels do not.
pub const LEAP_SECONDS: u64 = 27;

/// The record of an exit at `when` (a daemontools label, as the machine keeps).
pub fn record(when: Tai64N, ended: Ended) -> [u8; RECORD] {
    let s6_clock = Tai64N {
        secs: when.secs + LEAP_SECONDS,
        nanos: when.nanos,
    };
    let (code, signal) = match ended {
        Ended::Exited(code) => (code as u8, 0),
        Ended::Signaled(signal) => (128u8.wrapping_add(signal as u8), signal as u8),
    };
    let mut r = [0; RECORD];
    r[..12].copy_from_slice(&s6_clock.to_bytes());
    r[12] = code;
    r[13] = signal;
    r
}

/// Of the file's current contents, the records kept before a new one is appended
/// so that at most `max` remain: the newest `max - 1`. A file that is not whole
/// records is started afresh, as s6 does.
pub fn kept(current: &[u8], max: u16) -> &[u8] {
    if !current.len().is_multiple_of(RECORD) {
        return &[];
    }
    let keep = usize::from(max.saturating_sub(1)) * RECORD;
    &current[current.len().saturating_sub(keep)..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_are_s6s() {
        // 2024-01-01 00:00:00.5 UTC: daemontools' label is 2^62 + 10 + UNIX
        // time, s6's 27 leap seconds more.
        let when = Tai64N {
            secs: (1 << 62) + 10 + 1_704_067_200,
            nanos: 500_000_000,
        };
        let r = record(when, Ended::Exited(3));
        assert_eq!(
            u64::from_be_bytes(r[..8].try_into().unwrap()),
            (1 << 62) + 37 + 1_704_067_200
        );
        assert_eq!(u32::from_be_bytes(r[8..12].try_into().unwrap()), 500_000_000);
        assert_eq!(r[12..], [3, 0]);
        assert_eq!(record(when, Ended::Signaled(9))[12..], [137, 9]);
        assert_eq!(record(when, Ended::Exited(256 + 7))[12], 7);
    }

    #[test]
    fn at_most_max_records_remain() {
        let three = [1u8; 3 * RECORD];
        assert_eq!(kept(&three, 100).len(), 3 * RECORD);
        assert_eq!(kept(&three, 3).len(), 2 * RECORD);
        assert_eq!(kept(&three, 1).len(), 0);
        assert_eq!(kept(&three[..40], 100).len(), 0);
        assert_eq!(kept(&[], 100).len(), 0);
    }
}

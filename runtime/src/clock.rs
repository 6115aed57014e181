//! The current time: the wall clock read as upstream reads it (gettimeofday's
//! microseconds), and a monotonic clock for intervals.

use model::tai64::Tai64N;
use nix::time::{ClockId, clock_gettime};

/// Now, as the TAI64N label upstream would write.
pub fn now() -> Tai64N {
    // CLOCK_REALTIME cannot fail on Linux; if it ever did, the epoch is a label too.
    let (secs, nanos) =
        clock_gettime(ClockId::CLOCK_REALTIME).map_or((0, 0), |ts| (ts.tv_sec(), ts.tv_nsec()));
    Tai64N::from_unix_micros(secs, (nanos / 1000) as u32)
}

/// Nanoseconds on the monotonic clock (which cannot fail on Linux; 0 if it did).
pub fn monotonic() -> u64 {
    clock_gettime(ClockId::CLOCK_MONOTONIC).map_or(0, |t| {
        (t.tv_sec() as u64).saturating_mul(1_000_000_000) + t.tv_nsec() as u64
    })
}

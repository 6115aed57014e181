//! supervise's status record (spec 2.3) and svstat's line (spec 5): one codec for
//! the writer and the reader.
//!
//! 18 bytes: TAI64N of the last pid change (12, big-endian), the pid (4,
//! little-endian, 0 when down), the paused flag (1), and what supervise wants (1:
//! `u`, `d`, or 0 after `o`).

use crate::supervise::info::State;
use crate::tai64::{Tai64N, UNIX_EPOCH};

pub const LEN: usize = 18;

/// What supervise wants of its service.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Want {
    Up,
    Down,
    /// After `o`: run once, no restart.
    Nothing,
}

impl Want {
    fn byte(self) -> u8 {
        match self {
            Want::Up => b'u',
            Want::Down => b'd',
            Want::Nothing => 0,
        }
    }
}

/// A decoded record. `want` and `paused` keep their raw bytes, as svstat reads them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Record {
    pub stamp: Tai64N,
    pub pid: u32,
    pub paused: u8,
    pub want: u8,
}

impl Record {
    /// The record supervise writes; the paused flag is written only with a pid.
    pub fn new(stamp: Tai64N, pid: u32, paused: bool, want: Want) -> Record {
        Record {
            stamp,
            pid,
            paused: u8::from(pid != 0 && paused),
            want: want.byte(),
        }
    }

    pub fn encode(&self) -> [u8; LEN] {
        let mut b = [0u8; LEN];
        b[..12].copy_from_slice(&self.stamp.to_bytes());
        b[12..16].copy_from_slice(&self.pid.to_le_bytes());
        b[16] = self.paused;
        b[17] = self.want;
        b
    }

    /// The first 18 bytes of a status file; `None` if there are fewer ("bad format").
    pub fn decode(bytes: &[u8]) -> Option<Record> {
        let b: &[u8; LEN] = bytes.get(..LEN)?.try_into().ok()?;
        let mut stamp = [0u8; 12];
        stamp.copy_from_slice(&b[..12]);
        Some(Record {
            stamp: Tai64N::from_bytes(stamp),
            pid: u32::from_le_bytes([b[12], b[13], b[14], b[15]]),
            paused: b[16],
            want: b[17],
        })
    }
}

/// What svstat found for one directory, in the order it looks (spec 5). The error
/// texts are upstream's errno strings.
///
/// There is no "unable to read supervise/status: <error>": upstream compares read's
/// -1 with an unsigned size, finds it not short, and shows whatever its status
/// buffer holds (zeros, or the record of the directory before). svstat does the
/// same by passing that buffer as the bytes read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Observed<'a> {
    UnableToChdir(&'a str),
    UnableToStatDown(&'a str),
    NotRunning,
    UnableToOpenOk(&'a str),
    UnableToOpenStatus(&'a str),
    /// The first bytes of the status file, whether `down` exists, the time now
    /// in whole UNIX seconds, and the state `supervise/info` gives, where
    /// supervise keeps one (while an extension file is in use).
    Status {
        bytes: &'a [u8],
        down_file: bool,
        now: i64,
        state: Option<State>,
    },
}

/// svstat's text for one directory, after `dir: `.
pub fn svstat_body(o: Observed) -> String {
    match o {
        Observed::UnableToChdir(e) => format!("unable to chdir: {e}"),
        Observed::UnableToStatDown(e) => format!("unable to stat down: {e}"),
        Observed::NotRunning => "supervise not running".to_string(),
        Observed::UnableToOpenOk(e) => format!("unable to open supervise/ok: {e}"),
        Observed::UnableToOpenStatus(e) => format!("unable to open supervise/status: {e}"),
        Observed::Status {
            bytes,
            down_file,
            now,
            state,
        } => match Record::decode(bytes) {
            None => "unable to read supervise/status: bad format".to_string(),
            Some(r) => render(&r, !down_file, now) + state.map_or("", encore_word),
        },
    }
}

/// daemontools-encore's word for a state, after the line (svstat(8),
/// EXTENSIONS): its `stopping` is its stop script's time, which ours' finish
/// takes; a service down, or waiting to restart, has none.
fn encore_word(state: State) -> &'static str {
    match state {
        State::Starting => ", starting",
        State::Up | State::Ready => ", running",
        State::Stopping | State::Finishing => ", stopping",
        State::Failed => ", failed",
        State::Down | State::Backoff => "",
    }
}

fn render(r: &Record, normally_up: bool, now: i64) -> String {
    // Whole TAI seconds; a stamp in the future counts as now. Upstream passes the
    // difference through a double, which shows for absurd stamps.
    let now_tai = UNIX_EPOCH.wrapping_add(now as u64);
    let elapsed = now_tai.saturating_sub(r.stamp.secs);
    let seconds = elapsed as f64 as u64;
    let up = r.pid != 0;
    let mut s = if up {
        format!("up (pid {}) {seconds} seconds", r.pid)
    } else {
        format!("down {seconds} seconds")
    };
    let notes = [
        (up && !normally_up, ", normally down"),
        (!up && normally_up, ", normally up"),
        (up && r.paused != 0, ", paused"),
        (!up && r.want == b'u', ", want up"),
        (up && r.want == b'd', ", want down"),
    ];
    for (applies, note) in notes {
        if applies {
            s.push_str(note);
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_hexdump_of_a_real_status_file() {
        // Spec 2.3: up, pid 7642, not paused, want up.
        let bytes = [
            0x40, 0, 0, 0, 0x6b, 0x05, 0xf7, 0x05, 0x2d, 0x70, 0x51, 0x0c, 0xda, 0x1d, 0, 0, 0, 0x75,
        ];
        let r = Record::decode(&bytes).unwrap();
        assert_eq!((r.pid, r.paused, r.want), (7642, 0, b'u'));
        assert_eq!(r.encode(), bytes);
    }

    #[test]
    fn the_observed_lines() {
        let at = |pid: u32, paused: bool, want: Want| {
            Record::new(Tai64N::from_unix_micros(1000, 0), pid, paused, want).encode()
        };
        let line = |bytes: &[u8], down_file: bool, now: i64| {
            svstat_body(Observed::Status {
                bytes,
                down_file,
                now,
                state: None,
            })
        };
        insta::assert_snapshot!([
            line(&at(7642, false, Want::Up), false, 1002),
            line(&at(7642, true, Want::Up), false, 1006),
            line(&at(0, false, Want::Up), false, 1000),
            line(&at(0, false, Want::Down), true, 1001),
            line(&at(7811, false, Want::Up), true, 1001),
            line(&at(7811, false, Want::Down), true, 1002),
            line(&at(7811, true, Want::Down), true, 1002),
            line(&at(0, false, Want::Up), false, 4600),
            line(&at(0, false, Want::Nothing), false, 1000),
            line(&at(0, false, Want::Up), false, 999),
            line(&[0; 18], true, 1_764_000_000),
            line(&[0; 17], true, 0),
            svstat_body(Observed::NotRunning),
            svstat_body(Observed::UnableToChdir("file does not exist")),
            svstat_body(Observed::UnableToStatDown("symbolic link loop")),
            svstat_body(Observed::UnableToOpenOk("file does not exist")),
            svstat_body(Observed::UnableToOpenStatus("file does not exist")),
        ]
        .join("\n"), @r"
            up (pid 7642) 2 seconds
            up (pid 7642) 6 seconds, paused
            down 0 seconds, normally up, want up
            down 1 seconds
            up (pid 7811) 1 seconds, normally down
            up (pid 7811) 2 seconds, normally down, want down
            up (pid 7811) 2 seconds, normally down, paused, want down
            down 3600 seconds, normally up, want up
            down 0 seconds, normally up
            down 0 seconds, normally up, want up
            down 4611686020191387648 seconds
            unable to read supervise/status: bad format
            supervise not running
            unable to chdir: file does not exist
            unable to stat down: symbolic link loop
            unable to open supervise/ok: file does not exist
            unable to open supervise/status: file does not exist
            ");
    }

    #[test]
    fn encores_words_follow_the_line_where_supervise_keeps_info() {
        let up = Record::new(Tai64N::from_unix_micros(1000, 0), 7642, false, Want::Up).encode();
        let down = Record::new(Tai64N::from_unix_micros(1000, 0), 0, false, Want::Up).encode();
        let line = |bytes: &[u8], state| {
            svstat_body(Observed::Status {
                bytes,
                down_file: false,
                now: 1002,
                state: Some(state),
            })
        };
        insta::assert_snapshot!([
            line(&up, State::Starting),
            line(&up, State::Up),
            line(&up, State::Ready),
            line(&up, State::Stopping),
            line(&down, State::Finishing),
            line(&down, State::Failed),
            line(&down, State::Down),
            line(&down, State::Backoff),
        ]
        .join("\n"), @r"
        up (pid 7642) 2 seconds, starting
        up (pid 7642) 2 seconds, running
        up (pid 7642) 2 seconds, running
        up (pid 7642) 2 seconds, stopping
        down 2 seconds, normally up, want up, stopping
        down 2 seconds, normally up, want up, failed
        down 2 seconds, normally up, want up
        down 2 seconds, normally up, want up
        ");
    }

    #[test]
    fn paused_is_written_only_with_a_pid() {
        assert_eq!(
            Record::new(Tai64N::from_unix_micros(0, 0), 0, true, Want::Up).paused,
            0
        );
        assert_eq!(
            Record::new(Tai64N::from_unix_micros(0, 0), 5, true, Want::Up).paused,
            1
        );
    }

    proptest! {
        #[test]
        fn records_round_trip_and_extra_bytes_are_ignored(bytes in proptest::collection::vec(any::<u8>(), 18..40)) {
            let r = Record::decode(&bytes).unwrap();
            prop_assert_eq!(&r.encode()[..], &bytes[..18]);
        }

        #[test]
        fn any_bytes_give_a_line(bytes in proptest::collection::vec(any::<u8>(), 0..30), down_file: bool, now: i64) {
            let body = svstat_body(Observed::Status { bytes: &bytes, down_file, now, state: None });
            prop_assert!(!body.is_empty() && !body.contains('\n'));
        }
    }
}

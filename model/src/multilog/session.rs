//! multilog's main loop (spec 11.2) without I/O: how much input to read next, what
//! SIGALRM and SIGTERM do, and when it is over.
//!
//! What multilog has taken out of its input must be in `current` before it waits
//! for anything (more input, a rotation's fsync, a processor): a `kill -9` then
//! loses no more than upstream's, which holds at most its 1024-byte input buffer.
//! So each read is no larger than what can be written before a rotation could be
//! due ([`to_read`]): near a rotation, multilog reads a byte at a time until the
//! line that fills `current` ends, and holds nothing when the rotation waits.
//! Everything a read brought is written before the next read: the line machine
//! makes it one write per directory where no rotation comes between (lines a
//! pattern leaves out cut it into pieces, gathered into few system calls).
//!
//! SIGTERM ends multilog between lines: after it, the rest of the line being read
//! is read a byte at a time, so that the next line stays unread for whoever reads
//! the input next.
//!
//! With `R` (an extension), a current is rotated when its first line is old enough:
//! the session says when ([`Session::deadline`]); multilog waits for input no longer
//! than that and then tells the time ([`Event::Tick`]), before it reads more, so
//! that the rotation holds no input.

use super::lines::{Effects, Lines};
use super::script::Script;
use crate::tai64::Tai64N;
use crate::tz::Zone;

/// The most input read at a time: few system calls, memory near upstream's. A musl
/// build (the static one), which maps no shared C library and so has memory to
/// spare, reads more at a time: fewer and longer writes, which cost a disk-backed
/// file system less per byte.
pub const READ_MAX: usize = if cfg!(target_env = "musl") {
    128 * 1024
} else {
    32 * 1024
};

/// What happened.
#[derive(Clone, Copy, Debug)]
pub enum Event<'a> {
    /// A read returned these bytes, which arrived at this time.
    Read(&'a [u8], Tai64N),
    /// The input is over: a read found its end, or failed (upstream takes a read
    /// error for the end of input).
    End,
    /// SIGALRM: rotate every directory.
    Alarm,
    /// SIGTERM: stop once the line being read has ended.
    Term,
    /// The time now: at start, and whenever [`Session::deadline`] has passed.
    Tick(Tai64N),
}

/// What multilog does next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Next {
    /// Read at most this many bytes of input.
    Read(usize),
    /// Everything taken in is written: close the directories and exit 0.
    Close,
}

/// multilog from its first read to its last.
#[derive(Clone, Debug)]
pub struct Session {
    lines: Lines,
    stopping: bool,
    ended: bool,
}

impl Session {
    /// `bytes[i]` is what directory `i`'s current holds at start.
    pub fn new(script: &Script, bytes: &[u64]) -> Session {
        Session {
            lines: Lines::new(script, bytes),
            stopping: false,
            ended: false,
        }
    }

    /// Takes `event`; `effects` gets what is to be done about it.
    pub fn handle(&mut self, event: Event, effects: &mut Effects) {
        match event {
            Event::Read(bytes, at) => self.lines.feed(bytes, at, effects),
            Event::End => {
                self.lines.finish(effects);
                self.ended = true;
            }
            Event::Alarm => self.lines.rotate_all(effects),
            Event::Term => {
                self.lines.nothing(effects);
                self.stopping = true;
            }
            Event::Tick(now) => self.lines.tick(now, effects),
        }
    }

    /// Local time's zone, for the timestamps that show it (UTC until told).
    pub fn set_zone(&mut self, zone: Zone) {
        self.lines.set_zone(zone);
    }

    /// When a [`Event::Tick`] is next due (only with `R`).
    pub fn deadline(&self) -> Option<Tai64N> {
        self.lines.deadline()
    }

    pub fn next(&self) -> Next {
        if self.ended || (self.stopping && self.lines.between_lines()) {
            Next::Close
        } else if self.stopping {
            Next::Read(1)
        } else {
            Next::Read(to_read(self.lines.input_before_rotation()))
        }
    }
}

/// A status file (`=file`) could not be written whole, at this step: multilog
/// warns, pauses for `logdir::PAUSE`, and writes the record again from the file's
/// beginning, for as long as that takes (as upstream's does).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatusFailure {
    /// Moving to the beginning of the file failed.
    Seek,
    /// The write failed, or wrote less than the record.
    Write,
}

impl StatusFailure {
    /// The warning's text, which the error's follows.
    pub fn warning(self, name: &[u8]) -> Vec<u8> {
        let what: &[u8] = match self {
            StatusFailure::Seek => b"unable to move to beginning of ",
            StatusFailure::Write => b"unable to write ",
        };
        [what, name, b", pausing"].concat()
    }
}

/// How many bytes to read, when `before_rotation` bytes of input could be taken
/// without a rotation (`Lines::input_before_rotation`).
fn to_read(before_rotation: u64) -> usize {
    usize::try_from(before_rotation)
        .unwrap_or(usize::MAX)
        .clamp(1, READ_MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::multilog::lines::Effect;
    use crate::multilog::script::parse;
    use proptest::prelude::*;

    #[test]
    fn a_status_files_failures_are_upstreams_warnings() {
        assert_eq!(
            StatusFailure::Seek.warning(b"st"),
            b"unable to move to beginning of st, pausing"
        );
        assert_eq!(
            StatusFailure::Write.warning(b"st"),
            b"unable to write st, pausing"
        );
    }

    #[test]
    fn examples() {
        assert_eq!(to_read(0), 1);
        assert_eq!(to_read(5000), 5000);
        assert_eq!(to_read(u64::MAX), READ_MAX);
    }

    fn at(k: i64) -> Tai64N {
        Tai64N::from_unix_micros(1_700_000_000 + k, 0)
    }

    /// Runs `input` through a session, reading what it asks for, with SIGTERM
    /// after `term_after` bytes (if any): what reached the directory, and how much
    /// input was taken.
    fn run(args: &[&str], input: &[u8], term_after: Option<usize>) -> (Vec<u8>, usize) {
        let mut session = Session::new(&parse(args).expect("a script"), &[0]);
        let mut effects = Effects::new();
        let (mut written, mut taken, mut termed) = (Vec::new(), 0, false);
        let apply = |effects: &Effects, read: &[u8], written: &mut Vec<u8>| {
            for effect in effects.list() {
                if let Effect::Write { span, .. } = effect {
                    written.extend_from_slice(effects.bytes(span, read));
                }
            }
        };
        loop {
            if !termed && term_after.is_some_and(|t| taken >= t) {
                termed = true;
                session.handle(Event::Term, &mut effects);
                assert!(effects.list().is_empty());
            }
            match session.next() {
                Next::Close => return (written, taken),
                Next::Read(n) if taken == input.len() => {
                    assert!(n >= 1);
                    session.handle(Event::End, &mut effects);
                    apply(&effects, &[], &mut written);
                }
                Next::Read(n) => {
                    let mut n = n.min(input.len() - taken);
                    if let Some(t) = term_after.filter(|&t| t > taken && !termed) {
                        n = n.min(t - taken);
                    }
                    let read = &input[taken..taken + n];
                    session.handle(Event::Read(read, at(0)), &mut effects);
                    apply(&effects, read, &mut written);
                    taken += n;
                }
            }
        }
    }

    #[test]
    fn sigterm_between_lines_stops_at_once() {
        assert_eq!(run(&["./d"], b"one\ntwo\n", Some(4)), (b"one\n".to_vec(), 4));
    }

    #[test]
    fn sigterm_within_a_line_reads_the_rest_of_it_a_byte_at_a_time() {
        assert_eq!(
            run(&["./d"], b"one\ntwo\nthree\n", Some(5)),
            (b"one\ntwo\n".to_vec(), 8)
        );
    }

    #[test]
    fn the_end_completes_a_last_line() {
        assert_eq!(run(&["./d"], b"one\ntw", None), (b"one\ntw\n".to_vec(), 6));
    }

    #[test]
    fn sigalrm_rotates_between_reads() {
        // A size larger than any read, so that a read's size is READ_MAX's.
        let mut session = Session::new(&parse(&["s16777215", "./d"]).expect("a script"), &[10]);
        let mut effects = Effects::new();
        session.handle(Event::Alarm, &mut effects);
        assert_eq!(effects.list(), [Effect::Rotate(0)]);
        assert_eq!(session.next(), Next::Read(READ_MAX));
    }

    proptest! {
        #[test]
        fn reads_are_bounded_and_past_a_rotation_by_a_byte_at_most(before in any::<u64>()) {
            let n = to_read(before);
            prop_assert!((1..=READ_MAX).contains(&n));
            prop_assert!(n as u64 <= before || n == 1);
        }

        /// Whenever SIGTERM comes, multilog takes exactly the lines begun before
        /// it, writes them whole, and leaves the rest of the input unread.
        #[test]
        fn sigterm_leaves_the_next_line_unread(
            lines in proptest::collection::vec(proptest::collection::vec(b'a'..=b'c', 0..3000), 1..20),
            term in 0usize..40_000,
            timestamp: bool,
        ) {
            let input = lines.iter().flat_map(|l| l.iter().copied().chain([b'\n'])).collect::<Vec<u8>>();
            let args: &[&str] = if timestamp { &["t", "s4096", "./d"] } else { &["s4096", "./d"] };
            let (written, taken) = run(args, &input, Some(term));
            let term = term.min(input.len());
            let end = if term == 0 || input[term - 1] == b'\n' {
                term
            } else {
                term + memchr::memchr(b'\n', &input[term..]).map_or(input.len() - term, |i| i + 1)
            };
            prop_assert_eq!(taken, end);
            let lines_taken = input[..end].iter().filter(|&&c| c == b'\n').count();
            prop_assert_eq!(written.iter().filter(|&&c| c == b'\n').count(), lines_taken);
        }
    }
}

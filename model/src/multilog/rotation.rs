//! What multilog does to a log directory's files, step by step (spec 11.5–11.7):
//! rotating `current`, running the processor, naming and retiring old files, and
//! recovering at start-up from whatever a crash left.
//!
//! The steps are data. The runtime carries them out on the real directory, retrying
//! a failed step after a warning and a pause; the tests carry them out on a
//! simulated directory, crashing between any two, and check that recovery loses
//! nothing.

/// One step on a log directory (the process is in it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// fsync `current` and close it.
    SyncCurrent,
    /// rename(from, to).
    Rename(&'static str, &'static str),
    /// Open a new `current` (append, create) and make it mode 0644; it holds 0 bytes.
    NewCurrent,
    /// chmod(file, mode).
    Chmod(&'static str, u32),
    /// Run the processor on `previous` until it exits 0, giving it `processed`,
    /// `state` and `newstate`.
    Process,
    /// Open `file` for appending (create), fsync it, set `mode` if given, close.
    SyncFile(&'static str, Option<u32>),
    /// unlink(file), retried until it succeeds.
    Unlink(&'static str),
    /// unlink(file), whatever happens (recovery's clean-up).
    Discard(&'static str),
    /// Give `file` a name of its own, `@<label>.<code>`, and keep at most num−1 such files.
    Finish(&'static str, u8),
    /// Create an empty `state` (recovery).
    EmptyState,
}

use Step::*;

/// Rotating a full current without a processor.
pub const ROTATE: &[Step] = &[
    SyncCurrent,
    Rename("current", "previous"),
    NewCurrent,
    Chmod("previous", 0o744),
    Finish("previous", b's'),
];

/// Rotating a full current through a processor: `processed` (marked finished with
/// its owner-execute bit) and `newstate` are on disk before `previous` goes.
pub const ROTATE_PROCESSED: &[Step] = &[
    SyncCurrent,
    Rename("current", "previous"),
    NewCurrent,
    Chmod("previous", 0o744),
    Process,
    SyncFile("processed", Some(0o744)),
    SyncFile("newstate", None),
    Unlink("previous"),
    Rename("newstate", "state"),
    Finish("processed", b's'),
];

/// The steps of a rotation.
pub fn rotation(processor: bool) -> &'static [Step] {
    if processor { ROTATE_PROCESSED } else { ROTATE }
}

/// How a file stood at start-up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Found {
    Missing,
    /// Present; whether its owner-execute bit (the "finished" mark) is set.
    Present {
        finished: bool,
    },
}

/// What start-up does with a directory (spec 11.6).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Recovery {
    /// `current` was closed cleanly (mode 0744): append to it, after making it 0644.
    Resume,
    /// A crash: tidy up with these steps, then start a new, empty current.
    Repair(&'static [Step]),
}

/// Recovery when `processed` had been finished: the processor's output is kept.
const REPAIR_PROCESSED: &[Step] = &[
    Discard("state"),
    Discard("newstate"),
    Discard("previous"),
    Finish("processed", b's'),
    Finish("current", b'u'),
    EmptyState,
    NewCurrent,
];

/// Recovery otherwise: `previous` is kept, unprocessed.
const REPAIR: &[Step] = &[
    Discard("state"),
    Discard("newstate"),
    Discard("processed"),
    Finish("previous", b'u'),
    Finish("current", b'u'),
    EmptyState,
    NewCurrent,
];

pub fn recovery(current: Found, processed: Found) -> Recovery {
    match (current, processed) {
        (Found::Present { finished: true }, _) => Recovery::Resume,
        (_, Found::Present { finished: true }) => Recovery::Repair(REPAIR_PROCESSED),
        _ => Recovery::Repair(REPAIR),
    }
}

/// The name `finish` gives a file: `@`, its TAI64N label (24 hex digits), `.`, code.
pub fn finished_name(label: &[u8; 25], code: u8) -> [u8; 27] {
    let mut name = [0u8; 27];
    name[..25].copy_from_slice(label);
    name[25] = b'.';
    name[26] = code;
    name
}

/// An old file, as `finish` counts them: a name starting with `@`, at least 25 bytes.
fn is_old(name: &[u8]) -> bool {
    name.first() == Some(&b'@') && name.len() >= 25
}

/// Which entry of the directory `finish` removes next to keep fewer than `num` old
/// files, or `None` if they already fit (spec 11.7). As upstream: the oldest is the
/// smallest 25-byte prefix below `@z`, and the first entry in listing order that
/// starts with it goes.
pub fn to_remove<'a>(names: &[&'a [u8]], num: u64) -> Option<&'a [u8]> {
    let count = names.iter().filter(|n| is_old(n)).count() as u64;
    if count < num {
        return None;
    }
    let mut oldest: &[u8] = b"@z";
    for name in names.iter().filter(|n| is_old(n)) {
        if *name < oldest {
            oldest = &name[..25];
        }
    }
    names.iter().copied().find(|n| is_old(n) && n.starts_with(oldest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovery_decisions() {
        use Found::*;
        assert_eq!(
            recovery(Present { finished: true }, Present { finished: true }),
            Recovery::Resume
        );
        assert_eq!(
            recovery(Present { finished: false }, Present { finished: true }),
            Recovery::Repair(REPAIR_PROCESSED)
        );
        assert_eq!(recovery(Missing, Missing), Recovery::Repair(REPAIR));
        assert_eq!(
            recovery(Present { finished: false }, Present { finished: false }),
            Recovery::Repair(REPAIR)
        );
    }

    #[test]
    fn keeps_num_minus_one_old_files() {
        let names: Vec<&[u8]> = vec![
            b"current",
            b"@400000005000000000000002.s",
            b"lock",
            b"@400000005000000000000001.u",
            b"@400000005000000000000003.s",
        ];
        assert_eq!(to_remove(&names, 4), None);
        assert_eq!(to_remove(&names, 3), Some(&b"@400000005000000000000001.u"[..]));
        // Names of 25 bytes or more starting with @ count, whoever made them.
        let foreign: Vec<&[u8]> = vec![
            b"@short",
            b"@zzzzzzzzzzzzzzzzzzzzzzzzz",
            b"@400000005000000000000009.s",
        ];
        assert_eq!(to_remove(&foreign, 2), Some(&b"@400000005000000000000009.s"[..]));
        // Only names below @z are candidates; with none, the first starting with @z goes.
        let late: Vec<&[u8]> = vec![b"@zzzzzzzzzzzzzzzzzzzzzzzzzz", b"@zzzzzzzzzzzzzzzzzzzzzzzzza"];
        assert_eq!(to_remove(&late, 2), Some(&b"@zzzzzzzzzzzzzzzzzzzzzzzzzz"[..]));
    }

    #[test]
    fn finished_names() {
        let label = *b"@400000005000000000000002";
        assert_eq!(&finished_name(&label, b's'), b"@400000005000000000000002.s");
    }
}

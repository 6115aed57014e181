//! How multilog names and retires a log directory's old files (spec 11.7): the name
//! `finish` gives a file, and which old file goes when there are too many. The
//! protocol that uses them is `logdir`.

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
    oldest(names.iter().copied())
}

/// The oldest old file among `names`, as `finish` finds it.
fn oldest<'a>(names: impl Iterator<Item = &'a [u8]> + Clone) -> Option<&'a [u8]> {
    let mut oldest: &[u8] = b"@z";
    for name in names.clone().filter(|n| is_old(n)) {
        if name < oldest {
            oldest = &name[..25];
        }
    }
    names.into_iter().find(|n| is_old(n) && n.starts_with(oldest))
}

/// With `S` (an extension, as s6-log's): which old file goes next while the old
/// files (of `files`, names and sizes) hold more than `cap` bytes in total: the
/// oldest, as for `n`. `None` once they fit.
pub fn to_trim<'a>(files: &[(&'a [u8], u64)], cap: u64) -> Option<&'a [u8]> {
    let total: u64 = files
        .iter()
        .filter(|(n, _)| is_old(n))
        .fold(0u64, |sum, (_, size)| sum.saturating_add(*size));
    if total <= cap {
        return None;
    }
    oldest(files.iter().map(|(n, _)| *n))
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn the_oldest_go_while_the_total_is_over_the_cap() {
        let files: Vec<(&[u8], u64)> = vec![
            (b"@400000005000000000000002.s", 300),
            (b"current", 10_000),
            (b"@400000005000000000000001.u", 200),
            (b"@400000005000000000000003.s", 100),
        ];
        assert_eq!(to_trim(&files, 600), None);
        assert_eq!(to_trim(&files, 599), Some(&b"@400000005000000000000001.u"[..]));
        assert_eq!(to_trim(&files, 0), Some(&b"@400000005000000000000001.u"[..]));
        assert_eq!(to_trim(&[], 0), None);
    }
}

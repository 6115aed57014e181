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

//! What envdir makes of a directory entry (spec 16).

/// How reading an entry went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Read<'a> {
    Contents(&'a [u8]),
    /// Gone between the listing and the open (or a dangling symlink). Upstream then
    /// reuses the previous entry's bytes; this envdir unsets the variable (a
    /// deliberate divergence, DESIGN.md).
    Vanished,
}

/// Entries whose names start with a dot are ignored.
pub fn is_ignored(name: &[u8]) -> bool {
    name.first() == Some(&b'.')
}

/// The value a file's contents give: `None` (unset) for an empty file; otherwise
/// the first line, without trailing spaces and tabs, with each NUL turned into a
/// newline. A file of just a newline gives the empty value.
pub fn value(contents: &[u8]) -> Option<Vec<u8>> {
    if contents.is_empty() {
        return None;
    }
    let line = contents.split(|&c| c == b'\n').next().unwrap_or_default();
    let kept = line
        .iter()
        .rposition(|&c| c != b' ' && c != b'\t')
        .map_or(0, |i| i + 1);
    Some(
        line[..kept]
            .iter()
            .map(|&c| if c == 0 { b'\n' } else { c })
            .collect(),
    )
}

/// The environment edit for entry `name`.
pub fn edit(name: &[u8], read: Read) -> Vec<u8> {
    let value = match read {
        Read::Contents(c) => value(c),
        Read::Vanished => None,
    };
    crate::env::edit(name, value.as_deref())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(contents: &[u8]) -> Option<String> {
        value(contents).map(|v| String::from_utf8(v).unwrap())
    }

    #[test]
    fn the_file_rules() {
        assert_eq!(v(b""), None);
        assert_eq!(v(b"\n"), Some("".into()));
        assert_eq!(v(b"bar"), Some("bar".into()));
        assert_eq!(v(b"bar\nsecond line\n"), Some("bar".into()));
        assert_eq!(v(b"  lead stays \t \t\nx"), Some("  lead stays".into()));
        assert_eq!(v(b"cr stays\r\n"), Some("cr stays\r".into()));
        assert_eq!(v(b"a\0b\0"), Some("a\nb\n".into()));
        assert_eq!(v(b" \t \n"), Some("".into()));
        assert_eq!(v(b"x \0 "), Some("x \n".into()));
    }

    #[test]
    fn edits() {
        assert_eq!(edit(b"FOO", Read::Contents(b"bar\n")), b"FOO=bar");
        assert_eq!(edit(b"FOO", Read::Contents(b"")), b"FOO");
        assert_eq!(edit(b"FOO", Read::Vanished), b"FOO");
    }

    #[test]
    fn dot_files_are_ignored() {
        assert!(is_ignored(b".hidden") && is_ignored(b".") && !is_ignored(b"A.B"));
    }
}

//! A multilog script (spec 11.1): each argument is one action, known by its first
//! character. `t` counts only as the first argument; `s`, `n` and `!` set the size,
//! number of files and processor of the directories that come after them.

/// The default size of `current` before rotation, and its bounds.
pub const DEFAULT_SIZE: u64 = 99_999;
pub const MIN_SIZE: u64 = 4096;
pub const MAX_SIZE: u64 = 16_777_215;
/// The default number of files kept (current and num−1 old ones), and its minimum.
pub const DEFAULT_NUM: u64 = 10;
pub const MIN_NUM: u64 = 2;

/// A per-line action, in script order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// `+pattern`: select the line if it matches.
    Select(Vec<u8>),
    /// `-pattern`: deselect the line if it matches.
    Deselect(Vec<u8>),
    /// `e`: print the selected line to stderr.
    Echo,
    /// `=file`: the selected line becomes the status file's contents; the index into
    /// [`Script::status_files`].
    Status(usize),
    /// `./dir` or `/dir`: the directory gets the line if it is selected here; the
    /// index into [`Script::dirs`].
    Dir(usize),
}

/// A log directory and the settings in force where it appears.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dir {
    pub path: Vec<u8>,
    pub size: u64,
    pub num: u64,
    /// The processor's shell command; `None` without one (`!` alone gives `Some("")`,
    /// which discards what it is given).
    pub processor: Option<Vec<u8>>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Script {
    /// `t` as the first argument: every line starts with its TAI64N label.
    pub timestamp: bool,
    pub actions: Vec<Action>,
    pub dirs: Vec<Dir>,
    pub status_files: Vec<Vec<u8>>,
}

/// The digits at the start of `s` as C's unsigned long (wrapping), 0 without digits.
fn scan_ulong(s: &[u8]) -> u64 {
    s.iter()
        .take_while(|c| c.is_ascii_digit())
        .fold(0u64, |n, &c| n.wrapping_mul(10).wrapping_add(u64::from(c - b'0')))
}

/// Reads the script. Nothing in it is an error: unknown actions are ignored.
pub fn parse<S: AsRef<[u8]>>(args: &[S]) -> Script {
    let mut script = Script {
        timestamp: args.first().is_some_and(|a| a.as_ref().first() == Some(&b't')),
        ..Script::default()
    };
    let (mut size, mut num, mut processor) = (DEFAULT_SIZE, DEFAULT_NUM, None);
    for arg in args {
        let arg = arg.as_ref();
        let rest = arg.get(1..).unwrap_or_default();
        match arg.first() {
            Some(b'+') => script.actions.push(Action::Select(rest.to_vec())),
            Some(b'-') => script.actions.push(Action::Deselect(rest.to_vec())),
            Some(b'e') => script.actions.push(Action::Echo),
            Some(b'=') => {
                script.actions.push(Action::Status(script.status_files.len()));
                script.status_files.push(rest.to_vec());
            }
            Some(b's') => size = scan_ulong(rest).clamp(MIN_SIZE, MAX_SIZE),
            Some(b'n') => num = scan_ulong(rest).max(MIN_NUM),
            Some(b'!') => processor = Some(rest.to_vec()),
            Some(b'.' | b'/') => {
                script.actions.push(Action::Dir(script.dirs.len()));
                script.dirs.push(Dir {
                    path: arg.to_vec(),
                    size,
                    num,
                    processor: processor.clone(),
                });
            }
            _ => {}
        }
    }
    script
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(args: &[&str]) -> Script {
        parse(args)
    }

    #[test]
    fn settings_bind_to_the_directories_after_them() {
        let s = p(&["t", "s5000", "./a", "n3", "!gzip", "./b", "s1", "n1", "/c"]);
        assert!(s.timestamp);
        let dirs: Vec<(u64, u64, Option<&[u8]>)> = s
            .dirs
            .iter()
            .map(|d| (d.size, d.num, d.processor.as_deref()))
            .collect();
        assert_eq!(
            dirs,
            [
                (5000, 10, None),
                (5000, 3, Some(&b"gzip"[..])),
                (4096, 2, Some(&b"gzip"[..]))
            ]
        );
    }

    #[test]
    fn first_character_rules() {
        let s = p(&[
            "./x", "tlater", "echo", "sfoo", "=", "=st", "nope", "Tx", "Fx", "w", "", "-*a*", "+b*",
        ]);
        assert!(!s.timestamp, "t counts only first");
        assert_eq!(
            s.actions,
            [
                Action::Dir(0),
                Action::Echo,
                Action::Status(0),
                Action::Status(1),
                Action::Deselect(b"*a*".to_vec()),
                Action::Select(b"b*".to_vec())
            ]
        );
        assert_eq!(s.status_files, [b"".to_vec(), b"st".to_vec()]);
        assert!(p(&["tfoo"]).timestamp);
    }

    #[test]
    fn sizes_and_numbers_are_clamped() {
        assert_eq!(p(&["s", "./d"]).dirs[0].size, MIN_SIZE);
        assert_eq!(p(&["s99999999", "./d"]).dirs[0].size, MAX_SIZE);
        assert_eq!(p(&["s10000x", "./d"]).dirs[0].size, 10000);
        assert_eq!(p(&["n0", "./d"]).dirs[0].num, MIN_NUM);
        assert_eq!(p(&["n1000000", "./d"]).dirs[0].num, 1_000_000);
        assert_eq!(
            p(&["./d"]).dirs[0],
            Dir {
                path: b"./d".to_vec(),
                size: 99_999,
                num: 10,
                processor: None
            }
        );
        assert_eq!(p(&["!", "./d"]).dirs[0].processor.as_deref(), Some(&b""[..]));
        // 2^64 + 5000 wraps to 5000, as C's unsigned long does.
        assert_eq!(p(&["s18446744073709556616", "./d"]).dirs[0].size, 5000);
    }
}

//! A multilog script (spec 11.1): each argument is one action, known by its first
//! character. A timestamp action counts only as the first argument; `s`, `n`, `!`
//! (and the extensions `S` and `R`) set the directories that come after them.
//!
//! Extensions (multilog(8), EXTENSIONS): the timestamps `T`, `d`, `m`, `i`; sizes
//! with a `k`, `M` or `G` suffix; `S`, a cap on the archived files' total size; `R`,
//! rotation by age. 0.76 ignored these letters, and read a size's digits only.

/// The default size of `current` before rotation, and its bounds.
pub const DEFAULT_SIZE: u64 = 99_999;
pub const MIN_SIZE: u64 = 4096;
pub const MAX_SIZE: u64 = 16_777_215;
/// The largest size a suffixed `s` accepts (an extension: encore's cap).
pub const MAX_SUFFIXED_SIZE: u64 = 2_147_483_647;
/// The default number of files kept (current and num−1 old ones), and its minimum.
pub const DEFAULT_NUM: u64 = 10;
pub const MIN_NUM: u64 = 2;

/// What starts each line, chosen by the first argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Stamp {
    /// `t`: the TAI64N label.
    Tai64n,
    /// `T`: UNIX time, `SECONDS.uuuuuu` (encore).
    Unix,
    /// `d`: local time as tai64nlocal prints it, `YYYY-MM-DD HH:MM:SS.nnnnnnnnn`.
    Local,
    /// `m`: the same to the millisecond.
    LocalMillis,
    /// `i`: RFC 3339 local time with its offset, `YYYY-MM-DDTHH:MM:SS.nnnnnnnnn+hh:mm`.
    Rfc3339,
}

impl Stamp {
    fn of(first: u8) -> Option<Stamp> {
        match first {
            b't' => Some(Stamp::Tai64n),
            b'T' => Some(Stamp::Unix),
            b'd' => Some(Stamp::Local),
            b'm' => Some(Stamp::LocalMillis),
            b'i' => Some(Stamp::Rfc3339),
            _ => None,
        }
    }

    /// Whether the stamp shows local time (the zone is needed).
    pub fn is_local(self) -> bool {
        matches!(self, Stamp::Local | Stamp::LocalMillis | Stamp::Rfc3339)
    }
}

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
    /// `S`: the most the archived files may hold in total, in bytes.
    pub total: Option<u64>,
    /// `R`: a non-empty `current` whose first line is this many seconds old is rotated.
    pub age: Option<u64>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Script {
    /// A timestamp action as the first argument: every line starts with its stamp.
    pub stamp: Option<Stamp>,
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

/// An action that cannot be carried out (only an extension's can be: 0.76 took
/// every argument). multilog prints `multilog: fatal: <reason>: <action>` and exits 100.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScriptError {
    pub reason: &'static str,
    pub action: Vec<u8>,
}

impl ScriptError {
    /// The text after `multilog: fatal: `.
    pub fn text(&self) -> Vec<u8> {
        [self.reason.as_bytes(), b": ", &self.action].concat()
    }
}

const SIZE_RANGE: &str = "size out of range (4096 to 2147483647 bytes)";
const NOT_A_SIZE: &str = "not a size";
const NOT_SECONDS: &str = "not a number of seconds above 0";

/// A byte count's multiplier for a suffix letter.
fn multiplier(suffix: u8) -> Option<u64> {
    match suffix {
        b'k' | b'K' => Some(1 << 10),
        b'm' | b'M' => Some(1 << 20),
        b'g' | b'G' => Some(1 << 30),
        _ => None,
    }
}

/// Decimal digits, then an optional size suffix, then nothing: the number, or `None`
/// for anything else (and for a value beyond u64).
fn strict_number(s: &[u8], suffixes: bool) -> Option<u64> {
    let digits = s.iter().take_while(|c| c.is_ascii_digit()).count();
    if digits == 0 {
        return None;
    }
    let n = s[..digits]
        .iter()
        .try_fold(0u64, |n, &c| n.checked_mul(10)?.checked_add(u64::from(c - b'0')))?;
    match &s[digits..] {
        [] => Some(n),
        [suffix] if suffixes => n.checked_mul(multiplier(*suffix)?),
        _ => None,
    }
}

/// `s`'s argument: with a suffix right after its digits, the extension's sizes;
/// otherwise 0.76's reading, clamped.
fn size(rest: &[u8]) -> Result<u64, &'static str> {
    let digits = rest.iter().take_while(|c| c.is_ascii_digit()).count();
    let suffixed = digits > 0 && rest.get(digits).copied().and_then(multiplier).is_some();
    if !suffixed {
        return Ok(scan_ulong(rest).clamp(MIN_SIZE, MAX_SIZE));
    }
    match strict_number(rest, true) {
        Some(n) if (MIN_SIZE..=MAX_SUFFIXED_SIZE).contains(&n) => Ok(n),
        _ => Err(SIZE_RANGE),
    }
}

/// Reads the script. 0.76's actions cannot fail (unknown ones are ignored); an
/// extension's argument can.
pub fn parse<S: AsRef<[u8]>>(args: &[S]) -> Result<Script, ScriptError> {
    let mut script = Script {
        stamp: args
            .first()
            .and_then(|a| a.as_ref().first().copied())
            .and_then(Stamp::of),
        ..Script::default()
    };
    let (mut size_now, mut num, mut processor) = (DEFAULT_SIZE, DEFAULT_NUM, None);
    let (mut total, mut age) = (None, None);
    for arg in args {
        let arg = arg.as_ref();
        let rest = arg.get(1..).unwrap_or_default();
        let fail = |reason| ScriptError {
            reason,
            action: arg.to_vec(),
        };
        match arg.first() {
            Some(b'+') => script.actions.push(Action::Select(rest.to_vec())),
            Some(b'-') => script.actions.push(Action::Deselect(rest.to_vec())),
            Some(b'e') => script.actions.push(Action::Echo),
            Some(b'=') => {
                script.actions.push(Action::Status(script.status_files.len()));
                script.status_files.push(rest.to_vec());
            }
            Some(b's') => size_now = size(rest).map_err(fail)?,
            Some(b'n') => num = scan_ulong(rest).max(MIN_NUM),
            Some(b'!') => processor = Some(rest.to_vec()),
            Some(b'S') => total = Some(strict_number(rest, true).ok_or(fail(NOT_A_SIZE))?).filter(|&n| n > 0),
            Some(b'R') => {
                age = Some(
                    strict_number(rest, false)
                        .filter(|&n| n > 0)
                        .ok_or(fail(NOT_SECONDS))?,
                )
            }
            Some(b'.' | b'/') => {
                script.actions.push(Action::Dir(script.dirs.len()));
                script.dirs.push(Dir {
                    path: arg.to_vec(),
                    size: size_now,
                    num,
                    processor: processor.clone(),
                    total,
                    age,
                });
            }
            _ => {}
        }
    }
    Ok(script)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(args: &[&str]) -> Script {
        parse(args).expect("a script")
    }

    fn error(args: &[&str]) -> String {
        String::from_utf8(parse(args).expect_err("an error").text()).expect("text")
    }

    #[test]
    fn settings_bind_to_the_directories_after_them() {
        let s = p(&["t", "s5000", "./a", "n3", "!gzip", "./b", "s1", "n1", "/c"]);
        assert_eq!(s.stamp, Some(Stamp::Tai64n));
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
        assert_eq!(s.stamp, None, "t counts only first");
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
        assert_eq!(p(&["tfoo"]).stamp, Some(Stamp::Tai64n));
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
                processor: None,
                total: None,
                age: None,
            }
        );
        assert_eq!(p(&["!", "./d"]).dirs[0].processor.as_deref(), Some(&b""[..]));
        // 2^64 + 5000 wraps to 5000, as C's unsigned long does.
        assert_eq!(p(&["s18446744073709556616", "./d"]).dirs[0].size, 5000);
    }

    #[test]
    fn timestamp_actions_count_only_first() {
        for (first, stamp) in [
            ("t", Stamp::Tai64n),
            ("T", Stamp::Unix),
            ("d", Stamp::Local),
            ("mfoo", Stamp::LocalMillis),
            ("i", Stamp::Rfc3339),
        ] {
            let s = p(&[first, "./a"]);
            assert_eq!(s.stamp, Some(stamp), "{first}");
            assert_eq!(s.actions, [Action::Dir(0)], "{first} is no other action");
        }
        assert_eq!(p(&["./a", "d", "T", "i", "m"]).stamp, None);
        assert_eq!(p(&["e", "./a"]).stamp, None);
    }

    #[test]
    fn suffixed_sizes_are_the_extension() {
        let size = |arg: &str| p(&[arg, "./d"]).dirs[0].size;
        assert_eq!(size("s100k"), 102_400);
        assert_eq!(size("s100K"), 102_400);
        assert_eq!(size("s64M"), 64 << 20);
        assert_eq!(size("s1G"), 1 << 30);
        assert_eq!(size("s4k"), 4096);
        assert_eq!(size("s2047M"), 2047 << 20);
        // Without a suffix right after the digits, 0.76's reading.
        for (arg, want) in [
            ("s0", MIN_SIZE),
            ("s-1", MIN_SIZE),
            ("s-1k", MIN_SIZE),
            ("s1X", MIN_SIZE),
            ("sk", MIN_SIZE),
            ("s20000000", MAX_SIZE),
            (
                "s99999999999999999999",
                7_766_279_631_452_241_919u64.clamp(MIN_SIZE, MAX_SIZE),
            ),
        ] {
            assert_eq!(size(arg), want, "{arg}");
        }
        for bad in [
            "s1k",
            "s3k",
            "s2G",
            "s2048M",
            "s1kb",
            "s99999999999999999999k",
            "s1k ",
        ] {
            assert_eq!(
                error(&[bad, "./d"]),
                format!("size out of range (4096 to 2147483647 bytes): {bad}")
            );
        }
    }

    #[test]
    fn total_and_age_bind_to_the_directories_after_them() {
        let s = p(&["./a", "S1M", "R3600", "./b", "S0", "./c", "S5000", "R1", "/d"]);
        let got: Vec<(Option<u64>, Option<u64>)> = s.dirs.iter().map(|d| (d.total, d.age)).collect();
        assert_eq!(
            got,
            [
                (None, None),
                (Some(1 << 20), Some(3600)),
                (None, Some(3600)),
                (Some(5000), Some(1))
            ]
        );
    }

    #[test]
    fn a_bad_total_or_age_is_an_error() {
        for bad in [
            "S",
            "Sx",
            "S12x",
            "S1kk",
            "S-1",
            "S99999999999999999999",
            "S18014398509481984G",
        ] {
            assert_eq!(error(&["./a", bad]), format!("not a size: {bad}"));
        }
        for bad in ["R", "R0", "Rfoo", "R1k", "R-5", "R1.5", "R99999999999999999999"] {
            assert_eq!(
                error(&[bad, "./a"]),
                format!("not a number of seconds above 0: {bad}")
            );
        }
        // The first bad action is the one reported.
        assert_eq!(error(&["R0", "Sx"]), "not a number of seconds above 0: R0");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]

        /// Any arguments: a script or an error, never a panic; an error only for an
        /// extension's argument (`S`, `R`, or `s` with a suffix); and a script
        /// without extension letters reads as 0.76's.
        #[test]
        fn any_arguments_give_a_script_or_an_extensions_error(
            args in proptest::collection::vec(
                proptest::collection::vec(
                    proptest::prop_oneof![
                        3 => proptest::sample::select(b"sSRnTdmit0123456789kKMgGx-./".to_vec()),
                        1 => proptest::prelude::any::<u8>(),
                    ],
                    0..6,
                ),
                0..6,
            ),
        ) {
            let extension = |a: &Vec<u8>| match a.first() {
                Some(b'S' | b'R') => true,
                Some(b's') => {
                    let digits = a[1..].iter().take_while(|c| c.is_ascii_digit()).count();
                    digits > 0 && a.get(1 + digits).is_some_and(|&c| multiplier(c).is_some())
                }
                _ => false,
            };
            match parse(&args) {
                Ok(script) => {
                    for (dir, arg) in script.dirs.iter().zip(args.iter().filter(|a| matches!(a.first(), Some(b'.' | b'/')))) {
                        proptest::prop_assert_eq!(&dir.path, arg);
                        proptest::prop_assert!((MIN_SIZE..=MAX_SUFFIXED_SIZE).contains(&dir.size));
                    }
                    if !args.iter().any(extension) {
                        for dir in &script.dirs {
                            proptest::prop_assert!(dir.size <= MAX_SIZE && dir.total.is_none() && dir.age.is_none());
                        }
                    }
                }
                Err(e) => {
                    proptest::prop_assert!(args.iter().any(|a| *a == e.action && extension(a)), "{e:?}");
                }
            }
        }
    }
}

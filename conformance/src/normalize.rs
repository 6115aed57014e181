//! What differs between two correct runs, replaced by placeholders before comparing:
//! labels and local times of "now", pids, elapsed seconds.
//!
//! A placeholder is used only where the value is plausible (a label within the run's
//! time window, ending in upstream's `…500` nanoseconds); anything else is left as
//! it is, so a wrong value still shows up as a difference.

use model::tai64::Tai64N;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Norm {
    /// `@` + 24 hex digits within the run's time → `@<now>`.
    NowLabels,
    /// `YYYY-MM-DD HH:MM:SS.NNNNNNNNN` in UTC within the run's time → `<now>`.
    /// Scenarios using it set TZ=UTC.
    NowUtcTimes,
    /// The digits after `pid ` → `<pid>`.
    Pids,
    /// The digits before ` seconds` → `<n>`.
    Seconds,
}

/// The wall-clock interval (UNIX seconds) during which the run happened.
#[derive(Clone, Copy, Debug)]
pub struct Window {
    pub start: i64,
    pub end: i64,
}

impl Window {
    fn contains(&self, t: i64) -> bool {
        // A second of slack on each side: labels are taken a little before or after
        // the moments the harness reads the clock.
        self.start - 1 <= t && t <= self.end + 1
    }
}

/// The harness's own directories, which differ between two runs, as placeholders.
pub struct Paths {
    replacements: Vec<(Vec<u8>, &'static [u8])>,
}

impl Paths {
    pub fn new(dirs: &[(&std::path::Path, &'static str)]) -> Paths {
        let mut replacements: Vec<(Vec<u8>, &'static [u8])> = dirs
            .iter()
            .map(|(d, name)| (d.as_os_str().as_encoded_bytes().to_vec(), name.as_bytes()))
            .collect();
        // Longest first, so that a directory inside another is replaced whole.
        replacements.sort_by_key(|(d, _)| std::cmp::Reverse(d.len()));
        Paths { replacements }
    }

    pub fn replace(&self, bytes: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        'scan: while i < bytes.len() {
            for (dir, name) in &self.replacements {
                if bytes[i..].starts_with(dir) {
                    out.extend_from_slice(name);
                    i += dir.len();
                    continue 'scan;
                }
            }
            out.push(bytes[i]);
            i += 1;
        }
        out
    }
}

pub fn apply(norms: &[Norm], window: Window, bytes: &[u8]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    for norm in norms {
        out = match norm {
            Norm::NowLabels => replace_labels(&out, window),
            Norm::NowUtcTimes => replace_utc_times(&out, window),
            Norm::Pids => replace_number_after(&out, b"pid ", b"<pid>"),
            Norm::Seconds => replace_number_before(&out, b" seconds", b"<n>"),
        };
    }
    out
}

fn replace_labels(bytes: &[u8], window: Window) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'@'
            && let Some(label) = bytes.get(i..i + 25).and_then(Tai64N::parse_label)
            && window.contains(label.unix_secs())
            && label.nanos % 1000 == 500
        {
            out.extend_from_slice(b"@<now>");
            i += 25;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

/// Parses `YYYY-MM-DD HH:MM:SS.NNNNNNNNN` at the start of `b` as a UTC time.
fn parse_utc_time(b: &[u8]) -> Option<(i64, u32)> {
    let b = b.get(..29)?;
    let shape = b"dddd-dd-dd dd:dd:dd.ddddddddd";
    if !b
        .iter()
        .zip(shape)
        .all(|(c, s)| if *s == b'd' { c.is_ascii_digit() } else { c == s })
    {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> i64 {
        std::str::from_utf8(&b[r])
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(0)
    };
    let nanos = num(20..29) as u32;
    let (year, mon, day) = (num(0..4) as i32, num(5..7) as i32, num(8..10) as i32);
    let secs_of_day = num(11..13) * 3600 + num(14..16) * 60 + num(17..19);
    Some((days_from_civil(year, mon, day) * 86_400 + secs_of_day, nanos))
}

/// Days from 1970-01-01 to the given date (proleptic Gregorian).
fn days_from_civil(year: i32, mon: i32, day: i32) -> i64 {
    let y = i64::from(if mon <= 2 { year - 1 } else { year });
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(mon);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn replace_utc_times(bytes: &[u8], window: Window) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if let Some((t, nanos)) = parse_utc_time(&bytes[i..])
            && window.contains(t)
            && nanos % 1000 == 500
        {
            out.extend_from_slice(b"<now>");
            i += 29;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

fn replace_number_after(bytes: &[u8], marker: &[u8], placeholder: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i..].starts_with(marker) {
            let digits = bytes[i + marker.len()..]
                .iter()
                .take_while(|c| c.is_ascii_digit())
                .count();
            if digits > 0 {
                out.extend_from_slice(marker);
                out.extend_from_slice(placeholder);
                i += marker.len() + digits;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

fn replace_number_before(bytes: &[u8], marker: &[u8], placeholder: &[u8]) -> Vec<u8> {
    let mut out: Vec<u8> = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i..].starts_with(marker) {
            let digits = out.iter().rev().take_while(|c| c.is_ascii_digit()).count();
            if digits > 0 {
                out.truncate(out.len() - digits);
                out.extend_from_slice(placeholder);
            }
            out.extend_from_slice(marker);
            i += marker.len();
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const WINDOW: Window = Window {
        start: 935_467_445,
        end: 935_467_446,
    };

    fn norm(n: Norm, s: &str) -> String {
        String::from_utf8(apply(&[n], WINDOW, s.as_bytes())).unwrap()
    }

    #[test]
    fn labels_of_the_run_are_replaced_and_others_kept() {
        assert_eq!(
            norm(Norm::NowLabels, "@4000000037c219bf2ef02e94 x\n"),
            "@<now> x\n"
        );
        // Outside the window, or not ending in 500 ns: left alone.
        assert_eq!(
            norm(Norm::NowLabels, "@4000000037c219cf2ef02e94 x"),
            "@4000000037c219cf2ef02e94 x"
        );
        assert_eq!(
            norm(Norm::NowLabels, "@4000000037c219bf2ef02e95 x"),
            "@4000000037c219bf2ef02e95 x"
        );
        assert_eq!(
            norm(Norm::NowLabels, "@4000000037c219bf2ef02e9"),
            "@4000000037c219bf2ef02e9"
        );
    }

    #[test]
    fn utc_times_of_the_run() {
        assert_eq!(
            norm(Norm::NowUtcTimes, "1999-08-24 04:04:05.787492500 x"),
            "<now> x"
        );
        assert_eq!(
            norm(Norm::NowUtcTimes, "1999-08-24 04:05:05.787492500 x"),
            "1999-08-24 04:05:05.787492500 x"
        );
        assert_eq!(
            norm(Norm::NowUtcTimes, "1999-08-24 04:04:05.787492501"),
            "1999-08-24 04:04:05.787492501"
        );
    }

    #[test]
    fn pids_and_seconds() {
        assert_eq!(
            norm(Norm::Pids, "s: up (pid 7642) 2 seconds"),
            "s: up (pid <pid>) 2 seconds"
        );
        assert_eq!(
            norm(Norm::Seconds, "s: up (pid 7642) 12 seconds, normally down"),
            "s: up (pid 7642) <n> seconds, normally down"
        );
        assert_eq!(norm(Norm::Seconds, "x seconds"), "x seconds");
    }

    #[test]
    fn harness_paths_become_placeholders() {
        let p = Paths::new(&[
            (std::path::Path::new("/tmp/x"), "<x>"),
            (std::path::Path::new("/tmp/x/w"), "<w>"),
        ]);
        assert_eq!(p.replace(b"PATH=/tmp/x/bin:/tmp/x/w\n"), b"PATH=<x>/bin:<w>\n");
    }

    #[test]
    fn civil_days() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(1999, 8, 24), 10_827);
        assert_eq!(days_from_civil(1969, 12, 31), -1);
    }
}

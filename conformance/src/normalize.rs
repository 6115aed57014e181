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
    /// multilog's `T` stamp of now (an extension): `SECONDS.uuuuuu`, the seconds
    /// within the run's time (no leading zero) and exactly six digits after the
    /// point, not within a longer number → `<now as T>`.
    NowUnixStamps,
    /// multilog's local stamps of now (extensions), in a zone whose UTC offsets
    /// (seconds east) are among those given; the local time less one of them must be
    /// within the run's time:
    /// - `d`: `YYYY-MM-DD HH:MM:SS.nnnnnnnnn`, the nanoseconds ending in 500 as
    ///   tai64nlocal's of multilog's labels do → `<now as d>`;
    /// - `m`: `YYYY-MM-DD HH:MM:SS.mmm` → `<now as m>`;
    /// - `i`: `YYYY-MM-DDTHH:MM:SS.nnnnnnnnn+hh:mm` (or `-hh:mm`), the offset one of
    ///   those given (`+00:00` for 0, never `-00:00` or `Z`), the time less that
    ///   offset within the run's time → `<now as i>`.
    ///
    /// None is followed by another digit. (In UTC, `d` is also [`Norm::NowUtcTimes`]'s.)
    NowLocalStamps(&'static [i32]),
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
            Norm::NowUnixStamps => replace_unix_stamps(&out, window),
            Norm::NowLocalStamps(offsets) => replace_local_stamps(&out, window, offsets),
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

/// Whether `b` starts with `shape`, where `d` in the shape is any decimal digit.
fn has_shape(b: &[u8], shape: &[u8]) -> bool {
    b.len() >= shape.len()
        && b.iter()
            .zip(shape)
            .all(|(c, s)| if *s == b'd' { c.is_ascii_digit() } else { c == s })
}

/// Parses `YYYY-MM-DD HH:MM:SS.NNNNNNNNN` at the start of `b` as a UTC time.
fn parse_utc_time(b: &[u8]) -> Option<(i64, u32)> {
    parse_time(b, b' ', 9)
}

/// Parses `YYYY-MM-DD<sep>HH:MM:SS.` and `digits` digits of a fraction at the start
/// of `b`: the seconds since the epoch were it UTC, and the fraction as a number.
fn parse_time(b: &[u8], sep: u8, digits: usize) -> Option<(i64, u32)> {
    let mut shape = *b"dddd-dd-dd dd:dd:dd.ddddddddd";
    shape[10] = sep;
    let shape = &shape[..20 + digits];
    let b = b.get(..shape.len())?;
    if !has_shape(b, shape) {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> i64 {
        std::str::from_utf8(&b[r])
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(0)
    };
    let nanos = num(20..20 + digits) as u32;
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

/// `T`'s stamps of now (see [`Norm::NowUnixStamps`]).
fn replace_unix_stamps(bytes: &[u8], window: Window) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let starts_number = i == 0 || !bytes[i - 1].is_ascii_digit();
        let secs = bytes[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        let rest = &bytes[i + secs..];
        if starts_number
            && (1..=19).contains(&secs)
            && (bytes[i] != b'0' || secs == 1)
            && has_shape(rest, b".dddddd")
            && !rest.get(7).is_some_and(u8::is_ascii_digit)
            && std::str::from_utf8(&bytes[i..i + secs])
                .ok()
                .and_then(|s| s.parse().ok())
                .is_some_and(|t| window.contains(t))
        {
            out.extend_from_slice(b"<now as T>");
            i += secs + 7;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

/// A local stamp of now at the start of `b` (see [`Norm::NowLocalStamps`]): its
/// length and placeholder.
fn local_stamp(b: &[u8], window: Window, offsets: &[i32]) -> Option<(usize, &'static [u8])> {
    let of_now = |local: i64, offset: i32| window.contains(local - i64::from(offset));
    let ends = |len: usize| !b.get(len).is_some_and(u8::is_ascii_digit);
    if let Some((local, nanos)) = parse_time(b, b' ', 9)
        && ends(29)
        && nanos % 1000 == 500
        && offsets.iter().any(|&o| of_now(local, o))
    {
        return Some((29, b"<now as d>"));
    }
    if let Some((local, _)) = parse_time(b, b' ', 3)
        && ends(23)
        && offsets.iter().any(|&o| of_now(local, o))
    {
        return Some((23, b"<now as m>"));
    }
    let (local, nanos) = parse_time(b, b'T', 9)?;
    let text = b.get(29..35)?;
    if !has_shape(&text[1..], b"dd:dd") || !ends(35) || nanos % 1000 != 500 {
        return None;
    }
    let sign = match text[0] {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let two = |at: usize| i32::from(text[at] - b'0') * 10 + i32::from(text[at + 1] - b'0');
    let offset = sign * (two(1) * 3600 + two(4) * 60);
    let zero_as_plus = offset != 0 || sign == 1;
    (zero_as_plus && offsets.contains(&offset) && of_now(local, offset)).then_some((35, b"<now as i>"))
}

fn replace_local_stamps(bytes: &[u8], window: Window, offsets: &[i32]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let starts_number = i == 0 || !bytes[i - 1].is_ascii_digit();
        if starts_number && let Some((len, placeholder)) = local_stamp(&bytes[i..], window, offsets) {
            out.extend_from_slice(placeholder);
            i += len;
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

    const NEW_YORK: &[i32] = &[-5 * 3600, -4 * 3600];

    #[test]
    fn unix_stamps_of_the_run_in_their_exact_shape() {
        let n = |s| norm(Norm::NowUnixStamps, s);
        assert_eq!(n("935467445.787492 x\n"), "<now as T> x\n");
        assert_eq!(n("x935467446.000000 "), "x<now as T> ");
        // A wrong shape, or another time: left alone, so that it shows.
        for wrong in [
            "935467445.78749 x",
            "935467445.7874921 x",
            "935467445,787492 x",
            "935467445. 787492 x",
            "1935467445.787492 x",
            "935467545.787492 x",
            "0935467445.787492 x",
        ] {
            assert_eq!(n(wrong), wrong, "{wrong}");
        }
    }

    #[test]
    fn local_stamps_of_the_run_in_their_exact_shape() {
        let utc = |s| norm(Norm::NowLocalStamps(&[0]), s);
        let ny = |s| norm(Norm::NowLocalStamps(NEW_YORK), s);
        assert_eq!(utc("1999-08-24 04:04:05.787492500 x"), "<now as d> x");
        assert_eq!(utc("1999-08-24 04:04:05.787 x"), "<now as m> x");
        assert_eq!(utc("1999-08-24T04:04:05.787492500+00:00 x"), "<now as i> x");
        // New York in August: four hours behind.
        assert_eq!(ny("1999-08-24 00:04:05.787492500 x"), "<now as d> x");
        assert_eq!(ny("1999-08-24 00:04:05.787 x"), "<now as m> x");
        assert_eq!(ny("1999-08-24T00:04:05.787492500-04:00 x"), "<now as i> x");
        for wrong in [
            // Nanoseconds not from a label, too few or too many digits.
            "1999-08-24 04:04:05.787492501 x",
            "1999-08-24 04:04:05.78749250 x",
            "1999-08-24 04:04:05.7874925001 x",
            "1999-08-24 04:04:05.7874 x",
            "1999-08-24 04:04:05.78 x",
            "1999-08-24 04:04:05 x",
            "1999-08-24T04:04:05.787 x",
            "1999-08-24_04:04:05.787492500 x",
            // i: the offset's shape, and `Z` or `-00:00` for UTC.
            "1999-08-24T04:04:05.787492500Z x",
            "1999-08-24T04:04:05.787492500-00:00 x",
            "1999-08-24T04:04:05.787492500+0000 x",
            "1999-08-24T04:04:05.787492500+00:001 x",
            "1999-08-24T04:04:05.787492500 x",
            // Another time.
            "1999-08-24 05:04:05.787492500 x",
            "1999-08-24T05:04:05.787492500+00:00 x",
            "1999-08-24T04:04:05.787492500+01:00 x",
        ] {
            assert_eq!(utc(wrong), wrong, "{wrong}");
        }
        // `i` with a space for its `T` is `d` and something after it, not `i`.
        assert_eq!(utc("1999-08-24 04:04:05.787492500+00:00 x"), "<now as d>+00:00 x");
        for wrong in [
            // UTC's times, or New York's with the other offset or none.
            "1999-08-24 04:04:05.787492500 x",
            "1999-08-24 04:04:05.787 x",
            "1999-08-24T04:04:05.787492500+00:00 x",
            "1999-08-24T00:04:05.787492500-05:00 x",
            "1999-08-24T01:04:05.787492500-05:00 x",
            "1999-08-24T00:04:05.787492500+04:00 x",
            "1999-08-24T00:04:05.787492500 x",
        ] {
            assert_eq!(ny(wrong), wrong, "{wrong}");
        }
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

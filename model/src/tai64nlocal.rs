//! tai64nlocal's transformation: a label at the start of a line becomes local time
//! (spec 13).
//!
//! A line starting with `@` has its run of lower-case hex digits read the way
//! upstream reads it: the last 8 digits are the nanoseconds, the earlier ones the
//! seconds (mod 2^64). The byte that ends the run, and the rest of the line, are
//! copied unchanged. Two deliberate divergences (DESIGN.md), both where upstream
//! loses data:
//! - a label glibc cannot convert (upstream dereferences NULL and dies) is copied
//!   unchanged, `@` included;
//! - a label cut off by the end of input (upstream drops it) is emitted as it came.

use crate::tai64::{UNIX_EPOCH, lower_hex_value};
use crate::tz::Zone;

#[derive(Clone, Debug, PartialEq, Eq)]
enum State {
    LineStart,
    /// Inside a line, after its label if it had one.
    Copying,
    /// After a line's `@`, holding the hex digits read so far.
    Label(Vec<u8>),
}

/// Converts the labels of a byte stream fed in arbitrary chunks.
#[derive(Clone, Debug)]
pub struct Localizer {
    zone: Zone,
    state: State,
    /// The last second converted and its text up to the `.`: log lines come many per
    /// second, so this spares most of the calendar arithmetic.
    cached: Option<(i64, Vec<u8>)>,
}

impl Localizer {
    pub fn new(zone: Zone) -> Localizer {
        Localizer {
            zone,
            state: State::LineStart,
            cached: None,
        }
    }

    /// Changes the zone for the lines still to come (glibc notices a replaced
    /// `/etc/localtime` the same way, between two conversions).
    pub fn set_zone(&mut self, zone: Zone) {
        if zone != self.zone {
            self.zone = zone;
            self.cached = None;
        }
    }

    /// Appends to `out` the converted form of `input`.
    pub fn feed(&mut self, input: &[u8], out: &mut Vec<u8>) {
        let mut rest = input;
        out.reserve(rest.len() + rest.len() / 4);
        while let Some(&first) = rest.first() {
            match &mut self.state {
                State::LineStart => {
                    if first == b'@' {
                        self.state = State::Label(Vec::new());
                        rest = &rest[1..];
                    } else {
                        self.state = State::Copying;
                    }
                }
                State::Copying => match memchr::memchr(b'\n', rest) {
                    Some(i) => {
                        out.extend_from_slice(&rest[..=i]);
                        rest = &rest[i + 1..];
                        self.state = State::LineStart;
                    }
                    None => {
                        out.extend_from_slice(rest);
                        return;
                    }
                },
                State::Label(held) => {
                    let run = rest.iter().position(|&c| lower_hex_value(c).is_none());
                    let Some(run) = run else {
                        held.extend_from_slice(rest);
                        return;
                    };
                    // The usual case, a label whole in this chunk, needs no copy.
                    let digits = if held.is_empty() {
                        &rest[..run]
                    } else {
                        held.extend_from_slice(&rest[..run]);
                        &held[..]
                    };
                    if !convert(digits, &self.zone, &mut self.cached, out) {
                        out.push(b'@');
                        out.extend_from_slice(digits);
                    }
                    if let Some(later) = self.zone.after_first_call() {
                        self.set_zone(later);
                    }
                    // The byte that ended the run is copied with the rest of the line.
                    rest = &rest[run..];
                    self.state = State::Copying;
                }
            }
        }
    }

    /// At end of input: a label cut off by it is emitted as it came.
    pub fn finish(&mut self, out: &mut Vec<u8>) {
        if let State::Label(held) = std::mem::replace(&mut self.state, State::LineStart) {
            out.push(b'@');
            out.extend_from_slice(&held);
        }
    }
}

/// Appends upstream's rendering of the label `@digits` to `out`: `YYYY-MM-DD
/// HH:MM:SS.` and at least 9 digits of nanoseconds. Returns false, writing nothing,
/// where glibc's `localtime` fails.
fn convert(digits: &[u8], zone: &Zone, cached: &mut Option<(i64, Vec<u8>)>, out: &mut Vec<u8>) -> bool {
    let mut secs: u64 = 0;
    let mut nanos: u64 = 0;
    for &c in digits {
        let u = lower_hex_value(c).map_or(0, u64::from);
        secs = (secs << 4).wrapping_add(nanos >> 28);
        nanos = ((nanos & 0x0fff_ffff) << 4) + u;
    }
    let t = secs.wrapping_sub(UNIX_EPOCH) as i64;

    match cached {
        Some((second, text)) if *second == t => out.extend_from_slice(text),
        _ => {
            let Some(tm) = zone.localtime(t) else {
                return false;
            };
            let mut text = Vec::with_capacity(32);
            // C adds 1900 in int and passes the result to an unsigned long.
            push_decimal(&mut text, 1900i32.wrapping_add(tm.year) as i64 as u64, 1);
            for (separator, field) in [
                (b'-', tm.mon + 1),
                (b'-', tm.mday),
                (b' ', tm.hour),
                (b':', tm.min),
                (b':', tm.sec),
            ] {
                text.push(separator);
                push_decimal(&mut text, u64::from(field as u32), 2);
            }
            text.push(b'.');
            out.extend_from_slice(&text);
            *cached = Some((t, text));
        }
    }
    push_decimal(out, nanos, 9);
    true
}

/// `n` in decimal, zero-padded to at least `width` digits.
fn push_decimal(out: &mut Vec<u8>, mut n: u64, width: usize) {
    let mut buf = [b'0'; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    let start = i.min(buf.len() - width);
    out.extend_from_slice(&buf[start..]);
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn localize(zone: Zone, chunks: &[&[u8]]) -> Vec<u8> {
        let mut l = Localizer::new(zone);
        let mut out = Vec::new();
        for c in chunks {
            l.feed(c, &mut out);
        }
        l.finish(&mut out);
        out
    }

    fn utc(input: &str) -> String {
        String::from_utf8(localize(Zone::UTC, &[input.as_bytes()])).unwrap()
    }

    #[test]
    fn the_specification_examples() {
        assert_eq!(
            utc("@4000000037c219bf2ef02e94 mark\n"),
            "1999-08-24 04:04:05.787492500 mark\n"
        );
        assert_eq!(
            utc("@400000000000000000000000\n"),
            "1969-12-31 23:59:50.000000000\n"
        );
        assert_eq!(
            utc("@4000000037c219bf2ef02e94mark\n"),
            "1999-08-24 04:04:05.787492500mark\n"
        );
        assert_eq!(
            utc("@4000000037c219bfffffffff x\n"),
            "1999-08-24 04:04:05.4294967295 x\n"
        );
    }

    #[test]
    fn only_a_label_at_the_start_of_a_line_is_converted() {
        assert_eq!(
            utc("x @400000000000000000000000\n"),
            "x @400000000000000000000000\n"
        );
        assert_eq!(
            utc("no label\n@400000000000000a00000000 a @400000000000000a00000000\n"),
            "no label\n1970-01-01 00:00:00.000000000 a @400000000000000a00000000\n"
        );
    }

    #[test]
    fn leading_zero_digits_are_harmless() {
        assert_eq!(
            utc("@00004000000037c219bf2ef02e94 x\n"),
            "1999-08-24 04:04:05.787492500 x\n"
        );
    }

    #[test]
    fn years_before_1900_wrap_through_unsigned_long_as_upstream_prints_them() {
        // 2^36 seconds before 1970 is a year before 0: C prints 1900 + tm_year, a
        // negative int, as an unsigned long.
        assert!(utc("@3ffffff00000000000000000 x\n").starts_with("1844674407370955"));
    }

    #[test]
    fn a_label_the_c_library_cannot_convert_is_copied_unchanged() {
        for line in [
            "@ x\n",
            "@zz\n",
            "@4000000037c219bf x\n",
            "@4000000037C219BF2EF02E94 x\n",
            "@\n",
            "@7fffffffffffffff00000000\n",
        ] {
            assert_eq!(utc(line), line);
        }
    }

    #[test]
    fn a_label_cut_off_by_end_of_input_is_kept() {
        assert_eq!(utc("@4000000037c2"), "@4000000037c2");
        assert_eq!(utc("@"), "@");
        // A whole label without a newline at the end is converted.
        assert_eq!(
            utc("@4000000037c219bf2ef02e94 x"),
            "1999-08-24 04:04:05.787492500 x"
        );
    }

    #[test]
    fn other_bytes_pass_through() {
        let input = b"a\0b\r\n\xff\xfe\t\n\n@400000000000000a00000000\r\0\n";
        let out = localize(Zone::UTC, &[input]);
        assert_eq!(out, b"a\0b\r\n\xff\xfe\t\n\n1970-01-01 00:00:00.000000000\r\0\n");
    }

    #[test]
    fn zone_changes_apply_to_later_lines() {
        let mut l = Localizer::new(Zone::UTC);
        let mut out = Vec::new();
        l.feed(b"@400000000000000a00000000\n", &mut out);
        let mut read = |_: &[u8]| None;
        l.set_zone(Zone::from_env(Some(b"JST-9"), None, &mut read));
        l.feed(b"@400000000000000a00000000\n", &mut out);
        assert_eq!(
            out,
            b"1970-01-01 00:00:00.000000000\n1970-01-01 09:00:00.000000000\n"
        );
    }

    fn line() -> impl Strategy<Value = Vec<u8>> {
        let label = (0u64..(1 << 40), any::<u32>()).prop_map(|(s, n)| {
            crate::tai64::Tai64N {
                secs: UNIX_EPOCH - (1 << 39) + s,
                nanos: n,
            }
            .to_label()
            .to_vec()
        });
        let text = proptest::collection::vec(any::<u8>(), 0..40);
        let digits =
            proptest::collection::vec(prop_oneof![Just(b'0'), Just(b'f'), Just(b'A'), Just(b' ')], 0..30);
        (
            prop_oneof![
                label,
                digits.prop_map(|d| [&b"@"[..], &d].concat()),
                Just(Vec::new())
            ],
            text,
        )
            .prop_map(|(head, text)| [head, text].concat())
    }

    proptest! {
        /// Chunking never changes the output: a label split between two reads converts
        /// as if it had arrived whole.
        #[test]
        fn chunking_does_not_matter(
            lines in proptest::collection::vec(line(), 0..12),
            cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..10),
        ) {
            let input = lines.join(&b'\n');
            let whole = localize(Zone::UTC, &[&input]);
            let mut positions: Vec<usize> = cuts.iter().map(|i| i.index(input.len() + 1)).collect();
            positions.sort();
            let mut chunks = Vec::new();
            let mut start = 0;
            for p in positions {
                chunks.push(&input[start..p]);
                start = p;
            }
            chunks.push(&input[start..]);
            prop_assert_eq!(localize(Zone::UTC, &chunks), whole);
        }

        /// Never a panic, and every line that does not start with `@` is unchanged.
        #[test]
        fn any_bytes_are_handled(input in proptest::collection::vec(any::<u8>(), 0..2000)) {
            let out = localize(Zone::UTC, &[&input]);
            let lines_in: Vec<&[u8]> = input.split(|&c| c == b'\n').collect();
            let lines_out: Vec<&[u8]> = out.split(|&c| c == b'\n').collect();
            prop_assert_eq!(lines_in.len(), lines_out.len());
            for (a, b) in lines_in.iter().zip(&lines_out) {
                if a.first() != Some(&b'@') {
                    prop_assert_eq!(a, b);
                }
            }
        }
    }
}

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
//!
//! A label is read as it streams past: its value needs only its last 24 digits, so a
//! label split between reads is held as that value, its length and its first
//! [`HEAD`] digits, whatever its length. Copying a label that cannot be converted
//! (or is cut off) therefore gives back a run of up to `HEAD` + 24 digits whole; of a
//! longer one, its first `HEAD` and last 24 digits (upstream crashes or drops it).

use crate::tai64::{UNIX_EPOCH, lower_hex_value};
use crate::tz::Zone;

/// How many leading digits of a label are kept to copy it if it cannot be
/// converted; with the last 24, which its value keeps, a run of up to `HEAD` + 24
/// digits is copied whole.
const HEAD: usize = 1000;
/// The digits of a label that its value depends on.
const TAIL: usize = 24;

#[derive(Clone, Debug, PartialEq, Eq)]
enum State {
    LineStart,
    /// Inside a line, after its label if it had one.
    Copying,
    /// After a line's `@`, holding what counts of the hex digits read so far.
    Label(Held),
}

/// A run of hex digits as upstream reads it: the last 8 digits are the nanoseconds,
/// the 16 before them the seconds (earlier digits shift out of the 64 bits).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Value {
    secs: u64,
    nanos: u64,
}

impl Value {
    fn push(&mut self, digits: &[u8]) {
        for &c in digits {
            let u = lower_hex_value(c).map_or(0, u64::from);
            self.secs = (self.secs << 4).wrapping_add(self.nanos >> 28);
            self.nanos = ((self.nanos & 0x0fff_ffff) << 4) + u;
        }
    }

    /// The last `TAIL` digits pushed (leading zeros where fewer were).
    fn last_digits(&self) -> [u8; TAIL] {
        let v = (u128::from(self.secs) << 32) | u128::from(self.nanos);
        std::array::from_fn(|i| b"0123456789abcdef"[(v >> (4 * (TAIL - 1 - i)) & 0xf) as usize])
    }
}

/// The digits of a label read so far, in bounded memory.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Held {
    value: Value,
    count: u64,
    /// The first `HEAD` digits, at most.
    head: Vec<u8>,
}

impl Held {
    fn push(&mut self, digits: &[u8]) {
        self.value.push(digits);
        self.count += digits.len() as u64;
        let room = HEAD - self.head.len();
        self.head.extend_from_slice(&digits[..digits.len().min(room)]);
    }
}

/// Appends a label that is not converted, as it came: `@` and its digits, but for
/// those between the first `HEAD` and the last `TAIL` (`head` is its first digits,
/// up to `HEAD`; `count` how many it had).
fn copy_label(head: &[u8], count: u64, value: &Value, out: &mut Vec<u8>) {
    out.push(b'@');
    out.extend_from_slice(head);
    let rest = (count - head.len() as u64).min(TAIL as u64) as usize;
    out.extend_from_slice(&value.last_digits()[TAIL - rest..]);
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
                        self.state = State::Label(Held::default());
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
                        held.push(rest);
                        return;
                    };
                    let digits = &rest[..run];
                    if held.count == 0 {
                        // The usual case, a label whole in this chunk, is read in place.
                        let mut value = Value::default();
                        value.push(digits);
                        if !convert(value, &self.zone, &mut self.cached, out) {
                            let head = &digits[..digits.len().min(HEAD)];
                            copy_label(head, digits.len() as u64, &value, out);
                        }
                    } else {
                        held.push(digits);
                        if !convert(held.value, &self.zone, &mut self.cached, out) {
                            copy_label(&held.head, held.count, &held.value, out);
                        }
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
            copy_label(&held.head, held.count, &held.value, out);
        }
    }
}

/// Appends upstream's rendering of a label of this value to `out`: `YYYY-MM-DD
/// HH:MM:SS.` and at least 9 digits of nanoseconds. Returns false, writing nothing,
/// where glibc's `localtime` fails.
fn convert(value: Value, zone: &Zone, cached: &mut Option<(i64, Vec<u8>)>, out: &mut Vec<u8>) -> bool {
    let Value { secs, nanos } = value;
    let t = secs.wrapping_sub(UNIX_EPOCH) as i64;

    match cached {
        Some((second, text)) if *second == t => out.extend_from_slice(text),
        _ => {
            let Some(tm) = zone.localtime(t) else {
                return false;
            };
            // The last second's buffer is reused: a new second allocates nothing.
            let mut text = cached.take().map(|(_, text)| text).unwrap_or_default();
            text.clear();
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
pub(crate) fn push_decimal(out: &mut Vec<u8>, mut n: u64, width: usize) {
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

    /// The bytes held for a label that spans reads.
    fn held(l: &Localizer) -> usize {
        match &l.state {
            State::Label(held) => held.head.capacity(),
            _ => 0,
        }
    }

    #[test]
    fn a_label_spanning_reads_is_held_in_bounded_memory() {
        let mut l = Localizer::new(Zone::UTC);
        let mut out = Vec::new();
        l.feed(b"@", &mut out);
        let digits = [b'0'; 65536];
        for _ in 0..160 {
            l.feed(&digits, &mut out);
            assert!(held(&l) <= 2 * HEAD, "{} bytes held", held(&l));
        }
        assert!(out.is_empty());
        l.feed(b"4000000037c219bf2ef02e94 x\n", &mut out);
        assert_eq!(out, b"1999-08-24 04:04:05.787492500 x\n");
    }

    #[test]
    fn an_unconvertible_label_is_copied_whole_up_to_the_bound() {
        // Up to HEAD + 24 digits, in any chunks, the line comes out unchanged.
        for len in [HEAD - 1, HEAD, HEAD + 1, HEAD + 23, HEAD + 24] {
            let digits: Vec<u8> = (0..len).map(|i| b"0123456789abcdef"[i * 7 % 16]).collect();
            let line = [&b"@"[..], &digits, b" x\n"].concat();
            assert_eq!(localize(Zone::UTC, &[&line]), line, "{len} whole");
            let (a, b) = line.split_at(len / 2);
            assert_eq!(localize(Zone::UTC, &[a, b]), line, "{len} in two");
            // Cut off by the end of input: the same.
            let cut = &line[..=len];
            assert_eq!(localize(Zone::UTC, &[&cut[..3], &cut[3..]]), cut, "{len} cut");
        }
    }

    #[test]
    fn a_longer_unconvertible_label_spanning_reads_keeps_its_first_and_last_digits() {
        let digits: Vec<u8> = (0..HEAD + 500).map(|i| b"0123456789abcdef"[i * 7 % 16]).collect();
        let line = [&b"@"[..], &digits, b" x\n"].concat();
        let kept = [&b"@"[..], &digits[..HEAD], &digits[digits.len() - 24..], b" x\n"].concat();
        // The same whichever the reads: output never depends on how input is cut.
        assert_eq!(localize(Zone::UTC, &[&line]), kept);
        let (a, b) = line.split_at(100);
        assert_eq!(localize(Zone::UTC, &[a, b]), kept);
        let (a, b) = line.split_at(HEAD + 400);
        assert_eq!(localize(Zone::UTC, &[a, b]), kept);
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

    /// The digits of a label (without its `@`), or nothing.
    fn label_tail() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            Just(Vec::new()),
            (0u64..(1 << 40), any::<u32>()).prop_map(|(s, n)| {
                crate::tai64::Tai64N {
                    secs: UNIX_EPOCH - (1 << 39) + s,
                    nanos: n,
                }
                .to_label()[1..]
                    .to_vec()
            })
        ]
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
        // Runs of digits around the length held whole (HEAD + 24), convertible or not.
        let long = (
            HEAD - 4..HEAD + 60,
            proptest::collection::vec(prop_oneof![Just(b'0'), Just(b'7'), Just(b'f')], 1..4),
            label_tail(),
        )
            .prop_map(|(n, pattern, tail)| {
                let run = pattern.iter().copied().cycle().take(n);
                [&b"@"[..], &run.collect::<Vec<u8>>(), &tail].concat()
            });
        (
            prop_oneof![
                label,
                digits.prop_map(|d| [&b"@"[..], &d].concat()),
                long,
                Just(Vec::new())
            ],
            text,
        )
            .prop_map(|(head, text)| [head, text].concat())
    }

    /// The conversion as it was before labels were streamed, holding each label
    /// whole, but for the bound: a label copied with more than `HEAD` + 24 digits
    /// keeps only its first `HEAD` and last 24.
    fn holding_whole_labels(input: &[u8]) -> Vec<u8> {
        let (mut out, mut cached, mut zone) = (Vec::new(), None, Zone::UTC);
        let mut rest = input;
        while !rest.is_empty() {
            if let Some(after) = rest.strip_prefix(b"@") {
                let run = after
                    .iter()
                    .take_while(|&&c| lower_hex_value(c).is_some())
                    .count();
                let digits = &after[..run];
                let mut value = Value::default();
                value.push(digits);
                if run == after.len() || !convert(value, &zone, &mut cached, &mut out) {
                    out.push(b'@');
                    if run <= HEAD + TAIL {
                        out.extend_from_slice(digits);
                    } else {
                        out.extend_from_slice(&digits[..HEAD]);
                        out.extend_from_slice(&digits[run - TAIL..]);
                    }
                }
                if let Some(later) = zone.after_first_call() {
                    zone = later;
                }
                rest = &after[run..];
            }
            let end = memchr::memchr(b'\n', rest).map_or(rest.len(), |i| i + 1);
            out.extend_from_slice(&rest[..end]);
            rest = &rest[end..];
        }
        out
    }

    proptest! {
        /// Streaming labels changes nothing but the copy of a label longer than
        /// `HEAD` + 24 digits: the output is the one of holding each label whole.
        #[test]
        fn streaming_is_holding_whole_labels(
            lines in proptest::collection::vec(line(), 0..12),
        ) {
            let input = lines.join(&b'\n');
            prop_assert_eq!(localize(Zone::UTC, &[&input]), holding_whole_labels(&input));
        }

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

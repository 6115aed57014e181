//! POSIX TZ strings (`EST5EDT,M3.2.0,M11.1.0`) parsed and applied as glibc 2.36 does.
//!
//! glibc's parser assigns fields as it goes and leaves them set when it fails
//! half-way, and later conversions use whatever was assigned; this module keeps
//! that, because tai64nlocal's output for a malformed TZ is glibc's output.

use super::civil::{MON_YDAY, Tm, is_leap, offtime};

const SECS_PER_DAY: i64 = 86_400;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RuleKind {
    /// `n`: zero-based day of the year, counting February 29.
    J0,
    /// `Jn`: one-based day of the year, never counting February 29.
    J1,
    /// `Mm.n.d`: day `d` of week `n` of month `m`.
    M,
}

/// One half of a POSIX TZ: the standard-time rule (index 0) or the DST rule (1).
/// A rule that was never parsed keeps glibc's zeroed defaults.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Rule {
    /// Seconds east of UTC.
    offset: i32,
    kind: RuleKind,
    m: u16,
    n: u16,
    d: u16,
    /// Time of day of the change, in local time of the other rule.
    secs: i32,
}

const ZEROED_RULE: Rule = Rule {
    offset: 0,
    kind: RuleKind::J0,
    m: 0,
    n: 0,
    d: 0,
    secs: 0,
};

/// The standard and DST rules of a TZ string.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PosixRules {
    rules: [Rule; 2],
}

/// What parsing a TZ string asks for next.
pub(crate) enum Parsed {
    Rules(PosixRules),
    /// A DST name without rules: glibc first tries the rules of the `posixrules`
    /// file with these offsets, and falls back to `otherwise` if it cannot.
    WantsDefaultRules {
        stdoff: i32,
        dstoff: i32,
        otherwise: PosixRules,
    },
}

/// C's `isspace` in the C locale, which `sscanf` skips before a number.
fn is_c_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// One `sscanf` `%hu` conversion: skips white space, takes an optional sign and
/// decimal digits as `strtoul` does, and keeps the low 16 bits. Returns the value
/// and the index just past it, or `None` when there is no number.
fn scan_hu(s: &[u8], start: usize) -> Option<(u16, usize)> {
    let mut i = start;
    while i < s.len() && is_c_space(s[i]) {
        i += 1;
    }
    let negative = match s.get(i) {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    let digits_start = i;
    let mut value: u64 = 0;
    let mut overflow = false;
    while let Some(c) = s.get(i).filter(|c| c.is_ascii_digit()) {
        match value
            .checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(c - b'0')))
        {
            Some(v) => value = v,
            None => overflow = true,
        }
        i += 1;
    }
    if i == digits_start {
        return None;
    }
    if overflow {
        value = u64::MAX;
    } else if negative {
        value = value.wrapping_neg();
    }
    Some((value as u16, i))
}

/// `sscanf(s, "%hu%n:%hu%n:%hu%n", …)`: fills as many of the three fields as match
/// (the others keep the values passed in) and returns how many were assigned and
/// the index after the last one.
fn scan_hms(s: &[u8], start: usize, fields: &mut [u16; 3]) -> (usize, usize) {
    let mut consumed = start;
    let mut assigned = 0;
    let mut i = start;
    for (k, field) in fields.iter_mut().enumerate() {
        if k > 0 {
            if s.get(i) != Some(&b':') {
                break;
            }
            i += 1;
        }
        match scan_hu(s, i) {
            Some((v, next)) => {
                *field = v;
                assigned += 1;
                i = next;
                consumed = next;
            }
            None => break,
        }
    }
    (assigned, consumed)
}

struct Parser<'a> {
    s: &'a [u8],
    pos: usize,
    rules: [Rule; 2],
}

impl Parser<'_> {
    fn peek(&self) -> u8 {
        self.s.get(self.pos).copied().unwrap_or(0)
    }

    fn at(&self, i: usize) -> u8 {
        self.s.get(i).copied().unwrap_or(0)
    }

    fn tzname(&mut self) -> bool {
        let start = self.pos;
        let mut p = start;
        while self.at(p).is_ascii_alphabetic() {
            p += 1;
        }
        if p - start < 3 {
            p = start;
            if self.at(p) != b'<' {
                return false;
            }
            p += 1;
            let quoted = p;
            while matches!(self.at(p), b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'+' | b'-') {
                p += 1;
            }
            let len = p - quoted;
            let closed = self.at(p) == b'>';
            p += 1;
            if !closed || len < 3 {
                return false;
            }
        }
        self.pos = p;
        true
    }

    fn offset(&mut self, which: usize) -> bool {
        let c = self.peek();
        if which == 0 && (c == 0 || (c != b'+' && c != b'-' && !c.is_ascii_digit())) {
            return false;
        }
        let sign: i32 = match c {
            b'-' => {
                self.pos += 1;
                1
            }
            b'+' => {
                self.pos += 1;
                -1
            }
            _ => -1,
        };
        let mut hms = [0u16; 3];
        let (assigned, consumed) = scan_hms(self.s, self.pos, &mut hms);
        if assigned > 0 {
            let [hh, mm, ss] = hms;
            let seconds = i32::from(ss.min(59)) + i32::from(mm.min(59)) * 60 + i32::from(hh.min(24)) * 3600;
            self.rules[which].offset = sign * seconds;
            self.pos = consumed;
        } else if which == 0 {
            self.rules[0].offset = 0;
            return false;
        } else {
            // DST defaults to one hour later than standard time.
            self.rules[1].offset = self.rules[0].offset + 3600;
        }
        true
    }

    fn rule(&mut self, which: usize) -> bool {
        if self.peek() == b',' {
            self.pos += 1;
        }
        let c = self.peek();
        if c == b'J' || c.is_ascii_digit() {
            let julian = c == b'J';
            self.rules[which].kind = if julian { RuleKind::J1 } else { RuleKind::J0 };
            if julian {
                self.pos += 1;
                if !self.peek().is_ascii_digit() {
                    return false;
                }
            }
            let start = self.pos;
            let mut end = start;
            let mut d: u64 = 0;
            while self.at(end).is_ascii_digit() {
                d = d
                    .saturating_mul(10)
                    .saturating_add(u64::from(self.at(end) - b'0'));
                end += 1;
            }
            if end == start || d > 365 || (julian && d == 0) {
                return false;
            }
            self.rules[which].d = d as u16;
            self.pos = end;
        } else if c == b'M' {
            self.rules[which].kind = RuleKind::M;
            let mut i = self.pos + 1;
            let mut assigned = 0;
            for field in 0..3 {
                if field > 0 {
                    if self.at(i) != b'.' {
                        break;
                    }
                    i += 1;
                }
                let Some((v, next)) = scan_hu(self.s, i) else {
                    break;
                };
                let rule = &mut self.rules[which];
                *[&mut rule.m, &mut rule.n, &mut rule.d][field] = v;
                assigned += 1;
                i = next;
            }
            let r = self.rules[which];
            if assigned != 3 || !(1..=12).contains(&r.m) || !(1..=5).contains(&r.n) || r.d > 6 {
                return false;
            }
            self.pos = i;
        } else if c == 0 {
            // The U.S. rules of 2007 (M3.2.0,M11.1.0) are glibc's default.
            let rule = &mut self.rules[which];
            rule.kind = RuleKind::M;
            (rule.m, rule.n, rule.d) = if which == 0 { (3, 2, 0) } else { (11, 1, 0) };
        } else {
            return false;
        }

        match self.peek() {
            0 | b',' => self.rules[which].secs = 2 * 3600,
            b'/' => {
                self.pos += 1;
                if self.peek() == 0 {
                    return false;
                }
                let negative = self.peek() == b'-';
                if negative {
                    self.pos += 1;
                }
                let mut hms = [2u16, 0, 0];
                let (_, consumed) = scan_hms(self.s, self.pos, &mut hms);
                self.pos = consumed;
                let [hh, mm, ss] = hms.map(i32::from);
                let secs = hh * 3600 + mm * 60 + ss;
                self.rules[which].secs = if negative { -secs } else { secs };
            }
            _ => return false,
        }
        true
    }
}

/// Parses a TZ string as glibc's `__tzset_parse_tz`. Parsing never fails: what does
/// not parse leaves zeroed rules, which mean UTC.
pub(crate) fn parse(tz: &[u8]) -> Parsed {
    let tz = tz.split(|&c| c == 0).next().unwrap_or_default();
    let mut p = Parser {
        s: tz,
        pos: 0,
        rules: [ZEROED_RULE; 2],
    };
    if p.tzname() && p.offset(0) {
        if p.peek() != 0 {
            if p.tzname() {
                p.offset(1);
                let rest = &tz[p.pos.min(tz.len())..];
                if rest.is_empty() || rest == b"," {
                    let (stdoff, dstoff) = (p.rules[0].offset, p.rules[1].offset);
                    if p.rule(0) {
                        p.rule(1);
                    }
                    return Parsed::WantsDefaultRules {
                        stdoff,
                        dstoff,
                        otherwise: PosixRules { rules: p.rules },
                    };
                }
            }
            if p.rule(0) {
                p.rule(1);
            }
        } else {
            p.rules[1].offset = p.rules[0].offset;
        }
    }
    Parsed::Rules(PosixRules { rules: p.rules })
}

/// The moment in `year` (UTC year, as glibc uses) at which `rule` takes effect.
fn change_time(rule: &Rule, year: i32) -> i64 {
    // January 1st, 00:00 UTC of YEAR; glibc uses 1970 for every earlier year.
    let mut t: i64 = if year > 1970 {
        let y = year;
        let days = (y.wrapping_sub(1970))
            .wrapping_mul(365)
            .wrapping_add((y - 1) / 4 - 1970 / 4)
            .wrapping_sub((y - 1) / 100 - 1970 / 100)
            .wrapping_add((y - 1) / 400 - 1970 / 400);
        i64::from(days) * SECS_PER_DAY
    } else {
        0
    };
    let leap = is_leap(i64::from(year));
    match rule.kind {
        RuleKind::J1 => {
            t += (i64::from(rule.d) - 1) * SECS_PER_DAY;
            if rule.d >= 60 && leap {
                t += SECS_PER_DAY;
            }
        }
        RuleKind::J0 => t += i64::from(rule.d) * SECS_PER_DAY,
        RuleKind::M => {
            // glibc indexes its two-row table as one array; reads outside it (only
            // possible after a failed parse) are taken as 0 here.
            let flat = |i: i64| -> i32 {
                usize::try_from(i)
                    .ok()
                    .and_then(|i| MON_YDAY.as_flattened().get(i))
                    .map_or(0, |&v| i32::from(v))
            };
            let base = i64::from(leap) * 13 + i64::from(rule.m);
            let (month_start, month_end) = (flat(base - 1), flat(base));
            t += i64::from(month_start) * SECS_PER_DAY;

            // Zeller's congruence: the weekday of the first day of the month.
            let m = i32::from(rule.m);
            let m1 = (m + 9) % 12 + 1;
            let yy0 = if m <= 2 { year.wrapping_sub(1) } else { year };
            let (yy1, yy2) = (yy0 / 100, yy0 % 100);
            let mut dow = ((26 * m1 - 2) / 10 + 1 + yy2 + yy2 / 4 + yy1 / 4 - 2 * yy1) % 7;
            if dow < 0 {
                dow += 7;
            }
            let mut d = i32::from(rule.d) - dow;
            if d < 0 {
                d += 7;
            }
            for _ in 1..rule.n {
                if d + 7 >= month_end - month_start {
                    break;
                }
                d += 7;
            }
            t += i64::from(d) * SECS_PER_DAY;
        }
    }
    t - i64::from(rule.offset) + i64::from(rule.secs)
}

impl PosixRules {
    /// UTC, as glibc sets it up when nothing else applies.
    pub(crate) const UTC: PosixRules = PosixRules {
        rules: [ZEROED_RULE; 2],
    };

    /// The offset east of UTC at `t`, given `t`'s UTC broken-down time (glibc's
    /// `__tz_compute`, which takes the year of the change rules from UTC).
    pub(crate) fn offset_at(&self, t: i64, utc: &Tm) -> i64 {
        let year = 1900i32.wrapping_add(utc.year);
        let start_dst = change_time(&self.rules[0], year);
        let end_dst = change_time(&self.rules[1], year);
        let isdst = if start_dst > end_dst {
            // Southern hemisphere: DST spans the new year.
            t < end_dst || t >= start_dst
        } else {
            t >= start_dst && t < end_dst
        };
        i64::from(self.rules[usize::from(isdst)].offset)
    }

    pub(crate) fn localtime(&self, t: i64) -> Option<Tm> {
        let utc = offtime(t, 0)?;
        offtime(t, self.offset_at(t, &utc))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(tz: &str) -> PosixRules {
        match parse(tz.as_bytes()) {
            Parsed::Rules(r) => r,
            Parsed::WantsDefaultRules { otherwise, .. } => otherwise,
        }
    }

    fn local(tz: &str, t: i64) -> (i32, i32, i32, i32, i32, i32) {
        let tm = rules(tz).localtime(t).unwrap();
        (tm.year + 1900, tm.mon + 1, tm.mday, tm.hour, tm.min, tm.sec)
    }

    #[test]
    fn us_eastern_around_the_2023_changes() {
        let tz = "EST5EDT,M3.2.0,M11.1.0";
        // 2023-03-12 06:59:59 UTC is 01:59:59 EST; a second later it is 03:00:00 EDT.
        assert_eq!(local(tz, 1_678_604_399), (2023, 3, 12, 1, 59, 59));
        assert_eq!(local(tz, 1_678_604_400), (2023, 3, 12, 3, 0, 0));
        // 2023-11-05 05:59:59 UTC is 01:59:59 EDT; a second later 01:00:00 EST.
        assert_eq!(local(tz, 1_699_163_999), (2023, 11, 5, 1, 59, 59));
        assert_eq!(local(tz, 1_699_164_000), (2023, 11, 5, 1, 0, 0));
    }

    #[test]
    fn southern_hemisphere_spans_the_new_year() {
        let tz = "AEST-10AEDT,M10.1.0,M4.1.0/3";
        assert_eq!(local(tz, 1_704_067_200), (2024, 1, 1, 11, 0, 0)); // summer: +11
        assert_eq!(local(tz, 1_719_792_000), (2024, 7, 1, 10, 0, 0)); // winter: +10
    }

    #[test]
    fn quoted_names_and_minutes() {
        assert_eq!(local("<+0330>-3:30", 0), (1970, 1, 1, 3, 30, 0));
        assert_eq!(local("<-03>3", 0), (1969, 12, 31, 21, 0, 0));
    }

    #[test]
    fn what_does_not_parse_is_utc() {
        for tz in ["", "Foo/Bar", "EST", "ES5", "<AB>5", "EST+"] {
            assert_eq!(local(tz, 86_400), (1970, 1, 2, 0, 0, 0), "{tz}");
        }
    }

    #[test]
    fn offsets_are_clamped_like_glibc() {
        // Hours above 24 count as 24, minutes and seconds above 59 as 59.
        assert_eq!(local("ABC-99:99:99", 0), (1970, 1, 2, 0, 59, 59));
    }

    #[test]
    fn a_dst_name_without_rules_asks_for_posixrules() {
        match parse(b"AAA5BBB") {
            Parsed::WantsDefaultRules {
                stdoff,
                dstoff,
                otherwise,
            } => {
                assert_eq!((stdoff, dstoff), (-18_000, -14_400));
                assert_eq!(otherwise, rules("AAA5BBB,M3.2.0,M11.1.0"));
            }
            Parsed::Rules(_) => panic!("expected a request for posixrules"),
        }
    }

    #[test]
    fn scan_hu_behaves_like_sscanf() {
        assert_eq!(scan_hu(b" 12x", 0), Some((12, 3)));
        assert_eq!(scan_hu(b"+7", 0), Some((7, 2)));
        assert_eq!(scan_hu(b"-1", 0), Some((65_535, 2)));
        assert_eq!(scan_hu(b"65539", 0), Some((3, 5)));
        assert_eq!(scan_hu(b"", 0), None);
        assert_eq!(scan_hu(b"+", 0), None);
        assert_eq!(scan_hu(b"x", 0), None);
    }
}

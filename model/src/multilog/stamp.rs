//! The text that starts each line under a timestamp action: `t`'s TAI64N label, or
//! one of the extensions `T` (UNIX time, encore's), `d` and `m` (local time as
//! tai64nlocal prints it, to the nanosecond or the millisecond) and `i` (RFC 3339
//! local time with its offset). Each is followed by a space.
//!
//! Lines read together share one time, so a stamp is made once per read: the last
//! one is kept with its time.

use super::script::Stamp;
use crate::tai64::{LABEL_LEN, Tai64N};
use crate::tai64nlocal::{Localizer, push_decimal};
use crate::tz::Zone;

/// Room for the longest stamp and its space. No real clock makes one longer than
/// `i`'s 36 bytes; a time whose text would not fit gets its TAI64N label.
pub const STAMP_MAX: usize = 64;

/// Makes the stamps of one kind.
#[derive(Clone, Debug)]
pub struct Stamper {
    kind: Stamp,
    /// The zone, for `i`'s offset; the conversion itself is tai64nlocal's.
    zone: Zone,
    localizer: Localizer,
    /// What the localizer gives back for a label (reused).
    local: Vec<u8>,
    last: Option<Tai64N>,
    text: [u8; STAMP_MAX],
    len: usize,
}

impl Stamper {
    /// Stamps of `kind`; `zone` is local time's (unused by `t` and `T`).
    pub fn new(kind: Stamp, zone: Zone) -> Stamper {
        Stamper {
            kind,
            localizer: Localizer::new(zone.clone()),
            zone,
            local: Vec::with_capacity(STAMP_MAX),
            last: None,
            text: [b' '; STAMP_MAX],
            len: 0,
        }
    }

    pub fn kind(&self) -> Stamp {
        self.kind
    }

    /// The longest stamp this kind makes, its space included.
    pub fn longest(&self) -> usize {
        match self.kind {
            Stamp::Tai64n => LABEL_LEN + 1,
            Stamp::Unix => 20 + 1 + 6 + 1,
            Stamp::Local | Stamp::LocalMillis | Stamp::Rfc3339 => STAMP_MAX,
        }
    }

    /// The stamp of `time` with its space: the first `len` bytes of the array (whose
    /// size is fixed, so that copying it is a few moves).
    pub fn stamp(&mut self, time: Tai64N) -> (&[u8; STAMP_MAX], usize) {
        if self.last != Some(time) {
            self.make(time);
            self.last = Some(time);
        }
        (&self.text, self.len)
    }

    fn make(&mut self, time: Tai64N) {
        let mut text = [b' '; STAMP_MAX];
        let mut len = 0;
        let mut put = |bytes: &[u8]| {
            text[len..len + bytes.len()].copy_from_slice(bytes);
            len += bytes.len();
        };
        match self.kind {
            Stamp::Tai64n => put(&time.to_label()),
            Stamp::Unix => {
                // As encore's fmt_accustamp: unsigned seconds, six digits of microseconds.
                self.local.clear();
                push_decimal(&mut self.local, time.unix_secs() as u64, 1);
                self.local.push(b'.');
                push_decimal(&mut self.local, u64::from(time.nanos / 1000), 6);
                put(&self.local);
            }
            Stamp::Local | Stamp::LocalMillis | Stamp::Rfc3339 => {
                // The label and the end of a line, in one piece: nothing held.
                let mut line = [b'\n'; LABEL_LEN + 2];
                line[..LABEL_LEN].copy_from_slice(&time.to_label());
                line[LABEL_LEN] = b' ';
                self.local.clear();
                self.localizer.feed(&line, &mut self.local);
                let local = &self.local[..self.local.len() - 2];
                let converted = local.first() != Some(&b'@');
                let offset = self.zone.utc_offset(time.unix_secs());
                if let Some(later) = self.zone.after_first_call() {
                    self.zone = later;
                }
                let fits = local.len() + 7 < STAMP_MAX;
                match (self.kind, converted && fits, offset) {
                    (Stamp::Local, true, _) => put(local),
                    // The nanoseconds are the last nine digits.
                    (Stamp::LocalMillis, true, _) => put(&local[..local.len() - 6]),
                    (Stamp::Rfc3339, true, Some(offset)) => {
                        let space = local.iter().position(|&c| c == b' ').unwrap_or(0);
                        put(&local[..space]);
                        put(b"T");
                        put(&local[space + 1..]);
                        put(&rfc3339_offset(offset));
                    }
                    _ => put(&time.to_label()),
                }
            }
        }
        put(b" ");
        self.text = text;
        self.len = len;
    }
}

/// `+hh:mm` or `-hh:mm` (seconds of an offset dropped, as RFC 3339 has none).
fn rfc3339_offset(offset: i64) -> [u8; 6] {
    let sign = if offset < 0 { b'-' } else { b'+' };
    let minutes = (offset.unsigned_abs() / 60).min(99 * 60 + 59);
    let (h, m) = ((minutes / 60) as u8, (minutes % 60) as u8);
    [
        sign,
        b'0' + h / 10,
        b'0' + h % 10,
        b':',
        b'0' + m / 10,
        b'0' + m % 10,
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tz::offtime;
    use proptest::prelude::*;

    fn new_york() -> Zone {
        Zone::from_env(Some(b"EST5EDT,M3.2.0,M11.1.0"), None, &mut |_| None)
    }

    fn stamp(kind: Stamp, zone: Zone, unix: i64, micros: u32) -> String {
        let mut stamper = Stamper::new(kind, zone);
        let (text, len) = stamper.stamp(Tai64N::from_unix_micros(unix, micros));
        String::from_utf8(text[..len].to_vec()).expect("text")
    }

    /// What tai64nlocal prints for the label of this time.
    fn tai64nlocal(zone: Zone, time: Tai64N) -> String {
        let mut out = Vec::new();
        Localizer::new(zone).feed(&[&time.to_label()[..], b" "].concat(), &mut out);
        String::from_utf8(out).expect("text")
    }

    #[test]
    fn each_kind_in_utc() {
        // 2023-11-14 22:13:20 UTC.
        let t = 1_700_000_000;
        assert_eq!(
            stamp(Stamp::Tai64n, Zone::UTC, t, 42),
            "@400000006553f10a0000a604 "
        );
        assert_eq!(stamp(Stamp::Unix, Zone::UTC, t, 42), "1700000000.000042 ");
        assert_eq!(stamp(Stamp::Unix, Zone::UTC, 5, 999_999), "5.999999 ");
        assert_eq!(
            stamp(Stamp::Local, Zone::UTC, t, 42),
            "2023-11-14 22:13:20.000042500 "
        );
        assert_eq!(
            stamp(Stamp::LocalMillis, Zone::UTC, t, 123_456),
            "2023-11-14 22:13:20.123 "
        );
        assert_eq!(
            stamp(Stamp::Rfc3339, Zone::UTC, t, 42),
            "2023-11-14T22:13:20.000042500+00:00 "
        );
    }

    #[test]
    fn local_time_across_a_dst_change() {
        // 2026-03-08 06:59:59 UTC is 01:59:59 EST; two seconds later, 03:00:01 EDT.
        let before = 1_772_953_199;
        assert_eq!(
            stamp(Stamp::Local, new_york(), before, 0),
            "2026-03-08 01:59:59.000000500 "
        );
        assert_eq!(
            stamp(Stamp::Rfc3339, new_york(), before, 0),
            "2026-03-08T01:59:59.000000500-05:00 "
        );
        assert_eq!(
            stamp(Stamp::Rfc3339, new_york(), before + 2, 0),
            "2026-03-08T03:00:01.000000500-04:00 "
        );
        assert_eq!(
            stamp(Stamp::LocalMillis, new_york(), before + 2, 999_999),
            "2026-03-08 03:00:01.999 "
        );
        let kolkata = Zone::from_env(Some(b"IST-5:30"), None, &mut |_| None);
        assert_eq!(
            stamp(Stamp::Rfc3339, kolkata, before, 0),
            "2026-03-08T12:29:59.000000500+05:30 "
        );
    }

    #[test]
    fn a_time_local_time_cannot_show_gets_its_label() {
        let time = Tai64N {
            secs: u64::MAX,
            nanos: 0,
        };
        for kind in [Stamp::Local, Stamp::LocalMillis, Stamp::Rfc3339] {
            let mut stamper = Stamper::new(kind, Zone::UTC);
            let (text, len) = stamper.stamp(time);
            assert_eq!(&text[..len], b"@ffffffffffffffff00000000 ", "{kind:?}");
        }
    }

    #[test]
    fn the_stamp_is_made_once_per_time() {
        let mut stamper = Stamper::new(Stamp::Local, new_york());
        let a = Tai64N::from_unix_micros(1_772_953_199, 1);
        let b = Tai64N::from_unix_micros(1_772_953_201, 1);
        let first = stamper.stamp(a).0[..30].to_vec();
        assert_eq!(stamper.stamp(a).0[..30], first[..]);
        assert_ne!(stamper.stamp(b).0[..30], first[..]);
    }

    fn zones() -> Vec<Zone> {
        let read = &mut |p: &[u8]| std::fs::read(std::ffi::OsStr::new(std::str::from_utf8(p).ok()?)).ok();
        vec![
            Zone::UTC,
            new_york(),
            Zone::from_env(Some(b"America/New_York"), None, read),
            Zone::from_env(Some(b"Australia/Lord_Howe"), None, read),
            Zone::from_env(None, None, read),
        ]
    }

    proptest! {
        /// `d` is what tai64nlocal prints for the label; `m` cuts it to the
        /// millisecond; `i` is `d` with a `T` and the offset that turns the UTC time
        /// into the local one shown.
        #[test]
        fn local_stamps_are_tai64nlocals_text(
            unix in 0i64..4_102_444_800,
            micros in 0u32..1_000_000,
            which in 0usize..5,
        ) {
            let zone = zones().swap_remove(which);
            let time = Tai64N::from_unix_micros(unix, micros);
            let d = stamp(Stamp::Local, zone.clone(), unix, micros);
            prop_assert_eq!(&d, &tai64nlocal(zone.clone(), time));
            let m = stamp(Stamp::LocalMillis, zone.clone(), unix, micros);
            prop_assert_eq!(&m, &format!("{} ", &d[..23]));
            let i = stamp(Stamp::Rfc3339, zone.clone(), unix, micros);
            prop_assert_eq!(&i[..i.len() - 7], &d[..d.len() - 1].replacen(' ', "T", 1));
            let offset = &i[i.len() - 7..i.len() - 1];
            let sign = if offset.starts_with('-') { -1 } else { 1 };
            let (h, min): (i64, i64) = (offset[1..3].parse().unwrap(), offset[4..6].parse().unwrap());
            let shown = offtime(unix, sign * (h * 3600 + min * 60)).expect("a time");
            let wall = format!(
                "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
                shown.year + 1900, shown.mon + 1, shown.mday, shown.hour, shown.min, shown.sec
            );
            prop_assert_eq!(&d[..19], &wall[..]);
            let t = stamp(Stamp::Unix, zone, unix, micros);
            prop_assert_eq!(t, format!("{unix}.{micros:06} "));
        }
    }
}

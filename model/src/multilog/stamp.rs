//! The text that starts each line under a timestamp action: `t`'s TAI64N label, or
//! one of the extensions `T` (UNIX time, encore's), `d` and `m` (local time as
//! tai64nlocal prints it, to the nanosecond or the millisecond) and `i` (RFC 3339
//! local time with its offset). Each is followed by a space.
//!
//! Lines read together share one time, so a stamp is made once per read: the last
//! one is kept with its time.

use super::script::Stamp;
use crate::tai64::{LABEL_LEN, Tai64N};
use crate::tai64nlocal::Localizer;
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
                put(decimal(&mut [0; 20], time.unix_secs() as u64, 1));
                put(b".");
                put(decimal(&mut [0; 20], u64::from(time.nanos / 1000), 6));
            }
            Stamp::Local | Stamp::LocalMillis | Stamp::Rfc3339 => {
                self.local.clear();
                self.localizer.feed(&time.to_label(), &mut self.local);
                self.localizer.feed(b" \n", &mut self.local);
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

/// `n` in decimal with at least `width` (at most 20) digits, written into `buf`.
fn decimal(buf: &mut [u8; 20], mut n: u64, width: usize) -> &[u8] {
    buf.fill(b'0');
    let mut start = buf.len();
    loop {
        start -= 1;
        buf[start] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    &buf[start.min(buf.len() - width)..]
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

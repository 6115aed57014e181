//! TAI64 and TAI64N labels with daemontools' epoch convention.
//!
//! daemontools assumes TAI = UTC + 10 s and ignores leap seconds, so the label of
//! UNIX second `t` is `2^62 + 10 + t` (spec 1.7). The `tai64` crate (4.1 and later)
//! counts 37 s instead, which is why this arithmetic is owned here.
//!
//! Nanoseconds come from `gettimeofday`'s microseconds as `µs × 1000 + 500`, so every
//! label upstream writes ends in decimal `…500`.

/// The TAI64 seconds field of UNIX time 0.
pub const UNIX_EPOCH: u64 = (1 << 62) + 10;

/// Length of the external form: `@` and 24 lower-case hex digits.
pub const LABEL_LEN: usize = 25;

const HEX: &[u8; 16] = b"0123456789abcdef";

/// The two hex digits of every byte.
const HEX_PAIRS: [[u8; 2]; 256] = {
    let mut table = [[0u8; 2]; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = [HEX[b >> 4], HEX[b & 15]];
        b += 1;
    }
    table
};

/// A TAI64N moment: the 8-byte seconds field and the 4-byte nanoseconds field.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Tai64N {
    pub secs: u64,
    pub nanos: u32,
}

impl Tai64N {
    /// The label upstream writes for a `gettimeofday` reading (taia_now + taia_pack).
    pub fn from_unix_micros(unix_secs: i64, micros: u32) -> Tai64N {
        Tai64N {
            secs: UNIX_EPOCH.wrapping_add(unix_secs as u64),
            nanos: micros * 1000 + 500,
        }
    }

    /// UNIX seconds of this label, wrapping exactly as upstream's 64-bit arithmetic does.
    pub fn unix_secs(self) -> i64 {
        self.secs.wrapping_sub(UNIX_EPOCH) as i64
    }

    /// The 12-byte packed form: seconds then nanoseconds, both big-endian.
    pub fn to_bytes(self) -> [u8; 12] {
        let mut b = [0u8; 12];
        b[..8].copy_from_slice(&self.secs.to_be_bytes());
        b[8..].copy_from_slice(&self.nanos.to_be_bytes());
        b
    }

    pub fn from_bytes(b: [u8; 12]) -> Tai64N {
        let mut secs = [0u8; 8];
        let mut nanos = [0u8; 4];
        secs.copy_from_slice(&b[..8]);
        nanos.copy_from_slice(&b[8..]);
        Tai64N {
            secs: u64::from_be_bytes(secs),
            nanos: u32::from_be_bytes(nanos),
        }
    }

    /// The external form `@` + 24 lower-case hex digits. (On every line of tai64n
    /// and `multilog t`: a byte's two digits come from one table lookup.)
    pub fn to_label(self) -> [u8; LABEL_LEN] {
        let mut out = [b'@'; LABEL_LEN];
        for (i, &byte) in self.to_bytes().iter().enumerate() {
            out[1 + 2 * i..3 + 2 * i].copy_from_slice(&HEX_PAIRS[usize::from(byte)]);
        }
        out
    }

    /// Parses exactly the external form (`@` + 24 lower-case hex digits).
    pub fn parse_label(text: &[u8]) -> Option<Tai64N> {
        if text.len() != LABEL_LEN || text[0] != b'@' {
            return None;
        }
        let mut b = [0u8; 12];
        for (i, pair) in text[1..].chunks_exact(2).enumerate() {
            b[i] = (lower_hex_value(pair[0])? << 4) | lower_hex_value(pair[1])?;
        }
        Some(Tai64N::from_bytes(b))
    }
}

/// The value of a lower-case hex digit; upper case is not a digit to daemontools.
pub fn lower_hex_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_manual_example_label() {
        // tai64nlocal(8): @4000000037c219bf2ef02e94 is 1999-08-24 04:04:05.787492500 UTC.
        let t = Tai64N::parse_label(b"@4000000037c219bf2ef02e94").unwrap();
        assert_eq!(t.unix_secs(), 935_467_445);
        assert_eq!(t.nanos, 787_492_500);
        assert_eq!(&t.to_label(), b"@4000000037c219bf2ef02e94");
    }

    #[test]
    fn labels_written_by_upstream_tai64n() {
        // The first two were written by Debian's tai64n on this project's machine.
        let cases: &[(&[u8; 25], i64, u32)] = &[
            (b"@400000006b060a372c386194", 1_795_557_933, 741_892_500),
            (b"@400000006b060a372c575f2c", 1_795_557_933, 743_923_500),
            (b"@400000000000000a00000000", 0, 0),
            (b"@400000000000000000000000", -10, 0),
        ];
        for (label, unix, nanos) in cases {
            let t = Tai64N::parse_label(&label[..]).unwrap();
            assert_eq!((t.unix_secs(), t.nanos), (*unix, *nanos));
            assert_eq!(&t.to_label(), *label);
        }
    }

    #[test]
    fn gettimeofday_readings_end_in_500_nanoseconds() {
        let t = Tai64N::from_unix_micros(935_467_445, 787_492);
        assert_eq!(&t.to_label(), b"@4000000037c219bf2ef02e94");
        assert_eq!(Tai64N::from_unix_micros(0, 0).nanos, 500);
        assert_eq!(Tai64N::from_unix_micros(0, 999_999).nanos, 999_999_500);
    }

    #[test]
    fn epoch_is_ten_seconds_after_2_to_the_62() {
        assert_eq!(Tai64N::from_unix_micros(0, 0).secs, 0x4000_0000_0000_000a);
        assert_eq!(Tai64N::from_unix_micros(-10, 0).secs, 0x4000_0000_0000_0000);
    }

    #[test]
    fn rejects_anything_but_the_exact_external_form() {
        assert_eq!(Tai64N::parse_label(b"@4000000037C219BF2EF02E94"), None);
        assert_eq!(Tai64N::parse_label(b"4000000037c219bf2ef02e94 "), None);
        assert_eq!(Tai64N::parse_label(b"@4000000037c219bf2ef02e9"), None);
        assert_eq!(Tai64N::parse_label(b"@4000000037c219bf2ef02e9g"), None);
    }

    proptest! {
        #[test]
        fn label_text_round_trips(secs: u64, nanos: u32) {
            let t = Tai64N { secs, nanos };
            prop_assert_eq!(Tai64N::parse_label(&t.to_label()), Some(t));
            prop_assert_eq!(Tai64N::from_bytes(t.to_bytes()), t);
        }

        #[test]
        fn unix_time_round_trips(unix in -(1i64 << 40)..(1i64 << 40), micros in 0u32..1_000_000) {
            let t = Tai64N::from_unix_micros(unix, micros);
            prop_assert_eq!(t.unix_secs(), unix);
            prop_assert_eq!(t.nanos % 1000, 500);
        }
    }
}

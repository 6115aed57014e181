//! readproctitle's display (spec 8): the last argument, overwritten with dots,
//! shows the latest bytes of the input, scrolling left, behind three dots that
//! stay; NUL bytes are dropped.

/// The shortest last argument readproctitle accepts (else it exits 100).
pub const SHORTEST: usize = 5;

/// The dots that never scroll away.
const KEPT: usize = 3;

/// The bytes the last argument holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Title {
    bytes: Vec<u8>,
}

impl Title {
    /// The argument of `len` bytes, all dots.
    pub fn new(len: usize) -> Title {
        Title {
            bytes: vec![b'.'; len],
        }
    }

    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Shows `input` after what was shown (an argument shorter than `SHORTEST`
    /// never gets here).
    pub fn push(&mut self, input: &[u8]) {
        let kept = KEPT.min(self.bytes.len());
        let window = &mut self.bytes[kept..];
        let width = window.len();
        let fresh = input.iter().filter(|&&b| b != 0).count().min(width);
        // What was shown moves `fresh` places left; the newest `fresh` bytes of
        // the input fill the right end.
        window.copy_within(fresh.., 0);
        let newest = input.iter().rev().filter(|&&b| b != 0).take(fresh);
        for (slot, &b) in window.iter_mut().rev().zip(newest) {
            *slot = b;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Upstream's loop, one byte at a time.
    fn upstream(len: usize, input: &[u8]) -> Vec<u8> {
        let mut buf = vec![b'.'; len];
        for &ch in input {
            if ch != 0 {
                for i in 4..len {
                    buf[i - 1] = buf[i];
                }
                buf[len - 1] = ch;
            }
        }
        buf
    }

    #[test]
    fn scrolls_behind_three_dots() {
        let mut t = Title::new(8);
        t.push(b"ab\0c");
        assert_eq!(t.bytes(), b".....abc");
        t.push(b"defgh");
        assert_eq!(t.bytes(), b"...defgh");
        t.push(b"0123456789");
        assert_eq!(t.bytes(), b"...56789");
    }

    proptest! {
        #[test]
        fn agrees_with_upstream_byte_by_byte(
            len in SHORTEST..40usize,
            chunks in proptest::collection::vec(proptest::collection::vec(prop_oneof![Just(0u8), any::<u8>()], 0..50), 0..8),
        ) {
            let mut t = Title::new(len);
            for chunk in &chunks {
                t.push(chunk);
            }
            prop_assert_eq!(t.bytes(), &upstream(len, &chunks.concat())[..]);
        }
    }
}

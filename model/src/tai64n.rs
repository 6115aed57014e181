//! tai64n's transformation: every line gets `@<label> ` in front (spec 12).
//!
//! The label is the time at which the line's first byte was taken from the input;
//! the caller supplies that time, so this is pure and replayable.

use crate::tai64::{LABEL_LEN, Tai64N};

/// Labels lines of a byte stream fed in arbitrary chunks.
#[derive(Clone, Debug)]
pub struct Stamper {
    at_line_start: bool,
}

impl Default for Stamper {
    fn default() -> Self {
        Stamper { at_line_start: true }
    }
}

impl Stamper {
    pub fn new() -> Stamper {
        Stamper::default()
    }

    /// Appends to `out` the labelled form of `input`, asking `now` for a label once
    /// for each line that starts in `input`. A line without its newline yet is
    /// continued by the next call; nothing is ever added at the end of input.
    /// (`now` is a trait object so that this loop is compiled here, with the
    /// model's optimisation, not in the caller's crate, which is built for size.)
    pub fn feed(&mut self, input: &[u8], out: &mut Vec<u8>, now: &mut dyn FnMut() -> Tai64N) {
        let mut rest = input;
        while !rest.is_empty() {
            if self.at_line_start {
                out.reserve(LABEL_LEN + 1 + rest.len());
                out.extend_from_slice(&now().to_label());
                out.push(b' ');
            }
            match memchr::memchr(b'\n', rest) {
                Some(i) => {
                    out.extend_from_slice(&rest[..=i]);
                    rest = &rest[i + 1..];
                    self.at_line_start = true;
                }
                None => {
                    out.extend_from_slice(rest);
                    self.at_line_start = false;
                    return;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A clock that advances one microsecond per reading.
    fn ticking_clock() -> impl FnMut() -> Tai64N {
        let mut micros = 0;
        move || {
            micros += 1;
            Tai64N::from_unix_micros(1_700_000_000, micros)
        }
    }

    fn stamp_chunks(chunks: &[&[u8]]) -> Vec<u8> {
        let mut s = Stamper::new();
        let mut out = Vec::new();
        let mut clock = ticking_clock();
        for c in chunks {
            s.feed(c, &mut out, &mut clock);
        }
        out
    }

    #[test]
    fn labels_each_line_with_its_own_reading() {
        let out = stamp_chunks(&[b"one\ntwo\n\nlast"]);
        insta::assert_snapshot!(String::from_utf8(out).unwrap(), @r"
        @400000006553f10a000005dc one
        @400000006553f10a000009c4 two
        @400000006553f10a00000dac 
        @400000006553f10a00001194 last
        ");
    }

    #[test]
    fn empty_input_gives_nothing() {
        assert_eq!(stamp_chunks(&[]), b"");
        assert_eq!(stamp_chunks(&[b"", b""]), b"");
    }

    #[test]
    fn a_line_split_across_chunks_is_labelled_once_when_it_starts() {
        let mut s = Stamper::new();
        let mut out = Vec::new();
        let mut readings = 0;
        let mut clock = || {
            readings += 1;
            Tai64N::from_unix_micros(0, readings)
        };
        s.feed(b"par", &mut out, &mut clock);
        s.feed(b"tial\nx", &mut out, &mut clock);
        assert_eq!(readings, 2);
        assert_eq!(&out[26..], b"partial\n@400000000000000a000009c4 x");
    }

    proptest! {
        /// Chunking never changes the output, and removing the labels gives the input back.
        #[test]
        fn output_is_input_with_one_label_per_line(
            input in proptest::collection::vec(prop_oneof![Just(b'\n'), any::<u8>()], 0..400),
            cuts in proptest::collection::vec(0usize..400, 0..8),
        ) {
            let whole = stamp_chunks(&[&input]);
            let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(input.len())).collect();
            cuts.sort();
            let mut chunks = Vec::new();
            let mut start = 0;
            for c in cuts {
                chunks.push(&input[start..c]);
                start = c;
            }
            chunks.push(&input[start..]);
            prop_assert_eq!(&stamp_chunks(&chunks), &whole);

            let mut unlabelled = Vec::new();
            let mut lines = 0;
            for line in whole.split_inclusive(|&c| c == b'\n') {
                prop_assert!(Tai64N::parse_label(&line[..25]).is_some());
                prop_assert_eq!(line[25], b' ');
                unlabelled.extend_from_slice(&line[26..]);
                lines += 1;
            }
            prop_assert_eq!(unlabelled, input.clone());
            prop_assert_eq!(lines, input.split_inclusive(|&c| c == b'\n').count());
        }
    }
}

//! multilog's patterns (spec 11.3): literal bytes and `*`, matched left to right
//! without backtracking. A `*` followed by a byte skips to the first occurrence of
//! that byte; a trailing `*` matches the rest; the whole line must be consumed.
//! So `*o` does not match `foo` (the `*` stops at the first `o`, and `o` is left
//! over), and the empty pattern matches only the empty line.

pub fn matches(pattern: &[u8], line: &[u8]) -> bool {
    let (mut p, mut s) = (pattern, line);
    loop {
        match p {
            [] => return s.is_empty(),
            [b'*'] => return true,
            [b'*', next, ..] => match memchr::memchr(*next, s) {
                // Skip to the byte after the star, which the next turn matches.
                Some(i) => {
                    s = &s[i..];
                    p = &p[1..];
                }
                None => return false,
            },
            [c, rest @ ..] => match s {
                [first, tail @ ..] if first == c => {
                    s = tail;
                    p = rest;
                }
                _ => return false,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::matches;
    use proptest::prelude::*;

    #[test]
    fn the_cases_of_the_specification() {
        let m = |p: &str, s: &str| matches(p.as_bytes(), s.as_bytes());
        assert!(!m("*o", "foo"));
        assert!(!m("f*o", "foo"));
        assert!(m("*oo", "foo"));
        assert!(m("", ""));
        assert!(!m("", "x"));
        assert!(m("* one", "x one"));
        assert!(!m("* one", "xy one "));
        assert!(m("*", ""));
        assert!(m("*", "anything"));
        assert!(m("*DEBUG*", "a DEBUG line"));
        assert!(!m("*DEBUG*", "no debug"));
        assert!(m("a?[", "a?["), "only * is special");
        // A star before a star skips to the first literal star.
        assert!(!m("**", "x"));
        assert!(m("**", "x*y"));
    }

    /// Upstream's loop, transcribed over indices, to compare with.
    fn upstream(pattern: &[u8], buf: &[u8]) -> bool {
        let (mut p, mut b) = (0, 0);
        loop {
            let Some(&ch) = pattern.get(p) else {
                return b == buf.len();
            };
            p += 1;
            if ch == b'*' {
                let Some(&next) = pattern.get(p) else { return true };
                loop {
                    if b == buf.len() {
                        return false;
                    }
                    if buf[b] == next {
                        break;
                    }
                    b += 1;
                }
                continue;
            }
            if b == buf.len() || buf[b] != ch {
                return false;
            }
            b += 1;
        }
    }

    proptest! {
        #[test]
        fn same_as_upstreams_loop(
            pattern in proptest::collection::vec(prop_oneof![Just(b'*'), Just(b'a'), Just(b'b')], 0..8),
            line in proptest::collection::vec(prop_oneof![Just(b'*'), Just(b'a'), Just(b'b')], 0..12),
        ) {
            prop_assert_eq!(matches(&pattern, &line), upstream(&pattern, &line));
        }
    }
}

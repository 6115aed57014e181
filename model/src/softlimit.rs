//! softlimit's options (spec 17): which resource limits each letter sets, and the
//! soft limit a value asks for.

/// The resource limits softlimit knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resource {
    As,
    Core,
    Cpu,
    Data,
    Fsize,
    Memlock,
    Nofile,
    Nproc,
    Rss,
    Stack,
}

/// getopt's option string: every letter takes a value.
pub const OPTIONS: &str = "a:c:d:f:l:m:o:p:r:s:t:";

/// The limits an option letter sets, in upstream's order. `-m` sets four; `-o` sets
/// NOFILE twice, because glibc also defines its BSD name RLIMIT_OFILE.
pub fn resources(option: u8) -> &'static [Resource] {
    use Resource::*;
    match option {
        b'a' => &[As],
        b'c' => &[Core],
        b'd' => &[Data],
        b'f' => &[Fsize],
        b'l' => &[Memlock],
        b'm' => &[Data, Stack, Memlock, As],
        b'o' => &[Nofile, Nofile],
        b'p' => &[Nproc],
        b'r' => &[Rss],
        b's' => &[Stack],
        b't' => &[Cpu],
        _ => &[],
    }
}

/// What an option's value asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Limit {
    /// `=`: the hard limit.
    Hard,
    /// A number (decimal digits only, possibly none; it wraps like C's unsigned long).
    Value(u64),
}

/// `None` for a value upstream rejects with its usage message.
pub fn parse(arg: &[u8]) -> Option<Limit> {
    if arg == b"=" {
        return Some(Limit::Hard);
    }
    arg.iter()
        .try_fold(0u64, |n, &c| {
            c.is_ascii_digit()
                .then(|| n.wrapping_mul(10).wrapping_add(u64::from(c - b'0')))
        })
        .map(Limit::Value)
}

/// The new soft limit, given the hard one: never above it.
pub fn soft(limit: Limit, hard: u64) -> u64 {
    match limit {
        Limit::Hard => hard,
        Limit::Value(v) => v.min(hard),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values() {
        assert_eq!(parse(b"="), Some(Limit::Hard));
        assert_eq!(parse(b"100"), Some(Limit::Value(100)));
        assert_eq!(parse(b""), Some(Limit::Value(0)));
        assert_eq!(parse(b"18446744073709551616"), Some(Limit::Value(0)), "wraps");
        for bad in [&b"-1"[..], b"1k", b" 1", b"==", b"unlimited"] {
            assert_eq!(parse(bad), None);
        }
    }

    #[test]
    fn clamped_to_the_hard_limit() {
        assert_eq!(soft(Limit::Value(5000), 1024), 1024);
        assert_eq!(soft(Limit::Value(10), 1024), 10);
        assert_eq!(soft(Limit::Hard, 1024), 1024);
    }

    #[test]
    fn every_option_letter_sets_something() {
        for c in OPTIONS.bytes().filter(|&c| c != b':') {
            assert!(!resources(c).is_empty(), "{}", c as char);
        }
        assert_eq!(resources(b'm').len(), 4);
    }
}

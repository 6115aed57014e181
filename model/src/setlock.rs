//! setlock's options (spec 18); a later option overrides an earlier one.

/// getopt's option string.
pub const OPTIONS: &str = "nNxX";

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Options {
    /// `-n`: fail at once if the lock is held (default `-N`: wait).
    pub nonblocking: bool,
    /// `-x`: exit 0 quietly if the file cannot be opened or locked (default `-X`).
    pub quiet: bool,
}

impl Options {
    /// Takes one option letter; false for a letter setlock does not know.
    pub fn take(&mut self, option: u8) -> bool {
        match option {
            b'n' => self.nonblocking = true,
            b'N' => self.nonblocking = false,
            b'x' => self.quiet = true,
            b'X' => self.quiet = false,
            _ => return false,
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn later_options_override_earlier_ones() {
        let mut o = Options::default();
        for c in *b"nxNX" {
            assert!(o.take(c));
        }
        assert_eq!(o, Options::default());
        assert!(o.take(b'n') && o.nonblocking);
        assert!(!o.take(b'z'));
    }
}

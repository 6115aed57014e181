//! Upstream's option parser (djb's sgetopt, spec 1.3), used by svc, setlock and
//! softlimit.
//!
//! Options are recognised only up to the first argument that does not start with
//! `-`; `--` ends them and is consumed; a lone `-` ends them and is an operand.
//! Clusters (`-dx`) and attached or separate option arguments (`-o5`, `-o 5`) work.

/// One result of [`GetOpt::next`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Opt<'a> {
    /// An option letter without an argument.
    Flag(u8),
    /// An option letter and its argument.
    Arg(u8, &'a [u8]),
    /// A letter not in the option string: `illegal option -- c`.
    Illegal(u8),
    /// An option whose argument is missing: `option requires an argument -- c`.
    MissingArg(u8),
}

/// Walks `argv` (program name first) against an option string like `"nNxX"` or
/// `"a:c:d:"`, where `:` marks a letter that takes an argument.
#[derive(Clone, Debug)]
pub struct GetOpt<'a, S: AsRef<[u8]>> {
    argv: &'a [S],
    spec: &'a [u8],
    index: usize,
    pos: usize,
    done: bool,
}

impl<'a, S: AsRef<[u8]>> GetOpt<'a, S> {
    pub fn new(argv: &'a [S], spec: &'a str) -> Self {
        GetOpt {
            argv,
            spec: spec.as_bytes(),
            index: 1,
            pos: 0,
            done: false,
        }
    }

    /// The index of the first operand, once `next` has returned `None`.
    pub fn operands_start(&self) -> usize {
        self.index.min(self.argv.len())
    }

    fn arg(&self, i: usize) -> Option<&'a [u8]> {
        self.argv.get(i).map(AsRef::as_ref)
    }

    fn takes_argument(&self, c: u8) -> Option<bool> {
        let spec = self.spec;
        let mut i = 0;
        while i < spec.len() {
            let letter = spec[i];
            let with_arg = spec.get(i + 1) == Some(&b':');
            if letter == c {
                return Some(with_arg);
            }
            i += 1 + usize::from(with_arg);
        }
        None
    }

    /// The next option, or `None` at the first operand (or the end).
    pub fn next(&mut self) -> Option<Opt<'a>> {
        if self.done {
            return None;
        }
        let mut current = self.arg(self.index)?;
        if self.pos > 0 && self.pos >= current.len() {
            self.index += 1;
            self.pos = 0;
            current = self.arg(self.index)?;
        }
        if self.pos == 0 {
            match current {
                // `--` (or anything starting with it) ends the options and is consumed.
                [b'-', b'-', ..] => {
                    self.index += 1;
                    self.done = true;
                    return None;
                }
                [b'-', _, ..] => self.pos = 1,
                // An operand, or a lone `-`, which is an operand too.
                _ => {
                    self.done = true;
                    return None;
                }
            }
        }
        let c = current[self.pos];
        self.pos += 1;
        match self.takes_argument(c) {
            None => Some(Opt::Illegal(c)),
            Some(false) => Some(Opt::Flag(c)),
            Some(true) => {
                let attached = &current[self.pos..];
                self.index += 1;
                self.pos = 0;
                if !attached.is_empty() {
                    return Some(Opt::Arg(c, attached));
                }
                match self.arg(self.index) {
                    Some(separate) => {
                        self.index += 1;
                        Some(Opt::Arg(c, separate))
                    }
                    None => Some(Opt::MissingArg(c)),
                }
            }
        }
    }
}

/// The name the parser's complaints start with: argv[0] after its last `/`.
pub fn progname(argv0: &[u8]) -> &[u8] {
    argv0.rsplit(|&c| c == b'/').next().unwrap_or(argv0)
}

/// The parser's own complaint about an option, newline included, or `None` for a
/// valid option.
pub fn complaint(argv0: &[u8], opt: &Opt) -> Option<Vec<u8>> {
    let (text, c): (&[u8], u8) = match *opt {
        Opt::Illegal(c) => (b": illegal option -- ", c),
        Opt::MissingArg(c) => (b": option requires an argument -- ", c),
        Opt::Flag(_) | Opt::Arg(..) => return None,
    };
    Some([progname(argv0), text, &[c, b'\n']].concat())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every option then the operands, as text.
    fn parse(spec: &str, argv: &[&str]) -> (Vec<String>, Vec<String>) {
        let argv: Vec<&[u8]> = argv.iter().map(|a| a.as_bytes()).collect();
        let mut g = GetOpt::new(&argv, spec);
        let mut opts = Vec::new();
        while let Some(o) = g.next() {
            opts.push(match o {
                Opt::Flag(c) => format!("{}", c as char),
                Opt::Arg(c, a) => format!("{}={}", c as char, String::from_utf8_lossy(a)),
                Opt::Illegal(c) => format!("illegal {}", c as char),
                Opt::MissingArg(c) => format!("missing {}", c as char),
            });
        }
        let rest = argv[g.operands_start()..]
            .iter()
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        (opts, rest)
    }

    #[test]
    fn clusters_and_order() {
        assert_eq!(
            parse("udx", &["svc", "-dx", "-u", "s"]),
            (vec!["d".into(), "x".into(), "u".into()], vec!["s".into()])
        );
    }

    #[test]
    fn options_stop_at_the_first_operand() {
        assert_eq!(
            parse("u", &["svc", "s1", "-u"]),
            (vec![], vec!["s1".into(), "-u".into()])
        );
    }

    #[test]
    fn double_dash_is_consumed_and_single_dash_is_an_operand() {
        assert_eq!(
            parse("u", &["p", "-u", "--", "-u"]),
            (vec!["u".into()], vec!["-u".into()])
        );
        assert_eq!(
            parse("u", &["p", "-", "-u"]),
            (vec![], vec!["-".into(), "-u".into()])
        );
        assert_eq!(parse("u", &["p", "--x"]), (vec![], vec![]));
    }

    #[test]
    fn arguments_attached_separate_and_empty() {
        assert_eq!(parse("o:", &["p", "-o5", "x"]).0, vec!["o=5"]);
        assert_eq!(
            parse("o:", &["p", "-o", "5", "x"]),
            (vec!["o=5".into()], vec!["x".into()])
        );
        assert_eq!(parse("o:", &["p", "-o", ""]), (vec!["o=".into()], vec![]));
        assert_eq!(
            parse("ao:", &["p", "-ao", "-a"]),
            (vec!["a".into(), "o=-a".into()], vec![])
        );
    }

    #[test]
    fn problems() {
        assert_eq!(parse("u", &["p", "-z"]).0, vec!["illegal z"]);
        assert_eq!(parse("o:", &["p", "-o"]).0, vec!["missing o"]);
    }

    #[test]
    fn complaint_uses_the_basename_of_argv0() {
        assert_eq!(
            complaint(b"/usr/bin/svc", &Opt::Illegal(b'z')).unwrap(),
            b"svc: illegal option -- z\n"
        );
        assert_eq!(
            complaint(b"", &Opt::Illegal(b'z')).unwrap(),
            b": illegal option -- z\n"
        );
        assert_eq!(
            complaint(b"softlimit", &Opt::MissingArg(b'm')).unwrap(),
            b"softlimit: option requires an argument -- m\n"
        );
        assert_eq!(complaint(b"svc", &Opt::Flag(b'u')), None);
    }

    #[test]
    fn no_arguments_at_all() {
        let argv: [&[u8]; 0] = [];
        assert_eq!(GetOpt::new(&argv, "u").next(), None);
    }
}

//! svc's decisions (spec 3): which control bytes its options make, and how it
//! words a directory it cannot control.
//!
//! Each option letter is sent once, in the order of its first appearance
//! (`svc -xdux -t -k` writes `xdutk`); options end at the first directory. An
//! unknown letter is a usage error. A control FIFO without a reader (the open
//! fails with ENXIO) means supervise is not running, said without the error's text.

use crate::getopt::{GetOpt, Opt, complaint};

/// The option letters, each also the control byte it sends: 0.76's, then the
/// extensions' (svc(8), EXTENSIONS): quit, usr1, usr2, winch (w as encore, y as
/// s6), abort, restart, the process group for what follows and back to the pid
/// (encore's + =), stop, continue and kill the group (s6's P C K). The usage line
/// stays 0.76's.
pub const LETTERS: &str = "udopchaitkxq12wybr+=PCK";

/// The line after a usage complaint.
pub const USAGE: &[u8] =
    b"svc options: u up, d down, o once, x exit, p pause, c continue, h hup, a alarm, i interrupt, t term, k kill\n";

/// What svc's arguments ask for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// The bytes to write to each directory's control FIFO, in one write.
    pub commands: Vec<u8>,
    /// Where the directories start in argv.
    pub dirs_start: usize,
}

/// Reads argv (program name first): the request, or the text to print before
/// exiting 100.
pub fn request<S: AsRef<[u8]>>(argv: &[S]) -> Result<Request, Vec<u8>> {
    let mut getopt = GetOpt::new(argv, LETTERS);
    let mut commands = Vec::new();
    while let Some(opt) = getopt.next() {
        match opt {
            Opt::Flag(c) if !commands.contains(&c) => commands.push(c),
            Opt::Flag(_) => {}
            Opt::Arg(..) | Opt::Illegal(_) | Opt::MissingArg(_) => {
                let argv0 = argv.first().map_or(&b""[..], AsRef::as_ref);
                let mut text = complaint(argv0, &opt).unwrap_or_default();
                text.extend_from_slice(USAGE);
                return Err(text);
            }
        }
    }
    Ok(Request {
        commands,
        dirs_start: getopt.operands_start(),
    })
}

/// How opening `<dir>/supervise/control` for writing failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ControlOpen {
    /// ENXIO: the FIFO has no reader.
    NoReader,
    /// Any other error.
    Failed,
}

/// The warning for a directory whose control FIFO cannot be opened, and whether the
/// error's text follows it.
pub fn control_warning(dir: &[u8], failure: ControlOpen) -> (Vec<u8>, bool) {
    match failure {
        ControlOpen::NoReader => (
            [b"unable to control ", dir, b": supervise not running"].concat(),
            false,
        ),
        ControlOpen::Failed => ([b"unable to control ", dir].concat(), true),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn req(args: &[&str]) -> Result<Request, String> {
        let argv: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
        request(&argv).map_err(|t| String::from_utf8(t).unwrap())
    }

    #[test]
    fn letters_once_in_order_of_first_appearance() {
        let r = req(&["svc", "-xdux", "-t", "-k", "s"]).unwrap();
        assert_eq!(r.commands, b"xdutk");
        assert_eq!(r.dirs_start, 4);
        assert_eq!(
            req(&["svc", "s", "-u"]).unwrap(),
            Request {
                commands: vec![],
                dirs_start: 1
            }
        );
        assert_eq!(req(&["svc", "-h", "--", "-u"]).unwrap().commands, b"h");
    }

    #[test]
    fn an_unknown_letter_is_a_usage_error() {
        insta::assert_snapshot!(req(&["svc", "-uz", "s"]).unwrap_err(), @r"
        svc: illegal option -- z
        svc options: u up, d down, o once, x exit, p pause, c continue, h hup, a alarm, i interrupt, t term, k kill
        ");
        assert!(
            req(&["/usr/bin/svc", "-Q"])
                .unwrap_err()
                .starts_with("svc: illegal option -- Q\n")
        );
    }

    #[test]
    fn the_extensions_letters_are_commands() {
        assert_eq!(
            req(&["svc", "-q12w", "-ybr", "-q", "s"]).unwrap().commands,
            b"q12wybr"
        );
        assert_eq!(req(&["svc", "-dr", "s"]).unwrap().commands, b"dr");
        assert_eq!(
            req(&["svc", "-+th", "-=", "-PCK", "s"]).unwrap().commands,
            b"+th=PCK"
        );
    }

    #[test]
    fn a_fifo_without_reader_means_supervise_is_not_running() {
        assert_eq!(
            control_warning(b"s", ControlOpen::NoReader),
            (b"unable to control s: supervise not running".to_vec(), false)
        );
        assert_eq!(
            control_warning(b"s", ControlOpen::Failed),
            (b"unable to control s".to_vec(), true)
        );
    }

    proptest! {
        #[test]
        fn commands_are_distinct_letters_in_first_appearance_order(
            clusters in proptest::collection::vec(proptest::collection::vec(proptest::sample::select(LETTERS.as_bytes()), 1..6), 0..6)
        ) {
            let mut argv: Vec<Vec<u8>> = vec![b"svc".to_vec()];
            for c in &clusters {
                argv.push([b"-".as_slice(), c].concat());
            }
            argv.push(b"s".to_vec());
            let r = request(&argv).unwrap();
            let mut expected = Vec::new();
            for &b in clusters.iter().flatten() {
                if !expected.contains(&b) {
                    expected.push(b);
                }
            }
            prop_assert_eq!(r.commands, expected);
            prop_assert_eq!(r.dirs_start, argv.len() - 1);
        }
    }
}

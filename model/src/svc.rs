//! svc's decisions (spec 3): which control bytes its options make, and how it
//! words a directory it cannot control.
//!
//! Each option letter is sent once, in the order of its first appearance
//! (`svc -xdux -t -k` writes `xdutk`); options end at the first directory. An
//! unknown letter is a usage error. A control FIFO without a reader (the open
//! fails with ENXIO) means supervise is not running, said without the error's text.

use crate::getopt::{GetOpt, Opt, complaint, progname};
use crate::svwait::{Goal, number};

/// The option letters, each also the control byte it sends: 0.76's, then the
/// extensions' (svc(8), EXTENSIONS): quit, usr1, usr2, winch (w as encore, y as
/// s6), abort, restart, the process group for what follows and back to the pid
/// (encore's + =), stop, continue and kill the group (s6's P C K). The usage line
/// stays 0.76's.
pub const LETTERS: &str = "udopchaitkxq12wybr+=PCK";

/// The line after a usage complaint.
pub const USAGE: &[u8] =
    b"svc options: u up, d down, o once, x exit, p pause, c continue, h hup, a alarm, i interrupt, t term, k kill\n";

/// `-W` and `-T`: wait for a state after sending (svc(8), EXTENSIONS); with
/// neither, svc is 0.76's.
const WAIT_OPTIONS: &str = "W:T:";

/// What svc's arguments ask for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// The bytes to write to each directory's control FIFO, in one write.
    pub commands: Vec<u8>,
    /// Where the directories start in argv.
    pub dirs_start: usize,
    /// `-W STATE [-T ms]`: what to wait for after sending, and for how long at most.
    pub wait: Option<(Goal, Option<u64>)>,
}

/// Reads argv (program name first): the request, or the text to print before
/// exiting 100.
pub fn request<S: AsRef<[u8]>>(argv: &[S]) -> Result<Request, Vec<u8>> {
    let spec = [LETTERS, WAIT_OPTIONS].concat();
    let mut getopt = GetOpt::new(argv, &spec);
    let mut commands = Vec::new();
    let mut goal = None;
    let mut timeout_ms = None;
    let argv0 = argv.first().map_or(&b""[..], AsRef::as_ref);
    let usage = |complaint: Option<Vec<u8>>| [complaint.unwrap_or_default(), USAGE.to_vec()].concat();
    while let Some(opt) = getopt.next() {
        match opt {
            Opt::Flag(c) if !commands.contains(&c) => commands.push(c),
            Opt::Flag(_) => {}
            Opt::Arg(b'W', state) => match state {
                [c] if Goal::from_letter(*c).is_some() => goal = Goal::from_letter(*c),
                _ => return Err(usage(Some([progname(argv0), WAIT_STATES].concat()))),
            },
            Opt::Arg(_, ms) => match number(ms) {
                Some(ms) => timeout_ms = Some(ms),
                None => return Err(usage(Some([progname(argv0), WAIT_MS].concat()))),
            },
            Opt::Illegal(_) | Opt::MissingArg(_) => return Err(usage(complaint(argv0, &opt))),
        }
    }
    let wait = match (goal, timeout_ms) {
        (Some(goal), ms) => Some((goal, ms)),
        (None, Some(_)) => return Err(usage(Some([progname(argv0), WAIT_NEEDED].concat()))),
        (None, None) => None,
    };
    Ok(Request {
        commands,
        dirs_start: getopt.operands_start(),
        wait,
    })
}

const WAIT_STATES: &[u8] = b": -W takes one of u U d D r R x\n";
const WAIT_MS: &[u8] = b": -T takes a number of milliseconds\n";
const WAIT_NEEDED: &[u8] = b": -T goes with -W\n";

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
                dirs_start: 1,
                wait: None
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
    fn w_waits_after_sending() {
        let r = req(&["svc", "-dx", "-Wx", "-T", "10000", "s"]).unwrap();
        assert_eq!(
            (r.commands, r.dirs_start, r.wait),
            (b"dx".to_vec(), 5, Some((Goal::Exited, Some(10000))))
        );
        let r = req(&["svc", "-uWU", "s"]).unwrap();
        assert_eq!((r.commands, r.wait), (b"u".to_vec(), Some((Goal::Ready, None))));
        let r = req(&["svc", "-T5", "-Wd", "s"]).unwrap();
        assert_eq!(r.wait, Some((Goal::Down, Some(5))));
        insta::assert_snapshot!([
            req(&["svc", "-Wq", "s"]).unwrap_err(),
            req(&["svc", "-Wud", "s"]).unwrap_err(),
            req(&["svc", "-T", "5", "s"]).unwrap_err(),
            req(&["svc", "-Wu", "-T", "later", "s"]).unwrap_err(),
            req(&["svc", "-dW"]).unwrap_err(),
        ].concat(), @r"
        svc: -W takes one of u U d D r R x
        svc options: u up, d down, o once, x exit, p pause, c continue, h hup, a alarm, i interrupt, t term, k kill
        svc: -W takes one of u U d D r R x
        svc options: u up, d down, o once, x exit, p pause, c continue, h hup, a alarm, i interrupt, t term, k kill
        svc: -T goes with -W
        svc options: u up, d down, o once, x exit, p pause, c continue, h hup, a alarm, i interrupt, t term, k kill
        svc: -T takes a number of milliseconds
        svc options: u up, d down, o once, x exit, p pause, c continue, h hup, a alarm, i interrupt, t term, k kill
        svc: option requires an argument -- W
        svc options: u up, d down, o once, x exit, p pause, c continue, h hup, a alarm, i interrupt, t term, k kill
        ");
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

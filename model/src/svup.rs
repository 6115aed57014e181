//! svup's decisions (svup(8), daemontools-encore's): which services must be up,
//! and whether they are.
//!
//! encore's supervise keeps the log's state in the service's own status record;
//! here the log is a service of its own, `dir/log`, with its own supervise, and
//! svup reads its record there.

use crate::getopt::{GetOpt, Opt};
use crate::status::Record;

/// Which of the service and its log must be up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Check {
    /// The service, and its log if it has one (no option).
    Both,
    /// `-l`: the service only.
    Service,
    /// `-L`: the log only, which must exist.
    Log,
}

pub const USAGE: &str = "svup [-L] [-l] dir";

/// Reads argv (program name first): what to check and where the directory is in
/// argv, or `None` for a usage error. The last of `-l` and `-L` counts.
pub fn request<S: AsRef<[u8]>>(argv: &[S]) -> Option<(Check, usize)> {
    let mut getopt = GetOpt::new(argv, "lL");
    let mut check = Check::Both;
    while let Some(opt) = getopt.next() {
        check = match opt {
            Opt::Flag(b'l') => Check::Service,
            Opt::Flag(b'L') => Check::Log,
            _ => return None,
        };
    }
    let dir = getopt.operands_start();
    (dir < argv.len()).then_some((check, dir))
}

/// What was found of one supervised directory (the service's or its log's).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Found {
    /// No such directory: a service without a log.
    Absent,
    /// No supervise runs there, or it has written no status yet.
    NotRunning,
    /// Its status record.
    Record(Record),
}

/// Whether svup exits 0: every directory `check` asks for is up. The log counts
/// only where the service has one (`dir/log` exists), except with `-L`.
pub fn up(check: Check, service: Found, log: Found) -> bool {
    let is_up = |found| matches!(found, Found::Record(r) if r.pid != 0);
    let service_ok = check == Check::Log || is_up(service);
    let log_ok = match check {
        Check::Service => true,
        Check::Log => is_up(log),
        Check::Both => log == Found::Absent || is_up(log),
    };
    service_ok && log_ok
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::Want;
    use crate::tai64::Tai64N;

    fn record(pid: u32) -> Found {
        Found::Record(Record::new(Tai64N::from_unix_micros(0, 0), pid, false, Want::Up))
    }

    #[test]
    fn options() {
        let r = |args: &[&str]| request(&args.iter().map(|a| a.as_bytes()).collect::<Vec<_>>());
        assert_eq!(r(&["svup", "s"]), Some((Check::Both, 1)));
        assert_eq!(r(&["svup", "-l", "s"]), Some((Check::Service, 2)));
        assert_eq!(r(&["svup", "-lL", "s"]), Some((Check::Log, 2)));
        assert_eq!(r(&["svup", "-L", "-l", "s", "t"]), Some((Check::Service, 3)));
        assert_eq!(r(&["svup", "-l"]), None);
        assert_eq!(r(&["svup", "-x", "s"]), None);
        assert_eq!(r(&["svup"]), None);
    }

    #[test]
    fn what_must_be_up() {
        let (up_, down, none) = (record(7), record(0), Found::Absent);
        let stopped = Found::NotRunning;
        // No option: the service, and the log where there is one.
        assert!(up(Check::Both, up_, none));
        assert!(up(Check::Both, up_, up_));
        assert!(!up(Check::Both, up_, down));
        assert!(!up(Check::Both, down, up_));
        assert!(!up(Check::Both, none, none));
        assert!(!up(Check::Both, stopped, none));
        // A log whose supervise does not run is down.
        assert!(!up(Check::Both, up_, stopped));
        // -l: the service alone.
        assert!(up(Check::Service, up_, down));
        assert!(!up(Check::Service, down, up_));
        // -L: the log alone, which must be there.
        assert!(up(Check::Log, down, up_));
        assert!(!up(Check::Log, up_, none));
        assert!(!up(Check::Log, up_, stopped));
        assert!(!up(Check::Log, up_, down));
    }
}

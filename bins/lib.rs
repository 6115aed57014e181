//! The programs of daemontools, one module each, and the dispatch by name that lets
//! one binary, installed under seventeen names, be all of them.
#![forbid(unsafe_code)]

use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;

mod envdir;
mod envuidgid;
mod fghack;
mod pgrphack;
mod setlock;
mod setuidgid;
mod softlimit;
mod supervise;
mod svc;
mod svok;
mod svstat;
mod tai64n;
mod tai64nlocal;

/// A program's entry: its full argv (program name first), returning the exit status.
pub type Entry = fn(Vec<OsString>) -> i32;

/// Every program this binary can be, by the name it is invoked as.
pub const PROGRAMS: &[(&str, Entry)] = &[
    ("envdir", envdir::main),
    ("envuidgid", envuidgid::main),
    ("fghack", fghack::main),
    ("pgrphack", pgrphack::main),
    ("setlock", setlock::main),
    ("setuidgid", setuidgid::main),
    ("softlimit", softlimit::main),
    ("supervise", supervise::main),
    ("svc", svc::main),
    ("svok", svok::main),
    ("svstat", svstat::main),
    ("tai64n", tai64n::main),
    ("tai64nlocal", tai64nlocal::main),
];

/// The program called `name`.
pub fn program(name: &[u8]) -> Option<Entry> {
    PROGRAMS
        .iter()
        .find(|(n, _)| n.as_bytes() == name)
        .map(|&(_, entry)| entry)
}

/// Runs the program named by argv[0] (after its last `/`); `daemontools NAME args…`
/// works too. Returns the exit status.
pub fn dispatch(mut argv: Vec<OsString>) -> i32 {
    let argv0 = argv.first().map(|a| a.as_bytes().to_vec()).unwrap_or_default();
    let name = model::getopt::progname(&argv0);
    if let Some(entry) = program(name) {
        return entry(argv);
    }
    if let Some(entry) = argv.get(1).and_then(|a| program(a.as_bytes())) {
        argv.remove(0);
        return entry(argv);
    }
    let names: Vec<&str> = PROGRAMS.iter().map(|(n, _)| *n).collect();
    let synopsis = format!(
        "daemontools program [ arg ... ], where program is one of: {}",
        names.join(" ")
    );
    runtime::message::usage("daemontools", &synopsis, runtime::message::EXIT_PERMANENT)
}

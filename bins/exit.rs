//! How a program ends on a failure: upstream's message on fd 2, then its exit
//! status. The runtime returns its failures; only the programs exit.

use nix::errno::Errno;
use runtime::message::{EXIT_TEMPORARY, line, to_stderr};
use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;

/// `prog: fatal: …` and exit 111.
pub fn fatal(prog: &str, parts: &[&[u8]], error: Option<Errno>) -> ! {
    to_stderr(&line(prog, "fatal", parts, error));
    std::process::exit(EXIT_TEMPORARY)
}

/// `prog: usage: synopsis` and exit with `status` (100 for every program but envdir).
pub fn usage(prog: &str, synopsis: &str, status: i32) -> ! {
    to_stderr(&line(prog, "usage", &[synopsis.as_bytes()], None));
    std::process::exit(status)
}

/// Runs `argv` with `env` (`runtime::exec::pathexec`), or ends as upstream:
/// `prog: fatal: unable to run <argv[0]>: <error>`, exit 111.
pub fn run_or_die(prog: &str, argv: &[OsString], env: Option<Vec<Vec<u8>>>) -> ! {
    let e = runtime::exec::pathexec(argv, env);
    let name = argv.first().map_or(&b""[..], |a| a.as_bytes());
    fatal(prog, &[b"unable to run ", name], Some(e))
}

//! pgrphack: runs a program in a new session and process group (spec 10).

use crate::exit::usage;
use runtime::message::EXIT_PERMANENT;
use std::ffi::OsString;

const PROG: &str = "pgrphack";

pub fn main(argv: Vec<OsString>) -> i32 {
    let child = match argv.as_slice() {
        [_, child @ ..] if !child.is_empty() => child,
        _ => usage(PROG, "pgrphack child", EXIT_PERMANENT),
    };
    // As upstream: this should not fail, and if it does, the program runs anyway.
    let _ = nix::unistd::setsid();
    crate::exit::run_or_die(PROG, child, None)
}

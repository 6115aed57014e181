//! pgrphack: runs a program in a new session and process group (spec 10).

use crate::exit::usage;
use runtime::message::EXIT_PERMANENT;
use std::ffi::OsString;

const PROG: &str = "pgrphack";

pub fn main(argv: Vec<OsString>) -> i32 {
    if argv.len() < 2 {
        usage(PROG, "pgrphack child", EXIT_PERMANENT);
    }
    // As upstream: this should not fail, and if it does, the program runs anyway.
    let _ = nix::unistd::setsid();
    crate::exit::run_or_die(PROG, &argv[1..], None)
}

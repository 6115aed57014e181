//! supervise: starts and monitors a service (spec 2). Takes exactly one argument,
//! the service directory; there are no options.

use crate::exit::usage;
use runtime::message::EXIT_PERMANENT;
use std::ffi::OsString;

pub fn main(argv: Vec<OsString>) -> i32 {
    let [_, dir] = argv.as_slice() else {
        usage("supervise", "supervise dir", EXIT_PERMANENT)
    };
    runtime::supervise::run(dir).unwrap_or_else(|fatal| runtime::message::report("supervise", &fatal))
}

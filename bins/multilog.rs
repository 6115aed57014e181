//! multilog: reads a log from stdin and writes the lines a script selects to
//! automatically rotated directories, stderr and status files (spec 11). Every
//! argument is an action; there are no options and no usage error.

use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;

pub fn main(argv: Vec<OsString>) -> i32 {
    let args: Vec<&[u8]> = argv.iter().skip(1).map(|a| a.as_bytes()).collect();
    runtime::multilog::run(&model::multilog::script::parse(&args))
        .unwrap_or_else(|fatal| runtime::message::report("multilog", &fatal))
}

//! multilog: reads a log from stdin and writes the lines a script selects to
//! automatically rotated directories, stderr and status files (spec 11). Every
//! argument is an action; there are no options and no usage error. Only an
//! extension's action can be wrong (multilog(8), EXTENSIONS): that ends it at once.

use runtime::message::{EXIT_PERMANENT, line, to_stderr};
use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;

pub fn main(argv: Vec<OsString>) -> i32 {
    let args: Vec<&[u8]> = argv.iter().skip(1).map(|a| a.as_bytes()).collect();
    match model::multilog::script::parse(&args) {
        Ok(script) => runtime::multilog::run(&script)
            .unwrap_or_else(|fatal| runtime::message::report("multilog", &fatal)),
        Err(wrong) => {
            to_stderr(&line("multilog", "fatal", &[&wrong.text()], None));
            EXIT_PERMANENT
        }
    }
}

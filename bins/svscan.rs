//! svscan: starts and monitors a `supervise` for every service directory in a
//! directory (spec 6). `svscan [dir]`: further arguments are ignored.

use std::ffi::OsString;

pub fn main(argv: Vec<OsString>) -> i32 {
    runtime::svscan::run(argv.get(1).map(OsString::as_os_str))
        .unwrap_or_else(|fatal| runtime::message::report("svscan", &fatal))
}

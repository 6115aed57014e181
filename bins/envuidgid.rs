//! envuidgid: runs a program with UID and GID set to an account's ids (spec 15).

use crate::exit::{fatal, usage};
use runtime::message::EXIT_PERMANENT;
use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;

const PROG: &str = "envuidgid";

pub fn main(argv: Vec<OsString>) -> i32 {
    if argv.len() < 3 {
        usage(PROG, "envuidgid account child", EXIT_PERMANENT);
    }
    let Some((uid, gid)) = runtime::account::lookup(&argv[1]) else {
        fatal(PROG, &[b"unknown account ", argv[1].as_bytes()], None)
    };
    let edits = [
        model::env::edit(b"GID", Some(gid.to_string().as_bytes())),
        model::env::edit(b"UID", Some(uid.to_string().as_bytes())),
    ];
    let env = model::env::apply(runtime::exec::environment(), &edits);
    crate::exit::run_or_die(PROG, &argv[2..], Some(env))
}

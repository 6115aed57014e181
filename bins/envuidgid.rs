//! envuidgid: runs a program with UID and GID set to an account's ids (spec 15).

use crate::exit::{fatal, usage};
use runtime::message::EXIT_PERMANENT;
use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;

const PROG: &str = "envuidgid";

pub fn main(argv: Vec<OsString>) -> i32 {
    let (account, child) = match argv.as_slice() {
        [_, account, child @ ..] if !child.is_empty() => (account, child),
        _ => usage(PROG, "envuidgid account child", EXIT_PERMANENT),
    };
    let Some((uid, gid)) = runtime::account::lookup(account) else {
        fatal(PROG, &[b"unknown account ", account.as_bytes()], None)
    };
    let edits = [
        model::env::edit(b"GID", Some(gid.to_string().as_bytes())),
        model::env::edit(b"UID", Some(uid.to_string().as_bytes())),
    ];
    let env = model::env::apply(runtime::exec::environment(), &edits);
    crate::exit::run_or_die(PROG, child, Some(env))
}

//! setuidgid: runs a program under an account's uid and gid, with that gid as its
//! only group (spec 14).

use crate::exit::{fatal, usage};
use runtime::message::EXIT_PERMANENT;
use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;

const PROG: &str = "setuidgid";

pub fn main(argv: Vec<OsString>) -> i32 {
    let (account, child) = match argv.as_slice() {
        [_, account, child @ ..] if !child.is_empty() => (account, child),
        _ => usage(PROG, "setuidgid account child", EXIT_PERMANENT),
    };
    let Some((uid, gid)) = runtime::account::lookup(account) else {
        fatal(PROG, &[b"unknown account ", account.as_bytes()], None)
    };
    // The groups first, then the gid, then the uid; a failure of either of the first
    // two is reported as upstream reports it, "unable to setgid".
    if let Err(e) = nix::unistd::setgroups(&[gid]).and_then(|()| nix::unistd::setgid(gid)) {
        fatal(PROG, &[b"unable to setgid"], Some(e));
    }
    if let Err(e) = nix::unistd::setuid(uid) {
        fatal(PROG, &[b"unable to setuid"], Some(e));
    }
    crate::exit::run_or_die(PROG, child, None)
}

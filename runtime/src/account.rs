//! Accounts, looked up with the C library's getpwnam (so NSS sources count), as
//! upstream does.

use nix::unistd::{Gid, Uid, User};
use std::ffi::OsStr;

/// The uid and gid of `account`, or `None` if there is no such account.
pub fn lookup(account: &OsStr) -> Option<(Uid, Gid)> {
    let name = account.to_str()?;
    let user = User::from_name(name).ok()??;
    Some((user.uid, user.gid))
}

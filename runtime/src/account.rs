//! Accounts, looked up with the C library's getpwnam (so NSS sources count), as
//! upstream does: by the name's bytes, whatever their encoding.

use nix::errno::Errno;
use nix::libc;
use nix::unistd::{Gid, Uid};
use std::ffi::{CString, OsStr};
use std::os::unix::ffi::OsStrExt;

/// The uid and gid of `account`, or `None` if there is no such account (or it
/// cannot be looked up: upstream says "unknown account" for both).
pub fn lookup(account: &OsStr) -> Option<(Uid, Gid)> {
    // A name from argv holds no NUL; one that did could name no account.
    let name = CString::new(account.as_bytes()).ok()?;
    // Room for the entry's strings: glibc's suggested size, doubled while too small
    // (as nix's `User::from_name` does, up to the same 1 MiB).
    let mut buf: Vec<libc::c_char> = vec![0; 1024];
    loop {
        match getpwnam_r(&name, &mut buf) {
            Err(Errno::ERANGE) if buf.len() < 1 << 20 => buf.resize(buf.len() * 2, 0),
            Err(_) => return None,
            Ok(ids) => return ids,
        }
    }
}

/// One call of getpwnam_r(3): `Ok(None)` if there is no such account.
///
/// nix has no lookup by a name that is not UTF-8 (`User::from_name` takes a `&str`),
/// so this is the one call made directly.
#[allow(unsafe_code)]
fn getpwnam_r(name: &CString, buf: &mut [libc::c_char]) -> Result<Option<(Uid, Gid)>, Errno> {
    let mut entry = std::mem::MaybeUninit::<libc::passwd>::uninit();
    let mut result: *mut libc::passwd = std::ptr::null_mut();
    // SAFETY: every pointer is valid for the call: a NUL-terminated name, an entry
    // to fill, a buffer of `buf.len()` bytes for its strings, and where to store the
    // result, which is either null or `entry`.
    let e = unsafe {
        libc::getpwnam_r(
            name.as_ptr(),
            entry.as_mut_ptr(),
            buf.as_mut_ptr(),
            buf.len(),
            &mut result,
        )
    };
    if e != 0 {
        return Err(Errno::from_raw(e));
    }
    if result.is_null() {
        return Ok(None);
    }
    // SAFETY: getpwnam_r succeeded with a non-null result, so it filled `entry`.
    let entry = unsafe { entry.assume_init() };
    Ok(Some((Uid::from_raw(entry.pw_uid), Gid::from_raw(entry.pw_gid))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_is_found_and_an_unknown_name_is_not() {
        assert_eq!(
            lookup(OsStr::new("root")),
            Some((Uid::from_raw(0), Gid::from_raw(0)))
        );
        assert_eq!(lookup(OsStr::new("no such account")), None);
        assert_eq!(lookup(OsStr::from_bytes(b"no\xffsuch")), None);
        assert_eq!(lookup(OsStr::new("")), None);
    }
}

//! envdir: runs a program with environment variables set from the files of a
//! directory (spec 16).

use model::envdir::{Read, edit, is_ignored};
use nix::errno::Errno;
use nix::fcntl::{OFlag, open};
use nix::sys::stat::Mode;
use runtime::io::errno_of;
use crate::exit::{fatal, usage};
use runtime::message::EXIT_TEMPORARY;
use std::ffi::{OsStr, OsString};
use std::io::Read as _;
use std::os::unix::ffi::OsStrExt;

const PROG: &str = "envdir";

/// An entry's contents; `Err(None)` if it disappeared before it could be opened.
/// Opened without blocking (a FIFO without a writer reads as empty), as upstream.
fn read_entry(name: &OsStr) -> Result<Vec<u8>, Option<Errno>> {
    let flags = OFlag::O_RDONLY | OFlag::O_NONBLOCK | OFlag::O_CLOEXEC;
    let fd = open(name, flags, Mode::empty()).map_err(|e| (e != Errno::ENOENT).then_some(e))?;
    let mut contents = Vec::new();
    std::fs::File::from(fd)
        .read_to_end(&mut contents)
        .map_err(|e| Some(errno_of(&e)))?;
    Ok(contents)
}

pub fn main(argv: Vec<OsString>) -> i32 {
    let (dir_name, child) = match argv.as_slice() {
        [_, dir, child @ ..] if !child.is_empty() => (dir, child),
        _ => usage(PROG, "envdir dir child", EXIT_TEMPORARY),
    };
    let dir = dir_name.as_bytes();
    let start = open(
        ".",
        OFlag::O_RDONLY | OFlag::O_NONBLOCK | OFlag::O_CLOEXEC,
        Mode::empty(),
    )
    .unwrap_or_else(|e| fatal(PROG, &[b"unable to switch to current directory"], Some(e)));
    if let Err(e) = nix::unistd::chdir(dir_name.as_os_str()) {
        fatal(PROG, &[b"unable to switch to directory ", dir], Some(e));
    }
    let unreadable =
        |e: &std::io::Error| -> ! { fatal(PROG, &[b"unable to read directory ", dir], Some(errno_of(e))) };
    let entries = std::fs::read_dir(".").unwrap_or_else(|e| unreadable(&e));
    let mut edits = Vec::new();
    for entry in entries {
        let name = entry.unwrap_or_else(|e| unreadable(&e)).file_name();
        if is_ignored(name.as_bytes()) {
            continue;
        }
        let contents = match read_entry(&name) {
            Ok(c) => Some(c),
            Err(None) => None,
            Err(Some(e)) => fatal(PROG, &[b"unable to read ", dir, b"/", name.as_bytes()], Some(e)),
        };
        let read = contents.as_deref().map_or(Read::Vanished, Read::Contents);
        edits.push(edit(name.as_bytes(), read));
    }
    if let Err(e) = nix::unistd::fchdir(&start) {
        fatal(PROG, &[b"unable to switch to starting directory"], Some(e));
    }
    drop(start);
    let env = model::env::apply(runtime::exec::environment(), &edits);
    crate::exit::run_or_die(PROG, child, Some(env))
}

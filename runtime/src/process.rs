//! Creating processes. The one place this crate needs `unsafe`.

use nix::errno::Errno;
use nix::unistd::{ForkResult, Pid};

/// Which side of a fork this is.
pub enum Forked {
    Child,
    Parent(Pid),
}

/// fork(2).
///
/// The programs of this suite never start threads, so the child is a copy of a
/// single-threaded process and may go on as usual (allocate, write, exec, exit).
/// Callers still prepare what the child needs before forking, keeping its work short.
#[allow(unsafe_code)]
pub fn fork() -> Result<Forked, Errno> {
    // SAFETY: fork is unsafe in a multi-threaded process, where the child could find a
    // lock held by a thread that no longer exists. The programs of this suite are
    // single-threaded (no threads are spawned anywhere in bins/ or runtime/).
    match unsafe { nix::unistd::fork() }? {
        ForkResult::Child => Ok(Forked::Child),
        ForkResult::Parent { child } => Ok(Forked::Parent(child)),
    }
}

/// Ignores SIGPIPE (svc does, so that a vanished supervise cannot kill it).
#[allow(unsafe_code)]
pub fn ignore_sigpipe() {
    use nix::sys::signal::{SigHandler, Signal, signal};
    // SAFETY: SIG_IGN installs no handler code; nothing runs on the signal.
    let _ = unsafe { signal(Signal::SIGPIPE, SigHandler::SigIgn) };
}

/// Puts `fd` on descriptor number `target`, open across exec, for a child about to
/// exec that needs its descriptors at fixed numbers (multilog's processor gets 4 and 5).
#[allow(unsafe_code)]
pub fn dup_onto(fd: std::os::fd::OwnedFd, target: std::os::fd::RawFd) -> Result<(), Errno> {
    use nix::fcntl::{FcntlArg, FdFlag, fcntl};
    use std::os::fd::AsRawFd;
    if fd.as_raw_fd() == target {
        // dup2 onto itself would keep close-on-exec.
        fcntl(&fd, FcntlArg::F_SETFD(FdFlag::empty()))?;
        std::mem::forget(fd);
        return Ok(());
    }
    // SAFETY: called only in a child about to exec; whatever `target` was, nothing
    // in this process uses it again, and the copy is deliberately left open
    // (forgotten) for the program the child becomes.
    let copy = unsafe { nix::unistd::dup2_raw(&fd, target)? };
    std::mem::forget(copy);
    Ok(())
}

/// Starts writing `fd`'s dirty pages to disk, without waiting for them
/// (sync_file_range with SYNC_FILE_RANGE_WRITE; nix does not wrap it). A hint for
/// speed only: durability still comes from the fsync before every rotation.
#[allow(unsafe_code)]
pub fn start_writeback(fd: &impl std::os::fd::AsFd) {
    use std::os::fd::AsRawFd;
    // SAFETY: a system call on a descriptor the caller holds open; no memory is
    // passed, and its failure changes nothing but speed.
    unsafe {
        nix::libc::sync_file_range(fd.as_fd().as_raw_fd(), 0, 0, nix::libc::SYNC_FILE_RANGE_WRITE);
    }
}

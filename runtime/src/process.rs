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

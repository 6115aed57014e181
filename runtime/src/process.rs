//! Creating processes: most of the few places this crate needs `unsafe`.

use nix::errno::Errno;
use nix::unistd::{ForkResult, Pid};
use std::ffi::CStr;
use std::os::fd::{AsFd, RawFd};

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

/// The most arguments [`spawn_shared`] passes (the program's name included).
pub const MAX_ARGS: usize = 5;

/// What a child does before its exec, besides what its parent's state gives it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Setup {
    /// Start a new session (and process group), led by the child.
    pub new_session: bool,
    /// Make the descriptor `.0` (which may be close-on-exec) the child's `.1`.
    pub descriptor: Option<(RawFd, RawFd)>,
}

impl Setup {
    /// Carries out the setup in a child about to exec. Only system calls: the
    /// child of [`spawn_shared`] may call it too.
    #[allow(unsafe_code)]
    pub fn apply(&self) {
        use nix::libc;
        if self.new_session {
            // SAFETY: a system call, on no memory.
            unsafe { libc::setsid() };
        }
        if let Some((from, to)) = self.descriptor {
            // SAFETY: system calls on descriptors; dup2 to itself would leave
            // close-on-exec set, so that case clears it instead.
            unsafe {
                if from == to {
                    libc::fcntl(to, libc::F_SETFD, 0);
                } else {
                    libc::dup2(from, to);
                }
            }
        }
    }
}

/// Starts `argv[0]` with `argv` (at most [`MAX_ARGS`]) and this environment, after
/// `setup`, in a child that shares this process's memory until it execs, as vfork does: nothing is copied, where fork copies the page tables and
/// leaves every page this process then writes to be copied on its first write.
/// Should the exec fail, the child writes `failure_prefix`, the error's text and a
/// newline to fd 2 as one write, and exits 111. Returns the child's pid once it has
/// exec'd or exited; the caller reaps it.
#[allow(unsafe_code)]
pub fn spawn_shared(argv: &[&CStr], setup: Setup, failure_prefix: &[u8]) -> Result<Pid, Errno> {
    use nix::libc;
    // Far more than the child uses (execv, then at most a message); only the pages
    // it touches are ever allocated, and the mapping goes when the child has exec'd.
    const STACK: usize = 64 * 1024;
    let (Some(path), true) = (argv.first(), argv.len() <= MAX_ARGS) else {
        return Err(Errno::E2BIG);
    };
    let mut pointers = [std::ptr::null(); MAX_ARGS + 1];
    for (pointer, arg) in pointers.iter_mut().zip(argv) {
        *pointer = arg.as_ptr();
    }
    let child = Child {
        argv: pointers,
        path,
        setup,
        failure_prefix,
    };
    // SAFETY: a fresh private anonymous mapping, unmapped below once no one uses it.
    let stack = unsafe {
        libc::mmap64(
            std::ptr::null_mut(),
            STACK,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_STACK,
            -1,
            0,
        )
    };
    if stack == libc::MAP_FAILED {
        return Err(Errno::last());
    }
    // SAFETY: with CLONE_VFORK this thread is suspended until the child has exec'd or
    // exited, so `child` (on this stack) and the mapping outlive its use of them, and
    // nothing runs here while the child shares this memory. The child runs
    // `exec_child` on the top of the mapping (the stack grows down); SIGCHLD is its
    // exit signal, so waitpid(-1) reaps it like any child.
    let pid = unsafe {
        libc::clone(
            exec_child,
            stack.cast::<u8>().add(STACK).cast(),
            libc::CLONE_VM | libc::CLONE_VFORK | libc::SIGCHLD,
            (&raw const child).cast_mut().cast(),
        )
    };
    let result = Errno::result(pid).map(Pid::from_raw);
    // SAFETY: the child no longer runs on the mapping (it has exec'd or exited).
    unsafe { libc::munmap(stack, STACK) };
    result
}

/// What the child of [`spawn_shared`] needs, prepared before it exists.
struct Child<'a> {
    path: &'a CStr,
    /// Null-terminated.
    argv: [*const std::ffi::c_char; MAX_ARGS + 1],
    setup: Setup,
    failure_prefix: &'a [u8],
}

/// The child of [`spawn_shared`]. It shares the parent's memory, so it only reads
/// what was prepared, keeps its own data on its own stack, and makes system calls:
/// no allocation, no exit handlers (`_exit`, not `exit`).
#[allow(unsafe_code)]
extern "C" fn exec_child(arg: *mut std::ffi::c_void) -> std::ffi::c_int {
    use nix::libc;
    // SAFETY: `arg` is the `Child` that spawn_shared keeps alive until this child has
    // exec'd or exited.
    let child = unsafe { &*arg.cast::<Child>() };
    child.setup.apply();
    // SAFETY: `argv` is a null-terminated array of C strings that outlive the call.
    unsafe { libc::execv(child.path.as_ptr(), child.argv.as_ptr()) };
    exec_failed(child.failure_prefix, Errno::last())
}

/// Ends a child whose exec failed with `error`: writes `prefix`, the error's text
/// and a newline to fd 2 as one write, and exits 111 without running this process's
/// exit handlers. It allocates nothing, so the child of [`spawn_shared`], which
/// shares its parent's memory, may call it too.
#[allow(unsafe_code)]
pub fn exec_failed(prefix: &[u8], error: Errno) -> ! {
    let error = crate::errstr::errno_text(error).as_bytes();
    let mut message = [0u8; 1024];
    let parts = [prefix, error, b"\n"];
    let len: usize = parts.iter().map(|p| p.len()).sum();
    let stderr = std::io::stderr();
    if len <= message.len() {
        let mut at = 0;
        for p in parts {
            message[at..at + p.len()].copy_from_slice(p);
            at += p.len();
        }
        let _ = crate::io::write_all(stderr.as_fd(), &message[..len]);
    } else {
        for p in parts {
            let _ = crate::io::write_all(stderr.as_fd(), p);
        }
    }
    exit_child(crate::message::EXIT_TEMPORARY)
}

/// Ends a forked child with `status` without running this process's exit handlers
/// or flushing what the parent had buffered (_exit). The only way out of a child
/// that did not exec: returning would run the parent's code in it.
#[allow(unsafe_code)]
pub fn exit_child(status: i32) -> ! {
    // SAFETY: _exit ends the process at once; nothing is left to run.
    unsafe { nix::libc::_exit(status) }
}

/// Ignores SIGPIPE (svc does, so that a vanished supervise cannot kill it).
#[allow(unsafe_code)]
pub fn ignore_sigpipe() {
    use nix::sys::signal::{SigHandler, Signal, signal};
    // SAFETY: SIG_IGN installs no handler code; nothing runs on the signal.
    let _ = unsafe { signal(Signal::SIGPIPE, SigHandler::SigIgn) };
}

/// Runs `f` with SIGPIPE ignored, then puts back what it was: a write to a pipe
/// whose reader has gone fails with EPIPE instead of raising the signal, and the
/// children started afterwards still inherit this process's own disposition.
#[allow(unsafe_code)]
pub fn with_sigpipe_ignored<R>(f: impl FnOnce() -> R) -> R {
    use nix::sys::signal::{SigHandler, Signal, signal};
    // SAFETY: SIG_IGN installs no handler code; what is put back is this process's
    // own disposition, as it was.
    let before = unsafe { signal(Signal::SIGPIPE, SigHandler::SigIgn) };
    let result = f();
    if let Ok(before) = before {
        let _ = unsafe { signal(Signal::SIGPIPE, before) };
    }
    result
}

/// Sets `signals` back to their default action, in a child about to exec that
/// must not run this process's handlers (as upstream's multilog does first in the
/// processor's child).
#[allow(unsafe_code)]
pub fn default_signals(signals: &[nix::sys::signal::Signal]) {
    use nix::sys::signal::{SigHandler, signal};
    for &s in signals {
        // SAFETY: SIG_DFL installs no handler code.
        let _ = unsafe { signal(s, SigHandler::SigDfl) };
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use nix::sys::signal::Signal;
    use nix::sys::wait::{WaitStatus, waitpid};

    /// In a child with SIGPIPE at its default: a write to a pipe without a reader
    /// fails with EPIPE inside `with_sigpipe_ignored`, and after it the default is
    /// back (the next such write kills the child). Only system calls in the child.
    #[test]
    fn sigpipe_is_ignored_for_the_while_and_then_as_before() {
        let (reader, writer) = nix::unistd::pipe().unwrap();
        drop(reader);
        match fork().unwrap() {
            Forked::Child => {
                default_signals(&[Signal::SIGPIPE]);
                if with_sigpipe_ignored(|| nix::unistd::write(&writer, b"x")) != Err(Errno::EPIPE) {
                    exit_child(1);
                }
                let _ = nix::unistd::write(&writer, b"x");
                exit_child(2)
            }
            Forked::Parent(child) => {
                assert_eq!(
                    waitpid(child, None).unwrap(),
                    WaitStatus::Signaled(child, Signal::SIGPIPE, false)
                );
            }
        }
    }
}

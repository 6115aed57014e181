//! supervise's runtime (spec 2.1, 2.3–2.5): the service directory's files, the
//! self-pipe for SIGCHLD, the loop over the pipe, the control FIFO and the timer.
//! What to do is decided by `model::supervise`.

use crate::io::errno_of;
use crate::message::{EXIT_TEMPORARY, fatal, to_stderr, warn};
use crate::process::{Forked, fork};
use model::status::LEN;
use model::supervise::{Effect, Input, Now, Signal, Supervisor};
use nix::errno::Errno;
use nix::fcntl::{OFlag, open};
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::stat::Mode;
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::Pid;
use std::ffi::{CStr, OsStr};
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;

const PROG: &str = "supervise";

/// One turn of the loop after a wake-up: empty the self-pipe, then reap every child
/// that has exited, in that order. A child that exits after the pipe was emptied
/// writes a new byte, so the next poll wakes for it; reaping first and emptying after
/// could swallow the byte of an exit that came in between.
pub fn after_wakeup(
    mut drain: impl FnMut(),
    mut reap: impl FnMut() -> Option<u32>,
    mut reaped: impl FnMut(u32),
) {
    drain();
    while let Some(pid) = reap() {
        reaped(pid);
    }
}

fn now() -> Now {
    Now {
        wall: crate::clock::now(),
        mono: crate::clock::monotonic(),
    }
}

fn signal(s: Signal) -> nix::sys::signal::Signal {
    use nix::sys::signal::Signal as S;
    match s {
        Signal::Alrm => S::SIGALRM,
        Signal::Cont => S::SIGCONT,
        Signal::Hup => S::SIGHUP,
        Signal::Int => S::SIGINT,
        Signal::Kill => S::SIGKILL,
        Signal::Stop => S::SIGSTOP,
        Signal::Term => S::SIGTERM,
    }
}

/// Opens a FIFO without blocking, creating it (mode 0600) if need be.
fn fifo(path: &str, flags: OFlag) -> Result<OwnedFd, Errno> {
    let _ = nix::unistd::mkfifo(path, Mode::from_bits_truncate(0o600));
    open(path, flags | OFlag::O_NONBLOCK | OFlag::O_CLOEXEC, Mode::empty())
}

/// Creates `supervise/`, or, as Debian's patch does, the directory a dangling
/// `supervise` symlink points to.
fn make_supervise_dir() {
    if nix::unistd::mkdir("supervise", Mode::from_bits_truncate(0o700)).is_ok() {
        return;
    }
    // std's read_link, not nix's: nix's takes a PATH_MAX buffer from the heap, a page
    // of private memory kept for the life of every supervise.
    match std::fs::read_link("supervise").map_err(|e| errno_of(&e)) {
        Ok(target) if target.as_os_str().len() >= 256 => readlink_failed(Errno::EOVERFLOW),
        Ok(target) => {
            let _ = nix::unistd::mkdir(target.as_os_str(), Mode::from_bits_truncate(0o700));
        }
        Err(Errno::ENOENT | Errno::EINVAL) => {}
        Err(e) => readlink_failed(e),
    }
}

/// Debian's message has no program prefix.
fn readlink_failed(e: Errno) -> ! {
    let text = format!(
        "unable to readlink ./supervise: {}\n",
        crate::errstr::errno_text(e)
    );
    to_stderr(text.as_bytes());
    std::process::exit(EXIT_TEMPORARY)
}

/// Writes the status record as upstream: `status.new`, then a rename. Failures are
/// warnings.
///
/// Unlike upstream, a symlink planted as `status.new` is not followed (O_NOFOLLOW):
/// supervise, often root, would truncate and overwrite its target. It is removed
/// and the open tried once more; the rename would have replaced it anyway.
fn write_status(dir: &[u8], record: &[u8; LEN]) {
    let flags = OFlag::O_WRONLY
        | OFlag::O_NONBLOCK
        | OFlag::O_TRUNC
        | OFlag::O_CREAT
        | OFlag::O_NOFOLLOW
        | OFlag::O_CLOEXEC;
    let mode = Mode::from_bits_truncate(0o644);
    // C string literals: nix copies any other path into a 1 kB buffer on the stack,
    // and this is the deepest call of every supervise (a stack page more).
    let opened = match open(c"supervise/status.new", flags, mode) {
        Err(Errno::ELOOP) => {
            let _ = nix::unistd::unlink(c"supervise/status.new");
            open(c"supervise/status.new", flags, mode)
        }
        other => other,
    };
    let fd = match opened {
        Ok(fd) => fd,
        Err(e) => {
            return warn(
                PROG,
                &[b"unable to open ", dir, b"/supervise/status.new"],
                Some(e),
            );
        }
    };
    match nix::unistd::write(&fd, record) {
        Err(e) => {
            return warn(
                PROG,
                &[b"unable to write ", dir, b"/supervise/status.new"],
                Some(e),
            );
        }
        Ok(n) if n < LEN => {
            return warn(
                PROG,
                &[b"unable to write ", dir, b"/supervise/status.new: partial write"],
                None,
            );
        }
        Ok(_) => {}
    }
    drop(fd);
    if let Err(e) = crate::io::rename(c"supervise/status.new", c"supervise/status") {
        warn(
            PROG,
            &[b"unable to rename ", dir, b"/supervise/status.new to status"],
            Some(e),
        );
    }
}

/// Runs supervise on `dir`; returns only to exit (0 after `x`).
pub fn run(dir: &OsStr) -> i32 {
    let dir_bytes = dir.as_bytes();
    let (wake_read, wake_write) = nix::unistd::pipe2(OFlag::O_CLOEXEC | OFlag::O_NONBLOCK)
        .unwrap_or_else(|e| fatal(PROG, &[b"unable to create pipe for ", dir_bytes], Some(e)));
    if let Err(e) = signal_hook::low_level::pipe::register(signal_hook::consts::SIGCHLD, wake_write) {
        fatal(
            PROG,
            &[b"unable to create pipe for ", dir_bytes],
            Some(errno_of(&e)),
        );
    }
    if let Err(e) = nix::unistd::chdir(dir) {
        fatal(PROG, &[b"unable to chdir to ", dir_bytes], Some(e));
    }
    let down_file = match nix::sys::stat::stat("down") {
        Ok(_) => true,
        Err(Errno::ENOENT) => false,
        Err(e) => fatal(PROG, &[b"unable to stat ", dir_bytes, b"/down"], Some(e)),
    };
    make_supervise_dir();
    let lock_flags =
        OFlag::O_WRONLY | OFlag::O_NONBLOCK | OFlag::O_APPEND | OFlag::O_CREAT | OFlag::O_CLOEXEC;
    let _lock = open("supervise/lock", lock_flags, Mode::from_bits_truncate(0o600))
        .and_then(|fd| crate::io::lock_exclusive(fd, false))
        .unwrap_or_else(|e| {
            fatal(
                PROG,
                &[b"unable to acquire ", dir_bytes, b"/supervise/lock"],
                Some(e),
            )
        });
    let control = fifo("supervise/control", OFlag::O_RDONLY).unwrap_or_else(|e| {
        fatal(
            PROG,
            &[b"unable to read ", dir_bytes, b"/supervise/control"],
            Some(e),
        )
    });
    // Held open so that the reader never sees end of file.
    let _control_writer = fifo("supervise/control", OFlag::O_WRONLY).unwrap_or_else(|e| {
        fatal(
            PROG,
            &[b"unable to write ", dir_bytes, b"/supervise/control"],
            Some(e),
        )
    });

    let mut driver = Driver {
        dir: dir_bytes,
        start_failed: crate::message::fatal_prefix(PROG, &[b"unable to start ", dir_bytes, b"/run"]),
        machine: Supervisor::new(),
    };
    driver.input(Input::Start { down_file });
    // Only a reader: its existence tells svok and svstat that supervise runs.
    let _ok = fifo("supervise/ok", OFlag::O_RDONLY)
        .unwrap_or_else(|e| fatal(PROG, &[b"unable to read ", dir_bytes, b"/supervise/ok"], Some(e)));
    driver.input(Input::Ready);

    let mut bytes = [0u8; 64];
    loop {
        let timeout = match driver.machine.deadline() {
            Some(d) => {
                let left_ms = d.saturating_sub(now().mono).div_ceil(1_000_000);
                PollTimeout::try_from(left_ms.min(1_000_000)).unwrap_or(PollTimeout::MAX)
            }
            // Upstream wakes at least every 1000 s; so does this.
            None => PollTimeout::try_from(1_000_000u32).unwrap_or(PollTimeout::MAX),
        };
        let mut fds = [
            PollFd::new(wake_read.as_fd(), PollFlags::POLLIN),
            PollFd::new(control.as_fd(), PollFlags::POLLIN),
        ];
        let _ = poll(&mut fds, timeout);
        after_wakeup(
            || while matches!(nix::unistd::read(&wake_read, &mut bytes), Ok(n) if n > 0) {},
            || match waitpid(Pid::from_raw(-1), Some(WaitPidFlag::WNOHANG)) {
                Ok(WaitStatus::Exited(pid, _) | WaitStatus::Signaled(pid, ..)) => Some(pid.as_raw() as u32),
                Ok(WaitStatus::StillAlive) => None,
                // Stopped or continued children are not reported (no WUNTRACED).
                Ok(_) | Err(Errno::EINTR) => Some(0),
                Err(_) => None,
            },
            |pid| {
                if pid != 0 {
                    driver.input(Input::Reaped(pid));
                }
            },
        );
        if driver.machine.deadline().is_some_and(|d| d <= now().mono) {
            driver.input(Input::Timer);
        }
        if let Ok(n) = nix::unistd::read(&control, &mut bytes) {
            for &b in &bytes[..n] {
                driver.input(Input::Control(b));
            }
        }
    }
}

/// Carries out the machine's effects.
struct Driver<'a> {
    dir: &'a [u8],
    /// What the child prints before the error if `./run` cannot be executed.
    start_failed: Vec<u8>,
    machine: Supervisor,
}

impl Driver<'_> {
    fn input(&mut self, input: Input) {
        let mut pending = vec![input];
        while let Some(input) = pending.pop() {
            let mut effects = Vec::new();
            self.machine.handle(input, now(), &mut effects);
            for effect in effects {
                match effect {
                    Effect::Spawn { deferred } => pending.push(self.spawn(deferred)),
                    Effect::Signal(pid, s) => {
                        let _ = nix::sys::signal::kill(Pid::from_raw(pid as i32), signal(s));
                    }
                    Effect::WriteStatus(record) => write_status(self.dir, &record),
                    Effect::WarnForkFailed { errno, retry_secs } => warn(
                        PROG,
                        &[
                            b"unable to fork for ",
                            self.dir,
                            b", sleeping ",
                            retry_secs.to_string().as_bytes(),
                            b" seconds",
                        ],
                        Some(Errno::from_raw(errno)),
                    ),
                    Effect::Exit => std::process::exit(0),
                }
            }
        }
    }

    /// Starts `./run` with this environment; the child reports its own failure to
    /// exec, as upstream's does.
    ///
    /// A start made at once (a command or an exit waits on it) forks, so that the new
    /// pid is recorded while the child execs. A deferred one (a crash-looping service,
    /// every second) is made as by vfork: nothing of supervise is copied, at the price
    /// of waiting for the exec, which nothing is waiting on then. (Measured here, side
    /// by side: a crash loop started by fork alone cost supervise 856-871 us of CPU per
    /// restart, this mix 752-805 us; starting everything as by vfork made `svc -t` to
    /// new pid 1.2-1.4 times slower, and exit to restart 1.7-2.3 times.)
    fn spawn(&mut self, deferred: bool) -> Input {
        const RUN: &CStr = c"./run";
        let started = if deferred {
            crate::process::spawn_shared(RUN, &self.start_failed)
        } else {
            match fork() {
                Ok(Forked::Parent(pid)) => Ok(pid),
                Ok(Forked::Child) => {
                    let e = nix::unistd::execv(RUN, &[RUN]).unwrap_err();
                    crate::process::exec_failed(&self.start_failed, e)
                }
                Err(e) => Err(e),
            }
        };
        match started {
            Ok(pid) => Input::Spawned(pid.as_raw() as u32),
            Err(e) => Input::SpawnFailed(e as i32),
        }
    }
}

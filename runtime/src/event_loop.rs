//! The loop supervise and svscan share: signals arrive through a self-pipe, every
//! child that has exited is reaped after a wake-up, the nearest of the machine's
//! deadlines bounds each wait, and each turn ends by reading the machine's own
//! descriptors (the control FIFO; inotify and the shutdown signals).

use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::Pid;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

/// Upstream's programs wake at least every 1000 seconds; so does the loop.
const LONGEST_WAIT_MS: u64 = 1_000_000;

/// A pipe that each of some signals writes a byte to (signal-hook's pipe action).
pub struct SignalPipe {
    read: OwnedFd,
}

impl SignalPipe {
    pub fn new(signals: &[i32]) -> Result<SignalPipe, Errno> {
        let (read, write) = nix::unistd::pipe2(OFlag::O_CLOEXEC | OFlag::O_NONBLOCK)?;
        for &signal in signals {
            let write = write.try_clone().map_err(|e| crate::io::errno_of(&e))?;
            signal_hook::low_level::pipe::register(signal, write).map_err(|e| crate::io::errno_of(&e))?;
        }
        Ok(SignalPipe { read })
    }

    /// Empties the pipe; whether any signal had come.
    pub fn drain(&self) -> bool {
        let mut bytes = [0u8; 64];
        let mut any = false;
        while let Ok(1..) = nix::unistd::read(&self.read, &mut bytes) {
            any = true;
        }
        any
    }
}

impl AsFd for SignalPipe {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.read.as_fd()
    }
}

/// How a reaped child ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ended {
    Exited(i32),
    /// Killed by this signal.
    Signaled(i32),
}

/// What the loop drives: a machine of model/ and the effects it carries out.
pub trait Machine {
    /// When the machine's next timer fires (monotonic nanoseconds).
    fn deadline(&self) -> Option<u64>;
    /// The deadline has passed.
    fn timer(&mut self);
    /// A child was reaped.
    fn reaped(&mut self, pid: u32, ended: Ended);
    /// Descriptors to wake for besides the children's pipe.
    fn wait_on(&self) -> [Option<BorrowedFd<'_>>; 2];
    /// After every wake-up: reads its descriptors (without blocking).
    fn woke(&mut self);
    /// Once the machine is done: the status to exit with.
    fn finished(&self) -> Option<i32>;
}

/// One turn's handling of a wake-up: empty the self-pipe, then reap every child
/// that has exited, in that order. A child that exits after the pipe was emptied
/// writes a new byte, so the next wait wakes for it; reaping first and emptying
/// after could swallow the byte of an exit that came in between.
pub fn after_wakeup<T>(
    mut drain: impl FnMut(),
    mut reap: impl FnMut() -> Option<T>,
    mut reaped: impl FnMut(T),
) {
    drain();
    while let Some(child) = reap() {
        reaped(child);
    }
}

/// The next child that has exited, if any (stopped and continued children are not
/// reported: no WUNTRACED).
fn reap_one() -> Option<(u32, Ended)> {
    loop {
        match waitpid(Pid::from_raw(-1), Some(WaitPidFlag::WNOHANG)) {
            Ok(WaitStatus::Exited(pid, code)) => return Some((pid.as_raw() as u32, Ended::Exited(code))),
            Ok(WaitStatus::Signaled(pid, signal, _)) => {
                return Some((pid.as_raw() as u32, Ended::Signaled(signal as i32)));
            }
            Ok(WaitStatus::StillAlive) => return None,
            Err(Errno::EINTR) => {}
            Ok(_) => {}
            // ECHILD: no child left; any other error would only repeat.
            Err(_) => return None,
        }
    }
}

fn due(machine: &impl Machine) -> bool {
    machine
        .deadline()
        .is_some_and(|at| at <= crate::clock::monotonic())
}

/// Runs `machine` until it is finished; returns its exit status.
pub fn run(children: &SignalPipe, machine: &mut impl Machine) -> i32 {
    loop {
        if let Some(status) = machine.finished() {
            return status;
        }
        if due(machine) {
            machine.timer();
            continue;
        }
        let left_ms = match machine.deadline() {
            Some(at) => at
                .saturating_sub(crate::clock::monotonic())
                .div_ceil(1_000_000)
                .min(LONGEST_WAIT_MS),
            None => LONGEST_WAIT_MS,
        };
        let timeout = PollTimeout::try_from(left_ms).unwrap_or(PollTimeout::MAX);
        {
            let others = machine.wait_on();
            let mut fds = [children.as_fd(), children.as_fd(), children.as_fd()]
                .map(|fd| PollFd::new(fd, PollFlags::POLLIN));
            let mut n = 1;
            for fd in others.into_iter().flatten() {
                fds[n] = PollFd::new(fd, PollFlags::POLLIN);
                n += 1;
            }
            let _ = poll(&mut fds[..n], timeout);
        }
        after_wakeup(
            || {
                children.drain();
            },
            reap_one,
            |(pid, ended)| machine.reaped(pid, ended),
        );
        if machine.finished().is_none() && due(machine) {
            machine.timer();
        }
        if machine.finished().is_none() {
            machine.woke();
        }
    }
}

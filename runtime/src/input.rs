//! Standard input that a signal cannot sleep through.
//!
//! multilog must act on SIGTERM and SIGALRM while it waits for input. Waiting in
//! poll(2) would do, but once a pipe has been polled, Linux wakes its reader's
//! queue at every write into it, for as long as the pipe lives: a writer of single
//! lines then pays for a wake-up at each line (multilog fed a line per write took
//! 10–18% longer here). So multilog does not poll its input: it waits in
//! read(2) itself, on a copy of fd 0, and each of those signals puts a descriptor
//! that cannot be read (opened with O_PATH) in the copy's place (dup3 is safe in a
//! signal handler):
//! - a signal that comes before the read starts makes the read fail at once;
//! - a signal that comes while the read sleeps restarts it (the handlers have
//!   SA_RESTART), and the restarted read finds the placeholder under the same
//!   number, and fails.
//!
//! Either way the read fails (EBADF) with [`Input::interrupted`] true; the caller
//! puts fd 0 back ([`Input::restore`]) and looks at what the signal's flag says. A
//! read that returns 0 is always the end of input: a terminal's end of input
//! comes once only, and must not be taken for a signal's doing.

use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::libc::c_int;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

pub struct Input {
    /// What reads go to: fd 0's file, or after a signal the placeholder.
    copy: OwnedFd,
    /// A descriptor every read of which fails: `/` opened with O_PATH.
    placeholder: OwnedFd,
    /// Set by a signal before it replaces `copy`; cleared by [`Input::restore`].
    swapped: Arc<AtomicBool>,
    actions: Vec<signal_hook::SigId>,
}

impl Input {
    /// fd 0 (which must be open), read through a copy that each of `signals`
    /// interrupts, after setting its flag.
    pub fn new(signals: &[(c_int, Arc<AtomicBool>)]) -> std::io::Result<Input> {
        let copy = std::io::stdin().as_fd().try_clone_to_owned()?;
        let placeholder = nix::fcntl::open(
            "/",
            OFlag::O_PATH | OFlag::O_CLOEXEC,
            nix::sys::stat::Mode::empty(),
        )?;
        let swapped = Arc::new(AtomicBool::new(false));
        let mut input = Input {
            copy,
            placeholder,
            swapped,
            actions: Vec::new(),
        };
        for (signal, flag) in signals {
            let (placeholder, copy) = (input.placeholder.as_raw_fd(), input.copy.as_raw_fd());
            let (flag, swapped) = (flag.clone(), input.swapped.clone());
            let action = move || {
                flag.store(true, Ordering::SeqCst);
                swapped.store(true, Ordering::SeqCst);
                // SAFETY: dup3 is a bare system call on two descriptors that stay
                // open until this action is unregistered (in drop, before they
                // close); it allocates nothing and takes no lock.
                #[allow(unsafe_code)]
                unsafe {
                    nix::libc::dup3(placeholder, copy, nix::libc::O_CLOEXEC);
                }
            };
            // SAFETY: the action is async-signal-safe: atomic stores and dup3.
            #[allow(unsafe_code)]
            let id = unsafe { signal_hook::low_level::register(*signal, action) }?;
            input.actions.push(id);
        }
        Ok(input)
    }

    /// Whether a signal has replaced fd 0 since the last [`Input::restore`]: a
    /// read that failed need not have failed on the input then.
    pub fn interrupted(&self) -> bool {
        self.swapped.load(Ordering::SeqCst)
    }

    /// Puts fd 0 back behind the copy. The flag is cleared first: a signal that
    /// comes in between sets it again, and is then either undone here, its flag
    /// seen by the caller's next look, or seen at the next read.
    pub fn restore(&mut self) -> Result<(), Errno> {
        self.swapped.store(false, Ordering::SeqCst);
        nix::unistd::dup3(std::io::stdin().as_fd(), &mut self.copy, OFlag::O_CLOEXEC)
    }
}

impl AsFd for Input {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.copy.as_fd()
    }
}

impl Drop for Input {
    fn drop(&mut self) {
        // Before the descriptors the actions name are closed.
        for id in self.actions.drain(..) {
            signal_hook::low_level::unregister(id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nix::sys::signal::{Signal, raise};
    use nix::sys::stat::fstat;

    /// After a signal, a read of the input fails (it does not return 0, which a
    /// terminal's end of input does once only), until the input is restored, to fd
    /// 0's own file. SIGUSR2: no other test of this process uses it.
    #[test]
    fn a_signal_makes_reads_fail_until_restored() {
        let caught = Arc::new(AtomicBool::new(false));
        let mut input = Input::new(&[(Signal::SIGUSR2 as c_int, caught.clone())]).unwrap();
        let same_as_stdin = |input: &Input| {
            let (a, b) = (
                fstat(input.as_fd()).unwrap(),
                fstat(std::io::stdin().as_fd()).unwrap(),
            );
            (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)
        };
        assert!(!input.interrupted() && same_as_stdin(&input));
        raise(Signal::SIGUSR2).unwrap();
        assert!(input.interrupted() && caught.load(Ordering::SeqCst));
        let mut buf = [0u8; 16];
        assert!(nix::unistd::read(input.as_fd(), &mut buf).is_err());
        input.restore().unwrap();
        assert!(!input.interrupted() && same_as_stdin(&input));
    }
}

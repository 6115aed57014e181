//! Standard input that a signal cannot sleep through.
//!
//! multilog must act on SIGTERM and SIGALRM while it waits for input. Waiting in
//! poll(2) would do, but once a pipe has been polled, Linux wakes its reader's
//! queue at every write into it, for as long as the pipe lives: a writer of single
//! lines then pays for a wake-up at each line (multilog fed a line per write took
//! 10–18% longer here). So multilog does not poll its input: it waits in
//! read(2) itself, on a copy of fd 0, and each of those signals puts a pipe already
//! at end of file in the copy's place (dup3 is safe in a signal handler):
//! - a signal that comes before the read starts leaves the read nothing to wait for;
//! - a signal that comes while the read sleeps restarts it (the handlers have
//!   SA_RESTART), and the restarted read finds the ended pipe under the same number.
//!
//! Either way the read returns 0 with [`Input::interrupted`] true; the caller puts
//! fd 0 back ([`Input::restore`]) and looks at what the signal's flag says.

use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::libc::c_int;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

pub struct Input {
    /// What reads go to: fd 0's file, or after a signal the ended pipe.
    copy: OwnedFd,
    /// The read end of a pipe whose write end is closed: at end of file forever.
    ended: OwnedFd,
    /// Set by a signal before it replaces `copy`; cleared by [`Input::restore`].
    swapped: Arc<AtomicBool>,
    actions: Vec<signal_hook::SigId>,
}

impl Input {
    /// fd 0, read through a copy that each of `signals` interrupts. A closed fd 0
    /// reads as its end, as upstream's multilog takes a read error for the end.
    pub fn new(signals: &[c_int]) -> std::io::Result<Input> {
        let stdin = std::io::stdin().as_fd().try_clone_to_owned();
        let (ended, writer) = nix::unistd::pipe2(OFlag::O_CLOEXEC)?;
        drop(writer);
        let copy = match stdin {
            Ok(fd) => fd,
            Err(_) => ended.try_clone()?,
        };
        let swapped = Arc::new(AtomicBool::new(false));
        let mut input = Input {
            copy,
            ended,
            swapped,
            actions: Vec::new(),
        };
        for &signal in signals {
            let (ended, copy) = (input.ended.as_raw_fd(), input.copy.as_raw_fd());
            let swapped = input.swapped.clone();
            let action = move || {
                swapped.store(true, Ordering::SeqCst);
                // SAFETY: dup3 is a bare system call on two descriptors that stay
                // open until this action is unregistered (in drop, before they
                // close); it allocates nothing and takes no lock.
                #[allow(unsafe_code)]
                unsafe {
                    nix::libc::dup3(ended, copy, nix::libc::O_CLOEXEC);
                }
            };
            // SAFETY: the action is async-signal-safe: an atomic store and dup3.
            #[allow(unsafe_code)]
            let id = unsafe { signal_hook::low_level::register(signal, action) }?;
            input.actions.push(id);
        }
        Ok(input)
    }

    /// Reads what is already waiting, without waiting for more (preadv2 with
    /// RWF_NOWAIT, which leaves no mark on a pipe, where a poll would): EAGAIN
    /// when nothing is waiting, or when the kind of file cannot tell.
    pub fn read_waiting(&self, buf: &mut [u8]) -> Result<usize, Errno> {
        use nix::libc;
        let part = libc::iovec {
            iov_base: buf.as_mut_ptr().cast(),
            iov_len: buf.len(),
        };
        // SAFETY: one iovec naming `buf`, writable and alive for the whole call;
        // offset -1 reads at the file's position, as read(2).
        #[allow(unsafe_code)]
        let n = unsafe { libc::preadv2(self.copy.as_raw_fd(), &part, 1, -1, libc::RWF_NOWAIT) };
        match Errno::result(n) {
            Ok(n) => Ok(n as usize),
            Err(Errno::EOPNOTSUPP) => Err(Errno::EAGAIN),
            Err(e) => Err(e),
        }
    }

    /// Whether a signal has replaced fd 0 since the last [`Input::restore`]: a
    /// read that returned 0 need not be the end of input then.
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

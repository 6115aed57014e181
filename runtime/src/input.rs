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
//! - a signal that comes while the read sleeps ends it (EINTR: the handlers are
//!   installed without SA_RESTART, as upstream's are).
//!
//! Either way the read fails (EBADF or EINTR) with [`Input::interrupted`] true; the caller
//! puts fd 0 back ([`Input::restore`]) and looks at what the signal's flag says. A
//! read that returns 0 is always the end of input: a terminal's end of input
//! comes once only, and must not be taken for a signal's doing.
//!
//! When fd 0 is a pipe, what is read stays in it until the caller says it is
//! written ([`Input::consume`]): [`Input::read`] copies it out with tee(2) into a
//! pipe of its own and reads it from there. A multilog killed between a read and its
//! write then loses nothing: the next reader of the pipe finds those bytes again
//! (and, killed between the write and the consume, logs them twice).

use nix::errno::Errno;
use nix::fcntl::{OFlag, SpliceFFlags};
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
    /// When fd 0 is a pipe: where reads are copied to, and where they go once written.
    peek: Option<Peek>,
}

/// A private pipe that reads are copied into, and /dev/null, where they are
/// consumed to from fd 0.
struct Peek {
    read: OwnedFd,
    write: OwnedFd,
    null: OwnedFd,
    /// Bytes read and not yet consumed.
    held: usize,
}

impl Peek {
    /// For fd 0 if it is a pipe (and /dev/null can be opened).
    fn of_stdin() -> Option<Peek> {
        let st = nix::sys::stat::fstat(std::io::stdin().as_fd()).ok()?;
        if st.st_mode & nix::libc::S_IFMT != nix::libc::S_IFIFO {
            return None;
        }
        let (read, write) = nix::unistd::pipe2(OFlag::O_CLOEXEC).ok()?;
        let null = nix::fcntl::open(
            "/dev/null",
            OFlag::O_WRONLY | OFlag::O_CLOEXEC,
            nix::sys::stat::Mode::empty(),
        )
        .ok()?;
        Some(Peek {
            read,
            write,
            null,
            held: 0,
        })
    }
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
            peek: Peek::of_stdin(),
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
            without_restart(*signal)?;
        }
        Ok(input)
    }

    /// Reads from fd 0 into `buf`, as read(2) does. From a pipe, the bytes stay in
    /// it until [`Input::consume`]; the caller consumes each read before the next.
    pub fn read(&mut self, buf: &mut [u8]) -> Result<usize, Errno> {
        let Some(peek) = &mut self.peek else {
            return nix::unistd::read(&self.copy, buf);
        };
        debug_assert_eq!(peek.held, 0, "a read consumed before the next");
        let n = match nix::fcntl::tee(&self.copy, &peek.write, buf.len(), SpliceFFlags::empty()) {
            Ok(n) => n,
            // No tee here (an emulator without it, a pipe it refuses): plain reads.
            Err(Errno::ENOSYS | Errno::EINVAL) => {
                self.peek = None;
                return nix::unistd::read(&self.copy, buf);
            }
            Err(e) => return Err(e),
        };
        // The private pipe was empty: it now holds exactly those n bytes.
        let mut got = 0;
        while got < n {
            match nix::unistd::read(&peek.read, &mut buf[got..n]) {
                Ok(m) => got += m,
                Err(Errno::EINTR) => {}
                Err(e) => return Err(e),
            }
        }
        peek.held = n;
        Ok(n)
    }

    /// The bytes of the last read are written: they leave fd 0's pipe (through fd 0
    /// itself, which no signal replaces).
    pub fn consume(&mut self) {
        let Some(peek) = &mut self.peek else { return };
        while peek.held > 0 {
            match nix::fcntl::splice(
                std::io::stdin().as_fd(),
                None,
                &peek.null,
                None,
                peek.held,
                SpliceFFlags::empty(),
            ) {
                Ok(0) => break,
                Ok(n) => peek.held -= n,
                Err(Errno::EINTR) => {}
                // Taken by another reader of the pipe: nothing left to consume.
                Err(_) => break,
            }
        }
        peek.held = 0;
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

/// The action installed for `signal`.
#[allow(unsafe_code)]
fn installed(signal: c_int) -> Result<nix::libc::sigaction, Errno> {
    // SAFETY: an all-zero sigaction is a valid value of the C struct; sigaction(2)
    // given no new action only fills in the current one.
    let mut action: nix::libc::sigaction = unsafe { std::mem::zeroed() };
    Errno::result(unsafe { nix::libc::sigaction(signal, std::ptr::null(), &mut action) })?;
    Ok(action)
}

/// Takes SA_RESTART (which signal-hook always sets) off `signal`'s action, as
/// upstream's multilog installs its handlers: under qemu-user, a system call the
/// emulator passes to the host as it is (tee(2)) would be restarted by the host
/// without the handler ever running, and a tee blocked on an empty pipe would sleep
/// through SIGTERM. Natively the placeholder ends such a call either way; now it
/// fails with EINTR, which the caller takes as it takes the placeholder's EBADF.
#[allow(unsafe_code)]
fn without_restart(signal: c_int) -> Result<(), Errno> {
    let mut action = installed(signal)?;
    action.sa_flags &= !nix::libc::SA_RESTART;
    // SAFETY: the handler, mask and flags signal-hook installed, less one flag.
    Errno::result(unsafe { nix::libc::sigaction(signal, &action, std::ptr::null_mut()) }).map(drop)
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

    /// The signals' handlers do not restart what they interrupt: a tee(2) blocked on
    /// an empty pipe under qemu-user (which runs it as a plain host call) would
    /// otherwise sleep through them. SIGURG: no other test of this process uses it.
    #[test]
    fn a_signal_interrupts_rather_than_restarts() {
        let caught = Arc::new(AtomicBool::new(false));
        let _input = Input::new(&[(Signal::SIGURG as c_int, caught)]).unwrap();
        let flags = installed(Signal::SIGURG as c_int).unwrap().sa_flags;
        assert_eq!(flags & nix::libc::SA_RESTART, 0, "flags {flags:#x}");
    }
}

//! Reads and writes straight on file descriptors, retrying on EINTR.
//!
//! std's `Stdin` and `Stdout` are not used: they treat a closed fd 0 as empty input
//! and a closed fd 1 as a sink, where upstream fails with EBADF and exits 111.

use nix::errno::Errno;
use std::os::fd::AsFd;

/// The size of the buffer stream programs read into: large reads for throughput,
/// and larger than both glibc's mmap threshold and the heap it has at start-up
/// (both about 128 KiB), so that the zeroed buffer is mapped from the kernel,
/// already zero, instead of cleared with a memset at every start.
pub const INPUT_BUFFER: usize = 256 * 1024;

/// A buffer of `INPUT_BUFFER` bytes to read into.
pub fn input_buffer() -> Vec<u8> {
    vec![0u8; INPUT_BUFFER]
}

/// One `read(2)`, retried if interrupted; `Ok(0)` at end of input.
pub fn read<F: AsFd>(fd: F, buf: &mut [u8]) -> Result<usize, Errno> {
    loop {
        match nix::unistd::read(fd.as_fd(), buf) {
            Err(Errno::EINTR) => continue,
            other => return other,
        }
    }
}

/// Writes all of `buf`, across partial writes and interruptions.
pub fn write_all<F: AsFd>(fd: F, mut buf: &[u8]) -> Result<(), Errno> {
    while !buf.is_empty() {
        match nix::unistd::write(fd.as_fd(), buf) {
            Ok(0) => return Err(Errno::EIO),
            Ok(n) => buf = &buf[n..],
            Err(Errno::EINTR) => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Takes an exclusive lock (flock(2), as upstream's `lock_ex` and `lock_exnb`) on
/// `fd`, waiting for it or not. The lock lasts as long as the returned file, or a
/// copy of its descriptor (across exec, for setlock), stays open. std's lock is
/// used rather than nix's `Flock`, whose drop may panic.
pub fn lock_exclusive(fd: std::os::fd::OwnedFd, wait: bool) -> Result<std::fs::File, Errno> {
    let file = std::fs::File::from(fd);
    let locked = if wait {
        file.lock().map_err(|e| errno_of(&e))
    } else {
        file.try_lock().map_err(|e| match e {
            std::fs::TryLockError::WouldBlock => Errno::EWOULDBLOCK,
            std::fs::TryLockError::Error(e) => errno_of(&e),
        })
    };
    locked.map(|()| file)
}

/// Also takes a POSIX record lock on the whole file, without waiting: s6's tools
/// (s6-svok, s6-svc, s6-notifyoncheck) see a supervise running by it (F_GETLK),
/// where daemontools' see it by the flock. Linux keeps the two apart.
pub fn lock_record(file: std::fs::File) -> Result<std::fs::File, Errno> {
    let whole = nix::libc::flock {
        l_type: nix::libc::F_WRLCK as i16,
        l_whence: nix::libc::SEEK_SET as i16,
        l_start: 0,
        l_len: 0,
        l_pid: 0,
    };
    nix::fcntl::fcntl(&file, nix::fcntl::FcntlArg::F_SETLK(&whole)).map(|_| file)
}

/// rename(2), relative to the working directory. Through renameat, as nix offers
/// it: with C string paths it copies neither onto the stack (std's rename takes two
/// 384-byte buffers there).
pub fn rename<P: ?Sized + nix::NixPath, Q: ?Sized + nix::NixPath>(from: &P, to: &Q) -> Result<(), Errno> {
    use nix::fcntl::AT_FDCWD;
    nix::fcntl::renameat(AT_FDCWD, from, AT_FDCWD, to)
}

/// The errno behind an error from std (EIO if it has none).
pub fn errno_of(e: &std::io::Error) -> Errno {
    e.raw_os_error().map_or(Errno::EIO, Errno::from_raw)
}

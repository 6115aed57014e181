//! Reads and writes straight on file descriptors, retrying on EINTR.
//!
//! std's `Stdin` and `Stdout` are not used: they treat a closed fd 0 as empty input
//! and a closed fd 1 as a sink, where upstream fails with EBADF and exits 111.

use nix::errno::Errno;
use std::ffi::CStr;
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

/// Reads the start of the file at `path` into `buf`, across short reads: the
/// number of bytes read (less than `buf` only at the end of the file).
pub fn read_start(path: &std::path::Path, buf: &mut [u8]) -> Result<usize, Errno> {
    let flags = nix::fcntl::OFlag::O_RDONLY | nix::fcntl::OFlag::O_NONBLOCK | nix::fcntl::OFlag::O_CLOEXEC;
    let fd = nix::fcntl::open(path, flags, nix::sys::stat::Mode::empty())?;
    let mut n = 0;
    while n < buf.len() {
        match read(&fd, &mut buf[n..])? {
            0 => break,
            got => n += got,
        }
    }
    Ok(n)
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

/// Puts the file `from` in the place of `to`, as rename(2) does: readers of `to`
/// see the old file or the new one, whole, and `from` is gone. Where `to` exists,
/// by exchanging the two names, then removing the old file: a rename over an
/// existing file makes ext4 write the new one out at once (its auto_da_alloc), the
/// dearest part by far of supervise's every status write, where a file replaced
/// again before the kernel writes it out never costs a write at all. Where no
/// exchange can be made (no `to` yet, a file system without it), or `to` was no
/// file to remove (a directory: exchanged back), a plain rename.
pub fn replace(from: &CStr, to: &CStr) -> Result<(), Errno> {
    if exchange(from, to).is_ok() {
        if nix::unistd::unlink(from).is_ok() {
            return Ok(());
        }
        exchange(from, to)?;
    }
    rename(from, to)
}

/// Replaces the file `to` with `contents` by way of `from`, which is kept for the
/// next time: `from` is overwritten in place (no new inode to find, and no block
/// to allocate once it has one), then the two names are exchanged, so that
/// readers of `to` see the old contents or the new, whole, and `from` holds the
/// old. (A reader still holding `to` open across the next rewrite may see it
/// change: read it in one go.) A symlink planted as `from` is removed, not
/// followed; a directory as `to` is left where it is (exchanged back), and the
/// rename then fails as it would have. Where no exchange can be made, a rename.
pub fn rewrite(from: &CStr, to: &CStr, contents: &[u8]) -> Result<(), Errno> {
    use nix::fcntl::{OFlag, open};
    use nix::sys::stat::Mode;
    let flags = OFlag::O_WRONLY | OFlag::O_CREAT | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC;
    let mode = Mode::from_bits_truncate(0o644);
    let fd = match open(from, flags, mode) {
        Err(Errno::ELOOP) => {
            let _ = nix::unistd::unlink(from);
            open(from, flags, mode)
        }
        other => other,
    }?;
    write_all(&fd, contents)?;
    nix::unistd::ftruncate(&fd, contents.len() as i64)?;
    drop(fd);
    if exchange(from, to).is_ok() {
        let old = nix::sys::stat::lstat(from).map(|st| st.st_mode & nix::libc::S_IFMT);
        if old != Ok(nix::libc::S_IFDIR) {
            return Ok(());
        }
        exchange(from, to)?;
    }
    rename(from, to)
}

/// renameat2(2) with RENAME_EXCHANGE, relative to the working directory (nix
/// offers it for glibc only).
#[allow(unsafe_code)]
fn exchange(a: &CStr, b: &CStr) -> Result<(), Errno> {
    use nix::libc;
    // SAFETY: a system call on two NUL-terminated paths that outlive it.
    let result = unsafe {
        libc::syscall(
            libc::SYS_renameat2,
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    Errno::result(result).map(drop)
}

/// The errno behind an error from std (EIO if it has none).
pub fn errno_of(e: &std::io::Error) -> Errno {
    e.raw_os_error().map_or(Errno::EIO, Errno::from_raw)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CString;
    use std::path::PathBuf;

    /// A fresh directory of this test's own, and C paths in it.
    struct Scratch(PathBuf);

    impl Scratch {
        fn new(name: &str) -> Scratch {
            let dir = std::env::temp_dir().join(format!("io-{name}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir(&dir).unwrap();
            Scratch(dir)
        }

        fn path(&self, name: &str) -> CString {
            CString::new(self.0.join(name).into_os_string().into_encoded_bytes()).unwrap()
        }

        fn read(&self, name: &str) -> Option<String> {
            std::fs::read_to_string(self.0.join(name)).ok()
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    #[test]
    fn replace_renames_then_exchanges_and_removes_the_old_file() {
        let s = Scratch::new("replace");
        let (new, file) = (s.path("status.new"), s.path("status"));
        std::fs::write(s.0.join("status.new"), "one").unwrap();
        replace(&new, &file).unwrap();
        assert_eq!(
            (s.read("status").as_deref(), s.read("status.new")),
            (Some("one"), None)
        );
        std::fs::write(s.0.join("status.new"), "two").unwrap();
        replace(&new, &file).unwrap();
        assert_eq!(
            (s.read("status").as_deref(), s.read("status.new")),
            (Some("two"), None)
        );
    }

    #[test]
    fn replace_leaves_a_directory_where_it_is() {
        let s = Scratch::new("replace-dir");
        std::fs::create_dir(s.0.join("status")).unwrap();
        std::fs::write(s.0.join("status.new"), "one").unwrap();
        assert!(replace(&s.path("status.new"), &s.path("status")).is_err());
        assert!(s.0.join("status").is_dir());
        assert_eq!(s.read("status.new").as_deref(), Some("one"));
    }

    #[test]
    fn rewrite_keeps_the_old_contents_in_the_new_file() {
        let s = Scratch::new("rewrite");
        let (new, file) = (s.path("info.new"), s.path("info"));
        rewrite(&new, &file, b"first, longer").unwrap();
        assert_eq!(s.read("info").as_deref(), Some("first, longer"));
        rewrite(&new, &file, b"second").unwrap();
        assert_eq!(s.read("info").as_deref(), Some("second"));
        assert_eq!(s.read("info.new").as_deref(), Some("first, longer"));
        rewrite(&new, &file, b"third").unwrap();
        assert_eq!(s.read("info").as_deref(), Some("third"));
        assert_eq!(s.read("info.new").as_deref(), Some("second"));
    }

    #[test]
    fn rewrite_leaves_a_directory_where_it_is_and_removes_a_planted_symlink() {
        let s = Scratch::new("rewrite-odd");
        std::fs::create_dir(s.0.join("info")).unwrap();
        assert_eq!(
            rewrite(&s.path("info.new"), &s.path("info"), b"x"),
            Err(Errno::EISDIR)
        );
        assert!(s.0.join("info").is_dir());
        std::fs::remove_dir(s.0.join("info")).unwrap();
        std::fs::remove_file(s.0.join("info.new")).unwrap();
        std::fs::write(s.0.join("target"), "kept").unwrap();
        std::os::unix::fs::symlink(s.0.join("target"), s.0.join("info.new")).unwrap();
        rewrite(&s.path("info.new"), &s.path("info"), b"y").unwrap();
        assert_eq!(s.read("target").as_deref(), Some("kept"));
        assert_eq!(s.read("info").as_deref(), Some("y"));
    }
}

//! multilog's runtime (spec 11): status files, log directories and their locks,
//! the read loop with SIGTERM and SIGALRM, and the steps of `model::multilog` carried
//! out on real files. A failed step is retried after a warning and a five-second
//! pause, as upstream: no line is dropped when the disk fills up.

use crate::input::Input;
use crate::io::errno_of;
use crate::message::{fatal, to_stderr, warn};
use crate::process::{Forked, fork};
use model::multilog::lines::{Lines, STATUS_LEN, Sink};
use model::multilog::output;
use model::multilog::rotation::{self, Found, Recovery, Step};
use model::multilog::script::{Dir, Script};
use nix::errno::Errno;
use nix::fcntl::{OFlag, open};
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::signal::{SigSet, Signal};
use nix::sys::stat::{Mode, fchmod};
use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{Whence, fchdir, fsync, lseek};
use std::ffi::CStr;
use std::io::IoSlice;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

const PROG: &str = "multilog";
/// Each directory's output is gathered up to this much before it is written.
const CHUNK: usize = output::READ_MAX;
/// After this many bytes written to a current, its writeback to disk is started, so
/// that the fsync before the next rotation finds little left to wait for.
const WRITEBACK_EVERY: usize = 1 << 20;
/// How long upstream pauses after every warning.
const PAUSE: Duration = Duration::from_secs(5);
const APPEND: OFlag = OFlag::O_WRONLY
    .union(OFlag::O_NONBLOCK)
    .union(OFlag::O_APPEND)
    .union(OFlag::O_CREAT)
    .union(OFlag::O_CLOEXEC);
const TRUNC: OFlag = OFlag::O_WRONLY
    .union(OFlag::O_NONBLOCK)
    .union(OFlag::O_TRUNC)
    .union(OFlag::O_CREAT)
    .union(OFlag::O_CLOEXEC);
const READ: OFlag = OFlag::O_RDONLY.union(OFlag::O_NONBLOCK).union(OFlag::O_CLOEXEC);

fn mode(bits: u32) -> Mode {
    Mode::from_bits_truncate(bits)
}

/// `multilog: warning: <parts>: <error>` and the pause; the caller then tries again.
fn pause(parts: &[&[u8]], e: Option<Errno>) {
    warn(PROG, parts, e);
    std::thread::sleep(PAUSE);
}

/// Tries `op` until it succeeds, warning and pausing after each failure.
fn retry<T>(parts: &[&[u8]], mut op: impl FnMut() -> Result<T, Errno>) -> T {
    loop {
        match op() {
            Ok(v) => return v,
            Err(e) => pause(parts, Some(e)),
        }
    }
}

/// A log directory while multilog runs.
struct LogDir {
    path: Vec<u8>,
    num: u64,
    processor: Option<Vec<u8>>,
    dir: OwnedFd,
    current: OwnedFd,
    /// Output for `current` not yet written.
    pending: Vec<u8>,
    /// How many bytes have been written to `current`: where the next write lands.
    current_len: u64,
    /// Bytes written to `current` since its writeback was last started.
    unsynced: usize,
    _lock: std::fs::File,
}

impl LogDir {
    fn enter(&self) {
        retry(&[b"unable to switch to ", &self.path, b", pausing"], || {
            fchdir(&self.dir)
        });
    }

    /// Writes what is pending to `current`, however long the disk stays full.
    fn flush(&mut self) {
        self.write_pending(self.pending.len());
    }

    /// Adds `bytes` to the output for `current`. Once that reaches `CHUNK` bytes,
    /// what `output::to_write` says is written, the part in `bytes` from where it
    /// lies (no copy), and the rest kept.
    fn append(&mut self, bytes: &[u8]) {
        let total = self.pending.len() + bytes.len();
        if total < CHUNK {
            self.pending.extend_from_slice(bytes);
            return;
        }
        let aligned = output::to_write(self.current_len, total);
        if aligned <= self.pending.len() {
            self.pending.extend_from_slice(bytes);
            self.write_pending(aligned);
        } else {
            let (now, later) = bytes.split_at(aligned - self.pending.len());
            self.write_current(&self.pending, now);
            self.wrote(aligned);
            self.pending.clear();
            self.pending.extend_from_slice(later);
        }
    }

    /// Writes the first `len` bytes pending to `current`.
    fn write_pending(&mut self, len: usize) {
        if len == 0 {
            return;
        }
        self.write_current(&self.pending[..len], &[]);
        self.wrote(len);
        self.pending.drain(..len);
    }

    /// Writes `first` then `second` to `current` (one system call), however long
    /// the disk stays full.
    fn write_current(&self, first: &[u8], second: &[u8]) {
        let mut parts = [IoSlice::new(first), IoSlice::new(second)];
        let mut parts = &mut parts[..];
        // Drops empty parts: with nothing to write, no write.
        IoSlice::advance_slices(&mut parts, 0);
        while !parts.is_empty() {
            match nix::sys::uio::writev(&self.current, parts) {
                Ok(n) if n > 0 => IoSlice::advance_slices(&mut parts, n),
                Ok(_) => pause(
                    &[b"unable to write to ", &self.path, b"/current, pausing"],
                    Some(Errno::EIO),
                ),
                Err(Errno::EINTR) => {}
                Err(e) => pause(
                    &[b"unable to write to ", &self.path, b"/current, pausing"],
                    Some(e),
                ),
            }
        }
    }

    /// After `len` bytes were written to `current`.
    fn wrote(&mut self, len: usize) {
        self.unsynced += len;
        self.current_len += len as u64;
        if self.unsynced >= WRITEBACK_EVERY {
            self.unsynced = 0;
            crate::process::start_writeback(&self.current);
        }
    }

    fn file(&self, name: &str) -> Vec<u8> {
        [&self.path[..], b"/", name.as_bytes()].concat()
    }

    /// One step of a rotation or recovery, retried until done. At start-up the
    /// steps that make the new current are fatal instead, as upstream's are.
    fn step(&mut self, step: Step, starting: bool) {
        match step {
            Step::SyncCurrent => {
                let path = self.file("current");
                retry(&[b"unable to write ", &path, b" to disk, pausing"], || {
                    fsync(&self.current)
                });
            }
            Step::Rename(from, to) => {
                let path = self.path.clone();
                retry(
                    &[
                        b"unable to rename ",
                        from.as_bytes(),
                        b" to ",
                        to.as_bytes(),
                        b" in directory ",
                        &path,
                        b", pausing",
                    ],
                    || crate::io::rename(from, to),
                );
            }
            Step::NewCurrent if starting => {
                let path = self.file("current");
                self.current = open("current", APPEND, mode(0o600))
                    .unwrap_or_else(|e| fatal(PROG, &[b"unable to write to ", &path], Some(e)));
                if let Err(e) = fchmod(&self.current, mode(0o644)) {
                    fatal(PROG, &[b"unable to set mode of ", &path], Some(e));
                }
                self.current_len = 0;
            }
            Step::NewCurrent => {
                let path = self.file("current");
                self.current = retry(&[b"unable to create ", &path, b", pausing"], || {
                    open("current", APPEND, mode(0o600))
                });
                retry(&[b"unable to set mode of ", &path, b", pausing"], || {
                    fchmod(&self.current, mode(0o644))
                });
                self.current_len = 0;
            }
            Step::Chmod(file, bits) => {
                let path = self.file(file);
                retry(&[b"unable to set mode of ", &path, b", pausing"], || {
                    std::fs::set_permissions(file, std::fs::Permissions::from_mode(bits))
                        .map_err(|e| errno_of(&e))
                });
            }
            Step::Process => self.process(),
            Step::SyncFile(file, bits) => {
                let path = self.file(file);
                let fd = retry(&[b"unable to create ", &path, b", pausing"], || {
                    open(file, APPEND, mode(0o600))
                });
                retry(&[b"unable to write ", &path, b" to disk, pausing"], || fsync(&fd));
                if let Some(bits) = bits {
                    retry(&[b"unable to set mode of ", &path, b", pausing"], || {
                        fchmod(&fd, mode(bits))
                    });
                }
            }
            Step::Unlink(file) => {
                let path = self.file(file);
                retry(&[b"unable to remove ", &path, b", pausing"], || {
                    nix::unistd::unlink(file)
                });
            }
            Step::Discard(file) => {
                let _ = nix::unistd::unlink(file);
            }
            Step::Finish(file, code) => self.finish(file, code),
            Step::EmptyState => {
                if let Err(e) = open("state", TRUNC, mode(0o644)) {
                    fatal(PROG, &[b"unable to write to ", &self.file("state")], Some(e));
                }
            }
        }
    }

    /// Gives `file` a name of its own and keeps fewer than `num` old files (spec 11.7).
    fn finish(&mut self, file: &'static str, code: u8) {
        let path = self.file(file);
        let links = loop {
            match nix::sys::stat::stat(file) {
                Ok(st) => break st.st_nlink,
                Err(Errno::ENOENT) => return,
                Err(e) => pause(&[b"unable to stat ", &path, b", pausing"], Some(e)),
            }
        };
        // More than one link: an earlier attempt already named it.
        if links == 1 {
            loop {
                let name = rotation::finished_name(&crate::clock::now().to_label(), code);
                let name = std::ffi::OsStr::from_bytes(&name);
                match std::fs::hard_link(file, name) {
                    Ok(()) => break,
                    Err(e) => pause(
                        &[
                            b"unable to link to ",
                            &self.path,
                            b"/",
                            name.as_bytes(),
                            b", pausing",
                        ],
                        Some(errno_of(&e)),
                    ),
                }
            }
        }
        retry(&[b"unable to remove ", &path, b", pausing"], || {
            nix::unistd::unlink(file)
        });
        loop {
            let names = match std::fs::read_dir(".") {
                Ok(entries) => entries
                    .map(|e| e.map(|e| e.file_name()))
                    .collect::<Result<Vec<_>, _>>(),
                Err(e) => Err(e),
            };
            let names = match names {
                Ok(n) => n,
                Err(e) => {
                    pause(
                        &[b"unable to read ", &self.path, b", pausing"],
                        Some(errno_of(&e)),
                    );
                    continue;
                }
            };
            let refs: Vec<&[u8]> = names.iter().map(|n| n.as_bytes()).collect();
            match rotation::to_remove(&refs, self.num) {
                None => return,
                Some(old) => {
                    let _ = nix::unistd::unlink(std::ffi::OsStr::from_bytes(old));
                }
            }
        }
    }

    /// Runs the processor until it exits 0 (spec 11.5).
    fn process(&mut self) {
        let command = self.processor.clone().unwrap_or_default();
        loop {
            let forked = retry(
                &[b"unable to fork for processor in ", &self.path, b", pausing"],
                fork,
            );
            let pid = match forked {
                Forked::Child => run_processor(&command),
                Forked::Parent(pid) => pid,
            };
            let failed = loop {
                match waitpid(pid, None) {
                    Ok(WaitStatus::Exited(_, 0)) => break false,
                    Ok(WaitStatus::Exited(..)) => break true,
                    Ok(WaitStatus::Signaled(..)) => {
                        // Upstream shows whatever errno then holds; so does this.
                        pause(
                            &[b"processor crashed in ", &self.path, b", pausing"],
                            Some(Errno::last()),
                        );
                        break true;
                    }
                    Ok(_) | Err(Errno::EINTR) => {}
                    Err(e) => {
                        pause(
                            &[b"wait failed for processor in ", &self.path, b", pausing"],
                            Some(e),
                        );
                        break true;
                    }
                }
            };
            if !failed {
                return;
            }
            pause(&[b"processor failed in ", &self.path, b", pausing"], None);
        }
    }

    /// The rotation of a full current.
    fn rotate(&mut self) {
        self.flush();
        self.enter();
        for &step in rotation::rotation(self.processor.is_some()) {
            self.step(step, false);
        }
    }
}

/// In the processor's process: `previous` on 0, `processed` on 1, `state` on 4,
/// `newstate` on 5, then `/bin/sh -c command`. Never returns.
fn run_processor(command: &[u8]) -> ! {
    // First of all: a signal caught here would run multilog's handlers, which put
    // a placeholder on the number of its copy of fd 0, 4 or 5 (see `Input`).
    crate::process::default_signals(&[Signal::SIGTERM, Signal::SIGALRM]);
    let setup = || -> Result<std::convert::Infallible, Errno> {
        for (name, flags, target) in [
            ("previous", READ, 0),
            ("processed", TRUNC, 1),
            ("state", READ, 4),
            ("newstate", TRUNC, 5),
        ] {
            crate::process::dup_onto(open(name, flags, mode(0o644))?, target)?;
        }
        let sh: &CStr = c"/bin/sh";
        let command = std::ffi::CString::new(command).map_err(|_| Errno::EINVAL)?;
        nix::unistd::execv(sh, &[c"sh", c"-c", command.as_c_str()])
    };
    let e = setup().unwrap_err();
    fatal(PROG, &[b"unable to run ", command], Some(e))
}

/// Opens, locks and recovers `dir` (spec 11.6); `start` is the starting directory.
fn restart(dir: &Dir, start: &OwnedFd) -> (LogDir, u64) {
    let path = &dir.path[..];
    if let Err(e) = fchdir(start) {
        fatal(PROG, &[b"unable to switch to starting directory"], Some(e));
    }
    let _ = nix::unistd::mkdir(path, mode(0o700));
    let dir_fd = open(path, READ, Mode::empty())
        .and_then(|fd| fchdir(&fd).map(|()| fd))
        .unwrap_or_else(|e| fatal(PROG, &[b"unable to open directory ", path], Some(e)));
    let lock = open("lock", APPEND, mode(0o600))
        .and_then(|fd| crate::io::lock_exclusive(fd, false))
        .unwrap_or_else(|e| fatal(PROG, &[b"unable to lock directory ", path], Some(e)));
    let found = |name: &str| match nix::sys::stat::stat(name) {
        Ok(st) => (
            Found::Present {
                finished: st.st_mode & 0o100 != 0,
            },
            st.st_size as u64,
        ),
        Err(Errno::ENOENT) => (Found::Missing, 0),
        Err(e) => fatal(PROG, &[b"unable to stat ", path, b"/", name.as_bytes()], Some(e)),
    };
    let (current, size) = found("current");
    let mut log = LogDir {
        path: path.to_vec(),
        num: dir.num,
        processor: dir.processor.clone(),
        dir: dir_fd,
        // Replaced below, by the resumed current or the new one.
        current: start
            .try_clone()
            .unwrap_or_else(|e| fatal(PROG, &[b"out of descriptors"], Some(errno_of(&e)))),
        pending: Vec::with_capacity(2 * CHUNK),
        current_len: 0,
        unsynced: 0,
        _lock: lock,
    };
    let processed = if current == (Found::Present { finished: true }) {
        Found::Missing
    } else {
        found("processed").0
    };
    match rotation::recovery(current, processed) {
        Recovery::Resume => {
            let file = [path, b"/current"].concat();
            log.current = open("current", APPEND, mode(0o600))
                .unwrap_or_else(|e| fatal(PROG, &[b"unable to append to ", &file], Some(e)));
            if let Err(e) = fchmod(&log.current, mode(0o644)) {
                fatal(PROG, &[b"unable to set mode of ", &file], Some(e));
            }
            log.current_len = size;
            (log, size)
        }
        Recovery::Repair(steps) => {
            for &step in steps {
                log.step(step, true);
            }
            (log, 0)
        }
    }
}

/// Where the line machine's output goes.
struct Outputs {
    dirs: Vec<LogDir>,
    status: Vec<(Vec<u8>, OwnedFd)>,
    /// The last record for each status file, to write when the chunk is done.
    status_pending: Vec<Option<Box<[u8; STATUS_LEN]>>>,
    echo: Vec<u8>,
}

impl Sink for Outputs {
    fn write(&mut self, dir: usize, bytes: &[u8]) {
        self.dirs[dir].append(bytes);
    }

    fn rotate(&mut self, dir: usize) {
        self.dirs[dir].rotate();
    }

    fn echo(&mut self, bytes: &[u8]) {
        self.echo.extend_from_slice(bytes);
    }

    fn status(&mut self, index: usize, record: &[u8; STATUS_LEN]) {
        self.status_pending[index] = Some(Box::new(*record));
    }
}

impl Outputs {
    /// Writes everything pending: stderr, status files, then each directory.
    fn flush(&mut self) {
        self.write_echo_and_status();
        for d in &mut self.dirs {
            d.flush();
        }
    }

    fn write_echo_and_status(&mut self) {
        if !self.echo.is_empty() {
            to_stderr(&self.echo);
            self.echo.clear();
        }
        for ((name, fd), pending) in self.status.iter().zip(&mut self.status_pending) {
            if let Some(record) = pending.take() {
                loop {
                    retry(&[b"unable to move to beginning of ", name, b", pausing"], || {
                        lseek(fd, 0, Whence::SeekSet)
                    });
                    match nix::unistd::write(fd, &record[..]) {
                        Ok(STATUS_LEN) => break,
                        Ok(_) => pause(&[b"unable to write ", name, b", pausing"], Some(Errno::EIO)),
                        Err(e) => pause(&[b"unable to write ", name, b", pausing"], Some(e)),
                    }
                }
            }
        }
    }

    /// At the end: everything on disk, and each current marked clean (mode 0744).
    fn close(&mut self) {
        self.flush();
        for d in &mut self.dirs {
            let path = d.file("current");
            retry(&[b"unable to write ", &path, b" to disk, pausing"], || {
                fsync(&d.current)
            });
            retry(&[b"unable to set mode of ", &path, b", pausing"], || {
                fchmod(&d.current, mode(0o744))
            });
        }
    }
}

/// Runs multilog with `script`; returns the exit status (0 at end of input).
pub fn run(script: &Script) -> i32 {
    nix::sys::stat::umask(mode(0o022));
    let start = open(".", READ, Mode::empty())
        .unwrap_or_else(|e| fatal(PROG, &[b"unable to switch to current directory"], Some(e)));

    // A blocked mask survives exec; upstream unblocks both signals, so does this.
    let mut signals = SigSet::empty();
    signals.add(Signal::SIGTERM);
    signals.add(Signal::SIGALRM);
    let _ = signals.thread_unblock();
    let (term, alarm) = (Arc::new(AtomicBool::new(false)), Arc::new(AtomicBool::new(false)));
    let registered = Input::new(&[
        (signal_hook::consts::SIGTERM, term.clone()),
        (signal_hook::consts::SIGALRM, alarm.clone()),
    ]);
    let mut input =
        registered.unwrap_or_else(|e| fatal(PROG, &[b"unable to catch signals"], Some(errno_of(&e))));

    let status: Vec<(Vec<u8>, OwnedFd)> = script
        .status_files
        .iter()
        .map(|name| {
            if let Err(e) = fchdir(&start) {
                fatal(PROG, &[b"unable to switch to starting directory"], Some(e));
            }
            let path = std::ffi::OsStr::from_bytes(name);
            if let Err(e) = open(path, APPEND, mode(0o600)) {
                fatal(PROG, &[b"unable to create ", name], Some(e));
            }
            let fd = open(
                path,
                OFlag::O_WRONLY | OFlag::O_NONBLOCK | OFlag::O_CLOEXEC,
                Mode::empty(),
            )
            .unwrap_or_else(|e| fatal(PROG, &[b"unable to write ", name], Some(e)));
            (name.clone(), fd)
        })
        .collect();
    let (dirs, sizes): (Vec<LogDir>, Vec<u64>) = script.dirs.iter().map(|d| restart(d, &start)).unzip();
    let mut out = Outputs {
        status_pending: vec![None; status.len()],
        status,
        dirs,
        echo: Vec::new(),
    };
    let mut lines = Lines::new(script, &sizes);

    let mut buf = vec![0u8; output::READ_MAX];
    loop {
        // A signal since the last look replaced `input`: put fd 0 back before
        // looking at the flags the signal set. Should that fail, the read below
        // fails, which ends the input as upstream's read errors do.
        if input.interrupted() {
            let _ = input.restore();
        }
        if alarm.swap(false, Ordering::SeqCst) {
            lines.rotate_all(&mut out);
            out.flush();
        }
        let stopping = term.load(Ordering::SeqCst);
        if stopping && lines.between_lines() {
            break;
        }
        // After SIGTERM, the rest of the line a byte at a time, to leave the next
        // line unread. Otherwise no more than can be written before a rotation
        // makes multilog wait (see `output`).
        let want = if stopping {
            1
        } else {
            output::to_read(lines.input_before_rotation())
        };
        let n = match nix::unistd::read(input.as_fd(), &mut buf[..want]) {
            Ok(0) => break,
            Ok(n) => n,
            Err(_) if input.interrupted() => continue,
            Err(Errno::EINTR) => continue,
            // fd 0 is non-blocking: wait until it is readable (a signal makes it so).
            Err(Errno::EAGAIN) => {
                let _ = poll(
                    &mut [PollFd::new(input.as_fd(), PollFlags::POLLIN)],
                    PollTimeout::NONE,
                );
                continue;
            }
            // Upstream takes a read error for the end of input.
            Err(_) => break,
        };
        // The lines that begin in what one read returned arrived together: one
        // clock reading, taken when the first of them begins, labels them all.
        let mut arrived = None;
        lines.feed(
            &buf[..n],
            || *arrived.get_or_insert_with(crate::clock::now),
            &mut out,
        );
        // Everything read is written before multilog waits for more.
        out.flush();
    }
    lines.finish(&mut out);
    out.close();
    0
}

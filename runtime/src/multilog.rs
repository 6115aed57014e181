//! multilog's runtime (spec 11): status files, the read loop with SIGTERM and
//! SIGALRM, and each log directory's machine (`model::multilog::logdir`) carried out
//! on real files: every call it asks for is one system call here, its result goes
//! back to it, and its pauses are slept. The machine decides everything else (which
//! failures are fatal, which are warned about and retried, what the messages say).

use crate::input::Input;
use crate::io::errno_of;
use crate::message::{EXIT_TEMPORARY, Fatal, line, to_stderr, warn};
use crate::process::{Forked, fork};
use crate::zone::LocalZone;
use model::multilog::lines::{self, Effects};
use model::multilog::logdir::{self, Answer, Call, Effect, Now};
use model::multilog::script::{Dir, Script};
use model::multilog::session::{Event, Next, READ_MAX, Session, StatusFailure};
use model::tai64::Tai64N;
use nix::errno::Errno;
use nix::fcntl::{OFlag, open};
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::signal::{SigSet, Signal};
use nix::sys::stat::{Mode, fchmod};
use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{Pid, Whence, fchdir, fsync, lseek};
use std::ffi::{CStr, OsStr};
use std::io::IoSlice;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::PermissionsExt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

const PROG: &str = "multilog";
/// The most writes to one directory gathered into one system call: the pieces of a
/// read that a pattern cuts (`Lines`) go out in few calls.
const GATHER: usize = 64;
/// After this many bytes written to a current, its writeback to disk is started, so
/// that the fsync before the next rotation finds little left to wait for.
const WRITEBACK_EVERY: usize = 1 << 20;
/// How long upstream pauses after a status file's write fails.
const PAUSE: Duration = Duration::from_nanos(logdir::PAUSE);
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

fn now() -> Now {
    Now {
        wall: crate::clock::now(),
        mono: crate::clock::monotonic(),
    }
}

/// A log directory's machine, and the files its calls act on.
struct Files<'a> {
    machine: logdir::LogDir,
    path: Vec<u8>,
    /// The processor's command (empty without one: the machine then never forks).
    processor: Vec<u8>,
    /// The directory multilog started in.
    start: &'a OwnedFd,
    dir: Option<OwnedFd>,
    current: Option<OwnedFd>,
    /// The file opened by `Call::Open`, until `Call::Close`.
    in_hand: Option<OwnedFd>,
    lock: Option<std::fs::File>,
    /// Bytes written to `current` since its writeback was last started.
    unsynced: usize,
    /// The machine declared a failure that ends multilog (only at start-up).
    failure: Option<Fatal>,
}

impl<'a> Files<'a> {
    /// Opens, locks and recovers `dir` (spec 11.6); `start` is the starting directory.
    fn restart(dir: &Dir, start: &'a OwnedFd) -> Result<Files<'a>, Fatal> {
        let mut files = Files {
            machine: logdir::LogDir::new(&dir.path, dir.num, dir.total, dir.processor.is_some()),
            path: dir.path.clone(),
            processor: dir.processor.clone().unwrap_or_default(),
            start,
            dir: None,
            current: None,
            in_hand: None,
            lock: None,
            unsynced: 0,
            failure: None,
        };
        files.carry_out();
        match files.failure.take() {
            Some(fatal) => Err(fatal),
            None => Ok(files),
        }
    }

    /// Gives `input` to the machine and carries out what it asks until it is idle.
    fn drive(&mut self, input: logdir::Input) {
        self.machine.handle(input);
        self.carry_out();
    }

    /// Carries out the machine's effects, sleeping through its pauses, until it is idle.
    fn carry_out(&mut self) {
        loop {
            match self.machine.poll() {
                Some(Effect::Call(call)) => {
                    let answer = self.call(call).map_err(|e| e as i32);
                    self.machine.handle(logdir::Input::Answer(answer));
                }
                Some(Effect::Warn { text, errno }) => warn(PROG, &[&text], errno.map(Errno::from_raw)),
                Some(Effect::Fatal { text, errno }) => {
                    self.failure = Some(Fatal::new(&[&text], errno.map(Errno::from_raw)));
                    return;
                }
                None => match self.machine.deadline() {
                    Some(at) => {
                        std::thread::sleep(Duration::from_nanos(
                            at.saturating_sub(crate::clock::monotonic()),
                        ));
                        self.machine.handle(logdir::Input::Timer(now()));
                    }
                    None => return,
                },
            }
        }
    }

    fn current(&self) -> &OwnedFd {
        self.current
            .as_ref()
            .expect("the machine opens current before it is used")
    }

    fn in_hand(&self) -> &OwnedFd {
        self.in_hand
            .as_ref()
            .expect("the machine opens a file before it syncs it")
    }

    /// One call, as the machine asked.
    fn call(&mut self, call: Call) -> Result<Answer, Errno> {
        let done = Answer::Done;
        match call {
            Call::Now => Ok(Answer::Now(now())),
            Call::EnterStart => fchdir(self.start).map(|()| done),
            Call::MakeDir => nix::unistd::mkdir(&self.path[..], mode(0o700)).map(|()| done),
            Call::OpenDir => open(&self.path[..], READ, Mode::empty()).map(|fd| {
                self.dir = Some(fd);
                done
            }),
            Call::Enter => {
                fchdir(self.dir.as_ref().expect("the machine opens the directory first")).map(|()| done)
            }
            Call::Lock => open("lock", APPEND, mode(0o600))
                .and_then(|fd| crate::io::lock_exclusive(fd, false))
                .map(|lock| {
                    self.lock = Some(lock);
                    done
                }),
            Call::Stat(file) => nix::sys::stat::stat(file).map(|st| {
                // A u64 on x86_64, a u32 on aarch64.
                #[allow(clippy::useless_conversion)]
                let nlink = u64::from(st.st_nlink);
                Answer::Stat {
                    mode: st.st_mode,
                    size: st.st_size as u64,
                    nlink,
                }
            }),
            Call::OpenCurrent => open("current", APPEND, mode(0o600)).map(|fd| {
                self.current = Some(fd);
                done
            }),
            Call::FsyncCurrent => fsync(self.current()).map(|()| done),
            Call::FchmodCurrent(bits) => fchmod(self.current(), mode(bits)).map(|()| done),
            Call::Open(file) => open(file, APPEND, mode(0o600)).map(|fd| {
                self.in_hand = Some(fd);
                done
            }),
            Call::Fsync(_) => fsync(self.in_hand()).map(|()| done),
            Call::Fchmod(_, bits) => fchmod(self.in_hand(), mode(bits)).map(|()| done),
            Call::Close(_) => {
                self.in_hand = None;
                Ok(done)
            }
            Call::Chmod(file, bits) => std::fs::set_permissions(file, std::fs::Permissions::from_mode(bits))
                .map(|()| done)
                .map_err(|e| errno_of(&e)),
            Call::Rename(from, to) => crate::io::rename(from, to).map(|()| done),
            Call::Unlink(file) => nix::unistd::unlink(file).map(|()| done),
            Call::Link(file, name) => std::fs::hard_link(file, OsStr::from_bytes(&name))
                .map(|()| done)
                .map_err(|e| errno_of(&e)),
            Call::Remove(name) => nix::unistd::unlink(OsStr::from_bytes(&name)).map(|()| done),
            // A loop, not a collect into a Result: that one's code would lie outside
            // multilog's (layout.ld), in a page touched at every rotation.
            Call::List => {
                let mut names = Vec::new();
                for entry in std::fs::read_dir(".").map_err(|e| errno_of(&e))? {
                    names.push(entry.map_err(|e| errno_of(&e))?.file_name().into_vec());
                }
                Ok(Answer::Listing(names))
            }
            Call::ListSizes => {
                let mut files = Vec::new();
                for entry in std::fs::read_dir(".").map_err(|e| errno_of(&e))? {
                    let entry = entry.map_err(|e| errno_of(&e))?;
                    // One removed since it was listed is no longer there to count.
                    if let Ok(meta) = entry.metadata() {
                        files.push((entry.file_name().into_vec(), meta.len()));
                    }
                }
                Ok(Answer::Sizes(files))
            }
            Call::EmptyState => open("state", TRUNC, mode(0o644)).map(|_| done),
            Call::Fork => match fork()? {
                Forked::Child => run_processor(&self.processor),
                Forked::Parent(pid) => Ok(Answer::Forked(pid.as_raw() as u32)),
            },
            Call::Wait(pid) => loop {
                match waitpid(Pid::from_raw(pid as i32), None) {
                    Ok(WaitStatus::Exited(_, code)) => return Ok(Answer::Exited(code)),
                    Ok(WaitStatus::Signaled(..)) => {
                        return Ok(Answer::Crashed {
                            errno: Errno::last_raw(),
                        });
                    }
                    Ok(_) | Err(Errno::EINTR) => {}
                    Err(e) => return Err(e),
                }
            },
        }
    }

    /// Writes `parts` to `current` in one system call, however long the disk
    /// stays full.
    fn write(&mut self, mut parts: &mut [IoSlice]) {
        let len: usize = parts.iter().map(|p| p.len()).sum();
        // Drops empty parts: with nothing to write, no write.
        IoSlice::advance_slices(&mut parts, 0);
        while !parts.is_empty() {
            match nix::sys::uio::writev(self.current(), parts) {
                Ok(n) if n > 0 => IoSlice::advance_slices(&mut parts, n),
                Ok(_) => self.drive(logdir::Input::WriteFailed(Errno::EIO as i32)),
                Err(Errno::EINTR) => {}
                Err(e) => self.drive(logdir::Input::WriteFailed(e as i32)),
            }
        }
        self.unsynced += len;
        if self.unsynced >= WRITEBACK_EVERY {
            self.unsynced = 0;
            crate::process::start_writeback(self.current());
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
    to_stderr(&line(PROG, "fatal", &[b"unable to run ", command], Some(e)));
    crate::process::exit_child(EXIT_TEMPORARY)
}

/// Where the line machine's output goes.
struct Outputs<'a> {
    dirs: Vec<Files<'a>>,
    status: Vec<(Vec<u8>, OwnedFd)>,
}

impl Outputs<'_> {
    /// Carries out what the line machine asked; `read` is what it was given, and
    /// leaves `input` when the machine says so.
    fn carry_out(&mut self, effects: &Effects, read: &[u8], input: &mut Input) -> Result<(), Fatal> {
        let mut list = effects.list();
        while let Some((first, rest)) = list.split_first() {
            list = rest;
            match first {
                lines::Effect::Write { dir, span } => {
                    // The writes to one directory that follow, up to GATHER, go out in
                    // the same system call (a held line's start, then the rest of it;
                    // the pieces a pattern cut).
                    let mut parts = [IoSlice::new(&[]); GATHER];
                    parts[0] = IoSlice::new(effects.bytes(span, read));
                    let mut n = 1;
                    while n < GATHER
                        && let Some((lines::Effect::Write { dir: next, span }, rest)) = list.split_first()
                        && next == dir
                    {
                        parts[n] = IoSlice::new(effects.bytes(span, read));
                        n += 1;
                        list = rest;
                    }
                    self.dirs[*dir].write(&mut parts[..n]);
                }
                lines::Effect::Rotate(dir) => self.dirs[*dir].drive(logdir::Input::Rotate),
                lines::Effect::Echo(span) => to_stderr(effects.bytes(span, read)),
                lines::Effect::Status { index, span } => self.write_status(*index, effects.bytes(span, read)),
                lines::Effect::Taken => input.consume(),
            }
        }
        self.failure()
    }

    /// A failure a directory's machine declared (it declares none after start-up).
    fn failure(&mut self) -> Result<(), Fatal> {
        match self.dirs.iter_mut().find_map(|d| d.failure.take()) {
            Some(fatal) => Err(fatal),
            None => Ok(()),
        }
    }

    /// Status file `index` holds exactly `record`, however long writing it fails
    /// (`StatusFailure`).
    fn write_status(&self, index: usize, record: &[u8]) {
        let (name, fd) = &self.status[index];
        loop {
            let (failure, e) = match lseek(fd, 0, Whence::SeekSet) {
                Err(e) => (StatusFailure::Seek, e),
                Ok(_) => match nix::unistd::write(fd, record) {
                    Ok(n) if n == record.len() => return,
                    Ok(_) => (StatusFailure::Write, Errno::EIO),
                    Err(e) => (StatusFailure::Write, e),
                },
            };
            pause(&[&failure.warning(name)], Some(e));
        }
    }

    /// At the end: everything on disk, and each current marked clean (mode 0744).
    fn close(&mut self) -> Result<(), Fatal> {
        for d in &mut self.dirs {
            d.drive(logdir::Input::Close);
        }
        self.failure()
    }
}

/// Runs multilog with `script` until the end of its input or SIGTERM (then `Ok(0)`),
/// or until a failure that ends it.
pub fn run(script: &Script) -> Result<i32, Fatal> {
    let fatal = |parts: &[&[u8]], e: Errno| Fatal::new(parts, Some(e));
    nix::sys::stat::umask(mode(0o022));
    let start =
        open(".", READ, Mode::empty()).map_err(|e| fatal(&[b"unable to switch to current directory"], e))?;

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
    let mut input = registered.map_err(|e| fatal(&[b"unable to catch signals"], errno_of(&e)))?;

    let status: Vec<(Vec<u8>, OwnedFd)> = script
        .status_files
        .iter()
        .map(|name| {
            fchdir(&start).map_err(|e| fatal(&[b"unable to switch to starting directory"], e))?;
            let path = std::ffi::OsStr::from_bytes(name);
            open(path, APPEND, mode(0o600)).map_err(|e| fatal(&[b"unable to create ", name], e))?;
            let fd = open(
                path,
                OFlag::O_WRONLY | OFlag::O_NONBLOCK | OFlag::O_CLOEXEC,
                Mode::empty(),
            )
            .map_err(|e| fatal(&[b"unable to write ", name], e))?;
            Ok((name.clone(), fd))
        })
        .collect::<Result<_, Fatal>>()?;
    let mut dirs: Vec<Files> = Vec::with_capacity(script.dirs.len());
    for d in &script.dirs {
        dirs.push(Files::restart(d, &start)?);
    }
    let sizes: Vec<u64> = dirs.iter().map(|d| d.machine.start_bytes()).collect();
    let mut out = Outputs { status, dirs };
    let mut session = Session::new(script, &sizes);
    let mut effects = Effects::new();
    let mut zone = script.stamp.filter(|s| s.is_local()).map(|_| {
        let (watched, zone) = LocalZone::from_environment();
        session.set_zone(zone);
        ZoneWatch { watched, second: 0 }
    });
    session.handle(Event::Tick(crate::clock::now()), &mut effects);
    out.carry_out(&effects, &[], &mut input)?;

    let mut buf = vec![0u8; READ_MAX];
    loop {
        // A signal since the last look replaced `input`: put fd 0 back before
        // looking at the flags the signal set. Should that fail, the read below
        // fails, which ends the input.
        if input.interrupted() {
            let _ = input.restore();
        }
        if alarm.swap(false, Ordering::SeqCst) {
            session.handle(Event::Alarm, &mut effects);
            out.carry_out(&effects, &[], &mut input)?;
        }
        if term.swap(false, Ordering::SeqCst) {
            session.handle(Event::Term, &mut effects);
        }
        let want = match session.next() {
            Next::Read(n) => n,
            Next::Close => break,
        };
        if let Some(due) = session.deadline() {
            let now = crate::clock::now();
            if due <= now {
                session.handle(Event::Tick(now), &mut effects);
                out.carry_out(&effects, &[], &mut input)?;
                continue;
            }
            // Wait for input no longer than until then (a signal ends the wait too).
            let wait = PollTimeout::try_from(until(now, due)).unwrap_or(PollTimeout::MAX);
            match poll(&mut [PollFd::new(input.as_fd(), PollFlags::POLLIN)], wait) {
                Ok(0) | Err(Errno::EINTR) => continue,
                _ => {}
            }
        }
        let event = match input.read(&mut buf[..want]) {
            Ok(0) => Event::End,
            Ok(n) => {
                let now = crate::clock::now();
                if let Some(watch) = &mut zone {
                    watch.look(now, &mut session);
                }
                Event::Read(&buf[..n], now)
            }
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
            Err(_) => Event::End,
        };
        session.handle(event, &mut effects);
        let read = match event {
            Event::Read(bytes, _) => bytes,
            _ => &[],
        };
        out.carry_out(&effects, read, &mut input)?;
    }
    out.close()?;
    Ok(0)
}

/// Milliseconds from `now` until `due` (which is later), rounded up.
fn until(now: Tai64N, due: Tai64N) -> u64 {
    let nanos = due.secs.saturating_sub(now.secs) as u128 * 1_000_000_000 + u128::from(due.nanos)
        - u128::from(now.nanos);
    u64::try_from(nanos.div_ceil(1_000_000)).unwrap_or(u64::MAX)
}

/// With TZ unset, local time follows a replaced /etc/localtime, as glibc's does;
/// looked at once a second at most.
struct ZoneWatch {
    watched: LocalZone,
    second: u64,
}

impl ZoneWatch {
    fn look(&mut self, now: Tai64N, session: &mut Session) {
        if now.secs != self.second {
            self.second = now.secs;
            if let Some(zone) = self.watched.changed() {
                session.set_zone(zone);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_model_knows_enoent() {
        assert_eq!(Errno::ENOENT as i32, logdir::ENOENT);
    }
}

//! supervise's runtime (spec 2.1, 2.3–2.5): the service directory's files, the
//! control FIFO, and the effects of `model::supervise`, which decides what to do,
//! driven by the shared event loop. Failures that end supervise are returned.

use crate::event_loop::{Ended, Machine, SignalPipe};
use crate::message::{Fatal, warn};
use crate::process::Setup;
use crate::process::{Forked, fork};
use model::status::LEN;
use model::supervise::death_tally;
use model::supervise::settings::Contents;
use model::supervise::{Effect, Input, Notice, Now, Settings, Signal, Supervisor};
use nix::errno::Errno;
use nix::fcntl::{OFlag, open};
use nix::sys::stat::Mode;
use nix::unistd::Pid;
use std::ffi::{CStr, CString, OsStr};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;

const PROG: &str = "supervise";

fn now() -> Now {
    Now {
        wall: crate::clock::now(),
        mono: crate::clock::monotonic(),
    }
}

fn signal(s: Signal) -> Option<nix::sys::signal::Signal> {
    use nix::sys::signal::Signal as S;
    Some(match s {
        Signal::Alrm => S::SIGALRM,
        Signal::Cont => S::SIGCONT,
        Signal::Hup => S::SIGHUP,
        Signal::Int => S::SIGINT,
        Signal::Kill => S::SIGKILL,
        Signal::Stop => S::SIGSTOP,
        Signal::Term => S::SIGTERM,
        Signal::Quit => S::SIGQUIT,
        Signal::Usr1 => S::SIGUSR1,
        Signal::Usr2 => S::SIGUSR2,
        Signal::Winch => S::SIGWINCH,
        Signal::Abrt => S::SIGABRT,
        Signal::Number(n) => return S::try_from(n).ok(),
    })
}

/// Opens a FIFO without blocking, creating it (mode 0600) if need be.
fn fifo(path: &str, flags: OFlag) -> Result<OwnedFd, Errno> {
    let _ = nix::unistd::mkfifo(path, Mode::from_bits_truncate(0o600));
    open(path, flags | OFlag::O_NONBLOCK | OFlag::O_CLOEXEC, Mode::empty())
}

/// Creates `supervise/`, or, as Debian's patch does, the directory a dangling
/// `supervise` symlink points to.
fn make_supervise_dir() -> Result<(), Fatal> {
    if nix::unistd::mkdir("supervise", Mode::from_bits_truncate(0o700)).is_ok() {
        return Ok(());
    }
    // Debian's message has no program prefix.
    let readlink_failed = |e| Err(Fatal::bare(&[b"unable to readlink ./supervise"], Some(e)));
    // std's read_link, not nix's: nix's takes a PATH_MAX buffer from the heap, a page
    // of private memory kept for the life of every supervise.
    match std::fs::read_link("supervise").map_err(|e| crate::io::errno_of(&e)) {
        Ok(target) if target.as_os_str().len() >= 256 => readlink_failed(Errno::EOVERFLOW),
        Ok(target) => {
            let _ = nix::unistd::mkdir(target.as_os_str(), Mode::from_bits_truncate(0o700));
            Ok(())
        }
        Err(Errno::ENOENT | Errno::EINVAL) => Ok(()),
        Err(e) => readlink_failed(e),
    }
}

/// Writes the status record as upstream: `status.new`, then a rename (by
/// exchange where it can: `io::replace`). Failures are warnings.
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
    if let Err(e) = crate::io::replace(c"supervise/status.new", c"supervise/status") {
        warn(
            PROG,
            &[b"unable to rename ", dir, b"/supervise/status.new to status"],
            Some(e),
        );
    }
}

/// Writes `supervise/info` by way of `info.new` (`io::rewrite`), so that readers
/// see the old file or the new one, whole.
fn write_info(dir: &[u8], text: &[u8]) {
    if let Err(e) = crate::io::rewrite(c"supervise/info.new", c"supervise/info", text) {
        warn(PROG, &[b"unable to write ", dir, b"/supervise/info"], Some(e));
    }
}

/// Appends `record` to `supervise/death_tally` as s6-supervise does: the file is
/// rewritten through `death_tally.new` (`io::rewrite`) with at most `max`
/// records. Failures are warnings.
fn record_death(dir: &[u8], record: &[u8; death_tally::RECORD], max: u16) {
    let limit = usize::from(death_tally::MAX) * death_tally::RECORD;
    // A file larger than s6 ever writes is started afresh, unread.
    let current = match std::fs::File::open("supervise/death_tally") {
        Ok(file) => {
            let mut bytes = Vec::new();
            match std::io::Read::read_to_end(&mut std::io::Read::take(file, limit as u64 + 1), &mut bytes) {
                Ok(n) if n <= limit => bytes,
                _ => Vec::new(),
            }
        }
        Err(_) => Vec::new(),
    };
    let mut tally = death_tally::kept(&current, max).to_vec();
    tally.extend_from_slice(record);
    let written = crate::io::rewrite(c"supervise/death_tally.new", c"supervise/death_tally", &tally);
    if let Err(e) = written {
        warn(
            PROG,
            &[b"unable to write ", dir, b"/supervise/death_tally"],
            Some(e),
        );
    }
}

/// Runs supervise on `dir` until `x` has been acted on (then `Ok(0)`), or until a
/// failure that ends it.
pub fn run(dir: &OsStr) -> Result<i32, Fatal> {
    let dir_bytes = dir.as_bytes();
    let fatal = |parts: &[&[u8]], e: Errno| Fatal::new(parts, Some(e));
    let children = SignalPipe::new(&[signal_hook::consts::SIGCHLD])
        .map_err(|e| fatal(&[b"unable to create pipe for ", dir_bytes], e))?;
    nix::unistd::chdir(dir).map_err(|e| fatal(&[b"unable to chdir to ", dir_bytes], e))?;
    let down_file = match nix::sys::stat::stat("down") {
        Ok(_) => true,
        Err(Errno::ENOENT) => false,
        Err(e) => return Err(fatal(&[b"unable to stat ", dir_bytes, b"/down"], e)),
    };
    make_supervise_dir()?;
    let lock_flags =
        OFlag::O_WRONLY | OFlag::O_NONBLOCK | OFlag::O_APPEND | OFlag::O_CREAT | OFlag::O_CLOEXEC;
    let _lock = open("supervise/lock", lock_flags, Mode::from_bits_truncate(0o600))
        .and_then(|fd| crate::io::lock_exclusive(fd, false))
        .and_then(crate::io::lock_record)
        .map_err(|e| fatal(&[b"unable to acquire ", dir_bytes, b"/supervise/lock"], e))?;
    let control = fifo("supervise/control", OFlag::O_RDONLY)
        .map_err(|e| fatal(&[b"unable to read ", dir_bytes, b"/supervise/control"], e))?;
    // Held open so that the reader never sees end of file.
    let _control_writer = fifo("supervise/control", OFlag::O_WRONLY)
        .map_err(|e| fatal(&[b"unable to write ", dir_bytes, b"/supervise/control"], e))?;

    let mut driver = Driver {
        dir: dir_bytes,
        start_failed: crate::message::fatal_prefix(PROG, &[b"unable to start ", dir_bytes, b"/run"]),
        finish_failed: crate::message::fatal_prefix(PROG, &[b"unable to start ", dir_bytes, b"/finish"]),
        notify_failed: crate::message::fatal_prefix(PROG, &[b"unable to start ", dir_bytes, b"/notify"]),
        machine: Supervisor::new(),
        control,
        exited: false,
        readiness: None,
    };
    // Only `restart-randomized-delay` uses it: the clock and the pid differ enough.
    let seed = crate::clock::monotonic() ^ u64::from(std::process::id()).rotate_left(32);
    driver.input(Input::Start {
        down_file,
        seed,
        settings: survey(),
        group: nix::unistd::getpgrp().as_raw() as u32,
    });
    // Only a reader: its existence tells svok and svstat that supervise runs.
    let ok = fifo("supervise/ok", OFlag::O_RDONLY)
        .map_err(|e| fatal(&[b"unable to read ", dir_bytes, b"/supervise/ok"], e))?;
    driver.input(Input::Ready);
    let status = crate::event_loop::run(&children, &mut driver);
    // ok is let go last: once svok (or `svc -Wx`) finds supervise gone, it holds
    // nothing more in the directory.
    drop((driver, _control_writer, _lock, children));
    drop(ok);
    Ok(status)
}

/// What the service directory's extension files say.
fn survey() -> Settings {
    Settings::read(|file, buffer| {
        if file.presence_only() {
            // Any answer but "no such file" means it is there (a finish may be
            // execute-only, or reached through a symlink that is checked at exec).
            let found = if file.executable_only() {
                nix::unistd::access(file.name(), nix::unistd::AccessFlags::X_OK).map(|_| ())
            } else {
                nix::sys::stat::stat(file.name()).map(|_| ())
            };
            return match found {
                Err(Errno::ENOENT) => Contents::Absent,
                Err(_) if file.executable_only() => Contents::Absent,
                _ => Contents::Read(0),
            };
        }
        let flags = OFlag::O_RDONLY | OFlag::O_NONBLOCK | OFlag::O_CLOEXEC;
        match open(file.name(), flags, Mode::empty()) {
            Err(Errno::ENOENT) => Contents::Absent,
            Err(_) => Contents::Unreadable,
            Ok(fd) => match nix::unistd::read(&fd, buffer) {
                Ok(n) => Contents::Read(n),
                Err(_) => Contents::Unreadable,
            },
        }
    })
}

/// `event/`, the fifodir s6's tools listen on (s6-supervise's).
mod events {
    use nix::errno::Errno;
    use nix::fcntl::{OFlag, open};
    use nix::sys::stat::Mode;

    /// The directory, mode 3730 as s6-supervise makes it: anyone in the group may
    /// add a FIFO, no one but its owner list or remove them.
    pub fn make_dir() {
        if nix::unistd::mkdir(c"event", Mode::from_bits_truncate(0o700)).is_ok() {
            let _ = nix::sys::stat::fchmodat(
                nix::fcntl::AT_FDCWD,
                c"event",
                Mode::from_bits_truncate(0o3730),
                nix::sys::stat::FchmodatFlags::FollowSymlink,
            );
        }
    }

    /// Writes `byte` into each listener's FIFO (`ftrig1:@` and 31 more bytes),
    /// without waiting: one without a reader, or whose reader has gone, is removed.
    /// SIGPIPE, which a reader gone between the open and the write would raise and
    /// which supervise does not ignore (its services inherit its dispositions), is
    /// ignored meanwhile.
    pub fn notify(byte: u8) {
        let Ok(entries) = std::fs::read_dir("event") else {
            return;
        };
        crate::process::with_sigpipe_ignored(|| {
            for entry in entries.flatten() {
                let name = entry.file_name();
                let name = name.as_encoded_bytes();
                if name.len() != 39 || !name.starts_with(b"ftrig1:@") {
                    continue;
                }
                let path = entry.path();
                match open(
                    &path,
                    OFlag::O_WRONLY | OFlag::O_NONBLOCK | OFlag::O_CLOEXEC,
                    Mode::empty(),
                ) {
                    Err(Errno::ENXIO) => {
                        let _ = std::fs::remove_file(&path);
                    }
                    Err(_) => {}
                    Ok(fd) => {
                        if nix::unistd::write(&fd, &[byte]) == Err(Errno::EPIPE) {
                            let _ = std::fs::remove_file(&path);
                        }
                    }
                }
            }
        });
    }
}

/// Sends `s` to the process group `pid` leads, or to `pid` if it leads none.
fn signal_group(pid: Pid, s: nix::sys::signal::Signal) {
    if nix::unistd::getpgid(Some(pid)) == Ok(pid) {
        let _ = nix::sys::signal::killpg(pid, s);
    } else {
        let _ = nix::sys::signal::kill(pid, s);
    }
}

const FINISH: &CStr = c"./finish";

fn number(n: i32) -> CString {
    CString::new(n.to_string()).unwrap_or_default()
}

/// Carries out the machine's effects.
struct Driver<'a> {
    dir: &'a [u8],
    /// What the child prints before the error if `./run` cannot be executed.
    start_failed: Vec<u8>,
    /// The same for `./finish` and `./notify`.
    finish_failed: Vec<u8>,
    notify_failed: Vec<u8>,
    machine: Supervisor,
    control: OwnedFd,
    /// The machine asked to exit.
    exited: bool,
    /// The reading end of the running service's notification pipe.
    readiness: Option<OwnedFd>,
}

impl Machine for Driver<'_> {
    fn deadline(&self) -> Option<u64> {
        self.machine.deadline()
    }

    fn timer(&mut self) {
        self.input(Input::Timer);
    }

    fn reaped(&mut self, pid: u32, ended: Ended) {
        let ended = match ended {
            Ended::Exited(code) => model::supervise::Ended::Exited(code),
            Ended::Signaled(signal) => model::supervise::Ended::Signaled(signal),
        };
        self.input(Input::Reaped(pid, ended));
    }

    fn wait_on(&self) -> [Option<BorrowedFd<'_>>; 2] {
        [
            Some(self.control.as_fd()),
            self.readiness.as_ref().map(|r| r.as_fd()),
        ]
    }

    fn woke(&mut self) {
        if let Some(reader) = &self.readiness {
            // The first newline says ready; the end of the pipe, that it never will.
            let mut bytes = [0u8; 512];
            match nix::unistd::read(reader, &mut bytes) {
                Err(Errno::EAGAIN | Errno::EINTR) => {}
                Ok(n) if n > 0 && !bytes[..n].contains(&b'\n') => {}
                Ok(n) => {
                    self.readiness = None;
                    if n > 0 {
                        self.input(Input::ServiceReady);
                    }
                }
                Err(_) => self.readiness = None,
            }
        }
        let mut bytes = [0u8; 64];
        if let Ok(n) = nix::unistd::read(&self.control, &mut bytes) {
            for &b in &bytes[..n] {
                self.input(Input::Control(b));
            }
            self.input(Input::ControlDone);
        }
    }

    fn finished(&self) -> Option<i32> {
        self.exited.then_some(0)
    }
}

impl Driver<'_> {
    fn input(&mut self, input: Input) {
        let mut pending = vec![input];
        while let Some(input) = pending.pop() {
            let mut effects = Vec::new();
            self.machine.handle(input, now(), &mut effects);
            for effect in effects {
                match effect {
                    Effect::Spawn {
                        deferred,
                        setsid,
                        notification_fd,
                    } => pending.push(self.spawn(deferred, setsid, notification_fd)),
                    Effect::Event(byte) => events::notify(byte),
                    Effect::MakeEventDir => events::make_dir(),
                    Effect::Notify { event, pid, code } => self.notify(event, pid, code),
                    Effect::Signal(pid, s) => {
                        if let Some(s) = signal(s) {
                            let _ = nix::sys::signal::kill(Pid::from_raw(pid as i32), s);
                        }
                    }
                    Effect::SignalGroup(pid, s) => {
                        if let Some(s) = signal(s) {
                            signal_group(Pid::from_raw(pid as i32), s);
                        }
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
                    Effect::Exit => self.exited = true,
                    Effect::Survey => pending.push(Input::Surveyed(survey())),
                    Effect::RecordDeath { record, max } => record_death(self.dir, &record, max),
                    Effect::RunFinish { code, signal, pgid } => {
                        pending.push(self.run_finish(code, signal, pgid))
                    }
                    Effect::WriteInfo => {
                        if let Some(info) = self.machine.info() {
                            write_info(self.dir, &info.render());
                        }
                    }
                    Effect::RemoveInfo => {
                        let _ = nix::unistd::unlink(c"supervise/info");
                        let _ = nix::unistd::unlink(c"supervise/info.new");
                    }
                    Effect::Warn(file) => warn(
                        PROG,
                        &[self.dir, b"/", file.name().to_bytes(), file.unusable().as_bytes()],
                        None,
                    ),
                }
            }
        }
    }

    /// Starts `./finish <code> <signal> <dir> <pgid>`, in supervise's process
    /// group. Nothing waits on its start, so it is made the cheaper way (see `spawn`).
    fn run_finish(&mut self, code: i32, signal: i32, pgid: u32) -> Input {
        let args = [
            number(code),
            number(signal),
            CString::new(self.dir).unwrap_or_default(),
            number(pgid as i32),
        ];
        let argv = [FINISH, &args[0], &args[1], &args[2], &args[3]];
        match crate::process::spawn_shared(&argv, Setup::default(), &self.finish_failed) {
            Ok(pid) => Input::FinishStarted {
                pid: pid.as_raw() as u32,
            },
            Err(_) => Input::FinishFailed,
        }
    }

    /// Starts `./notify run <event> <pid> <code>` (daemontools-encore's), and
    /// leaves it: it is reaped as any child, and its failure is its own.
    fn notify(&mut self, event: Notice, pid: u32, code: i32) {
        let args = [number(pid as i32), number(code)];
        let event = match event {
            Notice::Start => c"start",
            Notice::Exit => c"exit",
            Notice::Killed => c"killed",
            Notice::Failed => c"failed",
            Notice::Ready => c"ready",
        };
        let argv = [c"./notify", c"run", event, &args[0], &args[1]];
        let _ = crate::process::spawn_shared(&argv, Setup::default(), &self.notify_failed);
    }

    /// Starts `./run` with this environment; the child reports its own failure to
    /// exec, as upstream's does.
    ///
    /// A start made at once (a command or an exit waits on it) forks, so that the new
    /// pid is recorded while the child execs. A deferred one (a crash-looping service,
    /// every second) is made as by vfork: nothing of supervise is copied, at the price
    /// of waiting for the exec, which nothing is waiting on then. (bench/README.md
    /// has the measurements that chose this mix.)
    ///
    /// `new_session`: `./run` leads a session (and process group) of its own.
    /// `notification_fd`: it gets the writing end of a new pipe there, and the
    /// reading end is watched in place of the last service's.
    fn spawn(&mut self, deferred: bool, new_session: bool, notification_fd: Option<i32>) -> Input {
        const RUN: &CStr = c"./run";
        self.readiness = None;
        let mut setup = Setup {
            new_session,
            descriptor: None,
        };
        // Its writing end, closed here once the child has it.
        let mut writer = None;
        if let Some(target) = notification_fd {
            match nix::unistd::pipe2(OFlag::O_CLOEXEC | OFlag::O_NONBLOCK) {
                Ok((reader, write_end)) => {
                    setup.descriptor = Some((write_end.as_raw_fd(), target));
                    self.readiness = Some(reader);
                    writer = Some(write_end);
                }
                Err(e) => return Input::SpawnFailed(e as i32),
            }
        }
        let started = if deferred {
            crate::process::spawn_shared(&[RUN], setup, &self.start_failed)
        } else {
            match fork() {
                Ok(Forked::Parent(pid)) => Ok(pid),
                Ok(Forked::Child) => {
                    setup.apply();
                    let e = nix::unistd::execv(RUN, &[RUN]).unwrap_err();
                    crate::process::exec_failed(&self.start_failed, e)
                }
                Err(e) => Err(e),
            }
        };
        drop(writer);
        match started {
            Ok(pid) => Input::Spawned(pid.as_raw() as u32),
            Err(e) => Input::SpawnFailed(e as i32),
        }
    }
}

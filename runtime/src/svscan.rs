//! svscan's runtime (spec 6): reading the directory, the pipes, starting
//! `supervise`, reaping, inotify, and, as PID 1, the shutdown on SIGTERM/SIGINT.
//! What to do is decided by `model::svscan`.

use crate::clock::monotonic;
use crate::event_loop::{Machine, SignalPipe};
use crate::exec::prepare;
use crate::io::errno_of;
use crate::message::{EXIT_TEMPORARY, Fatal, warn};
use crate::process::{Forked, dup_onto, fork};
use model::svscan::{Arrival, Effect, Ended, Input, Kind, Log, Scanner, Seen, Which};
use nix::dir::{Dir, Type};
use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::sys::inotify::{AddWatchFlags, InitFlags, Inotify};
use nix::sys::resource::{Resource, getrlimit, rlim_t, setrlimit};
use nix::sys::stat::{Mode, SFlag, fstat, stat};
use std::collections::HashMap;
use std::ffi::{OsStr, OsString};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::{OsStrExt, OsStringExt};

const PROG: &str = "svscan";

/// Runs svscan in `dir` (or the current directory): returns only as a container's
/// init, after the shutdown (`Ok(0)`), or on a failure that ends it.
pub fn run(dir: Option<&OsStr>) -> Result<i32, Fatal> {
    if let Some(dir) = dir {
        nix::unistd::chdir(dir)
            .map_err(|e| Fatal::new(&[b"unable to chdir to ", dir.as_bytes()], Some(e)))?;
    }
    let pipe_failed = |e| Fatal::new(&[b"unable to create pipe"], Some(e));
    let children = SignalPipe::new(&[signal_hook::consts::SIGCHLD]).map_err(pipe_failed)?;
    // Only as a container's init does svscan stop its services on a signal; else
    // SIGTERM and SIGINT kill it as they kill upstream's.
    let shutdown = if nix::unistd::getpid().as_raw() == 1 {
        Some(
            SignalPipe::new(&[signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT])
                .map_err(pipe_failed)?,
        )
    } else {
        None
    };
    // Without inotify (no support, or out of watches) the 5-second rescan does it all.
    let changes = Inotify::init(InitFlags::IN_NONBLOCK | InitFlags::IN_CLOEXEC)
        .and_then(|i| {
            i.add_watch(".", AddWatchFlags::IN_CREATE | AddWatchFlags::IN_MOVED_TO)
                .map(|_| i)
        })
        .ok();

    let mut driver = Driver {
        machine: Scanner::new(changes.is_some()),
        pipes: HashMap::new(),
        descriptor_limit: raise_descriptor_limit(),
        changes,
        arrivals: HashMap::new(),
        shutdown,
        exited: false,
    };
    Ok(crate::event_loop::run(&children, &mut driver))
}

impl Machine for Driver {
    fn deadline(&self) -> Option<u64> {
        self.machine.deadline()
    }

    fn timer(&mut self) {
        self.input(Input::Timer);
    }

    fn reaped(&mut self, pid: u32, ended: crate::event_loop::Ended) {
        let ended = match ended {
            crate::event_loop::Ended::Exited(code) => Ended::Exited(code),
            crate::event_loop::Ended::Signaled(signal) => Ended::Signaled(signal),
        };
        self.input(Input::Reaped { pid, ended });
    }

    fn wait_on(&self) -> [Option<BorrowedFd<'_>>; 2] {
        [
            self.shutdown.as_ref().map(AsFd::as_fd),
            self.changes.as_ref().map(AsFd::as_fd),
        ]
    }

    fn woke(&mut self) {
        if self.shutdown.as_ref().is_some_and(SignalPipe::drain) {
            self.input(Input::Shutdown);
        }
        if self.read_changes() {
            self.input(Input::Changed);
        }
    }

    fn finished(&self) -> Option<i32> {
        self.exited.then_some(0)
    }
}

/// Carries out the machine's effects, answering those that need it at once.
struct Driver {
    machine: Scanner,
    /// Each logged entry's pipe: (read end, write end), held for its lifetime.
    pipes: HashMap<u64, (OwnedFd, OwnedFd)>,
    /// The descriptor limits svscan was started with, given back to its children.
    descriptor_limit: Option<(rlim_t, rlim_t)>,
    /// The watch on the directory, where inotify works.
    changes: Option<Inotify>,
    /// How each name reported since the last scan came: `Made` (created in place)
    /// or `Whole` (renamed in); the last report for a name counts.
    arrivals: HashMap<Vec<u8>, Arrival>,
    /// As a container's init: SIGTERM and SIGINT.
    shutdown: Option<SignalPipe>,
    /// The machine asked to exit.
    exited: bool,
}

/// Raises svscan's own limit on open descriptors to the hard limit: it holds two
/// for every logged service, and upstream's 1000 services would need 2000. Returns
/// the limits it found.
fn raise_descriptor_limit() -> Option<(rlim_t, rlim_t)> {
    let (soft, hard) = getrlimit(Resource::RLIMIT_NOFILE).ok()?;
    setrlimit(Resource::RLIMIT_NOFILE, hard, hard).ok()?;
    Some((soft, hard))
}

impl Driver {
    /// Reads what inotify reports, noting how each name came; whether anything was.
    fn read_changes(&mut self) -> bool {
        let Some(changes) = &self.changes else {
            return false;
        };
        let mut any = false;
        while let Ok(events) = changes.read_events() {
            if events.is_empty() {
                break;
            }
            any = true;
            for event in events {
                // After an overflow (no name) what is lost counts as `Unnoticed`,
                // which a scan for a change waits for too.
                if let Some(name) = event.name {
                    let arrival = if event.mask.contains(AddWatchFlags::IN_MOVED_TO) {
                        Arrival::Whole
                    } else {
                        Arrival::Made
                    };
                    self.arrivals.insert(name.into_vec(), arrival);
                }
            }
        }
        any
    }

    fn input(&mut self, input: Input) {
        let mut effects = Vec::new();
        self.machine.handle(input, monotonic(), &mut effects);
        for effect in effects {
            match effect {
                Effect::Scan => self.scan(),
                Effect::CreatePipe { key, name } => match nix::unistd::pipe2(OFlag::O_CLOEXEC) {
                    Ok(pipe) => {
                        self.pipes.insert(key, pipe);
                        self.input(Input::PipeCreated(key));
                    }
                    Err(e) => {
                        warn(PROG, &[b"unable to create pipe for ", &name], Some(e));
                        self.input(Input::PipeFailed(key));
                    }
                },
                Effect::Start { key, which, name } => {
                    let answer = match self.start(key, which, &name) {
                        Ok(pid) => Input::Started { key, which, pid },
                        Err(()) => Input::StartFailed { key, which },
                    };
                    self.input(answer);
                }
                Effect::ClosePipe(key) => {
                    self.pipes.remove(&key);
                }
                Effect::WarnStat { name, log, errno } => {
                    let log: &[u8] = if log { b"/log" } else { b"" };
                    warn(
                        PROG,
                        &[b"unable to stat ", &name, log],
                        Some(Errno::from_raw(errno)),
                    );
                }
                Effect::Control {
                    key,
                    which,
                    name,
                    bytes,
                } => {
                    if send_control(&name, which, bytes).is_err() {
                        self.input(Input::ControlFailed { key, which });
                    }
                }
                Effect::Exit => self.exited = true,
            }
        }
    }

    /// Reads the directory, one `Entry` per name, then `ScanEnd`.
    fn scan(&mut self) {
        // Every name the listing can show was reported before it is read: how the
        // names came is known for all of them.
        self.read_changes();
        let flags = OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC;
        let mut dir = match Dir::open(".", flags, Mode::empty()) {
            Ok(dir) => dir,
            Err(e) => {
                warn(PROG, &[b"unable to read directory"], Some(e));
                return self.input(Input::ScanEnd { complete: false });
            }
        };
        let dir_dev = fstat(&dir).map(|st| st.st_dev).ok();
        let mut complete = true;
        for entry in dir.iter() {
            match entry {
                Ok(entry) => {
                    let name = entry.file_name().to_bytes();
                    // A report is used once.
                    let reported = if self.arrivals.is_empty() {
                        None
                    } else {
                        self.arrivals.remove(name)
                    };
                    // A directory known under this name, listed with the inode it
                    // had when stat last looked at it, is taken to be the same
                    // directory without looking again (idle rescans of 1000 services
                    // cost a tenth as much). The listing's inode is stat's on most
                    // file systems; where it is not (a btrfs subvolume, overlayfs
                    // over several file systems), the name or the inode differs and
                    // stat decides. What it misses: a mount made on a known service
                    // directory.
                    let seen = match (entry.file_type(), dir_dev) {
                        (Some(Type::Directory), Some(dev))
                            if self.machine.is_known_as(dev, entry.ino(), name) =>
                        {
                            Seen {
                                name: name.to_vec(),
                                kind: Kind::Directory {
                                    dev,
                                    ino: entry.ino(),
                                    log: Log::Missing,
                                    arrival: Arrival::Unnoticed,
                                },
                            }
                        }
                        (file_type, _) => self.look_at(name, file_type, reported),
                    };
                    self.input(Input::Entry(&seen));
                }
                Err(e) => {
                    warn(PROG, &[b"unable to read directory"], Some(e));
                    complete = false;
                    break;
                }
            }
        }
        // Reports for names not listed are of names gone, unless the listing
        // failed part way.
        if complete {
            self.arrivals.clear();
        }
        self.input(Input::ScanEnd { complete });
    }

    /// stat follows symlinks, as upstream's; `<name>/log` is looked at only for a
    /// directory the machine does not know yet, and so is how it came (`file_type`:
    /// as the listing says, if it does).
    fn look_at(&self, name: &[u8], file_type: Option<Type>, reported: Option<Arrival>) -> Seen {
        let kind = match stat(OsStr::from_bytes(name)) {
            Err(e) => Kind::StatFailed(e as i32),
            Ok(st) if SFlag::from_bits_truncate(st.st_mode) & SFlag::S_IFMT != SFlag::S_IFDIR => {
                Kind::NotADirectory
            }
            Ok(st) => {
                let (dev, ino) = (st.st_dev, st.st_ino);
                if self.machine.is_known(dev, ino) {
                    Kind::Directory {
                        dev,
                        ino,
                        log: Log::Missing,
                        arrival: Arrival::Unnoticed,
                    }
                } else {
                    let log = match stat(OsStr::from_bytes(&[name, b"/log"].concat())) {
                        Ok(_) => Log::Exists,
                        Err(Errno::ENOENT) => Log::Missing,
                        Err(e) => Log::StatFailed(e as i32),
                    };
                    let link = match file_type {
                        Some(t) => t == Type::Symlink,
                        None => nix::sys::stat::lstat(OsStr::from_bytes(name)).is_ok_and(|l| {
                            SFlag::from_bits_truncate(l.st_mode) & SFlag::S_IFMT == SFlag::S_IFLNK
                        }),
                    };
                    let arrival = if link {
                        Arrival::Whole
                    } else {
                        reported.unwrap_or(Arrival::Unnoticed)
                    };
                    Kind::Directory {
                        dev,
                        ino,
                        log,
                        arrival,
                    }
                }
            }
        };
        Seen {
            name: name.to_vec(),
            kind,
        }
    }

    /// Forks `supervise <name>`, or `supervise log` in `<name>`, on the entry's pipe.
    fn start(&self, key: u64, which: Which, name: &[u8]) -> Result<u32, ()> {
        let (target, pipe_end, shown) = match which {
            Which::Main => (OsString::from_vec(name.to_vec()), 1, name.to_vec()),
            Which::Log => (OsString::from("log"), 0, [name, b"/log"].concat()),
        };
        let program = prepare(&[OsString::from("supervise"), target], None);
        let end = self
            .pipes
            .get(&key)
            .map(|(read, write)| if pipe_end == 0 { read } else { write });
        match fork() {
            Ok(Forked::Parent(pid)) => Ok(pid.as_raw() as u32),
            Ok(Forked::Child) => {
                if let Some((soft, hard)) = self.descriptor_limit {
                    let _ = setrlimit(Resource::RLIMIT_NOFILE, soft, hard);
                }
                if let Some(end) = end
                    && let Err(e) = end
                        .try_clone()
                        .map_err(|e| errno_of(&e))
                        .and_then(|fd| dup_onto(fd, pipe_end))
                {
                    child_fails(&[b"unable to set up descriptors for ", &shown], e);
                }
                if which == Which::Log
                    && let Err(e) = nix::unistd::chdir(OsStr::from_bytes(name))
                {
                    child_fails(&[b"unable to switch to ", name], e);
                }
                let e = program.run();
                child_fails(&[b"unable to start supervise ", &shown], e)
            }
            Err(e) => {
                warn(PROG, &[b"unable to fork for ", &shown], Some(e));
                Err(())
            }
        }
    }
}

/// A child that could not become supervise: upstream warns (not "fatal") and
/// exits 111.
fn child_fails(parts: &[&[u8]], e: Errno) -> ! {
    warn(PROG, parts, Some(e));
    crate::process::exit_child(EXIT_TEMPORARY)
}

/// Writes `bytes` to the supervise's control FIFO, as svc does.
fn send_control(name: &[u8], which: Which, bytes: &[u8]) -> Result<(), Errno> {
    let log: &[u8] = if which == Which::Log { b"/log" } else { b"" };
    let path = [name, log, b"/supervise/control"].concat();
    let flags = OFlag::O_WRONLY | OFlag::O_NONBLOCK | OFlag::O_CLOEXEC;
    let fd = nix::fcntl::open(OsStr::from_bytes(&path), flags, Mode::empty())?;
    match nix::unistd::write(&fd, bytes)? {
        n if n == bytes.len() => Ok(()),
        _ => Err(Errno::EAGAIN),
    }
}

//! Looking at services and waiting for them to change, for svwait and `svc -W`
//! (`model::svwait` decides). It sleeps on inotify watches of each `supervise/`,
//! which see a status put in place by rename or exchange, a write in place, and
//! the descriptors supervise's exit closes; without inotify, it looks again at a
//! short interval.

use crate::message::Fatal;
use model::status::{LEN, Record};
use model::svwait::{Goal, Look, Outcome, decide, detail, judge};
use nix::errno::Errno;
use nix::fcntl::{OFlag, open};
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::inotify::{AddWatchFlags, InitFlags, Inotify};
use nix::sys::stat::Mode;
use std::os::fd::AsFd;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// How often to look where inotify cannot tell.
const POLL_INTERVAL_MS: u64 = 50;

/// The largest `supervise/info` read (it is about 300 bytes).
const INFO_MAX: usize = 4096;

/// Looks at the service in `dir`. A directory that is not there is a failure
/// when `must_exist` (the first look), and a service without supervise after.
pub fn look(dir: &Path, must_exist: bool) -> Result<Look, Fatal> {
    let gone = Look {
        running: false,
        status: None,
        detail: None,
    };
    let flags = OFlag::O_NONBLOCK | OFlag::O_CLOEXEC;
    match open(&dir.join("supervise/ok"), OFlag::O_WRONLY | flags, Mode::empty()) {
        Ok(_) => {}
        Err(Errno::ENOENT) if must_exist => {
            return match nix::sys::stat::stat(dir) {
                Ok(_) => Ok(gone),
                Err(e) => Err(Fatal::new(
                    &[b"unable to open ", dir.as_os_str().as_bytes()],
                    Some(e),
                )),
            };
        }
        Err(Errno::ENOENT | Errno::ENXIO | Errno::ENOTDIR) => return Ok(gone),
        Err(e) => return Err(failure(dir, "supervise/ok", e)),
    }
    let mut buf = [0u8; LEN];
    let status = match crate::io::read_start(&dir.join("supervise/status"), &mut buf) {
        Ok(n) => match Record::decode(&buf[..n]) {
            Some(r) => Some(r),
            None => {
                return Err(Fatal::new(
                    &[
                        b"unable to read ",
                        &name(dir, "supervise/status"),
                        b": bad format",
                    ],
                    None,
                ));
            }
        },
        Err(Errno::ENOENT) => None,
        Err(e) => return Err(failure(dir, "supervise/status", e)),
    };
    let mut info = [0u8; INFO_MAX];
    let detail = match crate::io::read_start(&dir.join("supervise/info"), &mut info) {
        Ok(n) => detail(&info[..n]),
        Err(_) => None,
    };
    Ok(Look {
        running: true,
        status,
        detail,
    })
}

fn name(dir: &Path, file: &str) -> Vec<u8> {
    [dir.as_os_str().as_bytes(), b"/", file.as_bytes()].concat()
}

fn failure(dir: &Path, file: &str, e: Errno) -> Fatal {
    Fatal::new(&[b"unable to open ", &name(dir, file)], Some(e))
}

/// How a wait ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Waited {
    /// The model's exit status, and the directories whose supervise did not run
    /// when it was decided.
    Exit(i32, Vec<usize>),
    TimedOut,
}

/// What a wait is for: the goal, one service or all, the uptime asked for.
#[derive(Clone, Copy, Debug)]
pub struct Wanted {
    pub goal: Goal,
    pub any: bool,
    pub min_uptime: u64,
    /// Milliseconds at most; `None` for no limit.
    pub timeout_ms: Option<u64>,
}

/// Waits until `wanted` holds for `dirs`, judged against `firsts` (one look at
/// each, taken before anything was sent to them).
pub fn wait(wanted: Wanted, dirs: &[&Path], firsts: &[Look]) -> Result<Waited, Fatal> {
    let deadline = wanted
        .timeout_ms
        .map(|ms| crate::clock::monotonic().saturating_add(ms.saturating_mul(1_000_000)));
    let changes = Changes::watch(dirs);
    loop {
        let now = crate::clock::now();
        let mut latests = Vec::with_capacity(dirs.len());
        for dir in dirs {
            latests.push(look(dir, false)?);
        }
        let verdicts: Vec<_> = firsts
            .iter()
            .zip(&latests)
            .map(|(first, latest)| judge(wanted.goal, first, latest, wanted.min_uptime, now))
            .collect();
        let due = match decide(&verdicts, wanted.any) {
            Outcome::Exit(status) => {
                let not_running = latests
                    .iter()
                    .enumerate()
                    .filter(|(_, l)| !l.running)
                    .map(|(i, _)| i);
                return Ok(Waited::Exit(status, not_running.collect()));
            }
            Outcome::Wait { due } => due,
        };
        let mono = crate::clock::monotonic();
        let mut sleep_ns = match deadline {
            Some(d) if d <= mono => return Ok(Waited::TimedOut),
            Some(d) => d - mono,
            None => u64::MAX,
        };
        if let Some(due) = due {
            let later = |t: model::tai64::Tai64N| u128::from(t.secs) * 1_000_000_000 + u128::from(t.nanos);
            let until_due = later(due).saturating_sub(later(now)) as u64;
            sleep_ns = sleep_ns.min(until_due);
        }
        changes.sleep(sleep_ns);
    }
}

/// The watches on every `supervise/`, where inotify works.
struct Changes(Option<Inotify>);

impl Changes {
    fn watch(dirs: &[&Path]) -> Changes {
        let mask = AddWatchFlags::IN_CLOSE_WRITE
            | AddWatchFlags::IN_CLOSE_NOWRITE
            | AddWatchFlags::IN_MOVED_TO
            | AddWatchFlags::IN_CREATE
            | AddWatchFlags::IN_DELETE
            | AddWatchFlags::IN_DELETE_SELF
            | AddWatchFlags::IN_MOVE_SELF;
        let Ok(inotify) = Inotify::init(InitFlags::IN_NONBLOCK | InitFlags::IN_CLOEXEC) else {
            return Changes(None);
        };
        for dir in dirs {
            match inotify.add_watch(&dir.join("supervise"), mask) {
                // Without supervise/ there is no supervise: the look says so.
                Ok(_) | Err(Errno::ENOENT | Errno::ENOTDIR) => {}
                Err(_) => return Changes(None),
            }
        }
        Changes(Some(inotify))
    }

    /// Returns after a change that may matter, or after `ns` nanoseconds.
    fn sleep(&self, ns: u64) {
        let start = crate::clock::monotonic();
        let Some(inotify) = &self.0 else {
            let ns = ns.min(POLL_INTERVAL_MS * 1_000_000);
            std::thread::sleep(std::time::Duration::from_nanos(ns));
            return;
        };
        loop {
            let left = ns.saturating_sub(crate::clock::monotonic() - start);
            // Rounded up, so as not to wake just before the time and spin.
            let ms = left.div_ceil(1_000_000);
            let timeout = PollTimeout::try_from(ms).unwrap_or(PollTimeout::MAX);
            let mut fds = [PollFd::new(inotify.as_fd(), PollFlags::POLLIN)];
            match poll(&mut fds, timeout) {
                Ok(0) => return,
                Ok(_) => {}
                Err(Errno::EINTR) => continue,
                Err(_) => return,
            }
            let mut matters = false;
            while let Ok(events) = inotify.read_events() {
                if events.is_empty() {
                    break;
                }
                matters |= events.iter().any(|e| {
                    let name = e.name.as_deref().map(|n| n.as_bytes());
                    let closed = if e.mask.contains(AddWatchFlags::IN_CLOSE_WRITE) {
                        Some(true)
                    } else if e.mask.contains(AddWatchFlags::IN_CLOSE_NOWRITE) {
                        Some(false)
                    } else {
                        None
                    };
                    model::svwait::change_matters(name, closed)
                });
            }
            if matters {
                return;
            }
        }
    }
}

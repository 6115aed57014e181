//! The svscan machine (spec 6): when to scan, which `supervise` to start for each
//! entry of the scanned directory, the pipes between services and their loggers,
//! when to forget an entry, and, as PID 1, the shutdown.
//!
//! Upstream's rules: entries starting with `.` and non-directories are skipped;
//! an entry is identified by (device, inode), so two names for one directory give
//! one service; whether it has a logger is decided when it is first seen (a `log`
//! of any type); svscan keeps both ends of a logged service's pipe for as long as
//! it knows the entry, so that restarts on either side lose nothing; an entry is
//! forgotten only when it is gone from the directory and both its supervises have
//! exited; a removed service's supervise is left running.
//!
//! Divergences (DESIGN.md): no limit on the number of services (upstream: 1000);
//! children are reaped as they exit; a change noticed in the directory (inotify)
//! brings a scan forward, and, where changes are noticed, the 5-second rescan
//! happens only while something is left to do (a supervise to restart, a failure
//! to retry, a directory to wait for) and otherwise once a minute; and, as PID 1, a
//! shutdown that stops every service as `svc -dx` would, lets the loggers drain,
//! and exits.
//!
//! Two rules keep the earlier scans from acting sooner than upstream could (issue
//! 17), since upstream's next scan is anywhere up to [`RESCAN`] away:
//! - a new directory that may still be being filled — made in place, rather than
//!   complete when it appeared (a symbolic link, or a directory renamed in: see
//!   [`Arrival`]) — is started [`RESCAN`] after it was first seen, with whatever
//!   `log` and `down` it has then. One seen first by a periodic scan without being
//!   reported as new (svscan's first scan, or where changes are not noticed) starts
//!   at once, as upstream's would;
//! - a supervise that exited 0 (told to by `svc -x`) is started again no sooner than
//!   [`RESCAN`] after its exit, whatever scans come before, so that a loop on `svok`
//!   ends and the service can be removed; one that failed or was killed may come
//!   back at the next scan, as before.
//!
//! The protocol: the runtime sends [`Input::Timer`] at [`Scanner::deadline`], the
//! earliest of the named [`Timer`]s that count at the time. An
//! [`Effect::Scan`] asks it to read the directory and send one [`Input::Entry`] per
//! name, in listing order, then [`Input::ScanEnd`]. Effects that need an answer —
//! `Scan`, `CreatePipe`, `Start`, `Control` — are answered before the next input.
//!
//! Invariants (checked by the tests at the end and by `tests/svscan_invariants.rs`):
//! at most one supervise per service and per logger; a pipe is closed only once,
//! after which nothing is started on it, and never while its entry may still start
//! either side; nothing is started for dot entries or non-directories; every child
//! pid belongs to exactly one entry; nothing is started sooner than the two rules
//! above allow.

/// Nanoseconds between scans (upstream's `sleep(5)`).
pub const RESCAN: u64 = 5_000_000_000;
/// Where changes are noticed and nothing is left to do: the longest time between
/// scans, for what no notice reports (a symlinked service's target replaced).
pub const QUIET_RESCAN: u64 = 60_000_000_000;
/// How long after a change is noticed to scan: a burst of changes (a service
/// directory being created and filled) gives one scan.
pub const SETTLE: u64 = 20_000_000;
/// During a shutdown, how long to wait before repeating a command that could not
/// be delivered (a supervise that has not opened its control fifo yet).
pub const CONTROL_RETRY: u64 = 1_000_000_000;

/// What the runtime found for one directory entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Seen {
    pub name: Vec<u8>,
    pub kind: Kind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// stat failed: `unable to stat <name>: <error>`.
    StatFailed(i32),
    NotADirectory,
    Directory {
        dev: u64,
        ino: u64,
        log: Log,
        arrival: Arrival,
    },
}

/// How a directory came to be in the scanned directory, as far as the runtime can
/// tell. Only used for a directory the machine does not know: for one it knows,
/// the runtime need not look and answers `Unnoticed`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arrival {
    /// Complete when it appeared: reached through a symbolic link, or renamed into
    /// the scanned directory since the last scan.
    Whole,
    /// Created in place since the last scan: it may still be being filled.
    Made,
    /// Nothing reported since the last scan: it was there already, or changes are
    /// not noticed.
    Unnoticed,
}

/// svscan's named timers: what its deadline is for. All but the last bring a scan;
/// during a shutdown only the last counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Timer {
    /// The 5-second rescan, [`RESCAN`] after the last scan (the first scan: at
    /// once): where changes are not noticed, or while something is left to do (a
    /// supervise that crashed, a failure to retry).
    Rescan,
    /// Where changes are noticed and nothing is left to do: [`QUIET_RESCAN`] after
    /// the last scan.
    QuietRescan,
    /// A change noticed: a scan [`SETTLE`] after it.
    Settle,
    /// A directory made in place may be started: [`RESCAN`] after it was first seen.
    Made,
    /// A supervise that exited 0 may be started again: [`RESCAN`] after its exit.
    Rested,
    /// During a shutdown, commands that could not be delivered are repeated:
    /// [`CONTROL_RETRY`] after the first of them failed.
    ControlRetry,
}

impl Timer {
    pub const ALL: [Timer; 6] = [
        Timer::Rescan,
        Timer::QuietRescan,
        Timer::Settle,
        Timer::Made,
        Timer::Rested,
        Timer::ControlRetry,
    ];

    /// Whether it brings a periodic scan: all that bring a scan but [`Timer::Settle`].
    fn periodic(self) -> bool {
        matches!(
            self,
            Timer::Rescan | Timer::QuietRescan | Timer::Made | Timer::Rested
        )
    }

    /// Whether it counts during a shutdown (and only then).
    fn in_shutdown(self) -> bool {
        self == Timer::ControlRetry
    }
}

/// When each of [`Timer::ALL`] fires (monotonic nanoseconds), if armed. The
/// earliest of those that bring a periodic scan is when it is due; one at least is
/// armed until a shutdown.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct Timers([Option<u64>; 6]);

impl Default for Timers {
    /// The first scan at once.
    fn default() -> Timers {
        let mut timers = Timers([None; 6]);
        timers.set(Timer::Rescan, Some(0));
        timers
    }
}

impl Timers {
    fn at(&self, timer: Timer) -> Option<u64> {
        self.0[timer as usize]
    }

    fn set(&mut self, timer: Timer, at: Option<u64>) {
        self.0[timer as usize] = at;
    }

    fn due(&self, timer: Timer, now: u64) -> bool {
        self.at(timer).is_some_and(|at| now >= at)
    }

    /// Arms `timer` at `at`, unless it fires sooner already.
    fn arm_by(&mut self, timer: Timer, at: u64) {
        let at = self.at(timer).map_or(at, |t| t.min(at));
        self.set(timer, Some(at));
    }
}

/// How a reaped child ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Ended {
    Exited(i32),
    Signaled(i32),
}

impl Ended {
    /// A supervise exits 0 only when told to (`svc -x`).
    pub fn clean(self) -> bool {
        self == Ended::Exited(0)
    }
}

/// Whether `<name>/log` exists. Only used at first sight: for a directory the
/// machine knows, the runtime need not look and answers `Missing`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Log {
    Exists,
    Missing,
    /// stat failed otherwise: `unable to stat <name>/log: <error>`; the entry is
    /// not recorded, and is looked at again next time.
    StatFailed(i32),
}

/// Which of an entry's two supervises.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Which {
    Main,
    Log,
}

/// What svscan asks the runtime to do. Entries are named by a key that stays the
/// same for as long as the entry is known.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Effect {
    /// Read the directory: answer with one `Entry` per name, then `ScanEnd`.
    Scan,
    /// Create the pipe between entry `key`'s service and its logger; answer with
    /// `PipeCreated` or `PipeFailed` (the runtime warns).
    CreatePipe { key: u64, name: Vec<u8> },
    /// Start `supervise <name>` (stdout on the pipe if it has one), or `supervise
    /// log` in `<name>` (stdin on the pipe); answer with `Started` or
    /// `StartFailed` (the runtime warns).
    Start { key: u64, which: Which, name: Vec<u8> },
    /// Close entry `key`'s pipe: it is forgotten, or shutting down.
    ClosePipe(u64),
    /// `svscan: warning: unable to stat <name>: <error>`, or `…<name>/log…`.
    WarnStat { name: Vec<u8>, log: bool, errno: i32 },
    /// Write `bytes` to `<name>[/log]/supervise/control`, as svc does; answer
    /// `ControlFailed` if it cannot be written.
    Control {
        key: u64,
        which: Which,
        name: Vec<u8>,
        bytes: &'static [u8],
    },
    /// Every child is gone after a shutdown: exit 0.
    Exit,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Input<'a> {
    /// The deadline passed.
    Timer,
    /// Something changed in the directory (inotify).
    Changed,
    /// One name of the directory, in listing order (answers `Effect::Scan`).
    Entry(&'a Seen),
    /// The listing is over; `complete` is false when reading it failed part way
    /// (the runtime warns `unable to read directory`): then nothing is forgotten.
    ScanEnd {
        complete: bool,
    },
    PipeCreated(u64),
    PipeFailed(u64),
    Started {
        key: u64,
        which: Which,
        pid: u32,
    },
    StartFailed {
        key: u64,
        which: Which,
    },
    ControlFailed {
        key: u64,
        which: Which,
    },
    /// A child was reaped (perhaps not one of ours: svscan as PID 1 reaps all).
    Reaped {
        pid: u32,
        ended: Ended,
    },
    /// SIGTERM or SIGINT to svscan as PID 1.
    Shutdown,
}

/// One of an entry's supervises.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Child {
    Stopped,
    /// Exited 0: not to be started again before this time.
    Resting(u64),
    /// A `Start` awaits its answer.
    Starting,
    Running(u32),
}

impl Child {
    fn pid(self) -> Option<u32> {
        match self {
            Child::Running(pid) => Some(pid),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Entry {
    key: u64,
    dev: u64,
    ino: u64,
    /// The name it was last seen under.
    name: Vec<u8>,
    /// It has a pipe and a logger (decided at first sight).
    log: bool,
    /// Its pipe exists: from `PipeCreated` until `ClosePipe`.
    pipe_open: bool,
    main: Child,
    logger: Child,
    /// Seen in the current scan.
    active: bool,
    /// A shutdown command could not be delivered: to repeat.
    undelivered: [bool; 2],
}

impl Entry {
    fn child(&mut self, which: Which) -> &mut Child {
        match which {
            Which::Main => &mut self.main,
            Which::Log => &mut self.logger,
        }
    }

    fn child_ref(&self, which: Which) -> &Child {
        match which {
            Which::Main => &self.main,
            Which::Log => &self.logger,
        }
    }

    fn finished(&self) -> bool {
        let gone = |c: Child| matches!(c, Child::Stopped | Child::Resting(_));
        gone(self.main) && gone(self.logger)
    }

    /// The sides that should run: main, and the logger if it has one.
    fn sides(&self) -> &'static [Which] {
        if self.log {
            &[Which::Main, Which::Log]
        } else {
            &[Which::Main]
        }
    }
}

/// A new directory waited for, or that failed to start.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct Deferred {
    /// (device, inode).
    id: (u64, u64),
    /// When it may be started: later than now while it is waited for.
    until: u64,
    /// Seen in the current scan.
    listed: bool,
}

/// A known entry as the runtime may ask about it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Known<'a> {
    pub key: u64,
    pub name: &'a [u8],
    pub log: bool,
    pub main: Option<u32>,
    pub logger: Option<u32>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Scanner {
    /// In the order first seen; keys only grow, so this is also by key.
    entries: Vec<Entry>,
    /// Each known directory's (device, inode) and key, by (device, inode).
    by_inode: Vec<((u64, u64), u64)>,
    next_key: u64,
    /// The runtime reports changes to the directory (`Input::Changed`).
    notices_changes: bool,
    /// When each named timer fires.
    timers: Timers,
    /// When the last scan ended.
    last_scan: u64,
    scanning: bool,
    /// The current scan is a periodic one (not only for a change noticed).
    periodic: bool,
    /// New directories waited for, or that failed to start once no longer waited
    /// for.
    deferred: Vec<Deferred>,
    /// Something in the current scan failed, to be tried again.
    unsettled: bool,
    shutting_down: bool,
    exited: bool,
}

impl Scanner {
    /// A scanner; `notices_changes` if the runtime sends `Input::Changed` for
    /// every entry added to the directory.
    pub fn new(notices_changes: bool) -> Scanner {
        Scanner {
            notices_changes,
            ..Scanner::default()
        }
    }

    pub fn known(&self) -> impl Iterator<Item = Known<'_>> {
        self.entries.iter().map(|e| Known {
            key: e.key,
            name: &e.name,
            log: e.log,
            main: e.main.pid(),
            logger: e.logger.pid(),
        })
    }

    /// Whether the directory (dev, ino) is known already: its `log` need not be
    /// looked at.
    pub fn is_known(&self, dev: u64, ino: u64) -> bool {
        self.key_of(dev, ino).is_some()
    }

    /// Whether the known directory (dev, ino) was last seen under `name`.
    pub fn is_known_as(&self, dev: u64, ino: u64, name: &[u8]) -> bool {
        self.key_of(dev, ino)
            .and_then(|key| self.position(key))
            .is_some_and(|at| self.entries[at].name == name)
    }

    /// How many new directories are waited for, or failed to start once no longer
    /// waited for.
    pub fn waiting(&self) -> usize {
        self.deferred.len()
    }

    pub fn shutting_down(&self) -> bool {
        self.shutting_down
    }

    pub fn has_exited(&self) -> bool {
        self.exited
    }

    /// When `timer` fires (monotonic nanoseconds), if it is armed and counts now:
    /// [`Timer::ControlRetry`] during a shutdown, the others until then, none
    /// after the exit.
    pub fn timer(&self, timer: Timer) -> Option<u64> {
        if self.exited || timer.in_shutdown() != self.shutting_down {
            None
        } else {
            self.timers.at(timer)
        }
    }

    /// The timer that fires first, and when (monotonic nanoseconds).
    pub fn next_timer(&self) -> Option<(Timer, u64)> {
        Timer::ALL
            .into_iter()
            .filter_map(|timer| self.timer(timer).map(|at| (timer, at)))
            .min_by_key(|&(_, at)| at)
    }

    /// When the runtime should send [`Input::Timer`] (monotonic nanoseconds).
    pub fn deadline(&self) -> Option<u64> {
        self.next_timer().map(|(_, at)| at)
    }

    /// The machine as seen from `now`, for model checking: keys numbered from 1 in
    /// order, pids replaced by one placeholder, inodes renamed by `rename` (a
    /// numbering the caller shares with what it remembers of them; called for
    /// entries in key order, then for the directories waited for), times made
    /// relative to `now` (one past is as good as another), and what only a scan
    /// reads cleared outside scans, so that states that behave alike compare
    /// equal.
    pub fn abstracted(&self, now: u64, mut rename: impl FnMut((u64, u64)) -> (u64, u64)) -> Scanner {
        let until = |t: u64| t.saturating_sub(now);
        let child = |c: Child| match c {
            Child::Stopped | Child::Starting => c,
            Child::Resting(t) => Child::Resting(until(t)),
            Child::Running(_) => Child::Running(1),
        };
        let scanning = self.scanning;
        let entries: Vec<Entry> = self
            .entries
            .iter()
            .zip(1..)
            .map(|(e, key)| {
                let (dev, ino) = rename((e.dev, e.ino));
                Entry {
                    key,
                    dev,
                    ino,
                    main: child(e.main),
                    logger: child(e.logger),
                    active: e.active && scanning,
                    ..e.clone()
                }
            })
            .collect();
        let mut by_inode: Vec<((u64, u64), u64)> = entries.iter().map(|e| ((e.dev, e.ino), e.key)).collect();
        by_inode.sort_unstable();
        let mut deferred: Vec<Deferred> = self
            .deferred
            .iter()
            .map(|d| Deferred {
                id: rename(d.id),
                until: until(d.until),
                listed: d.listed && scanning,
            })
            .collect();
        deferred.sort_unstable_by_key(|d| (d.id, d.until, d.listed));
        Scanner {
            next_key: entries.len() as u64,
            entries,
            by_inode,
            notices_changes: self.notices_changes,
            timers: Timers(self.timers.0.map(|t| t.map(until))),
            last_scan: now.saturating_sub(self.last_scan).min(RESCAN),
            scanning,
            periodic: self.periodic && scanning,
            deferred,
            unsettled: self.unsettled && scanning,
            shutting_down: self.shutting_down,
            exited: self.exited,
        }
    }

    /// Takes one input at `now`; appends what to do to `effects`.
    pub fn handle(&mut self, input: Input, now: u64, effects: &mut Vec<Effect>) {
        if self.exited {
            return;
        }
        match input {
            Input::Timer if self.shutting_down => {
                if self.timers.due(Timer::ControlRetry, now) {
                    self.timers.set(Timer::ControlRetry, None);
                    for e in &mut self.entries {
                        for which in [Which::Main, Which::Log] {
                            if std::mem::take(&mut e.undelivered[which as usize]) {
                                effects.push(shutdown_command(e, which));
                            }
                        }
                    }
                }
            }
            Input::Timer => {
                let periodic = Timer::ALL
                    .into_iter()
                    .any(|timer| timer.periodic() && self.timers.due(timer, now));
                if (periodic || self.timers.due(Timer::Settle, now)) && !self.scanning {
                    self.scanning = true;
                    self.periodic = periodic;
                    self.timers.set(Timer::Settle, None);
                    self.unsettled = false;
                    for e in &mut self.entries {
                        e.active = false;
                    }
                    for d in &mut self.deferred {
                        d.listed = false;
                    }
                    effects.push(Effect::Scan);
                }
            }
            Input::Changed => self.timers.arm_by(Timer::Settle, now + SETTLE),
            Input::Entry(seen) => {
                if self.scanning && !self.shutting_down {
                    self.entry(seen, now, effects);
                }
            }
            Input::ScanEnd { complete } => {
                if self.scanning {
                    self.scanning = false;
                    self.last_scan = now;
                    if complete {
                        self.forget_finished(effects);
                        // Those gone, and those started, are waited for no more.
                        let known = &self.by_inode;
                        self.deferred.retain(|d| {
                            d.listed && known.binary_search_by_key(&d.id, |&(id, _)| id).is_err()
                        });
                    }
                    let quiet = self.notices_changes && complete && !self.unsettled && !self.to_restart();
                    let (next, after) = if quiet {
                        (Timer::QuietRescan, QUIET_RESCAN)
                    } else {
                        (Timer::Rescan, RESCAN)
                    };
                    // A scan for a change does not put off the periodic one.
                    if self.periodic {
                        for timer in Timer::ALL.into_iter().filter(|t| t.periodic()) {
                            self.timers.set(timer, None);
                        }
                    }
                    self.timers.arm_by(next, now + after);
                    let (rested, made) = self.earliest_waits(now);
                    if let Some(at) = rested {
                        self.timers.arm_by(Timer::Rested, at);
                    }
                    if let Some(at) = made {
                        self.timers.arm_by(Timer::Made, at);
                    }
                }
            }
            Input::PipeCreated(key) => {
                if let Some(e) = self.entry_mut(key) {
                    e.pipe_open = true;
                    start_missing(e, now, effects);
                }
            }
            Input::PipeFailed(key) => {
                self.unsettled = true;
                if let Some(e) = self.entry_mut(key)
                    && e.finished()
                {
                    let id = (e.dev, e.ino);
                    self.forget(key);
                    self.admit(id, now);
                }
            }
            Input::Started { key, which, pid } => {
                if let Some(e) = self.entry_mut(key)
                    && *e.child(which) == Child::Starting
                {
                    *e.child(which) = Child::Running(pid);
                }
            }
            Input::StartFailed { key, which } => {
                self.unsettled = true;
                if let Some(e) = self.entry_mut(key)
                    && *e.child(which) == Child::Starting
                {
                    *e.child(which) = Child::Stopped;
                }
                if self.shutting_down {
                    self.forget_finished(effects);
                }
            }
            Input::ControlFailed { key, which } => {
                if let Some(e) = self.entry_mut(key)
                    && e.child(which).pid().is_some()
                {
                    e.undelivered[which as usize] = true;
                    if self.timers.at(Timer::ControlRetry).is_none() {
                        self.timers.set(Timer::ControlRetry, Some(now + CONTROL_RETRY));
                    }
                }
            }
            Input::Reaped { pid, ended } => {
                let mut ours = false;
                for e in &mut self.entries {
                    for which in [Which::Main, Which::Log] {
                        if e.child(which).pid() == Some(pid) {
                            *e.child(which) = if ended.clean() {
                                Child::Resting(now + RESCAN)
                            } else {
                                Child::Stopped
                            };
                            e.undelivered[which as usize] = false;
                            ours = true;
                        }
                    }
                }
                if self.shutting_down {
                    self.forget_finished(effects);
                } else if ours && !self.scanning {
                    if ended.clean() {
                        // Told to exit: started again (or forgotten) no sooner than
                        // upstream's next scan could come, whatever scans come first.
                        self.timers.arm_by(Timer::Rested, now + RESCAN);
                    } else {
                        // Restarted (or forgotten) at the next 5-second tick, as upstream.
                        self.timers.arm_by(Timer::Rescan, self.last_scan + RESCAN);
                    }
                }
            }
            Input::Shutdown if !self.shutting_down => self.shutdown(effects),
            Input::Shutdown => {}
        }
    }

    /// Whether an active entry has a side that should run and is stopped (reaped
    /// during the scan).
    fn to_restart(&self) -> bool {
        self.entries
            .iter()
            .any(|e| e.active && e.sides().iter().any(|&w| *e.child_ref(w) == Child::Stopped))
    }

    /// The earliest times after `now` at which a listed entry may be started: a
    /// resting supervise's, and a deferred directory's.
    fn earliest_waits(&self, now: u64) -> (Option<u64>, Option<u64>) {
        let resting = self.entries.iter().filter(|e| e.active).flat_map(|e| {
            e.sides().iter().filter_map(|&w| match *e.child_ref(w) {
                Child::Resting(until) => Some(until),
                _ => None,
            })
        });
        let deferred = self.deferred.iter().filter(|d| d.listed).map(|d| d.until);
        (
            resting.filter(|&t| t > now).min(),
            deferred.filter(|&t| t > now).min(),
        )
    }

    /// Whether a new directory is to be waited for (see the module's rules). One
    /// waited for is remembered until it is started.
    fn wait_for(&mut self, id: (u64, u64), arrival: Arrival, now: u64) -> bool {
        let Some(d) = self.deferred.iter_mut().find(|d| d.id == id) else {
            // First sight: waited for if it may still be being filled.
            let wait = match arrival {
                Arrival::Whole => false,
                Arrival::Made => true,
                Arrival::Unnoticed => !self.periodic,
            };
            if wait {
                self.deferred.push(Deferred {
                    id,
                    until: now + RESCAN,
                    listed: true,
                });
            }
            return wait;
        };
        let again = std::mem::replace(&mut d.listed, true);
        match arrival {
            // Removed and made anew since the last scan (unless a link to it was
            // listed first: seen through a link, it is complete).
            Arrival::Made if !again => d.until = now + RESCAN,
            Arrival::Whole => d.until = d.until.min(now),
            Arrival::Made | Arrival::Unnoticed => {}
        }
        now < d.until
    }

    /// A new directory that was not waited for, or no longer is, and could not be
    /// started (its `log` could not be looked at, its pipe not created): it is not
    /// waited for when it is tried again, whatever the scan.
    fn admit(&mut self, id: (u64, u64), now: u64) {
        match self.deferred.iter_mut().find(|d| d.id == id) {
            Some(d) => d.until = d.until.min(now),
            None => self.deferred.push(Deferred {
                id,
                until: now,
                listed: true,
            }),
        }
    }

    fn entry(&mut self, seen: &Seen, now: u64, effects: &mut Vec<Effect>) {
        if seen.name.first() == Some(&b'.') {
            return;
        }
        let (dev, ino, log, arrival) = match seen.kind {
            Kind::StatFailed(errno) => {
                self.unsettled = true;
                effects.push(Effect::WarnStat {
                    name: seen.name.clone(),
                    log: false,
                    errno,
                });
                return;
            }
            Kind::NotADirectory => return,
            Kind::Directory {
                dev,
                ino,
                log,
                arrival,
            } => (dev, ino, log, arrival),
        };
        if let Some(e) = self.key_of(dev, ino).and_then(|key| self.entry_mut(key)) {
            e.active = true;
            if e.name != seen.name {
                e.name = seen.name.clone();
            }
            start_missing(e, now, effects);
            return;
        }
        if self.wait_for((dev, ino), arrival, now) {
            return;
        }
        let log = match log {
            Log::Exists => true,
            Log::Missing => false,
            Log::StatFailed(errno) => {
                self.unsettled = true;
                effects.push(Effect::WarnStat {
                    name: seen.name.clone(),
                    log: true,
                    errno,
                });
                self.admit((dev, ino), now);
                return;
            }
        };
        self.next_key += 1;
        let mut e = Entry {
            key: self.next_key,
            dev,
            ino,
            name: seen.name.clone(),
            log,
            pipe_open: false,
            main: Child::Stopped,
            logger: Child::Stopped,
            active: true,
            undelivered: [false; 2],
        };
        if log {
            effects.push(Effect::CreatePipe {
                key: e.key,
                name: e.name.clone(),
            });
        } else {
            start_missing(&mut e, now, effects);
        }
        let at = self.by_inode.partition_point(|&(id, _)| id < (dev, ino));
        self.by_inode.insert(at, ((dev, ino), e.key));
        self.entries.push(e);
    }

    fn shutdown(&mut self, effects: &mut Vec<Effect>) {
        self.shutting_down = true;
        self.scanning = false;
        for e in &mut self.entries {
            if e.main.pid().is_some() {
                effects.push(shutdown_command(e, Which::Main));
            }
            if e.logger.pid().is_some() {
                effects.push(shutdown_command(e, Which::Log));
            }
            // The logger ends when its input does: svscan's own ends of the pipe
            // go now, the service's when it is down.
            if e.pipe_open {
                e.pipe_open = false;
                effects.push(Effect::ClosePipe(e.key));
            }
        }
        self.forget_finished(effects);
    }

    /// Forgets entries gone from the directory (or all, when shutting down) whose
    /// supervises have both exited; exits once none is left after a shutdown.
    fn forget_finished(&mut self, effects: &mut Vec<Effect>) {
        let shutting_down = self.shutting_down;
        let before = self.entries.len();
        self.entries.retain_mut(|e| {
            let forget = (shutting_down || !e.active) && e.finished();
            if forget && e.pipe_open {
                e.pipe_open = false;
                effects.push(Effect::ClosePipe(e.key));
            }
            !forget
        });
        if self.entries.len() != before {
            let entries = &self.entries;
            self.by_inode
                .retain(|&(_, key)| entries.binary_search_by_key(&key, |e| e.key).is_ok());
        }
        if shutting_down && self.entries.is_empty() {
            effects.push(Effect::Exit);
            self.exited = true;
        }
    }

    fn position(&self, key: u64) -> Option<usize> {
        self.entries.binary_search_by_key(&key, |e| e.key).ok()
    }

    fn entry_mut(&mut self, key: u64) -> Option<&mut Entry> {
        let at = self.position(key)?;
        self.entries.get_mut(at)
    }

    fn key_of(&self, dev: u64, ino: u64) -> Option<u64> {
        let at = self
            .by_inode
            .binary_search_by_key(&(dev, ino), |&(id, _)| id)
            .ok()?;
        Some(self.by_inode[at].1)
    }

    fn forget(&mut self, key: u64) {
        if let Some(at) = self.position(key) {
            let e = self.entries.remove(at);
            self.by_inode.retain(|&(id, _)| id != (e.dev, e.ino));
        }
    }
}

/// The service is brought down and its supervise told to exit (`svc -dx`); the
/// logger's supervise only told to exit, so that the logger reads to the end of
/// its input first.
fn shutdown_command(e: &Entry, which: Which) -> Effect {
    let bytes: &'static [u8] = match which {
        Which::Main => b"dx",
        Which::Log => b"x",
    };
    Effect::Control {
        key: e.key,
        which,
        name: e.name.clone(),
        bytes,
    }
}

/// Starts whichever of the entry's supervises is not running and may start, main
/// first.
fn start_missing(e: &mut Entry, now: u64, effects: &mut Vec<Effect>) {
    for &which in e.sides() {
        let may = match *e.child(which) {
            Child::Stopped => true,
            Child::Resting(until) => now >= until,
            Child::Starting | Child::Running(_) => false,
        };
        if may {
            *e.child(which) = Child::Starting;
            effects.push(Effect::Start {
                key: e.key,
                which,
                name: e.name.clone(),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One line per effect, names as text.
    fn show(effects: &[Effect]) -> String {
        let text = |name: &[u8]| String::from_utf8_lossy(name).into_owned();
        let mut out = String::new();
        for effect in effects {
            let line = match effect {
                Effect::Scan => "scan".to_string(),
                Effect::CreatePipe { key, .. } => format!("create pipe {key}"),
                Effect::Start { key, which, name } => format!("start {key} {which:?} {}", text(name)),
                Effect::ClosePipe(key) => format!("close pipe {key}"),
                Effect::WarnStat { name, log, errno } => {
                    format!(
                        "warn stat {}{} errno {errno}",
                        text(name),
                        if *log { "/log" } else { "" }
                    )
                }
                Effect::Control {
                    key,
                    which,
                    name,
                    bytes,
                } => {
                    format!("control {key} {which:?} {} {}", text(name), text(bytes))
                }
                Effect::Exit => "exit".to_string(),
            };
            out.push_str(&line);
            out.push('\n');
        }
        out
    }

    /// A directory there already (or reached through a link: `Unnoticed` and
    /// `Whole` differ only for one first seen by a scan for a change).
    fn dir(name: &str, ino: u64, log: Log) -> Seen {
        arrived(name, ino, log, Arrival::Unnoticed)
    }

    fn arrived(name: &str, ino: u64, log: Log, arrival: Arrival) -> Seen {
        Seen {
            name: name.as_bytes().to_vec(),
            kind: Kind::Directory {
                dev: 1,
                ino,
                log,
                arrival,
            },
        }
    }

    /// A supervise killed (or failing).
    fn crash(pid: u32) -> Input<'static> {
        Input::Reaped {
            pid,
            ended: Ended::Signaled(9),
        }
    }

    /// A supervise told to exit.
    fn exit0(pid: u32) -> Input<'static> {
        Input::Reaped {
            pid,
            ended: Ended::Exited(0),
        }
    }

    /// A runtime that always succeeds: pipes are created, starts get pids from
    /// `next_pid`, commands are delivered. Returns every effect, in order.
    struct Driver {
        s: Scanner,
        now: u64,
        next_pid: u32,
    }

    impl Driver {
        fn new() -> Driver {
            Driver {
                s: Scanner::new(true),
                now: 1,
                next_pid: 100,
            }
        }

        fn feed(&mut self, input: Input) -> Vec<Effect> {
            let mut effects = Vec::new();
            self.s.handle(input, self.now, &mut effects);
            let mut all = Vec::new();
            for effect in effects {
                all.push(effect.clone());
                match effect {
                    Effect::CreatePipe { key, .. } => all.extend(self.feed(Input::PipeCreated(key))),
                    Effect::Start { key, which, .. } => {
                        self.next_pid += 1;
                        let pid = self.next_pid;
                        all.extend(self.feed(Input::Started { key, which, pid }));
                    }
                    _ => {}
                }
            }
            all
        }

        /// A change noticed, and the scan that follows, answered with `listing`.
        fn change(&mut self, listing: &[Seen]) -> Vec<Effect> {
            assert!(self.feed(Input::Changed).is_empty());
            assert_eq!(self.s.deadline(), Some(self.now + SETTLE));
            self.scan(listing)
        }

        /// Lets time pass to the next scan, and answers it with `listing`.
        fn scan(&mut self, listing: &[Seen]) -> Vec<Effect> {
            self.now = self.now.max(self.s.deadline().unwrap());
            let mut all = self.feed(Input::Timer);
            assert_eq!(all.first(), Some(&Effect::Scan));
            all.remove(0);
            for seen in listing {
                all.extend(self.feed(Input::Entry(seen)));
            }
            all.extend(self.feed(Input::ScanEnd { complete: true }));
            all
        }
    }

    #[test]
    fn starts_services_and_loggers_once() {
        let mut d = Driver::new();
        let listing = [
            dir("a", 1, Log::Exists),
            dir(".hidden", 2, Log::Missing),
            Seen {
                name: b"file".to_vec(),
                kind: Kind::NotADirectory,
            },
            dir("b", 3, Log::Missing),
            dir("b-link", 3, Log::Missing),
            Seen {
                name: b"dangling".to_vec(),
                kind: Kind::StatFailed(2),
            },
        ];
        insta::assert_snapshot!(show(&d.scan(&listing)), @r"
            create pipe 1
            start 1 Main a
            start 1 Log a
            start 2 Main b
            warn stat dangling errno 2
            ");
        assert_eq!(
            d.scan(&listing),
            [Effect::WarnStat {
                name: b"dangling".to_vec(),
                log: false,
                errno: 2
            }]
        );
    }

    #[test]
    fn a_directory_is_known_as_the_name_it_was_last_seen_under() {
        let mut d = Driver::new();
        d.scan(&[dir("a", 1, Log::Missing)]);
        assert!(d.s.is_known(1, 1) && d.s.is_known_as(1, 1, b"a"));
        assert!(!d.s.is_known_as(1, 1, b"b"), "another name");
        assert!(!d.s.is_known_as(1, 2, b"a"), "another directory");
        d.scan(&[dir("b", 1, Log::Missing)]);
        assert!(d.s.is_known_as(1, 1, b"b"), "renamed");
        assert!(!d.s.is_known_as(1, 1, b"a"), "the old name");
    }

    #[test]
    fn a_second_name_seen_before_the_start_is_answered_starts_nothing() {
        let mut s = Scanner::new(true);
        let mut effects = Vec::new();
        s.handle(Input::Timer, 0, &mut effects);
        let b = dir("b", 3, Log::Missing);
        let b_link = dir("b-link", 3, Log::Missing);
        s.handle(Input::Entry(&b), 0, &mut effects);
        s.handle(Input::Entry(&b_link), 0, &mut effects);
        assert_eq!(
            effects,
            [
                Effect::Scan,
                Effect::Start {
                    key: 1,
                    which: Which::Main,
                    name: b"b".to_vec()
                }
            ]
        );
    }

    #[test]
    fn without_change_notices_scans_every_five_seconds() {
        let mut d = Driver::new();
        d.s = Scanner::new(false);
        d.scan(&[dir("a", 1, Log::Missing)]);
        assert_eq!(d.s.deadline(), Some(d.now + RESCAN));
        d.now += 1_000_000_000;
        assert_eq!(d.feed(Input::Timer), []);
        d.now += RESCAN;
        assert_eq!(d.feed(Input::Timer), [Effect::Scan]);
        assert!(d.feed(Input::Timer).is_empty(), "one scan at a time");
    }

    #[test]
    fn with_change_notices_scans_when_there_is_something_to_do() {
        let mut d = Driver::new();
        d.scan(&[dir("a", 1, Log::Missing)]);
        let scanned = d.now;
        assert_eq!(d.s.deadline(), Some(scanned + QUIET_RESCAN), "nothing to do");
        d.now += 1_000_000_000;
        d.feed(crash(101));
        assert_eq!(d.s.deadline(), Some(scanned + RESCAN), "a supervise to restart");
        d.feed(Input::Changed);
        d.feed(Input::Changed);
        assert_eq!(d.s.deadline(), Some(d.now + SETTLE), "a change");
        d.now += SETTLE - 1;
        assert!(d.feed(Input::Timer).is_empty(), "not yet");
        let listing = [
            dir("a", 1, Log::Missing),
            Seen {
                name: b"x".to_vec(),
                kind: Kind::StatFailed(2),
            },
        ];
        d.scan(&listing);
        assert_eq!(
            d.s.deadline(),
            Some(scanned + RESCAN),
            "the periodic scan is not put off"
        );
        d.scan(&listing);
        assert_eq!(d.now, scanned + RESCAN);
        assert_eq!(d.s.deadline(), Some(d.now + RESCAN), "a failure to retry");
        d.feed(crash(999));
        assert_eq!(d.s.deadline(), Some(d.now + RESCAN), "not one of its children");
    }

    #[test]
    fn a_dead_supervise_is_started_again_at_the_next_scan() {
        let mut d = Driver::new();
        let listing = [dir("a", 1, Log::Exists)];
        d.scan(&listing);
        assert!(d.feed(crash(101)).is_empty());
        assert_eq!(d.scan(&listing), [start(1, Which::Main, "a")]);
    }

    fn start(key: u64, which: Which, name: &str) -> Effect {
        Effect::Start {
            key,
            which,
            name: name.as_bytes().to_vec(),
        }
    }

    #[test]
    fn a_supervise_told_to_exit_is_started_again_no_sooner_than_the_rescan() {
        let mut d = Driver::new();
        let listing = [dir("a", 1, Log::Exists), dir("b", 2, Log::Missing)];
        d.scan(&listing);
        d.now += 30_000_000_000;
        // svc -dx on a and its logger: both exit 0, and are not started again at
        // once, nor by a scan for a change, but 5 seconds after they exited.
        assert!(d.feed(exit0(101)).is_empty());
        assert!(d.feed(exit0(102)).is_empty());
        let exited = d.now;
        assert_eq!(d.s.deadline(), Some(exited + RESCAN));
        d.now += 1_000_000_000;
        assert!(d.change(&listing).is_empty(), "a scan for a change");
        assert_eq!(d.s.deadline(), Some(exited + RESCAN));
        assert_eq!(
            d.scan(&listing),
            [start(1, Which::Main, "a"), start(1, Which::Log, "a")]
        );
        assert_eq!(d.now, exited + RESCAN);
        assert_eq!(d.s.deadline(), Some(d.now + QUIET_RESCAN), "nothing left to do");
    }

    #[test]
    fn a_crashed_supervise_may_come_back_at_a_scan_for_a_change() {
        let mut d = Driver::new();
        let listing = [dir("a", 1, Log::Missing)];
        d.scan(&listing);
        d.now += 1_000_000_000;
        assert!(d.feed(crash(101)).is_empty());
        assert_eq!(d.change(&listing), [start(1, Which::Main, "a")]);
        // Not one told to exit (exit 0): any other status counts as a crash.
        d.feed(Input::Reaped {
            pid: 102,
            ended: Ended::Exited(111),
        });
        assert_eq!(d.change(&listing), [start(1, Which::Main, "a")]);
    }

    #[test]
    fn a_supervise_told_to_exit_and_removed_is_forgotten_at_the_rescan() {
        let mut d = Driver::new();
        d.scan(&[dir("a", 1, Log::Missing)]);
        d.feed(exit0(101));
        assert!(d.change(&[]).is_empty());
        assert_eq!(d.s.known().count(), 0, "forgotten at once: it is gone");
    }

    #[test]
    fn a_directory_made_in_place_is_started_5_seconds_after_it_was_first_seen() {
        let mut d = Driver::new();
        d.scan(&[]);
        d.now += 30_000_000_000;
        // Made, then given its log 0.1 s later (the scan for the change between).
        let seen = d.now + SETTLE;
        assert!(
            d.change(&[arrived("a", 1, Log::Missing, Arrival::Made)])
                .is_empty()
        );
        assert_eq!(d.s.deadline(), Some(seen + RESCAN));
        d.now += 100_000_000;
        assert!(d.change(&[dir("a", 1, Log::Exists)]).is_empty());
        assert_eq!(d.s.deadline(), Some(seen + RESCAN));
        insta::assert_snapshot!(show(&d.scan(&[dir("a", 1, Log::Exists)])), @r"
            create pipe 1
            start 1 Main a
            start 1 Log a
            ");
        assert_eq!(d.now, seen + RESCAN);
        assert_eq!(d.s.deadline(), Some(d.now + QUIET_RESCAN));
    }

    #[test]
    fn a_directory_made_anew_is_waited_for_anew() {
        let mut d = Driver::new();
        d.scan(&[]);
        assert!(
            d.change(&[arrived("a", 1, Log::Missing, Arrival::Made)])
                .is_empty()
        );
        d.now += 3_000_000_000;
        // Removed and made again under the same inode.
        assert!(
            d.change(&[arrived("a", 1, Log::Missing, Arrival::Made)])
                .is_empty()
        );
        let made = d.now;
        assert!(
            d.scan(&[dir("a", 1, Log::Missing)]).is_empty(),
            "5 s after the first"
        );
        assert_eq!(d.s.deadline(), Some(made + RESCAN));
        assert_eq!(d.scan(&[dir("a", 1, Log::Missing)]), [start(1, Which::Main, "a")]);
    }

    #[test]
    fn a_directory_removed_while_waited_for_is_waited_for_no_more() {
        let mut d = Driver::new();
        d.scan(&[]);
        assert!(
            d.change(&[arrived("a", 1, Log::Missing, Arrival::Made)])
                .is_empty()
        );
        assert_eq!(d.s.waiting(), 1);
        assert!(d.change(&[]).is_empty());
        assert_eq!(d.s.waiting(), 0);
    }

    #[test]
    fn a_directory_started_is_waited_for_no_more() {
        let mut d = Driver::new();
        d.scan(&[]);
        assert!(
            d.change(&[arrived("a", 1, Log::Missing, Arrival::Made)])
                .is_empty()
        );
        assert_eq!(d.scan(&[dir("a", 1, Log::Missing)]), [start(1, Which::Main, "a")]);
        assert_eq!(d.s.waiting(), 0);
    }

    #[test]
    fn a_linked_or_renamed_in_directory_is_started_at_once() {
        let mut d = Driver::new();
        d.scan(&[]);
        assert_eq!(
            d.change(&[arrived("a", 1, Log::Missing, Arrival::Whole)]),
            [start(1, Which::Main, "a")]
        );
    }

    #[test]
    fn a_directory_that_failed_to_start_is_not_waited_for_when_tried_again() {
        let mut d = Driver::new();
        d.scan(&[]);
        // Linked in, its log cannot be looked at; then its pipe cannot be created.
        assert_eq!(
            d.change(&[arrived("a", 1, Log::StatFailed(13), Arrival::Whole)]),
            [Effect::WarnStat {
                name: b"a".to_vec(),
                log: true,
                errno: 13
            }]
        );
        let mut effects = Vec::new();
        d.s.handle(Input::Changed, d.now, &mut effects);
        d.now += SETTLE;
        d.s.handle(Input::Timer, d.now, &mut effects);
        d.s.handle(Input::Entry(&dir("a", 1, Log::Exists)), d.now, &mut effects);
        d.s.handle(Input::PipeFailed(1), d.now, &mut effects);
        d.s.handle(Input::ScanEnd { complete: true }, d.now, &mut effects);
        assert_eq!(
            effects,
            [
                Effect::Scan,
                Effect::CreatePipe {
                    key: 1,
                    name: b"a".to_vec()
                }
            ]
        );
        // A later scan for a change, which is not told how it came, starts it.
        insta::assert_snapshot!(show(&d.change(&[dir("a", 1, Log::Exists)])), @r"
            create pipe 2
            start 2 Main a
            start 2 Log a
            ");
        assert_eq!(d.s.waiting(), 0);
    }

    #[test]
    fn an_unreported_directory_waits_at_a_scan_for_a_change_not_at_a_periodic_one() {
        // At a scan for a change, a new directory not reported as made (the
        // notices were lost) may still be being filled.
        let mut d = Driver::new();
        d.scan(&[]);
        assert!(d.change(&[dir("a", 1, Log::Missing)]).is_empty());
        // At a periodic scan it is started, as upstream does (svscan's first scan).
        let mut d = Driver::new();
        assert_eq!(d.scan(&[dir("a", 1, Log::Missing)]), [start(1, Which::Main, "a")]);
        // Reported as made, even a periodic scan waits.
        assert!(d.scan(&[arrived("b", 2, Log::Missing, Arrival::Made)]).is_empty());
    }

    #[test]
    fn a_scan_for_a_change_does_not_put_off_the_periodic_one() {
        let mut d = Driver::new();
        let dangling = Seen {
            name: b"x".to_vec(),
            kind: Kind::StatFailed(2),
        };
        d.scan(std::slice::from_ref(&dangling));
        let periodic = d.now + RESCAN;
        d.now += 4_000_000_000;
        d.change(std::slice::from_ref(&dangling));
        assert_eq!(d.s.deadline(), Some(periodic));
    }

    #[test]
    fn each_deadline_is_named() {
        let mut d = Driver::new();
        assert_eq!(
            d.s.next_timer(),
            Some((Timer::Rescan, 0)),
            "the first scan at once"
        );
        d.scan(&[dir("a", 1, Log::Missing)]);
        assert_eq!(d.s.next_timer(), Some((Timer::QuietRescan, d.now + QUIET_RESCAN)));
        d.feed(Input::Changed);
        assert_eq!(d.s.next_timer(), Some((Timer::Settle, d.now + SETTLE)));
        let made = arrived("b", 2, Log::Missing, Arrival::Made);
        assert!(d.scan(&[dir("a", 1, Log::Missing), made]).is_empty());
        assert_eq!(d.s.next_timer(), Some((Timer::Made, d.now + RESCAN)));
        let listing = [dir("a", 1, Log::Missing), dir("b", 2, Log::Missing)];
        assert_eq!(d.scan(&listing), [start(2, Which::Main, "b")]);
        let scanned = d.now;
        d.now += 1_000_000_000;
        d.feed(crash(102));
        d.feed(exit0(101));
        assert_eq!(d.s.next_timer(), Some((Timer::Rescan, scanned + RESCAN)));
        assert_eq!(d.s.timer(Timer::Rested), Some(d.now + RESCAN));
        assert_eq!(d.s.timer(Timer::ControlRetry), None);

        let mut d = Driver::new();
        d.scan(&[dir("a", 1, Log::Missing)]);
        d.feed(Input::Changed);
        d.feed(Input::Shutdown);
        assert_eq!(d.s.next_timer(), None, "no scan during a shutdown");
        d.feed(Input::ControlFailed {
            key: 1,
            which: Which::Main,
        });
        assert_eq!(
            d.s.next_timer(),
            Some((Timer::ControlRetry, d.now + CONTROL_RETRY))
        );
        d.now += CONTROL_RETRY;
        assert_eq!(d.feed(Input::Timer).len(), 1, "the command repeated");
        assert_eq!(d.s.next_timer(), None);
        assert_eq!(d.feed(exit0(101)), [Effect::Exit]);
    }

    #[test]
    fn a_removed_entry_is_forgotten_once_both_supervises_exit() {
        let mut d = Driver::new();
        d.scan(&[dir("a", 1, Log::Exists)]);
        assert!(d.scan(&[]).is_empty(), "its supervises still run");
        d.feed(exit0(101));
        assert!(d.scan(&[]).is_empty());
        d.feed(exit0(102));
        assert_eq!(d.scan(&[]), [Effect::ClosePipe(1)]);
        assert_eq!(d.s.known().count(), 0);
    }

    #[test]
    fn an_incomplete_listing_forgets_nothing() {
        let mut d = Driver::new();
        d.scan(&[dir("a", 1, Log::Missing)]);
        d.feed(crash(101));
        d.now = d.s.deadline().unwrap();
        assert_eq!(d.feed(Input::Timer), [Effect::Scan]);
        assert!(d.feed(Input::ScanEnd { complete: false }).is_empty());
        assert_eq!(d.s.known().count(), 1);
    }

    #[test]
    fn the_log_decision_is_made_at_first_sight() {
        let mut d = Driver::new();
        d.scan(&[dir("a", 1, Log::Missing)]);
        assert!(d.scan(&[dir("a", 1, Log::Exists)]).is_empty());
    }

    #[test]
    fn a_log_that_cannot_be_looked_at_delays_the_entry() {
        let mut d = Driver::new();
        let effects = d.scan(&[dir("a", 1, Log::StatFailed(13))]);
        assert_eq!(
            effects,
            [Effect::WarnStat {
                name: b"a".to_vec(),
                log: true,
                errno: 13
            }]
        );
        assert_eq!(d.s.known().count(), 0);
    }

    #[test]
    fn a_pipe_that_cannot_be_created_delays_the_entry() {
        let mut s = Scanner::new(true);
        let mut effects = Vec::new();
        s.handle(Input::Timer, 0, &mut effects);
        s.handle(Input::Entry(&dir("a", 1, Log::Exists)), 0, &mut effects);
        s.handle(Input::PipeFailed(1), 0, &mut effects);
        assert_eq!(
            effects,
            [
                Effect::Scan,
                Effect::CreatePipe {
                    key: 1,
                    name: b"a".to_vec()
                }
            ]
        );
        assert_eq!(s.known().count(), 0);
    }

    #[test]
    fn shutdown_stops_everything_then_exits() {
        let mut d = Driver::new();
        d.scan(&[dir("a", 1, Log::Exists), dir("b", 2, Log::Missing)]);
        insta::assert_snapshot!(show(&d.feed(Input::Shutdown)), @r"
            control 1 Main a dx
            control 1 Log a x
            close pipe 1
            control 2 Main b dx
            ");
        assert_eq!(d.s.deadline(), None);
        assert!(d.feed(Input::Changed).is_empty());
        assert!(d.feed(exit0(101)).is_empty());
        assert!(d.feed(exit0(103)).is_empty());
        assert!(d.feed(crash(999)).is_empty(), "an orphan");
        assert_eq!(d.feed(exit0(102)), [Effect::Exit]);
        assert_eq!(d.s.deadline(), None);
    }

    #[test]
    fn an_undelivered_shutdown_command_is_repeated() {
        let mut d = Driver::new();
        d.scan(&[dir("a", 1, Log::Missing)]);
        d.feed(Input::Shutdown);
        d.feed(Input::ControlFailed {
            key: 1,
            which: Which::Main,
        });
        assert_eq!(d.s.deadline(), Some(d.now + CONTROL_RETRY));
        d.now += CONTROL_RETRY;
        let again = Effect::Control {
            key: 1,
            which: Which::Main,
            name: b"a".to_vec(),
            bytes: b"dx",
        };
        assert_eq!(d.feed(Input::Timer), [again]);
        assert_eq!(d.s.deadline(), None);
        assert_eq!(d.feed(exit0(101)), [Effect::Exit]);
    }
}

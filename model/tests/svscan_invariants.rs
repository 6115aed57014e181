//! The svscan machine's invariants, checked after every step of random sequences of
//! directory changes, exits and failures (proptest), and of every distinct state
//! reachable within a depth (breadth first, with an input that jumps to the next
//! deadline, so that every timer fires), each then shut down and drained:
//!
//! 1. at most one supervise per service (one directory, whatever its names) and at
//!    most one per logger;
//! 2. a pipe is created once and closed once, nothing is started on it after it is
//!    closed, and it is closed only when neither side can be started again (the
//!    entry is forgotten, or svscan is shutting down);
//! 3. nothing is started for dot entries, files, or names not in the listing;
//! 4. every child pid the machine knows is alive and belongs to exactly one entry,
//!    and every live child is known;
//! 5. after a shutdown nothing is started, every running supervise is told to go
//!    (`dx`, loggers `x`; a command not delivered, by the time its retry is due),
//!    and svscan exits exactly when its last child is reaped;
//! 6. an entry is not forgotten while its directory is listed: its key, and so its
//!    log decision, stay the same;
//! 7. liveness: a scan with no failures leaves every listed service with a running
//!    supervise, and its logger if it has a `log`, except for what invariants 8 and
//!    9 hold back, which is started at the first scan it may be, and the next scan
//!    comes by then; the next scan comes within 20 ms of a change noticed, within
//!    5 s of the last scan when a supervise crashed or something failed (or always,
//!    where changes are not noticed), within 5 s of a supervise's exit 0, and within
//!    a minute in any case;
//! 8. a supervise that exited 0 (`svc -x`) is not started again for its entry
//!    sooner than 5 s after its exit (upstream's longest wait for its next scan);
//! 9. where changes are noticed, a directory made in place (not linked or renamed
//!    in) is not started sooner than 5 s after it was made, nor later than the
//!    first scan 5 s after the first scan that listed it; and whether a service has
//!    a logger is decided by its `log` at the scan that starts it.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use model::svscan::{
    Arrival, Effect, Ended, Input, Kind, Log, QUIET_RESCAN, RESCAN, SETTLE, Scanner, Seen, Timer, Which,
};
use proptest::prelude::*;

/// What a name in the scanned directory is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Target {
    /// A directory (its inode), with or without `log`.
    Dir {
        ino: u64,
        log: bool,
    },
    File,
    Dangling,
}

#[derive(Clone, Copy, Debug)]
enum Event {
    /// A new service directory under name `n`, with a `log` or not, made in place
    /// or (`moved`) renamed in complete.
    AddDir {
        n: u8,
        log: bool,
        moved: bool,
    },
    /// Name `n` becomes a symbolic link to the directory under name `m`.
    Link {
        n: u8,
        m: u8,
    },
    AddFile {
        n: u8,
    },
    AddDangling {
        n: u8,
    },
    Remove {
        n: u8,
    },
    /// Toggles `log` in the directory under name `n` (after its start: no effect).
    ToggleLog {
        n: u8,
    },
    /// The k-th live child (in pid order) exits: 0 (`svc -x`), or crashes.
    ChildExits {
        k: u8,
        clean: bool,
    },
    /// A child svscan did not start is reaped (PID 1's orphans).
    OrphanReaped,
    /// Time passes (ms); a due timer fires.
    Wait(u64),
    /// Time passes until the machine's next deadline, which fires.
    NextDeadline,
    Changed,
    PipeWillFail,
    StartWillFail,
    LogStatWillFail,
    ControlWillFail,
    ListingWillBreak,
    Shutdown,
}

/// Names: a few ordinary ones and a dot name.
const NAMES: [&[u8]; 5] = [b"a", b"b", b"c", b"d", b".hidden"];

#[derive(Clone, Debug)]
struct World {
    s: Scanner,
    now: u64,
    dir: BTreeMap<u8, Target>,
    next_ino: u64,
    /// pid → (key, which, inode of the directory it was started for).
    live: BTreeMap<u32, (u64, Which, u64)>,
    next_pid: u32,
    /// Keys whose pipe is open, and those whose pipe was closed.
    pipes: BTreeSet<u64>,
    closed: BTreeSet<u64>,
    /// The key under which each inode was first started, while it stays listed.
    keys: BTreeMap<u64, u64>,
    /// Every key ever started.
    started: BTreeSet<u64>,
    /// The commands delivered at shutdown, by (key, which).
    told: BTreeMap<(u64, Which), &'static [u8]>,
    pipe_fails: bool,
    start_fails: bool,
    log_stat_fails: bool,
    control_fails: bool,
    listing_breaks: bool,
    shutdown: bool,
    exited: bool,
    /// Failures were injected since the last scan (liveness is not expected).
    failures_since_scan: bool,
    /// Changes to the directory are noticed (and reported as `Input::Changed`).
    notices: bool,
    /// When the last scan ended.
    last_scan: u64,
    /// Names that are symbolic links (to a directory).
    links: BTreeSet<u8>,
    /// How each name came since the last scan, as inotify reports it (where
    /// changes are noticed).
    arrivals: BTreeMap<u8, Arrival>,
    /// Directories made in place where changes are noticed: when (invariant 9).
    made: BTreeMap<u64, u64>,
    /// When directories made in place were first listed, or listed again with a
    /// report that they were made (invariant 9).
    first_listed: BTreeMap<u64, u64>,
    /// Supervises that exited 0, by (key, which): when they may start again, and
    /// the inode (invariant 8).
    resting: BTreeMap<(u64, Which), (u64, u64)>,
    /// How often each of `Timer::ALL` was due when the timer input was sent.
    fired: [u64; 6],
}

impl World {
    fn new(notices: bool) -> World {
        World {
            s: Scanner::new(notices),
            now: 1,
            dir: BTreeMap::new(),
            next_ino: 10,
            live: BTreeMap::new(),
            next_pid: 100,
            pipes: BTreeSet::new(),
            closed: BTreeSet::new(),
            told: BTreeMap::new(),
            keys: BTreeMap::new(),
            started: BTreeSet::new(),
            pipe_fails: false,
            start_fails: false,
            log_stat_fails: false,
            control_fails: false,
            listing_breaks: false,
            shutdown: false,
            exited: false,
            failures_since_scan: false,
            notices,
            last_scan: 0,
            links: BTreeSet::new(),
            arrivals: BTreeMap::new(),
            made: BTreeMap::new(),
            first_listed: BTreeMap::new(),
            resting: BTreeMap::new(),
            fired: [0; 6],
        }
    }

    fn event(&mut self, e: Event) -> Result<(), String> {
        match e {
            Event::AddDir { n, log, moved } => {
                self.next_ino += 1;
                self.dir.insert(
                    n,
                    Target::Dir {
                        ino: self.next_ino,
                        log,
                    },
                );
                self.links.remove(&n);
                if self.notices {
                    if moved {
                        self.arrivals.insert(n, Arrival::Whole);
                    } else {
                        self.arrivals.insert(n, Arrival::Made);
                        self.made.insert(self.next_ino, self.now);
                    }
                }
            }
            Event::Link { n, m } => {
                if let Some(&t) = self.dir.get(&m) {
                    self.dir.insert(n, t);
                    self.links.insert(n);
                }
            }
            Event::AddFile { n } => {
                self.dir.insert(n, Target::File);
                self.links.remove(&n);
            }
            Event::AddDangling { n } => {
                self.dir.insert(n, Target::Dangling);
                self.links.insert(n);
            }
            Event::Remove { n } => {
                self.dir.remove(&n);
                self.links.remove(&n);
            }
            Event::ToggleLog { n } => {
                if let Some(Target::Dir { ino, log }) = self.dir.get(&n).copied() {
                    for t in self.dir.values_mut() {
                        if *t == (Target::Dir { ino, log }) {
                            *t = Target::Dir { ino, log: !log };
                        }
                    }
                }
            }
            Event::ChildExits { k, clean } => {
                if !self.live.is_empty() {
                    let pid = *self.live.keys().nth(k as usize % self.live.len()).unwrap();
                    let (key, which, ino) = self.live.remove(&pid).unwrap();
                    let ended = if clean {
                        Ended::Exited(0)
                    } else if k % 2 == 0 {
                        Ended::Signaled(9)
                    } else {
                        Ended::Exited(111)
                    };
                    if clean {
                        self.resting.insert((key, which), (self.now + RESCAN, ino));
                    }
                    self.input(Input::Reaped { pid, ended })?;
                    if clean {
                        self.check_deadline(self.now + RESCAN, "a supervise exited 0")?;
                    } else {
                        self.check_deadline(self.last_scan + RESCAN, "a supervise crashed")?;
                    }
                }
            }
            Event::OrphanReaped => self.input(Input::Reaped {
                pid: 1_000_000,
                ended: Ended::Exited(0),
            })?,
            Event::Wait(ms) => {
                self.now += ms * 1_000_000;
                self.fire_due_timers()?;
            }
            Event::NextDeadline => {
                if let Some(at) = self.s.deadline() {
                    self.now = self.now.max(at);
                }
                self.fire_due_timers()?;
            }
            // Only a runtime that notices changes reports them.
            Event::Changed if self.notices => self.notice_change()?,
            Event::Changed => {}
            Event::PipeWillFail => self.pipe_fails = true,
            Event::StartWillFail => self.start_fails = true,
            Event::LogStatWillFail => self.log_stat_fails = true,
            Event::ControlWillFail => self.control_fails = true,
            Event::ListingWillBreak => self.listing_breaks = true,
            Event::Shutdown => {
                self.shutdown = true;
                self.input(Input::Shutdown)?;
            }
        }
        if matches!(
            e,
            Event::AddDir { .. } | Event::Link { .. } | Event::AddFile { .. } | Event::AddDangling { .. }
        ) && self.notices
        {
            self.notice_change()?;
        }
        // A directory no longer listed (under a name svscan looks at) may be
        // forgotten, and get a new key.
        let listed: BTreeSet<u64> = self
            .keys
            .keys()
            .chain(self.first_listed.keys())
            .copied()
            .filter(|&ino| self.listed(ino))
            .collect();
        self.keys.retain(|ino, _| listed.contains(ino));
        self.first_listed.retain(|ino, _| listed.contains(ino));
        self.check_state()
    }

    /// Sends the timer input if a deadline has passed, counting which timers were due.
    fn fire_due_timers(&mut self) -> Result<(), String> {
        let due: Vec<Timer> = Timer::ALL
            .into_iter()
            .filter(|&t| self.s.timer(t).is_some_and(|at| at <= self.now))
            .collect();
        if due.is_empty() {
            return Ok(());
        }
        for t in due {
            self.fired[t as usize] += 1;
        }
        self.input(Input::Timer)
    }

    fn notice_change(&mut self) -> Result<(), String> {
        self.input(Input::Changed)?;
        self.check_deadline(self.now + SETTLE, "a change")
    }

    /// Invariant 7: the next scan is due by `latest`.
    fn check_deadline(&self, latest: u64, after: &str) -> Result<(), String> {
        match self.s.deadline() {
            _ if self.shutdown => Ok(()),
            Some(d) if d <= latest => Ok(()),
            d => Err(format!("after {after}, next scan at {d:?}, later than {latest}")),
        }
    }

    /// Feeds one input and carries out its effects in order, answering those that
    /// need it at once, as the runtime does.
    fn input(&mut self, input: Input) -> Result<(), String> {
        let mut effects = Vec::new();
        self.s.handle(input, self.now, &mut effects);
        for effect in effects {
            if self.exited {
                return Err(format!("{effect:?} after exit"));
            }
            self.effect(effect)?;
        }
        Ok(())
    }

    fn effect(&mut self, effect: Effect) -> Result<(), String> {
        match effect {
            Effect::Scan => self.scan(),
            Effect::CreatePipe { key, .. } => {
                if self.pipes.contains(&key) || self.closed.contains(&key) {
                    return Err(format!("pipe {key} created twice"));
                }
                if std::mem::take(&mut self.pipe_fails) {
                    self.failures_since_scan = true;
                    self.input(Input::PipeFailed(key))
                } else {
                    self.pipes.insert(key);
                    self.input(Input::PipeCreated(key))
                }
            }
            Effect::Start { key, which, name } => {
                if self.shutdown {
                    return Err(format!("start of {name:?} after shutdown"));
                }
                let n = NAMES.iter().position(|&x| x == &name[..]).ok_or("unknown name")? as u8;
                let ino = match self.dir.get(&n) {
                    _ if name[0] == b'.' => return Err("started a dot entry".into()),
                    Some(Target::Dir { ino, .. }) => *ino,
                    other => return Err(format!("started {name:?}, which is {other:?}")),
                };
                if self.live.values().any(|&(_, w, i)| w == which && i == ino) {
                    return Err(format!("a second {which:?} supervise for inode {ino}"));
                }
                if self.live.values().any(|&(k, w, _)| k == key && w == which) {
                    return Err(format!("a second {which:?} supervise for key {key}"));
                }
                if let Some(&(until, _)) = self.resting.get(&(key, which))
                    && self.now < until
                {
                    return Err(format!(
                        "{which:?} of {key} started again {} ms after its exit 0",
                        (self.now + RESCAN - until) / 1_000_000
                    ));
                }
                if let Some(&made) = self.made.get(&ino)
                    && self.now < made + RESCAN
                {
                    return Err(format!(
                        "inode {ino}, made in place, started {} ms after",
                        (self.now - made) / 1_000_000
                    ));
                }
                if self.started.insert(key) {
                    // First started: the log decision is the directory's `log` now.
                    let log = matches!(self.dir.get(&n), Some(Target::Dir { log: true, .. }));
                    let decided = self.s.known().find(|k| k.key == key).map(|k| k.log);
                    if decided != Some(log) {
                        return Err(format!("inode {ino} has log {log}, decided {decided:?}"));
                    }
                }
                if *self.keys.entry(ino).or_insert(key) != key {
                    return Err(format!("inode {ino} forgotten while listed"));
                }
                if which == Which::Log && !self.pipes.contains(&key) {
                    return Err(format!("logger of {key} started without its pipe"));
                }
                if self.closed.contains(&key) {
                    return Err(format!("{key} started after its pipe was closed"));
                }
                if std::mem::take(&mut self.start_fails) {
                    self.failures_since_scan = true;
                    self.input(Input::StartFailed { key, which })
                } else {
                    self.next_pid += 1;
                    let pid = self.next_pid;
                    self.live.insert(pid, (key, which, ino));
                    self.input(Input::Started { key, which, pid })
                }
            }
            Effect::ClosePipe(key) => {
                if !self.pipes.remove(&key) {
                    return Err(format!("pipe {key} closed but not open"));
                }
                self.closed.insert(key);
                if !self.shutdown {
                    if self.live.values().any(|&(k, _, _)| k == key) {
                        return Err(format!("pipe {key} closed while a side runs"));
                    }
                    if self.s.known().any(|k| k.key == key) {
                        return Err(format!("pipe {key} closed while its entry is known"));
                    }
                }
                Ok(())
            }
            Effect::WarnStat { .. } => {
                self.failures_since_scan = true;
                Ok(())
            }
            Effect::Control {
                key, which, bytes, ..
            } => {
                if !self.shutdown {
                    return Err("a command outside a shutdown".into());
                }
                let expected: &[u8] = if which == Which::Main { b"dx" } else { b"x" };
                if bytes != expected {
                    return Err(format!("{bytes:?} to a {which:?} supervise"));
                }
                if !self.live.values().any(|&(k, w, _)| k == key && w == which) {
                    return Err(format!("a command to {key} {which:?}, which is not running"));
                }
                if std::mem::take(&mut self.control_fails) {
                    self.input(Input::ControlFailed { key, which })
                } else {
                    self.told.insert((key, which), bytes);
                    Ok(())
                }
            }
            Effect::Exit => {
                if !self.shutdown || !self.live.is_empty() {
                    return Err("exit without shutdown, or with children left".into());
                }
                self.exited = true;
                Ok(())
            }
        }
    }

    fn scan(&mut self) -> Result<(), String> {
        let breaks = std::mem::take(&mut self.listing_breaks);
        let log_stat_fails = std::mem::take(&mut self.log_stat_fails);
        self.failures_since_scan = breaks;
        let entries: Vec<(u8, Target)> = self.dir.iter().map(|(&n, &t)| (n, t)).collect();
        let shown = if breaks {
            &entries[..entries.len() / 2]
        } else {
            &entries[..]
        };
        let mut listing = Vec::new();
        let mut mentioned = BTreeSet::new();
        for &(n, t) in shown {
            // The runtime tells a link by the listing, and how the rest came by
            // what inotify reported for the name, once.
            let reported = self.arrivals.remove(&n).unwrap_or(Arrival::Unnoticed);
            let arrival = if self.links.contains(&n) {
                Arrival::Whole
            } else {
                reported
            };
            let kind = match t {
                Target::Dir { ino, log } => {
                    if NAMES[n as usize][0] != b'.' {
                        let first_mention = mentioned.insert(ino);
                        match self.first_listed.get(&ino) {
                            None => {
                                self.first_listed.insert(ino, self.now);
                            }
                            // Reported made again (a report a broken listing kept
                            // for a directory since seen under another name): to
                            // be waited for from now.
                            Some(_)
                                if arrival == Arrival::Made && first_mention && !self.s.is_known(1, ino) =>
                            {
                                self.first_listed.insert(ino, self.now);
                                self.made.entry(ino).or_insert(self.now);
                            }
                            Some(_) => {}
                        }
                        if arrival == Arrival::Whole {
                            // Seen through a link or renamed in: complete.
                            self.made.remove(&ino);
                        }
                    }
                    Kind::Directory {
                        dev: 1,
                        ino,
                        log: if log_stat_fails {
                            Log::StatFailed(13)
                        } else if log {
                            Log::Exists
                        } else {
                            Log::Missing
                        },
                        arrival,
                    }
                }
                Target::File => Kind::NotADirectory,
                Target::Dangling => Kind::StatFailed(2),
            };
            listing.push(Seen {
                name: NAMES[n as usize].to_vec(),
                kind,
            });
        }
        for seen in &listing {
            self.input(Input::Entry(seen))?;
        }
        self.input(Input::ScanEnd { complete: !breaks })?;
        // What was reported for names a broken listing did not show is kept.
        if !breaks {
            self.arrivals.clear();
        }
        self.last_scan = self.now;
        let held = self.held_back();
        if !self.failures_since_scan && !self.shutdown {
            self.check_everything_runs(&held)?;
        }
        let quiet = self.notices && !self.failures_since_scan;
        let latest = self.now + if quiet { QUIET_RESCAN } else { RESCAN };
        self.check_deadline(latest, "a scan")?;
        // Invariant 7: what is held back is started by the first scan it may be
        // (what a broken listing did not show is started at the next scan).
        if !breaks {
            for (&what, &until) in &held {
                self.check_deadline(until, &format!("a scan holding back {what:?}"))?;
            }
        }
        Ok(())
    }

    /// What invariants 8 and 9 hold back now, with the time it may start (the
    /// latest, for a directory made in place): by (inode, which).
    fn held_back(&self) -> BTreeMap<(u64, Which), u64> {
        let mut held = BTreeMap::new();
        for (&ino, &first) in &self.first_listed {
            if self.made.contains_key(&ino) && !self.keys.contains_key(&ino) && self.now < first + RESCAN {
                held.insert((ino, Which::Main), first + RESCAN);
                held.insert((ino, Which::Log), first + RESCAN);
            }
        }
        for (&(key, which), &(until, ino)) in &self.resting {
            if self.now < until
                && self.listed(ino)
                && self.s.known().any(|k| k.key == key)
                && !self.live.values().any(|&(k, w, _)| k == key && w == which)
            {
                held.insert((ino, which), until);
            }
        }
        held
    }

    /// Whether the directory `ino` is listed under a name svscan looks at.
    fn listed(&self, ino: u64) -> bool {
        self.dir.iter().any(|(&n, t)| {
            NAMES[n as usize][0] != b'.' && matches!(t, Target::Dir { ino: i, .. } if *i == ino)
        })
    }

    /// Invariant 7, after a scan without failures.
    fn check_everything_runs(&self, held: &BTreeMap<(u64, Which), u64>) -> Result<(), String> {
        for (&n, &t) in &self.dir {
            if let (Target::Dir { ino, .. }, false) = (t, NAMES[n as usize][0] == b'.') {
                if held.contains_key(&(ino, Which::Main)) && !self.keys.contains_key(&ino) {
                    continue;
                }
                // Its key: as first started, or as its supervise runs (the world
                // forgets a key as soon as its directory goes; svscan at a scan).
                let key = self.keys.get(&ino).copied().or_else(|| {
                    self.live
                        .values()
                        .find(|&&(_, _, i)| i == ino)
                        .map(|&(k, _, _)| k)
                });
                let known = key.and_then(|key| self.s.known().find(|k| k.key == key));
                let Some(k) = known else {
                    return Err(format!("no supervise for inode {ino} after a clean scan"));
                };
                if k.main.is_none() && !held.contains_key(&(ino, Which::Main)) {
                    return Err(format!("no supervise for inode {ino} after a clean scan"));
                }
                if k.log && k.logger.is_none() && !held.contains_key(&(ino, Which::Log)) {
                    return Err(format!("no logger for inode {ino} after a clean scan"));
                }
                if !k.log && k.logger.is_some() {
                    return Err(format!("a logger for inode {ino}, which has none"));
                }
            }
        }
        Ok(())
    }

    /// Invariants 4 and 5 after every event.
    fn check_state(&self) -> Result<(), String> {
        if self.exited {
            return Ok(());
        }
        let mut known_pids = BTreeSet::new();
        for k in self.s.known() {
            for (pid, which) in [(k.main, Which::Main), (k.logger, Which::Log)] {
                let Some(pid) = pid else { continue };
                if !known_pids.insert(pid) {
                    return Err(format!("pid {pid} known twice"));
                }
                match self.live.get(&pid) {
                    Some(&(key, w, _)) if key == k.key && w == which => {}
                    other => {
                        return Err(format!(
                            "machine has {pid} as {which:?} of {}, world {other:?}",
                            k.key
                        ));
                    }
                }
            }
        }
        if known_pids.len() != self.live.len() {
            return Err(format!(
                "live children {:?}, machine knows {known_pids:?}",
                self.live
            ));
        }
        if self.shutdown {
            // A command not delivered is repeated when its retry is due.
            let pending_retry = self.s.deadline().is_some_and(|d| d > self.now);
            for (&pid, &(key, which, _)) in &self.live {
                if !self.told.contains_key(&(key, which)) && !pending_retry {
                    return Err(format!("{pid} ({key} {which:?}) never told to go"));
                }
            }
            if self.live.is_empty() {
                return Err("no child left after a shutdown, but no exit".into());
            }
        }
        Ok(())
    }
}

fn name() -> impl Strategy<Value = u8> {
    prop_oneof![8 => 0u8..4, 1 => Just(4u8)]
}

fn event() -> impl Strategy<Value = Event> {
    prop_oneof![
        6 => (name(), any::<bool>(), any::<bool>()).prop_map(|(n, log, moved)| Event::AddDir { n, log, moved }),
        2 => (name(), name()).prop_map(|(n, m)| Event::Link { n, m }),
        1 => name().prop_map(|n| Event::AddFile { n }),
        1 => name().prop_map(|n| Event::AddDangling { n }),
        3 => name().prop_map(|n| Event::Remove { n }),
        1 => name().prop_map(|n| Event::ToggleLog { n }),
        5 => (any::<u8>(), any::<bool>()).prop_map(|(k, clean)| Event::ChildExits { k, clean }),
        1 => Just(Event::OrphanReaped),
        8 => prop_oneof![Just(10u64), Just(20), Just(1000), Just(5000), 0u64..6000].prop_map(Event::Wait),
        1 => Just(Event::NextDeadline),
        2 => Just(Event::Changed),
        1 => Just(Event::PipeWillFail),
        1 => Just(Event::StartWillFail),
        1 => Just(Event::LogStatWillFail),
        1 => Just(Event::ControlWillFail),
        1 => Just(Event::ListingWillBreak),
        1 => Just(Event::Shutdown),
    ]
}

/// After the events: a shutdown, then every child exits, and svscan must exit.
fn shut_down_and_drain(world: &mut World) -> Result<(), String> {
    world.event(Event::Shutdown)?;
    for _ in 0..100 {
        if world.exited {
            return Ok(());
        }
        world.event(Event::Wait(1000))?;
        world.event(Event::ChildExits { k: 0, clean: true })?;
    }
    Err(format!(
        "no exit after a shutdown; still running {:?}",
        world.live
    ))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn random_long_sequences(notices: bool, events in proptest::collection::vec(event(), 0..80)) {
        let mut world = World::new(notices);
        for e in events {
            if world.exited {
                break;
            }
            world.event(e).map_err(TestCaseError::fail)?;
        }
        if !world.exited {
            shut_down_and_drain(&mut world).map_err(TestCaseError::fail)?;
        }
    }
}

const ALPHABET: &[Event] = &[
    Event::AddDir {
        n: 0,
        log: true,
        moved: true,
    },
    Event::AddDir {
        n: 1,
        log: false,
        moved: false,
    },
    Event::Link { n: 2, m: 1 },
    Event::AddDir {
        n: 4,
        log: false,
        moved: false,
    },
    Event::ToggleLog { n: 1 },
    Event::AddFile { n: 3 },
    Event::Remove { n: 0 },
    Event::ChildExits { k: 0, clean: false },
    Event::ChildExits { k: 1, clean: true },
    Event::Wait(SETTLE / 1_000_000),
    Event::Wait(RESCAN / 1_000_000),
    Event::NextDeadline,
    Event::PipeWillFail,
    Event::StartWillFail,
    Event::ControlWillFail,
    Event::Shutdown,
];

/// What decides a world's future: the machine as seen from now, and what the world
/// and the invariants remember, with inodes numbered in the order met (names in
/// the directory first), keys as the machine's abstraction numbers them (0: one it
/// no longer knows), times relative to now, and records that can no longer matter
/// left out (not pid numbers, the clock's reading, or what is long past).
fn key(w: &World) -> impl std::hash::Hash + Eq + use<> {
    let now = w.now;
    let mut inodes = HashMap::new();
    let mut ino = |i: u64| {
        let next = inodes.len() as u64 + 1;
        *inodes.entry(i).or_insert(next)
    };
    let dir: Vec<(u8, Target)> = w
        .dir
        .iter()
        .map(|(&n, &t)| match t {
            Target::Dir { ino: i, log } => (n, Target::Dir { ino: ino(i), log }),
            t => (n, t),
        })
        .collect();
    let s = w.s.abstracted(now, |(dev, i)| (dev, ino(i)));
    let known: Vec<u64> = w.s.known().map(|k| k.key).collect();
    let key = |k: u64| known.binary_search(&k).map_or(0, |at| at as u64 + 1);
    let until = |t: u64| t.saturating_sub(now);
    let in_dir = |i: u64| {
        w.dir
            .values()
            .any(|t| matches!(t, Target::Dir { ino, .. } if *ino == i))
    };
    // In pid order: which child exits is chosen by its rank in it.
    let live: Vec<_> = w
        .live
        .values()
        .map(|&(k, which, i)| (key(k), which, ino(i)))
        .collect();
    let keys: BTreeSet<_> = w.keys.iter().map(|(&i, &k)| (ino(i), key(k))).collect();
    let made: BTreeSet<_> = w
        .made
        .iter()
        .filter(|&(&i, _)| in_dir(i))
        .map(|(&i, &t)| (ino(i), until(t + RESCAN)))
        .collect();
    let first_listed: BTreeSet<_> = w
        .first_listed
        .iter()
        .map(|(&i, &t)| (ino(i), until(t + RESCAN)))
        .collect();
    let resting: BTreeSet<_> = w
        .resting
        .iter()
        .filter(|&(&(k, _), &(t, _))| t > now && key(k) != 0)
        .map(|(&(k, which), &(t, i))| (key(k), which, until(t), ino(i)))
        .collect();
    let keyed = |set: &BTreeSet<u64>| {
        set.iter()
            .map(|&k| key(k))
            .filter(|&k| k != 0)
            .collect::<BTreeSet<_>>()
    };
    let told: BTreeSet<_> = w
        .told
        .iter()
        .map(|(&(k, which), &b)| (key(k), which, b))
        .filter(|&(k, _, _)| k != 0)
        .collect();
    let arrivals: Vec<(u8, u8)> = w.arrivals.iter().map(|(&n, &a)| (n, a as u8)).collect();
    (
        (s, dir, live, keys, made, first_listed, resting),
        (keyed(&w.pipes), keyed(&w.closed), keyed(&w.started), told),
        (
            w.pipe_fails,
            w.start_fails,
            w.log_stat_fails,
            w.control_fails,
            w.listing_breaks,
            w.shutdown,
            w.exited,
            w.failures_since_scan,
            w.notices,
        ),
        now.saturating_sub(w.last_scan).min(RESCAN),
        w.links.clone(),
        arrivals,
    )
}

/// Every distinct state reachable within `depth` events, breadth first, each step
/// checked and each new state then shut down and drained. Returns how many distinct
/// states, and how often each timer fired.
fn explore(depth: usize) -> (usize, [u64; 6]) {
    let mut seen = HashSet::new();
    let mut level: Vec<(World, Vec<Event>)> = Vec::new();
    for notices in [false, true] {
        let w = World::new(notices);
        seen.insert(key(&w));
        level.push((w, Vec::new()));
    }
    let mut fired = [0; 6];
    for _ in 0..depth {
        let mut next_level = Vec::new();
        for (world, path) in &level {
            if world.exited {
                continue;
            }
            for &e in ALPHABET {
                let mut next = world.clone();
                next.fired = [0; 6];
                if let Err(why) = next.event(e) {
                    panic!("{why} after {path:?} then {e:?}");
                }
                for (total, n) in fired.iter_mut().zip(next.fired) {
                    *total += n;
                }
                if seen.insert(key(&next)) {
                    let mut end = next.clone();
                    if let Err(why) = shut_down_and_drain(&mut end) {
                        panic!("{why} after {path:?} then {e:?} and a shutdown");
                    }
                    let mut p = path.clone();
                    p.push(e);
                    next_level.push((next, p));
                }
            }
        }
        level = next_level;
    }
    (seen.len(), fired)
}

#[test]
fn every_distinct_state_within_seven_events() {
    const DEPTH: usize = 7;
    let (states, fired) = explore(DEPTH);
    let counts: Vec<String> = Timer::ALL
        .iter()
        .zip(fired)
        .map(|(timer, n)| format!("{timer:?} {n}"))
        .collect();
    println!(
        "svscan model check: {states} distinct states within {DEPTH} events; timers fired: {}",
        counts.join(", ")
    );
    for (timer, n) in Timer::ALL.iter().zip(fired) {
        assert!(n > 0, "{timer:?} never fired");
    }
    assert!(states > 10_000, "only {states} states");
}

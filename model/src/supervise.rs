//! The supervise machine (spec 2): what to do with `./run` given start-up, control
//! bytes from `svc`, the service's exits, failed forks and the passing of time.
//!
//! The runtime feeds it [`Input`]s with the current time and carries out the
//! [`Effect`]s it returns; an effect that asks a question ([`Effect::Spawn`],
//! [`Effect::Survey`], [`Effect::RunFinish`]) is answered at once with the input it
//! names. [`Supervisor::deadline`] says when to send [`Input::Timer`].
//!
//! Upstream's semantics, with two deliberate divergences (DESIGN.md): upstream sleeps
//! a whole second after every start without listening to anyone, which limits
//! restarts to one a second but also leaves `svc -d` waiting. Here the second is a
//! timer: starts are still never less than a second apart, while commands and exits
//! are handled as they come. And an exit followed at once by a new start is written
//! to the status file once, with the new pid, where upstream writes it twice.
//!
//! The machine is a phase (no child, a start awaiting its answer, the service up,
//! the service exited and `./finish` looked for or running, done) with what every
//! phase shares: what `svc` last asked for, the paused flag, the status record's
//! stamp, the extension files as last read, and a small table of named timers.
//! Impossible combinations (a child and a pending restart, a finish and a child)
//! cannot be written.
//!
//! Extensions (supervise(8), EXTENSIONS), each switched on by something 0.76 never
//! used: the control bytes `q 1 2 w y b r + = P C K`, and the service directory's extension
//! files ([`settings`]), read ([`Effect::Survey`]) after each exit of the service
//! and before `d` or `r` signal it; a directory without them reads as 0.76's.
//! - `./finish`: the status says down (pid 0) before it is started
//!   ([`Effect::RunFinish`]), until it exits, with no start before; `timeout-finish`
//!   kills it after that long; its exit code 125 is a permanent failure: the
//!   service is wanted down until `u` or `o`.
//! - `down-signal` replaces TERM for `d` and `r`; `timeout-kill` sends SIGKILL
//!   (to the group with `flag-timeout-killpg`) if the service outlives it.
//! - `restart-delay`, `restart-steps`, `restart-max-delay`,
//!   `restart-randomized-delay`: the wait after an exit before the restart, on top
//!   of 0.76's second between starts.
//! - `restart-limit-count` exits within `restart-limit-interval`: a permanent failure.
//! - `supervise/death_tally` ([`death_tally`]), s6's record of recent exits, kept
//!   with `./finish`, `restart-limit-count` or `max-death-tally`.
//! - `+` and `=` (daemontools-encore's): the signals of the bytes that follow in
//!   the same read go to the service's process group, or back to its pid; `P`,
//!   `C`, `K` (s6's): `p`, `c`, `k` to the group.
//! - `./notify` (daemontools-encore's), run without waiting at each start and
//!   exit, and when the service fails for good; `setsid`: `./run` leads a session.
//!   These two are read when supervise starts and after each exit.
//!
//! Invariants (checked by the tests at the end and by `tests/supervise_invariants.rs`):
//! at most one child; no two starts less than a second apart; after `x`, exit exactly
//! when no child is left; after `d`, or `o`, the service is not started again when it
//! exits; every status record decodes and says what the machine holds.

pub mod death_tally;
pub mod info;
pub mod settings;

use crate::status::{Record, Want};
pub use crate::svscan::Ended;
use crate::tai64::Tai64N;
pub use info::Info;
use info::State;
pub use settings::Settings;
use std::collections::VecDeque;

/// The shortest time between two starts of `./run`, in nanoseconds.
pub const RESTART_INTERVAL: u64 = 1_000_000_000;
/// How long to wait after a failed fork before trying again (Debian's patch 0003).
pub const FORK_RETRY: u64 = 60_000_000_000;
/// `./finish`'s exit code that says the service failed for good (s6's).
pub const PERMANENT_FAILURE: i32 = 125;

const MILLI: u64 = 1_000_000;

/// The current time: the wall clock for status records, a monotonic clock (in
/// nanoseconds) for intervals.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Now {
    pub wall: Tai64N,
    pub mono: u64,
}

/// A signal supervise sends to its service.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Signal {
    Alrm,
    Cont,
    Hup,
    Int,
    Kill,
    Stop,
    Term,
    /// The extensions' signals (supervise(8), EXTENSIONS).
    Quit,
    Usr1,
    Usr2,
    Winch,
    Abrt,
    /// Any other, by its Linux number (from `down-signal`).
    Number(i32),
}

impl Signal {
    /// The named variant for a Linux signal number where there is one.
    pub fn from_number(n: i32) -> Signal {
        match n {
            1 => Signal::Hup,
            2 => Signal::Int,
            3 => Signal::Quit,
            6 => Signal::Abrt,
            9 => Signal::Kill,
            10 => Signal::Usr1,
            12 => Signal::Usr2,
            14 => Signal::Alrm,
            15 => Signal::Term,
            18 => Signal::Cont,
            19 => Signal::Stop,
            28 => Signal::Winch,
            n => Signal::Number(n),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Input {
    /// Start-up, once `supervise/status` can be written; whether `down` exists, a
    /// seed for `restart-randomized-delay`, what the extension files say, and
    /// supervise's process group (where the service runs without `setsid`).
    Start {
        down_file: bool,
        seed: u64,
        settings: Settings,
        group: u32,
    },
    /// `supervise/ok` is open (svok and svstat now see supervise running): the
    /// service may start.
    Ready,
    /// One byte read from `supervise/control`.
    Control(u8),
    /// The bytes of one read from `supervise/control` have all been given (one
    /// `svc` command's, as it writes them at once): a `+` among them ends.
    ControlDone,
    /// The answer to [`Effect::Spawn`]: the new child's pid.
    Spawned(u32),
    /// The answer to [`Effect::Spawn`]: fork failed with this errno.
    SpawnFailed(i32),
    /// A child was reaped (not necessarily the service), and how it ended.
    Reaped(u32, Ended),
    /// The answer to [`Effect::Survey`]: what the extension files say.
    Surveyed(Settings),
    /// The answer to [`Effect::RunFinish`]: `./finish` runs as this pid.
    FinishStarted { pid: u32 },
    /// The answer to [`Effect::RunFinish`]: it could not be forked.
    FinishFailed,
    /// The service wrote a newline to its `notification-fd`: it is ready.
    ServiceReady,
    /// The deadline passed.
    Timer,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Effect {
    /// Fork and exec `./run`, then answer with `Spawned` or `SpawnFailed`.
    /// `deferred`: the start waited for the restart interval (the service exited
    /// within a second of its start) or for the retry after a failed fork, so no
    /// command or exit is waiting on it: the runtime may start it the cheaper way
    /// rather than the quicker one. `setsid`: in a session of its own.
    /// `notification_fd`: with the writing end of a new pipe as this descriptor,
    /// whose reading end the runtime watches for [`Input::ServiceReady`].
    Spawn {
        deferred: bool,
        setsid: bool,
        notification_fd: Option<i32>,
    },
    /// Write this byte into each of `event/`'s FIFOs, as s6-supervise does (`s`
    /// supervise started, `u` up, `U` ready, `d` down, `D` down and finish done,
    /// `O` failed for good, `x` supervise exits).
    Event(u8),
    /// Create `event/` (mode 3730), for `notification-fd`'s s6 tools.
    MakeEventDir,
    /// Send a signal to the service (its pid, never its group).
    Signal(u32, Signal),
    /// Send a signal to the process group this pid leads, or to the pid if it
    /// leads none (it runs in supervise's group).
    SignalGroup(u32, Signal),
    /// Write this record to `supervise/status` (by way of `status.new`).
    WriteStatus([u8; 18]),
    /// `unable to fork for <dir>, sleeping <retry_secs> seconds: <errno>`.
    WarnForkFailed { errno: i32, retry_secs: u64 },
    /// Read the extension files, and answer with [`Input::Surveyed`].
    Survey,
    /// Run `./finish <code> <signal> <dir> <pgid>` (`code` is -1 and `signal` the
    /// signal's number after a kill, else `signal` is 0; `pgid` the service's
    /// process group: its own with `setsid`, else supervise's), and answer with
    /// [`Input::FinishStarted`] or [`Input::FinishFailed`].
    RunFinish { code: i32, signal: i32, pgid: u32 },
    /// Append this record to `supervise/death_tally` (by way of
    /// `death_tally.new`), keeping at most `max` records.
    RecordDeath {
        record: [u8; death_tally::RECORD],
        max: u16,
    },
    /// Run `./notify run <event> <pid> <code>` and do not wait for it.
    Notify { event: Notice, pid: u32, code: i32 },
    /// This extension file says nothing usable: say so (it is ignored).
    Warn(settings::File),
    /// Write [`Supervisor::info`] to `supervise/info` (by way of `info.new`).
    WriteInfo,
    /// Remove `supervise/info`: no extension file is left.
    RemoveInfo,
    /// Exit 0.
    Exit,
}

/// What `./notify` is told (its second argument).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Notice {
    /// The service started as `pid` (`code` 0).
    Start,
    /// It exited with `code`.
    Exit,
    /// A signal killed it: `code` is the signal's number.
    Killed,
    /// It failed for good (`restart-limit-count`, or `./finish` exiting 125):
    /// `code` is what its last exit said (the exit code or the signal), or 125.
    Failed,
    /// It said it is ready (`notification-fd`); `code` 0.
    Ready,
}

impl Notice {
    pub fn word(self) -> &'static str {
        match self {
            Notice::Start => "start",
            Notice::Exit => "exit",
            Notice::Killed => "killed",
            Notice::Failed => "failed",
            Notice::Ready => "ready",
        }
    }
}

/// The machine's named timers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Timer {
    /// A start waits until a second has passed since the last one, and until the
    /// backoff's wait after the exit has passed.
    RestartInterval,
    /// After a failed fork, the next try.
    ForkRetry,
    /// `timeout-finish` after `./finish` started: it is killed.
    FinishTimeout,
    /// `timeout-kill` after the down signal: the service is killed.
    KillTimeout,
}

impl Timer {
    pub const ALL: [Timer; 4] = [
        Timer::RestartInterval,
        Timer::ForkRetry,
        Timer::FinishTimeout,
        Timer::KillTimeout,
    ];
}

/// An exited service whose pid the status file keeps showing (see [`Phase::Down`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct Shown {
    pid: u32,
    /// When it exited: the status says down since then once the showing ends.
    exited: Tai64N,
}

/// A command that signals the service, waiting for the extension files to be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Stop {
    /// `d`.
    Down,
    /// `r`.
    Restart,
}

/// When the extension files were read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Reading {
    Start,
    Stop,
    Exit,
}

/// Where a [`Phase::Finishing`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum FinishStep {
    /// The extension files are being read: is there a `./finish`?
    Surveying,
    /// It is being started.
    Starting,
    /// It runs as this pid.
    Running(u32),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Phase {
    /// No child. `shown`: the service exited within a second of its start and its
    /// restart waits for the interval; the status keeps showing its pid until the
    /// next start, as upstream's does (it sleeps out that second before it reaps),
    /// so that clients reading a crash-looping service see it up. Only while the
    /// restart interval's timer runs, and only for a directory without extension
    /// files that change what follows an exit.
    Down { shown: Option<Shown> },
    /// An [`Effect::Spawn`] awaits its answer. `exiting`: `x` came meanwhile.
    Spawning { exiting: bool, shown: Option<Shown> },
    /// The service runs. `exiting`: after `x`, supervise exits when it does.
    /// `stopping`: `d` or `r` came and waits for the survey.
    Up {
        pid: u32,
        exiting: bool,
        stopping: Option<Stop>,
    },
    /// The service `service` exited at `exited`, as `ended` says; `./finish` is
    /// looked for, started or runs (`step`). `exiting`: `x` came. `once`: `o` came
    /// meanwhile, so the service starts after `./finish` though not wanted up.
    Finishing {
        step: FinishStep,
        service: u32,
        ended: Ended,
        exited: Tai64N,
        exiting: bool,
        once: bool,
    },
    /// After `x`, once no child was left: nothing more happens.
    Exited,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Supervisor {
    phase: Phase,
    want: Want,
    paused: bool,
    /// The moment of the last pid change, as the status record shows it.
    stamp: Tai64N,
    /// When `./run` was last started (monotonic).
    last_start: Option<u64>,
    /// When each of [`Timer::ALL`] fires (monotonic), if armed.
    timers: [Option<u64>; 4],
    /// The extension files as last read.
    settings: Settings,
    /// The backoff's wait ends then (monotonic): no start before.
    not_before: u64,
    /// Restarts since the backoff's step count was last reset.
    restarts: u32,
    /// The service's recent exits (monotonic), while `restart-limit-count` is used.
    exits: VecDeque<u64>,
    /// For `restart-randomized-delay` (xorshift).
    random: u64,
    /// `d` or `r` signalled the service: its exit was asked for, so neither
    /// backoff nor `restart-limit-count` counts it.
    stop_asked: bool,
    /// `+` came in this read from the control FIFO: the signals of the bytes
    /// that follow go to the service's process group (daemontools-encore's).
    to_group: bool,
    /// Since when the running service has been ready (monotonic).
    ready_since: Option<u64>,
    /// The running service was started with a notification descriptor.
    readiness_watched: bool,
    /// What supervise/info and finish's process-group argument tell, and no
    /// transition reads.
    reported: Reported,
}

/// What [`Supervisor`] keeps only to tell it: in `supervise/info`, and in
/// finish's process-group argument.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
struct Reported {
    /// Since when the running service has been ready (the wall clock's moment).
    ready_stamp: Tai64N,
    /// The running service was started in a session of its own (`setsid`).
    leads_group: bool,
    /// supervise's process group.
    group: u32,
    /// There was a `down` file at start-up.
    normally_down: bool,
    /// How the service last ended, while it does not run.
    last_exit: Option<Ended>,
    /// The service failed for good, and no `u` or `o` came since.
    failed: bool,
    /// Starts of `./run` since supervise started.
    starts: u32,
    /// `supervise/info` as last written, and the monotonic time its `nextstart`
    /// was worked out from.
    info: Option<(Info, Option<u64>)>,
}

impl Default for Supervisor {
    fn default() -> Self {
        Supervisor::new()
    }
}

impl Supervisor {
    pub fn new() -> Supervisor {
        Supervisor {
            phase: Phase::Down { shown: None },
            want: Want::Up,
            paused: false,
            stamp: Tai64N { secs: 0, nanos: 0 },
            last_start: None,
            timers: [None; 4],
            settings: Settings::PLAIN,
            not_before: 0,
            restarts: 0,
            exits: VecDeque::new(),
            random: 1,
            stop_asked: false,
            to_group: false,
            ready_since: None,
            readiness_watched: false,
            reported: Reported::default(),
        }
    }

    /// The record the status file holds.
    pub fn record(&self) -> Record {
        let pid = match self.phase {
            Phase::Up { pid, .. } => pid,
            Phase::Down { shown: Some(s) } | Phase::Spawning { shown: Some(s), .. } => s.pid,
            _ => 0,
        };
        Record::new(self.stamp, pid, self.paused, self.want)
    }

    pub fn child(&self) -> Option<u32> {
        match self.phase {
            Phase::Up { pid, .. } => Some(pid),
            _ => None,
        }
    }

    pub fn want(&self) -> Want {
        self.want
    }

    pub fn has_exited(&self) -> bool {
        self.phase == Phase::Exited
    }

    /// What `supervise/info` says, once [`Effect::WriteInfo`] asked for it.
    pub fn info(&self) -> Option<&Info> {
        self.reported.info.as_ref().map(|(info, _)| info)
    }

    /// The armed timer that fires first, and when (monotonic nanoseconds).
    pub fn next_timer(&self) -> Option<(Timer, u64)> {
        Timer::ALL
            .iter()
            .zip(self.timers)
            .filter_map(|(&timer, at)| at.map(|at| (timer, at)))
            .min_by_key(|&(_, at)| at)
    }

    /// When `timer` fires (monotonic nanoseconds), if it is armed.
    pub fn timer(&self, timer: Timer) -> Option<u64> {
        self.timers[timer as usize]
    }

    /// When the runtime should send [`Input::Timer`] (monotonic nanoseconds).
    pub fn deadline(&self) -> Option<u64> {
        self.next_timer().map(|(_, at)| at)
    }

    /// The machine as seen from `now`, for model checking: pids, stamps and times
    /// replaced by what decides its behaviour (which child, how long until each
    /// timer, whether the restart interval has passed, which recent exits still
    /// count, which step of the backoff), so that states that behave alike compare equal. The random state is
    /// left out: it changes only how long a randomized wait is.
    pub fn abstracted(&self, now: u64) -> Supervisor {
        let shown = |s: Option<Shown>| {
            s.map(|_| Shown {
                pid: 1,
                exited: Tai64N { secs: 0, nanos: 0 },
            })
        };
        let phase = match self.phase {
            Phase::Up {
                exiting, stopping, ..
            } => Phase::Up {
                pid: 1,
                exiting,
                stopping,
            },
            Phase::Down { shown: s } => Phase::Down { shown: shown(s) },
            Phase::Spawning { exiting, shown: s } => Phase::Spawning {
                exiting,
                shown: shown(s),
            },
            Phase::Finishing {
                step,
                ended,
                exiting,
                once,
                ..
            } => Phase::Finishing {
                step: match step {
                    FinishStep::Running(_) => FinishStep::Running(2),
                    other => other,
                },
                service: 1,
                ended,
                exited: Tai64N { secs: 0, nanos: 0 },
                exiting,
                once,
            },
            Phase::Exited => Phase::Exited,
        };
        let window = self.settings.limit.map_or(0, |l| l.interval_ms * MILLI);
        Supervisor {
            phase,
            want: self.want,
            paused: self.paused,
            stamp: Tai64N { secs: 0, nanos: 0 },
            last_start: self
                .last_start
                .map(|t| now.saturating_sub(t).min(RESTART_INTERVAL)),
            timers: self.timers.map(|t| t.map(|at| at.saturating_sub(now))),
            settings: self.settings,
            not_before: self.not_before.saturating_sub(now),
            restarts: self.restarts.min(self.settings.backoff.steps),
            exits: self
                .exits
                .iter()
                .map(|&t| now.saturating_sub(t).min(window))
                .collect(),
            random: 0,
            stop_asked: self.stop_asked,
            to_group: self.to_group,
            ready_since: self
                .ready_since
                .map(|t| now.saturating_sub(t).min(RESTART_INTERVAL + 1)),
            readiness_watched: self.readiness_watched,
            // Only told (supervise/info, finish's process group): no transition
            // reads it.
            reported: Reported::default(),
        }
    }

    /// Takes one input at `now`; appends what to do to `effects`.
    pub fn handle(&mut self, input: Input, now: Now, effects: &mut Vec<Effect>) {
        self.step(input, now, effects);
        // Exiting is the last thing supervise does: the last info comes before.
        let exits = effects.last() == Some(&Effect::Exit);
        if exits {
            effects.pop();
        }
        self.update_info(now, effects);
        if exits {
            effects.push(Effect::Exit);
        }
    }

    /// `supervise/info` is written when what it says changed, while any extension
    /// file is in use, and removed when none is left. Not while a question to the
    /// runtime awaits its answer, which comes at once: the state that follows is
    /// the one worth writing.
    fn update_info(&mut self, now: Now, effects: &mut Vec<Effect>) {
        let asking = matches!(
            self.phase,
            Phase::Spawning { .. }
                | Phase::Up {
                    stopping: Some(_),
                    ..
                }
                | Phase::Finishing {
                    step: FinishStep::Surveying | FinishStep::Starting,
                    ..
                }
        );
        if asking {
            return;
        }
        if self.settings == Settings::PLAIN {
            if self.reported.info.take().is_some() {
                effects.push(Effect::RemoveInfo);
            }
            return;
        }
        let next_at = match self.phase {
            Phase::Down { .. } => self
                .timer(Timer::RestartInterval)
                .or(self.timer(Timer::ForkRetry).filter(|_| self.want == Want::Up)),
            _ => None,
        };
        let next_start = match (next_at, self.reported.info) {
            (Some(at), Some((old, Some(old_at)))) if at == old_at => old.next_start,
            (Some(at), _) => Some(info::wall_at(now.wall, now.mono, at)),
            (None, _) => None,
        };
        let pid = self.child();
        let info = Info {
            state: self.state(next_at.is_some()),
            pid,
            pgid: pid.map(|pid| {
                if self.reported.leads_group {
                    pid
                } else {
                    self.reported.group
                }
            }),
            want: self.want,
            paused: self.paused && pid.is_some(),
            normally_up: !self.reported.normally_down,
            updown_since: match self.phase {
                Phase::Down { shown: Some(s) } | Phase::Spawning { shown: Some(s), .. } => s.exited,
                _ => self.stamp,
            },
            ready_since: self.ready_since.map(|_| self.reported.ready_stamp),
            last_exit: self.reported.last_exit,
            restarts: self.reported.starts.saturating_sub(1),
            next_start,
        };
        if self.reported.info.is_none_or(|(old, _)| old != info) {
            self.reported.info = Some((info, next_at));
            effects.push(Effect::WriteInfo);
        }
    }

    /// The state's word in `supervise/info`. `restart_waits`: a start is due later.
    fn state(&self, restart_waits: bool) -> State {
        match self.phase {
            Phase::Spawning { .. } => State::Starting,
            Phase::Up { stopping, .. } if stopping.is_some() || self.stop_asked => State::Stopping,
            Phase::Up { .. } if self.ready_since.is_some() => State::Ready,
            Phase::Up { .. } if self.readiness_watched => State::Starting,
            Phase::Up { .. } => State::Up,
            Phase::Finishing { .. } => State::Finishing,
            Phase::Down { .. } | Phase::Exited if self.reported.failed => State::Failed,
            Phase::Down { .. } if restart_waits => State::Backoff,
            Phase::Down { .. } | Phase::Exited => State::Down,
        }
    }

    fn step(&mut self, input: Input, now: Now, effects: &mut Vec<Effect>) {
        match (input, self.phase) {
            (_, Phase::Exited) => {}
            (
                Input::Start {
                    down_file,
                    seed,
                    settings,
                    group,
                },
                _,
            ) => {
                self.want = if down_file { Want::Down } else { Want::Up };
                self.reported.normally_down = down_file;
                self.reported.group = group;
                self.stamp = now.wall;
                self.random = seed | 1;
                self.take_settings(settings, Reading::Start, effects);
                self.announce(effects);
                self.event(b's', effects);
            }
            (Input::Ready, _) => {
                if self.want == Want::Up {
                    self.try_start(now, false, effects);
                }
            }
            (Input::Control(byte), _) => self.control(byte, now, effects),
            (Input::ControlDone, _) => self.to_group = false,
            (Input::Spawned(pid), Phase::Spawning { exiting, .. }) => {
                self.phase = Phase::Up {
                    pid,
                    exiting,
                    stopping: None,
                };
                self.paused = false;
                self.stop_asked = false;
                self.ready_since = None;
                self.reported.last_exit = None;
                self.reported.failed = false;
                self.reported.starts = self.reported.starts.saturating_add(1);
                self.stamp = now.wall;
                self.last_start = Some(now.mono);
                self.announce(effects);
                if self.settings.notify {
                    effects.push(Effect::Notify {
                        event: Notice::Start,
                        pid,
                        code: 0,
                    });
                }
                self.event(b'u', effects);
            }
            (Input::ServiceReady, Phase::Up { pid, .. }) => {
                if self.readiness_watched && self.ready_since.is_none() {
                    self.ready_since = Some(now.mono);
                    self.reported.ready_stamp = now.wall;
                    if self.settings.notify {
                        effects.push(Effect::Notify {
                            event: Notice::Ready,
                            pid,
                            code: 0,
                        });
                    }
                    self.event(b'U', effects);
                }
            }
            (Input::SpawnFailed(errno), Phase::Spawning { exiting, shown }) => {
                self.phase = Phase::Down { shown };
                self.end_showing();
                self.announce(effects);
                effects.push(Effect::WarnForkFailed {
                    errno,
                    retry_secs: FORK_RETRY / 1_000_000_000,
                });
                self.arm(Timer::ForkRetry, now.mono + FORK_RETRY);
                if exiting {
                    self.exit(effects);
                }
            }
            (Input::Reaped(reaped, ended), Phase::Up { pid, exiting, .. }) if reaped == pid => {
                self.timers[Timer::KillTimeout as usize] = None;
                self.reported.last_exit = Some(ended);
                self.phase = Phase::Finishing {
                    step: FinishStep::Surveying,
                    service: pid,
                    ended,
                    exited: now.wall,
                    exiting,
                    once: false,
                };
                effects.push(Effect::Survey);
            }
            (
                Input::Surveyed(settings),
                Phase::Up {
                    pid,
                    exiting,
                    stopping: Some(stop),
                },
            ) => {
                self.take_settings(settings, Reading::Stop, effects);
                self.phase = Phase::Up {
                    pid,
                    exiting,
                    stopping: None,
                };
                self.stop(pid, stop, now, effects);
            }
            (
                Input::Surveyed(settings),
                Phase::Finishing {
                    step: FinishStep::Surveying,
                    service,
                    ended,
                    exited,
                    exiting,
                    once,
                },
            ) => {
                self.take_settings(settings, Reading::Exit, effects);
                let failed = self.count_exit(now);
                self.ready_since = None;
                if let Some(max) = settings.death_tally {
                    let record = death_tally::record(exited, ended);
                    effects.push(Effect::RecordDeath { record, max });
                }
                // What is told of the exit: after the status says it (and after
                // the restart, if one follows at once, has begun), but before
                // supervise exits.
                let mut told = Vec::new();
                if self.settings.event_dir {
                    told.push(Effect::Event(b'd'));
                    if failed {
                        told.push(Effect::Event(b'O'));
                    }
                    if settings.finish.is_none() {
                        told.push(Effect::Event(b'D'));
                    }
                }
                if settings.notify {
                    let (event, code) = match ended {
                        Ended::Exited(code) => (Notice::Exit, code),
                        Ended::Signaled(signal) => (Notice::Killed, signal),
                    };
                    told.push(Effect::Notify {
                        event,
                        pid: service,
                        code,
                    });
                    if failed {
                        told.push(Effect::Notify {
                            event: Notice::Failed,
                            pid: service,
                            code,
                        });
                    }
                }
                if settings.finish.is_none() {
                    if exiting {
                        effects.append(&mut told);
                    }
                    let shown = settings.plain_exit().then_some(service);
                    self.service_exited(shown, exiting, once, now, effects);
                } else {
                    if let Phase::Finishing { step, .. } = &mut self.phase {
                        *step = FinishStep::Starting;
                    }
                    // Down before it starts: whoever looks while it runs sees it so.
                    self.stamp = exited;
                    self.announce(effects);
                    let (code, signal) = match ended {
                        Ended::Exited(code) => (code, 0),
                        Ended::Signaled(signal) => (-1, signal),
                    };
                    let pgid = if self.reported.leads_group {
                        service
                    } else {
                        self.reported.group
                    };
                    effects.push(Effect::RunFinish { code, signal, pgid });
                }
                effects.append(&mut told);
            }
            (
                Input::FinishFailed,
                Phase::Finishing {
                    step: FinishStep::Starting,
                    exiting,
                    once,
                    ..
                },
            ) => {
                self.event(b'D', effects);
                self.service_exited(None, exiting, once, now, effects)
            }
            (
                Input::FinishStarted { pid },
                Phase::Finishing {
                    step: FinishStep::Starting,
                    ..
                },
            ) => {
                if let Phase::Finishing { step, .. } = &mut self.phase {
                    *step = FinishStep::Running(pid);
                }
                if let Some(Some(ms)) = self.settings.finish {
                    self.arm(
                        Timer::FinishTimeout,
                        now.mono.saturating_add(ms.saturating_mul(MILLI)),
                    );
                }
            }
            (
                Input::Reaped(reaped, ended),
                Phase::Finishing {
                    step: FinishStep::Running(finish),
                    service,
                    exiting,
                    once,
                    ..
                },
            ) if reaped == finish => {
                self.timers[Timer::FinishTimeout as usize] = None;
                self.phase = Phase::Down { shown: None };
                let failed = ended == Ended::Exited(PERMANENT_FAILURE) && self.want != Want::Down;
                if ended == Ended::Exited(PERMANENT_FAILURE) {
                    self.want = Want::Down;
                }
                self.reported.failed |= failed;
                let mut told = Vec::new();
                if self.settings.event_dir {
                    if failed {
                        told.push(Effect::Event(b'O'));
                    }
                    told.push(Effect::Event(b'D'));
                }
                if failed && self.settings.notify {
                    told.push(Effect::Notify {
                        event: Notice::Failed,
                        pid: service,
                        code: PERMANENT_FAILURE,
                    });
                }
                if exiting {
                    // Reported before supervise's last record and exit.
                    effects.append(&mut told);
                    self.exit(effects);
                    return;
                }
                if self.want == Want::Up || (once && self.want == Want::Nothing) {
                    self.try_start(now, false, effects);
                }
                // Every command while it ran was written as it came: the record
                // changes now only if the service failed for good.
                if failed && !matches!(self.phase, Phase::Spawning { .. }) {
                    self.announce(effects);
                }
                effects.append(&mut told);
            }
            (Input::Timer, Phase::Down { .. }) => self.timer_fired(now, effects),
            (
                Input::Timer,
                Phase::Finishing {
                    step: FinishStep::Running(finish),
                    ..
                },
            ) => {
                if self.due(Timer::FinishTimeout, now) {
                    effects.push(Effect::Signal(finish, Signal::Kill));
                }
            }
            (Input::Timer, Phase::Up { pid, .. }) => {
                if self.due(Timer::KillTimeout, now) {
                    effects.push(if self.settings.killpg {
                        Effect::SignalGroup(pid, Signal::Kill)
                    } else {
                        Effect::Signal(pid, Signal::Kill)
                    });
                }
            }
            (
                Input::Spawned(_)
                | Input::SpawnFailed(_)
                | Input::Reaped(..)
                | Input::Timer
                | Input::Surveyed(_)
                | Input::FinishStarted { .. }
                | Input::FinishFailed
                | Input::ServiceReady,
                _,
            ) => {}
        }
    }

    /// Keeps what the extension files say, warning of those that say nothing
    /// usable among those used now: at start-up, `notification-fd`; before a
    /// stop, those for stopping; after an exit, the others.
    /// `notification-fd` brings `event/`, which s6's readiness tools listen on.
    fn take_settings(&mut self, mut settings: Settings, reading: Reading, effects: &mut Vec<Effect>) {
        if settings.notification_fd.is_some() && !settings.event_dir {
            effects.push(Effect::MakeEventDir);
            settings.event_dir = true;
        }
        effects.extend(
            settings
                .unusable()
                .filter(|&file| match reading {
                    Reading::Start => file == settings::File::NotificationFd,
                    Reading::Stop => file.for_stopping(),
                    Reading::Exit => !file.for_stopping(),
                })
                .map(Effect::Warn),
        );
        if settings.limit.is_none() {
            self.exits.clear();
        }
        self.settings = settings;
    }

    /// The service exited (now): the backoff's wait before its restart, and whether
    /// this exit is the one too many of `restart-limit-count` (then true).
    fn count_exit(&mut self, now: Now) -> bool {
        if self.stop_asked || self.want != Want::Up {
            return false;
        }
        let backoff = self.settings.backoff;
        if backoff != Settings::PLAIN.backoff {
            let ran = self.last_start.map_or(0, |t| now.mono.saturating_sub(t));
            let ready_for = self.ready_since.map_or(0, |t| now.mono.saturating_sub(t));
            if backoff.max_delay_ms.is_some_and(|max| ran >= max * MILLI) || ready_for > RESTART_INTERVAL {
                self.restarts = 0;
            }
            let mut wait = backoff.wait_ms(self.restarts);
            if backoff.randomized_ms > 0 {
                wait = wait.saturating_add(self.random() % (backoff.randomized_ms + 1));
            }
            self.restarts = self.restarts.saturating_add(1);
            self.not_before = now.mono.saturating_add(wait.saturating_mul(MILLI));
        }
        if let Some(limit) = self.settings.limit {
            let window = limit.interval_ms.saturating_mul(MILLI);
            while self
                .exits
                .front()
                .is_some_and(|&t| now.mono.saturating_sub(t) >= window)
            {
                self.exits.pop_front();
            }
            self.exits.push_back(now.mono);
            if self.exits.len() >= limit.count as usize {
                self.exits.clear();
                self.want = Want::Down;
                self.reported.failed = true;
                return true;
            }
        }
        false
    }

    fn random(&mut self) -> u64 {
        let mut x = self.random;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.random = x;
        x
    }

    /// The service exited and there is no `./finish` (or it could not be forked):
    /// as 0.76's supervise. `shown`: the pid to show through the restart interval.
    fn service_exited(
        &mut self,
        shown: Option<u32>,
        exiting: bool,
        once: bool,
        now: Now,
        effects: &mut Vec<Effect>,
    ) {
        self.phase = Phase::Down { shown: None };
        if exiting {
            self.stamp = now.wall;
            self.announce(effects);
            self.exit(effects);
            return;
        }
        if self.want == Want::Up || (once && self.want == Want::Nothing) {
            self.try_start(now, false, effects);
        }
        if let (true, Some(pid)) = (self.armed(Timer::RestartInterval), shown) {
            self.phase = Phase::Down {
                shown: Some(Shown {
                    pid,
                    exited: now.wall,
                }),
            };
        } else {
            self.stamp = now.wall;
            // A start at once is written with its pid (upstream writes the exit's
            // record first): the new pid is in the status file one write sooner.
            if !matches!(self.phase, Phase::Spawning { .. }) {
                self.announce(effects);
            }
        }
    }

    /// A timer is due while no child runs: a start waited for it.
    fn timer_fired(&mut self, now: Now, effects: &mut Vec<Effect>) {
        for timer in [Timer::RestartInterval, Timer::ForkRetry] {
            let wanted = match timer {
                Timer::ForkRetry => self.want == Want::Up,
                _ => true,
            };
            if self.due(timer, now) && wanted {
                self.try_start(now, true, effects);
            }
        }
    }

    /// Whether `timer` is due; if so, it is disarmed.
    fn due(&mut self, timer: Timer, now: Now) -> bool {
        let slot = &mut self.timers[timer as usize];
        let due = slot.is_some_and(|at| at <= now.mono);
        if due {
            *slot = None;
        }
        due
    }

    fn control(&mut self, byte: u8, now: Now, effects: &mut Vec<Effect>) {
        let child = self.child();
        let to_group = self.to_group;
        let signal = |sig, effects: &mut Vec<Effect>| {
            if let Some(pid) = child {
                effects.push(Self::signal_to(to_group, pid, sig));
            }
        };
        match byte {
            b'u' | b'o' => {
                if byte == b'u' {
                    self.want = Want::Up;
                } else {
                    self.want = Want::Nothing;
                    if let Phase::Finishing { once, .. } = &mut self.phase {
                        *once = true;
                    }
                }
                // A command is a fresh start: no backoff's wait, no exits counted.
                self.reported.failed = false;
                self.not_before = 0;
                self.restarts = 0;
                self.exits.clear();
                self.announce(effects);
                self.try_start(now, false, effects);
            }
            b'd' => {
                self.want = Want::Down;
                if let Phase::Finishing { once, .. } = &mut self.phase {
                    *once = false;
                }
                self.cancel_starts();
                self.end_showing();
                match self.phase {
                    Phase::Up { pid, exiting, .. } => self.ask_to_stop(pid, exiting, Stop::Down, effects),
                    _ => self.announce(effects),
                }
            }
            b'a' => signal(Signal::Alrm, effects),
            b'h' => signal(Signal::Hup, effects),
            b'k' => signal(Signal::Kill, effects),
            b't' => signal(Signal::Term, effects),
            b'i' => signal(Signal::Int, effects),
            // Extensions: bytes 0.76 ignores, sent by svc's new letters
            // (daemontools-encore's q 1 2 w, s6's y b r).
            b'q' => signal(Signal::Quit, effects),
            b'1' => signal(Signal::Usr1, effects),
            b'2' => signal(Signal::Usr2, effects),
            b'w' | b'y' => signal(Signal::Winch, effects),
            b'b' => signal(Signal::Abrt, effects),
            // Restart: stopped as by `d`, started again as after any exit, if wanted up.
            b'r' => {
                if let Phase::Up { pid, exiting, .. } = self.phase {
                    self.ask_to_stop(pid, exiting, Stop::Restart, effects);
                }
            }
            // `P`, `C` and `K` are s6's `p`, `c` and `k` to the process group.
            b'p' | b'P' => {
                self.paused = true;
                self.announce(effects);
                if let Some(pid) = child {
                    effects.push(Self::signal_to(to_group || byte == b'P', pid, Signal::Stop));
                }
            }
            b'c' | b'C' => {
                self.paused = false;
                self.announce(effects);
                if let Some(pid) = child {
                    effects.push(Self::signal_to(to_group || byte == b'C', pid, Signal::Cont));
                }
            }
            b'K' => {
                if let Some(pid) = child {
                    effects.push(Effect::SignalGroup(pid, Signal::Kill));
                }
            }
            b'+' => self.to_group = true,
            b'=' => self.to_group = false,
            b'x' => match self.phase {
                Phase::Up { .. } | Phase::Spawning { .. } | Phase::Finishing { .. } => {
                    // Once the service (and `./finish`) are done.
                    match &mut self.phase {
                        Phase::Up { exiting, .. }
                        | Phase::Spawning { exiting, .. }
                        | Phase::Finishing { exiting, .. } => *exiting = true,
                        _ => {}
                    }
                    self.announce(effects);
                }
                Phase::Down { .. } => {
                    self.cancel_starts();
                    self.end_showing();
                    self.announce(effects);
                    self.exit(effects);
                }
                Phase::Exited => {}
            },
            _ => {}
        }
    }

    /// A signal to the service, or to its process group.
    fn signal_to(to_group: bool, pid: u32, signal: Signal) -> Effect {
        if to_group {
            Effect::SignalGroup(pid, signal)
        } else {
            Effect::Signal(pid, signal)
        }
    }

    /// `d` or `r` while the service runs: the signal to send is in the extension
    /// files, read first.
    fn ask_to_stop(&mut self, pid: u32, exiting: bool, stop: Stop, effects: &mut Vec<Effect>) {
        self.phase = Phase::Up {
            pid,
            exiting,
            stopping: Some(stop),
        };
        effects.push(Effect::Survey);
    }

    /// Sends the down signal (TERM unless `down-signal` says otherwise), then CONT;
    /// with `timeout-kill`, SIGKILL follows if the service outlives it.
    fn stop(&mut self, pid: u32, stop: Stop, now: Now, effects: &mut Vec<Effect>) {
        effects.push(Self::signal_to(self.to_group, pid, self.settings.down_signal));
        effects.push(Self::signal_to(self.to_group, pid, Signal::Cont));
        match self.settings.timeout_kill_ms {
            Some(ms) => self.arm(
                Timer::KillTimeout,
                now.mono.saturating_add(ms.saturating_mul(MILLI)),
            ),
            None => self.timers[Timer::KillTimeout as usize] = None,
        }
        self.stop_asked = true;
        let was_paused = std::mem::replace(&mut self.paused, false);
        if stop == Stop::Down || was_paused {
            self.announce(effects);
        }
    }

    /// Starts the service unless it runs, or waits until a second has passed since
    /// the last start (and the backoff's wait is over). `deferred`: called from the
    /// timer (see [`Effect::Spawn`]).
    fn try_start(&mut self, now: Now, deferred: bool, effects: &mut Vec<Effect>) {
        let Phase::Down { shown } = self.phase else {
            return;
        };
        let due = self
            .last_start
            .map_or(0, |t| t + RESTART_INTERVAL)
            .max(self.not_before);
        if now.mono >= due {
            self.cancel_starts();
            self.phase = Phase::Spawning {
                exiting: false,
                shown,
            };
            self.readiness_watched = self.settings.notification_fd.is_some();
            self.reported.leads_group = self.settings.setsid;
            effects.push(Effect::Spawn {
                deferred,
                setsid: self.settings.setsid,
                notification_fd: self.settings.notification_fd,
            });
        } else {
            self.arm(Timer::RestartInterval, due);
        }
    }

    /// Disarms the timers a start waits for (not `./finish`'s, nor the kill's).
    fn cancel_starts(&mut self) {
        self.timers[Timer::RestartInterval as usize] = None;
        self.timers[Timer::ForkRetry as usize] = None;
    }

    fn arm(&mut self, timer: Timer, at: u64) {
        self.timers[timer as usize] = Some(at);
    }

    fn armed(&self, timer: Timer) -> bool {
        self.timers[timer as usize].is_some()
    }

    /// Ends the showing of an exited service's pid: the status says down since its exit.
    fn end_showing(&mut self) {
        match &mut self.phase {
            Phase::Down { shown } | Phase::Spawning { shown, .. } => {
                if let Some(s) = shown.take() {
                    self.stamp = s.exited;
                }
            }
            Phase::Up { .. } | Phase::Finishing { .. } | Phase::Exited => {}
        }
    }

    /// No child is left after `x`: the last record, then exit.
    fn exit(&mut self, effects: &mut Vec<Effect>) {
        self.announce(effects);
        self.event(b'x', effects);
        effects.push(Effect::Exit);
        self.phase = Phase::Exited;
    }

    /// Writes `byte` into `event/`'s FIFOs, if there is an `event/`.
    fn event(&self, byte: u8, effects: &mut Vec<Effect>) {
        if self.settings.event_dir {
            effects.push(Effect::Event(byte));
        }
    }

    fn announce(&self, effects: &mut Vec<Effect>) {
        effects.push(Effect::WriteStatus(self.record().encode()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Drives a supervisor as the runtime would, with spawns answered by new pids.
    struct Harness {
        s: Supervisor,
        mono: u64,
        next_pid: u32,
        log: Vec<String>,
        fork_fails: bool,
        /// What the extension files say.
        settings: Settings,
        /// `supervise/info` as each write left it; `None` for a removal.
        infos: Vec<Option<Info>>,
    }

    impl Harness {
        fn new() -> Harness {
            Harness {
                s: Supervisor::new(),
                mono: 5_000_000_000,
                next_pid: 100,
                log: Vec::new(),
                fork_fails: false,
                settings: Settings::PLAIN,
                infos: Vec::new(),
            }
        }

        fn now(&self) -> Now {
            Now {
                wall: Tai64N::from_unix_micros(
                    (self.mono / 1_000_000_000) as i64,
                    (self.mono % 1_000_000_000 / 1000) as u32,
                ),
                mono: self.mono,
            }
        }

        fn send(&mut self, input: Input) {
            let mut queue = vec![input];
            while let Some(input) = queue.pop() {
                let mut effects = Vec::new();
                self.s.handle(input, self.now(), &mut effects);
                for e in effects {
                    match e {
                        Effect::Spawn { .. } if self.fork_fails => {
                            self.log.push("spawn (fork fails)".into());
                            queue.push(Input::SpawnFailed(11));
                        }
                        Effect::Spawn { deferred, .. } => {
                            self.next_pid += 1;
                            let how = if deferred { " deferred" } else { "" };
                            self.log.push(format!("spawn {}{how}", self.next_pid));
                            queue.push(Input::Spawned(self.next_pid));
                        }
                        Effect::Signal(pid, sig) => self.log.push(format!("kill {pid} {sig:?}")),
                        Effect::SignalGroup(pid, sig) => self.log.push(format!("killpg {pid} {sig:?}")),
                        Effect::WriteStatus(b) => {
                            let r = Record::decode(&b).unwrap();
                            self.log.push(format!(
                                "status pid {} paused {} want {:?}",
                                r.pid, r.paused, r.want as char
                            ));
                        }
                        Effect::WarnForkFailed { errno, retry_secs } => self
                            .log
                            .push(format!("warn fork failed: errno {errno}, sleeping {retry_secs}")),
                        Effect::Exit => self.log.push("exit".into()),
                        // Not logged: 0.76's stories stay as they were.
                        Effect::Survey => queue.push(Input::Surveyed(self.settings)),
                        Effect::RunFinish { code, signal, .. } => {
                            self.next_pid += 1;
                            self.log.push(format!("finish {} {code} {signal}", self.next_pid));
                            queue.push(Input::FinishStarted { pid: self.next_pid });
                        }
                        Effect::Warn(file) => self.log.push(format!("warn {file:?}")),
                        Effect::Notify { event, pid, code } => {
                            self.log.push(format!("notify {} {pid} {code}", event.word()))
                        }
                        Effect::Event(byte) => self.log.push(format!("event {}", byte as char)),
                        Effect::MakeEventDir => self.log.push("mkdir event".into()),
                        Effect::RecordDeath { record, max } => {
                            self.log.push(format!("death {:?} max {max}", &record[12..]))
                        }
                        // Not logged: the tests of supervise/info look at `infos`.
                        Effect::WriteInfo => self.infos.push(self.s.info().copied()),
                        Effect::RemoveInfo => self.infos.push(None),
                    }
                }
            }
        }

        fn start(&mut self, down_file: bool) {
            self.send(Input::Start {
                down_file,
                seed: 7,
                settings: self.settings,
                group: 50,
            });
            self.send(Input::Ready);
        }

        fn advance(&mut self, nanos: u64) {
            self.mono += nanos;
            if self.s.deadline().is_some_and(|d| d <= self.mono) {
                self.send(Input::Timer);
            }
        }

        fn take_log(&mut self) -> String {
            std::mem::take(&mut self.log).join("\n")
        }
    }

    #[test]
    fn starts_when_up_and_writes_the_record_around_it() {
        let mut h = Harness::new();
        h.start(false);
        insta::assert_snapshot!(h.take_log(), @r"
            status pid 0 paused 0 want 'u'
            spawn 101
            status pid 101 paused 0 want 'u'
            ");
    }

    #[test]
    fn down_file_means_no_start_until_u() {
        let mut h = Harness::new();
        h.start(true);
        h.send(Input::Control(b'u'));
        insta::assert_snapshot!(h.take_log(), @r"
            status pid 0 paused 0 want 'd'
            status pid 0 paused 0 want 'u'
            spawn 101
            status pid 101 paused 0 want 'u'
            ");
    }

    #[test]
    fn restarts_at_most_once_a_second_but_d_acts_at_once() {
        let mut h = Harness::new();
        h.start(false);
        h.take_log();
        h.advance(100_000_000);
        h.send(Input::Reaped(101, Ended::Exited(0)));
        // 0.1 s after the start: the restart waits, `d` does not.
        h.send(Input::Control(b'd'));
        h.advance(2_000_000_000);
        insta::assert_snapshot!(h.take_log(), @r"
            status pid 0 paused 0 want 'd'
            ");
    }

    #[test]
    fn a_restart_at_once_writes_only_the_new_pid() {
        let mut h = Harness::new();
        h.start(false);
        h.take_log();
        h.advance(2_000_000_000);
        h.send(Input::Reaped(101, Ended::Exited(0)));
        // Upstream writes the exit's record and then the start's: the start follows
        // at once, so only its record is written, a write sooner.
        insta::assert_snapshot!(h.take_log(), @r"
            spawn 102
            status pid 102 paused 0 want 'u'
            ");
        h.advance(2_000_000_000);
        h.fork_fails = true;
        h.send(Input::Reaped(102, Ended::Exited(0)));
        insta::assert_snapshot!(h.take_log(), @r"
            spawn (fork fails)
            status pid 0 paused 0 want 'u'
            warn fork failed: errno 11, sleeping 60
            ");
    }

    #[test]
    fn a_crash_loop_reads_as_up_through_the_pause_as_upstream_does() {
        let mut h = Harness::new();
        h.start(false);
        h.take_log();
        // Exits 0.1 s after its start: upstream sleeps out the second before it
        // reaps, so its status keeps the dead pid until the next start. No write
        // until then; the record still names the child that was started.
        h.advance(100_000_000);
        h.send(Input::Reaped(101, Ended::Exited(0)));
        assert_eq!(h.s.child(), None);
        assert_eq!(h.s.record().pid, 101);
        h.advance(900_000_000);
        insta::assert_snapshot!(h.take_log(), @r"
            spawn 102 deferred
            status pid 102 paused 0 want 'u'
            ");
    }

    #[test]
    fn a_command_in_the_pause_is_written_at_once() {
        for (command, expected) in [
            (b'd', "status pid 0 paused 0 want 'd'"),
            (
                b'x',
                "status pid 0 paused 0 want 'u'\nstatus pid 0 paused 0 want 'u'\nexit",
            ),
            (b'p', "status pid 101 paused 1 want 'u'"),
            (b'o', "status pid 101 paused 0 want '\\0'"),
        ] {
            let mut h = Harness::new();
            h.start(false);
            h.take_log();
            h.advance(300_000_000);
            h.send(Input::Reaped(101, Ended::Exited(0)));
            h.advance(200_000_000);
            h.send(Input::Control(command));
            assert_eq!(h.take_log(), expected, "{}", command as char);
        }
    }

    #[test]
    fn a_stop_in_the_pause_dates_the_exit() {
        let mut h = Harness::new();
        h.start(false);
        h.advance(300_000_000);
        h.send(Input::Reaped(101, Ended::Exited(0)));
        let exited = h.now().wall;
        h.advance(500_000_000);
        h.send(Input::Control(b'd'));
        // svstat's `down N seconds` counts from the exit, not from the command.
        assert_eq!(h.s.record().stamp, exited);
        assert_ne!(exited, h.now().wall);
    }

    #[test]
    fn a_failed_fork_after_the_pause_writes_pid_0() {
        let mut h = Harness::new();
        h.start(false);
        h.take_log();
        h.advance(100_000_000);
        h.send(Input::Reaped(101, Ended::Exited(0)));
        h.fork_fails = true;
        h.advance(900_000_000);
        insta::assert_snapshot!(h.take_log(), @r"
            spawn (fork fails)
            status pid 0 paused 0 want 'u'
            warn fork failed: errno 11, sleeping 60
            ");
    }

    #[test]
    fn a_start_that_waited_for_the_interval_is_deferred() {
        let mut h = Harness::new();
        h.start(false);
        h.take_log();
        // Exits 0.1 s after its start: the restart waits for the interval, and
        // nothing is waiting on it when it comes.
        h.advance(100_000_000);
        h.send(Input::Reaped(101, Ended::Exited(0)));
        h.advance(900_000_000);
        // Runs 2 s, then exits: restarted at once.
        h.advance(2_000_000_000);
        h.send(Input::Reaped(102, Ended::Exited(0)));
        insta::assert_snapshot!(h.take_log(), @r"
            spawn 102 deferred
            status pid 102 paused 0 want 'u'
            spawn 103
            status pid 103 paused 0 want 'u'
            ");
    }

    #[test]
    fn every_control_byte() {
        let mut h = Harness::new();
        h.start(false);
        h.take_log();
        for b in *b"ahkti" {
            h.send(Input::Control(b));
        }
        h.send(Input::Control(b'p'));
        h.send(Input::Control(b'u'));
        h.send(Input::Control(b'c'));
        h.send(Input::Control(b'z'));
        h.send(Input::Control(b'd'));
        h.send(Input::Control(b'o'));
        h.send(Input::Control(b'x'));
        h.send(Input::Reaped(101, Ended::Exited(0)));
        insta::assert_snapshot!(h.take_log(), @r"
            kill 101 Alrm
            kill 101 Hup
            kill 101 Kill
            kill 101 Term
            kill 101 Int
            status pid 101 paused 1 want 'u'
            kill 101 Stop
            status pid 101 paused 1 want 'u'
            status pid 101 paused 0 want 'u'
            kill 101 Cont
            kill 101 Term
            kill 101 Cont
            status pid 101 paused 0 want 'd'
            status pid 101 paused 0 want '\0'
            status pid 101 paused 0 want '\0'
            status pid 0 paused 0 want '\0'
            status pid 0 paused 0 want '\0'
            exit
            ");
    }

    #[test]
    fn finish_runs_after_each_exit_and_before_any_restart() {
        let mut h = Harness::new();
        h.settings.finish = Some(Some(3000));
        h.start(false);
        h.take_log();
        // Killed after 2 s: ./finish gets -1 and the signal; the status says down.
        h.advance(2_000_000_000);
        h.send(Input::Reaped(101, Ended::Signaled(9)));
        h.send(Input::Control(b'k'));
        // Done 0.5 s later: the restart comes at once (the interval has passed).
        h.advance(500_000_000);
        h.send(Input::Reaped(102, Ended::Exited(0)));
        // An exit within the second: ./finish first, then the restart waits.
        h.advance(100_000_000);
        h.send(Input::Reaped(103, Ended::Exited(3)));
        h.send(Input::Reaped(104, Ended::Exited(0)));
        h.advance(900_000_000);
        // A finish that hangs is killed after timeout-finish.
        h.advance(1_000_000_000);
        h.send(Input::Reaped(105, Ended::Exited(0)));
        h.advance(2_999_000_000);
        h.advance(1_000_000);
        h.send(Input::Reaped(106, Ended::Signaled(9)));
        insta::assert_snapshot!(h.take_log(), @r"
        status pid 0 paused 0 want 'u'
        finish 102 -1 9
        spawn 103
        status pid 103 paused 0 want 'u'
        status pid 0 paused 0 want 'u'
        finish 104 3 0
        spawn 105 deferred
        status pid 105 paused 0 want 'u'
        status pid 0 paused 0 want 'u'
        finish 106 0 0
        kill 106 Kill
        spawn 107
        status pid 107 paused 0 want 'u'
        ");
    }

    #[test]
    fn commands_while_finish_runs() {
        let mut h = Harness::new();
        h.settings.finish = Some(None);
        h.start(false);
        h.take_log();
        h.advance(2_000_000_000);
        // 125 is a permanent failure: wanted down until u.
        h.send(Input::Reaped(101, Ended::Exited(1)));
        h.send(Input::Reaped(102, Ended::Exited(PERMANENT_FAILURE)));
        h.advance(5_000_000_000);
        h.send(Input::Control(b'u'));
        // d while ./finish runs: no restart; o: one start after it; x: exit after it.
        h.advance(2_000_000_000);
        h.send(Input::Reaped(103, Ended::Exited(0)));
        h.send(Input::Control(b'd'));
        h.send(Input::Reaped(104, Ended::Exited(0)));
        h.send(Input::Control(b'o'));
        h.advance(2_000_000_000);
        h.send(Input::Reaped(105, Ended::Exited(0)));
        h.send(Input::Control(b'o'));
        h.send(Input::Reaped(106, Ended::Exited(0)));
        h.advance(2_000_000_000);
        h.send(Input::Reaped(107, Ended::Exited(0)));
        h.send(Input::Control(b'x'));
        h.send(Input::Control(b'u'));
        h.send(Input::Reaped(108, Ended::Exited(0)));
        insta::assert_snapshot!(h.take_log(), @r"
        status pid 0 paused 0 want 'u'
        finish 102 1 0
        status pid 0 paused 0 want 'd'
        status pid 0 paused 0 want 'u'
        spawn 103
        status pid 103 paused 0 want 'u'
        status pid 0 paused 0 want 'u'
        finish 104 0 0
        status pid 0 paused 0 want 'd'
        status pid 0 paused 0 want '\0'
        spawn 105
        status pid 105 paused 0 want '\0'
        status pid 0 paused 0 want '\0'
        finish 106 0 0
        status pid 0 paused 0 want '\0'
        spawn 107
        status pid 107 paused 0 want '\0'
        status pid 0 paused 0 want '\0'
        finish 108 0 0
        status pid 0 paused 0 want '\0'
        status pid 0 paused 0 want 'u'
        status pid 0 paused 0 want 'u'
        exit
        ");
    }

    #[test]
    fn the_extensions_signals_and_restart() {
        let mut h = Harness::new();
        h.start(false);
        h.take_log();
        for b in *b"q12wyb" {
            h.send(Input::Control(b));
        }
        h.send(Input::Control(b'p'));
        h.send(Input::Control(b'r'));
        h.advance(2_000_000_000);
        h.send(Input::Reaped(101, Ended::Exited(0)));
        // While down, r does nothing; with want down, the exit is not restarted.
        h.send(Input::Control(b'd'));
        h.send(Input::Control(b'r'));
        h.send(Input::Reaped(102, Ended::Exited(0)));
        h.send(Input::Control(b'r'));
        insta::assert_snapshot!(h.take_log(), @r"
            kill 101 Quit
            kill 101 Usr1
            kill 101 Usr2
            kill 101 Winch
            kill 101 Winch
            kill 101 Abrt
            status pid 101 paused 1 want 'u'
            kill 101 Stop
            kill 101 Term
            kill 101 Cont
            status pid 101 paused 0 want 'u'
            spawn 102
            status pid 102 paused 0 want 'u'
            kill 102 Term
            kill 102 Cont
            status pid 102 paused 0 want 'd'
            kill 102 Term
            kill 102 Cont
            status pid 0 paused 0 want 'd'
            ");
    }

    #[test]
    fn down_signal_and_timeout_kill() {
        let mut h = Harness::new();
        h.settings.down_signal = Signal::Hup;
        h.settings.timeout_kill_ms = Some(500);
        h.start(false);
        h.take_log();
        // d: the down signal, then SIGKILL 0.5 s later if still running.
        h.advance(2_000_000_000);
        h.send(Input::Control(b'd'));
        h.advance(499_000_000);
        h.advance(1_000_000);
        h.send(Input::Reaped(101, Ended::Signaled(9)));
        // To the group with flag-timeout-killpg; an exit in time disarms it.
        h.settings.killpg = true;
        h.send(Input::Control(b'u'));
        h.send(Input::Control(b'r'));
        h.advance(500_000_000);
        h.send(Input::Reaped(102, Ended::Signaled(9)));
        h.advance(500_000_000);
        h.send(Input::Control(b'd'));
        h.send(Input::Reaped(103, Ended::Signaled(1)));
        h.advance(5_000_000_000);
        insta::assert_snapshot!(h.take_log(), @r"
        kill 101 Hup
        kill 101 Cont
        status pid 101 paused 0 want 'd'
        kill 101 Kill
        status pid 0 paused 0 want 'd'
        status pid 0 paused 0 want 'u'
        spawn 102
        status pid 102 paused 0 want 'u'
        kill 102 Hup
        kill 102 Cont
        killpg 102 Kill
        spawn 103 deferred
        status pid 103 paused 0 want 'u'
        kill 103 Hup
        kill 103 Cont
        status pid 103 paused 0 want 'd'
        status pid 0 paused 0 want 'd'
        ");
    }

    #[test]
    fn the_wait_before_a_restart_grows_and_resets() {
        let mut h = Harness::new();
        h.settings.backoff = settings::Backoff {
            delay_ms: 2000,
            steps: 2,
            max_delay_ms: Some(8000),
            randomized_ms: 0,
        };
        h.start(false);
        h.take_log();
        // Crashes at once each time: 2 s, 4 s, then 8 s after each exit.
        let mut waits = Vec::new();
        for _ in 0..4 {
            h.advance(100_000_000);
            let pid = h.s.child().unwrap();
            h.send(Input::Reaped(pid, Ended::Exited(1)));
            let exited = h.mono;
            while h.s.child().is_none() {
                h.advance(h.s.deadline().unwrap() - h.mono);
            }
            waits.push((h.mono - exited) / 1_000_000);
        }
        assert_eq!(waits, [2000, 4000, 8000, 8000]);
        // A run as long as the longest wait resets the steps.
        h.advance(8_000_000_000);
        let pid = h.s.child().unwrap();
        h.send(Input::Reaped(pid, Ended::Exited(1)));
        assert_eq!(h.s.deadline(), Some(h.mono + 2_000_000_000));
        // u starts at once (one second after the last start).
        h.send(Input::Control(b'u'));
        assert!(h.s.child().is_some());
        // The random addition stays within its bound.
        h.settings.backoff.randomized_ms = 1000;
        for _ in 0..20 {
            h.advance(100_000_000);
            let pid = h.s.child().unwrap();
            h.send(Input::Reaped(pid, Ended::Exited(1)));
            let wait = h.s.deadline().unwrap() - h.mono;
            assert!((2_000_000_000..=9_000_000_000).contains(&wait), "{wait}");
            h.send(Input::Control(b'u'));
            h.advance(1_000_000_000);
        }
        // Without backoff files: 0.76's second.
        h.settings = Settings::PLAIN;
        h.advance(100_000_000);
        let pid = h.s.child().unwrap();
        h.send(Input::Reaped(pid, Ended::Exited(1)));
        assert_eq!(h.s.deadline(), Some(h.mono + 900_000_000));
    }

    #[test]
    fn giving_up_after_too_many_exits() {
        let mut h = Harness::new();
        h.settings.limit = Some(settings::Limit {
            count: 3,
            interval_ms: 5000,
        });
        h.start(false);
        h.take_log();
        // Two exits 4 s apart: the first leaves the window before the third.
        h.advance(2_000_000_000);
        h.send(Input::Reaped(101, Ended::Exited(1)));
        h.advance(4_000_000_000);
        h.send(Input::Reaped(102, Ended::Exited(1)));
        h.advance(2_000_000_000);
        h.send(Input::Reaped(103, Ended::Exited(1)));
        // r's exit was asked for: not counted. The third within 5 s gives up.
        h.advance(1_000_000_000);
        h.send(Input::Control(b'r'));
        h.send(Input::Reaped(104, Ended::Signaled(15)));
        h.advance(1_000_000_000);
        h.send(Input::Reaped(105, Ended::Exited(1)));
        h.advance(10_000_000_000);
        // u: a fresh count.
        h.send(Input::Control(b'u'));
        h.advance(1_000_000_000);
        h.send(Input::Reaped(106, Ended::Exited(1)));
        insta::assert_snapshot!(h.take_log(), @r"
        spawn 102
        status pid 102 paused 0 want 'u'
        spawn 103
        status pid 103 paused 0 want 'u'
        spawn 104
        status pid 104 paused 0 want 'u'
        kill 104 Term
        kill 104 Cont
        spawn 105
        status pid 105 paused 0 want 'u'
        status pid 0 paused 0 want 'd'
        status pid 0 paused 0 want 'u'
        spawn 106
        status pid 106 paused 0 want 'u'
        spawn 107
        status pid 107 paused 0 want 'u'
        ");
    }

    #[test]
    fn unusable_files_are_warned_about_when_used() {
        let mut h = Harness::new();
        h.settings = Settings::read(|file, buffer| {
            let text: &[u8] = match file {
                settings::File::DownSignal => b"TERMINATE",
                settings::File::RestartDelay => b"soon",
                _ => return settings::Contents::Absent,
            };
            buffer[..text.len()].copy_from_slice(text);
            settings::Contents::Read(text.len())
        });
        h.start(false);
        assert!(!h.take_log().contains("warn"), "warned at start-up");
        h.advance(2_000_000_000);
        h.send(Input::Reaped(101, Ended::Exited(0)));
        assert!(h.take_log().contains("warn RestartDelay"));
        h.send(Input::Control(b'd'));
        h.send(Input::Reaped(102, Ended::Signaled(15)));
        insta::assert_snapshot!(h.take_log(), @r"
        warn DownSignal
        kill 102 Term
        kill 102 Cont
        status pid 102 paused 0 want 'd'
        warn RestartDelay
        status pid 0 paused 0 want 'd'
        ");
    }

    #[test]
    fn the_death_tally_is_appended_before_finish_runs() {
        let mut h = Harness::new();
        h.settings = Settings::read(|file, _| match file {
            settings::File::Finish => settings::Contents::Read(0),
            _ => settings::Contents::Absent,
        });
        h.start(false);
        h.take_log();
        h.advance(2_000_000_000);
        h.send(Input::Reaped(101, Ended::Signaled(9)));
        insta::assert_snapshot!(h.take_log(), @r"
        death [137, 9] max 100
        status pid 0 paused 0 want 'u'
        finish 102 -1 9
        ");
    }

    #[test]
    fn notify_hears_starts_exits_and_failures() {
        let mut h = Harness::new();
        h.settings.notify = true;
        h.settings.limit = Some(settings::Limit {
            count: 2,
            interval_ms: 10_000,
        });
        h.start(false);
        h.advance(2_000_000_000);
        h.send(Input::Reaped(101, Ended::Exited(3)));
        h.advance(2_000_000_000);
        h.send(Input::Reaped(102, Ended::Signaled(6)));
        // A finish exiting 125: failed, told once.
        h.settings.finish = Some(None);
        h.send(Input::Control(b'u'));
        h.advance(2_000_000_000);
        h.send(Input::Reaped(103, Ended::Exited(0)));
        h.send(Input::Reaped(104, Ended::Exited(PERMANENT_FAILURE)));
        insta::assert_snapshot!(h.take_log(), @r"
        status pid 0 paused 0 want 'u'
        spawn 101
        status pid 101 paused 0 want 'u'
        notify start 101 0
        spawn 102
        notify exit 101 3
        status pid 102 paused 0 want 'u'
        notify start 102 0
        status pid 0 paused 0 want 'd'
        notify killed 102 6
        notify failed 102 6
        status pid 0 paused 0 want 'u'
        spawn 103
        status pid 103 paused 0 want 'u'
        notify start 103 0
        status pid 0 paused 0 want 'u'
        finish 104 0 0
        notify exit 103 0
        status pid 0 paused 0 want 'd'
        notify failed 103 125
        ");
    }

    #[test]
    fn setsid_is_asked_for_at_each_start() {
        let mut s = Supervisor::new();
        let mut effects = Vec::new();
        let now = Now {
            wall: Tai64N { secs: 1, nanos: 0 },
            mono: 5_000_000_000,
        };
        let mut settings = Settings::PLAIN;
        settings.setsid = true;
        s.handle(
            Input::Start {
                down_file: false,
                seed: 1,
                settings,
                group: 50,
            },
            now,
            &mut effects,
        );
        s.handle(Input::Ready, now, &mut effects);
        assert_eq!(
            effects.iter().rev().find(|e| **e != Effect::WriteInfo),
            Some(&Effect::Spawn {
                deferred: false,
                setsid: true,
                notification_fd: None,
            })
        );
    }

    #[test]
    fn signals_to_the_process_group() {
        let mut h = Harness::new();
        h.start(false);
        h.take_log();
        // + until the end of the read: t, p, c, d to the group; = back to the pid.
        for b in *b"+tpc=h+" {
            h.send(Input::Control(b));
        }
        h.send(Input::ControlDone);
        h.send(Input::Control(b'a'));
        for b in *b"PCK" {
            h.send(Input::Control(b));
        }
        h.send(Input::Control(b'+'));
        h.send(Input::Control(b'd'));
        insta::assert_snapshot!(h.take_log(), @r"
        killpg 101 Term
        status pid 101 paused 1 want 'u'
        killpg 101 Stop
        status pid 101 paused 0 want 'u'
        killpg 101 Cont
        kill 101 Hup
        kill 101 Alrm
        status pid 101 paused 1 want 'u'
        killpg 101 Stop
        status pid 101 paused 0 want 'u'
        killpg 101 Cont
        killpg 101 Kill
        killpg 101 Term
        killpg 101 Cont
        status pid 101 paused 0 want 'd'
        ");
    }

    #[test]
    fn readiness_and_events() {
        let mut h = Harness::new();
        h.settings.notification_fd = Some(3);
        h.settings.notify = true;
        h.settings.backoff = settings::Backoff {
            delay_ms: 1000,
            steps: 3,
            max_delay_ms: Some(8000),
            randomized_ms: 0,
        };
        h.start(false);
        // Made by the runtime: found by the next reading of the files.
        h.settings.event_dir = true;
        h.send(Input::ServiceReady);
        h.send(Input::ServiceReady);
        // Ready for more than a second: the backoff starts its steps again.
        h.advance(1_500_000_000);
        h.send(Input::Reaped(101, Ended::Exited(1)));
        assert_eq!(h.s.deadline(), Some(h.mono + 1_000_000_000));
        h.advance(1_000_000_000);
        h.advance(100_000_000);
        h.send(Input::Reaped(102, Ended::Exited(1)));
        assert_eq!(h.s.deadline(), Some(h.mono + 2_000_000_000));
        h.send(Input::Control(b'x'));
        insta::assert_snapshot!(h.take_log(), @r"
        mkdir event
        status pid 0 paused 0 want 'u'
        event s
        spawn 101
        status pid 101 paused 0 want 'u'
        notify start 101 0
        event u
        notify ready 101 0
        event U
        status pid 0 paused 0 want 'u'
        event d
        event D
        notify exit 101 1
        spawn 102 deferred
        status pid 102 paused 0 want 'u'
        notify start 102 0
        event u
        status pid 0 paused 0 want 'u'
        event d
        event D
        notify exit 102 1
        status pid 0 paused 0 want 'u'
        status pid 0 paused 0 want 'u'
        event x
        exit
        ");
    }

    #[test]
    fn giving_up_is_an_event() {
        let mut h = Harness::new();
        h.settings.event_dir = true;
        h.settings.limit = Some(settings::Limit {
            count: 1,
            interval_ms: 10_000,
        });
        h.start(false);
        h.advance(2_000_000_000);
        h.take_log();
        h.send(Input::Reaped(101, Ended::Signaled(9)));
        insta::assert_snapshot!(h.take_log(), @r"
        status pid 0 paused 0 want 'd'
        event d
        event O
        event D
        ");
    }

    #[test]
    fn once_runs_once() {
        let mut h = Harness::new();
        h.start(true);
        h.send(Input::Control(b'o'));
        h.advance(3_000_000_000);
        h.send(Input::Reaped(101, Ended::Exited(0)));
        h.advance(3_000_000_000);
        insta::assert_snapshot!(h.take_log(), @r"
            status pid 0 paused 0 want 'd'
            status pid 0 paused 0 want '\0'
            spawn 101
            status pid 101 paused 0 want '\0'
            status pid 0 paused 0 want '\0'
            ");
    }

    #[test]
    fn exit_waits_for_the_service() {
        let mut h = Harness::new();
        h.start(false);
        h.send(Input::Control(b'x'));
        assert!(!h.s.has_exited());
        h.send(Input::Reaped(999, Ended::Exited(0)));
        assert!(!h.s.has_exited(), "not the service's pid");
        h.send(Input::Reaped(101, Ended::Exited(0)));
        assert!(h.s.has_exited());
        assert!(
            h.take_log()
                .ends_with("status pid 0 paused 0 want 'u'\nstatus pid 0 paused 0 want 'u'\nexit")
        );
    }

    #[test]
    fn a_failed_fork_is_retried_after_a_minute_while_wanted_up() {
        let mut h = Harness::new();
        h.fork_fails = true;
        h.start(false);
        h.fork_fails = false;
        h.advance(59_000_000_000);
        assert_eq!(h.s.child(), None);
        h.advance(1_000_000_000);
        insta::assert_snapshot!(h.take_log(), @r"
            status pid 0 paused 0 want 'u'
            spawn (fork fails)
            status pid 0 paused 0 want 'u'
            warn fork failed: errno 11, sleeping 60
            spawn 101 deferred
            status pid 101 paused 0 want 'u'
            ");
    }

    #[test]
    fn the_stamp_changes_only_with_the_pid() {
        let mut h = Harness::new();
        h.start(false);
        let started = h.s.record().stamp;
        h.advance(7_000_000_000);
        for b in *b"pcuahkti" {
            h.send(Input::Control(b));
        }
        assert_eq!(h.s.record().stamp, started);
        h.send(Input::Reaped(101, Ended::Exited(0)));
        assert_ne!(h.s.record().stamp, started);
    }

    /// The states `supervise/info` went through, one word (and pid) a write.
    fn info_story(h: &mut Harness) -> String {
        std::mem::take(&mut h.infos)
            .into_iter()
            .map(|info| match info {
                None => "removed".to_string(),
                Some(i) => format!(
                    "{} pid {:?} pgid {:?} want {:?} exit {:?} restarts {} next {:?}",
                    i.state.word(),
                    i.pid,
                    i.pgid,
                    i.want,
                    i.last_exit,
                    i.restarts,
                    i.next_start.map(|t| t.secs % 100)
                ),
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn info_follows_the_service_through_readiness_stopping_backoff_and_failing() {
        let mut h = Harness::new();
        h.settings.setsid = true;
        h.settings.notification_fd = Some(3);
        h.settings.limit = Some(settings::Limit {
            count: 2,
            interval_ms: 10_000,
        });
        h.start(false);
        h.advance(300_000_000);
        h.send(Input::ServiceReady);
        h.send(Input::Control(b'r'));
        h.send(Input::Reaped(101, Ended::Signaled(15)));
        h.advance(700_000_000);
        h.send(Input::Reaped(102, Ended::Exited(1)));
        h.advance(1_000_000_000);
        h.send(Input::Reaped(103, Ended::Exited(2)));
        h.send(Input::Control(b'u'));
        insta::assert_snapshot!(info_story(&mut h), @r"
        down pid None pgid None want Up exit None restarts 0 next None
        starting pid Some(101) pgid Some(101) want Up exit None restarts 0 next None
        ready pid Some(101) pgid Some(101) want Up exit None restarts 0 next None
        stopping pid Some(101) pgid Some(101) want Up exit None restarts 0 next None
        backoff pid None pgid None want Up exit Some(Signaled(15)) restarts 0 next Some(20)
        starting pid Some(102) pgid Some(102) want Up exit None restarts 1 next None
        backoff pid None pgid None want Up exit Some(Exited(1)) restarts 1 next Some(21)
        starting pid Some(103) pgid Some(103) want Up exit None restarts 2 next None
        failed pid None pgid None want Down exit Some(Exited(2)) restarts 2 next None
        backoff pid None pgid None want Up exit Some(Exited(2)) restarts 2 next Some(22)
        ");
        // No extension file left: the info goes.
        h.advance(RESTART_INTERVAL);
        h.settings = Settings::PLAIN;
        h.send(Input::Reaped(104, Ended::Exited(0)));
        assert_eq!(info_story(&mut h).lines().last(), Some("removed"));
        assert!(h.s.info().is_none());
    }

    #[test]
    fn no_info_without_extension_files() {
        let mut h = Harness::new();
        h.start(false);
        h.send(Input::Reaped(101, Ended::Exited(0)));
        h.advance(RESTART_INTERVAL);
        h.send(Input::Control(b'd'));
        h.send(Input::Reaped(102, Ended::Exited(0)));
        h.send(Input::Control(b'x'));
        assert!(h.infos.is_empty() && h.s.info().is_none());
    }
}

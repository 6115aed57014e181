//! The supervise machine (spec 2): what to do with `./run` given start-up, control
//! bytes from `svc`, the service's exits, failed forks and the passing of time.
//!
//! The runtime feeds it [`Input`]s with the current time and carries out the
//! [`Effect`]s it returns; after an [`Effect::Spawn`] it must answer at once with
//! [`Input::Spawned`] or [`Input::SpawnFailed`]. [`Supervisor::deadline`] says when
//! to send [`Input::Timer`].
//!
//! Upstream's semantics, with two deliberate divergences (DESIGN.md): upstream sleeps
//! a whole second after every start without listening to anyone, which limits
//! restarts to one a second but also leaves `svc -d` waiting. Here the second is a
//! timer: starts are still never less than a second apart, while commands and exits
//! are handled as they come. And an exit followed at once by a new start is written
//! to the status file once, with the new pid, where upstream writes it twice.
//!
//! The machine is a phase (no child, a start awaiting its answer, the service up,
//! done) with what every phase shares: what `svc` last asked for, the paused flag,
//! the status record's stamp, and a small table of named timers. Impossible
//! combinations (a child and a pending restart, a timer while the service runs)
//! cannot be written.
//!
//! Extensions (supervise(8), EXTENSIONS), each switched on by something 0.76 never
//! used: the control bytes `q 1 2 w y b r`, and `./finish`: after every exit of the
//! service the machine asks whether there is one ([`Effect::FindFinish`]); the
//! runtime answers that there is none ([`Input::FinishAbsent`], and the machine goes
//! on exactly as 0.76's would) or that there is ([`Input::FinishFound`]): the status
//! then says down (pid 0) before it is started ([`Effect::RunFinish`],
//! [`Input::FinishStarted`]), until it exits, with no start before; `timeout-finish`
//! kills it after that long; its exit code 125 is a permanent failure: the service
//! is wanted down until `u` or `o`.
//!
//! Invariants (checked by the tests at the end and by `tests/supervise_invariants.rs`):
//! at most one child; no two starts less than a second apart; after `x`, exit exactly
//! when no child is left; after `d`, or `o`, the service is not started again when it
//! exits; every status record decodes and says what the machine holds.

use crate::status::{Record, Want};
pub use crate::svscan::Ended;
use crate::tai64::Tai64N;

/// The shortest time between two starts of `./run`, in nanoseconds.
pub const RESTART_INTERVAL: u64 = 1_000_000_000;
/// How long to wait after a failed fork before trying again (Debian's patch 0003).
pub const FORK_RETRY: u64 = 60_000_000_000;
/// `./finish`'s exit code that says the service failed for good (s6's).
pub const PERMANENT_FAILURE: i32 = 125;

/// What `timeout-finish` says.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FinishTimeout {
    /// No file: `./finish` may take as long as it takes.
    Unlimited,
    /// Kill `./finish` this many milliseconds after its start.
    Millis(u64),
    /// The file says nothing usable: warned about, and no limit.
    Unusable,
}

impl FinishTimeout {
    /// Reads `timeout-finish`'s contents: decimal milliseconds, surrounding white
    /// space allowed (`0` is no limit, as in s6).
    pub fn parse(text: &[u8]) -> FinishTimeout {
        let text = text.trim_ascii();
        let number = (!text.is_empty() && text.iter().all(u8::is_ascii_digit))
            .then(|| std::str::from_utf8(text).ok()?.parse::<u64>().ok())
            .flatten();
        match number {
            Some(0) => FinishTimeout::Unlimited,
            Some(ms) => FinishTimeout::Millis(ms),
            None => FinishTimeout::Unusable,
        }
    }
}

/// The current time: the wall clock for status records, a monotonic clock (in
/// nanoseconds) for intervals.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Now {
    pub wall: Tai64N,
    pub mono: u64,
}

/// A signal supervise sends to its service.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Input {
    /// Start-up, once `supervise/status` can be written; whether `down` exists.
    Start { down_file: bool },
    /// `supervise/ok` is open (svok and svstat now see supervise running): the
    /// service may start.
    Ready,
    /// One byte read from `supervise/control`.
    Control(u8),
    /// The answer to [`Effect::Spawn`]: the new child's pid.
    Spawned(u32),
    /// The answer to [`Effect::Spawn`]: fork failed with this errno.
    SpawnFailed(i32),
    /// A child was reaped (not necessarily the service), and how it ended.
    Reaped(u32, Ended),
    /// The answer to [`Effect::FindFinish`]: there is a `./finish`; what
    /// `timeout-finish` says.
    FinishFound { timeout: FinishTimeout },
    /// The answer to [`Effect::RunFinish`]: `./finish` runs as this pid.
    FinishStarted { pid: u32 },
    /// The answer to [`Effect::FindFinish`]: there is no `./finish`; or to
    /// [`Effect::RunFinish`]: it could not be forked.
    FinishAbsent,
    /// The deadline passed.
    Timer,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Effect {
    /// Fork and exec `./run`, then answer with `Spawned` or `SpawnFailed`.
    /// `deferred`: the start waited for the restart interval (the service exited
    /// within a second of its start) or for the retry after a failed fork, so no
    /// command or exit is waiting on it: the runtime may start it the cheaper way
    /// rather than the quicker one.
    Spawn { deferred: bool },
    /// Send a signal to the service (its pid, never its group).
    Signal(u32, Signal),
    /// Write this record to `supervise/status` (by way of `status.new`).
    WriteStatus([u8; 18]),
    /// `unable to fork for <dir>, sleeping <retry_secs> seconds: <errno>`.
    WarnForkFailed { errno: i32, retry_secs: u64 },
    /// The service exited: look for `./finish` and `timeout-finish`, and answer
    /// with [`Input::FinishFound`] or [`Input::FinishAbsent`].
    FindFinish,
    /// Run `./finish <code> <signal> <dir> <pgid>` (`code` is -1 and `signal` the
    /// signal's number after a kill, else `signal` is 0), and answer with
    /// [`Input::FinishStarted`] or [`Input::FinishAbsent`].
    RunFinish { code: i32, signal: i32 },
    /// `timeout-finish` is not a number of milliseconds: say so (it is ignored).
    WarnTimeoutFinish,
    /// Exit 0.
    Exit,
}

/// The machine's named timers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Timer {
    /// A start waits until a second has passed since the last one.
    RestartInterval,
    /// After a failed fork, the next try.
    ForkRetry,
    /// `timeout-finish` after `./finish` started: it is killed.
    FinishTimeout,
}

impl Timer {
    pub const ALL: [Timer; 3] = [Timer::RestartInterval, Timer::ForkRetry, Timer::FinishTimeout];
}

/// An exited service whose pid the status file keeps showing (see [`Phase::Down`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct Shown {
    pid: u32,
    /// When it exited: the status says down since then once the showing ends.
    exited: Tai64N,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Phase {
    /// No child. `shown`: the service exited within a second of its start and its
    /// restart waits for the interval; the status keeps showing its pid until the
    /// next start, as upstream's does (it sleeps out that second before it reaps),
    /// so that clients reading a crash-looping service see it up. Only while the
    /// restart interval's timer runs.
    Down { shown: Option<Shown> },
    /// An [`Effect::Spawn`] awaits its answer. `exiting`: `x` came meanwhile.
    Spawning { exiting: bool, shown: Option<Shown> },
    /// The service runs. `exiting`: after `x`, supervise exits when it does.
    Up { pid: u32, exiting: bool },
    /// The service `service` exited at `exited`, as `ended` says; `./finish` is
    /// looked for (`found` `None`), started (`pid` `None`) or runs. `exiting`: `x`
    /// came. `once`: `o` came meanwhile, so the service starts after `./finish`
    /// though not wanted up.
    Finishing {
        found: Option<FinishTimeout>,
        pid: Option<u32>,
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
    /// When each of [`Timer::ALL`] fires (monotonic), if armed: only while down.
    timers: [Option<u64>; 3],
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
            timers: [None; 3],
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
    /// timer, whether the restart interval has passed), so that states that behave
    /// alike compare equal.
    pub fn abstracted(&self, now: u64) -> Supervisor {
        let shown = |s: Option<Shown>| {
            s.map(|_| Shown {
                pid: 1,
                exited: Tai64N { secs: 0, nanos: 0 },
            })
        };
        let phase = match self.phase {
            Phase::Up { exiting, .. } => Phase::Up { pid: 1, exiting },
            Phase::Down { shown: s } => Phase::Down { shown: shown(s) },
            Phase::Spawning { exiting, shown: s } => Phase::Spawning {
                exiting,
                shown: shown(s),
            },
            Phase::Finishing {
                found,
                pid,
                ended,
                exiting,
                once,
                ..
            } => Phase::Finishing {
                found,
                pid: pid.map(|_| 2),
                service: 1,
                ended,
                exited: Tai64N { secs: 0, nanos: 0 },
                exiting,
                once,
            },
            Phase::Exited => Phase::Exited,
        };
        Supervisor {
            phase,
            want: self.want,
            paused: self.paused,
            stamp: Tai64N { secs: 0, nanos: 0 },
            last_start: self
                .last_start
                .map(|t| now.saturating_sub(t).min(RESTART_INTERVAL)),
            timers: self.timers.map(|t| t.map(|at| at.saturating_sub(now))),
        }
    }

    /// Takes one input at `now`; appends what to do to `effects`.
    pub fn handle(&mut self, input: Input, now: Now, effects: &mut Vec<Effect>) {
        match (input, self.phase) {
            (_, Phase::Exited) => {}
            (Input::Start { down_file }, _) => {
                self.want = if down_file { Want::Down } else { Want::Up };
                self.stamp = now.wall;
                self.announce(effects);
            }
            (Input::Ready, _) => {
                if self.want == Want::Up {
                    self.try_start(now, false, effects);
                }
            }
            (Input::Control(byte), _) => self.control(byte, now, effects),
            (Input::Spawned(pid), Phase::Spawning { exiting, .. }) => {
                self.phase = Phase::Up { pid, exiting };
                self.paused = false;
                self.stamp = now.wall;
                self.last_start = Some(now.mono);
                self.announce(effects);
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
            (Input::Reaped(reaped, ended), Phase::Up { pid, exiting }) if reaped == pid => {
                self.phase = Phase::Finishing {
                    found: None,
                    pid: None,
                    service: pid,
                    ended,
                    exited: now.wall,
                    exiting,
                    once: false,
                };
                effects.push(Effect::FindFinish);
            }
            (
                Input::FinishAbsent,
                Phase::Finishing {
                    found,
                    pid: None,
                    service,
                    exiting,
                    once,
                    ..
                },
            ) => {
                // Shown as up through the restart interval only if no finish was found.
                let shown = if found.is_none() { Some(service) } else { None };
                self.service_exited(shown, exiting, once, now, effects)
            }
            (
                Input::FinishFound { timeout },
                Phase::Finishing {
                    found: None,
                    ended,
                    exited,
                    ..
                },
            ) => {
                if let Phase::Finishing { found, .. } = &mut self.phase {
                    *found = Some(timeout);
                }
                // Down before it starts: whoever looks while it runs sees it so.
                self.stamp = exited;
                self.announce(effects);
                if timeout == FinishTimeout::Unusable {
                    effects.push(Effect::WarnTimeoutFinish);
                }
                let (code, signal) = match ended {
                    Ended::Exited(code) => (code, 0),
                    Ended::Signaled(signal) => (-1, signal),
                };
                effects.push(Effect::RunFinish { code, signal });
            }
            (
                Input::FinishStarted { pid },
                Phase::Finishing {
                    found: Some(timeout),
                    pid: None,
                    ..
                },
            ) => {
                if let Phase::Finishing { pid: finish, .. } = &mut self.phase {
                    *finish = Some(pid);
                }
                if let FinishTimeout::Millis(ms) = timeout {
                    self.arm(
                        Timer::FinishTimeout,
                        now.mono.saturating_add(ms.saturating_mul(1_000_000)),
                    );
                }
            }
            (
                Input::Reaped(reaped, ended),
                Phase::Finishing {
                    pid: Some(finish),
                    exiting,
                    once,
                    ..
                },
            ) if reaped == finish => {
                self.timers[Timer::FinishTimeout as usize] = None;
                self.phase = Phase::Down { shown: None };
                if ended == Ended::Exited(PERMANENT_FAILURE) {
                    self.want = Want::Down;
                }
                if exiting {
                    self.exit(effects);
                } else if self.want == Want::Up || (once && self.want == Want::Nothing) {
                    self.try_start(now, false, effects);
                }
                if !matches!(self.phase, Phase::Spawning { .. } | Phase::Exited) {
                    self.announce(effects);
                }
            }
            (Input::Timer, Phase::Down { .. }) => self.timer_fired(now, effects),
            (
                Input::Timer,
                Phase::Finishing {
                    pid: Some(finish), ..
                },
            ) => {
                let slot = &mut self.timers[Timer::FinishTimeout as usize];
                if slot.is_some_and(|at| at <= now.mono) {
                    *slot = None;
                    effects.push(Effect::Signal(finish, Signal::Kill));
                }
            }
            (
                Input::Spawned(_)
                | Input::SpawnFailed(_)
                | Input::Reaped(..)
                | Input::Timer
                | Input::FinishFound { .. }
                | Input::FinishStarted { .. }
                | Input::FinishAbsent,
                _,
            ) => {}
        }
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
        for (k, timer) in Timer::ALL.into_iter().enumerate() {
            if self.timers[k].is_some_and(|at| at <= now.mono) {
                self.timers[k] = None;
                let wanted = match timer {
                    Timer::RestartInterval => true,
                    Timer::ForkRetry => self.want == Want::Up,
                    Timer::FinishTimeout => false,
                };
                if wanted {
                    self.try_start(now, true, effects);
                }
            }
        }
    }

    fn control(&mut self, byte: u8, now: Now, effects: &mut Vec<Effect>) {
        let child = self.child();
        let signal = |sig, effects: &mut Vec<Effect>| {
            if let Some(pid) = child {
                effects.push(Effect::Signal(pid, sig));
            }
        };
        match byte {
            b'u' => {
                self.want = Want::Up;
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
                if let Some(pid) = child {
                    effects.push(Effect::Signal(pid, Signal::Term));
                    effects.push(Effect::Signal(pid, Signal::Cont));
                    self.paused = false;
                }
                self.announce(effects);
            }
            b'o' => {
                self.want = Want::Nothing;
                if let Phase::Finishing { once, .. } = &mut self.phase {
                    *once = true;
                }
                self.announce(effects);
                self.try_start(now, false, effects);
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
                if let Some(pid) = child {
                    effects.push(Effect::Signal(pid, Signal::Term));
                    effects.push(Effect::Signal(pid, Signal::Cont));
                    if self.paused {
                        self.paused = false;
                        self.announce(effects);
                    }
                }
            }
            b'p' => {
                self.paused = true;
                self.announce(effects);
                signal(Signal::Stop, effects);
            }
            b'c' => {
                self.paused = false;
                self.announce(effects);
                signal(Signal::Cont, effects);
            }
            b'x' => match self.phase {
                Phase::Up { pid, .. } => {
                    self.phase = Phase::Up { pid, exiting: true };
                    self.announce(effects);
                }
                Phase::Spawning { shown, .. } => {
                    self.phase = Phase::Spawning { exiting: true, shown };
                    self.announce(effects);
                }
                // Once `./finish` is done.
                Phase::Finishing { .. } => {
                    if let Phase::Finishing { exiting, .. } = &mut self.phase {
                        *exiting = true;
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

    /// Starts the service unless it runs, or waits until a second has passed since
    /// the last start. `deferred`: called from the timer (see [`Effect::Spawn`]).
    fn try_start(&mut self, now: Now, deferred: bool, effects: &mut Vec<Effect>) {
        let Phase::Down { shown } = self.phase else {
            return;
        };
        let due = self.last_start.map_or(0, |t| t + RESTART_INTERVAL);
        if now.mono >= due {
            self.cancel_starts();
            self.phase = Phase::Spawning {
                exiting: false,
                shown,
            };
            effects.push(Effect::Spawn { deferred });
        } else {
            self.arm(Timer::RestartInterval, due);
        }
    }

    /// Disarms the timers a start waits for (not `./finish`'s).
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
        effects.push(Effect::Exit);
        self.phase = Phase::Exited;
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
        /// A `./finish` exists, with what `timeout-finish` says.
        finish: Option<FinishTimeout>,
    }

    impl Harness {
        fn new() -> Harness {
            Harness {
                s: Supervisor::new(),
                mono: 5_000_000_000,
                next_pid: 100,
                log: Vec::new(),
                fork_fails: false,
                finish: None,
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
                        Effect::Spawn { deferred } => {
                            self.next_pid += 1;
                            let how = if deferred { " deferred" } else { "" };
                            self.log.push(format!("spawn {}{how}", self.next_pid));
                            queue.push(Input::Spawned(self.next_pid));
                        }
                        Effect::Signal(pid, sig) => self.log.push(format!("kill {pid} {sig:?}")),
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
                        // Without a finish script nothing is logged: 0.76's stories stay as they were.
                        Effect::FindFinish => match self.finish {
                            None => queue.push(Input::FinishAbsent),
                            Some(timeout) => queue.push(Input::FinishFound { timeout }),
                        },
                        Effect::RunFinish { code, signal } => {
                            self.next_pid += 1;
                            self.log.push(format!("finish {} {code} {signal}", self.next_pid));
                            queue.push(Input::FinishStarted { pid: self.next_pid });
                        }
                        Effect::WarnTimeoutFinish => self.log.push("warn timeout-finish".into()),
                    }
                }
            }
        }

        fn start(&mut self, down_file: bool) {
            self.send(Input::Start { down_file });
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
        h.finish = Some(FinishTimeout::Millis(3000));
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
        status pid 0 paused 0 want 'u'
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
        h.finish = Some(FinishTimeout::Unlimited);
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
    fn timeout_finish_is_milliseconds() {
        assert_eq!(FinishTimeout::parse(b"2500\n"), FinishTimeout::Millis(2500));
        assert_eq!(FinishTimeout::parse(b" 7 "), FinishTimeout::Millis(7));
        assert_eq!(FinishTimeout::parse(b"0"), FinishTimeout::Unlimited);
        for bad in [
            &b""[..],
            b"-5",
            b"1.5",
            b"ten",
            b"99999999999999999999999",
            b"1 2",
        ] {
            assert_eq!(FinishTimeout::parse(bad), FinishTimeout::Unusable, "{bad:?}");
        }
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
}

//! The supervise machine's invariants, checked after every step of every distinct
//! state reachable within a depth (breadth first, with an input that jumps to the
//! next deadline, so that every timer fires), and of random long sequences
//! (proptest):
//!
//! 1. at most one child at a time, and the machine knows which;
//! 2. no two starts of `./run` less than a second apart;
//! 3. after `x`, exit exactly when no child is left, and nothing after exit;
//! 4. after `d` (or a `down` file), no start until `u` or `o`;
//! 5. after `o`, or `d`, a child's exit is not followed by a start until `u` or `o`;
//! 6. every status record decodes, says what the machine holds, and svstat's line
//!    for it agrees (up ⇔ pid ≠ 0; "paused", "want up", "want down" exactly where
//!    upstream shows them); after every step, the last one written still does;
//! 7. a start is marked deferred exactly when it comes from the timer (it waited for
//!    the restart interval, or after a failed fork), so that nothing waits on it;
//! 8. a service that exits within a second of its start while wanted up reads as up,
//!    with its pid, until the next start (as upstream's does), and no longer: `d`,
//!    `x` or a failed fork write it down at once, dated from its exit;
//! 9. with `./finish` (an extension): it is asked for after every exit of the
//!    service; while it runs the status says down, nothing starts and supervise
//!    does not exit; `timeout-finish` kills it, no sooner; its exit code 125 keeps
//!    the service down until `u` or `o`. Without one, 1–8 as 0.76.
//! 10. the extension files are read after every exit and before `d` or `r` signal
//!     the service, and only then; `d` and `r` send `down-signal`; `timeout-kill`
//!     kills the service, no sooner and no later, to its group with
//!     `flag-timeout-killpg`; a restart after an exit waits `restart-delay` from
//!     the exit (unless `u` or `o` came); the `restart-limit-count`-th exit within
//!     `restart-limit-interval` keeps the service down until `u` or `o`; an exit
//!     after `r` or `d`, or under `o`, counts for neither; with `./finish` or the
//!     limit, each exit is recorded in the death tally, before `./finish` runs.
//! 11. after `+` (until `=` or the end of the read), the signals of `t p c d r` and
//!     the others go to the process group, as those of `P C K` always do; else
//!     to the pid; `./notify` is told each start, exit and failure, in order.
//! 12. with `notification-fd`, each start gets the descriptor and `event/` is made
//!     once; the first newline makes the service ready (told once, `U` after it);
//!     event bytes are written only into an `event/` that exists.
//! 13. `supervise/info` exists exactly while an extension file is in use, is
//!     written only when what it says changes, and after every step says what
//!     the world holds: the running service's pid, a running state exactly while
//!     it runs (`stopping` after `d` or `r`, `ready` once it said so), `finishing`
//!     exactly while `./finish` runs, `failed` only when wanted down, `backoff`
//!     with the time of the restart, the last exit only while down.

use model::status::{Observed, Record, Want, svstat_body};
use model::supervise::info::State;
use model::supervise::settings::{Backoff, Limit};
use model::supervise::{
    Effect, Ended, Info, Input, Notice, Now, PERMANENT_FAILURE, RESTART_INTERVAL, Settings, Signal,
    Supervisor, Timer,
};
use model::tai64::Tai64N;
use proptest::prelude::*;

/// An event of the world around supervise.
#[derive(Clone, Copy, Debug)]
enum Event {
    Control(u8),
    /// The service exits (or, with none, some other child is reaped).
    ChildExits,
    /// Time passes, in milliseconds; a due timer fires.
    Wait(u64),
    /// Time passes until the machine's next deadline, which fires.
    NextDeadline,
    /// The next fork fails.
    ForkWillFail,
    /// `./finish` appears, or goes.
    ToggleFinish,
    /// `./finish` exits with this code.
    FinishExits(i32),
    /// The end of one read from the control FIFO.
    ControlDone,
    /// The service writes a newline to its notification descriptor.
    ServiceReady,
    /// `down-signal` (HUP), `timeout-kill` and `flag-timeout-killpg` appear, or go.
    ToggleStop,
    /// `restart-delay` appears, or goes.
    ToggleBackoff,
    /// `restart-limit-count` and `restart-limit-interval` appear, or go.
    ToggleLimit,
}

/// The `timeout-finish` the world's `./finish` has, in milliseconds.
const FINISH_TIMEOUT_MS: u64 = 1500;
/// The world's `timeout-kill`, `restart-delay`, and restart limit.
const KILL_TIMEOUT_MS: u64 = 1500;
const RESTART_DELAY_MS: u64 = 1500;
const LIMIT: Limit = Limit {
    count: 2,
    interval_ms: 3000,
};

/// 0.76's control bytes, the extensions' (q 1 2 w y b r + = P C K), and one no one
/// knows.
const CONTROLS: &[u8] = b"udoahktipcxq12wybr+=PCKz";

/// The world: the supervisor, the children it has, the clock, and what the
/// invariants need to remember.
#[derive(Clone, Debug)]
struct World {
    s: Supervisor,
    mono: u64,
    live_child: Option<u32>,
    next_pid: u32,
    fork_fails: bool,
    starts: Vec<u64>,
    /// The service exited less than a second after its start and a restart waits:
    /// its pid, and when it exited.
    held: Option<(u32, u64)>,
    /// The last `u`/`d`/`o` (or the `down` file at start) said: no starts.
    down: bool,
    /// A child exited under `o` or `d`: no start until `u` or `o`.
    no_restart: bool,
    exit_asked: bool,
    exited: bool,
    paused: bool,
    /// The last status record written.
    on_disk: Option<[u8; 18]>,
    /// How often each of `Timer::ALL` was due when the timer input was sent.
    fired: [u64; 4],
    finish_exists: bool,
    /// The running `./finish`, and when it started.
    live_finish: Option<(u32, u64)>,
    /// The service just exited, or `d` or `r` came while it runs: the extension
    /// files may be read.
    survey_due: bool,
    /// The signal `d` or `r` is to send first, once the files are read.
    stop_due: Option<Signal>,
    stop_exists: bool,
    backoff_exists: bool,
    limit_exists: bool,
    /// `timeout-kill` runs out then, while the service runs (the world's
    /// `timeout-kill` comes with `flag-timeout-killpg`, both as read at `d` or `r`).
    kill_due: Option<u64>,
    /// No automatic restart before then (`restart-delay` after an exit).
    earliest_start: u64,
    /// The exits the restart limit counts.
    exits: Vec<u64>,
    /// `d` or `r` stopped the service: its exit is not counted.
    restart_asked: bool,
    /// The service exited and the death tally is kept: a record is due, before
    /// `./finish` runs.
    death_due: bool,
    /// `+` came in this read from the control FIFO (and no `=` since).
    to_group: bool,
    /// supervise made `event/`.
    event_dir: bool,
    /// The running service said it is ready.
    ready: bool,
    /// The running service was started with a notification descriptor.
    readiness_watched: bool,
    /// The settings last handed to the machine (at start-up or by a survey).
    surveyed: Settings,
    /// What `./notify` is still to be told, in order.
    notices_due: Vec<(Notice, u32, i32)>,
    /// The last service's pid, whether it leads its process group (`setsid`),
    /// and whether its exit was the one too many.
    last_service: u32,
    service_leads: bool,
    limit_failed: bool,
    /// `./finish` was found: it may be run.
    finish_found: bool,
    /// What `supervise/info` holds.
    info: Option<Info>,
}

impl World {
    fn new(down_file: bool) -> Result<World, String> {
        let mut w = World {
            s: Supervisor::new(),
            mono: 1_000_000_000_000,
            live_child: None,
            next_pid: 1,
            fork_fails: false,
            starts: Vec::new(),
            held: None,
            on_disk: None,
            down: down_file,
            no_restart: false,
            exit_asked: false,
            exited: false,
            paused: false,
            fired: [0; 4],
            finish_exists: false,
            live_finish: None,
            survey_due: false,
            stop_due: None,
            stop_exists: false,
            backoff_exists: false,
            limit_exists: false,
            kill_due: None,
            earliest_start: 0,
            exits: Vec::new(),
            restart_asked: false,
            death_due: false,
            surveyed: Settings::PLAIN,
            to_group: false,
            event_dir: false,
            ready: false,
            readiness_watched: false,
            notices_due: Vec::new(),
            last_service: 0,
            service_leads: false,
            limit_failed: false,
            finish_found: false,
            info: None,
        };
        w.input(Input::Start {
            down_file,
            seed: 1,
            settings: Settings::PLAIN,
            group: 50,
        })?;
        w.input(Input::Ready)?;
        Ok(w)
    }

    fn now(&self) -> Now {
        Now {
            wall: wall(self.mono),
            mono: self.mono,
        }
    }

    fn event(&mut self, e: Event) -> Result<(), String> {
        match e {
            Event::Control(b) => {
                let mut released = None;
                match b {
                    b'u' | b'o' => {
                        self.down = false;
                        self.no_restart = false;
                        self.earliest_start = 0;
                        self.exits.clear();
                    }
                    b'd' => {
                        self.down = true;
                        released = self.held.take();
                        // Stopping a paused service continues it.
                        if self.live_child.is_some() {
                            self.paused = false;
                            self.restart_asked = true;
                            self.stopping();
                        }
                    }
                    // Restart: a running service is stopped and continued as by d.
                    b'r' if self.live_child.is_some() => {
                        self.paused = false;
                        self.restart_asked = true;
                        self.stopping();
                    }
                    b'x' => {
                        self.exit_asked = true;
                        released = self.held.take();
                    }
                    b'p' | b'P' => self.paused = true,
                    b'c' | b'C' => self.paused = false,
                    b'+' => self.to_group = true,
                    b'=' => self.to_group = false,
                    _ => {}
                }
                self.input(Input::Control(b))?;
                if self.survey_due || self.stop_due.is_some() {
                    return Err(format!("{} did not read the files and signal", b as char));
                }
                if let Some((_, exited)) = released {
                    let on_disk = self.on_disk.and_then(|b| Record::decode(&b)).unwrap();
                    if on_disk.stamp != wall(exited) {
                        return Err("a service shown up until d or x is not dated from its exit".into());
                    }
                }
                Ok(())
            }
            Event::ChildExits => match self.live_child.take() {
                Some(pid) => {
                    self.kill_due = None;
                    let counted = self.s.want() == Want::Up && !std::mem::take(&mut self.restart_asked);
                    if self.s.want() != Want::Up {
                        self.no_restart = true;
                    }
                    if counted && self.backoff_exists {
                        self.earliest_start = self.mono + RESTART_DELAY_MS * 1_000_000;
                    }
                    if counted && self.limit_exists {
                        let window = LIMIT.interval_ms * 1_000_000;
                        let now = self.mono;
                        self.exits.retain(|&t| now - t < window);
                        self.exits.push(now);
                        if self.exits.len() >= LIMIT.count as usize {
                            self.exits.clear();
                            self.down = true;
                            self.limit_failed = true;
                        }
                    }
                    let started = *self.starts.last().expect("a child was started");
                    if self.s.want() == Want::Up
                        && !self.down
                        && !self.exit_asked
                        && self.mono < started + RESTART_INTERVAL
                        && !self.finish_exists
                        && !self.backoff_exists
                        && !self.limit_exists
                    {
                        self.held = Some((pid, self.mono));
                    }
                    self.survey_due = true;
                    let result = self.input(Input::Reaped(pid, Ended::Signaled(15)));
                    if self.survey_due || self.death_due {
                        return Err(
                            "the service exited and the files were not read, or its death not recorded"
                                .into(),
                        );
                    }
                    result
                }
                None => self.input(Input::Reaped(999_999, Ended::Exited(0))),
            },
            Event::ToggleFinish => {
                self.finish_exists = !self.finish_exists;
                Ok(())
            }
            Event::ControlDone => {
                self.to_group = false;
                self.input(Input::ControlDone)
            }
            Event::ServiceReady => {
                if let Some(pid) = self.live_child
                    && self.readiness_watched
                    && !std::mem::replace(&mut self.ready, true)
                    && self.surveyed.notify
                {
                    self.notices_due.push((Notice::Ready, pid, 0));
                }
                self.input(Input::ServiceReady)
            }
            Event::ToggleStop => {
                self.stop_exists = !self.stop_exists;
                Ok(())
            }
            Event::ToggleBackoff => {
                self.backoff_exists = !self.backoff_exists;
                Ok(())
            }
            Event::ToggleLimit => {
                self.limit_exists = !self.limit_exists;
                Ok(())
            }
            Event::FinishExits(code) => match self.live_finish.take() {
                Some((pid, _)) => {
                    if code == PERMANENT_FAILURE {
                        self.down = true;
                        if self.s.want() != Want::Down && self.surveyed.notify {
                            self.notices_due
                                .push((Notice::Failed, self.last_service, PERMANENT_FAILURE));
                        }
                    }
                    self.input(Input::Reaped(pid, Ended::Exited(code)))
                }
                None => Ok(()),
            },
            Event::Wait(ms) => {
                self.mono += ms * 1_000_000;
                self.fire_due_timers()?;
                self.check_killed()
            }
            Event::NextDeadline => {
                if let Some(at) = self.s.deadline() {
                    self.mono = self.mono.max(at);
                }
                self.fire_due_timers()?;
                self.check_killed()
            }
            Event::ForkWillFail => {
                self.fork_fails = true;
                Ok(())
            }
        }
    }

    /// `d` or `r` came while the service runs: the files are read, then the
    /// down signal is sent.
    fn stopping(&mut self) {
        self.survey_due = true;
        self.stop_due = Some(if self.stop_exists {
            Signal::Hup
        } else {
            Signal::Term
        });
        self.kill_due = self
            .stop_exists
            .then_some(self.mono + KILL_TIMEOUT_MS * 1_000_000);
    }

    /// What the extension files say in this world.
    fn settings(&self) -> Settings {
        let mut s = Settings::PLAIN;
        if self.finish_exists {
            s.finish = Some(Some(FINISH_TIMEOUT_MS));
        }
        if self.stop_exists {
            s.down_signal = Signal::Hup;
            s.timeout_kill_ms = Some(KILL_TIMEOUT_MS);
            s.killpg = true;
        }
        if self.backoff_exists {
            s.backoff = Backoff {
                delay_ms: RESTART_DELAY_MS,
                ..s.backoff
            };
        }
        if self.limit_exists {
            s.limit = Some(LIMIT);
        }
        if self.finish_exists || self.limit_exists {
            s.death_tally = Some(100);
        }
        // The world's notify comes and goes with its finish, setsid with the stop
        // files, notification-fd with the backoff files.
        s.notify = self.finish_exists;
        s.setsid = self.stop_exists;
        s.notification_fd = self.backoff_exists.then_some(3);
        s.event_dir = self.event_dir;
        s
    }

    /// `timeout-kill` ran out while the service runs: it was killed.
    fn check_killed(&self) -> Result<(), String> {
        match self.kill_due {
            Some(due) if due <= self.mono && self.live_child.is_some() && !self.exited => {
                Err("the service outlived timeout-kill".into())
            }
            _ => Ok(()),
        }
    }

    /// Sends the timer input if a deadline has passed, counting which timers were due.
    fn fire_due_timers(&mut self) -> Result<(), String> {
        let due: Vec<Timer> = Timer::ALL
            .into_iter()
            .filter(|&t| self.s.timer(t).is_some_and(|at| at <= self.mono))
            .collect();
        if due.is_empty() {
            return Ok(());
        }
        for t in due {
            self.fired[t as usize] += 1;
        }
        self.input(Input::Timer)
    }

    fn input(&mut self, input: Input) -> Result<(), String> {
        let mut queue = vec![input];
        while let Some(input) = queue.pop() {
            let mut effects = Vec::new();
            self.s.handle(input, self.now(), &mut effects);
            for e in effects {
                if self.exited {
                    return Err(format!("{e:?} after exit"));
                }
                match e {
                    Effect::Spawn {
                        deferred,
                        setsid,
                        notification_fd,
                    } => {
                        if setsid != self.surveyed.setsid || notification_fd != self.surveyed.notification_fd
                        {
                            return Err(format!("started with setsid {setsid}, {notification_fd:?}"));
                        }
                        self.ready = false;
                        self.readiness_watched = notification_fd.is_some();
                        if deferred != matches!(input, Input::Timer) {
                            return Err(format!("a start deferred {deferred} on {input:?}"));
                        }
                        if self.live_child.is_some() {
                            return Err("a second child".into());
                        }
                        if self.live_finish.is_some() {
                            return Err("started while ./finish runs".into());
                        }
                        if self.down {
                            return Err("started while wanted down".into());
                        }
                        if self.no_restart {
                            return Err("restarted after o or d".into());
                        }
                        if self.exit_asked {
                            return Err("started after x".into());
                        }
                        if self.mono < self.earliest_start {
                            return Err("restarted before restart-delay".into());
                        }
                        if let Some(&last) = self.starts.last()
                            && self.mono < last + RESTART_INTERVAL
                        {
                            return Err(format!("two starts {} ns apart", self.mono - last));
                        }
                        self.held = None;
                        self.restart_asked = false;
                        if std::mem::take(&mut self.fork_fails) {
                            queue.push(Input::SpawnFailed(11));
                        } else {
                            self.starts.push(self.mono);
                            self.paused = false;
                            self.next_pid += 1;
                            self.live_child = Some(self.next_pid);
                            self.last_service = self.next_pid;
                            self.service_leads = setsid;
                            if self.surveyed.notify {
                                self.notices_due.push((Notice::Start, self.next_pid, 0));
                            }
                            queue.push(Input::Spawned(self.next_pid));
                        }
                    }
                    Effect::SignalGroup(pid, signal) if !matches!(input, Input::Timer) => {
                        let group = self.to_group || matches!(input, Input::Control(b'P' | b'C' | b'K'));
                        if Some(pid) != self.live_child || !group {
                            return Err(format!("{signal:?} to the group of {pid}, not asked"));
                        }
                        if self.stop_due.is_some() && Some(signal) != self.stop_due.take() {
                            return Err(format!("{signal:?} sent for d or r"));
                        }
                    }
                    Effect::Signal(pid, signal)
                        if Some(pid) == self.live_child
                            && self.to_group
                            && !matches!(input, Input::Timer) =>
                    {
                        return Err(format!("{signal:?} to the pid after +"));
                    }
                    Effect::SignalGroup(pid, signal) => {
                        let due = self.kill_due.take();
                        if Some(pid) != self.live_child
                            || signal != Signal::Kill
                            || due.is_none_or(|at| at > self.mono)
                        {
                            return Err(format!("{signal:?} to the group of {pid} out of turn"));
                        }
                    }
                    Effect::Signal(pid, signal)
                        if Some(pid) == self.live_child && self.stop_due.is_some() =>
                    {
                        if Some(signal) != self.stop_due.take() {
                            return Err(format!("{signal:?} sent for d or r"));
                        }
                    }
                    Effect::Signal(pid, Signal::Kill)
                        if Some(pid) == self.live_child && matches!(input, Input::Timer) =>
                    {
                        return Err("SIGKILL to the pid with flag-timeout-killpg".into());
                    }
                    Effect::Signal(pid, signal) => match self.live_finish {
                        Some((finish, started)) if finish == pid => {
                            let due = started + FINISH_TIMEOUT_MS * 1_000_000;
                            if signal != model::supervise::Signal::Kill || self.mono < due {
                                return Err(format!(
                                    "{signal:?} to ./finish {} ms after its start",
                                    (self.mono - started) / 1_000_000
                                ));
                            }
                        }
                        _ if Some(pid) != self.live_child => {
                            return Err(format!("signal to {pid}, not the service"));
                        }
                        _ => {}
                    },
                    Effect::Survey => {
                        if !std::mem::take(&mut self.survey_due) {
                            return Err("the files read out of turn".into());
                        }
                        self.finish_found = self.finish_exists && self.live_child.is_none();
                        self.death_due =
                            self.live_child.is_none() && (self.finish_exists || self.limit_exists);
                        // Exits are remembered only while the limit is in use.
                        if !self.limit_exists {
                            self.exits.clear();
                        }
                        self.surveyed = self.settings();
                        if self.live_child.is_none() && self.surveyed.notify {
                            self.notices_due.push((Notice::Killed, self.last_service, 15));
                            if self.limit_failed {
                                self.notices_due.push((Notice::Failed, self.last_service, 15));
                            }
                        }
                        self.limit_failed = false;
                        queue.push(Input::Surveyed(self.surveyed));
                    }
                    Effect::MakeEventDir => {
                        if self.surveyed.notification_fd.is_none() || self.event_dir {
                            return Err("event/ made out of turn".into());
                        }
                        self.event_dir = true;
                    }
                    Effect::Event(byte) => {
                        if !self.event_dir || !b"suUdDOx".contains(&byte) {
                            return Err(format!("event {} without event/", byte as char));
                        }
                        if byte == b'U' && !self.ready {
                            return Err("U before the service was ready".into());
                        }
                    }
                    Effect::Notify { event, pid, code } => {
                        if self.notices_due.first() != Some(&(event, pid, code)) {
                            return Err(format!("notify {event:?} {pid} {code} out of turn"));
                        }
                        self.notices_due.remove(0);
                    }
                    Effect::RecordDeath { record, max } => {
                        if !std::mem::take(&mut self.death_due) || max != 100 || record[12..] != [143, 15] {
                            return Err(format!("death {:?} recorded out of turn", &record[12..]));
                        }
                    }
                    Effect::RunFinish { code, signal, pgid } => {
                        let group = if self.service_leads { self.last_service } else { 50 };
                        if pgid != group {
                            return Err(format!("./finish told process group {pgid}, not {group}"));
                        }
                        if self.death_due {
                            return Err("./finish run before the death was recorded".into());
                        }
                        if !std::mem::take(&mut self.finish_found) || (code, signal) != (-1, 15) {
                            return Err(format!("./finish {code} {signal} run out of turn"));
                        }
                        // The status said down before it starts.
                        let on_disk = self.on_disk.and_then(|b| Record::decode(&b)).unwrap();
                        if on_disk.pid != 0 {
                            return Err("./finish started while the status shows a pid".into());
                        }
                        self.next_pid += 1;
                        self.live_finish = Some((self.next_pid, self.mono));
                        queue.push(Input::FinishStarted { pid: self.next_pid });
                    }
                    Effect::Warn(file) => return Err(format!("warned of a usable {file:?}")),
                    Effect::WriteStatus(bytes) => {
                        self.check_record(&bytes)?;
                        self.on_disk = Some(bytes);
                    }
                    Effect::WriteInfo => {
                        let info = self.s.info().copied();
                        if info.is_none() || info == self.info {
                            return Err(format!("supervise/info written unchanged: {info:?}"));
                        }
                        self.info = info;
                    }
                    Effect::RemoveInfo => {
                        if self.info.take().is_none() {
                            return Err("supervise/info removed, and there was none".into());
                        }
                    }
                    Effect::WarnForkFailed { errno, retry_secs } => {
                        if (errno, retry_secs) != (11, 60) {
                            return Err(format!("warned of errno {errno}, {retry_secs} s"));
                        }
                    }
                    Effect::Exit => {
                        if !self.exit_asked || self.live_child.is_some() || self.live_finish.is_some() {
                            return Err("exit without x, or with a child left".into());
                        }
                        self.exited = true;
                    }
                }
            }
        }
        // What the status file holds after the step says what the machine holds.
        if let Some(bytes) = self.on_disk {
            self.check_record(&bytes)?;
        }
        if self.s.child() != self.live_child {
            return Err(format!(
                "machine thinks {:?}, world has {:?}",
                self.s.child(),
                self.live_child
            ));
        }
        if !self.notices_due.is_empty() {
            return Err(format!("notify never told {:?}", self.notices_due));
        }
        self.check_info()?;
        if self.exit_asked && self.live_child.is_none() && self.live_finish.is_none() && !self.exited {
            return Err("x given and no child, but no exit".into());
        }
        if let (Some(_), Some(&started)) = (self.held, self.starts.last())
            && self.mono >= started + RESTART_INTERVAL
        {
            return Err("an exited pid shown past the restart interval".into());
        }
        Ok(())
    }

    fn check_info(&self) -> Result<(), String> {
        let in_use = self.surveyed != Settings::PLAIN;
        let Some(info) = self.info else {
            return if in_use {
                Err("extension files in use and no supervise/info".into())
            } else {
                Ok(())
            };
        };
        if !in_use {
            return Err("supervise/info kept with no extension file".into());
        }
        if self.s.info() != Some(&info) {
            return Err(format!(
                "supervise/info {info:?} is not the machine's {:?}",
                self.s.info()
            ));
        }
        let runs = self.live_child.is_some();
        let running = matches!(
            info.state,
            State::Starting | State::Up | State::Ready | State::Stopping
        );
        let checks = [
            ("pid", info.pid == self.live_child),
            ("running state", running == runs),
            (
                "stopping",
                (info.state == State::Stopping) == (runs && self.restart_asked),
            ),
            ("ready", info.ready_since.is_some() == (runs && self.ready)),
            (
                "finishing",
                (info.state == State::Finishing) == self.live_finish.is_some(),
            ),
            (
                "failed",
                info.state != State::Failed || self.s.want() == Want::Down,
            ),
            (
                "backoff",
                (info.state == State::Backoff) <= info.next_start.is_some(),
            ),
            (
                "next start",
                info.next_start.is_none() || info.state == State::Backoff,
            ),
            ("want", info.want == self.s.want()),
            ("paused", info.paused == (runs && self.paused)),
            ("last exit", info.last_exit.is_some() != runs),
        ];
        match checks.iter().find(|(_, holds)| !holds) {
            Some((what, _)) => Err(format!("supervise/info's {what} is wrong: {info:?}")),
            None => Ok(()),
        }
    }

    fn check_record(&self, bytes: &[u8; 18]) -> Result<(), String> {
        let r = Record::decode(bytes).ok_or("record does not decode")?;
        let pid = self.live_child.or(self.held.map(|(pid, _)| pid)).unwrap_or(0);
        let want = self.s.want();
        if r.pid != pid {
            return Err(format!("record says pid {}, machine {pid}", r.pid));
        }
        let expected = Record::new(r.stamp, pid, self.paused && pid != 0, want);
        if r != expected {
            return Err(format!("record {r:?}, expected {expected:?}"));
        }
        for down_file in [false, true] {
            let line = svstat_body(Observed::Status {
                bytes,
                down_file,
                now: 1_000_000,
                state: None,
            });
            let up = pid != 0;
            let checks = [
                (line.starts_with("up (pid "), up),
                (line.starts_with("down "), !up),
                (line.contains(", paused"), up && self.paused),
                (line.contains(", want up"), !up && want == Want::Up),
                (line.contains(", want down"), up && want == Want::Down),
                (line.contains(", normally down"), up && down_file),
                (line.contains(", normally up"), !up && !down_file),
            ];
            if checks.iter().any(|(seen, expected)| seen != expected) {
                return Err(format!("svstat line {line:?} for {r:?}"));
            }
        }
        Ok(())
    }
}

fn wall(mono: u64) -> Tai64N {
    Tai64N::from_unix_micros(
        (mono / 1_000_000_000) as i64,
        (mono % 1_000_000_000 / 1000) as u32,
    )
}

fn alphabet() -> Vec<Event> {
    let mut a: Vec<Event> = CONTROLS.iter().map(|&b| Event::Control(b)).collect();
    a.extend([
        Event::ChildExits,
        Event::Wait(300),
        Event::Wait(1000),
        Event::NextDeadline,
        Event::ForkWillFail,
        Event::ToggleFinish,
        Event::FinishExits(0),
        Event::FinishExits(PERMANENT_FAILURE),
        Event::ControlDone,
        Event::ServiceReady,
    ]);
    a
}

/// What decides a world's future: the machine as seen from now, and what the world
/// and the invariants remember (not pid numbers, stamps or the clock's reading).
fn key(w: &World) -> impl std::hash::Hash + Eq + use<> {
    let since_start = w.starts.last().map(|&t| (w.mono - t).min(RESTART_INTERVAL));
    let on_disk = w
        .on_disk
        .and_then(|b| Record::decode(&b))
        .map(|r| (r.pid != 0, r.paused, r.want));
    (
        w.s.abstracted(w.mono),
        w.live_child.is_some(),
        w.held.is_some(),
        since_start,
        (
            w.finish_exists,
            w.live_finish
                .map(|(_, started)| (w.mono - started).min(FINISH_TIMEOUT_MS * 1_000_000)),
        ),
        (
            w.stop_exists,
            w.backoff_exists,
            w.limit_exists,
            w.kill_due.map(|at| at.saturating_sub(w.mono)),
            w.earliest_start.saturating_sub(w.mono),
            w.exits
                .iter()
                .map(|&t| (w.mono - t).min(LIMIT.interval_ms * 1_000_000))
                .collect::<Vec<_>>(),
            w.restart_asked,
            w.ready,
            w.event_dir,
            w.readiness_watched,
        ),
        (
            w.fork_fails,
            w.down,
            w.no_restart,
            w.exit_asked,
            w.exited,
            w.paused,
        ),
        on_disk,
    )
}

/// Every distinct state reachable within `depth` events, breadth first, each step
/// checked, from a service directory with and without a `down` file and with each
/// combination of the stop, backoff and limit files (`./finish` comes and goes
/// among the events; the others do in the random sequences). Returns how many
/// distinct states, and how often each timer fired.
fn explore(depth: usize) -> (usize, [u64; 4]) {
    let alphabet = alphabet();
    let mut seen = std::collections::HashSet::new();
    let mut level: Vec<(World, Vec<Event>)> = Vec::new();
    for files in 0..8 {
        for down_file in [false, true] {
            let mut w = World::new(down_file).unwrap();
            let toggles = [Event::ToggleStop, Event::ToggleBackoff, Event::ToggleLimit];
            for (bit, toggle) in toggles.into_iter().enumerate() {
                if files & (1 << bit) != 0 {
                    w.event(toggle).unwrap();
                }
            }
            if seen.insert(key(&w)) {
                level.push((w, Vec::new()));
            }
        }
    }
    let mut fired = [0; 4];
    for _ in 0..depth {
        let mut next_level = Vec::new();
        for (world, path) in &level {
            if world.exited {
                continue;
            }
            for &e in &alphabet {
                let mut next = world.clone();
                next.fired = [0; 4];
                if let Err(why) = next.event(e) {
                    panic!("{why} after {path:?} then {e:?}");
                }
                for (total, n) in fired.iter_mut().zip(next.fired) {
                    *total += n;
                }
                if seen.insert(key(&next)) {
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
fn every_distinct_state_within_twenty_events() {
    let depth: usize = std::env::var("SUPERVISE_DEPTH").map_or(20, |d| d.parse().unwrap());
    let (states, fired) = explore(depth);
    println!(
        "supervise model check: {states} distinct states within {depth} events; timers fired: restart interval {}, fork retry {}, finish timeout {}, kill timeout {}",
        fired[0], fired[1], fired[2], fired[3]
    );
    for (timer, n) in Timer::ALL.iter().zip(fired) {
        assert!(n > 0, "{timer:?} never fired");
    }
    assert!(states > 100, "only {states} states");
}

fn event() -> impl Strategy<Value = Event> {
    prop_oneof![
        6 => proptest::sample::select(CONTROLS).prop_map(Event::Control),
        3 => Just(Event::ChildExits),
        4 => (0u64..2500).prop_map(Event::Wait),
        1 => Just(Event::NextDeadline),
        1 => Just(Event::ForkWillFail),
        1 => Just(Event::ToggleFinish),
        1 => Just(Event::ControlDone),
        1 => Just(Event::ServiceReady),
        1 => Just(Event::ToggleStop),
        1 => Just(Event::ToggleBackoff),
        1 => Just(Event::ToggleLimit),
        2 => prop_oneof![Just(0), Just(PERMANENT_FAILURE), Just(1)].prop_map(Event::FinishExits),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn random_long_sequences(down_file: bool, events in proptest::collection::vec(event(), 0..60)) {
        let mut world = World::new(down_file).map_err(TestCaseError::fail)?;
        for e in events {
            if world.exited {
                break;
            }
            world.event(e).map_err(TestCaseError::fail)?;
        }
    }
}

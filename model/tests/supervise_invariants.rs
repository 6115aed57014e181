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
//!    service and only then; while it runs the status says down, nothing starts
//!    and supervise does not exit; `timeout-finish` kills it, no sooner; its exit
//!    code 125 keeps the service down until `u` or `o`. Without one, 1–8 as 0.76.

use model::status::{Observed, Record, Want, svstat_body};
use model::supervise::{
    Effect, Ended, FinishTimeout, Input, Now, PERMANENT_FAILURE, RESTART_INTERVAL, Supervisor, Timer,
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
}

/// The `timeout-finish` the world's `./finish` has, in milliseconds.
const FINISH_TIMEOUT_MS: u64 = 1500;

/// 0.76's control bytes, the extensions' (q 1 2 w y b r), and one no one knows.
const CONTROLS: &[u8] = b"udoahktipcxq12wybrz";

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
    fired: [u64; 3],
    finish_exists: bool,
    /// The running `./finish`, and when it started.
    live_finish: Option<(u32, u64)>,
    /// The service just exited: `./finish` may be looked for.
    finish_due: bool,
    /// `./finish` was found: it may be run.
    finish_found: bool,
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
            fired: [0; 3],
            finish_exists: false,
            live_finish: None,
            finish_due: false,
            finish_found: false,
        };
        w.input(Input::Start { down_file })?;
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
                    }
                    b'd' => {
                        self.down = true;
                        released = self.held.take();
                        // Stopping a paused service continues it.
                        if self.live_child.is_some() {
                            self.paused = false;
                        }
                    }
                    // Restart: a running service is stopped and continued as by d.
                    b'r' if self.live_child.is_some() => self.paused = false,
                    b'x' => {
                        self.exit_asked = true;
                        released = self.held.take();
                    }
                    b'p' => self.paused = true,
                    b'c' => self.paused = false,
                    _ => {}
                }
                self.input(Input::Control(b))?;
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
                    if self.s.want() != Want::Up {
                        self.no_restart = true;
                    }
                    let started = *self.starts.last().expect("a child was started");
                    if self.s.want() == Want::Up
                        && !self.exit_asked
                        && self.mono < started + RESTART_INTERVAL
                        && !self.finish_exists
                    {
                        self.held = Some((pid, self.mono));
                    }
                    self.finish_due = true;
                    let result = self.input(Input::Reaped(pid, Ended::Signaled(15)));
                    if self.finish_due {
                        return Err("the service exited and ./finish was not asked for".into());
                    }
                    result
                }
                None => self.input(Input::Reaped(999_999, Ended::Exited(0))),
            },
            Event::ToggleFinish => {
                self.finish_exists = !self.finish_exists;
                Ok(())
            }
            Event::FinishExits(code) => match self.live_finish.take() {
                Some((pid, _)) => {
                    if code == PERMANENT_FAILURE {
                        self.down = true;
                    }
                    self.input(Input::Reaped(pid, Ended::Exited(code)))
                }
                None => Ok(()),
            },
            Event::Wait(ms) => {
                self.mono += ms * 1_000_000;
                self.fire_due_timers()
            }
            Event::NextDeadline => {
                if let Some(at) = self.s.deadline() {
                    self.mono = self.mono.max(at);
                }
                self.fire_due_timers()
            }
            Event::ForkWillFail => {
                self.fork_fails = true;
                Ok(())
            }
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
                    Effect::Spawn { deferred } => {
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
                        if let Some(&last) = self.starts.last()
                            && self.mono < last + RESTART_INTERVAL
                        {
                            return Err(format!("two starts {} ns apart", self.mono - last));
                        }
                        self.held = None;
                        if std::mem::take(&mut self.fork_fails) {
                            queue.push(Input::SpawnFailed(11));
                        } else {
                            self.starts.push(self.mono);
                            self.paused = false;
                            self.next_pid += 1;
                            self.live_child = Some(self.next_pid);
                            queue.push(Input::Spawned(self.next_pid));
                        }
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
                    Effect::FindFinish => {
                        if !std::mem::take(&mut self.finish_due) {
                            return Err("./finish looked for out of turn".into());
                        }
                        if self.finish_exists {
                            self.finish_found = true;
                            queue.push(Input::FinishFound {
                                timeout: FinishTimeout::Millis(FINISH_TIMEOUT_MS),
                            });
                        } else {
                            queue.push(Input::FinishAbsent);
                        }
                    }
                    Effect::RunFinish { code, signal } => {
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
                    Effect::WarnTimeoutFinish => return Err("warned of a usable timeout-finish".into()),
                    Effect::WriteStatus(bytes) => {
                        self.check_record(&bytes)?;
                        self.on_disk = Some(bytes);
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
/// checked. Returns how many distinct states, and how often each timer fired.
fn explore(depth: usize) -> (usize, [u64; 3]) {
    let alphabet = alphabet();
    let mut seen = std::collections::HashSet::new();
    let mut level: Vec<(World, Vec<Event>)> = Vec::new();
    for down_file in [false, true] {
        let w = World::new(down_file).unwrap();
        if seen.insert(key(&w)) {
            level.push((w, Vec::new()));
        }
    }
    let mut fired = [0; 3];
    for _ in 0..depth {
        let mut next_level = Vec::new();
        for (world, path) in &level {
            if world.exited {
                continue;
            }
            for &e in &alphabet {
                let mut next = world.clone();
                next.fired = [0; 3];
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
    const DEPTH: usize = 20;
    let (states, fired) = explore(DEPTH);
    println!(
        "supervise model check: {states} distinct states within {DEPTH} events; timers fired: restart interval {}, fork retry {}, finish timeout {}",
        fired[0], fired[1], fired[2]
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

//! A log directory's lifecycle (spec 11.5–11.7) as a machine: start-up and recovery
//! from whatever a crash left, the rotation of a full `current` (with or without a
//! processor), naming and retiring old files, the pause after every failure, and the
//! clean close at the end of input.
//!
//! Sans-IO, as `supervise`: the runtime takes the machine's [`Effect`]s one at a time
//! ([`LogDir::poll`]) and carries each out. A [`Call`] is one system call (or one
//! small action: fork the processor) and the machine waits for its result, given back
//! as [`Input::Answer`] (a stat, a listing, a pid, an exit status, or the errno). A
//! warning or a fatal error comes as the text to print. After a warning the machine
//! pauses five seconds, as upstream, saying until when ([`LogDir::deadline`]), and
//! goes on at [`Input::Timer`]. Time is an input ([`Now`]), never read here: the
//! machine asks for it ([`Call::Now`]) where it needs it, to name a file or to start
//! a pause, and nowhere else (a program that never rotates never reads it). Between
//! rotations the machine is idle: `current` is open for the runtime's writes, whose
//! failures it reports as [`Input::WriteFailed`].
//!
//! What the machine does is written as programs of [`Step`]s ([`Program::steps`]); what
//! a failed step means (a fatal error at start-up, a warning, a pause and the same
//! call again, or nothing) is [`LogDir::on_error`], with upstream's messages.
//!
//! The protocol keeps every line through a crash at any point (checked in
//! `tests/multilog_invariants.rs`, which crashes this machine between any two calls
//! and fails each call in turn):
//! - a full `current` is fsynced and renamed `previous` before a new `current`
//!   exists; `previous` is given its own name (`finish`) and only then unlinked;
//! - `finish` links before it unlinks, and links only a file with one link: after a
//!   crash between the two, the second attempt just unlinks;
//! - with a processor, `processed` (marked finished by its owner-execute bit) and
//!   `newstate` are on disk before `previous` goes, and `newstate` becomes `state`
//!   only after that: recovery keeps either the processed output or the unprocessed
//!   input, never both, never neither;
//! - start-up resumes a `current` closed cleanly (owner-execute bit set at the end of
//!   input); any other `current` was being written at a crash and is kept as `.u`.

use super::rotation::{finished_name, to_remove, to_trim};
use crate::tai64::Tai64N;

/// How long upstream pauses after every warning before it tries again (nanoseconds).
pub const PAUSE: u64 = 5_000_000_000;
/// The errno of a file that does not exist (the same value on every Unix).
pub const ENOENT: i32 = 2;

/// The current time: the wall clock names finished files, a monotonic clock (in
/// nanoseconds) times the pauses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Now {
    pub wall: Tai64N,
    pub mono: u64,
}

/// A file of the log directory, by its name there.
pub type File = &'static str;

/// One system call, or one small action, for the runtime to carry out and answer.
/// Names are relative to the working directory: the log directory once entered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Call {
    /// Read the clocks: answered with [`Answer::Now`].
    Now,
    /// fchdir to the directory multilog started in.
    EnterStart,
    /// mkdir(path, 0700), relative to the start.
    MakeDir,
    /// open(path, read-only), relative to the start, kept as the directory's handle.
    OpenDir,
    /// fchdir to the directory's handle.
    Enter,
    /// Open `lock` (append, create, 0600) and flock it exclusively without waiting;
    /// held until exit.
    Lock,
    /// stat(file): answered with [`Answer::Stat`].
    Stat(File),
    /// Open `current` (append, create, 0600) for the runtime's writes, in place of the
    /// one open before (closed). It holds 0 bytes, or what [`LogDir::start_bytes`] says
    /// once start-up resumed it.
    OpenCurrent,
    /// fsync the open `current`.
    FsyncCurrent,
    /// fchmod the open `current`.
    FchmodCurrent(u32),
    /// Open `file` (append, create, 0600): the file in hand.
    Open(File),
    /// fsync the file in hand (named for the messages).
    Fsync(File),
    /// fchmod the file in hand.
    Fchmod(File, u32),
    /// Close the file in hand.
    Close(File),
    /// chmod(file, mode).
    Chmod(File, u32),
    /// rename(from, to).
    Rename(File, File),
    /// unlink(file).
    Unlink(File),
    /// link(file, name).
    Link(File, [u8; 27]),
    /// unlink an old file, by the name the listing gave.
    Remove(Vec<u8>),
    /// List the directory: answered with [`Answer::Listing`].
    List,
    /// List the directory with each entry's size (lstat): answered with
    /// [`Answer::Sizes`]. Only with a cap on the old files' total (`S`).
    ListSizes,
    /// Open `state` (write, truncate, create, 0644), empty, and close it.
    EmptyState,
    /// Fork the processor: in the child, `previous` on fd 0, `processed` truncated on
    /// 1, `state` on 4, `newstate` truncated on 5, then `/bin/sh -c processor`.
    /// Answered with [`Answer::Forked`].
    Fork,
    /// Wait for the processor: answered with [`Answer::Exited`] or [`Answer::Crashed`].
    Wait(u32),
}

/// A call's result, when it succeeded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    /// Done; nothing to tell.
    Done,
    Now(Now),
    Stat {
        mode: u32,
        size: u64,
        nlink: u64,
    },
    /// The directory's entries (`.` and `..` or not), in the order read.
    Listing(Vec<Vec<u8>>),
    /// The directory's entries and their sizes, in the order read (one that vanished
    /// while it was listed left out).
    Sizes(Vec<(Vec<u8>, u64)>),
    Forked(u32),
    Exited(i32),
    /// Killed by a signal. `errno` is what errno held then: upstream prints it.
    Crashed {
        errno: i32,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    /// The result of the last [`Call`]: its answer, or the errno it failed with.
    Answer(Result<Answer, i32>),
    /// `current` is full (or SIGALRM): rotate it. Only when idle.
    Rotate,
    /// A write to `current` failed with this errno (0 bytes written: EIO). Only when
    /// idle; the runtime writes again once the machine is idle again.
    WriteFailed(i32),
    /// The end of input: put `current` on disk and mark it closed. Only when idle.
    Close,
    /// The deadline passed; the time now.
    Timer(Now),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Effect {
    /// Carry it out and answer with [`Input::Answer`] before anything else.
    Call(Call),
    /// `multilog: warning: <text>` and, with an errno, `: <its text>`.
    Warn { text: Vec<u8>, errno: Option<i32> },
    /// `multilog: fatal: <text>[: <errno's text>]`, and exit 111.
    Fatal { text: Vec<u8>, errno: Option<i32> },
}

/// One step of a program; most are one call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    EnterStart,
    MakeDir,
    OpenDir,
    Enter,
    Lock,
    /// stat `current`, and after a crash `processed`: resume or repair.
    Inspect,
    SyncCurrent,
    OpenCurrent,
    CurrentMode(u32),
    Rename(File, File),
    Chmod(File, u32),
    /// Run the processor until it exits 0.
    Process,
    /// Open `file` (append, create), to sync it, set its mode, close it.
    Open(File),
    Sync(File),
    Mode(File, u32),
    Close(File),
    /// unlink(file), retried until it succeeds.
    Unlink(File),
    /// unlink(file), whatever happens (recovery's clean-up, as upstream).
    Discard(File),
    /// Give `file` a name of its own, `@<label>.<code>`, then keep at most num−1 such
    /// files (spec 11.7): stat; link if it has one link; unlink; list and remove the
    /// oldest until they fit. With `S`, then the oldest until their total fits.
    Finish(File, u8),
    /// Create an empty `state`.
    EmptyState,
}

/// What the machine is doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Program {
    /// Start-up: enter the directory, lock it, look at what is there.
    Start,
    /// `current` was closed cleanly: append to it.
    Resume,
    /// A crash: keep `previous` unprocessed and `current`, start anew.
    Repair,
    /// A crash after `processed` was finished: keep it, and `current`, start anew.
    RepairProcessed,
    /// Rotate a full `current`.
    Rotate,
    /// Rotate a full `current` through the processor.
    RotateProcessed,
    /// At the end of input: `current` on disk, marked closed (owner-execute bit).
    Close,
}

use Step::*;

const START: &[Step] = &[EnterStart, MakeDir, OpenDir, Enter, Lock, Inspect];

const RESUME: &[Step] = &[OpenCurrent, CurrentMode(0o644)];

/// Recovery when `processed` had been finished: the processor's output is kept.
const REPAIR_PROCESSED: &[Step] = &[
    Discard("state"),
    Discard("newstate"),
    Discard("previous"),
    Finish("processed", b's'),
    Finish("current", b'u'),
    EmptyState,
    OpenCurrent,
    CurrentMode(0o644),
];

/// Recovery otherwise: `previous` is kept, unprocessed.
const REPAIR: &[Step] = &[
    Discard("state"),
    Discard("newstate"),
    Discard("processed"),
    Finish("previous", b'u'),
    Finish("current", b'u'),
    EmptyState,
    OpenCurrent,
    CurrentMode(0o644),
];

const ROTATE: &[Step] = &[
    Enter,
    SyncCurrent,
    Rename("current", "previous"),
    OpenCurrent,
    CurrentMode(0o644),
    Chmod("previous", 0o744),
    Finish("previous", b's'),
];

const ROTATE_PROCESSED: &[Step] = &[
    Enter,
    SyncCurrent,
    Rename("current", "previous"),
    OpenCurrent,
    CurrentMode(0o644),
    Chmod("previous", 0o744),
    Process,
    Open("processed"),
    Sync("processed"),
    Mode("processed", 0o744),
    Close("processed"),
    Open("newstate"),
    Sync("newstate"),
    Close("newstate"),
    Unlink("previous"),
    Rename("newstate", "state"),
    Finish("processed", b's'),
];

const CLOSE: &[Step] = &[SyncCurrent, CurrentMode(0o744)];

impl Program {
    pub fn steps(self) -> &'static [Step] {
        match self {
            Program::Start => START,
            Program::Resume => RESUME,
            Program::Repair => REPAIR,
            Program::RepairProcessed => REPAIR_PROCESSED,
            Program::Rotate => ROTATE,
            Program::RotateProcessed => ROTATE_PROCESSED,
            Program::Close => CLOSE,
        }
    }

    /// Before the first line is read: a failure to make the new `current` is fatal.
    fn starting(self) -> bool {
        matches!(
            self,
            Program::Start | Program::Resume | Program::Repair | Program::RepairProcessed
        )
    }
}

/// Where in a step with several calls.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Sub {
    /// The step's (first) call.
    First,
    /// Inspect: `current` was not closed cleanly; `processed` is looked at.
    StatProcessed,
    /// Process: waiting for the processor.
    Wait(u32),
    /// Finish: linking to this name.
    Link([u8; 27]),
    /// Finish: unlinking the file.
    Unlink,
    /// Finish: counting old files.
    List,
    /// Finish: removing the oldest.
    Remove(Vec<u8>),
    /// Finish, with `S`: adding up the old files' sizes.
    Sizes,
    /// Finish, with `S`: removing the oldest while they hold too much.
    Trim(Vec<u8>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Pos {
    program: Program,
    at: usize,
    sub: Sub,
}

impl Pos {
    fn step(&self) -> Step {
        self.program.steps()[self.at]
    }

    fn with(self, sub: Sub) -> Pos {
        Pos { sub, ..self }
    }
}

/// What the time is asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Then {
    /// To warn and pause.
    Pause {
        text: Vec<u8>,
        errno: Option<i32>,
        after: After,
    },
    /// To name the file of this step of finish.
    Link(Pos),
}

/// What follows a pause.
#[derive(Clone, Debug, PartialEq, Eq)]
enum After {
    /// The same call again (a link under a fresh name).
    Retry(Pos),
    /// The processor crashed or could not be waited for: upstream then says it
    /// failed, and pauses again, before it runs it anew.
    ProcessorFailed(Pos),
    /// A write failed: idle again, for the runtime to write once more.
    Write,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Phase {
    /// A call of this step is out, awaiting its answer.
    Run(Pos),
    /// The clocks are being read, for this.
    Clock(Then),
    /// After a warning, until `until` (monotonic).
    Paused { until: u64, after: After },
    /// `current` is open for writing.
    Idle,
    /// A fatal error: multilog exits.
    Failed,
    /// Closed at the end of input.
    Closed,
}

/// What a failed call means.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OnError {
    /// Nothing: go on (as upstream, which does not look).
    Ignore,
    /// Warn with this text, pause, and try the same call again.
    Retry(Vec<u8>),
    /// Exit with this text.
    Fatal(Vec<u8>),
}

/// The call a position makes.
fn call(pos: &Pos) -> Call {
    match (&pos.sub, pos.step()) {
        (Sub::First, step) => match step {
            EnterStart => Call::EnterStart,
            MakeDir => Call::MakeDir,
            OpenDir => Call::OpenDir,
            Enter => Call::Enter,
            Lock => Call::Lock,
            Inspect => Call::Stat("current"),
            SyncCurrent => Call::FsyncCurrent,
            OpenCurrent => Call::OpenCurrent,
            CurrentMode(mode) => Call::FchmodCurrent(mode),
            Rename(from, to) => Call::Rename(from, to),
            Chmod(file, mode) => Call::Chmod(file, mode),
            Process => Call::Fork,
            Open(file) => Call::Open(file),
            Sync(file) => Call::Fsync(file),
            Mode(file, mode) => Call::Fchmod(file, mode),
            Close(file) => Call::Close(file),
            Unlink(file) | Discard(file) => Call::Unlink(file),
            Finish(file, _) => Call::Stat(file),
            EmptyState => Call::EmptyState,
        },
        (Sub::StatProcessed, _) => Call::Stat("processed"),
        (Sub::Wait(pid), _) => Call::Wait(*pid),
        (Sub::Link(name), Finish(file, _)) => Call::Link(file, *name),
        (Sub::Unlink, Finish(file, _)) => Call::Unlink(file),
        (Sub::List, _) => Call::List,
        (Sub::Remove(name) | Sub::Trim(name), _) => Call::Remove(name.clone()),
        (Sub::Sizes, _) => Call::ListSizes,
        _ => unreachable!("no such call"),
    }
}

/// A message: its parts, joined.
fn text(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

/// One log directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogDir {
    /// As the script names it: messages show it.
    path: Vec<u8>,
    num: u64,
    /// `S`: the most the old files may hold in total.
    total: Option<u64>,
    processor: bool,
    phase: Phase,
    /// The effect to hand out next.
    effect: Option<Effect>,
    /// What `current` held when start-up resumed it.
    start_bytes: u64,
}

impl LogDir {
    /// The machine for directory `path` (spec 11.6), keeping fewer than `num` old
    /// files holding at most `total` bytes; its first effect starts it up.
    pub fn new(path: &[u8], num: u64, total: Option<u64>, processor: bool) -> LogDir {
        let mut dir = LogDir {
            path: path.to_vec(),
            num,
            total,
            processor,
            phase: Phase::Idle,
            effect: None,
            start_bytes: 0,
        };
        dir.go(Pos {
            program: Program::Start,
            at: 0,
            sub: Sub::First,
        });
        dir
    }

    /// The next effect to carry out, if any.
    pub fn poll(&mut self) -> Option<Effect> {
        self.effect.take()
    }

    /// When to send [`Input::Timer`] (monotonic nanoseconds), during a pause.
    pub fn deadline(&self) -> Option<u64> {
        match self.phase {
            Phase::Paused { until, .. } => Some(until),
            _ => None,
        }
    }

    /// Waiting for writes, a rotation or the close: nothing to carry out.
    pub fn is_idle(&self) -> bool {
        self.phase == Phase::Idle && self.effect.is_none()
    }

    pub fn is_closed(&self) -> bool {
        self.phase == Phase::Closed
    }

    /// After start-up: what `current` holds (non-zero only when it was resumed).
    pub fn start_bytes(&self) -> u64 {
        self.start_bytes
    }

    /// The program running or paused, if any.
    pub fn program(&self) -> Option<Program> {
        match &self.phase {
            Phase::Run(pos)
            | Phase::Paused {
                after: After::Retry(pos) | After::ProcessorFailed(pos),
                ..
            } => Some(pos.program),
            _ => None,
        }
    }

    pub fn handle(&mut self, input: Input) {
        debug_assert!(self.effect.is_none(), "an input before the last effect was taken");
        let phase = std::mem::replace(&mut self.phase, Phase::Failed);
        match (phase, input) {
            (Phase::Run(pos), Input::Answer(result)) => self.answered(pos, result),
            (Phase::Clock(then), Input::Answer(Ok(Answer::Now(now)))) => match then {
                Then::Pause { text, errno, after } => {
                    self.effect = Some(Effect::Warn { text, errno });
                    self.pause(after, now);
                }
                Then::Link(pos) => self.go(self.link(pos, now)),
            },
            (Phase::Paused { until, after }, Input::Timer(now)) if now.mono >= until => match after {
                After::Retry(pos) => {
                    let pos = match pos.sub {
                        Sub::Link(_) => self.link(pos, now),
                        _ => pos,
                    };
                    self.go(pos)
                }
                After::ProcessorFailed(pos) => {
                    let text = text(&[b"processor failed in ", &self.path, b", pausing"]);
                    self.effect = Some(Effect::Warn { text, errno: None });
                    self.pause(After::Retry(pos), now);
                }
                After::Write => self.phase = Phase::Idle,
            },
            (Phase::Idle, Input::Rotate) => {
                let program = if self.processor {
                    Program::RotateProcessed
                } else {
                    Program::Rotate
                };
                self.begin(program)
            }
            (Phase::Idle, Input::Close) => self.begin(Program::Close),
            (Phase::Idle, Input::WriteFailed(errno)) => {
                let text = text(&[b"unable to write to ", &self.path, b"/current, pausing"]);
                self.warn(text, Some(errno), After::Write);
            }
            // An early timer, or an input the phase does not take: nothing happens.
            (phase, input) => {
                debug_assert!(
                    matches!((&phase, &input), (Phase::Paused { .. }, Input::Timer(_))),
                    "{input:?} in {phase:?}"
                );
                self.phase = phase;
            }
        }
    }

    /// What it means when `call`, made for `step` of `program`, fails: upstream's
    /// message, and whether it is fatal, retried after a pause, or ignored. (A file
    /// missing where that is expected is no failure: see `answered`.)
    pub fn on_error(&self, program: Program, step: Step, call: &Call) -> OnError {
        let path = &self.path[..];
        let retry = |parts: &[&[u8]]| OnError::Retry([&parts.concat()[..], b", pausing"].concat());
        let fatal = |parts: &[&[u8]]| OnError::Fatal(parts.concat());
        let file = |name: &[u8]| [path, b"/", name].concat();
        let starting = program.starting();
        match (step, call) {
            (EnterStart, _) => fatal(&[b"unable to switch to starting directory"]),
            // Unchecked by upstream.
            (MakeDir | Discard(_) | Close(_), _) | (Finish(..), Call::Remove(_)) => OnError::Ignore,
            (OpenDir, _) => fatal(&[b"unable to open directory ", path]),
            (Enter, _) if starting => fatal(&[b"unable to open directory ", path]),
            (Enter, _) => retry(&[b"unable to switch to ", path]),
            (Lock, _) => fatal(&[b"unable to lock directory ", path]),
            (Inspect, Call::Stat(name)) => fatal(&[b"unable to stat ", &file(name.as_bytes())]),
            (SyncCurrent, _) => retry(&[b"unable to write ", &file(b"current"), b" to disk"]),
            (OpenCurrent, _) if program == Program::Resume => {
                fatal(&[b"unable to append to ", &file(b"current")])
            }
            (OpenCurrent, _) if starting => fatal(&[b"unable to write to ", &file(b"current")]),
            (OpenCurrent, _) => retry(&[b"unable to create ", &file(b"current")]),
            (CurrentMode(_), _) if starting => fatal(&[b"unable to set mode of ", &file(b"current")]),
            (CurrentMode(_), _) => retry(&[b"unable to set mode of ", &file(b"current")]),
            (Rename(from, to), _) => retry(&[
                b"unable to rename ",
                from.as_bytes(),
                b" to ",
                to.as_bytes(),
                b" in directory ",
                path,
            ]),
            (Chmod(name, _) | Mode(name, _), _) => {
                retry(&[b"unable to set mode of ", &file(name.as_bytes())])
            }
            // Then, after the pause, "processor failed" and another (see `answered`).
            (Process, Call::Wait(_)) => retry(&[b"wait failed for processor in ", path]),
            (Process, _) => retry(&[b"unable to fork for processor in ", path]),
            (Open(name), _) => retry(&[b"unable to create ", &file(name.as_bytes())]),
            (Sync(name), _) => retry(&[b"unable to write ", &file(name.as_bytes()), b" to disk"]),
            (Unlink(name), _) => retry(&[b"unable to remove ", &file(name.as_bytes())]),
            (Finish(name, _), Call::Stat(_)) => retry(&[b"unable to stat ", &file(name.as_bytes())]),
            (Finish(..), Call::Link(_, link)) => retry(&[b"unable to link to ", &file(link)]),
            (Finish(name, _), Call::Unlink(_)) => retry(&[b"unable to remove ", &file(name.as_bytes())]),
            (Finish(..), _) => retry(&[b"unable to read ", path]),
            (EmptyState, _) => fatal(&[b"unable to write to ", &file(b"state")]),
            (Inspect, _) => unreachable!("start-up inspects with stat only"),
        }
    }

    /// Warns, and pauses before `after`: once the time is known.
    fn warn(&mut self, text: Vec<u8>, errno: Option<i32>, after: After) {
        self.ask_time(Then::Pause { text, errno, after });
    }

    fn ask_time(&mut self, then: Then) {
        self.effect = Some(Effect::Call(Call::Now));
        self.phase = Phase::Clock(then);
    }

    fn pause(&mut self, after: After, now: Now) {
        self.phase = Phase::Paused {
            until: now.mono.saturating_add(PAUSE),
            after,
        };
    }

    fn begin(&mut self, program: Program) {
        self.go(Pos {
            program,
            at: 0,
            sub: Sub::First,
        })
    }

    /// The step after `pos`'s, or the end of its program.
    fn next(&mut self, pos: Pos) {
        let at = pos.at + 1;
        if at < pos.program.steps().len() {
            return self.go(Pos {
                program: pos.program,
                at,
                sub: Sub::First,
            });
        }
        self.phase = match pos.program {
            Program::Close => Phase::Closed,
            _ => Phase::Idle,
        };
    }

    /// Hands out the call of `pos` and waits for its answer.
    fn go(&mut self, pos: Pos) {
        self.effect = Some(Effect::Call(call(&pos)));
        self.phase = Phase::Run(pos);
    }

    /// Finish's link, under a name made now.
    fn link(&self, pos: Pos, now: Now) -> Pos {
        let Finish(_, code) = pos.step() else {
            unreachable!("a link outside finish")
        };
        pos.with(Sub::Link(finished_name(&now.wall.to_label(), code)))
    }

    fn answered(&mut self, pos: Pos, result: Result<Answer, i32>) {
        let finished = |mode: u32| mode & 0o100 != 0;
        let path = &self.path[..];
        let sub = pos.sub.clone();
        match (pos.step(), sub, result) {
            // Start-up (spec 11.6): a cleanly closed current is resumed.
            (Inspect, Sub::First, Ok(Answer::Stat { mode, size, .. })) if finished(mode) => {
                self.start_bytes = size;
                self.begin(Program::Resume)
            }
            (Inspect, Sub::First, Ok(Answer::Stat { .. }) | Err(ENOENT)) => {
                self.go(pos.with(Sub::StatProcessed))
            }
            (Inspect, Sub::StatProcessed, Ok(Answer::Stat { mode, .. })) if finished(mode) => {
                self.begin(Program::RepairProcessed)
            }
            (Inspect, Sub::StatProcessed, Ok(Answer::Stat { .. }) | Err(ENOENT)) => {
                self.begin(Program::Repair)
            }
            // The processor (spec 11.5), until it exits 0.
            (Process, Sub::First, Ok(Answer::Forked(pid))) => self.go(pos.with(Sub::Wait(pid))),
            (Process, Sub::Wait(_), Ok(Answer::Exited(0))) => self.next(pos),
            (Process, Sub::Wait(_), Ok(Answer::Exited(_))) => {
                let text = text(&[b"processor failed in ", path, b", pausing"]);
                self.warn(text, None, After::Retry(pos.with(Sub::First)))
            }
            (Process, Sub::Wait(_), Ok(Answer::Crashed { errno })) => {
                let text = text(&[b"processor crashed in ", path, b", pausing"]);
                self.warn(text, Some(errno), After::ProcessorFailed(pos.with(Sub::First)))
            }

            // finish (spec 11.7): a file already gone was finished before.
            (Finish(..), Sub::First, Err(ENOENT)) => self.next(pos),
            (Finish(..), Sub::First, Ok(Answer::Stat { nlink, .. })) => {
                // More than one link: an earlier attempt linked it already.
                if nlink == 1 {
                    self.ask_time(Then::Link(pos))
                } else {
                    self.go(pos.with(Sub::Unlink))
                }
            }
            (Finish(..), Sub::Link(_), Ok(Answer::Done)) => self.go(pos.with(Sub::Unlink)),
            (Finish(..), Sub::Unlink, Ok(Answer::Done)) => self.go(pos.with(Sub::List)),
            (Finish(..), Sub::List, Ok(Answer::Listing(names))) => {
                let names: Vec<&[u8]> = names.iter().map(|n| &n[..]).collect();
                match to_remove(&names, self.num) {
                    Some(old) => {
                        let old = old.to_vec();
                        self.go(pos.with(Sub::Remove(old)))
                    }
                    None if self.total.is_some() => self.go(pos.with(Sub::Sizes)),
                    None => self.next(pos),
                }
            }
            // Whether it went or not, count again (as upstream: a file that cannot
            // be removed is tried again and again).
            (Finish(..), Sub::Remove(_), _) => self.go(pos.with(Sub::List)),
            (Finish(..), Sub::Sizes, Ok(Answer::Sizes(files))) => {
                let files: Vec<(&[u8], u64)> = files.iter().map(|(n, size)| (&n[..], *size)).collect();
                match self.total.and_then(|cap| to_trim(&files, cap)) {
                    Some(old) => {
                        let old = old.to_vec();
                        self.go(pos.with(Sub::Trim(old)))
                    }
                    None => self.next(pos),
                }
            }
            // As for `n`: whether it went or not, add up again.
            (Finish(..), Sub::Trim(_), _) => self.go(pos.with(Sub::Sizes)),

            // Steps of one call.
            (_, Sub::First, Ok(Answer::Done)) => self.next(pos),
            (step, _, Err(errno)) => match self.on_error(pos.program, step, &call(&pos)) {
                OnError::Ignore => self.next(pos),
                OnError::Retry(msg) => {
                    // A processor that cannot be waited for is then said to have
                    // failed, after the pause, and run anew after another.
                    let after = match pos.sub {
                        Sub::Wait(_) => After::ProcessorFailed(pos.with(Sub::First)),
                        _ => After::Retry(pos),
                    };
                    self.warn(msg, Some(errno), after)
                }
                OnError::Fatal(msg) => self.fatal(msg, errno),
            },
            _ => panic!("an answer of the wrong kind"),
        }
    }

    fn fatal(&mut self, text: Vec<u8>, errno: i32) {
        self.effect = Some(Effect::Fatal {
            text,
            errno: Some(errno),
        });
        self.phase = Phase::Failed;
    }
}

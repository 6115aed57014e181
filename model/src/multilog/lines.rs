//! multilog's line handling (spec 11.3) and the rule for when a directory's
//! `current` is rotated.
//!
//! Lines: when a line's first byte arrives it gets the TAI64N label (with `t`); its
//! first 1000 bytes, label included, are what patterns, `e` and `=` see; the
//! directories get the whole line and its newline; a last line without a newline
//! is completed with one.
//!
//! Rotation (this model's own rule; upstream's points depend on its 512-byte
//! buffers, DESIGN.md):
//! - before a line's first byte goes to a directory, its current is rotated if it
//!   holds `size − 2000` bytes or more;
//! - after a newline, the same;
//! - inside a line, only when current holds exactly `size` bytes.
//!
//! So a file never exceeds `size` bytes, and a line shorter than 2000 bytes never
//! spans two files: it starts below `size − 2000`. A rotation asked for (SIGALRM)
//! happens at once in a directory that is between lines, else at the end of the line.

use super::pattern::matches;
use super::script::{Action, Script};
use crate::tai64::{LABEL_LEN, Tai64N};

/// The part of a line that patterns, `e` and `=` see.
pub const PREFIX_MAX: usize = 1000;
/// A status file's length: the prefix, padded with newlines.
pub const STATUS_LEN: usize = 1001;
/// `e` shows this much of a line, then `...`.
pub const ECHO_MAX: usize = 200;
/// A current within this many bytes of its size is rotated at the next line end.
pub const NEAR_FULL: u64 = 2000;

/// What the line machine asks of the world.
pub trait Sink {
    /// Append `bytes` to directory `dir`'s current.
    fn write(&mut self, dir: usize, bytes: &[u8]);
    /// Rotate directory `dir`'s current, before anything more is written to it.
    fn rotate(&mut self, dir: usize);
    /// Write `bytes` to stderr (`e`).
    fn echo(&mut self, bytes: &[u8]);
    /// Status file `index` is to hold exactly `record`.
    fn status(&mut self, index: usize, record: &[u8; STATUS_LEN]);
}

/// A directory's current, as far as rotation is concerned.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Current {
    size: u64,
    bytes: u64,
    /// Some of the line being written has gone here.
    in_line: bool,
    /// A rotation was asked for while a line was being written here.
    rotation_asked: bool,
}

impl Current {
    fn rotate(&mut self, dir: usize, sink: &mut impl Sink) {
        sink.rotate(dir);
        self.bytes = 0;
        self.rotation_asked = false;
    }

    fn near_full(&self) -> bool {
        self.bytes >= self.size.saturating_sub(NEAR_FULL)
    }

    /// How many bytes of whole lines can go here, between lines, before a line's
    /// end would call for a rotation.
    fn room(&self) -> u64 {
        if self.in_line || self.rotation_asked {
            return 0;
        }
        self.size.saturating_sub(NEAR_FULL).saturating_sub(self.bytes + 1)
    }

    /// How many bytes can still be written here, whatever they are, before a
    /// rotation could be due.
    fn before_rotation(&self) -> u64 {
        if self.rotation_asked && self.bytes > 0 {
            return 0;
        }
        self.size.saturating_sub(NEAR_FULL).saturating_sub(self.bytes + 1)
    }

    /// Writes part of the line, splitting only where current is exactly full.
    fn put(&mut self, dir: usize, mut bytes: &[u8], sink: &mut impl Sink) {
        if !self.in_line {
            self.in_line = true;
            if self.near_full() || (self.rotation_asked && self.bytes > 0) {
                self.rotate(dir, sink);
            }
        }
        while !bytes.is_empty() {
            if self.bytes >= self.size {
                self.rotate(dir, sink);
            }
            let n = bytes.len().min((self.size - self.bytes) as usize);
            sink.write(dir, &bytes[..n]);
            self.bytes += n as u64;
            bytes = &bytes[n..];
        }
    }

    /// After the line's newline.
    fn line_ends(&mut self, dir: usize, sink: &mut impl Sink) {
        self.in_line = false;
        if self.near_full() || (self.rotation_asked && self.bytes > 0) {
            self.rotate(dir, sink);
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Between lines.
    Idle,
    /// Reading the line's first 1000 bytes into `prefix`; nothing written yet.
    Prefix,
    /// The first 1000 bytes are decided and written; the rest goes straight through.
    Tail,
}

/// The line machine for one script.
#[derive(Clone, Debug)]
pub struct Lines {
    timestamp: bool,
    actions: Vec<Action>,
    /// Whether any action looks at a line's text (patterns, `e`, `=`).
    reads_text: bool,
    currents: Vec<Current>,
    selected: Vec<bool>,
    prefix: Vec<u8>,
    state: State,
    /// The last label made (with the space after it), and its time: lines that
    /// arrive together share one.
    label: Option<(Tai64N, [u8; LABEL_LEN + 1])>,
}

impl Lines {
    /// `bytes[i]` is what directory `i`'s current holds at start.
    pub fn new(script: &Script, bytes: &[u64]) -> Lines {
        let currents = script
            .dirs
            .iter()
            .zip(bytes)
            .map(|(d, &b)| Current {
                size: d.size,
                bytes: b,
                in_line: false,
                rotation_asked: false,
            })
            .collect();
        Lines {
            timestamp: script.timestamp,
            reads_text: script.actions.iter().any(|a| !matches!(a, Action::Dir(_))),
            actions: script.actions.clone(),
            currents,
            selected: vec![true; script.dirs.len()],
            prefix: Vec::with_capacity(PREFIX_MAX),
            state: State::Idle,
            label: None,
        }
    }

    /// Whether the machine is between lines (SIGTERM waits for that).
    pub fn between_lines(&self) -> bool {
        self.state == State::Idle
    }

    /// How many bytes of input, whatever they hold, can be taken without any
    /// directory being rotated: multilog reads no more than this at a time when it
    /// can, so that what it has read is in `current` before a rotation's fsync or
    /// processor makes it wait. With `t`, each byte may start a line and bring a
    /// label; the first 1000 bytes of a line not yet decided are still to be written.
    pub fn input_before_rotation(&self) -> u64 {
        let per_byte = if self.timestamp { LABEL_LEN as u64 + 2 } else { 1 };
        let undecided = match self.state {
            State::Prefix => self.prefix.len() as u64,
            State::Idle | State::Tail => 0,
        };
        let room = self
            .currents
            .iter()
            .map(Current::before_rotation)
            .min()
            .unwrap_or(u64::MAX);
        room.saturating_sub(undecided) / per_byte
    }

    /// Takes a chunk of input; `now` is asked for a label when a line starts (with `t`).
    pub fn feed(&mut self, input: &[u8], mut now: impl FnMut() -> Tai64N, sink: &mut impl Sink) {
        let mut rest = input;
        while !rest.is_empty() {
            match self.state {
                State::Idle => {
                    if !self.reads_text {
                        let taken = self.write_run(rest, &mut now, sink);
                        if taken > 0 {
                            rest = &rest[taken..];
                            continue;
                        }
                    }
                    self.prefix.clear();
                    if self.timestamp {
                        let label = self.label(now());
                        self.prefix.extend_from_slice(&label);
                    }
                    self.state = State::Prefix;
                }
                State::Prefix => {
                    let window = &rest[..rest.len().min(PREFIX_MAX - self.prefix.len())];
                    match memchr::memchr(b'\n', window) {
                        Some(i) => {
                            self.prefix.extend_from_slice(&window[..i]);
                            rest = &rest[i + 1..];
                            self.decide(sink);
                            self.prefix.push(b'\n');
                            let line = std::mem::take(&mut self.prefix);
                            self.write_selected(&line, sink);
                            self.prefix = line;
                            self.end_line(sink);
                        }
                        None => {
                            self.prefix.extend_from_slice(window);
                            rest = &rest[window.len()..];
                            if self.prefix.len() == PREFIX_MAX {
                                self.decide(sink);
                                let line = std::mem::take(&mut self.prefix);
                                self.write_selected(&line, sink);
                                self.prefix = line;
                                self.state = State::Tail;
                            }
                        }
                    }
                }
                State::Tail => match memchr::memchr(b'\n', rest) {
                    Some(i) => {
                        self.write_selected(&rest[..=i], sink);
                        self.end_line(sink);
                        rest = &rest[i + 1..];
                    }
                    None => {
                        self.write_selected(rest, sink);
                        rest = &[];
                    }
                },
            }
        }
    }

    /// The label of `time`, with the space that follows it.
    fn label(&mut self, time: Tai64N) -> [u8; LABEL_LEN + 1] {
        match self.label {
            Some((last, label)) if last == time => label,
            _ => {
                let mut label = [b' '; LABEL_LEN + 1];
                label[..LABEL_LEN].copy_from_slice(&time.to_label());
                self.label.insert((time, label)).1
            }
        }
    }

    /// Between lines, when every line goes to every directory: writes the whole
    /// lines at the start of `input` that no rotation comes between, each with its
    /// label (`t`), and returns how many bytes of `input` that took. Without `t`
    /// they go out in one piece. The same as taking them a line at a time.
    fn write_run(&mut self, input: &[u8], now: &mut impl FnMut() -> Tai64N, sink: &mut impl Sink) -> usize {
        let mut room = self.currents.iter().map(Current::room).min().unwrap_or(u64::MAX);
        if !self.timestamp {
            let window = &input[..input.len().min(usize::try_from(room).unwrap_or(usize::MAX))];
            let Some(last) = memchr::memrchr(b'\n', window) else {
                return 0;
            };
            let run = &input[..=last];
            for (dir, c) in self.currents.iter_mut().enumerate() {
                sink.write(dir, run);
                c.bytes += run.len() as u64;
            }
            return run.len();
        }
        let mut taken = 0;
        while let Some(end) = memchr::memchr(b'\n', &input[taken..]) {
            let line = &input[taken..=taken + end];
            let len = (LABEL_LEN + 1 + line.len()) as u64;
            if len > room {
                break;
            }
            room -= len;
            let label = self.label(now());
            for (dir, c) in self.currents.iter_mut().enumerate() {
                sink.write(dir, &label);
                sink.write(dir, line);
                c.bytes += len;
            }
            taken += end + 1;
        }
        taken
    }

    /// At end of input: a last line without a newline gets one.
    pub fn finish(&mut self, sink: &mut impl Sink) {
        match self.state {
            State::Idle => {}
            State::Prefix => self.feed(b"\n", || Tai64N { secs: 0, nanos: 0 }, sink),
            State::Tail => {
                self.write_selected(b"\n", sink);
                self.end_line(sink);
            }
        }
    }

    /// SIGALRM: rotate every non-empty current, at once where no line is being written.
    pub fn rotate_all(&mut self, sink: &mut impl Sink) {
        for (dir, c) in self.currents.iter_mut().enumerate() {
            if c.in_line {
                c.rotation_asked = true;
            } else if c.bytes > 0 {
                c.rotate(dir, sink);
            }
        }
    }

    /// Applies the actions to the line's first 1000 bytes.
    fn decide(&mut self, sink: &mut impl Sink) {
        let text = &self.prefix[..];
        let mut selected = true;
        for action in &self.actions {
            match action {
                Action::Select(p) => selected = selected || matches(p, text),
                Action::Deselect(p) => selected = selected && !matches(p, text),
                Action::Echo if selected => {
                    if text.len() > ECHO_MAX {
                        sink.echo(&[&text[..ECHO_MAX], b"...\n"].concat());
                    } else {
                        sink.echo(&[text, b"\n"].concat());
                    }
                }
                Action::Status(i) if selected => {
                    let mut record = [b'\n'; STATUS_LEN];
                    record[..text.len()].copy_from_slice(text);
                    sink.status(*i, &record);
                }
                Action::Dir(j) => self.selected[*j] = selected,
                Action::Echo | Action::Status(_) => {}
            }
        }
    }

    fn write_selected(&mut self, bytes: &[u8], sink: &mut impl Sink) {
        for (dir, c) in self.currents.iter_mut().enumerate() {
            if self.selected[dir] {
                c.put(dir, bytes, sink);
            }
        }
    }

    fn end_line(&mut self, sink: &mut impl Sink) {
        for (dir, c) in self.currents.iter_mut().enumerate() {
            if self.selected[dir] {
                c.line_ends(dir, sink);
            }
        }
        self.state = State::Idle;
    }
}

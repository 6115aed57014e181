//! multilog's line handling (spec 11.3) and the rule for when a directory's
//! `current` is rotated.
//!
//! The machine does no I/O and reads no clock: each call takes a read's bytes and
//! the time they arrived, and fills an [`Effects`] buffer the caller owns and
//! reuses with what is to be done, in order (writes naming the input where its
//! bytes can go out as they are, rotations, echoes, status records, and when the
//! read's bytes may leave the input for good).
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
use super::stamp::{STAMP_MAX, Stamper};
use crate::tai64::Tai64N;
use crate::tz::Zone;
use std::ops::Range;

/// The part of a line that patterns, `e` and `=` see.
pub const PREFIX_MAX: usize = 1000;
/// A status file's length: the prefix, padded with newlines.
pub const STATUS_LEN: usize = 1001;
/// `e` shows this much of a line, then `...`.
pub const ECHO_MAX: usize = 200;
/// A current within this many bytes of its size is rotated at the next line end.
pub const NEAR_FULL: u64 = 2000;

/// What the line machine asks of the world, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Effect {
    /// Append these bytes to directory `dir`'s current.
    Write { dir: usize, span: Span },
    /// Rotate directory `dir`'s current, before anything more is written to it.
    Rotate(usize),
    /// Write these bytes to stderr (`e`).
    Echo(Span),
    /// Status file `index` is to hold exactly these `STATUS_LEN` bytes.
    Status { index: usize, span: Span },
    /// The read's bytes may leave the input for good (where the input can keep
    /// them until then, a pipe): once in every read's effects, right before its
    /// first rotation, else last. Before a rotation, because a rotation may wait
    /// long (a processor), and a multilog killed then must not log again what is
    /// already in the rotated file. What a read holds after its first rotation is
    /// lost to a kill during that rotation: a byte at most, as multilog reads a
    /// byte at a time wherever a rotation could be due (a current nearly full, or a
    /// rotation asked for inside a line: `Lines::input_before_rotation`).
    Taken,
}

/// Applies `actions` to a line's first 1000 bytes, `text`, setting which
/// directories it goes to.
fn decide(actions: &[Action], selected: &mut [bool], text: &[u8], effects: &mut Effects) {
    let mut this = true;
    for action in actions {
        match action {
            Action::Select(p) => this = this || matches(p, text),
            Action::Deselect(p) => this = this && !matches(p, text),
            Action::Echo if this => {
                if text.len() > ECHO_MAX {
                    effects.echo(&text[..ECHO_MAX], b"...\n");
                } else {
                    effects.echo(text, b"\n");
                }
            }
            Action::Status(i) if this => effects.status(*i, text),
            Action::Dir(j) => selected[*j] = this,
            Action::Echo | Action::Status(_) => {}
        }
    }
}

/// Where an effect's bytes are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Span {
    /// In the input of the call that asked for the effect.
    Input(Range<usize>),
    /// Made for the directories (labels, lines whose start the machine held): in
    /// [`Effects`].
    Made(Range<usize>),
    /// Made for stderr and the status files: in [`Effects`].
    Shown(Range<usize>),
}

/// The effects of one call of the line machine, and the bytes it made for them.
/// The caller owns it and reuses it: each call replaces what the last one asked.
/// Adjacent writes to a directory are one effect, and so are adjacent echoes;
/// a status file's records in one call are one effect, holding the last.
#[derive(Clone, Debug, Default)]
pub struct Effects {
    list: Vec<Effect>,
    made: Vec<u8>,
    shown: Vec<u8>,
    /// For each directory, which effect is its last write while it is still the
    /// last effect concerning that directory.
    open_write: Vec<Option<usize>>,
    /// Which effect is the last echo, while nothing has been shown after it.
    open_echo: Option<usize>,
    /// For each status file, which effect holds its record.
    status: Vec<Option<usize>>,
    /// Whether these are a read's effects and [`Effect::Taken`] is still to come.
    take_pending: bool,
}

impl Effects {
    pub fn new() -> Effects {
        Effects::default()
    }

    /// What the last call asked for, in order.
    pub fn list(&self) -> &[Effect] {
        &self.list
    }

    /// The bytes `span` names; `input` is what the call that asked was given.
    pub fn bytes<'a>(&'a self, span: &Span, input: &'a [u8]) -> &'a [u8] {
        match span {
            Span::Input(r) => &input[r.clone()],
            Span::Made(r) => &self.made[r.clone()],
            Span::Shown(r) => &self.shown[r.clone()],
        }
    }

    /// Empties the buffer for a call; `read`: for a read's effects.
    fn clear(&mut self, dirs: usize, status_files: usize, read: bool) {
        self.take_pending = read;
        self.list.clear();
        self.made.clear();
        self.shown.clear();
        self.open_write.clear();
        self.open_write.resize(dirs, None);
        self.open_echo = None;
        self.status.clear();
        self.status.resize(status_files, None);
    }

    /// Copies `bytes` into the bytes made for the directories.
    fn make(&mut self, bytes: &[&[u8]]) -> Span {
        let start = self.made.len();
        for b in bytes {
            append(&mut self.made, b);
        }
        Span::Made(start..self.made.len())
    }

    /// Copies a line and its stamp (the first `len` bytes of `stamp`) into the bytes
    /// made for the directories. The array's size is known here, so its copy is a
    /// few moves, not a call.
    fn make_stamped(&mut self, stamp: &[u8; STAMP_MAX], len: usize, line: &[u8]) -> Span {
        let start = self.made.len();
        self.made.extend_from_slice(stamp);
        self.made.truncate(start + len);
        append(&mut self.made, line);
        Span::Made(start..self.made.len())
    }

    fn write(&mut self, dir: usize, span: Span) {
        if span.range().is_empty() {
            return;
        }
        if let Some(i) = self.open_write[dir]
            && let Effect::Write { span: last, .. } = &mut self.list[i]
            && let Some(joined) = join(last, &span)
        {
            *last = joined;
            return;
        }
        self.open_write[dir] = Some(self.list.len());
        self.list.push(Effect::Write { dir, span });
    }

    fn rotate(&mut self, dir: usize) {
        self.taken();
        self.open_write[dir] = None;
        self.list.push(Effect::Rotate(dir));
    }

    /// A read's bytes may leave the input, if not said already.
    fn taken(&mut self) {
        if std::mem::take(&mut self.take_pending) {
            self.list.push(Effect::Taken);
        }
    }

    fn echo(&mut self, text: &[u8], tail: &[u8]) {
        let start = self.shown.len();
        append(&mut self.shown, text);
        append(&mut self.shown, tail);
        let span = Span::Shown(start..self.shown.len());
        if let Some(i) = self.open_echo
            && let Effect::Echo(last) = &mut self.list[i]
            && let Some(joined) = join(last, &span)
        {
            *last = joined;
            return;
        }
        self.open_echo = Some(self.list.len());
        self.list.push(Effect::Echo(span));
    }

    /// Status file `index` is to hold `text`, padded with newlines.
    fn status(&mut self, index: usize, text: &[u8]) {
        if let Some(i) = self.status[index]
            && let Effect::Status {
                span: Span::Shown(r), ..
            } = &self.list[i]
        {
            let record = &mut self.shown[r.clone()];
            record[..text.len()].copy_from_slice(text);
            record[text.len()..].fill(b'\n');
            return;
        }
        self.open_echo = None;
        let start = self.shown.len();
        self.shown.extend_from_slice(text);
        self.shown.resize(start + STATUS_LEN, b'\n');
        self.status[index] = Some(self.list.len());
        self.list.push(Effect::Status {
            index,
            span: Span::Shown(start..self.shown.len()),
        });
    }
}

impl Span {
    fn range(&self) -> &Range<usize> {
        match self {
            Span::Input(r) | Span::Made(r) | Span::Shown(r) => r,
        }
    }

    /// The bytes at `range` of the same place.
    fn at(&self, range: Range<usize>) -> Span {
        match self {
            Span::Input(_) => Span::Input(range),
            Span::Made(_) => Span::Made(range),
            Span::Shown(_) => Span::Shown(range),
        }
    }
}

/// `first` then `second` as one span, where they are adjacent in one place.
fn join(first: &Span, second: &Span) -> Option<Span> {
    match (first, second) {
        (Span::Input(a), Span::Input(b)) if a.end == b.start => Some(Span::Input(a.start..b.end)),
        (Span::Made(a), Span::Made(b)) if a.end == b.start => Some(Span::Made(a.start..b.end)),
        (Span::Shown(a), Span::Shown(b)) if a.end == b.start => Some(Span::Shown(a.start..b.end)),
        _ => None,
    }
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
    /// `R`: rotate when the first line is this old (seconds).
    age: Option<u64>,
    /// When the first line since the last rotation came (with `R`); a current
    /// resumed non-empty counts from the first time the machine is told.
    first_line: Option<Tai64N>,
}

impl Current {
    fn rotate(&mut self, dir: usize, effects: &mut Effects) {
        effects.rotate(dir);
        self.bytes = 0;
        self.rotation_asked = false;
        self.first_line = None;
    }

    /// Rotates now, or at the end of the line being written here: SIGALRM, or `R`.
    fn ask_rotation(&mut self, dir: usize, effects: &mut Effects) {
        if self.in_line {
            self.rotation_asked = true;
        } else if self.bytes > 0 {
            self.rotate(dir, effects);
        }
    }

    /// When `R` calls for a rotation (none while one is already asked for).
    fn age_deadline(&self) -> Option<Tai64N> {
        let (age, first) = (self.age?, self.first_line?);
        (!self.rotation_asked).then_some(Tai64N {
            secs: first.secs.saturating_add(age),
            nanos: first.nanos,
        })
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

    /// Writes part of the line, which came at `now`, splitting only where current is
    /// exactly full.
    fn put(&mut self, dir: usize, span: &Span, now: Tai64N, effects: &mut Effects) {
        if !self.in_line {
            self.in_line = true;
            if self.near_full() || (self.rotation_asked && self.bytes > 0) {
                self.rotate(dir, effects);
            }
        }
        let range = span.range();
        let mut at = range.start;
        while at < range.end {
            if self.bytes >= self.size {
                self.rotate(dir, effects);
            }
            let n = (range.end - at).min((self.size - self.bytes) as usize);
            effects.write(dir, span.at(at..at + n));
            self.bytes += n as u64;
            at += n;
        }
        if self.age.is_some() && self.first_line.is_none() && self.bytes > 0 {
            self.first_line = Some(now);
        }
    }

    /// Whole lines, `len` bytes, that came at `now` were written here (no rotation
    /// due among them).
    fn wrote_lines(&mut self, len: u64, now: Tai64N) {
        self.bytes += len;
        if self.age.is_some() && self.first_line.is_none() && len > 0 {
            self.first_line = Some(now);
        }
    }

    /// After the line's newline.
    fn line_ends(&mut self, dir: usize, effects: &mut Effects) {
        self.in_line = false;
        if self.near_full() || (self.rotation_asked && self.bytes > 0) {
            self.rotate(dir, effects);
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
    /// With a timestamp action: what makes the stamps.
    stamper: Option<Stamper>,
    actions: Vec<Action>,
    /// Whether any action looks at a line's text (patterns, `e`, `=`).
    reads_text: bool,
    currents: Vec<Current>,
    selected: Vec<bool>,
    status_files: usize,
    prefix: Vec<u8>,
    state: State,
    /// When the input being taken came.
    now: Tai64N,
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
                age: d.age,
                first_line: None,
            })
            .collect();
        Lines {
            stamper: script.stamp.map(|kind| Stamper::new(kind, Zone::UTC)),
            reads_text: script.actions.iter().any(|a| !matches!(a, Action::Dir(_))),
            actions: script.actions.clone(),
            currents,
            selected: vec![true; script.dirs.len()],
            status_files: script.status_files.len(),
            prefix: Vec::with_capacity(PREFIX_MAX),
            state: State::Idle,
            now: Tai64N { secs: 0, nanos: 0 },
        }
    }

    /// Local time's zone for the stamps (UTC until told).
    pub fn set_zone(&mut self, zone: Zone) {
        if let Some(stamper) = &mut self.stamper {
            *stamper = Stamper::new(stamper.kind(), zone);
        }
    }

    /// The time is `now`: each current that `R` says is old enough is rotated
    /// (at the end of the line being written to it), and a current resumed
    /// non-empty starts its age.
    pub fn tick(&mut self, now: Tai64N, effects: &mut Effects) {
        effects.clear(self.currents.len(), self.status_files, false);
        for (dir, c) in self.currents.iter_mut().enumerate() {
            if c.age.is_some() && c.first_line.is_none() && c.bytes > 0 {
                c.first_line = Some(now);
            }
            if c.age_deadline().is_some_and(|due| due <= now) {
                c.ask_rotation(dir, effects);
            }
        }
    }

    /// When [`Lines::tick`] has something to do next, if ever.
    pub fn deadline(&self) -> Option<Tai64N> {
        self.currents.iter().filter_map(Current::age_deadline).min()
    }

    /// Empties `effects`: a call that asks for nothing.
    pub(super) fn nothing(&self, effects: &mut Effects) {
        effects.clear(self.currents.len(), self.status_files, false);
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
        let per_byte = self.stamper.as_ref().map_or(1, |s| s.longest() as u64 + 1);
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

    /// Takes a chunk of input that arrived at `now`: the lines that begin in it
    /// share that time's label (with `t`). `effects` gets what is to be done,
    /// [`Effect::Taken`] among it.
    pub fn feed(&mut self, input: &[u8], now: Tai64N, effects: &mut Effects) {
        effects.clear(self.currents.len(), self.status_files, true);
        self.now = now;
        let mut at = 0;
        while at < input.len() {
            let rest = &input[at..];
            match self.state {
                State::Idle => {
                    let taken = if !self.reads_text {
                        self.write_run(input, at, now, effects)
                    } else if self.stamper.is_none() {
                        self.decide_run(input, at, effects)
                    } else {
                        0
                    };
                    if taken > 0 {
                        at += taken;
                        continue;
                    }
                    self.prefix.clear();
                    if let Some(stamper) = &mut self.stamper {
                        let (stamp, len) = stamper.stamp(now);
                        self.prefix.extend_from_slice(&stamp[..len]);
                    }
                    self.state = State::Prefix;
                }
                State::Prefix => {
                    let window = &rest[..rest.len().min(PREFIX_MAX - self.prefix.len())];
                    match memchr::memchr(b'\n', window) {
                        Some(i) => {
                            self.prefix.extend_from_slice(&window[..i]);
                            at += i + 1;
                            self.prefix_line_ends(effects);
                        }
                        None => {
                            self.prefix.extend_from_slice(window);
                            at += window.len();
                            if self.prefix.len() == PREFIX_MAX {
                                self.decide(effects);
                                self.write_prefix(&[], effects);
                                self.state = State::Tail;
                            }
                        }
                    }
                }
                State::Tail => {
                    let len = memchr::memchr(b'\n', rest).map_or(rest.len(), |i| i + 1);
                    self.write_selected(&Span::Input(at..at + len), effects);
                    if rest[len - 1] == b'\n' {
                        self.end_line(effects);
                    }
                    at += len;
                }
            }
        }
        effects.taken();
    }

    /// The newline of a line still held in `prefix`: the line is decided and written.
    fn prefix_line_ends(&mut self, effects: &mut Effects) {
        self.decide(effects);
        self.write_prefix(b"\n", effects);
        self.end_line(effects);
    }

    /// Writes the decided `prefix`, then `tail`, where the line was selected.
    fn write_prefix(&mut self, tail: &[u8], effects: &mut Effects) {
        if self.selected.contains(&true) {
            let span = effects.make(&[&self.prefix, tail]);
            self.write_selected(&span, effects);
        }
    }

    /// Between lines, when every line goes to every directory: writes the whole
    /// lines at `input[at..]`'s start that no rotation comes between, each with its
    /// label (`t`), and returns how many bytes of input that took. Without `t`
    /// they go out from where they lie. The same as taking them a line at a time.
    fn write_run(&mut self, input: &[u8], at: usize, now: Tai64N, effects: &mut Effects) -> usize {
        let rest = &input[at..];
        let mut room = self.currents.iter().map(Current::room).min().unwrap_or(u64::MAX);
        let Some(stamper) = &mut self.stamper else {
            let window = &rest[..rest.len().min(usize::try_from(room).unwrap_or(usize::MAX))];
            let Some(last) = memchr::memrchr(b'\n', window) else {
                return 0;
            };
            for (dir, c) in self.currents.iter_mut().enumerate() {
                effects.write(dir, Span::Input(at..at + last + 1));
                c.wrote_lines(last as u64 + 1, now);
            }
            return last + 1;
        };
        let mut taken = 0;
        while let Some(end) = memchr::memchr(b'\n', &rest[taken..]) {
            let line = &rest[taken..=taken + end];
            let (stamp, stamp_len) = stamper.stamp(now);
            let len = (stamp_len + line.len()) as u64;
            if len > room {
                break;
            }
            room -= len;
            let span = effects.make_stamped(stamp, stamp_len, line);
            for (dir, c) in self.currents.iter_mut().enumerate() {
                effects.write(dir, span.clone());
                c.wrote_lines(len, now);
            }
            taken += end + 1;
        }
        taken
    }

    /// Between lines, without `t`: decides the lines at `input[at..]`'s start
    /// that end within their first 1000 bytes where they lie, without holding
    /// them in `prefix`, writes them, and returns how many bytes of input that
    /// took. The same as holding each until its end. With one directory the lines
    /// go out from the input: those a pattern leaves out cut the write into
    /// pieces, which the caller gathers into few calls. With more, they are
    /// copied, so that each directory's write stays one piece, where pieces of
    /// the input would alternate between the directories.
    fn decide_run(&mut self, input: &[u8], at: usize, effects: &mut Effects) -> usize {
        let mut taken = 0;
        loop {
            let start = at + taken;
            let rest = &input[start..];
            let Some(end) = memchr::memchr(b'\n', &rest[..rest.len().min(PREFIX_MAX)]) else {
                return taken;
            };
            decide(&self.actions, &mut self.selected, &rest[..end], effects);
            if self.selected.contains(&true) {
                let line = start..start + end + 1;
                let span = if self.currents.len() == 1 {
                    Span::Input(line)
                } else {
                    effects.make(&[&input[line]])
                };
                self.write_selected(&span, effects);
            }
            self.end_line(effects);
            taken += end + 1;
        }
    }

    /// At end of input: a last line without a newline gets one.
    pub fn finish(&mut self, effects: &mut Effects) {
        effects.clear(self.currents.len(), self.status_files, false);
        match self.state {
            State::Idle => {}
            State::Prefix => self.prefix_line_ends(effects),
            State::Tail => {
                let span = effects.make(&[b"\n"]);
                self.write_selected(&span, effects);
                self.end_line(effects);
            }
        }
    }

    /// SIGALRM: rotate every non-empty current, at once where no line is being written.
    pub fn rotate_all(&mut self, effects: &mut Effects) {
        effects.clear(self.currents.len(), self.status_files, false);
        for (dir, c) in self.currents.iter_mut().enumerate() {
            c.ask_rotation(dir, effects);
        }
    }

    /// Applies the actions to the line's first 1000 bytes, held in `prefix`.
    fn decide(&mut self, effects: &mut Effects) {
        decide(&self.actions, &mut self.selected, &self.prefix, effects);
    }

    /// Writes `span`, part of the line, to each directory that selected it.
    fn write_selected(&mut self, span: &Span, effects: &mut Effects) {
        for (dir, c) in self.currents.iter_mut().enumerate() {
            if self.selected[dir] {
                c.put(dir, span, self.now, effects);
            }
        }
    }

    fn end_line(&mut self, effects: &mut Effects) {
        for (dir, c) in self.currents.iter_mut().enumerate() {
            if self.selected[dir] {
                c.line_ends(dir, effects);
            }
        }
        self.state = State::Idle;
    }
}

/// Appends `bytes` to `out`: a line's copy into the bytes to write or to show.
#[inline(always)]
fn append(out: &mut Vec<u8>, bytes: &[u8]) {
    if cfg!(target_env = "musl") {
        append_in_pieces(out, bytes);
    } else {
        out.extend_from_slice(bytes);
    }
}

/// Appends `bytes` to `out` in 16-byte moves the compiler inlines. A labelled line
/// is mostly under 200 bytes: musl's `memcpy` (`rep movsq`) takes long to start on
/// such a copy, where glibc's is quick. Inlined into each caller: a call per line
/// costs more than the moves of most lines.
#[inline(always)]
fn append_in_pieces(out: &mut Vec<u8>, bytes: &[u8]) {
    out.reserve(bytes.len());
    let (pieces, rest) = bytes.as_chunks::<16>();
    for piece in pieces {
        out.extend_from_slice(piece);
    }
    if rest.is_empty() {
        return;
    }
    match bytes.last_chunk::<16>() {
        // The rest as one more move: the last 16 bytes, over the end of the last
        // piece, which they repeat.
        Some(last) => {
            out.truncate(out.len() + rest.len() - 16);
            out.extend_from_slice(last);
        }
        None => {
            for &byte in rest {
                out.push(byte);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::multilog::script::parse;

    proptest::proptest! {
        /// Appending in 16-byte pieces (musl's way) makes what `memcpy` makes.
        #[test]
        fn appending_in_pieces_is_a_copy(
            before in proptest::collection::vec(proptest::num::u8::ANY, 0..40),
            bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..300),
        ) {
            let mut out = before.clone();
            append_in_pieces(&mut out, &bytes);
            proptest::prop_assert_eq!(out, [before, bytes].concat());
        }
    }

    /// Every length up to three pieces of 16, so every rest (0 to 15 bytes), after
    /// every length of what is there before.
    #[test]
    fn appending_in_pieces_copies_every_length() {
        let source: Vec<u8> = (1..=48).collect();
        for before in 0..=17 {
            for len in 0..=source.len() {
                let mut out = vec![0xff; before];
                append_in_pieces(&mut out, &source[..len]);
                assert_eq!(&out[..before], &vec![0xff; before][..]);
                assert_eq!(&out[before..], &source[..len], "{len} bytes after {before}");
            }
        }
    }

    /// The effects of feeding `reads` one after the other (each at its own time),
    /// then the end of input, written out with the bytes they name.
    fn story(args: &[&str], start: &[u64], reads: &[&[u8]]) -> String {
        let mut lines = Lines::new(&parse(args).expect("a script"), start);
        let mut effects = Effects::new();
        let mut out = String::new();
        let show = |effects: &Effects, input: &[u8], out: &mut String| {
            for effect in effects.list() {
                let (what, span) = match effect {
                    Effect::Write { dir, span } => (format!("write {dir}"), Some(span)),
                    Effect::Rotate(dir) => (format!("rotate {dir}"), None),
                    Effect::Taken => ("taken".to_string(), None),
                    Effect::Echo(span) => ("echo".to_string(), Some(span)),
                    Effect::Status { index, span } => (format!("status {index}"), Some(span)),
                };
                let text = span.map(|s| {
                    let bytes = effects.bytes(s, input);
                    let shown = String::from_utf8_lossy(bytes)
                        .trim_end_matches('\n')
                        .replace('\n', "⏎");
                    format!(" {s:?} {shown:?}")
                });
                out.push_str(&format!("  {what}{}\n", text.unwrap_or_default()));
            }
        };
        for (k, read) in reads.iter().enumerate() {
            out.push_str(&format!("read {:?}\n", String::from_utf8_lossy(read)));
            lines.feed(
                read,
                Tai64N::from_unix_micros(1_700_000_000 + k as i64, 0),
                &mut effects,
            );
            show(&effects, read, &mut out);
        }
        out.push_str("end\n");
        lines.finish(&mut effects);
        show(&effects, &[], &mut out);
        out
    }

    #[test]
    fn whole_lines_go_out_from_the_input_in_one_write_per_read() {
        insta::assert_snapshot!(story(
            &["./a", "./b"],
            &[0, 0],
            &[b"one\ntwo\n", b"three\nfo", b"ur\n"]
        ));
    }

    #[test]
    fn labelled_lines_are_made_and_written_in_one_piece() {
        insta::assert_snapshot!(story(&["t", "./a"], &[0], &[b"one\ntwo\n", b"thr", b"ee\nfour"]));
    }

    #[test]
    fn echoes_and_status_records_are_one_effect_each_per_read() {
        insta::assert_snapshot!(story(
            &["-*skip*", "e", "=status", "./a"],
            &[0],
            &[b"one\nskip me\ntwo\nthree\n", b"four\n"]
        ));
    }

    #[test]
    fn a_patterns_lines_go_to_several_directories_in_one_write_each() {
        insta::assert_snapshot!(story(
            &["-*skip*", "./a", "./b"],
            &[0, 0],
            &[b"one\nskip me\ntwo\nskip\nthree\n"]
        ));
    }

    #[test]
    fn a_rotation_comes_between_the_writes_it_separates() {
        // s4096: current holds 2090 bytes, so the first line's end rotates it.
        insta::assert_snapshot!(story(&["s4096", "./a"], &[2090], &[b"0123456789\nnext\n"]));
    }
}

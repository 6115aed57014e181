//! multilog's guarantees, checked over random inputs, scripts and chunkings:
//!
//! 1. every directory holds, in its rotated files then `current`, exactly the lines
//!    selected for it, in order: nothing lost, nothing doubled;
//! 2. no file is larger than its size, and a line shorter than 2000 bytes never
//!    spans two files;
//! 3. how the input is cut into reads changes nothing;
//! 4. `e` and `=` show the line's first 1000 bytes as upstream does;
//! 5. the log directory's machine, driven on a simulated directory with a crash
//!    between any two system calls and any call failing, loses none of the lines
//!    written, and doubles none, with or without a processor;
//! 6. no rotation comes within the input multilog may read next (so what it has
//!    read is written before a rotation makes it wait).
//! 7. `R` (an extension) rotates a current when its first line is old enough, never
//!    sooner, never inside a line; `S` (checked with 5) keeps the old files' total
//!    under its cap after every rotation.
//! 8. each read's effects say once that its bytes may leave the input (`Taken`):
//!    right before the read's first rotation, else last; no other call's do.

use model::multilog::lines::{self, ECHO_MAX, Effects, Lines, PREFIX_MAX, STATUS_LEN};
use model::multilog::logdir::{Answer, Call, Effect, Input, LogDir, Now, PAUSE, Program};
use model::multilog::pattern::matches;
use model::multilog::script::{self, Action, Script, Stamp};
use model::tai64::Tai64N;
use model::tai64nlocal::Localizer;
use model::tz::Zone;
use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet};

fn parse<S: AsRef<[u8]>>(args: &[S]) -> Script {
    script::parse(args).expect("a script")
}

/// A line's stamp, made independently of the machine: the label, UNIX time, or
/// what tai64nlocal prints for the label (in UTC, the machine's zone until told).
fn stamp_of(kind: Stamp, time: Tai64N) -> Vec<u8> {
    let label = time.to_label();
    let local = || {
        let mut out = Vec::new();
        Localizer::new(Zone::UTC).feed(&[&label[..], b" "].concat(), &mut out);
        String::from_utf8(out).expect("text").trim_end().to_string()
    };
    let text = match kind {
        Stamp::Tai64n => String::from_utf8(label.to_vec()).expect("text"),
        Stamp::Unix => format!("{}.{:06}", time.unix_secs(), time.nanos / 1000),
        Stamp::Local => local(),
        Stamp::LocalMillis => local()[..23].to_string(),
        Stamp::Rfc3339 => format!("{}+00:00", local().replacen(' ', "T", 1)),
    };
    format!("{text} ").into_bytes()
}

/// Directories kept in memory: each one's rotated files and current.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Dirs {
    files: Vec<Vec<Vec<u8>>>,
    current: Vec<Vec<u8>>,
    echo: Vec<u8>,
    status: BTreeMap<usize, Vec<u8>>,
}

impl Dirs {
    fn new(n: usize) -> Dirs {
        Dirs {
            files: vec![Vec::new(); n],
            current: vec![Vec::new(); n],
            ..Dirs::default()
        }
    }

    /// A directory's files in order, current last.
    fn all_files(&self, dir: usize) -> Vec<&Vec<u8>> {
        self.files[dir].iter().chain([&self.current[dir]]).collect()
    }
}

impl Dirs {
    /// Carries out what the line machine asked, given `input`.
    fn apply(&mut self, effects: &Effects, input: &[u8]) {
        for effect in effects.list() {
            match effect {
                lines::Effect::Write { dir, span } => {
                    self.current[*dir].extend_from_slice(effects.bytes(span, input))
                }
                lines::Effect::Rotate(dir) => {
                    let full = std::mem::take(&mut self.current[*dir]);
                    self.files[*dir].push(full);
                }
                lines::Effect::Echo(span) => self.echo.extend_from_slice(effects.bytes(span, input)),
                lines::Effect::Status { index, span } => {
                    let record = effects.bytes(span, input);
                    assert_eq!(record.len(), STATUS_LEN);
                    self.status.insert(*index, record.to_vec());
                }
                lines::Effect::Taken => {}
            }
        }
    }
}

/// 8: where `Taken` stands in a call's effects; `read`: the call was a read's.
fn check_taken(effects: &Effects, read: bool) {
    let list = effects.list();
    let mut want: Vec<lines::Effect> = list
        .iter()
        .filter(|e| **e != lines::Effect::Taken)
        .cloned()
        .collect();
    if read {
        let at = want
            .iter()
            .position(|e| matches!(e, lines::Effect::Rotate(_)))
            .unwrap_or(want.len());
        want.insert(at, lines::Effect::Taken);
    }
    assert_eq!(list, want, "Taken missing, misplaced or outside a read");
}

/// The time at which the `k`th read arrives: the lines that begin in it share it.
fn arrival(k: usize) -> Tai64N {
    Tai64N::from_unix_micros(1_700_000_000 + (k / 3) as i64, (k * 7919 % 1_000_000) as u32)
}

/// Where `input` is cut into reads: the ends of the reads, in order, the last at its end.
fn read_ends(input: &[u8], cuts: &[usize]) -> Vec<usize> {
    let mut ends: Vec<usize> = cuts.iter().map(|&c| c.min(input.len())).collect();
    ends.sort();
    ends.push(input.len());
    ends
}

/// Runs `input`, cut at `cuts`, with SIGALRM after the reads listed in `alarms`.
fn run(script: &Script, input: &[u8], cuts: &[usize], alarms: &[usize]) -> Dirs {
    run_from(script, &vec![0; script.dirs.len()], input, cuts, alarms, arrival)
}

/// As `run`, with directory `i`'s current holding `start[i]` bytes at first, and
/// the `k`th read arriving at `time(k)`.
fn run_from(
    script: &Script,
    start: &[u64],
    input: &[u8],
    cuts: &[usize],
    alarms: &[usize],
    time: impl Fn(usize) -> Tai64N,
) -> Dirs {
    let mut dirs = Dirs::new(script.dirs.len());
    let mut lines = Lines::new(script, start);
    let mut effects = Effects::new();
    let mut start = 0;
    for (k, &end) in read_ends(input, cuts).iter().enumerate() {
        let read = &input[start..end.max(start)];
        lines.feed(read, time(k), &mut effects);
        check_taken(&effects, true);
        dirs.apply(&effects, read);
        start = end.max(start);
        if alarms.contains(&k) {
            lines.rotate_all(&mut effects);
            check_taken(&effects, false);
            dirs.apply(&effects, &[]);
        }
    }
    lines.finish(&mut effects);
    check_taken(&effects, false);
    dirs.apply(&effects, &[]);
    dirs
}

/// What upstream's rules give, stated independently: each line, its label, the
/// selection of its first 1000 bytes, what each directory, `e` and `=` get.
struct Expected {
    per_dir: Vec<Vec<Vec<u8>>>,
    echo: Vec<u8>,
    status: BTreeMap<usize, Vec<u8>>,
}

/// Each line's label is the time of the read its first byte arrives in.
fn expected(script: &Script, input: &[u8], cuts: &[usize]) -> Expected {
    let ends = read_ends(input, cuts);
    let mut out = Expected {
        per_dir: vec![Vec::new(); script.dirs.len()],
        echo: Vec::new(),
        status: BTreeMap::new(),
    };
    if input.is_empty() {
        return out;
    }
    let body = input.strip_suffix(b"\n").unwrap_or(input);
    let mut offset = 0;
    for content in body.split(|&c| c == b'\n') {
        let read = ends
            .iter()
            .position(|&end| end > offset)
            .expect("within the input");
        offset += content.len() + 1;
        let mut line = Vec::new();
        if let Some(kind) = script.stamp {
            line.extend_from_slice(&stamp_of(kind, arrival(read)));
        }
        line.extend_from_slice(content);
        let text = &line[..line.len().min(PREFIX_MAX)];
        let mut selected = true;
        for action in &script.actions {
            match action {
                Action::Select(p) if !selected && matches(p, text) => selected = true,
                Action::Deselect(p) if selected && matches(p, text) => selected = false,
                Action::Echo if selected => {
                    let shown = &text[..text.len().min(ECHO_MAX)];
                    out.echo.extend_from_slice(shown);
                    out.echo
                        .extend_from_slice(if text.len() > ECHO_MAX { b"...\n" } else { b"\n" });
                }
                Action::Status(i) if selected => {
                    let mut record = text.to_vec();
                    record.resize(STATUS_LEN, b'\n');
                    out.status.insert(*i, record);
                }
                Action::Dir(j) if selected => {
                    let mut whole = line.clone();
                    whole.push(b'\n');
                    out.per_dir[*j].push(whole);
                }
                _ => {}
            }
        }
    }
    out
}

fn line_strategy() -> impl Strategy<Value = Vec<u8>> {
    let short = proptest::collection::vec(
        prop_oneof![Just(b'a'), Just(b'b'), Just(b'x'), Just(b'*')],
        0..120,
    );
    let long = (900usize..6000).prop_map(|n| vec![b'a'; n]);
    prop_oneof![8 => short, 1 => long]
}

fn script_strategy() -> impl Strategy<Value = Vec<String>> {
    let pattern = proptest::collection::vec(prop_oneof![Just('a'), Just('b'), Just('*')], 0..4)
        .prop_map(|v| v.into_iter().collect::<String>());
    let action = prop_oneof![
        pattern.clone().prop_map(|p| format!("+{p}")),
        pattern.prop_map(|p| format!("-{p}")),
        Just("e".to_string()),
        Just("=status".to_string()),
        (4096u64..9000).prop_map(|s| format!("s{s}")),
        Just("./d".to_string()),
    ];
    (stamp_strategy(), proptest::collection::vec(action, 1..8)).prop_map(|(stamp, mut actions)| {
        actions.push("./last".into());
        if let Some(stamp) = stamp {
            actions.insert(0, stamp.into());
        }
        actions
    })
}

/// No timestamp action, or one of them.
fn stamp_strategy() -> impl Strategy<Value = Option<&'static str>> {
    prop_oneof![
        3 => Just(None),
        3 => Just(Some("t")),
        1 => Just(Some("T")),
        1 => Just(Some("d")),
        1 => Just(Some("m")),
        1 => Just(Some("i")),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn lines_arrive_exactly_once_in_order_within_the_size_rules(
        args in script_strategy(),
        lines in proptest::collection::vec(line_strategy(), 0..40),
        last_newline: bool,
        cuts in proptest::collection::vec(0usize..200_000, 0..6),
        alarms in proptest::collection::vec(0usize..7, 0..3),
    ) {
        let script = parse(&args);
        let mut input = lines.join(&b'\n');
        if last_newline && !input.is_empty() {
            input.push(b'\n');
        }
        let dirs = run(&script, &input, &cuts, &alarms);
        let want = expected(&script, &input, &cuts);

        // 3: the same output read in one piece (at the same time), and with no
        // alarms the same files.
        if alarms.is_empty() {
            let start = vec![0; script.dirs.len()];
            let whole = run_from(&script, &start, &input, &[], &[], |_| arrival(0));
            let cut = run_from(&script, &start, &input, &cuts, &[], |_| arrival(0));
            prop_assert_eq!(&whole, &cut);
        }

        for (j, dir) in script.dirs.iter().enumerate() {
            let files = dirs.all_files(j);
            // 1: exactly the selected lines, in order.
            let joined: Vec<u8> = files.iter().flat_map(|f| f.iter().copied()).collect();
            prop_assert_eq!(joined, want.per_dir[j].concat());
            // 2: no file over its size; short lines whole in one file.
            for f in &files {
                prop_assert!(f.len() as u64 <= dir.size, "a file of {} bytes over {}", f.len(), dir.size);
            }
            let mut offset = 0;
            let boundaries: Vec<usize> = files.iter().scan(0, |end, f| { *end += f.len(); Some(*end) }).collect();
            for line in &want.per_dir[j] {
                let (start, end) = (offset, offset + line.len());
                if line.len() < 2000 {
                    prop_assert!(
                        !boundaries.iter().any(|&b| start < b && b < end),
                        "a line of {} bytes split across files", line.len()
                    );
                }
                offset = end;
            }
        }
        // 4: e and =.
        prop_assert_eq!(&dirs.echo, &want.echo);
        prop_assert_eq!(&dirs.status, &want.status);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// 6. What multilog reads next is written whole before any rotation (with its
    /// fsync and processor) can make it wait: however the machine stands after some
    /// input, no input of `input_before_rotation()` bytes rotates anything.
    #[test]
    fn no_rotation_within_what_may_be_read(
        args in script_strategy(),
        start in proptest::collection::vec(0u64..9000, 8),
        lines in proptest::collection::vec(line_strategy(), 0..40),
        cut in 0usize..200_000,
        alarm: bool,
        next in proptest::collection::vec(prop_oneof![Just(b'a'), Just(b'\n'), Just(b'*')], 0..30_000),
    ) {
        let script = parse(&args);
        let start: Vec<u64> = (0..script.dirs.len()).map(|i| start[i].min(script.dirs[i].size)).collect();
        let mut lines_machine = Lines::new(&script, &start);
        let input = lines.join(&b'\n');
        let mut effects = Effects::new();
        lines_machine.feed(&input[..cut.min(input.len())], arrival(0), &mut effects);
        check_taken(&effects, true);
        if alarm {
            lines_machine.rotate_all(&mut effects);
            check_taken(&effects, false);
        }
        let room = usize::try_from(lines_machine.input_before_rotation()).unwrap_or(usize::MAX);
        lines_machine.feed(&next[..room.min(next.len())], arrival(1), &mut effects);
        check_taken(&effects, true);
        let rotations = effects.list().iter().filter(|e| matches!(e, lines::Effect::Rotate(_))).count();
        prop_assert_eq!(rotations, 0, "rotated within {} bytes", room);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// Where no action reads the text, whole runs of lines go out at once; a `+*`
    /// (which changes no selection) makes the machine take every line by itself.
    /// Both must cut the same files, label the same way and rotate at the same points.
    #[test]
    fn runs_of_lines_go_out_as_lines_one_by_one_would(
        stamp in stamp_strategy(),
        dirs in proptest::collection::vec((4096u64..9000, 0u64..9000), 1..3),
        lines in proptest::collection::vec(line_strategy(), 0..60),
        last_newline: bool,
        cuts in proptest::collection::vec(0usize..200_000, 0..6),
        alarms in proptest::collection::vec(0usize..7, 0..3),
    ) {
        let mut args: Vec<String> = Vec::new();
        for (k, (size, _)) in dirs.iter().enumerate() {
            args.push(format!("s{size}"));
            args.push(format!("./d{k}"));
        }
        let mut one_by_one = args.clone();
        one_by_one.insert(0, "+*".into());
        if let Some(stamp) = stamp {
            args.insert(0, stamp.into());
            one_by_one.insert(0, stamp.into());
        }
        let start: Vec<u64> = dirs.iter().map(|&(_, bytes)| bytes).collect();
        let mut input = lines.join(&b'\n');
        if last_newline && !input.is_empty() {
            input.push(b'\n');
        }
        let runs = run_from(&parse(&args), &start, &input, &cuts, &alarms, arrival);
        let lines = run_from(&parse(&one_by_one), &start, &input, &cuts, &alarms, arrival);
        prop_assert_eq!(runs, lines);
    }
}

#[test]
fn upstreams_observed_rotations() {
    // Spec 11.4: 100-byte lines at s4096 close files at the first line end at or
    // beyond 2096 bytes (2100-byte files); a 10001-byte line is cut at exactly 4096.
    let script = parse(&["s4096", "./d"]);
    let line = [vec![b'x'; 99], vec![b'\n']].concat();
    let input: Vec<u8> = line.repeat(50);
    let dirs = run(&script, &input, &[], &[]);
    let sizes: Vec<usize> = dirs.all_files(0).iter().map(|f| f.len()).collect();
    assert_eq!(sizes, [2100, 2100, 800]);

    let long = [vec![b'y'; 10_000], vec![b'\n']].concat();
    let dirs = run(&script, &long, &[], &[]);
    let sizes: Vec<usize> = dirs.all_files(0).iter().map(|f| f.len()).collect();
    assert_eq!(sizes, [4096, 4096, 1809]);
}

#[test]
fn a_line_ending_at_size_less_2000_rotates_at_once() {
    // s4096: 16 lines of 131 bytes (with the label under `t`) end at 2096 bytes.
    for (args, text) in [(&["s4096", "./d"][..], 130), (&["t", "s4096", "./d"][..], 104)] {
        let line = [vec![b'x'; text], vec![b'\n']].concat();
        let dirs = run(&parse(args), &line.repeat(16), &[], &[]);
        let sizes: Vec<usize> = dirs.all_files(0).iter().map(|f| f.len()).collect();
        assert_eq!(sizes, [2096, 0], "{args:?}");
    }
}

#[test]
fn alarm_never_splits_a_line() {
    let script = parse(&["./d"]);
    let mut dirs = Dirs::new(1);
    let mut lines = Lines::new(&script, &[0]);
    let mut effects = Effects::new();
    let mut feed = |lines: &mut Lines, dirs: &mut Dirs, input: &[u8]| {
        lines.feed(input, arrival(0), &mut effects);
        check_taken(&effects, true);
        dirs.apply(&effects, input);
    };
    let alarm = |lines: &mut Lines, dirs: &mut Dirs| {
        let mut effects = Effects::new();
        lines.rotate_all(&mut effects);
        check_taken(&effects, false);
        dirs.apply(&effects, &[]);
    };
    // Nothing of "two" has reached the directory when the alarm comes: at once.
    feed(&mut lines, &mut dirs, b"one\ntw");
    alarm(&mut lines, &mut dirs);
    feed(&mut lines, &mut dirs, b"o\nthree\n");
    assert_eq!(dirs.all_files(0), [&b"one\n".to_vec(), &b"two\nthree\n".to_vec()]);
    // Part of a long line has (its first 1000 bytes decide it): at its end.
    let long = vec![b'x'; 1500];
    feed(&mut lines, &mut dirs, &long);
    alarm(&mut lines, &mut dirs);
    feed(&mut lines, &mut dirs, b"\nafter\n");
    let mut effects = Effects::new();
    lines.finish(&mut effects);
    check_taken(&effects, false);
    dirs.apply(&effects, &[]);
    let expected_last = [&b"two\nthree\n"[..], &long, b"\n"].concat();
    assert_eq!(dirs.all_files(0)[1..], [&expected_last, &b"after\n".to_vec()]);
    // Between lines, at once; an empty current is not rotated.
    alarm(&mut lines, &mut dirs);
    alarm(&mut lines, &mut dirs);
    assert_eq!(dirs.files[0].len(), 3);
    assert!(dirs.current[0].is_empty());
}

/// A log directory on a simulated file system, with the process that works in it:
/// the machine's calls are carried out here, one by one. Names map to inodes, which
/// hold data and a mode; the open files, the lock and the children belong to the
/// process and go at a crash. Every call counts (so do the processor's writes and
/// multilog's writes to `current`): a crash can be set at any count, and any call
/// can be made to fail.
#[derive(Clone, Debug, Default)]
struct Disk {
    names: BTreeMap<Vec<u8>, usize>,
    inodes: Vec<(Vec<u8>, u32)>,
    // The process.
    entered: bool,
    dir_open: bool,
    locked: bool,
    current: Option<usize>,
    in_hand: Option<usize>,
    children: BTreeMap<u32, i32>,
    next_pid: u32,
    // The faults.
    calls: usize,
    crashes: BTreeSet<usize>,
    failures: BTreeSet<usize>,
    /// Fail every call once, the first time it is made (a link under any name).
    fail_each_once: Option<BTreeSet<String>>,
    /// Upstream ignores a failed unlink of `previous` in recovery; a crash before the
    /// next rotation then keeps its lines twice (processed and not). That fault is
    /// left out where the property is checked.
    spare_previous: bool,
    // Time, in nanoseconds: each call takes a microsecond.
    mono: u64,
    /// What the calls and the machine said, for the snapshots.
    log: Vec<String>,
    /// How many waits for the processor were made to fail: each fails in turn
    /// as an exit 1, a crash, and an error of waitpid.
    wait_failures: usize,
    /// Processed rotations since `state` was last emptied: `state` holds one mark each.
    state_marks: usize,
}

/// How the process ended.
#[derive(Debug, PartialEq, Eq)]
enum Stop {
    Crash,
    Fatal,
}

const EIO: i32 = 5;
const EEXIST: i32 = 17;
const ECHILD: i32 = 10;
const EAGAIN: i32 = 11;

fn show(name: &[u8]) -> String {
    String::from_utf8_lossy(name).into_owned()
}

fn errno_name(errno: i32) -> &'static str {
    match errno {
        2 => "ENOENT",
        5 => "EIO",
        10 => "ECHILD",
        11 => "EAGAIN",
        17 => "EEXIST",
        28 => "ENOSPC",
        _ => "?",
    }
}

/// A call and its result, as the log shows them.
fn show_call(call: &Call, answer: &Result<Answer, i32>) -> String {
    let call = match call {
        Call::Link(file, name) => format!("Link({file}, {})", show(name)),
        Call::Remove(name) => format!("Remove({})", show(name)),
        Call::Wait(_) => "Wait".into(),
        Call::FchmodCurrent(mode) => format!("FchmodCurrent({mode:o})"),
        Call::Fchmod(file, mode) => format!("Fchmod({file}, {mode:o})"),
        Call::Chmod(file, mode) => format!("Chmod({file}, {mode:o})"),
        other => format!("{other:?}").replace('"', ""),
    };
    let answer = match answer {
        Ok(Answer::Done) => String::new(),
        Ok(Answer::Stat { mode, size, nlink }) => format!(" -> mode {mode:o}, {size} bytes, {nlink} links"),
        Ok(Answer::Listing(names)) => format!(" -> {} names", names.len()),
        Ok(Answer::Forked(_)) => String::new(),
        Ok(other) => format!(" -> {other:?}"),
        Err(errno) => format!(" -> {}", errno_name(*errno)),
    };
    format!("{call}{answer}")
}

fn show_message(kind: &str, text: &[u8], errno: Option<i32>) -> String {
    let errno = errno.map_or(String::new(), |e| format!(": {}", errno_name(e)));
    format!("  {kind}: {}{errno}", show(text))
}

impl Disk {
    fn now(&self) -> Now {
        let micros = self.mono / 1000;
        Now {
            wall: Tai64N::from_unix_micros(
                1_700_000_000 + (micros / 1_000_000) as i64,
                (micros % 1_000_000) as u32,
            ),
            mono: self.mono,
        }
    }

    fn create(&mut self, name: &str, data: &[u8], mode: u32) {
        self.inodes.push((data.to_vec(), mode));
        self.names.insert(name.as_bytes().to_vec(), self.inodes.len() - 1);
    }

    fn inode(&self, name: &str) -> Option<usize> {
        self.names.get(name.as_bytes()).copied()
    }

    fn data(&self, name: &str) -> Option<&Vec<u8>> {
        self.inode(name).map(|i| &self.inodes[i].0)
    }

    fn mode(&self, name: &str) -> Option<u32> {
        self.inode(name).map(|i| self.inodes[i].1)
    }

    fn nlink(&self, inode: usize) -> u64 {
        self.names.values().filter(|&&j| j == inode).count() as u64
    }

    /// The process dies: its files, lock and children with it.
    fn crash(&mut self) {
        self.entered = false;
        self.dir_open = false;
        self.locked = false;
        self.current = None;
        self.in_hand = None;
        self.children.clear();
    }

    /// The next call (or write): whether the process crashes at it, or it fails.
    fn count(&mut self, key: String) -> Result<bool, Stop> {
        self.calls += 1;
        self.mono += 1000;
        if self.crashes.contains(&self.calls) {
            self.log.push(format!("{key}: crash"));
            self.crash();
            return Err(Stop::Crash);
        }
        let fails = match &mut self.fail_each_once {
            Some(seen) => seen.insert(key),
            None => self.failures.contains(&self.calls),
        };
        Ok(fails)
    }

    /// Writes `text` to the open `current`, as the runtime does between rotations.
    fn write(&mut self, text: &[u8]) -> Result<Result<(), i32>, Stop> {
        if self.count("write".into())? {
            return Ok(Err(28)); // ENOSPC
        }
        let i = self.current.expect("current is open when the machine is idle");
        self.inodes[i].0.extend_from_slice(text);
        Ok(Ok(()))
    }

    /// Carries out one call of the machine.
    fn call(&mut self, call: &Call, program: Option<Program>) -> Result<Result<Answer, i32>, Stop> {
        let key = match call {
            Call::Link(file, _) => format!("Link({file})"),
            Call::Remove(name) => format!("Remove({})", show(name)),
            Call::Wait(_) if self.wait_failures < 3 => format!("Wait{}", self.wait_failures),
            Call::Wait(_) => "Wait".into(),
            _ => format!("{call:?}"),
        };
        let spared = self.spare_previous
            && program == Some(Program::RepairProcessed)
            && *call == Call::Unlink("previous");
        if self.count(key)? && !spared {
            return Ok(Err(match call {
                Call::Fork => EAGAIN,
                Call::Wait(pid) => {
                    // The processor ran: it failed, crashed, or cannot be waited for.
                    self.children.remove(pid);
                    self.wait_failures += 1;
                    return Ok(match self.wait_failures % 3 {
                        1 => Ok(Answer::Exited(1)),
                        2 => Ok(Answer::Crashed { errno: 2 }),
                        _ => Err(ECHILD),
                    });
                }
                Call::Close(_) => {
                    self.in_hand = None;
                    EIO
                }
                _ => EIO,
            }));
        }
        let named = |call: &Call| {
            !matches!(
                call,
                Call::EnterStart | Call::MakeDir | Call::OpenDir | Call::Enter
            )
        };
        if named(call) {
            assert!(self.entered, "{call:?} outside the log directory");
        }
        let done = Ok(Answer::Done);
        let missing = Err(model::multilog::logdir::ENOENT);
        Ok(match *call {
            Call::Now => unreachable!("`drive` reads the clock"),
            Call::EnterStart => {
                self.entered = false;
                done
            }
            Call::MakeDir => Err(EEXIST),
            Call::OpenDir => {
                self.dir_open = true;
                done
            }
            Call::Enter => {
                assert!(self.dir_open);
                self.entered = true;
                done
            }
            Call::Lock => {
                assert!(!self.locked, "locked twice");
                if self.inode("lock").is_none() {
                    self.create("lock", b"", 0o600);
                }
                self.locked = true;
                done
            }
            Call::Stat(file) => match self.inode(file) {
                None => missing,
                Some(i) => Ok(Answer::Stat {
                    mode: self.inodes[i].1,
                    size: self.inodes[i].0.len() as u64,
                    nlink: self.nlink(i),
                }),
            },
            Call::OpenCurrent | Call::Open(_) => {
                let file = if let Call::Open(file) = *call {
                    file
                } else {
                    "current"
                };
                if self.inode(file).is_none() {
                    self.create(file, b"", 0o600);
                }
                let i = self.inode(file);
                if *call == Call::OpenCurrent {
                    self.current = i;
                } else {
                    self.in_hand = i;
                }
                done
            }
            Call::FsyncCurrent => {
                self.current.expect("fsync of a closed current");
                done
            }
            Call::FchmodCurrent(mode) => {
                let i = self.current.expect("fchmod of a closed current");
                self.inodes[i].1 = mode;
                done
            }
            Call::Fsync(_) => {
                self.in_hand.expect("fsync of no file");
                done
            }
            Call::Fchmod(_, mode) => {
                let i = self.in_hand.expect("fchmod of no file");
                self.inodes[i].1 = mode;
                done
            }
            Call::Close(_) => {
                self.in_hand.take().expect("close of no file");
                done
            }
            Call::Chmod(file, mode) => match self.inode(file) {
                None => missing,
                Some(i) => {
                    self.inodes[i].1 = mode;
                    done
                }
            },
            Call::Rename(from, to) => match self.names.remove(from.as_bytes()) {
                None => missing,
                Some(i) => {
                    self.names.insert(to.as_bytes().to_vec(), i);
                    done
                }
            },
            Call::Unlink(file) => match self.names.remove(file.as_bytes()) {
                None => missing,
                Some(_) => done,
            },
            Call::Remove(ref name) => match self.names.remove(name) {
                None => missing,
                Some(_) => done,
            },
            Call::Link(file, name) => match self.inode(file) {
                None => missing,
                Some(_) if self.names.contains_key(&name[..]) => Err(EEXIST),
                Some(i) => {
                    self.names.insert(name.to_vec(), i);
                    done
                }
            },
            Call::List => Ok(Answer::Listing(self.names.keys().cloned().collect())),
            Call::ListSizes => Ok(Answer::Sizes(
                self.names
                    .iter()
                    .map(|(n, &i)| (n.clone(), self.inodes[i].0.len() as u64))
                    .collect(),
            )),
            Call::EmptyState => {
                match self.inode("state") {
                    Some(i) => self.inodes[i].0.clear(),
                    None => self.create("state", b"", 0o644),
                }
                self.state_marks = 0;
                done
            }
            Call::Fork => {
                self.next_pid += 1;
                let status = self.processor()?;
                self.children.insert(self.next_pid, status);
                Ok(Answer::Forked(self.next_pid))
            }
            Call::Wait(pid) => Ok(Answer::Exited(
                self.children.remove(&pid).expect("a child to wait for"),
            )),
        })
    }

    /// The processor's child: `processed` is `previous` in upper case, `newstate` is
    /// `state` and one mark. Its steps count: a crash can stop it anywhere.
    fn processor(&mut self) -> Result<i32, Stop> {
        let (Some(previous), Some(_)) = (self.data("previous").cloned(), self.inode("state")) else {
            return Ok(111);
        };
        for name in ["processed", "newstate"] {
            match self.inode(name) {
                Some(i) => self.inodes[i].0.clear(),
                None => self.create(name, b"", 0o644),
            }
        }
        self.count("processor writes processed".into())?;
        let processed = self.inode("processed").unwrap();
        self.inodes[processed].0 = previous.to_ascii_uppercase();
        self.count("processor writes newstate".into())?;
        let state = [&self.data("state").unwrap()[..], b"+"].concat();
        let newstate = self.inode("newstate").unwrap();
        self.inodes[newstate].0 = state;
        Ok(0)
    }

    /// Old files in name (so time) order, then current.
    fn contents(&self) -> Vec<u8> {
        let mut out: Vec<u8> = self
            .names
            .iter()
            .filter(|(n, _)| n.starts_with(b"@"))
            .flat_map(|(_, &i)| self.inodes[i].0.clone())
            .collect();
        out.extend(self.data("current").cloned().unwrap_or_default());
        out
    }

    fn old_files(&self) -> Vec<(&Vec<u8>, usize)> {
        self.names
            .iter()
            .filter(|(n, _)| n.starts_with(b"@"))
            .map(|(n, &i)| (n, i))
            .collect()
    }
}

/// Carries out the machine's effects on `disk` until the machine is idle (or closed),
/// or the process ends. Checks on the way that each warning comes with a pause of
/// five seconds, in which an early timer does nothing, after which the failed call
/// is made again (a link under a new name; after the processor, a new run of it);
/// and that nothing is fatal once start-up is over.
fn drive(m: &mut LogDir, disk: &mut Disk) -> Result<(), Stop> {
    // The last call that failed, and when; whether a warning followed.
    let mut failed: Option<(Call, u64)> = None;
    let mut warned = false;
    let mut program = None;
    for _ in 0..100_000 {
        match m.poll() {
            // Not a file system's call: it neither fails nor counts.
            Some(Effect::Call(Call::Now)) => m.handle(Input::Answer(Ok(Answer::Now(disk.now())))),
            Some(Effect::Call(call)) => {
                if let (Some((before, _)), true) = (&failed, warned) {
                    let again = match (before, &call) {
                        (Call::Link(a, _), Call::Link(b, _)) => a == b,
                        (Call::Wait(_), Call::Fork) => true,
                        (a, b) => a == b,
                    };
                    assert!(again, "after a warning about {before:?}, {call:?}");
                }
                warned = false;
                program = m.program();
                let answer = disk.call(&call, program)?;
                disk.log.push(show_call(&call, &answer));
                failed = match (&answer, &call) {
                    (Err(_), _) | (Ok(Answer::Exited(1..) | Answer::Crashed { .. }), Call::Wait(_)) => {
                        Some((call.clone(), disk.mono))
                    }
                    _ => None,
                };
                m.handle(Input::Answer(answer));
            }
            Some(Effect::Warn { text, errno }) => {
                disk.log.push(show_message("warning", &text, errno));
                assert_eq!(m.deadline(), Some(disk.mono + PAUSE), "a pause of five seconds");
                warned = true;
            }
            Some(Effect::Fatal { text, errno }) => {
                assert!(
                    matches!(
                        program,
                        Some(Program::Start | Program::Resume | Program::Repair | Program::RepairProcessed)
                    ),
                    "fatal in {program:?}"
                );
                disk.log.push(show_message("fatal", &text, errno));
                assert_eq!((m.poll(), m.deadline()), (None, None));
                disk.crash();
                return Err(Stop::Fatal);
            }
            None => match m.deadline() {
                Some(at) => {
                    m.handle(Input::Timer(Now {
                        mono: at - 1,
                        ..disk.now()
                    }));
                    assert_eq!(m.poll(), None, "an early timer did something");
                    assert_eq!(m.deadline(), Some(at));
                    disk.mono = at;
                    m.handle(Input::Timer(disk.now()));
                }
                None => return Ok(()),
            },
        }
    }
    panic!(
        "the machine never rests: {:?}",
        &disk.log[disk.log.len().saturating_sub(20)..]
    );
}

/// Starts multilog's machine for the directory, again after every fatal error or
/// crash, until it is running; returns it with how many bytes current holds.
fn start(disk: &mut Disk, keep: Keep, processor: bool) -> LogDir {
    loop {
        let mut m = LogDir::new(b"./d", keep.num, keep.total, processor);
        if drive(&mut m, disk).is_ok() {
            assert!(m.is_idle());
            return m;
        }
    }
}

/// What a directory keeps: fewer than `num` old files (`n`), holding at most
/// `total` bytes (`S`).
#[derive(Clone, Copy, Debug)]
struct Keep {
    num: u64,
    total: Option<u64>,
}

#[derive(Clone, Debug)]
enum Op {
    Write(Vec<u8>),
    Rotate,
    /// The end of input, and a new multilog.
    Close,
}

fn op_strategy() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => proptest::collection::vec("[a-z]{0,8}\n", 1..4).prop_map(|l| Op::Write(l.concat().into_bytes())),
        3 => Just(Op::Rotate),
        1 => Just(Op::Close),
    ]
}

/// What must hold whenever the machine is idle: every line written is there once,
/// in order (the newest, with retention), processed or not as its file's name says;
/// old files with one link each, fewer than `num` and at most `total` bytes after a
/// rotation (a crash while old files are removed can leave more, until the next
/// one: as upstream);
/// `current` open at 0644; `state` carries one mark per processed rotation since it
/// was last emptied.
fn check_idle(
    disk: &Disk,
    written: &[u8],
    keep: Keep,
    processor: bool,
    rotated: bool,
) -> Result<(), TestCaseError> {
    let contents = disk.contents().to_ascii_lowercase();
    if keep.num > 100 && keep.total.is_none() {
        prop_assert_eq!(show(&contents), show(written));
    } else {
        prop_assert!(
            written.ends_with(&contents),
            "{} is not the end of {}",
            show(&contents),
            show(written)
        );
        prop_assert!(
            !rotated || disk.old_files().len() < keep.num as usize,
            "{:#?}",
            disk.log
        );
        let total: usize = disk
            .old_files()
            .iter()
            .map(|&(_, i)| disk.inodes[i].0.len())
            .sum();
        prop_assert!(
            !rotated || keep.total.is_none_or(|cap| total as u64 <= cap),
            "{} bytes in old files: {:#?}",
            total,
            disk.log
        );
    }
    for (name, i) in disk.old_files() {
        prop_assert_eq!(disk.nlink(i), 1, "{} has other names", show(name));
        let data = &disk.inodes[i].0;
        if name.ends_with(b".s") {
            prop_assert_eq!(disk.inodes[i].1, 0o744);
            let want = if processor {
                data.to_ascii_uppercase()
            } else {
                data.to_ascii_lowercase()
            };
            prop_assert_eq!(data, &want, "{}", show(name));
        } else {
            prop_assert_eq!(data, &data.to_ascii_lowercase(), "{} was processed", show(name));
        }
    }
    prop_assert_eq!(disk.mode("current"), Some(0o644));
    prop_assert_eq!(disk.current, disk.inode("current"));
    prop_assert!(disk.data("previous").is_none());
    prop_assert!(disk.mode("processed").is_none_or(|m| m & 0o100 == 0));
    if processor {
        prop_assert_eq!(disk.data("state").map(|s| s.len()), Some(disk.state_marks));
    }
    Ok(())
}

/// Runs `ops` on a new directory with the machine, crashing at the calls counted in
/// `crashes` and failing those in `failures`, and checks `check_idle` whenever the
/// machine rests (after a crash, once start-up has recovered). Returns how many
/// calls were made.
fn run_ops(
    ops: &[Op],
    processor: bool,
    keep: Keep,
    crashes: BTreeSet<usize>,
    failures: BTreeSet<usize>,
) -> Result<usize, TestCaseError> {
    let mut disk = Disk {
        crashes,
        failures,
        spare_previous: true,
        ..Disk::default()
    };
    let mut written = Vec::new();
    let mut m = start(&mut disk, keep, processor);
    check_idle(&disk, &written, keep, processor, false)?;
    for op in ops.iter().cloned() {
        let rotation = matches!(op, Op::Rotate);
        let stopped = match op {
            Op::Write(text) => loop {
                match disk.write(&text) {
                    Ok(Ok(())) => {
                        written.extend_from_slice(&text);
                        break Ok(());
                    }
                    Ok(Err(errno)) => {
                        // A warning and a pause (checked in `drive`), then the same write.
                        m.handle(Input::WriteFailed(errno));
                        let before = disk.log.len();
                        if let Err(stop) = drive(&mut m, &mut disk) {
                            break Err(stop);
                        }
                        prop_assert_eq!(
                            &disk.log[before..],
                            ["  warning: unable to write to ./d/current, pausing: ENOSPC"]
                        );
                    }
                    Err(stop) => break Err(stop),
                }
            },
            Op::Rotate => {
                m.handle(Input::Rotate);
                let rotated = drive(&mut m, &mut disk);
                if rotated.is_ok() && processor {
                    disk.state_marks += 1;
                }
                rotated
            }
            Op::Close => {
                m.handle(Input::Close);
                match drive(&mut m, &mut disk) {
                    Ok(()) => {
                        prop_assert!(m.is_closed());
                        prop_assert_eq!(disk.mode("current"), Some(0o744));
                        let size = disk.data("current").unwrap().len() as u64;
                        disk.crash(); // the process exits
                        m = start(&mut disk, keep, processor);
                        // Whatever failed in start-up, a closed current is resumed.
                        prop_assert_eq!(m.start_bytes(), size);
                        prop_assert_eq!(disk.current, disk.inode("current"));
                        Ok(())
                    }
                    Err(stop) => Err(stop),
                }
            }
        };
        if stopped.is_err() {
            m = start(&mut disk, keep, processor);
        }
        check_idle(&disk, &written, keep, processor, rotation && stopped.is_ok())?;
    }
    Ok(disk.calls)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    /// 5. The machine the program runs, on a simulated directory: crashes at any
    /// points, any calls failing (and any writes), with or without a processor,
    /// with retention or without. Whenever it rests, nothing written is lost or
    /// doubled.
    #[test]
    fn a_crash_anywhere_in_a_rotation_loses_nothing(
        ops in proptest::collection::vec(op_strategy(), 1..25),
        processor: bool,
        few: bool,
        total in proptest::option::of(0u64..40),
        crashes in proptest::collection::btree_set(1usize..250, 0..4),
        failures in proptest::collection::btree_set(1usize..250, 0..12),
    ) {
        let keep = Keep { num: if few { 3 } else { 1000 }, total };
        run_ops(&ops, processor, keep, crashes, failures)?;
    }
}

/// 5, exhaustively on one story (writes, rotations, a close and a new start): a
/// crash at each call, each call failing, and every pair of a failure or crash
/// followed by a crash (a crash in recovery, a crash after a retried call).
#[test]
fn every_crash_and_failure_in_a_story_loses_nothing() {
    let line = |s: &str| Op::Write(s.as_bytes().to_vec());
    let story = [
        line("one\n"),
        Op::Rotate,
        line("two\nthree\n"),
        Op::Rotate,
        line("four\n"),
        Op::Close,
        line("five\n"),
        Op::Rotate,
        line("six\n"),
    ];
    let mut runs = 0;
    for processor in [false, true] {
        for keep in [
            Keep { num: 3, total: None },
            Keep {
                num: 1000,
                total: None,
            },
            Keep {
                num: 1000,
                total: Some(12),
            },
        ] {
            let none = BTreeSet::new();
            let calls = run_ops(&story, processor, keep, none.clone(), none.clone()).unwrap();
            for k in 1..=calls + 1 {
                let one = BTreeSet::from([k]);
                run_ops(&story, processor, keep, one.clone(), none.clone()).unwrap();
                run_ops(&story, processor, keep, none.clone(), one.clone()).unwrap();
                runs += 2;
                for j in 1..k {
                    let both = BTreeSet::from([j, k]);
                    run_ops(&story, processor, keep, both, none.clone()).unwrap();
                    run_ops(&story, processor, keep, one.clone(), BTreeSet::from([j])).unwrap();
                    runs += 2;
                }
            }
        }
    }
    assert!(runs > 10_000, "{runs} runs");
}

/// The calls and messages of a start in an empty directory, a rotation through a
/// processor, and the close, with every call failing once: upstream's messages.
#[test]
fn every_failure_has_upstreams_message() {
    // The first three waits for the processor fail, in three ways.
    let mut disk = Disk {
        fail_each_once: Some(BTreeSet::from(["Wait".to_string()])),
        ..Disk::default()
    };
    let mut m = start(&mut disk, Keep { num: 10, total: None }, true);
    disk.write(b"one\n").unwrap().unwrap_err();
    m.handle(Input::WriteFailed(28));
    drive(&mut m, &mut disk).unwrap();
    disk.write(b"one\n").unwrap().unwrap();
    m.handle(Input::Rotate);
    drive(&mut m, &mut disk).unwrap();
    m.handle(Input::Close);
    drive(&mut m, &mut disk).unwrap();
    let log = regex_free_labels(&disk.log.join("\n"));
    insta::assert_snapshot!(log, @r"
    EnterStart -> EIO
      fatal: unable to switch to starting directory: EIO
    EnterStart
    MakeDir -> EIO
    OpenDir -> EIO
      fatal: unable to open directory ./d: EIO
    EnterStart
    MakeDir -> EEXIST
    OpenDir
    Enter -> EIO
      fatal: unable to open directory ./d: EIO
    EnterStart
    MakeDir -> EEXIST
    OpenDir
    Enter
    Lock -> EIO
      fatal: unable to lock directory ./d: EIO
    EnterStart
    MakeDir -> EEXIST
    OpenDir
    Enter
    Lock
    Stat(current) -> EIO
      fatal: unable to stat ./d/current: EIO
    EnterStart
    MakeDir -> EEXIST
    OpenDir
    Enter
    Lock
    Stat(current) -> ENOENT
    Stat(processed) -> EIO
      fatal: unable to stat ./d/processed: EIO
    EnterStart
    MakeDir -> EEXIST
    OpenDir
    Enter
    Lock
    Stat(current) -> ENOENT
    Stat(processed) -> ENOENT
    Unlink(state) -> EIO
    Unlink(newstate) -> EIO
    Unlink(processed) -> EIO
    Stat(previous) -> EIO
      warning: unable to stat ./d/previous, pausing: EIO
    Stat(previous) -> ENOENT
    Stat(current) -> ENOENT
    EmptyState -> EIO
      fatal: unable to write to ./d/state: EIO
    EnterStart
    MakeDir -> EEXIST
    OpenDir
    Enter
    Lock
    Stat(current) -> ENOENT
    Stat(processed) -> ENOENT
    Unlink(state) -> ENOENT
    Unlink(newstate) -> ENOENT
    Unlink(processed) -> ENOENT
    Stat(previous) -> ENOENT
    Stat(current) -> ENOENT
    EmptyState
    OpenCurrent -> EIO
      fatal: unable to write to ./d/current: EIO
    EnterStart
    MakeDir -> EEXIST
    OpenDir
    Enter
    Lock
    Stat(current) -> ENOENT
    Stat(processed) -> ENOENT
    Unlink(state)
    Unlink(newstate) -> ENOENT
    Unlink(processed) -> ENOENT
    Stat(previous) -> ENOENT
    Stat(current) -> ENOENT
    EmptyState
    OpenCurrent
    FchmodCurrent(644) -> EIO
      fatal: unable to set mode of ./d/current: EIO
    EnterStart
    MakeDir -> EEXIST
    OpenDir
    Enter
    Lock
    Stat(current) -> mode 600, 0 bytes, 1 links
    Stat(processed) -> ENOENT
    Unlink(state)
    Unlink(newstate) -> ENOENT
    Unlink(processed) -> ENOENT
    Stat(previous) -> ENOENT
    Stat(current) -> mode 600, 0 bytes, 1 links
    Link(current, @<label>.u) -> EIO
      warning: unable to link to ./d/@<label>.u, pausing: EIO
    Link(current, @<label>.u)
    Unlink(current) -> EIO
      warning: unable to remove ./d/current, pausing: EIO
    Unlink(current)
    List -> EIO
      warning: unable to read ./d, pausing: EIO
    List -> 2 names
    EmptyState
    OpenCurrent
    FchmodCurrent(644)
      warning: unable to write to ./d/current, pausing: ENOSPC
    Enter
    FsyncCurrent -> EIO
      warning: unable to write ./d/current to disk, pausing: EIO
    FsyncCurrent
    Rename(current, previous) -> EIO
      warning: unable to rename current to previous in directory ./d, pausing: EIO
    Rename(current, previous)
    OpenCurrent
    FchmodCurrent(644)
    Chmod(previous, 744) -> EIO
      warning: unable to set mode of ./d/previous, pausing: EIO
    Chmod(previous, 744)
    Fork -> EAGAIN
      warning: unable to fork for processor in ./d, pausing: EAGAIN
    Fork
    Wait -> Exited(1)
      warning: processor failed in ./d, pausing
    Fork
    Wait -> Crashed { errno: 2 }
      warning: processor crashed in ./d, pausing: ENOENT
      warning: processor failed in ./d, pausing
    Fork
    Wait -> ECHILD
      warning: wait failed for processor in ./d, pausing: ECHILD
      warning: processor failed in ./d, pausing
    Fork
    Wait -> Exited(0)
    Open(processed) -> EIO
      warning: unable to create ./d/processed, pausing: EIO
    Open(processed)
    Fsync(processed) -> EIO
      warning: unable to write ./d/processed to disk, pausing: EIO
    Fsync(processed)
    Fchmod(processed, 744) -> EIO
      warning: unable to set mode of ./d/processed, pausing: EIO
    Fchmod(processed, 744)
    Close(processed) -> EIO
    Open(newstate) -> EIO
      warning: unable to create ./d/newstate, pausing: EIO
    Open(newstate)
    Fsync(newstate) -> EIO
      warning: unable to write ./d/newstate to disk, pausing: EIO
    Fsync(newstate)
    Close(newstate) -> EIO
    Unlink(previous) -> EIO
      warning: unable to remove ./d/previous, pausing: EIO
    Unlink(previous)
    Rename(newstate, state) -> EIO
      warning: unable to rename newstate to state in directory ./d, pausing: EIO
    Rename(newstate, state)
    Stat(processed) -> mode 744, 4 bytes, 1 links
    Link(processed, @<label>.s) -> EIO
      warning: unable to link to ./d/@<label>.s, pausing: EIO
    Link(processed, @<label>.s)
    Unlink(processed)
    List -> 5 names
    FsyncCurrent
    FchmodCurrent(744) -> EIO
      warning: unable to set mode of ./d/current, pausing: EIO
    FchmodCurrent(744)
    ");
}

/// Replaces the labels of finished names (`@` and 24 hex digits) by `@<label>`.
fn regex_free_labels(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find('@') {
        out.push_str(&rest[..at]);
        let label = &rest[at + 1..];
        if label.len() >= 24 && label[..24].bytes().all(|c| c.is_ascii_hexdigit()) {
            out.push_str("@<label>");
            rest = &label[24..];
        } else {
            out.push('@');
            rest = label;
        }
    }
    out.push_str(rest);
    out
}

#[test]
fn retention_keeps_num_minus_one_old_files() {
    let mut disk = Disk::default();
    let mut m = start(&mut disk, Keep { num: 3, total: None }, false);
    for k in 0..12u8 {
        disk.write(&[b'a' + k]).unwrap().unwrap();
        m.handle(Input::Rotate);
        drive(&mut m, &mut disk).unwrap();
    }
    disk.write(b"m").unwrap().unwrap();
    assert_eq!(disk.old_files().len(), 2);
    assert_eq!(disk.contents(), b"klm");
}

#[test]
fn a_total_cap_keeps_the_newest_that_fit() {
    let mut disk = Disk::default();
    let keep = Keep {
        num: 1000,
        total: Some(7),
    };
    let mut m = start(&mut disk, keep, false);
    for text in [&b"aaaa"[..], b"bb", b"ccc", b"dddddddd", b"e", b"ff"] {
        disk.write(text).unwrap().unwrap();
        m.handle(Input::Rotate);
        drive(&mut m, &mut disk).unwrap();
    }
    // dddddddd alone is over the cap: it went too, once e came after it.
    assert_eq!(disk.contents(), b"eff");
    assert!(
        disk.log.iter().any(|l| l.contains("ListSizes")),
        "{:#?}",
        disk.log
    );
}

/// One step of a story for `R`: some input arriving, or the time told.
#[derive(Clone, Debug)]
enum Step {
    Read(Vec<u8>),
    Tick,
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// 7. `R`: a tick rotates a non-empty current whose first line (the time of its
    /// first write since the last rotation) is `age` old, at once between lines,
    /// else right after the line's newline; it never rotates one younger; the
    /// deadline is the earliest such time; a directory without `R` is never
    /// rotated by a tick; and every line arrives once, in order.
    #[test]
    fn r_rotates_a_current_once_its_first_line_is_old_enough(
        stamp in stamp_strategy(),
        age in 1u64..4,
        steps in proptest::collection::vec(
            (prop_oneof![
                3 => proptest::collection::vec(prop_oneof![Just(b'a'), Just(b'\n')], 1..40)
                    .prop_map(Step::Read),
                2 => Just(Step::Tick),
            ], 0u64..2500),
            1..40,
        ),
    ) {
        let mut args = vec!["./plain".to_string(), format!("R{age}"), "./aged".to_string()];
        if let Some(stamp) = stamp {
            args.insert(0, stamp.into());
        }
        let script = parse(&args);
        let mut lines = Lines::new(&script, &[0, 0]);
        let mut effects = Effects::new();
        let mut dirs = Dirs::new(2);
        let mut now = Tai64N::from_unix_micros(1_700_000_000, 0);
        // For the aged directory: when its current's first write came, and whether
        // a rotation is owed at the next newline.
        let (mut first, mut owed): (Option<Tai64N>, bool) = (None, false);
        let mut input = Vec::new();
        let later = |t: Tai64N, ms: u64| {
            let nanos = u64::from(t.nanos) + ms * 1_000_000;
            Tai64N { secs: t.secs + nanos / 1_000_000_000, nanos: (nanos % 1_000_000_000) as u32 }
        };
        let due = |first: Option<Tai64N>| first.map(|f| Tai64N { secs: f.secs + age, ..f });
        for (step, ms) in steps {
            now = later(now, ms);
            let bytes = match &step {
                Step::Read(bytes) => {
                    lines.feed(bytes, now, &mut effects);
                    check_taken(&effects, true);
                    input.extend_from_slice(bytes);
                    bytes.clone()
                }
                Step::Tick => {
                    lines.tick(now, &mut effects);
                    check_taken(&effects, false);
                    let rotates = effects.list().contains(&lines::Effect::Rotate(1));
                    let old = due(first).is_some_and(|d| d <= now) && !owed;
                    prop_assert!(!effects.list().contains(&lines::Effect::Rotate(0)));
                    if old && lines.between_lines() {
                        prop_assert!(rotates, "an old current is kept at {:?}", now);
                    } else if old {
                        owed = true;
                    } else {
                        prop_assert!(!rotates, "a young current rotated at {:?}", now);
                    }
                    Vec::new()
                }
            };
            // Follow the aged directory's writes and rotations.
            let list = effects.list();
            for (k, effect) in list.iter().enumerate() {
                match effect {
                    lines::Effect::Write { dir: 1, span } => {
                        if first.is_none() {
                            first = Some(now);
                        }
                        let written = effects.bytes(span, &bytes);
                        if owed && written.contains(&b'\n') {
                            prop_assert!(written.ends_with(b"\n"));
                            let next = list[k + 1..].iter().find(|e| matches!(e,
                                lines::Effect::Write { dir: 1, .. } | lines::Effect::Rotate(1)));
                            prop_assert_eq!(next, Some(&lines::Effect::Rotate(1)), "owed, not rotated");
                        }
                    }
                    lines::Effect::Rotate(1) => {
                        first = None;
                        owed = false;
                    }
                    _ => {}
                }
            }
            dirs.apply(&effects, &bytes);
            prop_assert_eq!(lines.deadline(), if owed { None } else { due(first) });
        }
        lines.finish(&mut effects);
        check_taken(&effects, false);
        dirs.apply(&effects, &[]);
        // Every stamp of a kind has one length here (the seconds keep their digits).
        let stamp_len = script.stamp.map_or(0, |kind| stamp_of(kind, now).len());
        let stamped = |dir: usize| -> Vec<u8> {
            let all: Vec<u8> = dirs.all_files(dir).into_iter().flatten().copied().collect();
            all.split(|&c| c == b'\n')
                .flat_map(|l| {
                    [&l[stamp_len.min(l.len())..], b"\n"].concat()
                })
                .collect()
        };
        let mut want = input.clone();
        if !want.is_empty() && !want.ends_with(b"\n") {
            want.push(b'\n');
        }
        for dir in 0..2 {
            let got = stamped(dir);
            prop_assert_eq!(show(&got[..got.len() - 1]), show(&want));
        }
    }
}

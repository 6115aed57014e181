//! multilog's guarantees, checked over random inputs, scripts and chunkings:
//!
//! 1. every directory holds, in its rotated files then `current`, exactly the lines
//!    selected for it, in order: nothing lost, nothing doubled;
//! 2. no file is larger than its size, and a line shorter than 2000 bytes never
//!    spans two files;
//! 3. how the input is cut into reads changes nothing;
//! 4. `e` and `=` show the line's first 1000 bytes as upstream does;
//! 5. a crash between any two system calls of a rotation, followed by recovery,
//!    loses none of the lines written before it, and doubles none, with or
//!    without a processor;
//! 6. no rotation comes within the input multilog may read next (so what it has
//!    read is written before a rotation makes it wait).

use model::multilog::lines::{ECHO_MAX, Lines, PREFIX_MAX, STATUS_LEN, Sink};
use model::multilog::pattern::matches;
use model::multilog::rotation::{self, Found, Recovery, Step};
use model::multilog::script::{Action, Script, parse};
use model::tai64::Tai64N;
use proptest::prelude::*;
use std::collections::BTreeMap;

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

impl Sink for Dirs {
    fn write(&mut self, dir: usize, bytes: &[u8]) {
        self.current[dir].extend_from_slice(bytes);
    }
    fn rotate(&mut self, dir: usize) {
        let full = std::mem::take(&mut self.current[dir]);
        self.files[dir].push(full);
    }
    fn echo(&mut self, bytes: &[u8]) {
        self.echo.extend_from_slice(bytes);
    }
    fn status(&mut self, index: usize, record: &[u8; STATUS_LEN]) {
        self.status.insert(index, record.to_vec());
    }
}

/// A clock that ticks one microsecond every second reading (lines that arrive
/// together share a time).
fn clock() -> impl FnMut() -> Tai64N {
    let mut readings = 0;
    move || {
        readings += 1;
        let micros = readings / 2;
        Tai64N::from_unix_micros(1_700_000_000 + micros / 1_000_000, (micros % 1_000_000) as u32)
    }
}

/// Runs `input`, cut at `cuts`, with SIGALRM after the chunks listed in `alarms`.
fn run(script: &Script, input: &[u8], cuts: &[usize], alarms: &[usize]) -> Dirs {
    run_from(script, &vec![0; script.dirs.len()], input, cuts, alarms)
}

/// As `run`, with directory `i`'s current holding `start[i]` bytes at first.
fn run_from(script: &Script, start: &[u64], input: &[u8], cuts: &[usize], alarms: &[usize]) -> Dirs {
    let mut dirs = Dirs::new(script.dirs.len());
    let mut lines = Lines::new(script, start);
    let mut now = clock();
    let mut start = 0;
    let mut points: Vec<usize> = cuts.iter().map(|&c| c.min(input.len())).collect();
    points.sort();
    points.push(input.len());
    for (k, &end) in points.iter().enumerate() {
        lines.feed(&input[start..end.max(start)], &mut now, &mut dirs);
        start = end.max(start);
        if alarms.contains(&k) {
            lines.rotate_all(&mut dirs);
        }
    }
    lines.finish(&mut dirs);
    dirs
}

/// What upstream's rules give, stated independently: each line, its label, the
/// selection of its first 1000 bytes, what each directory, `e` and `=` get.
struct Expected {
    per_dir: Vec<Vec<Vec<u8>>>,
    echo: Vec<u8>,
    status: BTreeMap<usize, Vec<u8>>,
}

fn expected(script: &Script, input: &[u8]) -> Expected {
    let mut now = clock();
    let mut out = Expected {
        per_dir: vec![Vec::new(); script.dirs.len()],
        echo: Vec::new(),
        status: BTreeMap::new(),
    };
    if input.is_empty() {
        return out;
    }
    let body = input.strip_suffix(b"\n").unwrap_or(input);
    for content in body.split(|&c| c == b'\n') {
        let mut line = Vec::new();
        if script.timestamp {
            line.extend_from_slice(&now().to_label());
            line.push(b' ');
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
    (any::<bool>(), proptest::collection::vec(action, 1..8)).prop_map(|(t, mut actions)| {
        actions.push("./last".into());
        if t {
            actions.insert(0, "t".into());
        }
        actions
    })
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
        let want = expected(&script, &input);

        // 3: the same output read in one piece, and with no alarms the same files.
        let whole = run(&script, &input, &[], &alarms.iter().map(|_| 0).collect::<Vec<_>>());
        if alarms.is_empty() {
            prop_assert_eq!(&whole, &dirs);
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

/// Counts rotations, and nothing else.
#[derive(Default)]
struct Rotations(usize);

impl Sink for Rotations {
    fn write(&mut self, _: usize, _: &[u8]) {}
    fn rotate(&mut self, _: usize) {
        self.0 += 1;
    }
    fn echo(&mut self, _: &[u8]) {}
    fn status(&mut self, _: usize, _: &[u8; STATUS_LEN]) {}
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
        let mut now = clock();
        lines_machine.feed(&input[..cut.min(input.len())], &mut now, &mut Rotations::default());
        if alarm {
            lines_machine.rotate_all(&mut Rotations::default());
        }
        let room = usize::try_from(lines_machine.input_before_rotation()).unwrap_or(usize::MAX);
        let mut rotations = Rotations::default();
        lines_machine.feed(&next[..room.min(next.len())], &mut now, &mut rotations);
        prop_assert_eq!(rotations.0, 0, "rotated within {} bytes", room);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// Where no action reads the text, whole runs of lines go out at once; a `+*`
    /// (which changes no selection) makes the machine take every line by itself.
    /// Both must cut the same files, label the same way and rotate at the same points.
    #[test]
    fn runs_of_lines_go_out_as_lines_one_by_one_would(
        timestamp: bool,
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
        if timestamp {
            args.insert(0, "t".into());
            one_by_one.insert(0, "t".into());
        }
        let start: Vec<u64> = dirs.iter().map(|&(_, bytes)| bytes).collect();
        let mut input = lines.join(&b'\n');
        if last_newline && !input.is_empty() {
            input.push(b'\n');
        }
        let runs = run_from(&parse(&args), &start, &input, &cuts, &alarms);
        let lines = run_from(&parse(&one_by_one), &start, &input, &cuts, &alarms);
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
    // Nothing of "two" has reached the directory when the alarm comes: at once.
    lines.feed(b"one\ntw", clock(), &mut dirs);
    lines.rotate_all(&mut dirs);
    lines.feed(b"o\nthree\n", clock(), &mut dirs);
    assert_eq!(dirs.all_files(0), [&b"one\n".to_vec(), &b"two\nthree\n".to_vec()]);
    // Part of a long line has (its first 1000 bytes decide it): at its end.
    let long = vec![b'x'; 1500];
    lines.feed(&long, clock(), &mut dirs);
    lines.rotate_all(&mut dirs);
    lines.feed(b"\nafter\n", clock(), &mut dirs);
    lines.finish(&mut dirs);
    let expected_last = [&b"two\nthree\n"[..], &long, b"\n"].concat();
    assert_eq!(dirs.all_files(0)[1..], [&expected_last, &b"after\n".to_vec()]);
    // Between lines, at once; an empty current is not rotated.
    lines.rotate_all(&mut dirs);
    lines.rotate_all(&mut dirs);
    assert_eq!(dirs.files[0].len(), 3);
    assert!(dirs.current[0].is_empty());
}

/// A directory on a simulated file system: names to inodes, which hold data and a
/// mode. Every system call counts; `crash_after` stops the world after that many.
#[derive(Clone, Debug, Default)]
struct SimDir {
    names: BTreeMap<String, usize>,
    inodes: Vec<(Vec<u8>, u32)>,
    calls: usize,
    crash_after: Option<usize>,
    clock: u64,
    /// The processor's state file content grows by one marker per successful run.
    runs: usize,
}

#[derive(Debug)]
struct Crash;

impl SimDir {
    fn call(&mut self) -> Result<(), Crash> {
        self.calls += 1;
        match self.crash_after {
            Some(n) if self.calls > n => Err(Crash),
            _ => Ok(()),
        }
    }

    fn create(&mut self, name: &str, data: Vec<u8>, mode: u32) {
        self.inodes.push((data, mode));
        self.names.insert(name.to_string(), self.inodes.len() - 1);
    }

    fn data(&self, name: &str) -> Option<&Vec<u8>> {
        self.names.get(name).map(|&i| &self.inodes[i].0)
    }

    fn mode(&self, name: &str) -> Option<u32> {
        self.names.get(name).map(|&i| self.inodes[i].1)
    }

    fn nlink(&self, name: &str) -> usize {
        let i = self.names[name];
        self.names.values().filter(|&&j| j == i).count()
    }

    fn found(&self, name: &str) -> Found {
        match self.mode(name) {
            None => Found::Missing,
            Some(m) => Found::Present {
                finished: m & 0o100 != 0,
            },
        }
    }

    fn finish(&mut self, file: &str, code: u8, num: u64) -> Result<(), Crash> {
        self.call()?; // stat
        if !self.names.contains_key(file) {
            return Ok(());
        }
        if self.nlink(file) == 1 {
            self.call()?; // link
            self.clock += 1;
            let label = Tai64N::from_unix_micros(self.clock as i64, 0).to_label();
            let name = String::from_utf8(rotation::finished_name(&label, code).to_vec()).unwrap();
            let inode = self.names[file];
            self.names.insert(name, inode);
        }
        self.call()?; // unlink
        self.names.remove(file);
        loop {
            self.call()?; // readdir
            let names: Vec<String> = self.names.keys().cloned().collect();
            let refs: Vec<&[u8]> = names.iter().map(|n| n.as_bytes()).collect();
            match rotation::to_remove(&refs, num) {
                None => return Ok(()),
                Some(old) => {
                    let old = String::from_utf8(old.to_vec()).unwrap();
                    self.call()?; // unlink
                    self.names.remove(&old);
                }
            }
        }
    }

    /// Carries out `steps`; the processor copies `previous` to `processed`.
    fn steps(&mut self, steps: &[Step], num: u64) -> Result<(), Crash> {
        for &step in steps {
            match step {
                Step::SyncCurrent => self.call()?,
                Step::Rename(from, to) => {
                    self.call()?;
                    if let Some(i) = self.names.remove(from) {
                        self.names.insert(to.to_string(), i);
                    }
                }
                Step::NewCurrent => {
                    self.call()?;
                    if !self.names.contains_key("current") {
                        self.create("current", Vec::new(), 0o600);
                    }
                    self.call()?;
                    let i = self.names["current"];
                    self.inodes[i].1 = 0o644;
                }
                Step::Chmod(file, mode) => {
                    self.call()?;
                    let i = self.names[file];
                    self.inodes[i].1 = mode;
                }
                Step::Process => {
                    self.call()?; // the processor's own work is not atomic either
                    let previous = self.data("previous").cloned().unwrap_or_default();
                    self.create("processed", previous, 0o644);
                    self.call()?;
                    let state = [self.data("state").cloned().unwrap_or_default(), vec![b'+']].concat();
                    self.create("newstate", state, 0o644);
                    self.runs += 1;
                }
                Step::SyncFile(file, mode) => {
                    self.call()?;
                    if !self.names.contains_key(file) {
                        self.create(file, Vec::new(), 0o600);
                    }
                    if let Some(mode) = mode {
                        self.call()?;
                        let i = self.names[file];
                        self.inodes[i].1 = mode;
                    }
                }
                Step::Unlink(file) | Step::Discard(file) => {
                    self.call()?;
                    self.names.remove(file);
                }
                Step::Finish(file, code) => self.finish(file, code, num)?,
                Step::EmptyState => {
                    self.call()?;
                    self.names.remove("state");
                    self.create("state", Vec::new(), 0o644);
                }
            }
        }
        Ok(())
    }

    /// Start-up: resume or repair, as the model says.
    fn recover(&mut self, num: u64) {
        match rotation::recovery(self.found("current"), self.found("processed")) {
            Recovery::Resume => {
                let i = self.names["current"];
                self.inodes[i].1 = 0o644;
            }
            Recovery::Repair(steps) => self.steps(steps, num).unwrap(),
        }
    }

    /// Old files in name (so time) order, then current.
    fn contents(&self) -> Vec<u8> {
        let mut names: Vec<&String> = self.names.keys().filter(|n| n.starts_with('@')).collect();
        names.sort();
        let mut out: Vec<u8> = names.iter().flat_map(|n| self.data(n).unwrap().clone()).collect();
        out.extend(self.data("current").cloned().unwrap_or_default());
        out
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn a_crash_anywhere_in_a_rotation_loses_nothing(
        batches in proptest::collection::vec(proptest::collection::vec("[a-z]{0,8}\n", 1..6), 1..5),
        processor: bool,
        crash_at in 0usize..40,
        crash_in_batch in 0usize..5,
    ) {
        let num = 1000;
        let mut dir = SimDir::default();
        dir.create("current", Vec::new(), 0o644);
        dir.create("state", Vec::new(), 0o644);
        let mut written = Vec::new();
        for (k, batch) in batches.iter().enumerate() {
            let text: Vec<u8> = batch.concat().into_bytes();
            let i = dir.names["current"];
            dir.inodes[i].0.extend_from_slice(&text);
            written.extend_from_slice(&text);
            if k == crash_in_batch {
                dir.crash_after = Some(dir.calls + crash_at);
            }
            if dir.steps(rotation::rotation(processor), num).is_err() {
                // The crash: start-up recovers; everything written must be there once.
                dir.crash_after = None;
                dir.recover(num);
                prop_assert_eq!(dir.contents(), written.clone());
                prop_assert!(dir.data("previous").is_none() && dir.data("processed").is_none());
                prop_assert_eq!(dir.mode("current"), Some(0o644));
            }
        }
        prop_assert_eq!(dir.contents(), written);
    }
}

#[test]
fn retention_keeps_num_minus_one_old_files() {
    let mut dir = SimDir::default();
    dir.create("current", Vec::new(), 0o644);
    for k in 0..12u8 {
        let i = dir.names["current"];
        dir.inodes[i].0.push(b'a' + k);
        dir.steps(rotation::rotation(false), 3).unwrap();
    }
    let old: Vec<&String> = dir.names.keys().filter(|n| n.starts_with('@')).collect();
    assert_eq!(old.len(), 2);
    assert_eq!(dir.contents(), b"kl");
}

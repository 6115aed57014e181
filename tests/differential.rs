//! Differential fuzzing against upstream's binaries. For each program, command lines
//! (and, where the program reads them, inputs, environments and directories) are
//! generated from a fixed seed, so every run draws the same cases. Each case runs
//! through ours and through upstream's, each side in a fresh copy of the same fixture
//! and with the same environment. Exit status, standard output, standard error and
//! the files left behind must agree, once the fixture's path and the labels of the
//! run's own time (TAI64N, within the run's window, ending in 500 ns) are blanked out.
//!
//! multilog rotates at other boundaries by design (multilog(8)). Where only its logged
//! files differ, each log directory is held to what the rotation rules guarantee,
//! with its `s` and `n` read from the script: ours keeps its own rule (a rotated file
//! holds from s−2000 to s bytes, and ends inside a line only at exactly s bytes, in a
//! line of 2000 bytes or more); both keep at most n−1 rotated files; and both logged the same
//! bytes, rotated files in order and then current, except that a side whose count
//! rule deleted files may lack a beginning of the other's.
//!
//! Without upstream installed (and without DAEMONTOOLS_REFERENCE, which requires it),
//! only ours runs, and the test checks what must hold anyway: no case makes ours
//! panic. It says so on stderr, uncaptured.

mod support;

use conformance::normalize::{Norm, Paths, Window};
use conformance::run::unix_now;
use conformance::tempdir::TempDir;
use std::collections::{BTreeSet, HashSet};
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::Path;
use std::process::Command;
use std::time::Duration;
use support::{Rng, live_required, ours, upstream, wait_with_deadline};

/// One generated case: the program's arguments, its standard input, its environment
/// besides PATH, and the files of the fixture's directory `renv` (for envdir).
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
struct Case {
    args: Vec<String>,
    stdin: Vec<u8>,
    env: Vec<(String, String)>,
    renv: Vec<(String, Vec<u8>)>,
}

impl Case {
    fn new(args: Vec<String>) -> Case {
        Case {
            args,
            stdin: Vec::new(),
            env: Vec::new(),
            renv: Vec::new(),
        }
    }
}

/// A file or directory left in the fixture: compared by path, mode and normalized
/// content; `raw` is the content as written, for multilog's own size rule.
#[derive(Debug)]
struct Entry {
    path: String,
    mode: u32,
    content: Option<Vec<u8>>,
    raw: Vec<u8>,
}

impl PartialEq for Entry {
    fn eq(&self, other: &Entry) -> bool {
        (&self.path, self.mode, &self.content) == (&other.path, other.mode, &other.content)
    }
}

#[derive(Debug, PartialEq)]
struct Outcome {
    status: String,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    files: Vec<Entry>,
}

/// Writes to the test's stderr past libtest's capture: what was not compared must
/// show even when the test passes.
fn notice(text: &str) {
    let _ = writeln!(std::io::stderr(), "{text}");
}

/// No core dumps from the children (a `cat` crashing under softlimit's limits): the
/// hard limit is 0 for this process and everything it starts, so softlimit -c
/// clamps to 0 on both sides alike.
fn no_core_dumps() {
    use nix::sys::resource::{Resource, setrlimit};
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| setrlimit(Resource::RLIMIT_CORE, 0, 0).expect("core limit"));
}

/// The directory every case starts in: what the generators name, and `renv`.
fn make_fixture(dir: &Path, case: &Case) -> std::io::Result<()> {
    use std::fs;
    fs::create_dir(dir.join("env"))?;
    fs::write(dir.join("env/A"), "hello \t\nmore")?;
    fs::write(dir.join("env/EMPTY"), "")?;
    fs::write(dir.join("env/NL"), "\n")?;
    fs::write(dir.join("file"), "x")?;
    fs::create_dir(dir.join("exists"))?;
    fs::create_dir(dir.join("svcnosup"))?;
    fs::create_dir_all(dir.join("svcbad/supervise"))?;
    fs::write(dir.join("svcbad/supervise/status"), "short")?;
    // A service whose supervise is not running: fifos without a reader.
    fs::create_dir_all(dir.join("svc/supervise"))?;
    for fifo in ["svc/supervise/control", "svc/supervise/ok"] {
        nix::unistd::mkfifo(&dir.join(fifo), nix::sys::stat::Mode::from_bits_truncate(0o600))?;
    }
    fs::create_dir(dir.join("renv"))?;
    for (name, bytes) in &case.renv {
        fs::write(dir.join("renv").join(name), bytes)?;
    }
    Ok(())
}

/// Runs `command` on `case` in a fixture under `scratch/label`, which it then removes.
fn run(mut command: Command, case: &Case, scratch: &Path, label: &str) -> Outcome {
    let root = scratch.join(label);
    let work = root.join("w");
    std::fs::create_dir_all(&work).expect("case directory");
    make_fixture(&work, case).expect("fixture");
    std::fs::write(root.join("in"), &case.stdin).expect("stdin");
    let create = |name: &str| std::fs::File::create(root.join(name)).expect("output file");
    let start = unix_now();
    let mut child = command
        .args(&case.args)
        .current_dir(&work)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .envs(case.env.iter().map(|(k, v)| (k, v)))
        .stdin(std::fs::File::open(root.join("in")).expect("stdin"))
        .stdout(create("out"))
        .stderr(create("err"))
        .spawn()
        .expect("spawn");
    let status = wait_with_deadline(&mut child, Duration::from_secs(30));
    let window = Window {
        start,
        end: unix_now(),
    };
    let status = match status.code() {
        Some(code) => format!("exit {code}"),
        None => format!("signal {}", status.signal().unwrap_or(0)),
    };
    let paths = Paths::new(&[(&work, "D")]);
    let normalize =
        |bytes: &[u8]| conformance::normalize::apply(&[Norm::NowLabels], window, &paths.replace(bytes));
    let output = |name: &str| normalize(&std::fs::read(root.join(name)).expect("output"));
    let outcome = Outcome {
        status,
        stdout: output("out"),
        stderr: output("err"),
        files: tree(&work, &normalize),
    };
    std::fs::remove_dir_all(&root).expect("remove the case directory");
    outcome
}

/// Every entry under `dir`, listed in name order (rotated logs: oldest first), names
/// and contents normalized.
fn tree(dir: &Path, normalize: &dyn Fn(&[u8]) -> Vec<u8>) -> Vec<Entry> {
    fn walk(dir: &Path, prefix: &str, normalize: &dyn Fn(&[u8]) -> Vec<u8>, out: &mut Vec<Entry>) {
        let mut names: Vec<_> = std::fs::read_dir(dir)
            .expect("list")
            .map(|e| e.expect("entry").file_name())
            .collect();
        names.sort();
        for name in names {
            let path = dir.join(&name);
            let meta = std::fs::symlink_metadata(&path).expect("stat");
            let rel = format!("{prefix}{}", String::from_utf8_lossy(&normalize(name.as_bytes())));
            let raw = if meta.is_file() {
                std::fs::read(&path).expect("read")
            } else {
                Vec::new()
            };
            out.push(Entry {
                path: rel.clone(),
                mode: meta.mode(),
                content: meta.is_file().then(|| normalize(&raw)),
                raw,
            });
            if meta.is_dir() {
                walk(&path, &format!("{rel}/"), normalize, out);
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, "", normalize, &mut out);
    out
}

/// A log directory of a multilog script, with the settings bound to it (spec 11.1).
struct LogDir {
    /// Its path as `tree` lists it, with a trailing `/`.
    prefix: String,
    size: u64,
    keep: usize,
    processor: Option<String>,
}

/// A decimal prefix, as upstream's scan_ulong reads it (no digits: 0).
fn decimal_prefix(s: &str) -> u64 {
    s.bytes().take_while(u8::is_ascii_digit).fold(0u64, |n, d| {
        n.saturating_mul(10).saturating_add(u64::from(d - b'0'))
    })
}

fn log_dirs(args: &[String]) -> Vec<LogDir> {
    let (mut size, mut count, mut processor) = (99_999, 10, None);
    let mut dirs = Vec::new();
    for arg in args {
        match arg.as_bytes().first() {
            Some(b's') => size = decimal_prefix(&arg[1..]).clamp(4096, 16_777_215),
            Some(b'n') => count = decimal_prefix(&arg[1..]).max(2) as usize,
            Some(b'!') => processor = Some(arg[1..].to_string()),
            Some(b'.' | b'/') => dirs.push(LogDir {
                prefix: format!("{}/", arg.trim_start_matches("./")),
                size,
                keep: count - 1,
                processor: processor.clone(),
            }),
            _ => {}
        }
    }
    dirs
}

/// The rotated files of a log directory (oldest first), and its current if it has one.
fn logged_files<'a>(o: &'a Outcome, prefix: &str) -> Option<(Vec<&'a Entry>, &'a Entry)> {
    let current = o
        .files
        .iter()
        .find(|e| e.path.strip_prefix(prefix) == Some("current"))?;
    let rotated = o
        .files
        .iter()
        .filter(|e| {
            e.path
                .strip_prefix(prefix)
                .is_some_and(|f| f.starts_with('@') && !f.contains('/'))
        })
        .collect();
    Some((rotated, current))
}

/// Where only multilog's logged files differ: the rotation guarantees of the module
/// comment, directory by directory. Returns what breaks them, if anything.
fn log_guarantee_broken(case: &Case, ours: &Outcome, theirs: &Outcome) -> Option<String> {
    if (&ours.status, &ours.stdout, &ours.stderr) != (&theirs.status, &theirs.stdout, &theirs.stderr) {
        return Some("status or output differ".into());
    }
    let dirs = log_dirs(&case.args);
    let logged = |e: &Entry| {
        dirs.iter().any(|d| {
            e.path
                .strip_prefix(&d.prefix)
                .is_some_and(|f| f == "current" || (f.starts_with('@') && !f.contains('/')))
        })
    };
    // Everything else (state, lock, status files, the fixture) the same.
    let rest = |o: &Outcome| -> Vec<(String, u32, Option<Vec<u8>>)> {
        o.files
            .iter()
            .filter(|e| !logged(e))
            .map(|e| (e.path.clone(), e.mode, e.content.clone()))
            .collect()
    };
    if rest(ours) != rest(theirs) {
        return Some("files other than the logged ones differ".into());
    }
    for dir in &dirs {
        let (Some((mine, my_current)), Some((their, their_current))) =
            (logged_files(ours, &dir.prefix), logged_files(theirs, &dir.prefix))
        else {
            continue; // the directory was never started, on both sides (`rest` above)
        };
        for (side, rotated) in [("ours", &mine), ("upstream", &their)] {
            if rotated.len() > dir.keep {
                return Some(format!(
                    "{side} kept {} rotated files in {}",
                    rotated.len(),
                    dir.prefix
                ));
            }
        }
        // Rotated files' names (labels blanked) and modes: the same kinds on both sides,
        // unless one side has none (it had not reached its size yet).
        let kinds = |v: &[&Entry]| {
            v.iter()
                .map(|e| (e.path.clone(), e.mode))
                .collect::<BTreeSet<_>>()
        };
        let both_rotated = !mine.is_empty() && !their.is_empty();
        if my_current.mode != their_current.mode || (both_rotated && kinds(&mine) != kinds(&their)) {
            return Some(format!("names or modes differ in {}", dir.prefix));
        }
        // Rotated files are the processor's output: `cat` keeps the rule and the bytes,
        // `tr a b` the rule only (current is not processed), `wc -c` neither.
        let processor = dir.processor.as_deref();
        if processor.is_some_and(|p| p != "cat" && p != "tr a b") {
            continue;
        }
        for f in &mine {
            let cut = !f.raw.ends_with(b"\n");
            let tail = f.raw.len() - f.raw.iter().rposition(|&c| c == b'\n').map_or(0, |i| i + 1);
            let len = f.raw.len() as u64;
            if len > dir.size || len < dir.size - 2000 || (cut && (len != dir.size || tail < 2000)) {
                return Some(format!(
                    "ours broke its rotation rule in {} ({} bytes)",
                    f.path,
                    f.raw.len()
                ));
            }
        }
        if processor.is_some_and(|p| p != "cat") {
            continue;
        }
        let bytes = |v: &[&Entry], current: &Entry| -> Vec<u8> {
            v.iter()
                .chain([&current])
                .flat_map(|e| e.content.clone().unwrap_or_default())
                .collect()
        };
        let a = (bytes(&mine, my_current), mine.len());
        let b = (bytes(&their, their_current), their.len());
        let ((short, short_rotated), (long, _)) = if a.0.len() <= b.0.len() { (a, b) } else { (b, a) };
        let deleted = short_rotated == dir.keep;
        if short != long && !(deleted && long.ends_with(&short)) {
            return Some(format!("the bytes logged in {} differ", dir.prefix));
        }
    }
    None
}

fn lossy(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    match text.char_indices().nth(400) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.into_owned(),
    }
}

fn describe(case: &Case, ours: &Outcome, theirs: &Outcome) -> String {
    let mut s = format!("args {:?}", case.args);
    if !case.stdin.is_empty() {
        s += &format!("\n  stdin {:?}", lossy(&case.stdin));
    }
    if !case.env.is_empty() {
        s += &format!("\n  env {:?}", case.env);
    }
    if !case.renv.is_empty() {
        s += &format!("\n  renv {:?}", case.renv);
    }
    if ours.status != theirs.status {
        s += &format!("\n  status: ours {}, upstream {}", ours.status, theirs.status);
    }
    for (what, a, b) in [
        ("stdout", &ours.stdout, &theirs.stdout),
        ("stderr", &ours.stderr, &theirs.stderr),
    ] {
        if a != b {
            s += &format!(
                "\n  {what}: ours {:?}\n          upstream {:?}",
                lossy(a),
                lossy(b)
            );
        }
    }
    let show = |e: &Entry| format!("{} {:o} {:?}", e.path, e.mode, e.content.as_ref().map(Vec::len));
    for e in ours.files.iter().filter(|e| !theirs.files.contains(e)) {
        s += &format!("\n  only ours: {}", show(e));
    }
    for e in theirs.files.iter().filter(|e| !ours.files.contains(e)) {
        s += &format!("\n  only upstream: {}", show(e));
    }
    s
}

/// What a panic of ours looks like: Rust's exit status for it, or its messages.
fn panicked(outcome: &Outcome) -> bool {
    let said = |what: &[u8]| outcome.stderr.windows(what.len()).any(|w| w == what);
    outcome.status == "exit 101" || said(b"panicked at") || said(b"has overflowed its stack")
}

/// Upstream's program under its own name, as ours runs.
fn upstream_named(program: &str) -> Option<Command> {
    let mut command = upstream(program)?;
    command.arg0(program);
    Some(command)
}

/// Runs `cases` distinct generated cases of `program` on both sides and compares them.
fn differential(program: &str, cases: usize, seed: u64, generate: fn(&mut Rng) -> Case) {
    no_core_dumps();
    let has_upstream = upstream(program).is_some();
    assert!(
        has_upstream || !live_required(),
        "upstream {program} is required and not found"
    );
    let scratch = TempDir::new(&format!("differential-{program}")).expect("scratch directory");
    let mut rng = Rng::new(seed);
    let mut seen = HashSet::new();
    let (mut failures, mut boundaries) = (Vec::new(), 0);
    for _ in 0..cases * 4 {
        if seen.len() == cases {
            break;
        }
        let case = generate(&mut rng);
        if !seen.insert(case.clone()) {
            continue;
        }
        let mine = run(ours(program), &case, scratch.path(), "ours");
        if panicked(&mine) {
            failures.push(format!(
                "ours panicked: args {:?}\n{}",
                case.args,
                lossy(&mine.stderr)
            ));
            continue;
        }
        let Some(command) = upstream_named(program) else {
            continue;
        };
        let theirs = run(command, &case, scratch.path(), "upstream");
        if mine == theirs {
            continue;
        }
        match program {
            "multilog" => match log_guarantee_broken(&case, &mine, &theirs) {
                None => boundaries += 1,
                Some(why) => failures.push(format!("{why}: {}", describe(&case, &mine, &theirs))),
            },
            _ => failures.push(describe(&case, &mine, &theirs)),
        }
    }
    assert!(
        seen.len() >= cases / 2,
        "{program}: only {} distinct cases drawn",
        seen.len()
    );
    if !has_upstream {
        notice(&format!(
            "{program}: {} cases run on ours alone, NOT compared (upstream not installed)",
            seen.len()
        ));
    } else if program == "multilog" {
        eprintln!(
            "{program}: {} cases compared with upstream; {boundaries} differ only where the rotation rules allow",
            seen.len()
        );
    } else {
        eprintln!("{program}: {} cases compared with upstream", seen.len());
    }
    assert!(
        failures.is_empty(),
        "{program}: {} cases fail:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

fn strings(words: &[&str]) -> Vec<String> {
    words.iter().map(|w| w.to_string()).collect()
}

/// A program to exec at the end of a chain.
fn child(rng: &mut Rng) -> Vec<String> {
    let children: [&[&str]; 7] = [
        &["echo", "hi"],
        &["nonexistent-program"],
        &["sh", "-c", "exit 3"],
        &["sh", "-c", "echo oops >&2"],
        &["./file"],
        &["/usr/bin/env"],
        &["id"],
    ];
    strings(children[rng.below(children.len())])
}

fn maybe_dash(rng: &mut Rng, args: &mut Vec<String>) {
    if rng.chance(20) {
        args.push(rng.pick(&["-", "--", "-x", "-h"]).to_string());
    }
}

/// Options of 0 to `most` letters from `letters`, each after its own `-`.
fn flags(rng: &mut Rng, letters: &[u8], most: usize) -> Vec<String> {
    (0..rng.below(most + 1))
        .map(|_| {
            let word: String = (0..rng.below(4))
                .map(|_| letters[rng.below(letters.len())] as char)
                .collect();
            format!("-{word}")
        })
        .collect()
}

const NUMBERS: &[&str] = &[
    "0",
    "1",
    "7",
    "100",
    "4096",
    "65535",
    "=",
    "-1",
    "",
    "x",
    "12x",
    "2147483648",
    "1000000000000",
    "18446744073709551615",
    "99999999999999999999",
];

fn softlimit(rng: &mut Rng) -> Case {
    let mut args = Vec::new();
    for _ in 0..rng.below(5) {
        let letter = rng.pick(&[
            "a", "c", "d", "f", "l", "m", "o", "p", "r", "s", "t", "z", "-", "?",
        ]);
        let number = match rng.pick(NUMBERS) {
            // A CPU limit of 0 s ("0", or "" read as 0) kills the child or not, depending
            // on when the kernel next checks it: on both sides alike.
            "0" | "" if letter == "t" => "1",
            number => number,
        };
        match rng.below(5) {
            0..=2 => args.push(format!("-{letter}{number}")),
            3 => args.extend([format!("-{letter}"), number.to_string()]),
            _ => args.push(format!("-{letter}")),
        }
    }
    if rng.chance(85) {
        args.extend(strings(&["cat", "/proc/self/limits"]));
    } else if rng.chance(50) {
        args.extend(child(rng));
    }
    Case::new(args)
}

const PLACES: &[&str] = &["svc", "nodir", "file", "", ".", "svcnosup", "svcbad"];

fn setlock(rng: &mut Rng) -> Case {
    let mut args = flags(rng, b"nNxXq-", 3);
    if rng.chance(90) {
        args.push(
            rng.pick(&["lock", "nodir/lock", "", ".", "file", "exists"])
                .to_string(),
        );
    }
    if rng.chance(80) {
        args.extend(child(rng));
    }
    Case::new(args)
}

fn envdir(rng: &mut Rng) -> Case {
    let mut args = Vec::new();
    maybe_dash(rng, &mut args);
    if rng.chance(90) {
        args.push(
            // Not ".": which of its entries envdir fails on first depends on the order
            // the directory lists them in, which two directories need not share.
            rng.pick(&["env", "renv", "renv", "renv", "nodir", "file", ""])
                .to_string(),
        );
    }
    if rng.chance(80) {
        // The environment sorted, for the same reason.
        args.extend(if rng.chance(60) {
            strings(&["/bin/sh", "-c", "/usr/bin/env | /usr/bin/sort"])
        } else {
            child(rng)
        });
    }
    let mut renv: Vec<(String, Vec<u8>)> = Vec::new();
    for _ in 0..rng.below(7) {
        let name = rng.pick(&["A", "B", "C", "EMPTY", "X=Y", ".hidden", "PATH", "LONG", "SPACE"]);
        if renv.iter().any(|(n, _)| n == name) {
            continue;
        }
        let mut value = Vec::new();
        for _ in 0..rng.below(6) {
            value.extend_from_slice(
                rng.pick(&[
                    "value", "  ", "\t", "\n", "\0", "x y", " ", "\n\n", "/usr/bin", "é",
                ])
                .as_bytes(),
            );
        }
        if rng.chance(10) {
            let len = rng.below(20);
            value.extend(rng.bytes(len));
        }
        renv.push((name.to_string(), value));
    }
    Case {
        renv,
        ..Case::new(args)
    }
}

fn account(rng: &mut Rng) -> Case {
    let mut args = Vec::new();
    maybe_dash(rng, &mut args);
    if rng.chance(90) {
        args.push(
            rng.pick(&["root", "nobody", "daemon", "nosuchuser", "", "0"])
                .to_string(),
        );
    }
    if rng.chance(80) {
        let children: [&[&str]; 4] = [
            &["id"],
            &["sh", "-c", "echo $UID $GID"],
            &["/usr/bin/env"],
            &["nonexistent-program"],
        ];
        args.extend(strings(children[rng.below(children.len())]));
    }
    Case::new(args)
}

fn svc(rng: &mut Rng) -> Case {
    let mut args = flags(rng, b"udopchaitkxz-", 3);
    args.extend((0..rng.below(3)).map(|_| rng.pick(PLACES).to_string()));
    Case::new(args)
}

fn service_dirs(rng: &mut Rng) -> Case {
    let mut args = Vec::new();
    maybe_dash(rng, &mut args);
    args.extend((0..rng.below(4)).map(|_| rng.pick(PLACES).to_string()));
    Case::new(args)
}

fn hack(rng: &mut Rng) -> Case {
    let mut args = Vec::new();
    maybe_dash(rng, &mut args);
    if rng.chance(80) {
        args.extend(child(rng));
    }
    Case::new(args)
}

/// supervise and svscan, on what makes them exit (they run forever otherwise).
fn starter(rng: &mut Rng) -> Case {
    let mut args = vec![rng.pick(&["nodir", "file", "", "exists/nodir"]).to_string()];
    if rng.chance(30) {
        args.push(rng.pick(&["extra", "-d", ""]).to_string());
    }
    Case::new(args)
}

fn readproctitle(rng: &mut Rng) -> Case {
    let args = (0..rng.below(4))
        .map(|_| rng.pick(&["", "x", "......", "a b", "-", "--"]).to_string())
        .collect();
    let len = rng.below(300);
    let stdin = rng.bytes(len);
    Case {
        stdin,
        ..Case::new(args)
    }
}

/// Scripts that rotate: small sizes, small counts, processors, one or two
/// directories, and 8 to 40 kB of numbered lines, some of them long.
fn multilog_rotating(rng: &mut Rng) -> Case {
    let mut args = Vec::new();
    if rng.chance(50) {
        args.push("t".to_string());
    }
    for dir in ["./d1", "./d2"] {
        if dir == "./d2" && rng.chance(60) {
            break;
        }
        args.push(rng.pick(&["s4096", "s4500", "s5000", "s6000"]).to_string());
        args.push(rng.pick(&["n2", "n3", "n4", "n20"]).to_string());
        if rng.chance(40) {
            args.push(rng.pick(&["!cat", "!tr a b", "!wc -c"]).to_string());
        }
        args.push(dir.to_string());
    }
    let target = 8_000 + rng.below(32_000);
    let mut stdin = Vec::new();
    let mut n = 0;
    while stdin.len() < target {
        n += 1;
        let len = match rng.below(20) {
            0 => 1_500 + rng.below(1_000),
            1 => 5_000 + rng.below(4_000),
            _ => rng.below(200),
        };
        stdin.extend(format!("{n:06} ").bytes());
        stdin.extend(std::iter::repeat_n(b"abxy"[n % 4], len));
        stdin.push(b'\n');
    }
    Case {
        stdin,
        ..Case::new(args)
    }
}

fn multilog(rng: &mut Rng) -> Case {
    fn pattern(rng: &mut Rng) -> String {
        (0..rng.below(4))
            .map(|_| rng.pick(&["*", "a", "b", "x", "*a", "a*", " ", "DEBUG", "**"]))
            .collect()
    }
    let args = (0..rng.below(7))
        .map(|_| match rng.below(14) {
            0 => "t".to_string(),
            1 => format!("+{}", pattern(rng)),
            2 => format!("-{}", pattern(rng)),
            3 => "e".to_string(),
            4 => rng.pick(&["=st", "=exists", "=nodir/st"]).to_string(),
            5 => format!(
                "s{}",
                rng.pick(&[
                    "0", "1", "100", "4095", "4096", "5000", "99999999", "abc", "-5", ""
                ])
            ),
            6 => format!("n{}", rng.pick(&["0", "1", "2", "3", "abc", ""])),
            7 => format!("!{}", rng.pick(&["cat", "wc -c", "tr a b"])),
            8 | 9 => rng.pick(&["./d1", "./d2"]).to_string(),
            10 => rng.pick(&["/nonexistent/dir", "./file", "./exists"]).to_string(),
            // Letters 0.76 ignores and no extension takes (T, d, m, i, S and R are
            // extensions: multilog(8)).
            _ => rng.pick(&["x", "?", "", "#c", "Q", "E"]).to_string(),
        })
        .collect();
    let mut stdin = Vec::new();
    for _ in 0..rng.below(40) {
        match rng.below(12) {
            0 => stdin.extend(std::iter::repeat_n(b'a', 1500).chain([b'\n'])),
            1 => stdin.extend(std::iter::repeat_n(b'x', 300).chain([b'\n'])),
            2 => {
                let len = rng.below(50);
                stdin.extend(rng.bytes(len))
            }
            _ => stdin.extend_from_slice(
                rng.pick(&[
                    "a line\n",
                    "DEBUG x\n",
                    "b\n",
                    "\n",
                    "ab ba\n",
                    "no end",
                    "a*b\n",
                    " x\n",
                ])
                .as_bytes(),
            ),
        }
    }
    Case {
        stdin,
        ..Case::new(args)
    }
}

/// A TAI64N label of a time from 1902 to 2514: past the zone files' tables, where
/// their rule strings apply.
fn label(rng: &mut Rng) -> String {
    let offset = (rng.next_u64() % (1 << 35)) as i64 - (1 << 31);
    let seconds = (1u64 << 62).wrapping_add_signed(offset);
    format!("@{seconds:016x}{:08x}", rng.next_u64() % 1_000_000_000)
}

/// Labelled lines in time zones from files, POSIX rules and nonsense.
fn tai64nlocal(rng: &mut Rng) -> Case {
    let mut env = Vec::new();
    if rng.chance(90) {
        let zone = rng.pick(&[
            "UTC",
            "America/New_York",
            "Europe/London",
            "Europe/Dublin",
            "Australia/Lord_Howe",
            "Asia/Kolkata",
            "Pacific/Chatham",
            "America/Sao_Paulo",
            "Africa/Casablanca",
            "EST5EDT",
            "<+0330>-3:30",
            "NZST-12NZDT,M9.5.0,M4.1.0/3",
            "Nowhere/Nothing",
            "",
        ]);
        env.push(("TZ".to_string(), zone.to_string()));
    }
    let mut stdin = Vec::new();
    for _ in 0..rng.below(30) {
        if rng.chance(70) {
            stdin.extend(label(rng).bytes());
            stdin.extend_from_slice(rng.pick(&[" a line", "", "x", " ", "\t@4000"]).as_bytes());
        } else {
            stdin.extend_from_slice(
                rng.pick(&["plain", "", " @4000000037c219bf2ef02e94", "\r"])
                    .as_bytes(),
            );
        }
        stdin.push(b'\n');
    }
    Case {
        stdin,
        env,
        ..Case::new(Vec::new())
    }
}

/// Bytes of every value, lines of every length.
fn tai64n(rng: &mut Rng) -> Case {
    let mut stdin = Vec::new();
    for _ in 0..rng.below(20) {
        let run = rng.below(3000);
        stdin.extend(rng.bytes(run));
        if rng.chance(70) {
            stdin.push(b'\n');
        }
    }
    let args = (0..rng.below(2))
        .map(|_| rng.pick(&["-", "x"]).to_string())
        .collect();
    Case {
        stdin,
        ..Case::new(args)
    }
}

#[test]
fn softlimit_agrees_with_upstream() {
    differential("softlimit", 300, 1, softlimit);
}

#[test]
fn setlock_agrees_with_upstream() {
    differential("setlock", 200, 2, setlock);
}

#[test]
fn envdir_agrees_with_upstream() {
    differential("envdir", 300, 3, envdir);
}

#[test]
fn setuidgid_agrees_with_upstream() {
    differential("setuidgid", 60, 4, account);
}

#[test]
fn envuidgid_agrees_with_upstream() {
    differential("envuidgid", 60, 5, account);
}

#[test]
fn svc_agrees_with_upstream() {
    differential("svc", 300, 6, svc);
}

#[test]
fn svok_agrees_with_upstream() {
    differential("svok", 150, 7, service_dirs);
}

#[test]
fn svstat_agrees_with_upstream() {
    differential("svstat", 150, 8, service_dirs);
}

#[test]
fn fghack_agrees_with_upstream() {
    differential("fghack", 20, 9, hack);
}

#[test]
fn pgrphack_agrees_with_upstream() {
    differential("pgrphack", 20, 10, hack);
}

#[test]
fn supervise_agrees_with_upstream() {
    differential("supervise", 10, 11, starter);
}

#[test]
fn svscan_agrees_with_upstream() {
    differential("svscan", 10, 12, starter);
}

#[test]
fn readproctitle_agrees_with_upstream() {
    differential("readproctitle", 40, 13, readproctitle);
}

#[test]
fn tai64n_agrees_with_upstream() {
    differential("tai64n", 100, 17, tai64n);
}

#[test]
fn tai64nlocal_agrees_with_upstream() {
    differential("tai64nlocal", 300, 15, tai64nlocal);
}

/// Every zone file installed (tzdata), each on the same 500 labels: ours reads the
/// files itself, upstream through the C library's localtime.
#[test]
fn tai64nlocal_agrees_with_upstream_in_every_installed_zone() {
    if upstream("tai64nlocal").is_none() {
        assert!(!live_required(), "upstream tai64nlocal is required and not found");
        return notice("tai64nlocal: zones NOT compared (upstream not installed)");
    }
    let root = Path::new("/usr/share/zoneinfo");
    let mut zones = Vec::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let (path, kind) = (entry.path(), entry.file_type().expect("file type"));
            // Symbolic links (posix/, old names) name zones already listed.
            if kind.is_dir() {
                dirs.push(path);
            } else if kind.is_file() && std::fs::read(&path).is_ok_and(|b| b.starts_with(b"TZif")) {
                zones.push(
                    path.strip_prefix(root)
                        .expect("under the root")
                        .to_string_lossy()
                        .into_owned(),
                );
            }
        }
    }
    zones.sort();
    // CI installs tzdata: there, a run over no zones would be a comparison skipped.
    assert!(
        zones.len() > 100 || !live_required(),
        "only {} zone files in {}",
        zones.len(),
        root.display()
    );
    let mut rng = Rng::new(16);
    let mut stdin = Vec::new();
    for _ in 0..500 {
        stdin.extend(format!("{} x\n", label(&mut rng)).bytes());
    }
    let scratch = TempDir::new("differential-zones").expect("scratch directory");
    let mut failures = Vec::new();
    for zone in &zones {
        let case = Case {
            stdin: stdin.clone(),
            env: vec![("TZ".to_string(), zone.clone())],
            ..Case::new(Vec::new())
        };
        let mine = run(ours("tai64nlocal"), &case, scratch.path(), "ours");
        let theirs = run(
            upstream_named("tai64nlocal").expect("found above"),
            &case,
            scratch.path(),
            "upstream",
        );
        if mine != theirs {
            failures.push(describe(&case, &mine, &theirs));
        }
    }
    eprintln!("tai64nlocal: {} zones compared with upstream", zones.len());
    assert!(
        failures.is_empty(),
        "{} zones differ:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

#[test]
fn multilog_agrees_with_upstream() {
    differential("multilog", 600, 14, multilog);
}

#[test]
fn multilog_rotating_agrees_with_upstream() {
    differential("multilog", 120, 18, multilog_rotating);
}

//! Differential fuzzing against upstream's binaries. For each program, command lines
//! (and, where the program reads them, inputs and directories) are generated from a
//! fixed seed, so every run draws the same cases. Each case runs through ours and
//! through upstream's, each side in a fresh copy of the same fixture and with the same
//! environment. Exit status, standard output, standard error and the files left behind
//! must agree, once TAI64N labels and the fixture's own path are blanked out.
//!
//! multilog rotates at other boundaries by design (multilog(8)). Where its files
//! differ, what the rotation rule guarantees is compared instead: the same names and
//! modes, and the bytes logged (rotated files in order, then current) of one side
//! ending with the other side's, the shorter side having rotated files, whose oldest
//! the count rule may have deleted.
//!
//! Without upstream installed (and without DAEMONTOOLS_REFERENCE, which requires it),
//! only ours runs, and the test checks what must hold anyway: no case makes ours panic.

mod support;

use conformance::tempdir::TempDir;
use std::collections::{BTreeSet, HashSet};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::Path;
use std::process::Command;
use std::time::Duration;
use support::{Rng, ours, upstream, wait_with_deadline};

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

#[derive(Debug, PartialEq)]
struct Entry {
    path: String,
    mode: u32,
    content: Option<Vec<u8>>,
}

#[derive(Debug, PartialEq)]
struct Outcome {
    status: String,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    files: Vec<Entry>,
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
    let status = match status.code() {
        Some(code) => format!("exit {code}"),
        None => format!("signal {}", status.signal().unwrap_or(0)),
    };
    let output = |name: &str| {
        let bytes = std::fs::read(root.join(name)).expect("output");
        blank_labels(&replace(&bytes, work.as_os_str().as_bytes(), b"D"))
    };
    let outcome = Outcome {
        status,
        stdout: output("out"),
        stderr: output("err"),
        files: tree(&work),
    };
    std::fs::remove_dir_all(&root).expect("remove the case directory");
    outcome
}

fn replace(bytes: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i..].starts_with(from) {
            out.extend_from_slice(to);
            i += from.len();
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    out
}

/// `@` and 24 lowercase hex digits (a TAI64N label) become `@T`.
fn blank_labels(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let label = bytes[i] == b'@'
            && bytes.len() - i >= 25
            && bytes[i + 1..i + 25]
                .iter()
                .all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f'));
        if label {
            out.extend_from_slice(b"@T");
            i += 25;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    out
}

/// Every entry under `dir`, listed in name order (rotated logs: oldest first).
fn tree(dir: &Path) -> Vec<Entry> {
    fn walk(dir: &Path, prefix: &str, out: &mut Vec<Entry>) {
        let mut names: Vec<_> = std::fs::read_dir(dir)
            .expect("list")
            .map(|e| e.expect("entry").file_name())
            .collect();
        names.sort();
        for name in names {
            let path = dir.join(&name);
            let meta = std::fs::symlink_metadata(&path).expect("stat");
            let rel = format!(
                "{prefix}{}",
                String::from_utf8_lossy(&blank_labels(name.as_bytes()))
            );
            // A core dump (of a child that crashed under softlimit's limits) differs with
            // the address layout: only its presence is compared.
            let core = name.as_bytes().starts_with(b"core");
            let content =
                (meta.is_file() && !core).then(|| blank_labels(&std::fs::read(&path).expect("read")));
            out.push(Entry {
                path: rel.clone(),
                mode: meta.mode(),
                content,
            });
            if meta.is_dir() {
                walk(&path, &format!("{rel}/"), out);
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, "", &mut out);
    out
}

/// multilog's rotation guarantee, for outcomes whose files differ (module comment).
fn same_log_guarantee(case: &Case, ours: &Outcome, theirs: &Outcome) -> bool {
    if (&ours.status, &ours.stdout, &ours.stderr) != (&theirs.status, &theirs.stdout, &theirs.stderr) {
        return false;
    }
    let names = |o: &Outcome| {
        o.files
            .iter()
            .map(|e| (e.path.clone(), e.mode))
            .collect::<BTreeSet<_>>()
    };
    if names(ours) != names(theirs) {
        return false;
    }
    let log_dirs: BTreeSet<&str> = ours
        .files
        .iter()
        .filter_map(|e| e.path.strip_suffix("current"))
        .filter(|dir| dir.is_empty() || dir.ends_with('/'))
        .collect();
    let in_log = |path: &str| {
        log_dirs
            .iter()
            .any(|dir| path.strip_prefix(dir).is_some_and(|f| !f.contains('/')))
    };
    let rotated = |path: &str| in_log(path) && (path.contains("/@T.") || path.starts_with("@T."));
    // Outside the logged files (rotated and current), everything must be the same.
    let others = |o: &Outcome| -> Vec<(String, Option<Vec<u8>>)> {
        o.files
            .iter()
            .filter(|e| !rotated(&e.path) && !(in_log(&e.path) && e.path.ends_with("current")))
            .filter(|e| !(in_log(&e.path) && e.path.ends_with("state")))
            .map(|e| (e.path.clone(), e.content.clone()))
            .collect()
    };
    if others(ours) != others(theirs) {
        return false;
    }
    // A processor's output depends on where each file began: only names are compared.
    if case.args.iter().any(|a| a.starts_with('!')) {
        return true;
    }
    log_dirs.iter().all(|dir| {
        let logged = |o: &Outcome| {
            let files: Vec<&Entry> = o
                .files
                .iter()
                .filter(|e| {
                    e.path
                        .strip_prefix(dir)
                        .is_some_and(|f| f.starts_with("@T.") || f == "current")
                })
                .collect();
            let rotations = files.len() - 1;
            let bytes: Vec<u8> = files
                .iter()
                .flat_map(|e| e.content.clone().unwrap_or_default())
                .collect();
            (bytes, rotations)
        };
        let (a, b) = (logged(ours), logged(theirs));
        let (short, long) = if a.0.len() <= b.0.len() { (a, b) } else { (b, a) };
        short.0 == long.0 || (long.0.ends_with(&short.0) && short.1 > 0)
    })
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

/// Runs `cases` distinct generated cases of `program` on both sides and compares them.
fn differential(program: &str, cases: usize, seed: u64, generate: fn(&mut Rng) -> Case) {
    let required = std::env::var_os("DAEMONTOOLS_REFERENCE").is_some_and(|v| !v.is_empty());
    let has_upstream = upstream(program).is_some();
    assert!(
        has_upstream || !required,
        "upstream {program} is required and not found"
    );
    if !has_upstream {
        eprintln!("upstream {program} not installed: ours checked alone, not compared");
    }
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
        let mut command = ours(program);
        command.arg0(program);
        let mine = run(command, &case, scratch.path(), "ours");
        if mine.status == "exit 101" {
            failures.push(format!(
                "ours panicked: args {:?}\n{}",
                case.args,
                lossy(&mine.stderr)
            ));
            continue;
        }
        let Some(mut command) = upstream(program) else {
            continue;
        };
        command.arg0(program);
        let theirs = run(command, &case, scratch.path(), "upstream");
        if mine == theirs {
            continue;
        }
        if program == "multilog" && same_log_guarantee(&case, &mine, &theirs) {
            boundaries += 1;
        } else {
            failures.push(describe(&case, &mine, &theirs));
        }
    }
    if has_upstream {
        eprintln!(
            "{program}: {} cases compared with upstream; {} differ, {boundaries} of them only in where multilog rotated",
            seen.len(),
            failures.len() + boundaries,
        );
    } else {
        eprintln!("{program}: {} cases run on ours alone, not compared", seen.len());
    }
    assert!(
        seen.len() >= cases / 2,
        "{program}: only {} distinct cases drawn",
        seen.len()
    );
    assert!(
        failures.is_empty(),
        "{program}: {} cases differ:\n{}",
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
            rng.pick(&["env", "renv", "renv", "renv", "nodir", "file", "", "."])
                .to_string(),
        );
    }
    if rng.chance(80) {
        args.extend(if rng.chance(60) {
            strings(&["/usr/bin/env"])
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
            value.extend((0..rng.below(20)).map(|_| (rng.next_u64() >> 56) as u8));
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
    let stdin = (0..rng.below(300))
        .map(|_| (rng.next_u64() >> 56) as u8)
        .collect();
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
            _ => rng.pick(&["x", "?", "", "#c", "T", "E"]).to_string(),
        })
        .collect();
    let mut stdin = Vec::new();
    for _ in 0..rng.below(40) {
        match rng.below(12) {
            0 => stdin.extend(std::iter::repeat_n(b'a', 1500).chain([b'\n'])),
            1 => stdin.extend(std::iter::repeat_n(b'x', 300).chain([b'\n'])),
            2 => stdin.extend((0..rng.below(50)).map(|_| (rng.next_u64() >> 56) as u8)),
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

/// Labelled lines in time zones from files, POSIX rules and nonsense, over years from
/// 1902 to 2514 (past the zone files' tables, where their rule strings apply).
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
            let offset = (rng.next_u64() % (1 << 35)) as i64 - (1 << 31);
            let seconds = (1u64 << 62).wrapping_add_signed(offset);
            let nanos = rng.next_u64() % 1_000_000_000;
            stdin.extend(format!("@{seconds:016x}{nanos:08x}").bytes());
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

/// Bytes of every value, lines of every length (labels are blanked out).
fn tai64n(rng: &mut Rng) -> Case {
    let mut stdin = Vec::new();
    for _ in 0..rng.below(20) {
        let run = rng.below(3000);
        stdin.extend((0..run).map(|_| (rng.next_u64() >> 56) as u8));
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
    let required = std::env::var_os("DAEMONTOOLS_REFERENCE").is_some_and(|v| !v.is_empty());
    let Some(_) = upstream("tai64nlocal") else {
        assert!(!required, "upstream tai64nlocal is required and not found");
        return eprintln!("upstream tai64nlocal not installed: zones not compared");
    };
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
        zones.len() > 100 || !required,
        "only {} zone files in {}",
        zones.len(),
        root.display()
    );
    let mut rng = Rng::new(16);
    let mut stdin = Vec::new();
    for _ in 0..500 {
        let offset = (rng.next_u64() % (1 << 35)) as i64 - (1 << 31);
        let seconds = (1u64 << 62).wrapping_add_signed(offset);
        stdin.extend(format!("@{seconds:016x}{:08x} x\n", rng.next_u64() % 1_000_000_000).bytes());
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
            upstream("tai64nlocal").expect("found above"),
            &case,
            scratch.path(),
            "upstream",
        );
        if mine != theirs {
            failures.push(describe(&case, &mine, &theirs));
        }
    }
    eprintln!(
        "tai64nlocal: {} zones compared with upstream; {} differ",
        zones.len(),
        failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn multilog_agrees_with_upstream() {
    differential("multilog", 600, 14, multilog);
}

//! Start-up cost of the chain tools, which run once per exec: wall time of whole
//! runs (to the end of the `true` they exec) and instructions counted by callgrind
//! (up to the exec of the next program), in all and in the dynamic loader, ours
//! against upstream; and sizes.

use crate::Sides;
use conformance::programs::{ALL, Ours};
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const CHAIN: &[&str] = &[
    "envdir",
    "./env",
    "setuidgid",
    "nobody",
    "softlimit",
    "-m",
    "100000000",
    "true",
];

/// The tools, each with the arguments it has in the chain or a typical use.
const TOOLS: &[(&str, &[&str])] = &[
    ("envdir", &["envdir", "./env", "true"]),
    ("setuidgid", &["setuidgid", "nobody", "true"]),
    ("softlimit", &["softlimit", "-m", "100000000", "true"]),
    ("envuidgid", &["envuidgid", "nobody", "true"]),
    ("setlock", &["setlock", "lockfile", "true"]),
    ("pgrphack", &["pgrphack", "true"]),
    ("fghack", &["fghack", "true"]),
];

/// A directory of one side's programs, to put first on PATH.
fn programs_dir(dir: &Path, path_of: &dyn Fn(&str) -> Option<PathBuf>) -> PathBuf {
    std::fs::create_dir_all(dir).expect("programs directory");
    for p in ALL {
        if let Some(target) = path_of(p) {
            let _ = symlink(target, dir.join(p));
        }
    }
    dir.to_path_buf()
}

fn command(bin: &Path, argv: &[&str], cwd: &Path) -> Command {
    let mut c = Command::new(argv[0]);
    c.args(&argv[1..])
        .env_clear()
        .env("PATH", format!("{}:/usr/bin:/bin", bin.display()))
        .current_dir(cwd)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    c
}

/// Mean wall time of one whole run, over `runs` runs alternating between the sides.
fn wall_times(sides: &[PathBuf], argv: &[&str], cwd: &Path, runs: usize) -> Vec<Duration> {
    let mut total = vec![Duration::ZERO; sides.len()];
    for _ in 0..runs {
        for (i, bin) in sides.iter().enumerate() {
            let mut c = command(bin, argv, cwd);
            c.env("PATH", format!("{}:/usr/bin:/bin", bin.display()));
            let start = Instant::now();
            let status = c.status().expect("run");
            total[i] += start.elapsed();
            assert!(status.success(), "{argv:?} with {} failed", bin.display());
        }
    }
    total.into_iter().map(|t| t / runs as u32).collect()
}

/// Instructions executed by `argv[0]` up to its exec of the next program, in all and
/// in the dynamic loader: callgrind dumps its counts before every `execve` (failed
/// tries along PATH included); `None` if it dumped none.
fn instructions(bin: &Path, argv: &[&str], cwd: &Path) -> Option<Count> {
    // Writable by anyone: setuidgid changes user before its exec, where the dump happens.
    let dumps = cwd.join("callgrind");
    let _ = std::fs::remove_dir_all(&dumps);
    std::fs::create_dir(&dumps).ok()?;
    std::fs::set_permissions(&dumps, std::os::unix::fs::PermissionsExt::from_mode(0o1777)).ok()?;
    let out = dumps.join("out");
    let mut v = command(bin, &["valgrind"], cwd);
    v.args([
        "--tool=callgrind",
        "--dump-before=execve",
        &format!("--callgrind-out-file={}", out.display()),
    ])
    .args(argv);
    if !v.status().ok()?.success() {
        return None;
    }
    let (mut sum, mut execs) = (Count::default(), 0);
    for e in std::fs::read_dir(&dumps).ok()?.flatten() {
        let text = std::fs::read_to_string(e.path()).ok()?;
        // The file named at the start is left empty: each exec tried dumps its own.
        // Only those dumps count: in a binary without symbols callgrind cannot find
        // `execve`, and what it dumps at the end (fghack's own exit, after its child's) is
        // not the count up to the exec.
        if !text.contains("\ndesc: Trigger: --dump-before=execve\n") {
            continue;
        }
        let dump = read_dump(&text)?;
        sum.all += dump.all;
        sum.loader += dump.loader;
        execs += 1;
    }
    (execs > 0).then_some(sum)
}

/// Instructions counted in one callgrind dump.
#[derive(Clone, Copy, Default)]
struct Count {
    all: u64,
    /// Those of the dynamic loader (ld-linux*.so): mapping the libraries, binding
    /// the imports, applying the relocations, before any code of the program runs.
    loader: u64,
}

/// Reads a callgrind dump (one event, Ir): every cost line is a function's own cost,
/// except the one after a `calls=` line, which is the inclusive cost of that call.
/// `ob=` names the object of the functions that follow; a name is given once, at the
/// first `ob=` or `cob=` of its number, and the number alone after that.
fn read_dump(dump: &str) -> Option<Count> {
    let mut objects = std::collections::HashMap::new();
    let (mut in_loader, mut after_call) = (false, false);
    let mut c = Count::default();
    for line in dump.lines() {
        if let Some(spec) = line.strip_prefix("ob=").or_else(|| line.strip_prefix("cob=")) {
            let (id, name) = spec.split_once(' ').unwrap_or((spec, ""));
            if !name.is_empty() {
                objects.insert(id.to_string(), name.to_string());
            }
            if line.starts_with("ob=") {
                in_loader = objects.get(id).is_some_and(|n| n.contains("/ld-linux"));
            }
        } else if line.starts_with("calls=") {
            after_call = true;
        } else if line.starts_with(|c: char| c.is_ascii_digit() || "+-*".contains(c)) {
            if std::mem::take(&mut after_call) {
                continue;
            }
            let ir: u64 = line
                .split_whitespace()
                .nth(1)
                .map_or(Some(0), |n| n.parse().ok())?;
            c.all += ir;
            if in_loader {
                c.loader += ir;
            }
        }
    }
    let summary = dump.lines().find_map(|l| l.strip_prefix("summary: "))?;
    // The dump's own total: if the reading above missed a cost, say nothing.
    (summary.trim().parse::<u64>().ok()? == c.all).then_some(c)
}

/// One line of the table, for one build of ours: wall times, then instructions in all
/// and in the dynamic loader, ours then upstream's.
fn row(name: &str, build: &str, [o, u]: [Duration; 2], [oi, ui]: [Option<Count>; 2]) {
    let show = |n: Option<u64>| n.map_or("-".into(), |n| n.to_string());
    let ratio = |a: Option<u64>, b: Option<u64>| match (a, b) {
        (Some(a), Some(b)) => format!("{:.2}", a as f64 / b as f64),
        _ => "-".into(),
    };
    let [oa, ua, ol, ul] = [
        oi.map(|c| c.all),
        ui.map(|c| c.all),
        oi.map(|c| c.loader),
        ui.map(|c| c.loader),
    ];
    println!(
        "| {name} | {build} | {:.0} | {:.0} | {:.2} | {} | {} | {} | {} | {} | {} |",
        o.as_secs_f64() * 1e6,
        u.as_secs_f64() * 1e6,
        o.as_secs_f64() / u.as_secs_f64(),
        show(oa),
        show(ua),
        ratio(oa, ua),
        show(ol),
        show(ul),
        ratio(oa.zip(ol).map(|(a, l)| a - l), ua.zip(ul).map(|(a, l)| a - l)),
    );
}

fn size(path: &Path) -> u64 {
    std::fs::metadata(path).map_or(0, |m| m.len())
}

/// One table row per build of ours, each against upstream: `times` and `counts`
/// hold the builds' figures, then upstream's.
fn rows(name: &str, sides: &Sides, times: &[Duration], counts: &[Option<Count>]) {
    let upstream = sides.builds.len();
    for (i, build) in sides.builds.iter().enumerate() {
        row(
            name,
            build.label,
            [times[i], times[upstream]],
            [counts[i], counts[upstream]],
        );
    }
}

pub fn run(sides: &Sides, runs: usize) {
    let dir = sides.scratch.path().join("chain");
    std::fs::create_dir_all(dir.join("env")).expect("env directory");
    std::fs::write(dir.join("env/GREETING"), "hello\n").expect("env file");
    std::fs::write(dir.join("env/EMPTY"), "").expect("env file");
    // Each build's programs, then upstream's.
    let mut bins: Vec<PathBuf> = sides
        .builds
        .iter()
        .map(|build| {
            programs_dir(&dir.join(build.label), &|p| match &build.ours {
                Ours::MultiCall { binary, names, .. } => names.iter().any(|n| n == p).then(|| binary.clone()),
                Ours::Installed(d) => Some(d.join(p)).filter(|p| p.exists()),
            })
        })
        .collect();
    bins.push(programs_dir(&dir.join("upstream"), &|p| {
        Some(sides.reference.dir.join(p)).filter(|p| p.exists())
    }));
    let have_valgrind = Command::new("valgrind")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());

    println!(
        "\nStart-up: mean wall time of {runs} whole runs each (alternating), and instructions up to the exec of the next program (callgrind)"
    );
    println!(
        "| command | build | ours µs | upstream µs | ours/upstream | ours instructions | upstream instructions | ours/upstream | ours in the loader | upstream in the loader | ours/upstream outside the loader |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    let count = |argv: &[&str]| -> Vec<Option<Count>> {
        bins.iter()
            .map(|b| {
                if have_valgrind {
                    instructions(b, argv, &dir)
                } else {
                    None
                }
            })
            .collect()
    };
    for (name, argv) in TOOLS {
        rows(name, sides, &wall_times(&bins, argv, &dir, runs), &count(argv));
    }
    // The chain: its wall time whole; its instructions as the sum of its three tools,
    // each counted with the rest of the chain as its arguments.
    let mut chain_counts = vec![Some(Count::default()); bins.len()];
    for start in [0, 2, 4] {
        for (sum, count) in chain_counts.iter_mut().zip(count(&CHAIN[start..])) {
            *sum = sum.zip(count).map(|(a, b)| Count {
                all: a.all + b.all,
                loader: a.loader + b.loader,
            });
        }
    }
    rows(
        &CHAIN.join(" "),
        sides,
        &wall_times(&bins, CHAIN, &dir, runs),
        &chain_counts,
    );
    let t = wall_times(&bins[..1], &["true"], &dir, runs)[0];
    println!("(`true` alone: {:.0} µs)", t.as_secs_f64() * 1e6);
    if !have_valgrind {
        println!("valgrind is not installed: instructions not counted");
    }

    let upstream_all: u64 = ALL.iter().map(|p| size(&sides.reference.dir.join(p))).sum();
    let upstream_chain: u64 = TOOLS
        .iter()
        .map(|(p, _)| size(&sides.reference.dir.join(p)))
        .sum();
    // The first build's only: the static build made here keeps its symbols (CI checks
    // the size of every build).
    let ours = size(&sides.builds[0].ours.program("envdir"));
    println!(
        "\nSizes: ours, one binary for every program: {ours} bytes; upstream's seven chain tools: {upstream_chain} bytes, all seventeen programs: {upstream_all} bytes (ours/all: {:.2})",
        ours as f64 / upstream_all as f64
    );
}

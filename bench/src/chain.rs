//! Start-up cost of the chain tools, which run once per exec: wall time of whole
//! runs (to the end of the `true` they exec) and instructions counted by callgrind
//! (up to the exec of the next program), ours against upstream; and sizes.

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
fn wall_times(sides: [&Path; 2], argv: &[&str], cwd: &Path, runs: usize) -> [Duration; 2] {
    let mut total = [Duration::ZERO; 2];
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
    total.map(|t| t / runs as u32)
}

/// Instructions executed by `argv[0]` up to its exec of the next program: callgrind
/// dumps its counts before every `execve` (failed tries along PATH included).
fn instructions(bin: &Path, argv: &[&str], cwd: &Path) -> Option<u64> {
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
    let mut sum = 0;
    for e in std::fs::read_dir(&dumps).ok()?.flatten() {
        let text = std::fs::read_to_string(e.path()).ok()?;
        sum += text
            .lines()
            .filter_map(|l| l.strip_prefix("summary: "))
            .filter_map(|n| n.trim().parse::<u64>().ok())
            .sum::<u64>();
    }
    Some(sum)
}

/// One line of the table: wall times and instruction counts, ours then upstream's.
fn row(name: &str, [o, u]: [Duration; 2], [oi, ui]: [Option<u64>; 2]) {
    let show = |n: Option<u64>| n.map_or("-".into(), |n| n.to_string());
    let ratio = match (oi, ui) {
        (Some(a), Some(b)) => format!("{:.2}", a as f64 / b as f64),
        _ => "-".into(),
    };
    println!(
        "| {name} | {:.0} | {:.0} | {:.2} | {} | {} | {ratio} |",
        o.as_secs_f64() * 1e6,
        u.as_secs_f64() * 1e6,
        o.as_secs_f64() / u.as_secs_f64(),
        show(oi),
        show(ui),
    );
}

fn size(path: &Path) -> u64 {
    std::fs::metadata(path).map_or(0, |m| m.len())
}

pub fn run(sides: &Sides, runs: usize) {
    let dir = sides.scratch.path().join("chain");
    std::fs::create_dir_all(dir.join("env")).expect("env directory");
    std::fs::write(dir.join("env/GREETING"), "hello\n").expect("env file");
    std::fs::write(dir.join("env/EMPTY"), "").expect("env file");
    let ours_bin = programs_dir(&dir.join("ours"), &|p| match &sides.ours {
        Ours::MultiCall { binary, names, .. } => names.iter().any(|n| n == p).then(|| binary.clone()),
        Ours::Installed(d) => Some(d.join(p)).filter(|p| p.exists()),
    });
    let upstream_bin = programs_dir(&dir.join("upstream"), &|p| {
        Some(sides.reference.dir.join(p)).filter(|p| p.exists())
    });
    let bins = [ours_bin.as_path(), upstream_bin.as_path()];
    let have_valgrind = Command::new("valgrind")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());

    println!(
        "\nStart-up: mean wall time of {runs} whole runs each (alternating), and instructions up to the exec of the next program (callgrind)"
    );
    println!(
        "| command | ours µs | upstream µs | ours/upstream | ours instructions | upstream instructions | ours/upstream |"
    );
    println!("|---|---|---|---|---|---|---|");
    let count = |argv: &[&str]| {
        bins.map(|b| {
            if have_valgrind {
                instructions(b, argv, &dir)
            } else {
                None
            }
        })
    };
    for (name, argv) in TOOLS {
        row(name, wall_times(bins, argv, &dir, runs), count(argv));
    }
    // The chain: its wall time whole; its instructions as the sum of its three tools,
    // each counted with the rest of the chain as its arguments.
    let mut chain_counts = [Some(0u64), Some(0)];
    for start in [0, 2, 4] {
        let counts = count(&CHAIN[start..]);
        for i in 0..2 {
            chain_counts[i] = chain_counts[i].zip(counts[i]).map(|(a, b)| a + b);
        }
    }
    row(
        &CHAIN.join(" "),
        wall_times(bins, CHAIN, &dir, runs),
        chain_counts,
    );
    let [t, _] = wall_times(bins, &["true"], &dir, runs);
    println!("(`true` alone: {:.0} µs)", t.as_secs_f64() * 1e6);
    if !have_valgrind {
        println!("valgrind is not installed: instructions not counted");
    }

    let ours_size = match &sides.ours {
        Ours::MultiCall { binary, .. } => size(binary),
        Ours::Installed(d) => size(&d.join("envdir")),
    };
    let upstream_all: u64 = ALL.iter().map(|p| size(&sides.reference.dir.join(p))).sum();
    let upstream_chain: u64 = TOOLS
        .iter()
        .map(|(p, _)| size(&sides.reference.dir.join(p)))
        .sum();
    println!(
        "\nSizes: ours, one binary for every program: {ours_size} bytes; upstream's seven chain tools: {upstream_chain} bytes, all seventeen programs: {upstream_all} bytes (ours/all: {:.2})",
        ours_size as f64 / upstream_all as f64
    );
}

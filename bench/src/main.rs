//! Benchmarks our programs against upstream's in one run, alternating, and prints
//! the ratio ours/upstream.
//!
//! `cargo run --release -p bench -- [tai64n] [tai64nlocal] [chain] [multilog] [supervise] [svscan] [svwait] [--lines N] [--runs R] [--services N] [--idle-seconds S]`
//!
//! Two builds of ours run beside upstream's, each in columns (or rows) of its own:
//! the distribution build (`DAEMONTOOLS_OURS`, or the workspace's) and the static
//! build (`DAEMONTOOLS_OURS_STATIC`, or built here; set empty to leave it out).

mod chain;
mod multilog;
mod streams;
mod supervise;
mod svscan;
mod svwait;

use conformance::programs::{Ours, Reference};
use conformance::tempdir::TempDir;

/// One build of ours, and the name its columns carry.
pub struct Build {
    pub label: &'static str,
    pub ours: Ours,
}

/// Our builds and upstream's programs, and a scratch directory for inputs and outputs.
pub struct Sides {
    pub builds: Vec<Build>,
    pub reference: Reference,
    pub scratch: TempDir,
}

/// CPU time of `pid` so far, in microseconds (/proc/PID/sched).
pub fn cpu_micros(pid: u32) -> f64 {
    let text = std::fs::read_to_string(format!("/proc/{pid}/sched")).unwrap_or_default();
    text.lines()
        .find(|l| l.starts_with("se.sum_exec_runtime"))
        .and_then(|l| l.split(':').nth(1))
        .and_then(|v| v.trim().parse::<f64>().ok())
        .map_or(0.0, |ms| ms * 1000.0)
}

fn main() {
    // Benchmark names, and `--lines N` / `--runs N`.
    let (mut names, mut lines, mut runs) = (Vec::new(), 2_000_000, None);
    let (mut services, mut idle_seconds): (usize, u64) = (1000, 60);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut number = || {
            args.next()
                .and_then(|v| v.parse().ok())
                .expect("a number after the flag")
        };
        match arg.as_str() {
            "--lines" => lines = number(),
            "--runs" => runs = Some(number()),
            "--services" => services = number(),
            "--idle-seconds" => idle_seconds = number() as u64,
            _ => names.push(arg),
        }
    }
    let wanted = |p: &str| names.is_empty() || names.iter().any(|a| a == p);

    let mut builds = vec![Build {
        label: "ours",
        ours: Ours::locate().unwrap_or_else(|e| panic!("{e}")),
    }];
    match static_build() {
        Ok(Some(ours)) => builds.push(Build {
            label: "static",
            ours,
        }),
        Ok(None) => println!("DAEMONTOOLS_OURS_STATIC is empty: the static build is left out"),
        Err(e) => println!("the static build is left out: {e}"),
    }
    let sides = Sides {
        builds,
        reference: Reference::find()
            .unwrap_or_else(|e| panic!("{e}"))
            .expect("upstream's daemontools is needed: apt-get install daemontools"),
        scratch: TempDir::new("bench").expect("scratch directory"),
    };
    println!("Reference: {}", sides.reference.description);
    for build in &sides.builds {
        println!("{}: {}", build.label, build.ours.path().display());
    }
    if wanted("tai64n") || wanted("tai64nlocal") {
        streams::run(&sides, &wanted, lines, runs.unwrap_or(5));
    }
    if wanted("chain") {
        chain::run(&sides, runs.unwrap_or(500));
    }
    if wanted("multilog") {
        // Resident memory moves by up to 200 kB between runs of the same program
        // (how much of libc is mapped in): a median of five.
        multilog::run_all(&sides, runs.unwrap_or(5));
    }
    if wanted("supervise") {
        // Renaming the status file takes 0.4 to 10 ms on ext4 here: medians of ten
        // rounds moved with it from run to run.
        supervise::run(&sides, runs.unwrap_or(31));
    }
    if wanted("svwait") {
        svwait::run(&sides, runs.unwrap_or(11));
    }
    if wanted("svscan") {
        svscan::run(&sides, services, idle_seconds, runs.unwrap_or(5));
    }
}

/// The static build: `DAEMONTOOLS_OURS_STATIC` (a multi-call binary or a directory of
/// installed programs; empty for none), otherwise the workspace's, built for this
/// machine's musl target in a target directory of its own. That one keeps its
/// symbols: callgrind finds `execve` by name to count up to it, and in a static
/// binary it is the program's own; stripping changes no code.
fn static_build() -> Result<Option<Ours>, String> {
    if let Some(path) = std::env::var_os("DAEMONTOOLS_OURS_STATIC") {
        return Ok((!path.is_empty()).then(|| Ours::at(path.into())));
    }
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .ok_or("no workspace above the bench")?;
    let target = format!("{}-unknown-linux-musl", std::env::consts::ARCH);
    let target_dir = root.join("target/bench-static");
    let status = std::process::Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
        .args([
            "build",
            "--quiet",
            "--release",
            "--bin",
            "daemontools",
            "--target",
            &target,
        ])
        .arg("--target-dir")
        .arg(&target_dir)
        .args(["--config", "profile.release.package.daemontools.strip=false"])
        .current_dir(root)
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err(format!(
            "building it for {target} failed (`rustup target add {target}`, or DAEMONTOOLS_OURS_STATIC=path)"
        ));
    }
    Ok(Some(Ours::multi_call(
        target_dir.join(target).join("release/daemontools"),
    )))
}

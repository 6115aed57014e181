//! supervise against upstream's: memory of idle supervises, the time from a command
//! or an exit to the next `./run`, and CPU spent per restart of a crash-looping
//! service. For latencies the sides alternate, and each figure is the median of its
//! rounds; the crash loops run side by side.

use crate::{Sides, cpu_micros};
use model::status::Record;
use std::collections::BTreeMap;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const IDLE: &str = "#!/bin/sh\nexec sleep 1000000\n";

fn service(dir: &Path, run: &str) -> PathBuf {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).expect("service directory");
    let path = dir.join("run");
    std::fs::write(&path, run).expect("run");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    dir.to_path_buf()
}

fn record(dir: &Path) -> Option<Record> {
    Record::decode(&std::fs::read(dir.join("supervise/status")).ok()?)
}

fn wait_for(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_micros(200));
    }
}

fn control(dir: &Path, bytes: &[u8]) {
    let mut fifo = std::fs::OpenOptions::new()
        .write(true)
        .open(dir.join("supervise/control"))
        .expect("control");
    fifo.write_all(bytes).expect("write control");
}

/// One side's programs.
struct Side {
    name: &'static str,
    supervise: Box<dyn Fn() -> Command>,
    svc: Box<dyn Fn() -> Command>,
}

fn start(side: &Side, dir: &Path) -> Child {
    (side.supervise)()
        .arg(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("supervise")
}

fn stop(dir: &Path, mut child: Child) {
    control(dir, b"dx");
    let _ = child.wait();
}

/// kB of `field` in /proc/PID/smaps_rollup.
fn smaps(pid: u32, field: &str) -> u64 {
    let text = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).unwrap_or_default();
    text.lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches(" kB").parse().ok())
        .unwrap_or(0)
}

/// kB of private memory (USS) of process `pid` by mapping: the program's own file,
/// libc, the dynamic loader, each by permissions, and the heap, the stack and
/// anonymous memory.
fn private_by_mapping(pid: u32) -> BTreeMap<String, u64> {
    let exe = std::fs::read_link(format!("/proc/{pid}/exe")).unwrap_or_default();
    let text = std::fs::read_to_string(format!("/proc/{pid}/smaps")).unwrap_or_default();
    let mut by = BTreeMap::new();
    let mut mapping = String::new();
    for line in text.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        // A mapping's header: address range, permissions, offset, device, inode, path.
        if fields.len() >= 5 && fields[0].contains('-') && !fields[0].ends_with(':') {
            let perms = fields[1];
            let path = fields.get(5).copied().unwrap_or("");
            mapping = match path {
                "" => "anonymous".into(),
                "[heap]" | "[stack]" => path.into(),
                p if Path::new(p) == exe => format!("program {perms}"),
                p if p.ends_with("/libc.so.6") => format!("libc {perms}"),
                p if p.contains("/ld-linux") => format!("dynamic loader {perms}"),
                p => p.into(),
            };
        } else if let Some(v) = line
            .strip_prefix("Private_Clean:")
            .or_else(|| line.strip_prefix("Private_Dirty:"))
        {
            let kb: u64 = v.trim().trim_end_matches(" kB").parse().unwrap_or(0);
            *by.entry(mapping.clone()).or_insert(0) += kb;
        }
    }
    by.retain(|_, kb| *kb > 0);
    by
}

/// Mean private (USS) and proportional (PSS) memory of `n` idle supervises, in kB,
/// and the private memory of the first of them by mapping.
fn memory(side: &Side, scratch: &Path, n: usize) -> (f64, f64, BTreeMap<String, u64>) {
    let dirs: Vec<PathBuf> = (0..n)
        .map(|i| service(&scratch.join(format!("m{i}")), IDLE))
        .collect();
    let children: Vec<Child> = dirs.iter().map(|d| start(side, d)).collect();
    for d in &dirs {
        wait_for("all services up", || record(d).is_some_and(|r| r.pid != 0));
    }
    let (mut uss, mut pss) = (0, 0);
    for c in &children {
        uss += smaps(c.id(), "Private_Clean") + smaps(c.id(), "Private_Dirty");
        pss += smaps(c.id(), "Pss");
    }
    let first = private_by_mapping(children[0].id());
    for (d, c) in dirs.iter().zip(children) {
        stop(d, c);
    }
    (uss as f64 / n as f64, pss as f64 / n as f64, first)
}

/// How a restart is caused.
#[derive(Clone, Copy)]
enum Cause {
    /// `t` written straight into the control FIFO.
    ControlByte,
    /// `svc -t` run.
    Svc,
    /// The service killed from outside (SIGKILL).
    Exit,
}

/// Time from the cause to the new pid in supervise/status, one round.
fn restart_latency(side: &Side, dir: &Path, cause: Cause) -> Duration {
    let old = record(dir).expect("status").pid;
    // A second after the last start, so the restart interval does not count.
    std::thread::sleep(Duration::from_millis(1100));
    let t0 = Instant::now();
    match cause {
        Cause::ControlByte => control(dir, b"t"),
        Cause::Svc => {
            let status = (side.svc)().arg("-t").arg(dir).status().expect("svc");
            assert!(status.success());
        }
        Cause::Exit => {
            let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(old as i32), nix::sys::signal::SIGKILL);
        }
    }
    wait_for("a new pid", || {
        record(dir).is_some_and(|r| r.pid != 0 && r.pid != old)
    });
    t0.elapsed()
}

/// Each side's supervise CPU per restart of a `run` that exits at once, and its
/// number of restarts, over `seconds` from its first start (so that start-up is not
/// counted). Both sides loop at the same time, under the same conditions: the cost of
/// a fork here swings with what the other core is doing, more than the sides differ.
/// `scripts`: more executable files in each side's service directory.
fn crash_loops(
    sides: &[&Side],
    scripts: &[&[(&str, &str)]],
    scratch: &Path,
    seconds: u64,
) -> Vec<(f64, usize)> {
    let dirs: Vec<PathBuf> = (0..sides.len())
        .map(|i| {
            let dir = service(
                &scratch.join(format!("crash-{i}-{}", sides[i].name)),
                "#!/bin/sh\necho >> starts\n",
            );
            for (name, text) in scripts[i] {
                let path = dir.join(name);
                std::fs::write(&path, text).expect("script");
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
            }
            dir
        })
        .collect();
    let starts = |dir: &Path| {
        std::fs::read_to_string(dir.join("starts"))
            .unwrap_or_default()
            .lines()
            .count()
    };
    let children: Vec<Child> = sides.iter().zip(&dirs).map(|(s, d)| start(s, d)).collect();
    for d in &dirs {
        wait_for("the first start", || starts(d) > 0);
    }
    let before: Vec<(f64, usize)> = children
        .iter()
        .zip(&dirs)
        .map(|(c, d)| (cpu_micros(c.id()), starts(d)))
        .collect();
    std::thread::sleep(Duration::from_secs(seconds));
    let result = children
        .iter()
        .zip(&dirs)
        .zip(before)
        .map(|((c, d), (cpu, started))| {
            let restarts = starts(d) - started;
            ((cpu_micros(c.id()) - cpu) / restarts.max(1) as f64, restarts)
        })
        .collect();
    for (d, c) in dirs.iter().zip(children) {
        stop(d, c);
    }
    result
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// A table row: the figure of each build of ours and of upstream (last in `values`),
/// each build's beside upstream's with their ratio.
fn row(measure: &str, values: &[f64], precision: usize) {
    let (upstream, builds) = values.split_last().expect("upstream's figure");
    let mut line = format!("| {measure} |");
    for (i, v) in builds.iter().enumerate() {
        if i == 0 {
            line += &format!(
                " {v:.precision$} | {upstream:.precision$} | {:.2} |",
                v / upstream
            );
        } else {
            line += &format!(" {v:.precision$} | {:.2} |", v / upstream);
        }
    }
    println!("{line}");
}

pub fn run(sides: &Sides, rounds: usize) {
    let scratch = sides.scratch.path().join("supervise");
    std::fs::create_dir_all(&scratch).expect("scratch");
    // Each build of ours, then upstream.
    let mut all: Vec<Side> = sides
        .builds
        .iter()
        .map(|build| Side {
            name: build.label,
            supervise: Box::new({
                let o = build.ours.clone();
                move || o.command("supervise")
            }),
            svc: Box::new({
                let o = build.ours.clone();
                move || o.command("svc")
            }),
        })
        .collect();
    let (reference, r2) = (sides.reference.dir.clone(), sides.reference.dir.clone());
    all.push(Side {
        name: "upstream",
        supervise: Box::new(move || Command::new(reference.join("supervise"))),
        svc: Box::new(move || Command::new(r2.join("svc"))),
    });
    let builds = &all[..sides.builds.len()];

    println!(
        "\nsupervise: memory of 100 idle supervises, restart latencies (median of {rounds}), CPU per crash-loop restart"
    );
    let mem: Vec<_> = all.iter().map(|s| memory(s, &scratch, 100)).collect();
    let mut header = String::from("| measure | ours | upstream | ours/upstream |");
    for build in &builds[1..] {
        header += &format!(" {0} | {0}/upstream |", build.name);
    }
    println!("{header}\n{}|", "|---".repeat(2 + 2 * builds.len()));
    row(
        "USS per supervise, kB",
        &mem.iter().map(|m| m.0).collect::<Vec<_>>(),
        0,
    );
    row(
        "PSS per supervise, kB",
        &mem.iter().map(|m| m.1).collect::<Vec<_>>(),
        0,
    );
    let mut mappings: Vec<&String> = mem.iter().flat_map(|m| m.2.keys()).collect();
    mappings.sort();
    mappings.dedup();
    for m in mappings {
        let kb = |i: usize| mem[i].2.get(m).copied().unwrap_or(0);
        let mut line = format!("| USS of one, {m}, kB | {} | {} | |", kb(0), kb(builds.len()));
        for i in 1..builds.len() {
            line += &format!(" {} | |", kb(i));
        }
        println!("{line}");
    }

    for (label, cause) in [
        (
            "`t` into supervise/control → new pid in status, ms",
            Cause::ControlByte,
        ),
        ("`svc -t` → new pid in status, ms", Cause::Svc),
        ("service killed → new pid in status, ms", Cause::Exit),
    ] {
        let dirs: Vec<PathBuf> = all
            .iter()
            .map(|s| service(&scratch.join(format!("lat-{}", s.name)), IDLE))
            .collect();
        let children: Vec<Child> = all.iter().zip(&dirs).map(|(s, d)| start(s, d)).collect();
        for d in &dirs {
            wait_for("service up", || record(d).is_some_and(|r| r.pid != 0));
        }
        let mut times = vec![Vec::new(); all.len()];
        for _ in 0..rounds {
            for (i, s) in all.iter().enumerate() {
                times[i].push(restart_latency(s, &dirs[i], cause));
            }
        }
        for (d, c) in dirs.iter().zip(children) {
            stop(d, c);
        }
        let ms: Vec<f64> = times
            .into_iter()
            .map(|t| median(t).as_secs_f64() * 1000.0)
            .collect();
        row(label, &ms, 2);
    }

    let seconds = 60;
    let loops = crash_loops(
        &all.iter().collect::<Vec<_>>(),
        &vec![&[][..]; all.len()],
        &scratch,
        seconds,
    );
    let restarts: Vec<String> = loops.iter().map(|l| l.1.to_string()).collect();
    row(
        &format!(
            "crash loop: supervise CPU per restart, µs ({} restarts in {seconds} s, side by side)",
            restarts.join(", ")
        ),
        &loops.iter().map(|l| l.0).collect::<Vec<_>>(),
        0,
    );

    // The extensions' price: each build with ./finish and ./notify against itself
    // without, both crash-looping side by side (each start still a second apart).
    let extended = [("finish", "#!/bin/sh\n"), ("notify", "#!/bin/sh\n")];
    for build in builds {
        let loops = crash_loops(&[build, build], &[&extended, &[]], &scratch, seconds);
        println!(
            "| crash loop with ./finish and ./notify against without ({} both), µs ({} and {} restarts in {seconds} s) | {:.0} | {:.0} | {:.2} |",
            build.name,
            loops[0].1,
            loops[1].1,
            loops[0].0,
            loops[1].0,
            loops[0].0 / loops[1].0
        );
    }
}

//! svscan against upstream's, each with its own supervise, on 1000 services: the
//! time until all are up, the memory of the scanner and its supervisors, svscan's
//! CPU while nothing happens, and the time until a new service directory, made
//! elsewhere and moved in, is up (moved in, it is complete when it appears, and ours
//! starts it at once; one made in place, ours gives 5 seconds to be completed, as
//! long as upstream's next scan could take).
//! Each side runs in a process group of its own, ended by its id.

use crate::Sides;
use model::status::Record;
use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const IDLE: &str = "#!/bin/sh\nexec sleep 1000000\n";

fn service(dir: &Path) {
    std::fs::create_dir_all(dir).expect("service directory");
    let run = dir.join("run");
    std::fs::write(&run, IDLE).expect("run");
    std::fs::set_permissions(&run, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

fn up(dir: &Path) -> bool {
    std::fs::read(dir.join("supervise/status"))
        .ok()
        .and_then(|b| Record::decode(&b))
        .is_some_and(|r| r.pid != 0)
}

fn wait_for(what: &str, pause: Duration, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(pause);
    }
}

/// One side: a directory to put first on PATH, holding `svscan` and `supervise`.
struct Side {
    name: &'static str,
    bin: PathBuf,
}

fn children(pid: u32) -> Vec<u32> {
    std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|p| p.parse().ok())
        .collect()
}

fn pss_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("Pss:"))
        .and_then(|v| v.trim().trim_end_matches(" kB").parse().ok())
        .unwrap_or(0)
}

/// CPU time used, in milliseconds (/proc/PID/sched).
fn cpu_ms(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/sched"))
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("se.sum_exec_runtime"))
        .and_then(|l| l.split(':').nth(1))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0.0)
}

struct Figures {
    all_up: Duration,
    pss_mb: f64,
    idle_cpu_ms_per_minute: f64,
    new_service: Vec<Duration>,
}

/// svscan in its process group, ended (the whole group, by its id) when dropped,
/// also when a measurement fails half-way.
struct Running {
    child: Child,
    scan: PathBuf,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = killpg(Pid::from_raw(self.child.id() as i32), Signal::SIGKILL);
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.scan);
    }
}

/// svscan on a directory of `services` services; returns it once every service is
/// up, and the time that took.
fn start(side: &Side, scan: &Path, services: usize) -> (Running, Duration) {
    let _ = std::fs::remove_dir_all(scan);
    let dirs: Vec<PathBuf> = (0..services).map(|i| scan.join(format!("s{i:04}"))).collect();
    dirs.iter().for_each(|d| service(d));
    let started = Instant::now();
    let child = Command::new(side.bin.join("svscan"))
        .arg(scan)
        .env("PATH", format!("{}:/usr/bin:/bin", side.bin.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .expect("svscan");
    let running = Running {
        child,
        scan: scan.to_path_buf(),
    };
    let mut waiting = dirs.clone();
    wait_for("every service up", Duration::from_millis(10), || {
        waiting.retain(|d| !up(d));
        waiting.is_empty()
    });
    (running, started.elapsed())
}

fn measure(side: &Side, scratch: &Path, services: usize, idle: Duration, rounds: usize) -> Figures {
    let scan = scratch.join(format!("scan-{}", side.name));
    let (running, all_up) = start(side, &scan, services);
    let pid = running.child.id();
    let pss: u64 = pss_kb(pid) + children(pid).iter().map(|&p| pss_kb(p)).sum::<u64>();

    let before = cpu_ms(pid);
    std::thread::sleep(idle);
    let idle_cpu = (cpu_ms(pid) - before) * 60.0 / idle.as_secs_f64();
    drop(running);

    // Upstream starts no more than 1000 services: new ones go to a small directory.
    let (running, _) = start(side, &scan, 10);
    let mut new_service = Vec::new();
    for round in 0..rounds {
        // Made elsewhere and moved in, as services usually are (not made in place,
        // which ours waits 5 seconds for).
        let spare = scratch.join(format!("spare-{}-{round}", side.name));
        service(&spare);
        let target = scan.join(format!("new{round}"));
        let t0 = Instant::now();
        std::fs::rename(&spare, &target).expect("move the service in");
        wait_for("the new service up", Duration::from_micros(500), || up(&target));
        new_service.push(t0.elapsed());
    }
    drop(running);
    Figures {
        all_up,
        pss_mb: pss as f64 / 1024.0,
        idle_cpu_ms_per_minute: idle_cpu,
        new_service,
    }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

pub fn run(sides: &Sides, services: usize, idle_seconds: u64, rounds: usize) {
    let scratch = sides.scratch.path().join("svscan");
    // Each build of ours, then upstream.
    let mut all: Vec<Side> = sides
        .builds
        .iter()
        .map(|build| {
            let bin = scratch.join(format!("{}-bin", build.label));
            std::fs::create_dir_all(&bin).expect("scratch");
            for program in ["svscan", "supervise"] {
                let _ = std::fs::remove_file(bin.join(program));
                std::os::unix::fs::symlink(build.ours.program(program), bin.join(program))
                    .expect("our programs");
            }
            Side {
                name: build.label,
                bin,
            }
        })
        .collect();
    all.push(Side {
        name: "upstream",
        bin: sides.reference.dir.clone(),
    });
    println!(
        "\nsvscan: {services} services (run: exec sleep); idle CPU over {idle_seconds} s; a new service moved into a directory of 10, median of {rounds}"
    );
    let figures: Vec<Figures> = all
        .iter()
        .map(|s| measure(s, &scratch, services, Duration::from_secs(idle_seconds), rounds))
        .collect();
    let mut header = String::from("| measure | ours | upstream | ours/upstream |");
    for side in &all[1..all.len() - 1] {
        header += &format!(" {0} | {0}/upstream |", side.name);
    }
    println!("{header}\n{}|", "|---".repeat(2 + 2 * sides.builds.len()));
    // A row: each build's figure beside upstream's (the last), with their ratio.
    let row = |measure: &str, value: &dyn Fn(&Figures) -> f64, precision: usize, ratio: usize| {
        let (upstream, builds) = figures.split_last().expect("upstream's figures");
        let u = value(upstream);
        let mut line = format!("| {measure} |");
        for (i, f) in builds.iter().enumerate() {
            let v = value(f);
            if i == 0 {
                line += &format!(" {v:.precision$} | {u:.precision$} | {:.ratio$} |", v / u);
            } else {
                line += &format!(" {v:.precision$} | {:.ratio$} |", v / u);
            }
        }
        println!("{line}");
    };
    row(
        &format!("all {services} up, s"),
        &|f| f.all_up.as_secs_f64(),
        2,
        2,
    );
    row("PSS of svscan and its supervises, MB", &|f| f.pss_mb, 1, 2);
    row(
        "svscan CPU per idle minute, ms",
        &|f| f.idle_cpu_ms_per_minute,
        2,
        3,
    );
    row(
        "new service directory, moved in → up, ms",
        &|f| median(f.new_service.clone()).as_secs_f64() * 1000.0,
        1,
        3,
    );
}

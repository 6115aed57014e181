//! Waiting for a service, from the event to the waiter's exit: `svwait -x`, already
//! watching, against the introduction's `while svok s ; do sleep 1 ; done` (with
//! upstream's svok), after `dx` reaches supervise; and what a svwait costs while it
//! waits a minute beside a monitor reading the service every second.

use crate::{Sides, cpu_micros};
use conformance::programs::Ours;
use model::status::Record;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn service(dir: &Path) -> PathBuf {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).expect("service directory");
    let path = dir.join("run");
    std::fs::write(&path, "#!/bin/sh\nexec sleep 1000000\n").expect("run");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    dir.to_path_buf()
}

fn wait_for(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_micros(200));
    }
}

fn up(dir: &Path) -> bool {
    std::fs::read(dir.join("supervise/status"))
        .ok()
        .and_then(|b| Record::decode(&b))
        .is_some_and(|r| r.pid != 0)
}

fn quiet(mut c: Command) -> Command {
    c.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null());
    c
}

/// Whether `pid` holds an inotify descriptor (svwait watches once it has looked).
fn watching(pid: u32) -> bool {
    std::fs::read_dir(format!("/proc/{pid}/fd")).is_ok_and(|fds| {
        fds.flatten()
            .any(|fd| std::fs::read_link(fd.path()).is_ok_and(|l| l.to_string_lossy().contains("inotify")))
    })
}

/// How the end of supervise is waited for.
enum Waiter {
    Svwait,
    /// The loop, started this long before the event (a second's phase).
    SvokLoop(Duration),
}

/// One round: supervise up on a fresh directory, the waiter waiting, `dx` sent;
/// the time from the send to the waiter's exit.
/// `svwait` is the build's of `ours`; the svok loop runs upstream's svok, in `reference`.
fn round(ours: &Ours, reference: &Path, supervise: Command, waiter: Waiter, dir: &Path) -> Duration {
    let dir = service(dir);
    let mut supervise = quiet(supervise).arg(&dir).spawn().expect("supervise");
    wait_for("the service up", || up(&dir));
    // Upstream's supervise reads no command in the second after a start.
    std::thread::sleep(Duration::from_millis(1100));
    let mut waiting: Child = match waiter {
        Waiter::Svwait => {
            let mut c = quiet(ours.command("svwait"));
            let child = c.arg("-x").arg(&dir).spawn().expect("svwait");
            wait_for("svwait watching", || watching(child.id()));
            child
        }
        Waiter::SvokLoop(phase) => {
            let svok = reference.join("svok");
            let mut c = quiet(Command::new("/bin/sh"));
            c.args(["-c", "while \"$0\" \"$1\"; do sleep 1; done"])
                .arg(svok)
                .arg(&dir);
            let child = c.spawn().expect("sh");
            std::thread::sleep(phase);
            child
        }
    };
    let t0 = Instant::now();
    let mut control = std::fs::OpenOptions::new()
        .write(true)
        .open(dir.join("supervise/control"))
        .expect("control");
    control.write_all(b"dx").expect("write control");
    drop(control);
    let status = waiting.wait().expect("wait");
    let elapsed = t0.elapsed();
    assert!(status.success(), "the waiter exited {status}");
    let _ = supervise.wait();
    elapsed
}

fn median(mut v: Vec<Duration>) -> f64 {
    v.sort();
    v[v.len() / 2].as_secs_f64() * 1000.0
}

pub fn run(sides: &Sides, rounds: usize) {
    let scratch = sides.scratch.path().join("svwait");
    std::fs::create_dir_all(&scratch).expect("scratch");
    let reference = &sides.reference.dir;
    let first = &sides.builds[0].ours;
    println!("\nsvwait: from `dx` written to supervise/control to the waiter's exit (median of {rounds})");
    println!("| waiter | ms | against the svok loop |\n|---|---|---|");
    // Per build: its svwait on its own supervise, and on upstream's.
    let mut times = vec![[Vec::new(), Vec::new()]; sides.builds.len()];
    let mut svok_loop = Vec::new();
    for i in 0..rounds {
        for (build, times) in sides.builds.iter().zip(&mut times) {
            let ours = &build.ours;
            let dir = scratch.join(format!("{}-own", build.label));
            times[0].push(round(
                ours,
                reference,
                ours.command("supervise"),
                Waiter::Svwait,
                &dir,
            ));
            let dir = scratch.join(format!("{}-upstream", build.label));
            let upstream = Command::new(reference.join("supervise"));
            times[1].push(round(ours, reference, upstream, Waiter::Svwait, &dir));
        }
        // The loop's phase spread over its second, the same in every run.
        let phase = Duration::from_millis((i as u64 * 379) % 1000);
        svok_loop.push(round(
            first,
            reference,
            first.command("supervise"),
            Waiter::SvokLoop(phase),
            &scratch.join("loop"),
        ));
    }
    let svok_loop = median(svok_loop);
    for (build, times) in sides.builds.iter().zip(times) {
        let [own, on_upstream] = times.map(median);
        println!(
            "| `svwait -x` ({}), our supervise | {own:.2} | {:.4} |",
            build.label,
            own / svok_loop
        );
        println!(
            "| `svwait -x` ({}), upstream's supervise | {on_upstream:.2} | {:.4} |",
            build.label,
            on_upstream / svok_loop
        );
    }
    println!(
        "| `while svok s; do sleep 1; done` (upstream's svok), our supervise ({}) | {svok_loop:.2} | 1 |",
        sides.builds[0].label
    );
    for build in &sides.builds {
        println!(
            "| CPU of a `svwait -d` ({}) waiting 60 s beside svstat every second, µs | {:.0} | |",
            build.label,
            idle_cpu(&build.ours, &scratch.join(format!("idle-{}", build.label)))
        );
    }
}

/// CPU (µs) of a `svwait -d` waiting a minute while svstat reads the service every
/// second.
fn idle_cpu(ours: &Ours, dir: &Path) -> f64 {
    let dir = service(dir);
    let mut supervise = quiet(ours.command("supervise"))
        .arg(&dir)
        .spawn()
        .expect("supervise");
    wait_for("the service up", || up(&dir));
    let mut svwait = quiet(ours.command("svwait"))
        .arg("-d")
        .arg(&dir)
        .spawn()
        .expect("svwait");
    wait_for("svwait watching", || watching(svwait.id()));
    let before = cpu_micros(svwait.id());
    for _ in 0..60 {
        quiet(ours.command("svstat")).arg(&dir).status().expect("svstat");
        std::thread::sleep(Duration::from_secs(1));
    }
    let used = cpu_micros(svwait.id()) - before;
    quiet(ours.command("svc"))
        .arg("-dx")
        .arg(&dir)
        .status()
        .expect("svc");
    let _ = svwait.wait();
    let _ = supervise.wait();
    used
}

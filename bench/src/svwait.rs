//! Waiting for a service, from the event to the waiter's exit: `svwait -x`, already
//! watching, against the introduction's `while svok s ; do sleep 1 ; done` (with
//! upstream's svok), after `dx` reaches supervise; and what a svwait costs while it
//! waits a minute beside a monitor reading the service every second.

use crate::{Sides, cpu_micros};
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
fn round(sides: &Sides, supervise: Command, waiter: Waiter, dir: &Path) -> Duration {
    let dir = service(dir);
    let mut supervise = quiet(supervise).arg(&dir).spawn().expect("supervise");
    wait_for("the service up", || up(&dir));
    // Upstream's supervise reads no command in the second after a start.
    std::thread::sleep(Duration::from_millis(1100));
    let mut waiting: Child = match waiter {
        Waiter::Svwait => {
            let mut c = quiet(sides.ours.command("svwait"));
            let child = c.arg("-x").arg(&dir).spawn().expect("svwait");
            wait_for("svwait watching", || watching(child.id()));
            child
        }
        Waiter::SvokLoop(phase) => {
            let svok = sides.reference.dir.join("svok");
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
    let upstream = |p: &str| Command::new(sides.reference.dir.join(p));
    println!("\nsvwait: from `dx` written to supervise/control to the waiter's exit (median of {rounds})");
    println!("| waiter | ms | against the svok loop |\n|---|---|---|");
    let mut times: [Vec<Duration>; 3] = Default::default();
    for i in 0..rounds {
        // The loop's phase spread over its second, the same in every run.
        let phase = Duration::from_millis((i as u64 * 379) % 1000);
        times[0].push(round(
            sides,
            sides.ours.command("supervise"),
            Waiter::Svwait,
            &scratch.join("a"),
        ));
        times[1].push(round(
            sides,
            upstream("supervise"),
            Waiter::Svwait,
            &scratch.join("b"),
        ));
        times[2].push(round(
            sides,
            sides.ours.command("supervise"),
            Waiter::SvokLoop(phase),
            &scratch.join("c"),
        ));
    }
    let [ours, on_upstream, svok_loop] = times.map(median);
    println!(
        "| `svwait -x`, our supervise | {ours:.2} | {:.4} |",
        ours / svok_loop
    );
    println!(
        "| `svwait -x`, upstream's supervise | {on_upstream:.2} | {:.4} |",
        on_upstream / svok_loop
    );
    println!("| `while svok s; do sleep 1; done` (upstream's svok), our supervise | {svok_loop:.2} | 1 |");

    // A minute of waiting while svstat reads the service every second.
    let dir = service(&scratch.join("idle"));
    let mut supervise = quiet(sides.ours.command("supervise"))
        .arg(&dir)
        .spawn()
        .expect("supervise");
    wait_for("the service up", || up(&dir));
    let mut svwait = quiet(sides.ours.command("svwait"))
        .arg("-d")
        .arg(&dir)
        .spawn()
        .expect("svwait");
    wait_for("svwait watching", || watching(svwait.id()));
    let before = cpu_micros(svwait.id());
    for _ in 0..60 {
        quiet(sides.ours.command("svstat"))
            .arg(&dir)
            .status()
            .expect("svstat");
        std::thread::sleep(Duration::from_secs(1));
    }
    let used = cpu_micros(svwait.id()) - before;
    quiet(sides.ours.command("svc"))
        .arg("-dx")
        .arg(&dir)
        .status()
        .expect("svc");
    let _ = svwait.wait();
    let _ = supervise.wait();
    println!("| CPU of a `svwait -d` waiting 60 s beside svstat every second, µs | {used:.0} | |");
}

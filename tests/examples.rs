//! The example tree (examples/service) under our svscan, and the Kubernetes probes
//! of examples/kubernetes/pod.yaml, run as written there, against it: the watcher
//! starts once the clock is ready; the readiness probe says not ready (99) while a
//! service is down and ready (0) once both are up and ready; the liveness probe
//! says 0 while supervise runs and not 0 once it has gone.
//!
//! Every wait is a poll with a deadline; every process started is ended by its pid.

mod support;

use conformance::tempdir::TempDir;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use support::{ours, poll_until, wait_with_deadline};

const PATIENCE: Duration = Duration::from_secs(30);
const EXAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples");

/// A directory of our programs under their names, for the run scripts' PATH.
fn programs(dir: &Path) -> PathBuf {
    let bin = dir.join("bin");
    std::fs::create_dir(&bin).unwrap();
    for name in daemontools::program_names() {
        std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_daemontools"), bin.join(name)).unwrap();
    }
    bin
}

/// Copies `from` into `to`, keeping modes (cp -R).
fn copy_tree(from: &str, to: &Path) {
    let status = Command::new("cp").arg("-R").arg(from).arg(to).status().unwrap();
    assert!(status.success());
}

/// The probes' commands in pod.yaml: (probe, argv), each on one `command: [...]` line.
fn probes() -> Vec<(String, Vec<String>)> {
    let pod = std::fs::read_to_string(format!("{EXAMPLES}/kubernetes/pod.yaml")).unwrap();
    let mut probe = String::new();
    let mut found = Vec::new();
    for line in pod.lines() {
        let line = line.trim();
        if line.ends_with("Probe:") {
            probe = line.trim_end_matches(':').to_string();
        }
        if let Some(list) = line.strip_prefix("command: [") {
            let argv = list
                .trim_end_matches(']')
                .split(',')
                .map(|word| word.trim().trim_matches('"').to_string())
                .collect();
            found.push((probe.clone(), argv));
        }
    }
    found
}

/// Runs a probe's command with `/service` being `service`: its exit status.
fn probe(argv: &[String], service: &Path, bin: &Path) -> i32 {
    let args: Vec<String> = argv[1..]
        .iter()
        .map(|a| a.replacen("/service", &service.to_string_lossy(), 1))
        .collect();
    let status = Command::new(bin.join(&argv[0]))
        .args(&args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    status.code().unwrap_or(-1)
}

fn svstat(dirs: &[PathBuf]) -> String {
    let out = ours("svstat").args(dirs).output().unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn the_example_tree_and_its_kubernetes_probes() {
    if !nix::unistd::geteuid().is_root() {
        assert!(
            !support::live_required(),
            "the example runs its clock as nobody: root is needed"
        );
        eprintln!("not root: the example's clock cannot drop to nobody, not run");
        return;
    }
    let scratch = TempDir::new("examples").unwrap();
    let bin = programs(scratch.path());
    let service = scratch.path().join("service");
    copy_tree(&format!("{EXAMPLES}/service"), &service);
    let dirs: Vec<PathBuf> = ["clock", "clock/log", "watcher", "watcher/log"]
        .iter()
        .map(|s| service.join(s))
        .collect();
    let path = format!("{}:/usr/bin:/bin", bin.display());
    let mut svscan: Child = ours("svscan")
        .arg(&service)
        .env("PATH", &path)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();

    let probes = probes();
    let [(live, liveness), (ready, readiness)] = &probes[..] else {
        panic!("pod.yaml: two probes, liveness then readiness: {probes:?}");
    };
    assert_eq!(
        (live.as_str(), ready.as_str()),
        ("livenessProbe", "readinessProbe")
    );
    assert_eq!(liveness[0], "svok");
    assert_eq!(&readiness[..4], ["svwait", "-U", "-t", "0"]);

    // The watcher waits for the clock's readiness, then says so in its log.
    let watcher_log = service.join("watcher/log/main/current");
    let saw_ready = poll_until(PATIENCE, Duration::from_millis(50), || {
        std::fs::read_to_string(&watcher_log).is_ok_and(|log| log.contains("the clock is ready"))
    });
    assert!(
        saw_ready,
        "the watcher never saw the clock ready: {}",
        svstat(&dirs)
    );
    let ready_now = poll_until(PATIENCE, Duration::from_millis(50), || {
        probe(readiness, &service, &bin) == 0
    });
    assert!(ready_now, "the readiness probe never passed: {}", svstat(&dirs));
    assert_eq!(probe(liveness, &service, &bin), 0, "liveness: {}", svstat(&dirs));

    // The clock down: not ready (99: one look, not met), still alive.
    let down = ours("svc")
        .args(["-d", "-Wd", "-T", "10000"])
        .arg(&dirs[0])
        .status()
        .unwrap();
    assert_eq!(down.code(), Some(0));
    assert_eq!(probe(readiness, &service, &bin), 99, "{}", svstat(&dirs));
    assert_eq!(probe(liveness, &service, &bin), 0);
    // Up again: ready once it says so.
    let up = ours("svc")
        .args(["-u", "-WU", "-T", "10000"])
        .arg(&dirs[0])
        .status()
        .unwrap();
    assert_eq!(up.code(), Some(0), "{}", svstat(&dirs));
    assert_eq!(probe(readiness, &service, &bin), 0, "{}", svstat(&dirs));

    // svscan gone (by its pid), every supervise told to exit and waited for.
    svscan.kill().unwrap();
    svscan.wait().unwrap();
    let mut gone = ours("svc")
        .args(["-dx", "-Wx", "-T", "10000"])
        .args(&dirs)
        .spawn()
        .unwrap();
    assert_eq!(
        wait_with_deadline(&mut gone, PATIENCE).code(),
        Some(0),
        "{}",
        svstat(&dirs)
    );
    assert_ne!(probe(liveness, &service, &bin), 0);
    assert_eq!(probe(readiness, &service, &bin), 102);
}

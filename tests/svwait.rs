//! svwait and `svc -W` with real processes: the removal recipe returns only once
//! supervise has exited (ours and upstream's), a waiting svwait does not spin while
//! others read the service, and a directory removed while waited on ends the wait.
//!
//! Every wait is a poll with a deadline; every process started is ended by its pid.

mod support;

use conformance::tempdir::TempDir;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use support::{ours, poll_until, upstream, wait_with_deadline};

const PATIENCE: Duration = Duration::from_secs(20);

/// A service directory `name` whose `run` sleeps until it is stopped.
fn service(scratch: &Path, name: &str) -> PathBuf {
    let dir = scratch.join(name);
    std::fs::create_dir(&dir).unwrap();
    let run = dir.join("run");
    std::fs::write(&run, "#!/bin/sh\nexec sleep 1000\n").unwrap();
    std::fs::set_permissions(&run, std::fs::Permissions::from_mode(0o755)).unwrap();
    dir
}

fn start(mut supervise: Command, dir: &Path) -> Child {
    let child = supervise
        .arg(dir)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let up = poll_until(PATIENCE, Duration::from_millis(20), || {
        ours("svwait")
            .args(["-u", "-t", "0"])
            .arg(dir)
            .stderr(Stdio::null())
            .status()
            .unwrap()
            .code()
            == Some(0)
    });
    assert!(up, "the service in {} never came up", dir.display());
    child
}

/// Whether the process holds nothing in `dir` (it has exited, or is exiting and
/// can write nothing more there).
fn has_let_go(pid: u32, dir: &Path) -> bool {
    let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return true;
    };
    !fds.flatten()
        .any(|fd| std::fs::read_link(fd.path()).is_ok_and(|target| target.starts_with(dir)))
}

/// `svc -dx -Wx -T 10000 s`, then nothing of supervise is left: no descriptor in
/// the directory, svok says not running, and supervise/ can be removed for good.
fn removal_round(supervise: Command, scratch: &Path, round: usize) {
    let dir = service(scratch, &format!("s{round}"));
    let mut child = start(supervise, &dir);
    let pid = child.id();
    let dir = dir.canonicalize().unwrap();
    assert!(
        !has_let_go(pid, &dir),
        "round {round}: supervise {pid} holds nothing in {}",
        dir.display()
    );
    let svc = ours("svc")
        .args(["-dx", "-Wx", "-T", "10000"])
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(svc.status.code(), Some(0), "round {round}: {svc:?}");
    assert!(
        has_let_go(pid, &dir),
        "round {round}: svc returned while supervise {pid} held its files"
    );
    let svok = ours("svok").arg(&dir).status().unwrap();
    assert_eq!(svok.code(), Some(100), "round {round}");
    std::fs::remove_dir_all(dir.join("supervise")).unwrap();
    assert!(wait_with_deadline(&mut child, PATIENCE).success());
    assert!(
        !dir.join("supervise").exists(),
        "round {round}: supervise/ came back"
    );
}

#[test]
fn svc_dx_wx_returns_once_our_supervise_has_exited_every_time() {
    let scratch = TempDir::new("svwait").unwrap();
    for round in 0..100 {
        removal_round(ours("supervise"), scratch.path(), round);
    }
}

#[test]
fn svc_dx_wx_returns_once_upstreams_supervise_has_exited() {
    let Some(_) = upstream("supervise") else {
        assert!(!support::live_required(), "upstream's supervise is required");
        eprintln!("upstream's supervise not installed: not compared");
        return;
    };
    let scratch = TempDir::new("svwait").unwrap();
    // Upstream's supervise reads no command in the second after a start.
    for round in 0..10 {
        removal_round(upstream("supervise").unwrap(), scratch.path(), round);
    }
}

/// CPU time (user + system, in clock ticks) the process has used.
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // After the command's name in parentheses: state is field 3, utime 14, stime 15.
    let fields: Vec<&str> = stat.rsplit_once(')').unwrap().1.split_whitespace().collect();
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

#[test]
fn a_waiting_svwait_sleeps_while_others_read_the_service() {
    let scratch = TempDir::new("svwait").unwrap();
    let dir = service(scratch.path(), "s");
    let mut supervise = start(ours("supervise"), &dir);
    let mut svwait = ours("svwait").arg("-d").arg(&dir).spawn().unwrap();
    // From when it watches (an inotify descriptor): its start-up does not count.
    let watching = || {
        std::fs::read_dir(format!("/proc/{}/fd", svwait.id())).is_ok_and(|fds| {
            fds.flatten().any(|fd| {
                std::fs::read_link(fd.path()).is_ok_and(|l| l.to_string_lossy().contains("inotify"))
            })
        })
    };
    assert!(
        poll_until(PATIENCE, Duration::from_millis(10), watching),
        "svwait never watched"
    );
    let before = cpu_ticks(svwait.id());
    // Monitoring at work: svstat and svok, as fast as they run, for two seconds.
    let until = std::time::Instant::now() + Duration::from_secs(2);
    let mut looks = 0;
    while std::time::Instant::now() < until {
        ours("svstat").arg(&dir).stdout(Stdio::null()).status().unwrap();
        ours("svok").arg(&dir).status().unwrap();
        looks += 1;
    }
    assert!(
        svwait.try_wait().unwrap().is_none(),
        "svwait -d ended while the service is up"
    );
    let ticks = cpu_ticks(svwait.id()) - before;
    // A svwait woken by every look would spend about a tick per dozen looks; one
    // that sleeps spends next to nothing (a tick is 10 ms, counted coarsely).
    assert!(
        ticks <= 3 + looks / 100,
        "svwait used {ticks} ticks of CPU during {looks} looks by others"
    );
    ours("svc").arg("-d").arg(&dir).status().unwrap();
    assert_eq!(wait_with_deadline(&mut svwait, PATIENCE).code(), Some(0));
    ours("svc").arg("-dx").arg(&dir).status().unwrap();
    assert!(wait_with_deadline(&mut supervise, PATIENCE).success());
}

#[test]
fn a_directory_removed_while_waited_on_ends_the_wait() {
    let scratch = TempDir::new("svwait").unwrap();
    for (goal, expected) in [("-x", 0), ("-u", 102)] {
        let dir = service(scratch.path(), &format!("s{goal}"));
        let mut supervise = start(ours("supervise"), &dir);
        let want = if goal == "-u" { "-r" } else { goal };
        let mut svwait = ours("svwait")
            .arg(want)
            .arg(&dir)
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // svwait has looked once it watches: give it the time to, by polling for
        // its inotify descriptor.
        let watching = poll_until(PATIENCE, Duration::from_millis(20), || {
            std::fs::read_dir(format!("/proc/{}/fd", svwait.id()))
                .map(|fds| {
                    fds.flatten().any(|fd| {
                        std::fs::read_link(fd.path()).is_ok_and(|l| l.to_string_lossy().contains("inotify"))
                    })
                })
                .unwrap_or(false)
        });
        assert!(watching, "svwait never watched");
        // The directory goes, with supervise and its service (each killed by its pid).
        let record = std::fs::read(dir.join("supervise/status")).unwrap();
        let service_pid = model::status::Record::decode(&record).unwrap().pid;
        supervise.kill().unwrap();
        supervise.wait().unwrap();
        nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(service_pid as i32),
            nix::sys::signal::SIGKILL,
        )
        .unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        let status = wait_with_deadline(&mut svwait, PATIENCE);
        assert_eq!(status.code(), Some(expected), "svwait {want}");
    }
}

//! svscan with real processes: a logger restarted under a stream of lines, a
//! killed supervise started again, a thousand services, a new service picked up
//! without waiting for the rescan, a directory made in place given the time to be
//! completed, a supervise stopped with `svc -dx` left away until the rescan (so that
//! the service can be removed), and svscan as PID 1 shutting everything down.
//!
//! svscan runs in a process group of its own, which its supervises and services
//! share; every test ends that group by its id. Every wait is a poll with a deadline.
//! Where upstream's svscan behaves the same, a test runs on it too (with its own
//! supervise): those need a moment known to be just after one of upstream's scans,
//! which a dangling symbolic link gives, as every scan warns about it.

mod support;

use conformance::tempdir::TempDir;
use model::status::Record;
use nix::sys::signal::{Signal, kill, killpg};
use nix::unistd::Pid;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use support::{live_required, poll_until, reference_dir, wait_with_deadline};

const PATIENCE: Duration = Duration::from_secs(60);

/// Polls `cond` until it holds or `within` passes (then panics with `what`).
fn wait_until(what: &str, within: Duration, cond: impl FnMut() -> bool) {
    let polled = poll_until(within, Duration::from_millis(50), cond);
    assert!(polled, "timed out waiting until {what}");
}

/// A scratch area with `bin/` holding one side's programs under their names, and
/// the scanned directory `service/`.
struct Area {
    scratch: TempDir,
    /// "ours" or "upstream".
    side: &'static str,
}

impl Area {
    /// With our programs.
    fn new() -> Area {
        let area = Area::empty("ours");
        for name in daemontools::program_names() {
            std::os::unix::fs::symlink(
                env!("CARGO_BIN_EXE_daemontools"),
                area.path().join("bin").join(name),
            )
            .unwrap();
        }
        area
    }

    /// With upstream's programs, those in `dir`.
    fn upstream(dir: &Path) -> Area {
        let area = Area::empty("upstream");
        for name in daemontools::program_names() {
            if dir.join(name).exists() {
                std::os::unix::fs::symlink(dir.join(name), area.path().join("bin").join(name)).unwrap();
            }
        }
        area
    }

    fn empty(side: &'static str) -> Area {
        let scratch = TempDir::new("svscan").unwrap();
        std::fs::create_dir(scratch.path().join("bin")).unwrap();
        std::fs::create_dir(scratch.path().join("service")).unwrap();
        Area { scratch, side }
    }

    fn ours(&self) -> bool {
        self.side == "ours"
    }

    fn path(&self) -> &Path {
        self.scratch.path()
    }

    fn scan_dir(&self) -> PathBuf {
        self.path().join("service")
    }

    fn search_path(&self) -> String {
        format!("{}:/usr/bin:/bin", self.path().join("bin").display())
    }

    /// A service `name` (in the scanned directory unless `name` has a `/`) with
    /// `run`, and `log/run` if given.
    fn service(&self, name: &str, run: &str, log: Option<&str>) -> PathBuf {
        let dir = if name.contains('/') {
            self.path().join(name)
        } else {
            self.scan_dir().join(name)
        };
        std::fs::create_dir_all(&dir).unwrap();
        executable(&dir.join("run"), run);
        if let Some(log) = log {
            std::fs::create_dir(dir.join("log")).unwrap();
            executable(&dir.join("log/run"), log);
        }
        dir
    }

    /// Our svscan on the scanned directory, in a process group of its own.
    fn svscan(&self) -> Svscan {
        let child = Command::new(self.path().join("bin/svscan"))
            .arg(self.scan_dir())
            .env("PATH", self.search_path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(self.path().join("svscan.err")).unwrap())
            .process_group(0)
            .spawn()
            .unwrap();
        Svscan { child }
    }

    fn svc(&self, args: &[&str], dirs: &[PathBuf]) {
        let status = Command::new(self.path().join("bin/svc"))
            .args(args)
            .args(dirs)
            .status()
            .unwrap();
        assert!(status.success());
    }

    fn warnings(&self) -> String {
        std::fs::read_to_string(self.path().join("svscan.err")).unwrap()
    }

    /// A dangling symbolic link in the scanned directory: every scan warns about it.
    fn dangling(&self) {
        std::os::unix::fs::symlink("nowhere", self.scan_dir().join("dangling")).unwrap();
    }

    /// How many scans have warned about the dangling link.
    fn scans(&self) -> usize {
        self.warnings().matches("unable to stat dangling").count()
    }

    /// Waits for a scan after this moment: upstream's next one is then 5 seconds away.
    fn await_fresh_scan(&self) {
        let before = self.scans();
        wait_until("svscan scans", PATIENCE, || self.scans() > before);
    }

    /// A service made elsewhere and linked in as `name`: ours starts it at once.
    fn link_service(&self, name: &str) -> PathBuf {
        let dir = self.service(&format!("elsewhere/{name}"), "#!/bin/sh\nexec sleep 1000\n", None);
        std::os::unix::fs::symlink(&dir, self.scan_dir().join(name)).unwrap();
        dir
    }
}

/// An area with our programs, and one with upstream's when it is installed (with
/// DAEMONTOOLS_REFERENCE set, it must be).
fn both_sides() -> Vec<Area> {
    let mut areas = vec![Area::new()];
    match reference_dir() {
        Some(dir) => areas.push(Area::upstream(dir)),
        None => {
            assert!(
                !live_required(),
                "upstream's daemontools is required and not found"
            );
            eprintln!("upstream's daemontools not installed: checking ours only");
        }
    }
    areas
}

fn executable(path: &Path, script: &str) {
    std::fs::write(path, script).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

struct Svscan {
    child: Child,
}

impl Svscan {
    fn pid(&self) -> Pid {
        Pid::from_raw(self.child.id() as i32)
    }

    /// The pids of svscan's children.
    fn children(&self) -> Vec<i32> {
        children_of(self.child.id())
    }

    /// What svscan's descriptors refer to, as /proc shows them.
    fn descriptors(&self) -> Vec<String> {
        std::fs::read_dir(format!("/proc/{}/fd", self.child.id()))
            .unwrap()
            .flatten()
            .filter_map(|e| std::fs::read_link(e.path()).ok())
            .map(|t| t.to_string_lossy().into_owned())
            .collect()
    }

    fn has_descriptor_to(&self, target: &str) -> bool {
        self.descriptors().iter().any(|t| t == target)
    }

    /// How many of svscan's descriptors are pipes (not counting the directory it
    /// may have open while scanning).
    fn pipes(&self) -> usize {
        self.descriptors()
            .iter()
            .filter(|t| t.starts_with("pipe:"))
            .count()
    }
}

impl Drop for Svscan {
    /// Ends svscan, its supervises and their services: the whole group, by its id.
    fn drop(&mut self) {
        let _ = killpg(self.pid(), Signal::SIGKILL);
        let _ = self.child.wait();
    }
}

fn children_of(pid: u32) -> Vec<i32> {
    std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|p| p.parse().ok())
        .collect()
}

/// Whether a supervise runs in `dir` (as svok says).
fn supervised(dir: &Path) -> bool {
    std::fs::OpenOptions::new()
        .write(true)
        .custom_flags(nix::libc::O_NONBLOCK)
        .open(dir.join("supervise/ok"))
        .is_ok()
}

/// The pid of the service in `dir`, if it is up.
fn service_pid(dir: &Path) -> Option<u32> {
    let record = Record::decode(&std::fs::read(dir.join("supervise/status")).ok()?)?;
    (record.pid != 0).then_some(record.pid)
}

/// Every line multilog kept in `dir`: the finished files in order, then `current`.
/// multilog may rename `current` while this reads it (a rotation, or a restarted
/// multilog finishing it as `.u`): it reads until the finished files it listed
/// before reading are still all there are after.
fn logged_lines(dir: &Path) -> Vec<String> {
    let finished = || -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with('@'))
            .collect();
        names.sort();
        names
    };
    loop {
        let before = finished();
        let lines = before
            .iter()
            .map(String::as_str)
            .chain(["current"])
            .flat_map(|n| {
                std::fs::read_to_string(dir.join(n))
                    .unwrap_or_default()
                    .lines()
                    .map(str::to_string)
                    .collect::<Vec<_>>()
            })
            .collect();
        if finished() == before {
            return lines;
        }
    }
}

/// Tells the service to write batch `batch`: `go` holds the latest batch number,
/// replaced at once by a rename.
fn say_go(go: &Path, batch: usize) {
    let next = go.with_extension("new");
    std::fs::write(&next, batch.to_string()).unwrap();
    std::fs::rename(&next, go).unwrap();
}

#[test]
fn no_line_is_lost_while_the_logger_restarts() {
    let area = Area::new();
    let go = area.path().join("go");
    // Ten batches of a thousand lines, each written when the test says go, one
    // write per line.
    let run = format!(
        "#!/bin/sh\nn=0\nfor batch in 1 2 3 4 5 6 7 8 9 10; do\n  until [ \"$(cat {} 2>/dev/null)\" = $batch ]; do sleep 0.01; done\n  i=0\n  while [ $i -lt 1000 ]; do n=$((n + 1)); i=$((i + 1)); echo \"line $n\"; done\ndone\nexec sleep 1000\n",
        go.display()
    );
    let dir = area.service("a", &run, Some("#!/bin/sh\nexec multilog ./main\n"));
    let log = dir.join("log");
    let _svscan = area.svscan();
    wait_until("the logger is up", PATIENCE, || service_pid(&log).is_some());
    for batch in 1..=10 {
        let logger = service_pid(&log).unwrap();
        say_go(&go, batch);
        if batch % 2 == 1 {
            // While the lines are on their way.
            area.svc(&["-t"], std::slice::from_ref(&log));
        } else {
            // multilog loses what it has read and not written when killed: kill
            // it only when it has caught up.
            wait_until("the logger has caught up", PATIENCE, || {
                logged_lines(&log.join("main")).len() == batch * 1000
            });
            kill(Pid::from_raw(logger as i32), Signal::SIGKILL).unwrap();
        }
        wait_until("the logger is restarted", PATIENCE, || {
            service_pid(&log).is_some_and(|p| p != logger)
        });
    }
    wait_until("every line is logged", PATIENCE, || {
        logged_lines(&log.join("main")).len() >= 10_000
    });
    let lines = logged_lines(&log.join("main"));
    let expected: Vec<String> = (1..=10_000).map(|n| format!("line {n}")).collect();
    assert!(
        lines == expected,
        "{} lines logged, first difference at {:?}",
        lines.len(),
        lines.iter().zip(&expected).position(|(a, b)| a != b)
    );
}

#[test]
fn a_killed_supervise_is_started_again_within_a_rescan() {
    let area = Area::new();
    let dir = area.service("a", "#!/bin/sh\nexec sleep 1000\n", None);
    let svscan = area.svscan();
    wait_until("the service is up", PATIENCE, || service_pid(&dir).is_some());
    let [supervise] = svscan.children()[..] else {
        panic!("children {:?}", svscan.children())
    };
    let orphan = service_pid(&dir).unwrap();
    kill(Pid::from_raw(supervise), Signal::SIGKILL).unwrap();
    let killed = Instant::now();
    wait_until("a new supervise runs", PATIENCE, || {
        svscan.children().iter().any(|&p| p != supervise) && supervised(&dir)
    });
    let took = killed.elapsed();
    // The orphaned service (upstream leaves it too) is ended by its pid.
    kill(Pid::from_raw(orphan as i32), Signal::SIGKILL).unwrap();
    // The next scan comes at most five seconds after the last; the rest is room
    // for a loaded machine.
    assert!(took < Duration::from_secs(8), "a new supervise after {took:?}");
}

#[test]
fn an_exited_supervise_is_reaped_at_once() {
    let area = Area::new();
    let dir = area.service("a", "#!/bin/sh\nexec sleep 1000\n", None);
    let svscan = area.svscan();
    wait_until("the service is up", PATIENCE, || service_pid(&dir).is_some());
    area.svc(&["-dx"], std::slice::from_ref(&dir));
    let stopped = Instant::now();
    // A zombie is still a child: the list empties when it is reaped.
    wait_until("svscan has no child left", PATIENCE, || {
        svscan.children().is_empty()
    });
    let took = stopped.elapsed();
    // Upstream reaps at its next scan, up to five seconds later.
    assert!(took < Duration::from_secs(3), "reaped after {took:?}");
}

#[test]
fn a_new_service_is_started_without_waiting_for_the_rescan() {
    let area = Area::new();
    let svscan = area.svscan();
    wait_until("svscan watches its directory", PATIENCE, || {
        svscan.has_descriptor_to("anon_inode:inotify")
    });
    // Created elsewhere, then moved in, as services usually are.
    let dir = area.service("new/a", "#!/bin/sh\nexec sleep 1000\n", None);
    let moved = area.scan_dir().join("a");
    std::fs::rename(&dir, &moved).unwrap();
    let added = Instant::now();
    wait_until("the new service is up", PATIENCE, || {
        service_pid(&moved).is_some()
    });
    let took = added.elapsed();
    assert!(
        took < Duration::from_secs(4),
        "up after {took:?}: svscan waited for the 5-second rescan"
    );
}

#[test]
fn a_linked_service_is_started_without_waiting_for_the_rescan() {
    let area = Area::new();
    let svscan = area.svscan();
    wait_until("svscan watches its directory", PATIENCE, || {
        svscan.has_descriptor_to("anon_inode:inotify")
    });
    // Made elsewhere, then linked in: complete when it appears.
    let added = Instant::now();
    let dir = area.link_service("a");
    wait_until("the new service is up", PATIENCE, || service_pid(&dir).is_some());
    let took = added.elapsed();
    assert!(
        took < Duration::from_secs(4),
        "up after {took:?}: svscan waited for the 5-second rescan"
    );
}

/// Issue 17: a directory made in place, its `log` and `down` made after it (as by a
/// script that builds it there): upstream starts it at its next scan, with luck after
/// it is complete; ours, where it notices the new directory at once, waits as long
/// as upstream could have, so that it starts complete: with its logger, and down.
#[test]
fn a_directory_made_in_place_is_started_once_complete() {
    for area in both_sides() {
        area.dangling();
        let svscan = area.svscan();
        area.await_fresh_scan();
        let a = area.service("a", "#!/bin/sh\necho hello\nexec sleep 1000\n", None);
        let c = area.service("c", "#!/bin/sh\necho ran > ran\nexec sleep 1000\n", None);
        let made = Instant::now();
        if area.ours() {
            // Ours looks at the directory when it changes: once it has started a
            // service linked in after a and c, it has seen them.
            let z = area.link_service("z");
            wait_until("the linked service is up", PATIENCE, || service_pid(&z).is_some());
        }
        std::fs::create_dir(a.join("log")).unwrap();
        executable(&a.join("log/run"), "#!/bin/sh\nexec cat > out\n");
        std::fs::write(c.join("down"), "").unwrap();
        // Upstream's next scan is 5 seconds after the last; ours 5 seconds after
        // it first saw them; the rest is room for a loaded machine.
        let within = Duration::from_secs(15);
        wait_until(
            &format!("{}: a's output reaches its logger", area.side),
            within,
            || std::fs::read_to_string(a.join("log/out")).is_ok_and(|o| o == "hello\n"),
        );
        wait_until(&format!("{}: c is supervised", area.side), within, || {
            supervised(&c) && std::fs::metadata(c.join("supervise/status")).is_ok_and(|m| m.len() > 0)
        });
        assert!(
            service_pid(&c).is_none() && !c.join("ran").exists(),
            "{}: c was started although it has a down file",
            area.side
        );
        assert!(
            made.elapsed() < within,
            "{}: started after {:?}",
            area.side,
            made.elapsed()
        );
        drop(svscan);
    }
}

/// `svc -dx` with the service's entry left in place, as `svsetup remove` does
/// before it removes the service: the supervise stays away until svscan's next
/// rescan (upstream's collects it only then), so that a loop on `svok` ends and the
/// directory can be removed.
#[test]
fn after_svc_dx_the_service_can_be_removed() {
    for area in both_sides() {
        area.dangling();
        let a = area.service(
            "elsewhere/a",
            "#!/bin/sh\nexec sleep 1000\n",
            Some("#!/bin/sh\nexec cat > /dev/null\n"),
        );
        let link = area.scan_dir().join("a");
        std::os::unix::fs::symlink(&a, &link).unwrap();
        let svscan = area.svscan();
        wait_until("a and its logger are up", PATIENCE, || {
            service_pid(&a).is_some() && service_pid(&a.join("log")).is_some()
        });
        area.await_fresh_scan();
        area.svc(&["-dx"], &[link.clone(), link.join("log")]);
        wait_until(
            &format!("{}: both supervises are gone", area.side),
            PATIENCE,
            || !supervised(&a) && !supervised(&a.join("log")),
        );
        if area.ours() {
            // Something else changes in the directory: ours looks at it at once.
            let z = area.link_service("z");
            wait_until("the linked service is up", PATIENCE, || service_pid(&z).is_some());
            assert_eq!(svscan.children().len(), 1, "a supervise started again for a");
        }
        assert!(
            !supervised(&a) && !supervised(&a.join("log")),
            "{}: a supervise started again for a",
            area.side
        );
        std::fs::remove_file(&link).unwrap();
        if let Err(e) = std::fs::remove_dir_all(&a) {
            panic!("{}: removing the service: {e}", area.side);
        }
        drop(svscan);
    }
}

/// A supervise stopped by `svc -dx` comes back while its entry is in place, but
/// not sooner than upstream's would: at the rescan 5 seconds after it exited, even
/// when svscan looks at the directory before then. (Upstream's: within 5 seconds.)
#[test]
fn a_supervise_stopped_with_svc_dx_comes_back_at_the_rescan() {
    let area = Area::new();
    let dir = area.service("a", "#!/bin/sh\nexec sleep 1000\n", None);
    let svscan = area.svscan();
    wait_until("the service is up", PATIENCE, || service_pid(&dir).is_some());
    area.svc(&["-dx"], std::slice::from_ref(&dir));
    wait_until("the supervise is gone", PATIENCE, || !supervised(&dir));
    let gone = Instant::now();
    let z = area.link_service("z");
    wait_until("the linked service is up", PATIENCE, || service_pid(&z).is_some());
    assert!(
        !supervised(&dir),
        "started again when svscan looked at the directory"
    );
    wait_until("the supervise is back", PATIENCE, || supervised(&dir));
    let took = gone.elapsed();
    assert!(
        took > Duration::from_millis(4500) && took < Duration::from_secs(9),
        "back after {took:?}"
    );
    wait_until("the service is up again", PATIENCE, || {
        service_pid(&dir).is_some()
    });
    drop(svscan);
}

#[test]
fn a_thousand_services_then_each_removed() {
    const SERVICES: usize = 1000;
    let area = Area::new();
    let mut dirs = Vec::new();
    for i in 0..SERVICES {
        // Every tenth with a logger: svscan then holds a pipe for it.
        let log = (i % 10 == 0).then_some("#!/bin/sh\nexec cat > /dev/null\n");
        dirs.push(area.service(&format!("s{i:04}"), "#!/bin/sh\nexec sleep 1000\n", log));
    }
    let loggers: Vec<PathBuf> = dirs
        .iter()
        .map(|d| d.join("log"))
        .filter(|d| d.exists())
        .collect();
    let svscan = area.svscan();
    wait_until("every service and logger is up", PATIENCE * 2, || {
        dirs.iter().chain(&loggers).all(|d| service_pid(d).is_some())
    });
    assert_eq!(svscan.children().len(), SERVICES + loggers.len());
    assert_eq!(area.warnings(), "");
    let with_pipes = svscan.pipes();

    // Out of the directory: each service keeps running, svscan or no svscan.
    let gone = area.path().join("gone");
    std::fs::create_dir(&gone).unwrap();
    let moved: Vec<PathBuf> = dirs
        .iter()
        .map(|d| {
            let to = gone.join(d.file_name().unwrap());
            std::fs::rename(d, &to).unwrap();
            to
        })
        .collect();
    // A new service linked in makes svscan scan now; once it is up, svscan has seen
    // the rest go.
    let trigger = area.link_service("trigger");
    wait_until("the trigger service is up", PATIENCE, || {
        service_pid(&trigger).is_some()
    });
    let moved_loggers: Vec<PathBuf> = moved
        .iter()
        .map(|d| d.join("log"))
        .filter(|d| d.exists())
        .collect();
    assert!(
        moved.iter().chain(&moved_loggers).all(|d| supervised(d)),
        "a removed service's supervise stopped"
    );

    // Stopped with svc -dx, they exit, and svscan forgets them: their pipes close.
    area.svc(&["-dx"], &moved);
    area.svc(&["-dx"], &moved_loggers);
    wait_until("every removed supervise has exited", PATIENCE, || {
        svscan.children().len() == 1
    });
    wait_until("svscan has forgotten them", PATIENCE, || {
        svscan.pipes() == with_pipes - 2 * loggers.len()
    });
    assert_eq!(area.warnings(), "");
}

/// 20 services with loggers, each writing until it is stopped, and then a last line.
const TICKER: &str = "#!/bin/sh\nexec 2>&1\ntrap 'echo stopping; exit 0' TERM\necho started\nwhile :; do echo tick; sleep 0.05; done\n";

#[test]
fn as_pid_1_sigterm_stops_everything_and_exits() {
    let area = Area::new();
    let dirs: Vec<PathBuf> = (0..20)
        .map(|i| {
            area.service(
                &format!("s{i:02}"),
                TICKER,
                Some("#!/bin/sh\nexec multilog t ./main\n"),
            )
        })
        .collect();
    // unshare forks svscan as PID 1 of a new PID namespace; --kill-child ends it
    // should the test fail first.
    let mut unshare = Command::new("unshare")
        .args(["--pid", "--fork", "--kill-child"])
        .arg(area.path().join("bin/svscan"))
        .arg(area.scan_dir())
        .env("PATH", area.search_path())
        .stdin(Stdio::null())
        .stderr(std::fs::File::create(area.path().join("svscan.err")).unwrap())
        .process_group(0)
        .spawn()
        .expect("unshare (util-linux) runs svscan in a PID namespace of its own");
    let group = Pid::from_raw(unshare.id() as i32);
    let cleanup = Cleanup(group);
    let mut svscan = None;
    wait_until("svscan runs", PATIENCE, || {
        svscan = children_of(unshare.id()).first().copied();
        svscan.is_some()
    });
    let current = |d: &PathBuf| std::fs::read_to_string(d.join("log/main/current")).unwrap_or_default();
    wait_until("every service logs", PATIENCE, || {
        dirs.iter().all(|d| current(d).contains(" tick\n"))
    });

    kill(Pid::from_raw(svscan.unwrap()), Signal::SIGTERM).unwrap();
    let sent = Instant::now();
    let status = wait_with_deadline(&mut unshare, PATIENCE);
    let took = sent.elapsed();
    drop(cleanup);
    assert!(status.success(), "svscan exited {status}: {}", area.warnings());
    for d in &dirs {
        let log = current(d);
        assert!(
            log.ends_with(" stopping\n"),
            "{}: log ends {:?}",
            d.display(),
            &log[log.len().saturating_sub(60)..]
        );
        let mode = std::fs::metadata(d.join("log/main/current"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o744, "multilog did not finish {}", d.display());
    }
    assert!(
        took < Duration::from_secs(2),
        "svscan took {took:?} to stop everything"
    );
}

/// Kills a process group when dropped (a test that fails half-way leaves nothing).
struct Cleanup(Pid);

impl Drop for Cleanup {
    fn drop(&mut self) {
        let _ = killpg(self.0, Signal::SIGKILL);
    }
}

//! A runit service directory moved under our supervise unchanged: the same `run`
//! and `finish`, and the `supervise/` runit's own `runsv` left there. The same
//! events (a TERM, an exit with code 3, `d` and `x`) first under runsv, then under
//! ours, give `finish` the same arguments (runit's: the exit code or -1, and the
//! low byte of the wait status).
//!
//! runsv comes from Debian's `runit` package: installed, or unpacked without
//! installing it (runit's own `update-service` and boot scripts stay out of the
//! way) into `target/runit/`, as `.ci/run` does; without either this test fails,
//! saying so.
//!
//! Every wait is a poll with a deadline; every process started is ended by its pid.

mod support;

use conformance::tempdir::TempDir;
use model::status::Record;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use support::{control, ours, poll_until, wait_with_deadline};

const PATIENCE: Duration = Duration::from_secs(20);

/// runit's `runsv`: Debian's, installed or unpacked under target/runit/.
fn runsv() -> Command {
    let unpacked = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/runit/usr/bin/runsv");
    let path = [PathBuf::from("/usr/bin/runsv"), unpacked]
        .into_iter()
        .find(|p| p.exists())
        .expect(
            "runit's runsv is missing: install Debian's runit package, or unpack it with \
             (cd target && apt-get download runit && dpkg-deb -x runit_*.deb runit)",
        );
    Command::new(path)
}

fn script(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(String::from)
        .collect()
}

fn wait_until(what: &str, cond: impl FnMut() -> bool) {
    assert!(
        poll_until(PATIENCE, Duration::from_millis(20), cond),
        "timed out waiting until {what}"
    );
}

/// The events, under whichever supervisor runs `dir` as `supervisor`: TERM to the
/// first start, the second exits 3 by itself, the third is stopped by `d`; then
/// `x`. Returns what `finish` was given, a line each time.
fn drive(dir: &Path, mut supervisor: Child) -> Vec<String> {
    let starts = || lines(&dir.join("starts")).len();
    let finished = || lines(&dir.join("finished")).len();
    wait_until("the first start", || starts() == 1);
    control(dir, b"t");
    wait_until("the third start", || starts() == 3 && finished() == 2);
    control(dir, b"d");
    wait_until("finish after d", || finished() == 3);
    control(dir, b"x");
    let status = wait_with_deadline(&mut supervisor, PATIENCE);
    assert!(status.success(), "the supervisor exited {status}");
    lines(&dir.join("finished"))
}

#[test]
fn a_runit_service_directory_runs_under_ours_unchanged() {
    let scratch = TempDir::new("runit-dir").unwrap();
    let dir = scratch.path().join("s");
    std::fs::create_dir(&dir).unwrap();
    script(
        &dir.join("run"),
        "#!/bin/sh\nexec 2>&1\necho run >> starts\n[ \"$(wc -l < starts)\" = 2 ] && exit 3\nexec sleep 1000\n",
    );
    script(&dir.join("finish"), "#!/bin/sh\necho \"$1 $2\" >> finished\n");

    let under_runit = runsv()
        .arg(&dir)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let by_runit = drive(&dir, under_runit);
    // What runsv leaves: its 20-byte status, beside control, ok and lock.
    let left = std::fs::read(dir.join("supervise/status")).unwrap();
    assert_eq!(left.len(), 20, "runsv's status");

    std::fs::remove_file(dir.join("starts")).unwrap();
    std::fs::remove_file(dir.join("finished")).unwrap();
    let under_ours = ours("supervise")
        .arg(&dir)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let by_ours = drive(&dir, under_ours);

    assert_eq!(by_runit, ["-1 15", "3 0", "-1 15"], "runit's finish arguments");
    assert_eq!(by_ours, by_runit, "ours give finish what runit gives it");
    // Ours left 0.76's status, down.
    let status = std::fs::read(dir.join("supervise/status")).unwrap();
    assert_eq!(status.len(), 18);
    assert_eq!(Record::decode(&status).map(|r| r.pid), Some(0));
}

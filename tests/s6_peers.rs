//! s6's own tools on what our supervise writes: `s6-svdt` and `s6-permafailon` read
//! our `supervise/death_tally` unchanged. They come from Debian's `s6` package
//! (CI installs it); without it these tests fail, saying so.
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

/// s6's program `name`, from Debian's package.
fn s6(name: &str) -> Command {
    let path = Path::new("/usr/bin").join(name);
    assert!(
        path.exists(),
        "{} is missing: install Debian's s6 package (apt-get install s6) to run these tests",
        path.display()
    );
    Command::new(path)
}

fn script(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// `s/` in `scratch`: a run that logs each start and, on its n-th start, runs the
/// n-th of `starts` (the last one from then on), and a `finish`.
fn service(scratch: &TempDir, starts: &[&str], finish: &str) -> PathBuf {
    let dir = scratch.path().join("s");
    std::fs::create_dir(&dir).unwrap();
    let mut run = String::from("#!/bin/sh\necho run >> starts\nn=$(wc -l < starts)\ncase $n in\n");
    for (i, start) in starts.iter().enumerate() {
        let pattern = if i + 1 == starts.len() {
            "*".to_string()
        } else {
            (i + 1).to_string()
        };
        run.push_str(&format!("{pattern}) {start} ;;\n"));
    }
    run.push_str("esac\n");
    script(&dir.join("run"), &run);
    script(&dir.join("finish"), finish);
    dir
}

fn starts(dir: &Path) -> usize {
    std::fs::read_to_string(dir.join("starts")).map_or(0, |s| s.lines().count())
}

fn record(dir: &Path) -> Option<Record> {
    Record::decode(&std::fs::read(dir.join("supervise/status")).ok()?)
}

fn wait_until(what: &str, cond: impl FnMut() -> bool) {
    assert!(
        poll_until(PATIENCE, Duration::from_millis(20), cond),
        "timed out waiting until {what}"
    );
}

fn supervise(dir: &Path) -> Child {
    ours("supervise")
        .arg(dir)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

fn stop(mut supervise: Child, dir: &Path) {
    control(dir, b"dx");
    let status = wait_with_deadline(&mut supervise, PATIENCE);
    assert!(status.success(), "supervise exited {status}");
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

#[test]
fn s6_svdt_reads_our_death_tally() {
    let scratch = TempDir::new("s6-svdt").unwrap();
    let dir = service(
        &scratch,
        &["exit 3", "exit 4", "kill -KILL $$", "exec sleep 1000"],
        "#!/bin/sh\nexit 0\n",
    );
    std::fs::write(dir.join("max-death-tally"), "2\n").unwrap();
    let before = unix_now();
    let sv = supervise(&dir);
    wait_until("the fourth start", || {
        starts(&dir) == 4 && record(&dir).is_some_and(|r| r.pid != 0)
    });
    let named = s6("s6-svdt").arg(&dir).output().unwrap();
    let numbered = s6("s6-svdt").arg("-s").arg(&dir).output().unwrap();
    let after = unix_now();
    stop(sv, &dir);

    assert!(named.status.success(), "{named:?}");
    let named = String::from_utf8(named.stdout).unwrap();
    let lines: Vec<&str> = named.lines().collect();
    // At most max-death-tally records: the two newest deaths.
    assert_eq!(lines.len(), 2, "{named}");
    assert!(lines[0].ends_with(" exitcode 4"), "{named}");
    assert!(lines[1].ends_with(" signal SIGKILL"), "{named}");
    assert_eq!(
        String::from_utf8(numbered.stdout)
            .unwrap()
            .lines()
            .nth(1)
            .map(|l| l.ends_with(" signal 9")),
        Some(true)
    );
    // Each stamp is a TAI64N label on s6's clock: 2^62 + 10 + 27 + UNIX time.
    for line in lines {
        let label = &line[1..17];
        let secs = u64::from_str_radix(label, 16).unwrap() - (1 << 62) - 37;
        assert!(
            (before..=after).contains(&secs),
            "{line}: {secs} not within {before}..={after}"
        );
    }
}

#[test]
fn s6_permafailon_in_finish_gives_up() {
    let scratch = TempDir::new("s6-permafailon").unwrap();
    // Three exits with code 3 within a minute: a permanent failure (finish exits 125).
    let dir = service(
        &scratch,
        &["exit 3"],
        "#!/bin/sh\nexec s6-permafailon 60 3 3 true\n",
    );
    let sv = supervise(&dir);
    wait_until("the service is given up", || {
        record(&dir).is_some_and(|r| r.want == b'd' && r.pid == 0)
    });
    let given_up_after = starts(&dir);
    // Wanted down: nothing starts it again until u.
    control(&dir, b"u");
    wait_until("a start after u", || starts(&dir) > given_up_after);
    stop(sv, &dir);
    assert_eq!(given_up_after, 3);
}

#[test]
fn s6_notifyoncheck_in_run_makes_the_service_ready_and_s6_svc_drives_it() {
    // s6-notifyoncheck runs its -c check with execlineb; without it, never ready.
    assert!(
        Path::new("/usr/bin/execlineb").exists(),
        "/usr/bin/execlineb is missing: install Debian's execline package (apt-get install execline) to run this test"
    );
    let scratch = TempDir::new("s6-notifyoncheck").unwrap();
    let dir = service(
        &scratch,
        &["exec s6-notifyoncheck -n 0 -w 50 -c 'test -e ready-flag' sleep 1000"],
        "#!/bin/sh\nexit 0\n",
    );
    std::fs::remove_file(dir.join("finish")).unwrap();
    std::fs::write(dir.join("notification-fd"), "3\n").unwrap();
    script(&dir.join("notify"), "#!/bin/sh\necho \"$2\" >> notices\n");
    let notices = || std::fs::read_to_string(dir.join("notices")).unwrap_or_default();
    let sv = supervise(&dir);
    wait_until("the start is told", || notices().contains("start"));
    // s6's tools see a supervise running (its POSIX lock on supervise/lock).
    let svok = s6("s6-svok").arg(&dir).status().unwrap();
    assert!(svok.success(), "s6-svok: {svok}");
    assert!(!notices().contains("ready"));
    std::fs::write(dir.join("ready-flag"), "").unwrap();
    wait_until("s6-notifyoncheck's newline makes it ready", || {
        notices().contains("ready")
    });
    // s6-svc's bytes: k kills it, as ours would.
    let svc = s6("s6-svc").arg("-k").arg(&dir).status().unwrap();
    assert!(svc.success(), "s6-svc: {svc}");
    wait_until("the kill is told", || notices().contains("killed"));
    stop(sv, &dir);
    assert_eq!(
        notices().lines().take(3).collect::<Vec<_>>(),
        ["start", "ready", "killed"]
    );
}

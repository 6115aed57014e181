//! Where upstream can be made to write through a planted link, ours does not: each
//! test here is a documented divergence (DIVERGENCES in the man page), run on ours
//! only, since upstream fails it.
//!
//! Every wait is a poll with a deadline; every process started is ended by its pid.

mod support;

use conformance::tempdir::TempDir;
use model::status::Record;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::{Child, Stdio};
use std::time::Duration;
use support::{control, ours, poll_until, wait_with_deadline};

const PATIENCE: Duration = Duration::from_secs(15);

/// Ends supervise and its service by their pids if a test failed half-way (the
/// service's `run` writes its pid to `pid` in the service directory).
struct Running {
    supervise: Child,
    dir: PathBuf,
}

impl Drop for Running {
    fn drop(&mut self) {
        if !matches!(self.supervise.try_wait(), Ok(None)) {
            return;
        }
        let _ = self.supervise.kill();
        let _ = self.supervise.wait();
        // The service, if that pid is still it (it runs in the service directory).
        let pid = std::fs::read_to_string(self.dir.join("pid"));
        if let Some(pid) = pid.ok().and_then(|p| p.trim().parse::<i32>().ok()) {
            let cwd = std::fs::read_link(format!("/proc/{pid}/cwd"));
            if cwd.is_ok_and(|c| c == self.dir) {
                let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), nix::sys::signal::SIGKILL);
            }
        }
    }
}

/// A symlink planted as `supervise/status.new` (by whoever can write to the
/// supervise directory) is not followed: upstream opens it with O_TRUNC as root,
/// overwriting its target with the status record, and then renames the link into
/// `status`. Ours opens status.new with O_NOFOLLOW, removes the link, and writes a
/// file of its own.
#[test]
fn a_symlink_planted_as_status_new_is_not_followed() {
    let scratch = TempDir::new("hardening").unwrap();
    let dir = scratch.path().join("s");
    std::fs::create_dir_all(dir.join("supervise")).unwrap();
    let run = dir.join("run");
    std::fs::write(&run, "#!/bin/sh\necho $$ > pid\nexec sleep 1000\n").unwrap();
    std::fs::set_permissions(&run, std::fs::Permissions::from_mode(0o755)).unwrap();
    let victim = scratch.path().join("victim");
    std::fs::write(&victim, "precious\n").unwrap();
    std::os::unix::fs::symlink(&victim, dir.join("supervise/status.new")).unwrap();

    let child = ours("supervise")
        .arg(&dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut running = Running {
        supervise: child,
        dir: dir.clone(),
    };
    let status = dir.join("supervise/status");
    let up = || {
        std::fs::read(&status)
            .ok()
            .and_then(|r| Record::decode(&r))
            .is_some_and(|r| r.pid != 0)
    };
    assert!(
        poll_until(PATIENCE, Duration::from_millis(20), up),
        "no status record with the service up"
    );
    assert_eq!(
        std::fs::read(&victim).unwrap(),
        b"precious\n",
        "the link's target is untouched"
    );
    assert!(!status.symlink_metadata().unwrap().file_type().is_symlink());
    assert!(!victim.symlink_metadata().unwrap().file_type().is_symlink());

    // A link planted again while supervise runs is removed at the next write too.
    std::fs::remove_file(dir.join("supervise/status.new")).ok();
    std::os::unix::fs::symlink(&victim, dir.join("supervise/status.new")).unwrap();
    control(&dir, b"dx");
    let exit = wait_with_deadline(&mut running.supervise, PATIENCE);
    assert!(exit.success(), "supervise exited {exit}");
    assert_eq!(
        std::fs::read(&victim).unwrap(),
        b"precious\n",
        "the link's target is untouched"
    );
    let record = Record::decode(&std::fs::read(&status).unwrap()).expect("a status record");
    assert_eq!(record.pid, 0, "the last record says down");
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut running.supervise.stderr.take().unwrap(), &mut stderr).unwrap();
    assert_eq!(stderr, "", "no warning");
}

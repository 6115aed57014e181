//! `process::spawn_shared`, the vfork-like start supervise uses for `./run`: the pid
//! it returns is the program's, the program's exit reaches waitpid, its arguments
//! and new session are as asked, and a failed exec ends the child with 111. (That the child's stack does not outlive it is checked
//! in `spawn_shared_unmaps.rs`, a test binary of its own.)
//!
//! Each test has its own directory and reaps every child it starts.

use nix::sys::wait::{WaitStatus, waitpid};
use runtime::process::{Setup, spawn_shared};
use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("spawn-shared-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn c_path(path: &std::path::Path) -> CString {
    CString::new(path.as_os_str().as_bytes()).unwrap()
}

/// A script that writes its pid and argv[0] to `out` and exits 7.
fn script(dir: &std::path::Path) -> PathBuf {
    let path = dir.join("run");
    let out = dir.join("out");
    std::fs::write(
        &path,
        format!("#!/bin/sh\necho \"$$ $0\" > '{}'\nexit 7\n", out.display()),
    )
    .unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

#[test]
fn the_pid_is_the_programs_and_its_exit_is_reaped() {
    let dir = scratch("run");
    let run = script(&dir);
    let pid = spawn_shared(
        &[&c_path(&run)],
        Setup::default(),
        b"test: fatal: unable to start: ",
    )
    .unwrap();
    assert_eq!(waitpid(pid, None).unwrap(), WaitStatus::Exited(pid, 7));
    let out = std::fs::read_to_string(dir.join("out")).unwrap();
    assert_eq!(out, format!("{} {}\n", pid.as_raw(), run.display()));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_failed_exec_ends_the_child_with_111() {
    let dir = scratch("missing");
    let pid = spawn_shared(&[&c_path(&dir.join("nonexistent"))], Setup::default(), b"").unwrap();
    assert_eq!(waitpid(pid, None).unwrap(), WaitStatus::Exited(pid, 111));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn arguments_and_a_new_session() {
    let dir = scratch("session");
    let path = dir.join("run");
    let out = dir.join("out");
    // Field 6 of /proc/PID/stat is the session id (the command, field 2, is "sh").
    std::fs::write(
        &path,
        format!(
            "#!/bin/sh\necho \"$* $(cut -d' ' -f6 /proc/$$/stat)\" > '{}'\n",
            out.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    let run = c_path(&path);
    let pid = spawn_shared(
        &[&run, c"a b", c"", c"4", c"5"],
        Setup {
            new_session: true,
            ..Setup::default()
        },
        b"",
    )
    .unwrap();
    assert_eq!(waitpid(pid, None).unwrap(), WaitStatus::Exited(pid, 0));
    let out = std::fs::read_to_string(&out).unwrap();
    assert_eq!(out, format!("a b  4 5 {}\n", pid.as_raw()));
    let too_many = spawn_shared(&[&run, c"1", c"2", c"3", c"4", c"5"], Setup::default(), b"");
    assert_eq!(too_many, Err(nix::errno::Errno::E2BIG));
    std::fs::remove_dir_all(&dir).unwrap();
}

//! setuidgid and envuidgid look an account up by its name's bytes, as upstream does:
//! a name that is not UTF-8 (`caf\xe9`, Latin-1) is an account like any other.
//!
//! The account is made without touching the machine's /etc/passwd: each program runs
//! in a mount namespace of its own (unshare(1), as root), where a copy of /etc/passwd
//! with the account added is bind-mounted over the real one. This needs root; without
//! it the test fails, it does not skip.

mod support;

use conformance::tempdir::TempDir;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use support::upstream;

const NAME: &[u8] = b"caf\xe9";

/// Our `name` (a link of that name to the multi-call binary) and upstream's when
/// installed, as paths.
fn programs(scratch: &Path, name: &str) -> Vec<(&'static str, PathBuf)> {
    let link = scratch.join(name);
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_daemontools"), &link).unwrap();
    let mut v = vec![("ours", link)];
    if let Some(c) = upstream(name) {
        v.push(("upstream", PathBuf::from(c.get_program())));
    }
    v
}

/// Runs `program NAME args…` where /etc/passwd has the account NAME (uid 4242, gid
/// 4343); returns its exit status and standard output.
fn with_account(passwd: &Path, program: &Path, args: &[&str]) -> (i32, Vec<u8>) {
    let out = Command::new("unshare")
        .args(["--mount", "--propagation", "private", "/bin/sh", "-c"])
        .arg(r#"mount --bind "$0" /etc/passwd && exec "$@""#)
        .arg(passwd)
        .arg(program)
        .arg(OsStr::from_bytes(NAME))
        .args(args)
        .output()
        .expect("unshare (util-linux) runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("unshare") && !stderr.contains("mount"),
        "could not bind-mount a passwd file in a namespace (root is needed): {stderr}"
    );
    (out.status.code().unwrap_or(-1), out.stdout)
}

fn passwd_with_account(scratch: &Path) -> PathBuf {
    let mut passwd = std::fs::read("/etc/passwd").unwrap();
    passwd.extend_from_slice(&[NAME, b":x:4242:4343::/nonexistent:/bin/false\n"].concat());
    let path = scratch.join("passwd");
    std::fs::write(&path, passwd).unwrap();
    path
}

#[test]
fn setuidgid_takes_an_account_name_that_is_not_utf8() {
    let scratch = TempDir::new("accounts").unwrap();
    let passwd = passwd_with_account(scratch.path());
    for (who, program) in programs(scratch.path(), "setuidgid") {
        let (code, out) = with_account(&passwd, &program, &["id", "-u"]);
        assert_eq!((code, out), (0, b"4242\n".to_vec()), "{who}: uid");
        let (code, out) = with_account(&passwd, &program, &["id", "-G"]);
        assert_eq!((code, out), (0, b"4343\n".to_vec()), "{who}: groups");
    }
}

#[test]
fn envuidgid_takes_an_account_name_that_is_not_utf8() {
    let scratch = TempDir::new("accounts").unwrap();
    let passwd = passwd_with_account(scratch.path());
    for (who, program) in programs(scratch.path(), "envuidgid") {
        let (code, out) = with_account(&passwd, &program, &["env"]);
        assert_eq!(code, 0, "{who}");
        let env = String::from_utf8_lossy(&out);
        assert!(env.lines().any(|l| l == "UID=4242"), "{who}: {env}");
        assert!(env.lines().any(|l| l == "GID=4343"), "{who}: {env}");
    }
}

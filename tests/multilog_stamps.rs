//! multilog's timestamp extensions at instants fixed with libfaketime (Debian's
//! `faketime`): `d` must print what `t` piped through tai64nlocal prints for the
//! same instant, upstream's `t` and tai64nlocal where installed, in UTC, in
//! America/New_York on both sides of a DST change, and with TZ unset; `m` and `i`
//! follow from it, `T` is the UNIX time.

mod support;

use conformance::tempdir::TempDir;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use support::{live_required, ours, upstream};

/// 2026-03-08 06:59:59 UTC: 01:59:59 EST, one second before New York's clocks go
/// forward; two seconds later it is 03:00:01 EDT.
const BEFORE_DST: i64 = 1_772_953_199;

/// libfaketime, wherever this architecture's multiarch directory is.
fn libfaketime() -> Option<PathBuf> {
    std::fs::read_dir("/usr/lib")
        .ok()?
        .filter_map(|e| e.ok())
        .map(|e| e.path().join("faketime/libfaketime.so.1"))
        .find(|p| p.exists())
}

/// Runs `command` with stdin `input` in `dir`, the clock frozen at `unix`, with `tz`.
fn at(mut command: Command, unix: i64, tz: Option<&str>, dir: &Path, input: &[u8]) -> Vec<u8> {
    let lib = libfaketime().expect("libfaketime");
    command
        .current_dir(dir)
        .env("LD_PRELOAD", lib)
        .env("FAKETIME_FMT", "%s")
        .env("FAKETIME", unix.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    match tz {
        Some(tz) => command.env("TZ", tz),
        None => command.env_remove("TZ"),
    };
    let mut child = command.spawn().expect("spawn");
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), input).unwrap();
    drop(child.stdin.take());
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

/// multilog (ours, or upstream's for `t`) with `script`, then its current.
fn logged(multilog: Command, script: &[&str], unix: i64, tz: Option<&str>, dir: &Path) -> Vec<u8> {
    let mut command = multilog;
    command.args(script);
    at(command, unix, tz, dir, b"one\ntwo\n");
    let log = dir.join(script.last().unwrap());
    std::fs::read(log.join("current")).unwrap()
}

#[test]
fn local_stamps_are_what_tai64nlocal_prints_for_the_same_instant() {
    if libfaketime().is_none() {
        assert!(
            !live_required(),
            "libfaketime (Debian's faketime) is needed: it fixes the instants"
        );
        eprintln!("libfaketime not installed: not checked");
        return;
    }
    let reference = || upstream("multilog").zip(upstream("tai64nlocal"));
    if reference().is_none() {
        assert!(!live_required(), "upstream's multilog and tai64nlocal are needed");
        eprintln!("upstream not installed: ours' t and tai64nlocal stand in");
    }
    let scratch = TempDir::new("multilog-stamps").unwrap();
    let made = std::cell::Cell::new(0);
    let fresh = || {
        made.set(made.get() + 1);
        let d = scratch.path().join(made.get().to_string());
        std::fs::create_dir(&d).unwrap();
        d
    };
    for tz in [Some("UTC"), Some("America/New_York"), None] {
        for unix in [BEFORE_DST, BEFORE_DST + 2] {
            let (multilog, tai64nlocal) =
                reference().unwrap_or_else(|| (ours("multilog"), ours("tai64nlocal")));
            let labelled = logged(multilog, &["t", "./log"], unix, tz, &fresh());
            let want = String::from_utf8(at(tai64nlocal, unix, tz, &fresh(), &labelled)).unwrap();
            let got = |script: &str| {
                let bytes = logged(ours("multilog"), &[script, "./log"], unix, tz, &fresh());
                String::from_utf8(bytes).unwrap()
            };
            assert_eq!(got("d"), want, "d, TZ={tz:?}, at {unix}");
            let first = want.lines().next().unwrap();
            let (date, time) = (&first[..10], &first[11..29]);
            let millis = &time[..12];
            assert_eq!(got("m"), format!("{date} {millis} one\n{date} {millis} two\n"));
            // The offset as date(1) (glibc) gives it for that instant.
            let mut date_cmd = Command::new("date");
            date_cmd.arg("+%:z");
            let offset = String::from_utf8(at(date_cmd, unix, tz, &fresh(), b"")).unwrap();
            let offset = offset.trim_end();
            let expected_offset = match (tz, unix) {
                (Some("America/New_York"), BEFORE_DST) => Some("-05:00"),
                (Some("America/New_York"), _) => Some("-04:00"),
                (Some(_), _) => Some("+00:00"),
                (None, _) => None,
            };
            assert!(expected_offset.is_none_or(|o| o == offset), "date says {offset}");
            assert_eq!(
                got("i"),
                format!("{date}T{time}{offset} one\n{date}T{time}{offset} two\n")
            );
            assert_eq!(got("T"), format!("{unix}.000000 one\n{unix}.000000 two\n"));
        }
    }
    assert_eq!(made.get(), 3 * 2 * 7);
}

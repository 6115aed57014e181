//! The programs driven through a pseudo-terminal, as an admin types them (rexpect):
//! tai64n and tai64nlocal answer each line as it is typed, multilog reading a
//! terminal ends at ^D with every line kept, and svstat and svc answer at a
//! terminal as in a script. Ours, and upstream's where installed.

mod support;

use conformance::tempdir::TempDir;
use model::status::Record;
use rexpect::process::WaitStatus;
use rexpect::session::{PtySession, spawn_command};
use std::os::unix::fs::PermissionsExt;
use std::process::Command;
use std::time::Duration;
use support::{both, poll_until};

/// Every expectation waits at most this long.
const TIMEOUT_MS: u64 = 15_000;

fn at_terminal(side: &str, command: Command) -> PtySession {
    spawn_command(command, Some(TIMEOUT_MS)).unwrap_or_else(|e| panic!("{side}: {e}"))
}

/// ^D at the start of a line ends the input; the program exits 0.
fn end_input(side: &str, mut p: PtySession) {
    p.send_control('d').unwrap();
    p.exp_eof().unwrap_or_else(|e| panic!("{side}: {e}"));
    match p.process().wait() {
        Ok(WaitStatus::Exited(_, 0)) => {}
        other => panic!("{side}: {other:?}"),
    }
}

#[test]
fn tai64n_labels_each_line_as_it_is_typed() {
    for (side, command) in both("tai64n") {
        let mut p = at_terminal(side, command);
        for line in ["first line", "second line"] {
            p.send_line(line).unwrap();
            p.exp_regex(&format!("@[0-9a-f]{{24}} {line}\r\n"))
                .unwrap_or_else(|e| panic!("{side}, {line:?}: {e}"));
        }
        end_input(side, p);
    }
}

#[test]
fn tai64nlocal_converts_each_line_as_it_is_typed() {
    for (side, mut command) in both("tai64nlocal") {
        command.env("TZ", "UTC");
        let mut p = at_terminal(side, command);
        // The output differs from the line typed, which a terminal may echo.
        for (typed, shown) in [
            (
                "@4000000065a5e37e0000000a one",
                "2024-01-16 02:01:24.000000010 one\r\n",
            ),
            (
                "@4000000065a5e3800000000b two",
                "2024-01-16 02:01:26.000000011 two\r\n",
            ),
        ] {
            p.send_line(typed).unwrap();
            p.exp_string(shown).unwrap_or_else(|e| panic!("{side}: {e}"));
        }
        end_input(side, p);
    }
}

#[test]
fn multilog_reading_a_terminal_ends_at_eof_and_keeps_every_line() {
    for (side, mut command) in both("multilog") {
        let scratch = TempDir::new("terminal-multilog").unwrap();
        let dir = scratch.path().join("log");
        command.arg(&dir);
        let mut p = at_terminal(side, command);
        let lines = ["one", "two", "three"];
        for line in lines {
            p.send_line(line).unwrap();
        }
        // Each line reaches `current` while multilog waits for the next.
        let current = dir.join("current");
        let all = format!("{}\n", lines.join("\n"));
        let arrived = poll_until(Duration::from_secs(10), Duration::from_millis(20), || {
            std::fs::read_to_string(&current).is_ok_and(|c| c == all)
        });
        assert!(arrived, "{side}: {:?}", std::fs::read_to_string(&current));
        end_input(side, p);
        assert_eq!(std::fs::read_to_string(&current).unwrap(), all, "{side}");
        let mode = std::fs::metadata(&current).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o744, "{side}: current marked complete");
    }
}

#[test]
fn svstat_and_svc_at_a_terminal() {
    for (side, mut supervise) in both("supervise") {
        let scratch = TempDir::new("terminal-sv").unwrap();
        let dir = scratch.path().join("s");
        std::fs::create_dir(&dir).unwrap();
        std::fs::write(dir.join("run"), "#!/bin/sh\nexec sleep 1000\n").unwrap();
        std::fs::set_permissions(dir.join("run"), std::fs::Permissions::from_mode(0o755)).unwrap();
        let mut child = supervise.arg(&dir).spawn().unwrap();
        let program = |name: &str| {
            if side == "ours" {
                support::ours(name)
            } else {
                support::upstream(name).unwrap()
            }
        };
        let up = poll_until(Duration::from_secs(15), Duration::from_millis(20), || {
            std::fs::read(dir.join("supervise/status"))
                .ok()
                .and_then(|b| Record::decode(&b))
                .is_some_and(|r| r.pid != 0)
        });
        if !up {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{side}: the service did not come up");
        }
        let mut svstat = program("svstat");
        svstat.arg(&dir);
        let mut p = at_terminal(side, svstat);
        p.exp_regex(r": up \(pid [0-9]+\) [0-9]+ seconds\r\n")
            .unwrap_or_else(|e| panic!("{side}: {e}"));
        p.exp_eof().unwrap();
        let mut svc = program("svc");
        svc.arg("-dx").arg(&dir);
        let mut p = at_terminal(side, svc);
        p.exp_eof().unwrap_or_else(|e| panic!("{side}: {e}"));
        assert!(
            matches!(p.process().wait(), Ok(WaitStatus::Exited(_, 0))),
            "{side}"
        );
        let status = support::wait_with_deadline(&mut child, Duration::from_secs(15));
        assert!(status.success(), "{side}: supervise {status}");
        let mut svstat = program("svstat");
        svstat.arg(&dir);
        let mut p = at_terminal(side, svstat);
        p.exp_string(": supervise not running\r\n")
            .unwrap_or_else(|e| panic!("{side}: {e}"));
    }
}

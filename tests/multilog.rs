//! multilog with real files: a disk that fills up while a writer keeps writing.
//! multilog warns in upstream's words, pauses, retries, and once space is freed
//! every line arrives, in order, once. Whenever multilog waits for input,
//! everything it has read is in `current`, and a signal reaches it.

mod support;

use conformance::tempdir::TempDir;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;
use support::{both, poll_until, wait_with_deadline};

/// Runs in a mount namespace of its own, so the small tmpfs is seen by no one else.
const DISK_FULL: &str = r#"
set -u
mount -t tmpfs -o size=512k tmpfs "$FS" || { echo "cannot mount a tmpfs"; exit 1; }
mkdir "$FS/log"
# Leave about 48 kB free: the log needs more than that.
dd if=/dev/zero of="$FS/filler" bs=1k count=464 2>/dev/null
seq 1 40000 > "$WORK/expected"
seq 1 40000 | "$MULTILOG" multilog s16384 n1000 "$FS/log" 2> "$WORK/err" &
logger=$!
n=0
until grep -q "unable to write to $FS/log/current, pausing: out of disk space" "$WORK/err"; do
    n=$((n + 1))
    if [ "$n" -ge 600 ]; then echo "multilog never found the disk full"; kill "$logger"; exit 1; fi
    sleep 0.05
done
echo "multilog found the disk full"
rm "$FS/filler"
wait "$logger"
echo "multilog exited $?"
cat "$FS/log"/@* "$FS/log/current" | cmp - "$WORK/expected" && echo "every line arrived"
umount "$FS"
"#;

#[test]
fn a_full_disk_loses_no_line() {
    let scratch = TempDir::new("multilog").unwrap();
    let fs = scratch.path().join("fs");
    std::fs::create_dir(&fs).unwrap();
    let mut child = Command::new("unshare")
        .args(["--mount", "--propagation", "private", "sh", "-c", DISK_FULL])
        .env("FS", &fs)
        .env("WORK", scratch.path())
        .env("MULTILOG", env!("CARGO_BIN_EXE_daemontools"))
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("unshare (util-linux) runs the test in a mount namespace of its own");
    let status = wait_with_deadline(&mut child, Duration::from_secs(120));
    let mut out = String::new();
    std::io::Read::read_to_string(child.stdout.as_mut().unwrap(), &mut out).unwrap();
    assert!(status.success(), "{out}");
    assert_eq!(
        out,
        "multilog found the disk full\nmultilog exited 0\nevery line arrived\n"
    );
}

/// Whether `path` comes to hold exactly `want` within ten seconds.
fn comes_to_hold(path: &std::path::Path, want: &[u8]) -> bool {
    poll_until(Duration::from_secs(10), Duration::from_millis(50), || {
        std::fs::read(path).is_ok_and(|got| got == want)
    })
}

/// While input streams in, ours writes whole pages and holds the rest back; once
/// the writer pauses, all of it must be in `current`, whatever the sizes of the
/// writes (one line, exactly one read's worth, several reads' worth).
#[test]
fn what_was_read_is_in_current_when_the_writer_pauses() {
    let line = |i: usize| format!("line {i:06} of some length {}\n", "x".repeat(i % 90));
    let mut next = 0;
    let mut block = |bytes: usize| {
        let mut out = String::new();
        while out.len() < bytes {
            out += &line(next);
            next += 1;
        }
        out.into_bytes()
    };
    // A block of exactly 32768 bytes of whole lines, as one read of the glibc build
    // takes (a musl build's take up to 128 kB).
    let mut exact = block(32_000);
    let pad = 32_768 - exact.len() - 1;
    exact.extend(std::iter::repeat_n(b'p', pad));
    exact.push(b'\n');
    let blocks = [block(1), exact, block(100_000), block(5_000), block(300_000)];
    for (side, mut multilog) in both("multilog") {
        let scratch = TempDir::new("multilog-pause").unwrap();
        let dir = scratch.path().join("log");
        let mut child = multilog
            .args(["s16777215", dir.to_str().unwrap()])
            .stdin(Stdio::piped())
            .spawn()
            .expect("multilog");
        let mut stdin = child.stdin.take().unwrap();
        let mut written = Vec::new();
        for (k, b) in blocks.iter().enumerate() {
            stdin.write_all(b).unwrap();
            written.extend_from_slice(b);
            if !comes_to_hold(&dir.join("current"), &written) {
                let _ = child.kill();
                let _ = child.wait();
                panic!("{side}: block {k} ({} bytes) is not all in current", b.len());
            }
        }
        drop(stdin);
        assert!(
            wait_with_deadline(&mut child, Duration::from_secs(10)).success(),
            "{side}"
        );
    }
}

/// The rotated files of `dir`, oldest first, and whether `current` is empty.
fn rotated(dir: &std::path::Path) -> (Vec<Vec<u8>>, bool) {
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok().map(|e| e.file_name()))
                .filter(|n| n.to_string_lossy().starts_with('@'))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    let files = names
        .iter()
        .map(|n| std::fs::read(dir.join(n)).unwrap_or_default())
        .collect();
    let current_empty = std::fs::metadata(dir.join("current")).is_ok_and(|m| m.len() == 0);
    (files, current_empty)
}

/// Unless the line before did not arrive (`arrived` false), sends SIGALRM to `child`
/// and waits up to ten seconds for `dir` to hold the rotated files `files` and an
/// empty `current`; otherwise ends the child and fails, naming `what`.
fn alarm_must_rotate(
    child: &mut std::process::Child,
    arrived: bool,
    dir: &std::path::Path,
    files: &[Vec<u8>],
    what: &str,
) {
    use nix::sys::signal::{Signal, kill};
    let rotated_at_once = arrived
        && kill(nix::unistd::Pid::from_raw(child.id() as i32), Signal::SIGALRM).is_ok()
        && poll_until(Duration::from_secs(10), Duration::from_millis(20), || {
            rotated(dir) == (files.to_vec(), true)
        });
    if !rotated_at_once {
        let _ = child.kill();
        let _ = child.wait();
        panic!(
            "{what}: SIGALRM did not rotate (line arrived: {arrived}): {:?}",
            rotated(dir)
        );
    }
}

/// A signal that comes while multilog waits for input is acted on then, not when
/// the next line comes: each SIGALRM rotates at once, and SIGTERM between lines
/// ends it at once (exit 0), input still open.
///
/// Ours only: upstream unblocks the signals after writing and before reading, so
/// one that comes in between is taken, and then slept through until more input
/// comes (see DIVERGENCES in multilog.8). Measured here with a signal sent as soon
/// as the line was in `current`: upstream slept through 1 of 200, and 7 of 200
/// with a second line written just before the signal.
#[test]
fn signals_reach_a_waiting_multilog_every_time() {
    use nix::sys::signal::{Signal, kill};
    use nix::unistd::Pid;
    const ROUNDS: usize = 25;
    let scratch = TempDir::new("multilog-signals").unwrap();
    let dir = scratch.path().join("log");
    let mut child = support::ours("multilog")
        .args(["n100", dir.to_str().unwrap()])
        .stdin(Stdio::piped())
        .spawn()
        .expect("multilog");
    let pid = Pid::from_raw(child.id() as i32);
    let mut stdin = child.stdin.take().unwrap();
    let mut sent = Vec::new();
    for round in 0..ROUNDS {
        let line = format!("round {round}\n");
        stdin.write_all(line.as_bytes()).unwrap();
        let arrived = comes_to_hold(&dir.join("current"), line.as_bytes());
        sent.push(line.into_bytes());
        alarm_must_rotate(&mut child, arrived, &dir, &sent, &format!("round {round}"));
    }
    kill(pid, Signal::SIGTERM).unwrap();
    let status = wait_with_deadline(&mut child, Duration::from_secs(10));
    drop(stdin);
    assert!(status.success(), "{status:?}");
}

/// SIGTERM once the first line is in `current` (multilog waiting, or about to),
/// and in every other round right after a second line is written (multilog
/// anywhere in its loop, up to just before it reads again): each time it exits at
/// once, having written the first line and, if it read it, the second. Ours
/// only, as above.
#[test]
fn sigterm_at_any_point_ends_a_waiting_multilog() {
    use nix::sys::signal::{Signal, kill};
    use nix::unistd::Pid;
    let scratch = TempDir::new("multilog-term").unwrap();
    for round in 0..100 {
        let dir = scratch.path().join(format!("log{round}"));
        let mut child = support::ours("multilog")
            .arg(&dir)
            .stdin(Stdio::piped())
            .spawn()
            .expect("multilog");
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(b"first\n").unwrap();
        let ready = comes_to_hold(&dir.join("current"), b"first\n");
        if round % 2 == 1 {
            stdin.write_all(b"second\n").unwrap();
        }
        kill(Pid::from_raw(child.id() as i32), Signal::SIGTERM).unwrap();
        let status = wait_with_deadline(&mut child, Duration::from_secs(10));
        drop(stdin);
        let current = std::fs::read(dir.join("current")).unwrap_or_default();
        assert!(ready && status.success(), "round {round}: {status:?}");
        assert!(
            current == b"first\n" || current == b"first\nsecond\n",
            "round {round}: {current:?}"
        );
    }
}

/// Given a non-blocking pipe as fd 0 (reads that would wait fail with EAGAIN),
/// multilog waits for input all the same: lines that come later arrive, and SIGTERM
/// ends it.
#[test]
fn a_non_blocking_stdin_is_waited_for() {
    use nix::fcntl::{FcntlArg, OFlag, fcntl};
    use nix::sys::signal::{Signal, kill};
    use nix::unistd::Pid;
    let scratch = TempDir::new("multilog-nonblocking").unwrap();
    let dir = scratch.path().join("log");
    let (reader, writer) = nix::unistd::pipe2(OFlag::O_CLOEXEC).unwrap();
    fcntl(&reader, FcntlArg::F_SETFL(OFlag::O_NONBLOCK)).unwrap();
    let mut child = support::ours("multilog")
        .arg(&dir)
        .stdin(Stdio::from(reader))
        .spawn()
        .expect("multilog");
    let mut writer = std::fs::File::from(writer);
    let mut written = Vec::new();
    for line in ["one\n", "two\n", "three\n"] {
        writer.write_all(line.as_bytes()).unwrap();
        written.extend_from_slice(line.as_bytes());
        if !comes_to_hold(&dir.join("current"), &written) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{line:?} did not arrive");
        }
    }
    kill(Pid::from_raw(child.id() as i32), Signal::SIGTERM).unwrap();
    let status = wait_with_deadline(&mut child, Duration::from_secs(10));
    assert!(status.success(), "{status:?}");
}

/// Started with SIGTERM and SIGALRM blocked (a signal mask survives exec), multilog
/// still acts on them, as upstream does: it unblocks them.
#[test]
fn signals_blocked_at_start_are_unblocked() {
    use nix::sys::signal::{Signal, kill};
    use nix::unistd::Pid;
    const BLOCKED: &str = "use POSIX; \
        sigprocmask(SIG_BLOCK, POSIX::SigSet->new(SIGTERM, SIGALRM)) or die; \
        my $program = shift; exec { $program } @ARGV or die";
    for (side, multilog) in both("multilog") {
        let scratch = TempDir::new("multilog-blocked").unwrap();
        let dir = scratch.path().join("log");
        let mut child = Command::new("perl")
            .args(["-e", BLOCKED])
            .arg(multilog.get_program())
            .arg("multilog")
            .arg(&dir)
            .stdin(Stdio::piped())
            .spawn()
            .expect("perl");
        let pid = Pid::from_raw(child.id() as i32);
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(b"one\n").unwrap();
        let arrived = comes_to_hold(&dir.join("current"), b"one\n");
        alarm_must_rotate(&mut child, arrived, &dir, &[b"one\n".to_vec()], side);
        kill(pid, Signal::SIGTERM).unwrap();
        let status = wait_with_deadline(&mut child, Duration::from_secs(10));
        drop(stdin);
        assert!(status.success(), "{side}: {status:?}");
    }
}

/// A writer backlogged in a named pipe, multilog rotating every 2 kB through a
/// processor that takes three seconds, killed with SIGKILL (the OOM killer, `svc -k`)
/// while the processor runs; then `DRAIN`. What waits in the pipe is safe; what
/// multilog had taken out of it is lost unless it was in `current`.
const KILLED_WHILE_PROCESSING: &str = r#"
set -u
cd "$WORK"
mkfifo pipe
exec 3<>pipe
seq -f 'line %05g' 1 20000 > pipe &
writer=$!
"$MULTILOG" s4096 n999 '!exec sleep 3' ./log < pipe 3>&- &
logger=$!
n=0
until [ -e log/previous ]; do
    n=$((n + 1))
    if [ "$n" -ge 600 ]; then echo "no processor ran"; kill "$logger" "$writer"; exit 1; fi
    sleep 0.05
done
processors=$(cat /proc/$logger/task/$logger/children)
kill -9 "$logger"
wait "$logger"
for p in $processors; do kill -9 "$p"; done
"#;

/// How both scripts end: a plain multilog on the same pipe and directory until the
/// writer is done and the pipe drained; then how many distinct lines arrived.
const DRAIN: &str = r#"
"$MULTILOG" s4096 n9999 ./log < pipe 3>&- &
logger=$!
wait "$writer"
exec 3>&-
wait "$logger"
echo "restarted multilog exited $?"
cat log/@* log/current | grep -x 'line [0-9]*' | sort -u | wc -l
"#;

/// The number of lines kept that `script` (`KILLED_WHILE_PROCESSING` or
/// `KILLED_WHILE_ROTATING`) prints, ours first, then upstream's when installed.
fn kept_after_sigkill(script: &str) -> Vec<(&'static str, usize)> {
    counted_on_both(&format!("{script}{DRAIN}"))
}

/// [`counted`] for ours, then for upstream's when installed.
fn counted_on_both(script: &str) -> Vec<(&'static str, usize)> {
    both("multilog")
        .iter()
        .map(|(side, c)| (*side, counted(side, c, script)))
        .collect()
}

/// Runs `script` with one side's multilog as `$MULTILOG` in a scratch `$WORK`; it
/// ends by printing the restarted multilog's exit and a count, which is returned.
fn counted(side: &str, multilog: &Command, script: &str) -> usize {
    let scratch = TempDir::new("multilog-sigkill").unwrap();
    std::fs::create_dir(scratch.path().join("bin")).unwrap();
    let program = scratch.path().join("bin/multilog");
    std::os::unix::fs::symlink(multilog.get_program(), &program).unwrap();
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(script)
        .env("WORK", scratch.path())
        .env("MULTILOG", &program)
        .stdout(Stdio::piped())
        .spawn()
        .expect("sh");
    let status = wait_with_deadline(&mut child, Duration::from_secs(120));
    let mut out = String::new();
    std::io::Read::read_to_string(child.stdout.as_mut().unwrap(), &mut out).unwrap();
    assert!(status.success(), "{side}: {out}");
    let (first, count) = out.trim_end().rsplit_once('\n').unwrap_or(("", ""));
    assert_eq!(first, "restarted multilog exited 0", "{side}: {out}");
    count.trim().parse().unwrap_or_else(|_| panic!("{side}: {out}"))
}

/// Ours (first in `kept`) kept no fewer than upstream's (second, when installed).
fn no_fewer_than_upstream(kept: &[(&str, usize)]) {
    if let Some(&(_, upstream)) = kept.get(1) {
        assert!(kept[0].1 >= upstream, "{kept:?}");
    } else {
        assert!(!support::live_required(), "upstream's multilog is required");
    }
}

/// Ours loses nothing of what it read when killed while its processor runs: it
/// reads no more than it can write before the rotation makes it wait. Upstream
/// loses what its 1 kB buffer held; ours must never keep fewer lines than it.
#[test]
fn sigkill_while_the_processor_runs_loses_no_line() {
    let kept = kept_after_sigkill(KILLED_WHILE_PROCESSING);
    eprintln!("lines kept of 20000: {kept:?}");
    assert_eq!(kept[0], ("ours", 20000), "{kept:?}");
    no_fewer_than_upstream(&kept);
}

/// A writer backlogged in a named pipe, no processor, and multilog killed with
/// SIGKILL ten times, each time just after a rotation was seen (while it writes
/// and syncs the next files), restarted on the same pipe and directory each time;
/// then `DRAIN`.
const KILLED_WHILE_ROTATING: &str = r#"
set -u
cd "$WORK"
mkfifo pipe
exec 3<>pipe
seq -f 'line %05g' 1 100000 > pipe 3>&- &
writer=$!
files() { ls log 2>/dev/null | wc -l; }
for i in 1 2 3 4 5 6 7 8 9 10; do
    before=$(files)
    "$MULTILOG" s4096 n9999 ./log < pipe 3>&- &
    logger=$!
    n=0
    until [ "$(files)" -gt "$before" ]; do
        n=$((n + 1))
        if [ "$n" -ge 2000 ]; then echo "no rotation"; kill "$logger" "$writer"; exit 1; fi
        sleep 0.005
    done
    kill -9 "$logger"
    wait "$logger"
done
"#;

/// Killed at such moments, upstream loses what it had read and not yet written (up
/// to its 1 kB buffer and 512 bytes of output each time). Ours loses nothing it
/// read: what it reads from a pipe stays there until it is written
/// (`runtime::input`), so the next multilog finds it again. A kill can still cut the
/// line being written in two (its start in the file the next multilog finds
/// unfinished, its end in the new current), as upstream's: at most one line a kill.
#[test]
fn sigkill_while_rotating_loses_at_most_the_line_cut_each_time() {
    let kept = kept_after_sigkill(KILLED_WHILE_ROTATING);
    eprintln!("lines kept of 100000: {kept:?}");
    assert!(kept[0].1 >= 100_000 - 10, "{kept:?}");
    no_fewer_than_upstream(&kept);
}

/// A multilog echoing each line (`e`) to a stderr nobody reads, whose pipe is full,
/// and fed one line: it blocks in its echo, before the line reaches `current`. It is
/// killed there; a plain multilog then reads the pipe to its end. Prints the
/// restarted multilog's status and how many times the line was logged.
const KILLED_WHILE_ECHOING: &str = r#"
set -u
cd "$WORK"
mkfifo pipe errors
exec 3<>pipe 4<>errors
dd if=/dev/zero bs=65536 count=1 >&4 2>/dev/null
exec 5<pipe
"$MULTILOG" e ./log <&5 2>&4 3>&- 4>&- 5<&- &
logger=$!
exec 5<&-
echo 'one line' >&3
n=0
until grep -qx pipe_write /proc/$logger/wchan 2>/dev/null; do
    n=$((n + 1))
    if [ "$n" -ge 400 ]; then echo "never blocked in its echo" >&2; break; fi
    sleep 0.025
done
kill -9 "$logger"
wait "$logger"
exec 5<pipe
"$MULTILOG" ./log <&5 3>&- 4>&- 5<&- &
logger=$!
exec 5<&- 3>&- 4>&-
wait "$logger"
echo "restarted multilog exited $?"
grep -cx 'one line' log/current || true
"#;

/// What multilog took from a pipe is not lost when it is killed while it waits for
/// something else than input (here its echo): ours logs the line, upstream loses it.
#[test]
fn sigkill_while_an_echo_blocks_loses_no_line() {
    let kept = counted_on_both(KILLED_WHILE_ECHOING);
    eprintln!("times the line was logged: {kept:?}");
    assert_eq!(kept[0], ("ours", 1), "{kept:?}");
    no_fewer_than_upstream(&kept);
}

/// A status file that cannot be written (`=/dev/full`): warned about in upstream's
/// words, then paused on and tried again (`StatusFailure`), never a crash.
#[test]
fn a_status_file_that_cannot_be_written_is_warned_about_and_retried() {
    let want = "multilog: warning: unable to write /dev/full, pausing: out of disk space\n";
    for (side, mut multilog) in both("multilog") {
        let scratch = TempDir::new("multilog").unwrap();
        let err = scratch.path().join("err");
        let mut child = multilog
            .args(["=/dev/full", "./d"])
            .current_dir(scratch.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&err).unwrap())
            .spawn()
            .unwrap();
        child.stdin.as_mut().unwrap().write_all(b"a line\n").unwrap();
        let warned = poll_until(Duration::from_secs(10), Duration::from_millis(20), || {
            std::fs::read_to_string(&err).is_ok_and(|e| e.contains(want))
        });
        let _ = child.kill();
        let _ = child.wait();
        let said = std::fs::read_to_string(&err).unwrap_or_default();
        assert!(warned, "{side}: {said:?}");
        assert_eq!(said, want, "{side}: one warning, then the pause");
    }
}

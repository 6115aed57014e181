//! supervise, svc, svok, svstat, alone and against each other's upstream versions.
//!
//! Scripts never assume how long anything takes (upstream's supervise sleeps a
//! second after every start, ours does not): they wait for a state with `waitfor`,
//! a bounded poll. supervise runs in the background of the step and is stopped with
//! `svc -dx` and `wait` before the step ends.

use crate::normalize::Norm;
use crate::scenario::{Scenario, Side};

/// Shell functions for the scripts.
pub(super) const PRELUDE: &str = r#"
isup() { svstat "$1" | grep -q ": up (pid"; }
isdown() { svstat "$1" | grep -q ": down "; }
ispaused() { svstat "$1" | grep -q ", paused"; }
running() { isup "$1" && ! ispaused "$1"; }
wantsdown() { svstat "$1" | grep -q ", want down"; }
logged() { grep -qx "$2" "$1"; }
# has FILE LINE N: FILE holds LINE at least N times (checked anew on every try).
has() { [ "$(grep -cx "$2" "$1" 2>/dev/null)" -ge "$3" ]; }
"#;

/// A service that sleeps until it is stopped.
pub(super) const SLEEPER: &str = "#!/bin/sh\nexec sleep 1000\n";

/// A service that writes every signal it gets to `log`, and ends on TERM.
const SIGNAL_LOGGER: &str = r#"#!/bin/sh
echo started >> log
trap 'echo hup >> log' HUP
trap 'echo alrm >> log' ALRM
trap 'echo int >> log' INT
trap 'echo term >> log; exit 0' TERM
while :; do sleep 0.05; done
"#;

/// A status record (spec 2.3) as printf(1) escapes, with a stamp far in the future
/// (so svstat shows 0 seconds), `pid`'s four little-endian bytes, and the last two.
fn status_bytes(pid: [u8; 4], paused: u8, want: u8) -> String {
    let mut bytes = vec![0x70, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    bytes.extend(pid);
    bytes.extend([paused, want]);
    bytes.iter().map(|b| format!("\\{b:03o}")).collect()
}

/// A directory that looks supervised: a status record and a reader on `ok`.
fn fake(name: &str, record: &str) -> Scenario {
    Scenario::new("svstat", name)
        .dir("s/supervise", 0o700)
        .run(&format!(
            "mkfifo s/supervise/ok; exec 3<>s/supervise/ok; printf '{record}' > s/supervise/status; svstat s"
        ))
}

pub(super) fn sv(program: &'static str, name: &str) -> Scenario {
    // Upstream's supervise spends a second after every start: allow for it.
    Scenario::new(program, name)
        .prelude(super::WAITFOR)
        .prelude(PRELUDE)
        .step_timeout(std::time::Duration::from_secs(60))
        .normalize(Norm::Pids)
        .normalize(Norm::Seconds)
        .volatile("s/supervise/status")
}

/// The life of a service: up, down, up again, exit.
const LIFECYCLE: &str = "supervise s & waitfor isup s; svstat s; svok s; echo \"svok $?\"
svc -d s; waitfor isdown s; svstat s
svc -u s; waitfor isup s; svstat s
svc -dx s; wait; echo \"supervise exited $?\"; svstat s; svok s; echo \"svok $?\"";

/// Every command of svc, each waited for. A background job of a script starts with
/// SIGINT ignored, which the service would inherit: supervise gets it back.
const EVERY_COMMAND: &str = "env --default-signal=INT supervise s & waitfor logged s/log started
svc -h s; waitfor logged s/log hup
svc -a s; waitfor logged s/log alrm
svc -i s; waitfor logged s/log int
svc -p s; waitfor ispaused s; svstat s
svc -c s; waitfor running s; svstat s
svc -t s; waitfor logged s/log term; waitfor has s/log started 2
svc -k s; waitfor has s/log started 3
svc -o s; svc -k s; waitfor isdown s; svstat s
svc -u s; waitfor has s/log started 4
svc -d s; waitfor isdown s; svstat s
svc -x s; wait; echo \"supervise exited $?\"; cat s/log";

/// A service that exits at once, every time.
const CRASHER: &str = "#!/bin/sh\necho ran >> log\nexit 1\n";

/// Upstream sleeps out the second after each start before it reaps, so a service
/// that exits at once reads as up (with the pid of its last start) nearly all the
/// time; clients such as Salt's and Ansible's act on that. Sampled ten times, with
/// room for a sample that lands in the instant between an exit and a start.
const CRASH_LOOP: &str = "supervise s & waitfor has s/log ran 2
up=0; for i in 1 2 3 4 5 6 7 8 9 10; do isup s && up=$((up + 1)); sleep 0.1; done
if [ $up -ge 9 ]; then echo \"up in at least 9 of 10 samples\"; else echo \"up in $up of 10 samples\"; fi
svc -dx s; wait; echo \"supervise exited $?\"; svstat s";

pub fn supervise_scenarios() -> Vec<Scenario> {
    let s = |name: &str| sv("supervise", name).file("s/run", SLEEPER);
    let run = |sc: Scenario, script: &str| sc.run(&format!("chmod +x s/run 2>/dev/null; {script}"));
    vec![
        Scenario::new("supervise", "usage").run("supervise").run("supervise a b"),
        Scenario::new("supervise", "missing-directory").run("supervise nonexistent"),
        run(s("lifecycle"), LIFECYCLE),
        run(
            sv("supervise", "every-svc-command").file("s/run", SIGNAL_LOGGER),
            EVERY_COMMAND,
        ),
        run(
            s("down-file").file("s/down", ""),
            "supervise s & waitfor svok s; svstat s; svc -u s; waitfor isup s; svstat s; svc -dx s; wait; svstat s",
        ),
        run(
            sv("supervise", "no-run-file").dir("s", 0o755).volatile("err"),
            "supervise s 2> err & waitfor grep -q fatal err; svc -dx s; wait; sort -u err",
        ),
        run(
            sv("supervise", "run-not-executable").file("s/run", SLEEPER).volatile("err"),
            "chmod -x s/run; supervise s 2> err & waitfor grep -q fatal err; svc -dx s; wait; sort -u err",
        ),
        run(
            sv("supervise", "run-exits-at-once").file("s/run", "#!/bin/sh\necho ran >> log\n"),
            "supervise s & waitfor has s/log ran 3; svc -dx s; wait; echo \"supervise exited $?\"",
        ),
        run(
            sv("supervise", "crash-loop-reads-as-up").file("s/run", CRASHER).volatile("s/log"),
            CRASH_LOOP,
        ),
        run(
            sv("supervise", "crash-loop-reads-as-up-to-upstreams-svstat")
                .file("s/run", CRASHER)
                .volatile("s/log"),
            CRASH_LOOP,
        )
        .pin("svstat", Side::Reference),
        run(
            s("second-supervise-refused"),
            "supervise s & waitfor svok s; supervise s; echo \"second: $?\"; svc -dx s; wait",
        ),
        run(
            s("supervise-is-a-file").file("s/supervise", ""),
            "supervise s; echo \"exit $?\"",
        ),
        run(
            s("down-symlink-loop").symlink("s/down", "down"),
            "supervise s; echo \"exit $?\"",
        ),
        run(
            s("dangling-supervise-symlink")
                .dir("state", 0o755)
                .symlink("s/supervise", "../state/s")
                .volatile("state/s/status"),
            "supervise s & waitfor isup s; ls -d state/s; svc -dx s; wait",
        ),
        run(
            s("exit-waits-for-the-service"),
            "supervise s & waitfor isup s; svc -x s; svstat s; svc -k s; wait; echo \"supervise exited $?\"; svstat s",
        ),
        run(
            s("once").file("s/down", ""),
            "supervise s & waitfor svok s; svc -o s; waitfor isup s; svstat s; svc -k s; waitfor isdown s; svstat s; svc -x s; wait",
        ),
        run(
            sv("supervise", "want-down-while-term-is-ignored").file("s/run", "#!/bin/sh\ntrap '' TERM\nexec sleep 1000\n"),
            // Ours acts on svc -d at once (upstream sleeps a second after a start):
            // the TERM must not come before the shell has set its trap, which its
            // process shows (SigIgn: TERM is bit 14, 0x4000).
            "supervise s & waitfor isup s; waitfor eval \"grep -q '^SigIgn:.*[4567cdef]...\\$' /proc/\\$(svstat s | sed 's/.*pid \\([0-9]*\\).*/\\1/')/status\"; svc -d s; waitfor wantsdown s; svstat s; svc -k s; waitfor isdown s; svstat s; svc -x s; wait",
        ),
        run(
            sv("supervise", "term-waits-while-paused").file("s/run", SIGNAL_LOGGER),
            "supervise s & waitfor logged s/log started; svc -p s; waitfor ispaused s; svc -t s; svstat s
svc -c s; waitfor logged s/log term; waitfor has s/log started 2; svc -dx s; wait; cat s/log",
        ),
        run(
            s("status-record-flags"),
            "supervise s & waitfor isup s; od -An -tx1 -j16 s/supervise/status
svc -p s; waitfor ispaused s; od -An -tx1 -j16 s/supervise/status
svc -d s; waitfor isdown s; od -An -tx1 -j16 s/supervise/status
svc -o s; waitfor isup s; od -An -tx1 -j16 s/supervise/status; svc -dx s; wait",
        ),
        run(
            sv("supervise", "what-the-service-gets").file(
                "s/run",
                // The descriptors are listed into a file, not a pipe (the shell holds a
                // pipeline's pipe until it has started both sides: ls could list it), and
                // `seen` appears whole, for the waitfor.
                "#!/bin/sh\nls /proc/$$/fd > fds\n{ echo \"$0 in $(pwd)\"; tr '\\n' ' ' < fds; } > seen.new; mv seen.new seen\nexec sleep 1000\n",
            ),
            "supervise s & waitfor test -s s/seen; cat s/seen; echo; svc -dx s; wait",
        ),
        run(
            sv("supervise", "the-service-gets-its-environment-and-signal-state")
                .file("s/run", "#!/bin/sh\nenv | sort > env; exec sleep 1000\n"),
            // The signal state is read from the service's process once it is sleep:
            // a shell reading its own shows the mask it sets around its forks.
            "env -i FOO=bar EMPTY= PATH=\"$PATH\" supervise s & waitfor test -s s/env
pid=$(svstat s | sed 's/.*pid \\([0-9]*\\).*/\\1/'); slept() { [ \"$(cat /proc/$pid/comm)\" = sleep ]; }; waitfor slept
cat s/env; grep -E '^Sig(Blk|Ign)' /proc/$pid/status; svc -dx s; wait",
        ),
        run(
            sv("supervise", "signals-go-to-the-service-only").file(
                "s/run",
                "#!/bin/sh\nsleep 1000 & echo $! > grandchild\nexec sleep 1000\n",
            )
            .volatile("s/grandchild"),
            "supervise s & waitfor test -s s/grandchild; svc -d s; waitfor isdown s
kill -0 $(cat s/grandchild) && echo \"grandchild still running\"; kill $(cat s/grandchild); svc -x s; wait",
        ),
        run(
            s("service-in-supervises-process-group"),
            "supervise s & waitfor isup s; pid=$(svstat s | sed 's/.*pid \\([0-9]*\\).*/\\1/')
[ \"$(ps -o pgid= -p $pid)\" = \"$(ps -o pgid= -p $!)\" ] && echo \"same process group\"; svc -dx s; wait",
        ),
        run(
            s("refuses-a-directory-upstreams-supervise-holds").with_upstream(),
            "$UPSTREAM/supervise s & waitfor svok s; supervise s; echo \"ours: $?\"; svc -dx s; wait",
        ),
        run(
            s("upstreams-supervise-refuses-ours").with_upstream(),
            "supervise s & waitfor svok s; $UPSTREAM/supervise s; echo \"upstream: $?\"; svc -dx s; wait",
        ),
        // The cross matrix: one side's supervise driven by the other side's tools.
        run(s("lifecycle-driven-by-upstreams-tools"), LIFECYCLE)
            .pin("svc", Side::Reference)
            .pin("svstat", Side::Reference)
            .pin("svok", Side::Reference),
        run(
            sv("supervise", "every-command-from-upstreams-svc").file("s/run", SIGNAL_LOGGER),
            EVERY_COMMAND,
        )
        .pin("svc", Side::Reference)
        .pin("svstat", Side::Reference),
    ]
}

pub fn svc_scenarios() -> Vec<Scenario> {
    let s = |name: &str| sv("svc", name).file("s/run", SLEEPER);
    let run = |sc: Scenario, script: &str| sc.run(&format!("chmod +x s/run 2>/dev/null; {script}"));
    // A FIFO with a reader, in place of supervise, to see exactly what svc writes.
    let capture = |args: &str| {
        format!(
            "mkdir -p s/supervise; mkfifo s/supervise/control; exec 3<>s/supervise/control; svc {args} s; echo \"exit $?\"
dd bs=64 count=1 iflag=nonblock <&3 2>/dev/null | od -An -c"
        )
    };
    vec![
        sv("svc", "illegal-option").run("svc -z s").run("svc -Q s"),
        sv("svc", "letters-once-in-order").run(&capture("-xdux -t -k")),
        sv("svc", "every-letter").run(&capture("-udopchaitkx")),
        sv("svc", "no-options-writes-nothing").run(&capture("")),
        sv("svc", "double-dash").run(&capture("-h -- ")),
        sv("svc", "missing-directory").run("svc -u nonexistent; echo \"exit $?\""),
        sv("svc", "no-supervise-directory").dir("s", 0o755).run("svc -u s; echo \"exit $?\""),
        sv("svc", "supervise-not-running")
            .dir("s/supervise", 0o700)
            .run("mkfifo s/supervise/control; svc -u s; echo \"exit $?\""),
        sv("svc", "several-directories-some-failing")
            .dir("b", 0o755)
            .run(&capture("-u a b c")),
        sv("svc", "options-end-at-the-first-directory").dir("s", 0o755).run("svc s -u; echo \"exit $?\""),
        sv("svc", "access-denied")
            .dir("s/supervise", 0o755)
            .run("mkfifo -m 600 s/supervise/control; exec 3<>s/supervise/control; setpriv --reuid=nobody --regid=nogroup --clear-groups svc -u s; echo \"exit $?\""),
        run(s("drives-supervise"), LIFECYCLE),
        run(s("drives-upstreams-supervise"), LIFECYCLE).pin("supervise", Side::Reference),
        run(
            sv("svc", "every-command-to-upstreams-supervise").file("s/run", SIGNAL_LOGGER),
            EVERY_COMMAND,
        )
        .pin("supervise", Side::Reference),
    ]
}

pub fn svok_scenarios() -> Vec<Scenario> {
    let s = |name: &str| sv("svok", name).file("s/run", SLEEPER);
    let run = |sc: Scenario, script: &str| sc.run(&format!("chmod +x s/run; {script}"));
    vec![
        sv("svok", "usage").run("svok"),
        sv("svok", "missing-directory").run("svok nonexistent"),
        sv("svok", "fresh-directory").dir("s", 0o755).run("svok s"),
        sv("svok", "not-running").dir("s/supervise", 0o700).run("mkfifo s/supervise/ok; svok s"),
        sv("svok", "running").dir("s/supervise", 0o700).run("mkfifo s/supervise/ok; exec 3<>s/supervise/ok; svok s"),
        sv("svok", "extra-arguments-ignored")
            .dir("s/supervise", 0o700)
            .run("mkfifo s/supervise/ok; exec 3<>s/supervise/ok; svok s nonexistent"),
        sv("svok", "access-denied").dir("s/supervise", 0o755).run(
            "mkfifo -m 600 s/supervise/ok; exec 3<>s/supervise/ok; setpriv --reuid=nobody --regid=nogroup --clear-groups svok s",
        ),
        run(s("with-supervise"), "supervise s & waitfor svok s; svok s; echo \"up: $?\"; svc -dx s; wait; svok s"),
        run(s("with-upstreams-supervise"), "supervise s & waitfor svok s; svok s; echo \"up: $?\"; svc -dx s; wait; svok s")
            .pin("supervise", Side::Reference),
    ]
}

pub fn svstat_scenarios() -> Vec<Scenario> {
    let future = |pid, paused, want| status_bytes(pid, paused, want);
    vec![
        Scenario::new("svstat", "no-arguments").run("svstat"),
        Scenario::new("svstat", "missing-directory").run("svstat nonexistent"),
        Scenario::new("svstat", "fresh-directory").dir("s", 0o755).run("svstat s"),
        Scenario::new("svstat", "supervise-not-running")
            .dir("s/supervise", 0o700)
            .run("mkfifo s/supervise/ok; svstat s"),
        Scenario::new("svstat", "no-status-file")
            .dir("s/supervise", 0o700)
            .run("mkfifo s/supervise/ok; exec 3<>s/supervise/ok; svstat s"),
        Scenario::new("svstat", "status-is-a-directory")
            .dir("s/supervise/status", 0o700)
            .normalize(Norm::Seconds)
            .run("mkfifo s/supervise/ok; exec 3<>s/supervise/ok; svstat s"),
        Scenario::new("svstat", "down-symlink-loop").symlink("s/down", "down").dir("s/supervise", 0o700).run("svstat s"),
        fake("up", &future([0x01, 0x02, 0, 0], 0, b'u')),
        fake("up-paused", &future([0x01, 0x02, 0, 0], 1, b'u')),
        fake("up-want-down", &future([0x01, 0x02, 0, 0], 0, b'd')),
        fake("up-run-once", &future([5, 0, 0, 0], 0, 0)),
        fake("down-want-up", &future([0, 0, 0, 0], 0, b'u')),
        fake("down-want-down", &future([0, 0, 0, 0], 0, b'd')),
        fake("down-paused-is-not-shown", &future([0, 0, 0, 0], 1, b'u')),
        fake("pid-is-little-endian", &future([1, 2, 3, 4], 0, b'u')),
        fake("any-nonzero-byte-is-paused", &future([9, 0, 0, 0], 0x80, b'u')),
        fake("other-want-bytes-are-not-shown", &future([9, 0, 0, 0], 0, b'x')),
        fake("up-normally-down", &future([9, 0, 0, 0], 1, b'd')).file("s/down", ""),
        fake("down-normally-down", &future([0, 0, 0, 0], 0, b'u')).file("s/down", ""),
        fake("zero-stamp", &"\\000".repeat(18)).normalize(Norm::Seconds),
        fake("short-record", &"\\000".repeat(17)),
        fake("empty-record", ""),
        fake("longer-record", &format!("{}tail", future([9, 0, 0, 0], 0, b'u'))),
        // A failed read shows the previous directory's record, as upstream does.
        Scenario::new("svstat", "status-unreadable-after-another")
            .dir("a/supervise", 0o700)
            .dir("b/supervise/status", 0o700)
            .run(&format!(
                "mkfifo a/supervise/ok b/supervise/ok; exec 3<>a/supervise/ok 4<>b/supervise/ok
printf '{}' > a/supervise/status; svstat a b",
                status_bytes([7, 0, 0, 0], 1, b'd')
            )),
        Scenario::new("svstat", "several-directories")
            .dir("b", 0o755)
            .run("svstat a b a"),
        Scenario::new("svstat", "status-unreadable").dir("s/supervise", 0o755).run(
            "mkfifo -m 666 s/supervise/ok; exec 3<>s/supervise/ok; printf x > s/supervise/status; chmod 600 s/supervise/status
setpriv --reuid=nobody --regid=nogroup --clear-groups svstat s",
        ),
        sv("svstat", "with-supervise")
            .file("s/run", SLEEPER)
            .run("chmod +x s/run; supervise s & waitfor isup s; svstat s; svc -dx s; wait; svstat s"),
        sv("svstat", "with-upstreams-supervise")
            .file("s/run", SLEEPER)
            .run("chmod +x s/run; supervise s & waitfor isup s; svstat s; svc -dx s; wait; svstat s")
            .pin("supervise", Side::Reference),
    ]
}

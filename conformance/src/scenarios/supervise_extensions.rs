//! supervise's and svc's extensions (supervise(8) and svc(8), EXTENSIONS): svc's
//! letters `q 1 2 w` (daemontools-encore's) and `y b r` (s6's), each sending its own
//! byte, on which supervise sends the service SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH
//! (`w`, `y`), SIGABRT, or restarts it (`r`: SIGTERM then SIGCONT, started again if
//! wanted up). Upstream's svc rejects these letters (usage, exit 100), so these are
//! extension scenarios: ours against its own snapshot, upstream's run against
//! upstream's. Every script still finishes with upstream's programs: a wait follows
//! an svc only if svc took the letters.
//!
//! Beside them, a cross scenario compared with upstream as any other: our svc
//! sending the new bytes to upstream's supervise, which ignores them.

use super::supervise::sv;
use crate::scenario::{Scenario, Side};

/// Shell functions for the scripts, beside supervise's.
const EXT_PRELUDE: &str = r#"
# pid_of DIR: the pid svstat shows for DIR (nothing if it is down).
pid_of() { svstat "$1" | sed -n 's/.*(pid \([0-9]*\)).*/\1/p'; }
# newpid DIR PID: DIR is up with a pid other than PID.
newpid() { p=$(pid_of "$1"); [ -n "$p" ] && [ "$p" != "$2" ]; }
# samepid PID: whether s still runs as PID (svstat's pids are normalised away).
samepid() { if [ "$(pid_of s)" = "$1" ]; then echo "the same pid"; else echo "a new pid"; fi; }
# send LETTERS LINE N: svc -LETTERS s, its exit status shown; if svc took the
# letters, waits until s/log holds LINE N times (0.76's svc refuses them).
send() { svc -$1 s; r=$?; echo "svc -$1: exit $r"; [ $r -ne 0 ] || waitfor has s/log $2 $3; }
"#;

/// A service that writes every signal it gets to `log` (its traps set before it
/// says `started`), and ends on TERM.
const SIGNAL_LOGGER: &str = r#"#!/bin/sh
trap 'echo hup >> log' HUP
trap 'echo quit >> log' QUIT
trap 'echo usr1 >> log' USR1
trap 'echo usr2 >> log' USR2
trap 'echo winch >> log' WINCH
trap 'echo abrt >> log' ABRT
trap 'echo term >> log; exit 0' TERM
echo started >> log
while :; do sleep 0.05; done
"#;

/// Starts supervise on `s` and waits for the service; `$pid` is its pid. A
/// background job of a script starts with SIGINT and SIGQUIT ignored, which the
/// service would inherit (and a shell cannot trap): supervise gets them back.
const START: &str = "env --default-signal=INT,QUIT supervise s & waitfor logged s/log started; waitfor isup s; pid=$(pid_of s)";

/// Stops everything and shows what the service got.
const STOP: &str = "svc -dx s; wait; echo \"supervise exited $?\"; cat s/log";

fn ext(program: &'static str, name: &str, anchor: &'static str) -> Scenario {
    sv(program, name).prelude(EXT_PRELUDE).extension(anchor)
}

/// A scenario with the signal logger as `s/run`, running `script` after [`START`]
/// and before [`STOP`].
fn service(sc: Scenario, script: &str) -> Scenario {
    sc.file("s/run", SIGNAL_LOGGER)
        .run(&format!("chmod +x s/run; {START}\n{script}\n{STOP}"))
}

pub fn supervise_scenarios() -> Vec<Scenario> {
    vec![
        // Each signal arrives; the service keeps running as the same process.
        service(
            ext("supervise", "signals-quit-usr1-usr2-winch", "daemontools-encore"),
            "send q quit 1; send 1 usr1 1; send 2 usr2 1; send w winch 1
svstat s; samepid $pid",
        ),
        service(
            ext("supervise", "signals-winch-and-abrt", "s6"),
            "send y winch 1; send b abrt 1; send w winch 2
svstat s; samepid $pid",
        ),
        // r: the service ends and is started again, as a new process, wanted up.
        service(
            ext("supervise", "restart", "s6"),
            "svc -r s; r=$?; echo \"svc -r: exit $r\"; [ $r -ne 0 ] || { waitfor newpid s $pid; waitfor has s/log started 2; }
svstat s; samepid $pid",
        ),
        // dr: the service ends and stays down (svstat shows no want up).
        service(
            ext("supervise", "restart-with-down-leaves-it-down", "s6"),
            "svc -dr s; r=$?; echo \"svc -dr: exit $r\"; [ $r -ne 0 ] || { waitfor isdown s; waitfor logged s/log term; }
svstat s",
        ),
        // r continues a paused service, as d does, and it is started again unpaused.
        service(
            ext("supervise", "restart-of-a-paused-service", "s6"),
            "svc -p s; waitfor ispaused s; svstat s
svc -r s; r=$?; echo \"svc -r: exit $r\"; [ $r -ne 0 ] || { waitfor newpid s $pid; waitfor running s; waitfor has s/log started 2; }
svstat s; samepid $pid",
        ),
        // While down, the bytes do nothing: r starts nothing (else x would wait for
        // the service), and a service started later gets none of the signals.
        ext("supervise", "extension-bytes-while-down-do-nothing", "s6")
            .file("s/run", SIGNAL_LOGGER)
            .file("s/down", "")
            .run(
                "chmod +x s/run; env --default-signal=INT,QUIT supervise s & waitfor svok s
svc -q12wybr s; echo \"svc -q12wybr: exit $?\"; svc -x s; wait; echo \"supervise exited $?\"; svstat s
[ -e s/log ] || echo 'the service never ran'
env --default-signal=INT,QUIT supervise s & waitfor svok s
svc -q12wyb s; echo \"svc -q12wyb: exit $?\"; svc -u s; waitfor logged s/log started; waitfor isup s; svstat s
svc -dx s; wait; echo \"supervise exited $?\"; cat s/log",
            ),
    ]
}

pub fn svc_scenarios() -> Vec<Scenario> {
    // A FIFO with a reader, in place of supervise, to see exactly what svc writes
    // (as svc's every-letter scenario does), in directory `dir`.
    let capture = |dir: &str, args: &str| {
        format!(
            "mkdir -p {dir}/supervise; mkfifo {dir}/supervise/control; exec 3<>{dir}/supervise/control; svc {args} {dir}; echo \"exit $?\"
dd bs=64 count=1 iflag=nonblock <&3 2>/dev/null | od -An -c; exec 3<&-"
        )
    };
    vec![
        ext(
            "svc",
            "extension-letters-of-daemontools-encore",
            "daemontools-encore",
        )
        .run(&capture("s", "-q12w")),
        ext("svc", "extension-letters-of-s6", "s6")
            .run(&capture("s", "-ybr"))
            .run(&capture("t", "-q12wybr"))
            .run(&capture("u", "-uq -1 -d2r -x")),
        // Our svc and upstream's supervise, in both runs: upstream's supervise ignores
        // the bytes (the service keeps its pid and gets no signal; the HUP after them
        // shows they were read), and svc -d still works.
        sv("svc", "new-letters-to-upstreams-supervise-are-ignored")
            .prelude(EXT_PRELUDE)
            .pin("svc", Side::Ours)
            .pin("supervise", Side::Reference)
            .file("s/run", SIGNAL_LOGGER)
            .run(&format!(
                "chmod +x s/run; {START}
svc -q12wybr s; echo \"svc -q12wybr: exit $?\"; svc -h s; waitfor logged s/log hup
svstat s; samepid $pid
svc -d s; waitfor isdown s; svstat s
svc -x s; wait; echo \"supervise exited $?\"; cat s/log"
            )),
    ]
}

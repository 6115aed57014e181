//! supervise's `supervise/info` (supervise(8), EXTENSIONS; s6-svstat's field
//! names): the service's state in detail, one `key=value` a line, written whole
//! (by way of `info.new`) whenever it changes while any extension file is in use,
//! and removed when none is left.
//!
//! Upstream's supervise writes no such file, so these are extension scenarios:
//! ours against its own snapshot, upstream's run against upstream's (where every
//! look says `no info`). Times vary: a stamp is shown only as whether it is the
//! status file's, or a label at all.

use super::supervise_finish::{SLEEPER, exe, extension};
use crate::scenario::Scenario;

/// Shell functions beside those of every extension scenario (`within`, `stop`...).
const PRELUDE: &str = r#"
i=s/supervise/info
# info WHEN: the fields of supervise/info whose values do not vary, on one line.
info() {
    if [ -e $i ]; then
        echo "$1: $(grep -E '^(state|want|paused|normallyup|ready|exitcode|signal|signum|restarts)=' $i | tr '\n' ' ')"
    else echo "$1: no info"; fi
}
# state STATE: supervise/info says so.
state() { grep -qx "state=$1" $i; }
# field KEY: its value in supervise/info.
field() { sed -n "s/^$1=//p" $i 2>/dev/null; }
# stamp: the status file's stamp as a TAI64N label.
stamp() { printf @; head -c 12 s/supervise/status | od -An -tx1 | tr -d ' \n'; }
# label KEY: what KEY holds, as "a label", "empty" or itself.
label() {
    v=$(field "$1")
    case $v in '') echo "$1: empty" ;; @????????????????????????) echo "$1: a label" ;; *) echo "$1: $v" ;; esac
}
# ids: whether the pid and the process group are the service's (it has setsid).
ids() {
    if [ ! -e $i ]; then echo 'no info'
    elif [ "$(field pid)" = "$(pid s)" ] && [ "$(field pgid)" = "$(pid s)" ]; then
        echo "pid and pgid: the service's"
    else echo "pid $(field pid) pgid $(field pgid), the service $(pid s)"; fi
}
# since: whether updownsince is the status file's stamp.
since() {
    if [ ! -e $i ]; then echo 'no info'
    elif [ "$(field updownsince)" = "$(stamp)" ]; then echo "updownsince: the status file's stamp"
    else echo "updownsince $(field updownsince), the status file's $(stamp)"; fi
}
"#;

/// Exits 3, every time.
const EXITS_3: &str = "#!/bin/sh\necho run >> log\nexit 3\n";

fn ext(name: &str) -> Scenario {
    extension(name, "s6", PRELUDE)
}

pub fn scenarios() -> Vec<Scenario> {
    vec![
        // `setsid` alone switches it on: up (its pid, its own group), paused,
        // down after d (killed by TERM), up again (one restart), down for good
        // after x.
        exe(exe(ext("info-follows-the-service-up-paused-down-and-up"), "s/run", SLEEPER), "s/setsid", "")
            .run(
                "supervise s & waitfor has s/log run 1; waitfor isup s; within 2 state up; info started; ids; since
svc -p s; within 2 grep -qx paused=true $i; info 'svc -p'; svc -c s
svc -d s; waitfor isdown s; within 2 state down; info 'svc -d'; since; label nextstart
svc -u s; waitfor has s/log run 2; waitfor isup s; within 2 state up; info 'svc -u'; ids
svc -dx s; wait; echo \"supervise exited $?\"; info 'svc -dx'",
            ),
        // restart-limit-count 2 and restart-delay 2000: after the first exit the
        // restart waits (backoff, with the time it is due), after the second the
        // service failed; once no extension file is left, the next exit removes
        // supervise/info. How many times it ran by then depends on the machine's
        // load: its log is not compared.
        exe(ext("info-says-backoff-then-failed-and-goes-with-the-files"), "s/run", EXITS_3)
            .file("s/restart-limit-count", "2\n")
            .file("s/restart-delay", "2000\n")
            .volatile("s/log")
            .run(
                "supervise s & waitfor has s/log run 1
within 2 state backoff; info 'the first exit'; label nextstart
within 5 state failed; info 'the second exit'; label nextstart
within 2 downfordown s || stop
rm s/restart-limit-count s/restart-delay; svc -u s; within 3 sh -c '! test -e s/supervise/info'
info 'the files gone, after the next exit'; stop",
            ),
        // A supervise/info that is a directory cannot be replaced: a warning at each
        // change, and the service is supervised as ever.
        exe(exe(ext("an-info-that-cannot-be-written-is-warned-about"), "s/run", SLEEPER), "s/setsid", "")
            .dir("s/supervise/info", 0o755)
            .run(
                "supervise s 2> err & waitfor has s/log run 1; waitfor isup s
svc -d s; waitfor isdown s; svc -u s; waitfor has s/log run 2; waitfor isup s
svc -dx s; wait; echo \"supervise exited $?\"; svstat s; sort -u err",
            ),
    ]
}

//! supervise's extensions for stopping a service and for restarting it after an exit
//! (supervise(8), EXTENSIONS):
//!
//! - s6's: `down-signal` (sent by `svc -d` and `svc -r` in place of TERM),
//!   `timeout-kill` (SIGKILL that many milliseconds after it, if the service still
//!   runs) and `flag-timeout-killpg` (that SIGKILL to the process group the service
//!   leads), read at each `svc -d` or `-r` while the service runs;
//! - dinit's names with systemd's behaviour: `restart-delay`, `restart-steps`,
//!   `restart-max-delay`, `restart-randomized-delay` (the wait before a restart after
//!   an exit, still at least a second after the previous start, as in 0.76; the
//!   status says down while it lasts), `restart-limit-count` and
//!   `restart-limit-interval` (that many exits within the interval leave the service
//!   down until `svc -u` or `-o`), read after each exit of `./run`.
//!
//! A file that says nothing usable is warned about each time it is read, and ignored.
//!
//! Upstream's supervise has none of this, so these are extension scenarios: ours
//! against its own snapshot, upstream's run against upstream's. Every script must
//! also end, the same way every time, with upstream's supervise, which sends TERM,
//! never kills, and restarts a second after the previous start: a state only ours
//! comes to is waited for with `within` (which gives up quietly), a wait's length is
//! shown as one of a few wide ranges (`span`), and the status is shown where both
//! sides are far from a change.
//!
//! A service is signalled only once its start is in the log: the status says up from
//! the fork on, and a signal before its traps are set would end it.

use super::supervise_finish::{SLEEPER, exe};
use crate::scenario::{Scenario, Side};

/// Shell functions beside those of every extension scenario (`within`, `stop`...).
const PRELUDE: &str = r#"
# span FILE N FILE2 M BOUNDS: the time from line N of FILE to line M of FILE2
# (`date +%s.%N`s), as one of the ranges that BOUNDS (seconds, ascending) make.
span() {
    awk -v n="$2" -v m="$4" -v b="$5" '
        FNR == 1 { f++ }
        f == 1 && FNR == n { t = $1 }
        f == 2 && FNR == m { u = $1 }
        END {
            k = split(b, B, " "); w = u - t
            if (w < B[1]) { print "under " B[1] " s"; exit }
            for (i = 2; i <= k; i++) if (w < B[i]) { print B[i - 1] " to " B[i] " s"; exit }
            print B[k] " s or more"
        }' "$1" "$3"
}
# stopped WHEN: the service is down within 3 s (ours, by timeout-kill), or svc -k
# ends it (upstream's: TERM only).
stopped() {
    if within 3 isdown s; then echo "down after $1"
    else echo "still up 3 s after $1"; svc -k s; waitfor isdown s; fi
}
# finish: svc -dx and the wait for supervise, with svc -k if the service is still
# there 3 s later.
finish() {
    svc -dx s
    within 3 eval '! svok s' || { echo 'still running 3 s after svc -dx'; svc -k s; }
    wait; echo "supervise exited $?"
}
# after_limit EXIT: the service is left down (ours) or restarted (upstream's).
after_limit() {
    if within 3 downfordown s; then echo "down for good after $1"
    else echo "restarted after $1"; fi
}
"#;

/// A service that ends on HUP, USR1, USR2 or TERM, writing down which.
const ENDS_ON_SIGNALS: &str = r#"#!/bin/sh
trap 'echo hup >> log; exit 0' HUP
trap 'echo usr1 >> log; exit 0' USR1
trap 'echo usr2 >> log; exit 0' USR2
trap 'echo term >> log; exit 0' TERM
echo started >> log
while :; do sleep 0.05; done
"#;

/// A service that writes TERM down and goes on.
const SURVIVES_TERM: &str = r#"#!/bin/sh
trap 'echo term >> log' TERM
echo started >> log
while :; do sleep 0.05; done
"#;

fn ext(name: &str, anchor: &'static str) -> Scenario {
    super::supervise_finish::extension(name, anchor, PRELUDE)
}

/// A scenario whose service is `run`.
fn service(name: &str, anchor: &'static str, run: &str) -> Scenario {
    exe(ext(name, anchor), "s/run", run)
}

/// A service that writes each start's time to `times` and its start to `log`; the
/// first `exits` starts (`[ N -le exits ]` true) sleep `lives` seconds, write the
/// time to `exits`, `exit` to `log` and exit 1; the next sleep until stopped.
fn timed(exits: u32, lives: &str) -> String {
    format!(
        "#!/bin/sh
date +%s.%N >> times
echo run >> log
n=$(grep -c run log)
[ \"$n\" -le {exits} ] || exec sleep 1000
{lives}
date +%s.%N >> exits
echo exit >> log
exit 1
"
    )
}

/// As [`service`], with a [`timed`] run; its times are not compared.
fn timed_service(name: &str, run: &str) -> Scenario {
    service(name, "systemd", run)
        .volatile("s/times")
        .volatile("s/exits")
}

fn stopping() -> Vec<Scenario> {
    vec![
        // The down signal in any spelling, sent by d and r (t still sends TERM); an
        // edit applies at the next d or r.
        service("down-signal-is-sent-by-d-and-r", "s6", ENDS_ON_SIGNALS)
            .file("s/down-signal", "hup\n")
            .run(
                "supervise s & waitfor logged s/log started; waitfor isup s
svc -d s; waitfor isdown s; svstat s
echo SIGUSR1 > s/down-signal; svc -u s; waitfor has s/log started 2; waitfor isup s
svc -r s; r=$?; echo \"svc -r: exit $r\"; [ $r -ne 0 ] || { waitfor has s/log started 3; waitfor isup s; }
runs=$(grep -c started s/log); svc -t s; waitfor has s/log started $((runs + 1)); waitfor isup s
echo 12 > s/down-signal; svc -d s; waitfor isdown s; svstat s
svc -x s; wait; echo \"supervise exited $?\"; cat s/log",
            ),
        // Not a signal (nor 1 to 31): a warning at each d or r while the service
        // runs (none while it is down), and TERM.
        service(
            "a-down-signal-that-is-no-signal-is-warned-about-and-term-sent",
            "s6",
            ENDS_ON_SIGNALS,
        )
        .file("s/down-signal", "SIGNOPE\n")
        .run(
            "supervise s 2> err & waitfor logged s/log started; waitfor isup s
svc -d s; waitfor isdown s; svc -d s; svstat s
svc -u s; waitfor has s/log started 2; waitfor isup s
svc -r s; r=$?; echo \"svc -r: exit $r\"; [ $r -ne 0 ] || { waitfor has s/log started 3; waitfor isup s; }
echo 32 > s/down-signal; svc -dx s; wait; echo \"supervise exited $?\"; cat s/log; cat err",
        ),
        // A service that survives TERM: without timeout-kill it stays up after d;
        // with it (written meanwhile: read at the next d) it is killed after d and r,
        // not after t.
        service(
            "timeout-kill-kills-a-service-the-down-signal-leaves-running",
            "s6",
            SURVIVES_TERM,
        )
        .run(
            "supervise s & waitfor logged s/log started; waitfor isup s
svc -d s; waitfor has s/log term 1; sleep 1; echo 'no timeout-kill, 1 s after svc -d:'; svstat s
echo 500 > s/timeout-kill; svc -d s; stopped 'the second svc -d'; svstat s
svc -u s; waitfor has s/log started 2; waitfor isup s; second=$(pid s)
svc -t s; waitfor has s/log term 3; sleep 1; echo '1 s after svc -t:'; svstat s
[ \"$(pid s)\" = \"$second\" ] && echo 'the same process'
svc -r s; r=$?; echo \"svc -r: exit $r\"; [ $r -ne 0 ] || { waitfor has s/log started 3; waitfor isup s; }
finish; cat s/log",
        ),
        // Upstream's svstat, svok and svc with our supervise: while the service
        // outlives the down signal, up and wanted down; once timeout-kill has
        // killed it, down; upstream's svc -u starts it again.
        service(
            "upstreams-tools-while-stopping-and-after-timeout-kill",
            "s6",
            SURVIVES_TERM,
        )
        .file("s/timeout-kill", "2500\n")
        .pin("svc", Side::Reference)
        .pin("svstat", Side::Reference)
        .pin("svok", Side::Reference)
        .run(
            "supervise s & waitfor logged s/log started; waitfor isup s
svc -d s; waitfor has s/log term 1; echo 'after svc -d:'; svstat s; svok s; echo \"svok: $?\"
if within 6 isdown s; then echo 'down after timeout-kill'
else echo 'still up 6 s after svc -d'; svc -k s; waitfor isdown s; fi
svstat s; svok s; echo \"svok: $?\"
svc -u s; waitfor has s/log started 2; waitfor isup s; svstat s
finish; cat s/log",
        ),
        // Not a number of milliseconds: a warning, and no limit (were the leading
        // digits read, the service would be gone before the second is out).
        service(
            "a-timeout-kill-that-is-no-number-is-warned-about-and-sets-no-limit",
            "s6",
            SURVIVES_TERM,
        )
        .file("s/timeout-kill", "500ms\n")
        .run(
            "supervise s 2> err & waitfor logged s/log started; waitfor isup s
svc -d s; waitfor has s/log term 1; sleep 1; echo '1 s after svc -d:'; svstat s
svc -k s; waitfor isdown s; svstat s
svc -x s; wait; echo \"supervise exited $?\"; cat s/log; cat err",
        ),
        // flag-timeout-killpg: the SIGKILL reaches the group the service leads (its
        // child too); without the flag, or when the service leads no group (it is in
        // supervise's), only the service.
        exe(
            service(
                "flag-timeout-killpg-kills-the-group-the-service-leads",
                "s6",
                "#!/bin/sh\n[ -e no-pgrphack ] || exec pgrphack ./realrun\nexec ./realrun\n",
            ),
            "s/realrun",
            "#!/bin/sh
trap 'echo term >> log' TERM
sleep 1000 &
echo $! > child
echo started >> log
while :; do sleep 0.05; done
",
        )
        .file("s/timeout-kill", "500\n")
        .file("s/flag-timeout-killpg", "")
        .volatile("s/child")
        .prelude(
            r#"
leads() {
    p=$(pid s)
    if [ "$(ps -o pgid= -p "$p" | tr -d ' ')" = "$p" ]; then echo 'the service leads its process group'
    else echo "the service is in supervise's process group"; fi
}
child_fate() {
    if within 1 gone "$1"; then echo 'its child is gone'
    else echo 'its child still runs'; kill "$1"; fi
}
"#,
        )
        .run(
            "supervise s & waitfor logged s/log started; waitfor isup s; leads
child=$(cat s/child); svc -d s; stopped 'svc -d'; child_fate $child
rm s/flag-timeout-killpg; svc -u s; waitfor has s/log started 2; waitfor isup s; leads
child=$(cat s/child); svc -d s; stopped 'svc -d without the flag'; child_fate $child
touch s/flag-timeout-killpg s/no-pgrphack; svc -u s; waitfor has s/log started 3; waitfor isup s; leads
child=$(cat s/child); svc -d s; stopped 'svc -d'; child_fate $child
svok s && echo 'supervise still runs'
svc -x s; wait; echo \"supervise exited $?\"; cat s/log",
        ),
    ]
}

fn restarting() -> Vec<Scenario> {
    vec![
        // restart-delay: down (pid 0, want up) after the exit, until the delay is
        // out (upstream's shows the exited pid up for the rest of its second). svc -r
        // restarts without it. Edited to 200, read at the next exit: the second
        // between starts still holds.
        timed_service("restart-delay-keeps-the-service-down-after-an-exit", &timed(1, ""))
            .file("s/restart-delay", "2000\n")
            .run(
                "supervise s & waitfor has s/log exit 1; sleep 0.5; echo '0.5 s after the exit:'; svstat s; svok s; echo \"svok: $?\"
waitfor has s/log run 2; waitfor isup s; echo \"from the exit to the restart: $(span s/exits 1 s/times 2 '1.5 3')\"
svc -r s; r=$?; echo \"svc -r: exit $r\"; [ $r -ne 0 ] || { waitfor has s/log run 3; waitfor isup s
    echo \"restarted by svc -r $(span s/times 2 s/times 3 '0.9 1.5') after the start before\"; }
runs=$(grep -c run s/log); echo 200 > s/restart-delay; svc -k s; waitfor has s/log run $((runs + 1)); waitfor isup s
echo \"restarted after an exit $(span s/times $runs s/times $((runs + 1)) '0.9 1.5') after the start before\"
svc -dx s; wait; echo \"supervise exited $?\"; cat s/log",
            ),
        // 400 ms to 1600 in 2 steps: 400, 800, 1600; after a run of 1.7 s (at least
        // the most), 400 again. Each run lasts long enough for the second between
        // starts not to hide a wait.
        timed_service(
            "restart-steps-grow-the-delay-to-restart-max-delay",
            &timed(4, "if [ \"$n\" -eq 4 ]; then sleep 1.7; else sleep 0.9; fi"),
        )
        .file("s/restart-delay", "400\n")
        .file("s/restart-max-delay", "1600\n")
        .file("s/restart-steps", "2\n")
        .run(
            "supervise s & waitfor has s/log run 5; waitfor isup s
for i in 1 2 3 4; do echo \"wait $i: $(span s/exits $i s/times $((i + 1)) '0.3 0.6 1.2 2.4')\"; done
svc -dx s; wait; echo \"supervise exited $?\"; cat s/log",
        ),
        // Waits of 2 s, then 8 s: svc -u during the second starts the service at
        // once (a second after its last start) and the next wait is 2 s again; svc -o
        // during the fourth starts it at once too.
        timed_service("svc-u-and-o-cut-the-wait-short-and-reset-the-steps", &timed(4, ""))
            .file("s/restart-delay", "2000\n")
            .file("s/restart-max-delay", "8000\n")
            .file("s/restart-steps", "1\n")
            .run(
                "supervise s & waitfor has s/log exit 2; sleep 0.5; echo '0.5 s into the second wait:'; svstat s
svc -u s; waitfor has s/log exit 4; sleep 0.5; echo '0.5 s into the fourth wait:'; svstat s
svc -o s
if within 3 has s/log run 5; then waitfor isup s; echo 'started'; svstat s
    echo \"fourth wait, cut short by svc -o: $(span s/exits 4 s/times 5 '0.6 1.5 3 6')\"
else echo 'not started'; svstat s; fi
echo \"first wait: $(span s/exits 1 s/times 2 '0.6 1.5 3 6')\"
echo \"second wait, cut short by svc -u: $(span s/exits 2 s/times 3 '0.6 1.5 3 6')\"
echo \"third wait: $(span s/exits 3 s/times 4 '0.6 1.5 3 6')\"
svc -dx s; wait; echo \"supervise exited $?\"; cat s/log",
            ),
        // 1500 ms and up to 1000 more at random: each wait within those bounds.
        timed_service(
            "restart-randomized-delay-adds-at-most-its-milliseconds",
            &timed(2, ""),
        )
        .file("s/restart-delay", "1500\n")
        .file("s/restart-randomized-delay", "1000\n")
        .run(
            "supervise s & waitfor has s/log run 3; waitfor isup s
for i in 1 2; do echo \"wait $i: $(span s/exits $i s/times $((i + 1)) '1.4 2.8')\"; done
svc -dx s; wait; echo \"supervise exited $?\"; cat s/log",
        ),
        // Three exits while wanted up (within the default 10 s): down, want down, not
        // restarted, until svc -u (which resets the count) or svc -o.
        service("restart-limit-count-leaves-the-service-down", "systemd", SLEEPER)
            .file("s/restart-limit-count", "3\n")
            .run(
                "supervise s & waitfor has s/log run 1; waitfor isup s
for k in 2 3; do svc -k s; waitfor has s/log run $k; waitfor isup s; done
svc -k s; after_limit 'the third exit'; sleep 1.5; svstat s
if has s/log run 4; then echo 'restarted'; else echo 'not restarted 1.5 s later'; fi
svc -u s; waitfor has s/log run 4; waitfor isup s; svstat s
svc -k s; waitfor has s/log run 5; waitfor isup s; echo 'restarted after an exit'
svc -k s; waitfor has s/log run 6; waitfor isup s
svc -k s; after_limit 'the third exit since svc -u'; svstat s
svc -o s; waitfor has s/log run 7; waitfor isup s; svstat s
svc -k s; waitfor isdown s; svstat s
svc -x s; wait; echo \"supervise exited $?\"; cat s/log",
            ),
        // Two exits within 1.5 s: exits further apart are not; nor are those of svc -r
        // (a second apart: counted, the second would leave the service down).
        service(
            "restart-limit-interval-and-exits-of-svc-r",
            "systemd",
            SLEEPER,
        )
        .file("s/restart-limit-count", "2\n")
        .file("s/restart-limit-interval", "1500\n")
        .run(
            "supervise s & waitfor has s/log run 1; waitfor isup s
svc -k s; waitfor has s/log run 2; waitfor isup s; sleep 2
svc -k s; waitfor has s/log run 3; waitfor isup s; echo 'restarted after an exit 2 s after the one before'
svc -k s; after_limit 'an exit 1.5 s or less after the one before'; svstat s
svc -u s; waitfor has s/log run 4; waitfor isup s
for k in 5 6 7; do
    svc -r s; r=$?; [ $r -eq 0 ] || { echo \"svc -r: exit $r\"; break; }
    waitfor has s/log run $k; waitfor isup s
done
svstat s; svc -dx s; wait; echo \"supervise exited $?\"; cat s/log",
        ),
        // Unusable files, written once the service runs (read at the next exit):
        // warned about at each exit, and ignored (the interval taken as 10 s); then
        // the count too, and there is no limit.
        service(
            "malformed-restart-files-are-warned-about-at-each-exit",
            "systemd",
            SLEEPER,
        )
        .run(
            "supervise s 2> err & waitfor has s/log run 1; waitfor isup s
echo 2s > s/restart-delay; echo -1 > s/restart-steps; echo 1.5 > s/restart-max-delay
echo 3 > s/restart-limit-count; echo ten > s/restart-limit-interval
for k in 2 3; do svc -k s; waitfor has s/log run $k; waitfor isup s; done
svc -k s; after_limit 'the third exit'; svstat s
echo three > s/restart-limit-count; svc -u s; waitfor has s/log run 4; waitfor isup s
for k in 5 6 7; do svc -k s; waitfor has s/log run $k; waitfor isup s; done; echo 'restarted after each of three exits'
svc -dx s; wait; echo \"supervise exited $?\"; cat s/log; cat err",
        ),
        // Upstream's svstat, svok and svc with our supervise: in the wait after an
        // exit, down (pid 0) and wanted up; after the limit, down and normally up,
        // until upstream's svc -u starts it.
        service(
            "upstreams-tools-during-the-wait-and-after-the-limit",
            "systemd",
            SLEEPER,
        )
        .file("s/restart-delay", "1500\n")
        .file("s/restart-limit-count", "2\n")
        .pin("svc", Side::Reference)
        .pin("svstat", Side::Reference)
        .pin("svok", Side::Reference)
        .run(
            "supervise s & waitfor has s/log run 1; waitfor isup s
svc -k s; waitfor eval 'wantsup s || has s/log run 2'; sleep 0.3; echo 'after an exit:'; svstat s; svok s; echo \"svok: $?\"
waitfor has s/log run 2; waitfor isup s
svc -k s; after_limit 'the second exit'; svstat s; svok s; echo \"svok: $?\"
svc -u s; waitfor has s/log run 3; waitfor isup s; svstat s
svc -dx s; wait; echo \"supervise exited $?\"; svstat s; cat s/log",
        ),
    ]
}

pub fn scenarios() -> Vec<Scenario> {
    let mut all = stopping();
    all.extend(restarting());
    all
}

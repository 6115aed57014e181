//! supervise's extensions for telling others what becomes of a service, and for
//! where it runs (supervise(8), EXTENSIONS):
//!
//! - daemontools-encore's `notify` (run, without waiting, as `./notify run EVENT PID
//!   CODE` at each start, exit, kill, failure for good and readiness) and svc's `+`
//!   and `=` (the signals of the letters after `+` go to the process group the
//!   service leads, those after `=` to its pid);
//! - s6's `setsid` (`./run` leads a session of its own), `notification-fd` (a pipe's
//!   writing end as that descriptor: the first newline makes the service ready),
//!   `event/` (an event byte into each `ftrig1:@` FIFO there: `s` `u` `U` `d` `D`
//!   `O` `x`), svc's `-P`, `-C` and `-K` (pause, continue and kill the group) and
//!   `supervise/death_tally`, at most `max-death-tally` records.
//!
//! Upstream's supervise has none of this, so these are extension scenarios: ours
//! against its own snapshot, upstream's run against upstream's. Every script must
//! also end, the same way every time, with upstream's supervise and svc (which
//! refuses `+`, `=`, `P`, `C` and `K`): what only ours does is waited for with
//! `within` (which gives up quietly), and a script whose next step needs it stops.
//!
//! `./notify` runs without being waited for, so two notices given at once may be
//! written in either order: a script waits for each notice before it causes the next
//! one, or sorts the notices given together.

use super::supervise_finish::{SLEEPER, exe};
use crate::scenario::Scenario;

/// Shell functions beside those of every extension scenario (`within`, `stop`...).
const PRELUDE: &str = r#"
# lines FILE N: FILE has N lines or more.
lines() { [ "$(cat "$1" 2>/dev/null | wc -l)" -ge "$2" ]; }
# notes N: waits (within 3 s) for N notices in s/notes.
notes() { within 3 lines s/notes "$1"; }
# after_limit WHAT: the service is left down (ours) or restarted (upstream's).
after_limit() {
    if within 3 downfordown s; then echo "down for good after $1"
    else echo "restarted after $1"; fi
}
"#;

/// A notify that writes its arguments down, one notice a line.
const NOTIFY: &str = "#!/bin/sh\necho \"$1 $2 pid $3 code $4\" >> notes\n";

fn ext(name: &str, anchor: &'static str) -> Scenario {
    super::supervise_finish::extension(name, anchor, PRELUDE)
}

/// A scenario whose service is `run`.
fn service(name: &str, anchor: &'static str, run: &str) -> Scenario {
    exe(ext(name, anchor), "s/run", run)
}

fn notify() -> Vec<Scenario> {
    vec![
        // start, exit (code 3), start, killed (TERM of svc -d), start, killed: each
        // with the service's pid, in the service directory. The first run waits (at
        // most 2 s) for its start's notice before it exits.
        exe(
            service(
                "notify-hears-of-each-start-exit-and-kill",
                "daemontools-encore",
                "#!/bin/sh
echo run >> log
[ \"$(grep -c run log)\" -ge 2 ] && exec sleep 1000
i=0; while [ $i -lt 40 ] && ! grep -q start notes 2>/dev/null; do sleep 0.05; i=$((i + 1)); done
exit 3
",
            ),
            "s/notify",
            NOTIFY,
        )
        .run(
            "supervise s & waitfor has s/log run 2; waitfor isup s; notes 3
p=$(pid s); [ \"$(sed -n '3s/^run start pid \\([0-9]*\\) .*/\\1/p' s/notes 2>/dev/null)\" = \"$p\" ] && echo 'notify got the pid svstat shows'
svc -d s; waitfor isdown s; notes 4
svc -u s; waitfor has s/log run 3; waitfor isup s; notes 5
svc -dx s; wait; echo \"supervise exited $?\"; notes 6
cat s/notes 2>/dev/null || echo 'no notes'; cat s/log",
        ),
        // A notify that is not executable is never run.
        service("notify-not-executable-is-never-run", "daemontools-encore", SLEEPER)
            .file("s/notify", NOTIFY)
            .run(
                "supervise s 2> err & waitfor has s/log run 1; waitfor isup s
svc -k s; waitfor has s/log run 2; waitfor isup s
svc -dx s; wait; echo \"supervise exited $?\"; sleep 0.5
cat s/notes 2>/dev/null || echo 'no notes'; cat s/log; cat err",
            ),
        // A notify that never ends delays nothing: d and u act at once, the
        // restart comes, x ends supervise (the notify processes are left to run).
        // A notice after d and the start after u may be told in either order: sorted.
        exe(
            service("a-notify-that-hangs-delays-nothing", "daemontools-encore", SLEEPER),
            "s/notify",
            "#!/bin/sh\necho \"$2\" >> notes\nexec sleep 1000\n",
        )
        .run(
            "supervise s & waitfor has s/log run 1; waitfor isup s; notes 1
svc -d s; waitfor isdown s; svc -u s; waitfor has s/log run 2; waitfor isup s; notes 3
svc -dx s; wait; echo \"supervise exited $?\"; notes 4
sort s/notes 2>/dev/null || echo 'no notes'; cat s/log",
        ),
        // The service gives up: at restart-limit-count (failed, with the last exit's
        // code, told with that exit's notice: sorted), and when ./finish exits 125
        // (failed, code 125).
        exe(
            service(
                "notify-hears-that-the-service-failed",
                "daemontools-encore",
                "#!/bin/sh\necho run >> log\nexit 3\n",
            ),
            "s/notify",
            NOTIFY,
        )
        .file("s/restart-limit-count", "2\n")
        // Upstream's supervise restarts it until the end.
        .volatile("s/log")
        // Notices given at once (exit and failed) come in either order.
        .volatile("s/notes")
        .run(
            "supervise s & waitfor has s/log run 2
after_limit 'the second exit'; downfordown s || stop
notes 5; sort s/notes
printf '#!/bin/sh\\necho finish >> log\\nexit 125\\n' > s/finish; chmod +x s/finish; rm s/restart-limit-count
svc -u s; after_limit 'finish exiting 125'; notes 8; tail -n +6 s/notes | sort
svc -x s; wait; echo \"supervise exited $?\"; cat s/log",
        ),
    ]
}

fn setsid() -> Vec<Scenario> {
    vec![
        // Without setsid, the service is in supervise's session and process group;
        // with it (read at each start), it leads its own.
        service("setsid-starts-the-service-in-a-session-of-its-own", "s6", SLEEPER)
            .prelude(
                r#"
# where: the session and process group of the service, against supervise's ($sup).
where() {
    p=$(pid s); sid=$(ps -o sid= -p "$p" | tr -d ' '); pg=$(ps -o pgid= -p "$p" | tr -d ' ')
    if [ "$sid" = "$p" ]; then echo 'the service leads its session'
    elif [ "$sid" = "$(ps -o sid= -p "$sup" | tr -d ' ')" ]; then echo "the service is in supervise's session"
    else echo 'the service is in another session'; fi
    if [ "$pg" = "$p" ]; then echo 'the service leads its process group'
    elif [ "$pg" = "$(ps -o pgid= -p "$sup" | tr -d ' ')" ]; then echo "the service is in supervise's process group"
    else echo 'the service is in another process group'; fi
}
"#,
            )
            .run(
                "supervise s & sup=$!; waitfor has s/log run 1; waitfor isup s; where
touch s/setsid; svc -t s; waitfor has s/log run 2; waitfor isup s; echo 'with setsid:'; where
rm s/setsid; svc -t s; waitfor has s/log run 3; waitfor isup s; echo 'without:'; where
svc -dx s; wait; echo \"supervise exited $?\"; cat s/log",
            ),
    ]
}

/// A service that says (in `log`) whether its descriptor 5 is a pipe; its first run
/// writes to it without a newline, its second closes it, its third waits for `go`
/// (at most 2 s) and writes two lines.
const READY_ON_THIRD: &str = r#"#!/bin/sh
echo run >> log
case $(readlink /proc/$$/fd/5) in pipe:*) echo 'fd 5: a pipe' >> log ;; '') echo 'fd 5: not open' >> log ;; *) echo 'fd 5: something else' >> log ;; esac
case $(grep -c run log) in
1) { printf 'no newline' >&5; } 2>/dev/null ;;
2) exec 5>&- ;;
*) i=0; while [ $i -lt 40 ] && [ ! -e go ]; do sleep 0.05; i=$((i + 1)); done
   { printf 'ready\nmore\n' >&5; } 2>/dev/null ;;
esac
echo wrote >> log
exec sleep 1000
"#;

/// A service that says (in `log`) which of its descriptors 2, 4, 5 and 1023 are
/// pipes (0, 1 and 3 come from the harness).
const PIPES: &str = r#"#!/bin/sh
echo run >> log
for fd in 2 4 5 1023; do
    case $(readlink /proc/$$/fd/$fd) in pipe:*) echo "fd $fd: a pipe" >> log ;; esac
done
echo checked >> log
exec sleep 1000
"#;

/// The events FIFO (39 bytes: `ftrig1:@` and 31 more) and functions reading it on
/// descriptor 3 into `events`.
const EVENTS: &str = r#"
f=s/event/ftrig1:@0123456789012345678901234567890
# seen N: appends what the FIFO holds to `events`; true once it has N bytes.
seen() { dd bs=64 count=1 iflag=nonblock <&3 >> events 2>/dev/null; [ "$(wc -c < events)" -ge "$1" ]; }
# show WHEN N: waits (within 2 s) for N bytes in all, and shows those after the
# last shown.
shown=0
show() {
    within 2 seen "$2"
    echo "$1: $(tail -c +$((shown + 1)) events)"; shown=$(wc -c < events)
}
"#;

fn readiness() -> Vec<Scenario> {
    vec![
        // notification-fd 5: a pipe; no newline, or closed, is not ready; a newline
        // is (notify: ready, once; event: U); the status does not change. event/ is
        // made, mode 3730.
        exe(
            service(
                "notification-fd-makes-the-service-ready-at-a-newline",
                "s6",
                READY_ON_THIRD,
            ),
            "s/notify",
            NOTIFY,
        )
        .file("s/notification-fd", "5\n")
        .prelude(EVENTS)
        .run(
            "supervise s & waitfor has s/log wrote 1; waitfor isup s; sleep 0.5; svstat s
svc -d s; waitfor isdown s; notes 2
svc -u s; waitfor has s/log wrote 2; waitfor isup s; sleep 0.5; svstat s
svc -d s; waitfor isdown s; notes 4
if within 1 test -d s/event; then mkfifo \"$f\"; exec 3<>\"$f\"; : > events; fi
svc -u s; waitfor has s/log run 3; waitfor isup s; notes 5
before=$(cksum < s/supervise/status); touch s/go; waitfor has s/log wrote 3; notes 6
[ \"$(cksum < s/supervise/status)\" = \"$before\" ] && echo 'the status did not change'; svstat s
[ -e events ] && show 'events' 2
svc -dx s; wait; echo \"supervise exited $?\"; notes 7
cat s/notes 2>/dev/null || echo 'no notes'; cat s/log",
        ),
        // Not a number from 3 to 1023: a warning at the start and after each exit
        // (read anew each time), and no pipe. The service is killed only once it
        // has looked (a kill while it looks would leave a line out).
        service(
            "a-notification-fd-that-is-no-descriptor-is-warned-about-and-ignored",
            "s6",
            PIPES,
        )
        .file("s/notification-fd", "2\n")
        .run(
            "supervise s 2> err & waitfor has s/log checked 1; waitfor isup s
echo 1024 > s/notification-fd; svc -k s; waitfor has s/log checked 2; waitfor isup s
echo x > s/notification-fd; svc -k s; waitfor has s/log checked 3; waitfor isup s
echo 0 > s/notification-fd; svc -k s; waitfor has s/log checked 4; waitfor isup s
svc -dx s; wait; echo \"supervise exited $?\"; cat s/log; cat err",
        ),
        // event/'s FIFOs: s at the start, u at each start, d and D at each exit
        // (without finish), d then O and D when finish exits 125, x at the end. A
        // FIFO with no reader is removed; a name of another length is left alone.
        service("event-fifos-get-a-byte-for-each-change", "s6", SLEEPER)
            .dir("s/event", 0o755)
            .prelude(EVENTS)
            .run(
                "mkfifo \"$f\" s/event/ftrig1:@abcdefghijklmnopqrstuvwxyzabcde s/event/ftrig1:@short
exec 3<>\"$f\" 4<>s/event/ftrig1:@short; : > events
supervise s & waitfor has s/log run 1; waitfor isup s; show 'started' 2
svc -d s; waitfor isdown s; show 'svc -d' 4
svc -u s; waitfor has s/log run 2; waitfor isup s; show 'svc -u' 5
printf '#!/bin/sh\\necho finish >> log\\nexit 125\\n' > s/finish; chmod +x s/finish
svc -k s; after_limit 'finish exiting 125'; show 'svc -k' 8
svc -dx s; wait; echo \"supervise exited $?\"; show 'svc -dx' 9
echo \"the other name: $(dd bs=64 count=1 iflag=nonblock <&4 2>/dev/null)\"; ls s/event",
            ),
    ]
}

/// A service leading its process group (by pgrphack), with a child in it; TERM
/// ends it. (The shell's word on a `sleep 0.05` the group's TERM ends goes nowhere.)
const LEADS_WITH_CHILD: &str = r#"#!/bin/sh
trap 'echo term >> log; exit 0' TERM
sleep 1000 &
echo $! > child
echo started >> log
while :; do sleep 0.05; done 2> /dev/null
"#;

fn group_signals() -> Vec<Scenario> {
    vec![
        // t reaches the service only; +t its group (its child too); +=t the service
        // only; P and C pause and continue the group (svstat: paused); K kills it.
        exe(
            service(
                "svc-plus-and-group-letters-signal-the-group-the-service-leads",
                "daemontools-encore",
                "#!/bin/sh\nexec pgrphack ./realrun\n",
            ),
            "s/realrun",
            LEADS_WITH_CHILD,
        )
        .volatile("s/child")
        .prelude(
            r#"
child_fate() {
    if within 1 gone "$1"; then echo 'its child is gone'
    else echo 'its child still runs'; kill "$1"; fi
}
isstopped() { [ "$(ps -o stat= -p "$1" | cut -c1)" = T ]; }
# refused: svc refused the command (upstream's): the end.
refused() { echo "svc: exit $1"; kill "$child"; stop; }
"#,
        )
        .run(
            "supervise s & waitfor has s/log started 1; waitfor isup s
child=$(cat s/child); svc -t s; waitfor has s/log started 2; waitfor isup s; echo 'svc -t:'; child_fate $child
child=$(cat s/child); svc -+t s 2> /dev/null || refused $?; waitfor has s/log started 3; waitfor isup s; echo 'svc -+t:'; child_fate $child
child=$(cat s/child); svc -+=t s; waitfor has s/log started 4; waitfor isup s; echo 'svc -+=t:'; child_fate $child
child=$(cat s/child); svc -P s
if within 3 isstopped $child; then echo 'svc -P: its child is stopped'; else echo 'svc -P: its child is not stopped'; fi
svstat s
svc -C s; if within 3 eval \"! isstopped $child\"; then echo 'svc -C: its child runs'; else echo 'svc -C: its child is still stopped'; fi
svstat s
svc -K s; waitfor has s/log started 5; waitfor isup s; echo 'svc -K:'; child_fate $child
child=$(cat s/child); svc -dx s; wait; echo \"supervise exited $?\"; child_fate $child; cat s/log",
        ),
    ]
}

fn death_tally() -> Vec<Scenario> {
    vec![
        // Without finish, restart-limit-count or max-death-tally, no death_tally;
        // with finish and max-death-tally 0 neither; with max-death-tally 2, a
        // record (14 bytes) an exit, at most 2; with 1, 1.
        service("max-death-tally-bounds-the-death-tally", "s6", SLEEPER)
            .prelude(
                r#"
tally() { echo "$1: $( { wc -c < s/supervise/death_tally; } 2>/dev/null || echo no) bytes"; }
# exit_nth K: svc -k, and the K-th start.
exit_nth() { svc -k s; waitfor has s/log run "$1"; waitfor isup s; }
"#,
            )
            .run(
                "supervise s & waitfor has s/log run 1; waitfor isup s
exit_nth 2; tally 'an exit with none of the files'
printf '#!/bin/sh\\n' > s/finish; chmod +x s/finish; echo 0 > s/max-death-tally
exit_nth 3; tally 'an exit with max-death-tally 0'
echo 2 > s/max-death-tally
for k in 4 5 6; do exit_nth $k; tally \"exit $((k - 3)) with max-death-tally 2\"; done
echo 1 > s/max-death-tally; exit_nth 7; tally 'an exit with max-death-tally 1'
svc -dx s; wait; echo \"supervise exited $?\"; cat s/log",
            ),
    ]
}

pub fn scenarios() -> Vec<Scenario> {
    let mut all = notify();
    all.extend(setsid());
    all.extend(readiness());
    all.extend(group_signals());
    all.extend(death_tally());
    all
}

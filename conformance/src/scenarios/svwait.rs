//! svwait (svwait(8)) and svc's `-W` and `-T` (svc(8), EXTENSIONS): waiting until
//! services are up (`u`), ready (`U`), down (`d`), down with `./finish` done (`D`),
//! restarted (`r`), ready again (`R`), or without supervise (`x`); exit 0, 99 on
//! timing out, 100 on a usage error, 102 when a supervise needed is not running,
//! 111 on an error, else the number of services that failed for good.
//!
//! Upstream has no svwait, so both runs take ours (`programs::OURS_ONLY`): in
//! upstream's run these scenarios show our svwait against upstream's supervise,
//! svc, svok and svstat, which keep no `supervise/info` (`U`, `R` and `D` fall back
//! to `u`, `r` and `d`). They are extension scenarios: ours against its own
//! snapshot, upstream's run against upstream's. svc's are too: upstream's svc
//! rejects `-W` and `-T` (usage, exit 100), so every script also ends, the same way
//! every time, when svc refused; one cross scenario drives upstream's supervise
//! with our svc in both runs, and is compared with upstream as any other.
//!
//! Nothing depends on timing: a state is waited for (`waitfor`, or svwait itself)
//! before it is shown, a service is signalled only once its start is in the log,
//! and an svwait that must take its first look before a command is sent runs in
//! the background until it has (`looked`).

use super::supervise_finish::{SLEEPER, exe, extension};
use crate::scenario::{Scenario, Side};

/// Shell functions beside those of every extension scenario of supervise's
/// (`waitfor`, `within`, `isup`, `has`, `downfordown`...).
const PRELUDE: &str = r#"
# looked PID: svwait PID (in the background) has taken its first look: it sleeps
# on the inotify watches it sets up after that look (where inotify cannot be used,
# svwait has none, and the wait for them fails the scenario rather than racing).
looked() { ls -l /proc/$1/fd 2>/dev/null | grep -q inotify; }
# gaveup DIR: DIR's service failed for good (ours: down and wanted down after its
# restart-limit-count), or was started a second time (upstream's restarts it for ever).
gaveup() { downfordown "$1" || has "$1/log" run 2; }
# taken FILE: FILE is gone (the service or its finish took it).
taken() { [ ! -e "$1" ]; }
# sent ARG...: svc ARG... s, its exit status shown and returned (upstream's svc
# refuses -W and -T).
sent() { svc "$@" s; r=$?; echo "svc $*: $r"; return $r; }
"#;

/// A service that writes down each start, waits for `go` (which it removes), says
/// on its notification-fd (3) that it is ready, and sleeps. Upstream's supervise
/// gives it no descriptor 3: the shell's complaint is not shown.
const READY_ON_GO: &str = "#!/bin/sh
echo run >> log
while [ ! -e go ]; do sleep 0.05; done
rm -f go
{ echo ready >&3; } 2>/dev/null
exec sleep 1000
";

/// A finish that writes down its arguments and waits for `go` before it ends.
const GATED_FINISH: &str = "#!/bin/sh
echo \"finish $1 $2\" >> log
while [ ! -e go ]; do sleep 0.05; done
rm go
echo \"finish ends\" >> log
";

/// A service that exits 3, every time.
const EXITS_3: &str = "#!/bin/sh\necho run >> log\nexit 3\n";

/// An extension scenario of `program`'s, with supervise's shell functions and ours;
/// the status files of every service directory (`s`, `a`, `b`...) are volatile.
pub(super) fn ext(program: &'static str, name: &str, anchor: &'static str) -> Scenario {
    let mut scenario = extension(name, anchor, PRELUDE);
    scenario.program = program;
    ["status", "info", "info.new", "death_tally", "death_tally.new"]
        .iter()
        .fold(scenario, |s, file| s.volatile(&format!("*/supervise/{file}")))
}

/// An extension scenario of `program`'s with [`SLEEPER`] as `dir/run` for each of `dirs`.
fn sleepers(program: &'static str, name: &str, anchor: &'static str, dirs: &[&str]) -> Scenario {
    dirs.iter().fold(ext(program, name, anchor), |s, dir| {
        exe(s, &format!("{dir}/run"), SLEEPER)
    })
}

/// A status record (spec 2.3) as printf(1) escapes: a stamp in 1970 (long past),
/// pid 258 (up) or 0 (down), not paused, wanted up.
pub(super) fn status_record(up: bool) -> String {
    let pid: [u8; 4] = if up { [2, 1, 0, 0] } else { [0; 4] };
    let mut bytes = vec![0x40, 0, 0, 0, 0, 0, 0, 0x0a, 0, 0, 0, 0];
    bytes.extend(pid);
    bytes.extend([0, b'u']);
    bytes.iter().map(|b| format!("\\{b:03o}")).collect()
}

/// Starts supervise on `s` (its pid in `$sv`) and waits until svwait finds the
/// service up and its start is in the log.
const START: &str = "supervise s & sv=$!; waitfor svok s
svwait s; echo \"svwait: $?\"; waitfor has s/log run 1";

/// Stops supervise on `s` and shows how it exited.
const STOP: &str = "svc -dx s; wait $sv; echo \"supervise exited $?\"";

pub fn scenarios() -> Vec<Scenario> {
    vec![
        // -u (the default) once supervise runs: up, as svstat says right after;
        // -U without a notification-fd (and without supervise/info) is up too.
        sleepers("svwait", "up-once-supervise-runs", "s6", &["s"]).run(&format!(
            "{START}; svstat s
svwait -u s; echo \"svwait -u: $?\"; svwait -U s; echo \"svwait -U: $?\"
{STOP}"
        )),
        // -d after svc -d, and -u after svc -u: the state is reached when svwait
        // returns.
        sleepers("svwait", "down-after-svc-d-and-up-after-svc-u", "s6", &["s"]).run(&format!(
            "{START}
svc -d s; svwait -d s; echo \"svwait -d: $?\"; svstat s
svc -u s; svwait -u s; echo \"svwait -u: $?\"; svstat s
{STOP}"
        )),
        // -r: waits for a start after its first look, made before svc -t (svwait
        // in the background, until it has looked): a restart, or a start from down.
        sleepers("svwait", "restarted-after-svc-t", "s6", &["s"]).run(&format!(
            "{START}
svwait -r s & w=$!; waitfor looked $w
svc -t s; wait $w; echo \"svwait -r: $?\"; svstat s; waitfor has s/log run 2
svc -d s; svwait -d s; echo \"svwait -d: $?\"
svwait -r s & w=$!; waitfor looked $w
svc -u s; wait $w; echo \"svwait -r from down: $?\"; svstat s; waitfor has s/log run 3
{STOP}; cat s/log"
        )),
        // -x: waits until supervise has exited (svok fails at once after); a
        // directory whose supervise is gone has reached it.
        sleepers("svwait", "exited-after-svc-dx", "new", &["s"]).run(&format!(
            "{START}
svwait -x s & w=$!; waitfor looked $w
svc -dx s; wait $w; echo \"svwait -x: $?\"; svok s; echo \"svok: $?\"
wait $sv; echo \"supervise exited $?\"
svwait -x s; echo \"svwait -x again: $?\"; svwait -d s; echo \"svwait -d: $?\""
        )),
        // -o: one service is enough; -a (the default) needs all. `b` is normally
        // down; `c` has no supervise: enough for -d, 102 for -u with -a, and with
        // -o, while `b` may still come up, a wait (here cut short by -t 0).
        sleepers("svwait", "one-or-all-with-o-and-a", "s6", &["a", "b"])
            .file("b/down", "")
            .dir("c", 0o755)
            .run(
                "supervise a & sa=$!; supervise b & sb=$!; waitfor svok a; waitfor svok b
svwait a; echo \"svwait a: $?\"; waitfor has a/log run 1; svwait -d b; echo \"svwait -d b: $?\"; svstat a b
svwait -o a b; echo \"svwait -o a b: $?\"
svwait -o -d a b; echo \"svwait -o -d a b: $?\"
svwait -t 0 a b; echo \"svwait -t 0 a b: $?\"
svwait -a -t 0 -d a b; echo \"svwait -a -t 0 -d a b: $?\"
svwait -o -a -t 0 a b; echo \"svwait -o -a -t 0 a b: $?\"
svwait -o a c; echo \"svwait -o a c: $?\"
svwait a c; echo \"svwait a c: $?\"
svwait -d b c; echo \"svwait -d b c: $?\"
svwait -o -t 0 b c; echo \"svwait -o -t 0 b c: $?\"
svc -dx a b; wait $sa; echo \"supervise a exited $?\"; wait $sb; echo \"supervise b exited $?\"",
            ),
        // -t 0 looks once: 0 where the state is reached, else 99 at once.
        sleepers("svwait", "probe-with-t-0", "s6", &["s"]).run(&format!(
            "{START}
for o in -u -U -d -D -r -R -x; do svwait $o -t 0 s; echo \"svwait $o -t 0 while up: $?\"; done
svc -d s; svwait -d s
for o in -u -U -d -D -r -R -x; do svwait $o -t 0 s; echo \"svwait $o -t 0 while down: $?\"; done
{STOP}"
        )),
        // -s: up for that many seconds since its start (svstat agrees); 99 where
        // -t 0 finds it up for less.
        sleepers("svwait", "up-for-at-least-a-second", "runit", &["s"]).run(
            "supervise s & sv=$!; waitfor svok s
svwait -s 1000 -t 0 s; echo \"svwait -s 1000 -t 0: $?\"
svwait -s 1 s; echo \"svwait -s 1: $?\"; waitfor has s/log run 1
n=$(svstat s | sed -n 's/.*) \\([0-9]*\\) seconds.*/\\1/p'); [ \"$n\" -ge 1 ] && echo 'svstat: up for a second or more'
svwait -s 1 -t 0 s; echo \"svwait -s 1 -t 0: $?\"
svc -dx s; wait $sv; echo \"supervise exited $?\"",
        ),
        // Without a running supervise (an ok FIFO without reader, a directory
        // without supervise/, a supervise that exited): 102 for u U r R, each
        // directory named; d D x are reached.
        sleepers("svwait", "supervise-not-running", "s6", &["u"])
            .dir("s/supervise", 0o700)
            .dir("t", 0o755)
            .run(
                "mkfifo s/supervise/ok
for o in -u -U -r -R -d -D -x; do svwait $o s t; echo \"svwait $o s t: $?\"; done
svwait -o s t; echo \"svwait -o s t: $?\"
svwait -t 0 s; echo \"svwait -t 0 s: $?\"
supervise u & su=$!; waitfor svok u; svwait u; echo \"svwait u: $?\"; waitfor has u/log run 1
svc -dx u; wait $su; echo \"supervise exited $?\"
svwait u; echo \"svwait u: $?\"; svwait -d u; echo \"svwait -d u: $?\"",
            ),
        // Usage errors, exit 100: no directory, an unknown option, -t or -s without
        // a number.
        ext("svwait", "usage", "s6")
            .dir("s", 0o755)
            .run("svwait; echo \"svwait: $?\"")
            .run("svwait -u -d; echo \"svwait -u -d: $?\"")
            .run("svwait -q s; echo \"svwait -q s: $?\"")
            .run("svwait -t; echo \"svwait -t: $?\"")
            .run("svwait -t soon s; echo \"svwait -t soon s: $?\"")
            .run("svwait -s -1 s; echo \"svwait -s -1 s: $?\"")
            .run("svwait -t 1000000000000000000 s; echo \"svwait -t (19 digits) s: $?\""),
        // A directory that does not exist: 111, whatever the state asked for, and
        // even when another directory would do (-o).
        ext("svwait", "missing-directory", "s6").dir("t", 0o755).run(
            "svwait nonexistent; echo \"svwait: $?\"
svwait -d nonexistent; echo \"svwait -d: $?\"
svwait -x -t 0 nonexistent; echo \"svwait -x -t 0: $?\"
svwait -o -d t nonexistent; echo \"svwait -o -d t nonexistent: $?\"",
        ),
        // A status record that is not one (5 bytes, or none at all, in a directory
        // that looks supervised): 111. A whole one decides; none yet is neither up
        // nor down.
        ext("svwait", "status-of-a-bad-format", "s6")
            .dir("s/supervise", 0o700)
            .run(&format!(
                "mkfifo s/supervise/ok; exec 3<>s/supervise/ok
svwait -t 0 s; echo \"no status, -u: $?\"; svwait -d -t 0 s; echo \"no status, -d: $?\"
printf abcde > s/supervise/status
svwait s; echo \"5 bytes, -u: $?\"; svwait -d s; echo \"5 bytes, -d: $?\"
: > s/supervise/status; svwait -x -t 0 s; echo \"empty, -x -t 0: $?\"
printf '{}' > s/supervise/status; svwait -t 0 s; echo \"up record, -u: $?\"; svwait -d -t 0 s; echo \"up record, -d: $?\"
printf '{}' > s/supervise/status; svwait -d -t 0 s; echo \"down record, -d: $?\"",
                status_record(true),
                status_record(false)
            )),
        // -U and -R with a notification-fd: ours waits for the service to say it
        // is ready; upstream's supervise keeps no info, and up is ready.
        exe(ext("svwait", "ready-with-a-notification-fd", "s6"), "s/run", READY_ON_GO)
            .file("s/notification-fd", "3\n")
            .run(
                "supervise s & sv=$!; waitfor svok s; svwait s; echo \"svwait: $?\"; waitfor has s/log run 1
svwait -U -t 0 s; echo \"svwait -U -t 0 before go: $?\"
touch s/go; svwait -U s; echo \"svwait -U: $?\"; waitfor taken s/go
svwait -R s & w=$!; waitfor looked $w
svc -t s; waitfor has s/log run 2; waitfor isup s
svwait -U -t 0 s; echo \"svwait -U -t 0 after the restart, before go: $?\"
touch s/go; wait $w; echo \"svwait -R: $?\"; waitfor taken s/go
svc -dx s; wait $sv; echo \"supervise exited $?\"",
            ),
        // -D with a finish (which waits for `go`): ours waits for it to end, -d
        // does not; upstream's supervise runs no finish, and -D is -d.
        exe(sleepers("svwait", "finished-after-finish", "s6", &["s"]), "s/finish", GATED_FINISH).run(
            &format!(
                "{START}
svc -d s; svwait -d s; echo \"svwait -d: $?\"
svwait -D -t 0 s; echo \"svwait -D -t 0 before go: $?\"
touch s/go; svwait -D s; echo \"svwait -D: $?\"; cat s/log
{STOP}"
            ),
        ),
        // Services that failed for good (restart-limit-count 1, a run that exits 3)
        // are counted: the exit status, for -u and -U, with -a and -o. Upstream's
        // supervise restarts them every second, and they are up most of the time.
        ["a", "b"]
            .iter()
            .fold(ext("svwait", "failed-for-good-are-counted", "s6"), |s, dir| {
                exe(s, &format!("{dir}/run"), EXITS_3).file(&format!("{dir}/restart-limit-count"), "1\n")
            })
            .volatile("*/log")
            .run(
                "supervise a & sa=$!; supervise b & sb=$!; waitfor gaveup a; waitfor gaveup b
downfordown a && echo 'a: down for good'
svwait a b; echo \"svwait a b: $?\"
svwait -U a; echo \"svwait -U a: $?\"
svwait -o a b; echo \"svwait -o a b: $?\"
svc -dx a b; wait $sa; echo \"supervise a exited $?\"; wait $sb; echo \"supervise b exited $?\"",
            ),
        // svc -dx -Wx: svc returns once supervise has exited.
        sleepers("svc", "wait-for-supervise-to-exit", "s6", &["s"]).run(&format!(
            "{START}
sent -dx -Wx -T 10000; r=$?; svok s; echo \"svok: $?\"
[ $r -eq 0 ] || svc -dx s; wait $sv; echo \"supervise exited $?\""
        )),
        // svc -W after each command: the state is reached when svc returns; -T 0
        // looks once after sending.
        sleepers("svc", "wait-after-each-command", "s6", &["s"])
            .file("s/down", "")
            .run(&format!(
                "supervise s & sv=$!; waitfor svok s
sent -u -Wu && waitfor has s/log run 1; svstat s
sent -d -Wd; svstat s
sent -uWU && waitfor has s/log run 2; svstat s
sent -t -Wr -T 10000 && waitfor has s/log run 3; svstat s
sent -Wd -T 0; sent -T 10000 -WD -d; svstat s
{STOP}; cat s/log 2>/dev/null || echo 'the service never ran'"
            )),
        // Usage errors, exit 100: -T without -W, a state that is none, -T without
        // a number, -W without a state.
        ext("svc", "wait-usage", "s6")
            .run("svc -T 5 s; echo \"svc -T 5 s: $?\"")
            .run("svc -Wq s; echo \"svc -Wq s: $?\"")
            .run("svc -Wud s; echo \"svc -Wud s: $?\"")
            .run("svc -Wu -T soon s; echo \"svc -Wu -T soon s: $?\"")
            .run("svc -dW; echo \"svc -dW: $?\""),
        // Without supervise: 102 for u (after svc's warning), 0 for d; a directory
        // that does not exist: 111 before anything is sent to any directory.
        ext("svc", "wait-without-supervise", "s6")
            .dir("s/supervise", 0o700)
            .run(
                "mkfifo s/supervise/ok s/supervise/control
svc -u -Wu s; echo \"svc -u -Wu: $?\"
svc -u -Wd s; echo \"svc -u -Wd: $?\"
exec 3<>s/supervise/control
svc -u -Wu -T 0 nonexistent s; echo \"svc -u -Wu -T 0 nonexistent s: $?\"
dd bs=64 count=1 iflag=nonblock <&3 2>/dev/null | od -An -c; echo 'nothing sent'",
            ),
        // Our svc -W driving upstream's supervise, in both runs: compared with
        // upstream as any scenario (no supervise/info: U is u, D is d).
        super::supervise::sv("svc", "wait-with-upstreams-supervise")
            .prelude(PRELUDE)
            .pin("svc", Side::Ours)
            .pin("supervise", Side::Reference)
            .file("s/run", SLEEPER)
            .file("s/down", "")
            .run(
                "chmod +x s/run; supervise s & sv=$!; waitfor svok s
svc -u -WU s; echo \"svc -u -WU: $?\"; svstat s; waitfor has s/log run 1
svc -t -Wr s; echo \"svc -t -Wr: $?\"; svstat s; waitfor has s/log run 2
svc -d -WD s; echo \"svc -d -WD: $?\"; svstat s
svc -dx -Wx -T 10000 s; echo \"svc -dx -Wx -T 10000: $?\"; svok s; echo \"svok: $?\"
wait $sv; echo \"supervise exited $?\"; cat s/log",
            ),
    ]
}

//! supervise's `./finish` (supervise(8), EXTENSIONS, "The finish script"): run after
//! every exit of `./run` as `./finish code signal dir pgid` (runit's `$1 $2`, s6's
//! `$3 $4`), before any restart; the status says down while it runs; exit 125 keeps
//! the service down (s6's); `timeout-finish` limits it (s6's); `svc -d`, `-u` and
//! `-x` during it act after it. Upstream's supervise never runs `./finish`, so these
//! are extension scenarios: ours against its own snapshot, upstream's run against
//! upstream's.
//!
//! Every script must also end, the same way every time, with upstream's supervise,
//! which restarts the service at once where ours runs `./finish`: the waits are for
//! something both sides come to (a restart, supervise's exit), or for `./finish`'s
//! line in the log *or* a restart without it ([`PRELUDE`]'s `finish_ran`), after
//! which upstream's run stops early. The cross scenarios drive our supervise with
//! upstream's svstat, svok and svc (pinned): they cannot be compared live, as
//! upstream's supervise has no `./finish` for upstream's tools to meet.
//!
//! A service is signalled only once its start is in the log (`run`): the status says
//! up from the fork on, and a signal before the line would leave it out.
//!
//! `./finish` scripts that must stay running until the script has looked wait for a
//! file `go` in the service directory, which they remove (so the next one waits
//! again); each script creates `go` when it is done looking.

use crate::normalize::Norm;
use crate::scenario::{Entry, Scenario, Side};

/// Shell functions every extension scenario of supervise's has, beside
/// supervise's (`isup`, `has`...).
const HELPERS: &str = r#"
# pid DIR: the pid svstat shows for DIR's service.
pid() { svstat "$1" | sed -n 's/.*(pid \([0-9]*\)).*/\1/p'; }
# wantsup DIR: svstat says "want up" (the service is down).
wantsup() { svstat "$1" | grep -q "want up"; }
# downfordown DIR: down, and not wanted up (after d, finish's 125 or a restart
# limit), in one look (two could straddle a restart of upstream's).
downfordown() {
    st=$(svstat "$1")
    case $st in *"want up"*) return 1 ;; *": down "*) return 0 ;; *) return 1 ;; esac
}
# within SECONDS COMMAND...: runs COMMAND every 50 ms until it succeeds, for at most
# SECONDS; its status, and nothing printed (for what upstream's supervise never does).
within() {
    tries=$(($1 * 20)); shift
    until "$@" >/dev/null 2>&1; do
        tries=$((tries - 1)); [ "$tries" -gt 0 ] || return 1
        sleep 0.05
    done
}
# gone PID: no process PID, or a zombie.
gone() { st=$(ps -o stat= -p "$1"); [ -z "$st" ] || [ "${st#Z}" != "$st" ]; }
# stop: the end of a script at a state only ours comes to (upstream's supervise).
stop() { svc -dx s; wait; echo "supervise exited $?"; exit 0; }
"#;

/// The finish scenarios' own functions.
const PRELUDE: &str = r#"
# finish_or_restart N LINE: s/log holds LINE (finish's) N times, or run N+1 times with
# the service up: a supervise without finish (0.76's) restarted it.
finish_or_restart() { has s/log "$2" "$1" || { has s/log run $(($1 + 1)) && isup s; }; }
# finish_ran N LINE: waits for finish_or_restart; fails, saying so, in the second case.
finish_ran() {
    waitfor finish_or_restart "$1" "$2"
    has s/log "$2" "$1" && return 0
    echo "restarted with no finish"; return 1
}
"#;

/// A service that exits 3 the first time and sleeps every time after.
const EXITS_3_ONCE: &str = "#!/bin/sh
echo run >> log
[ -e exited ] && exec sleep 1000
touch exited
exit 3
";

/// A service that sleeps until it is stopped, writing down each start.
pub(super) const SLEEPER: &str = "#!/bin/sh\necho run >> log\nexec sleep 1000\n";

/// A finish that writes its first two arguments down.
const LOG_CODE_AND_SIGNAL: &str = "#!/bin/sh\necho \"finish $1 $2\" >> log\n";

/// A finish that writes down its arguments and waits for `go` before it ends.
const GATED: &str = "#!/bin/sh
echo \"finish $1 $2\" >> log
while [ ! -e go ]; do sleep 0.05; done
rm go
echo \"finish ends\" >> log
";

fn ext(name: &str, anchor: &'static str) -> Scenario {
    extension(name, anchor, PRELUDE)
}

/// An extension scenario of supervise's, with the shell functions of `prelude`
/// (the finish, stopping and alerts scenarios each have theirs).
pub(super) fn extension(name: &str, anchor: &'static str, prelude: &'static str) -> Scenario {
    Scenario::new("supervise", name)
        .prelude(super::WAITFOR)
        .prelude(super::supervise::PRELUDE)
        .prelude(HELPERS)
        .prelude(prelude)
        // Upstream's supervise spends a second after every start.
        .step_timeout(std::time::Duration::from_secs(60))
        .normalize(Norm::Pids)
        .normalize(Norm::Seconds)
        .volatile("s/supervise/status")
        // s6's record of exits, kept with a finish or a restart limit: times vary.
        .volatile("s/supervise/death_tally")
        // The detailed state, kept while an extension file is in use, and the
        // files supervise rewrites it and the death tally through: times vary.
        .volatile("s/supervise/info")
        .volatile("s/supervise/info.new")
        .volatile("s/supervise/death_tally.new")
        .extension(anchor)
}

/// An executable file (mode 0755).
pub(super) fn exe(mut scenario: Scenario, path: &str, contents: &str) -> Scenario {
    scenario.entries.push((
        path.to_string(),
        Entry::File {
            contents: contents.as_bytes().to_vec(),
            mode: 0o755,
        },
    ));
    scenario
}

/// A service: `run` and `finish`, both executable.
fn service(name: &str, anchor: &'static str, run: &str, finish: &str) -> Scenario {
    exe(exe(ext(name, anchor), "s/run", run), "s/finish", finish)
}

/// Upstream's svstat, svok and svc, with our supervise.
fn upstreams_tools(scenario: Scenario, tools: &[&'static str]) -> Scenario {
    tools
        .iter()
        .fold(scenario, |s, &tool| s.pin(tool, Side::Reference))
}

/// svstat and svok while finish runs: down (pid 0) and running; afterwards up again
/// with a new pid.
const STATUS_WHILE_FINISH_RUNS: &str =
    "supervise s & waitfor logged s/log run; waitfor isup s; first=$(pid s)
svc -t s; finish_ran 1 'finish -1 15' || stop
waitfor isdown s; echo 'while finish runs:'; svstat s; svok s; echo \"svok: $?\"
touch s/go; waitfor has s/log run 2; waitfor isup s; echo 'after it:'; svstat s
[ \"$(pid s)\" != \"$first\" ] && echo 'up again, with a new pid'
svc -dx s; touch s/go; wait; echo \"supervise exited $?\"; cat s/log";

/// svc -d, -u and -o while finish runs: each takes effect when it ends (o: the
/// service starts once).
const COMMANDS_WHILE_FINISH_RUNS: &str = "supervise s & waitfor logged s/log run; waitfor isup s
svc -t s; finish_ran 1 'finish -1 15' || stop
echo 'd while finish runs:'; svc -d s; waitfor downfordown s; svstat s
touch s/go; waitfor has s/log 'finish ends' 1; echo 'after it:'; svstat s
svc -u s; waitfor has s/log run 2; waitfor isup s; svstat s
svc -d s; waitfor has s/log 'finish -1 15' 2; waitfor isdown s
echo 'u while finish runs:'; svc -u s; waitfor wantsup s; svstat s
touch s/go; waitfor has s/log run 3; waitfor isup s; echo 'after it:'; svstat s
svc -t s; waitfor has s/log 'finish -1 15' 3; waitfor isdown s
echo 'o while finish runs:'; svc -o s; waitfor downfordown s; svstat s
touch s/go; waitfor has s/log run 4; waitfor isup s; echo 'after it:'; svstat s
svc -k s; waitfor has s/log 'finish -1 9' 1; touch s/go; waitfor has s/log 'finish ends' 4
waitfor downfordown s; echo 'and after its exit:'; svstat s
svc -dx s; wait; echo \"supervise exited $?\"; cat s/log";

pub fn scenarios() -> Vec<Scenario> {
    vec![
        // The exit code and signal (runit's $1 $2): an exit, svc -k, svc -d.
        service(
            "finish-gets-the-exit-code-and-signal",
            "runit",
            EXITS_3_ONCE,
            LOG_CODE_AND_SIGNAL,
        )
        .run(
            "supervise s & waitfor has s/log run 2; waitfor isup s
svc -k s; waitfor has s/log run 3; waitfor isup s
svc -dx s; wait; echo \"supervise exited $?\"; cat s/log",
        ),
        // The directory as supervise was given it and the process group (s6's $3 $4).
        service(
            "finish-gets-the-directory-as-given-and-the-process-group",
            "s6",
            EXITS_3_ONCE,
            "#!/bin/sh\necho \"$3 $4\" > args\n",
        )
        .volatile("s/args")
        .run(
            "supervise ./s & waitfor has s/log run 2; waitfor isup s
if [ -e s/args ]; then
    read dir pgid < s/args; echo \"directory: $dir\"
    [ \"$pgid\" -eq \"$(ps -o pgid= -p $!)\" ] && echo \"process group: supervise's\"
    [ \"$pgid\" -eq \"$(ps -o pgid= -p $(pid s))\" ] && echo \"process group: the service's\"
else
    echo 'no finish ran'
fi
svc -dx s; wait; echo \"supervise exited $?\"",
        ),
        // With setsid, the process group is the one the service led: its pid.
        exe(
            service(
                "finish-gets-the-process-group-the-service-led-with-setsid",
                "s6",
                "#!/bin/sh\necho $$ >> pids\necho run >> log\n[ -e exited ] && exec sleep 1000\ntouch exited\nexit 3\n",
                "#!/bin/sh\necho \"$4\" > pgid\n",
            ),
            "s/setsid",
            "",
        )
        .volatile("s/pids")
        .volatile("s/pgid")
        .run(
            "supervise s & waitfor has s/log run 2; waitfor isup s
if [ -e s/pgid ]; then
    [ \"$(cat s/pgid)\" = \"$(head -n 1 s/pids)\" ] && echo 'process group: the one the first service led'
    [ \"$(cat s/pgid)\" -eq \"$(ps -o pgid= -p $!)\" ] && echo \"process group: supervise's\"
else
    echo 'no finish ran'
fi
svc -dx s; wait; echo \"supervise exited $?\"",
        ),
        // A finish longer than the second between starts: the restart waits for it.
        service(
            "finish-runs-before-the-restart",
            "runit",
            EXITS_3_ONCE,
            "#!/bin/sh\necho 'finish starts' >> log\nsleep 1.5\necho 'finish ends' >> log\n",
        )
        .run(
            "supervise s & waitfor has s/log run 2; cat s/log
svc -dx s; wait; echo \"supervise exited $?\"; cat s/log",
        ),
        service("status-is-down-while-finish-runs", "s6", SLEEPER, GATED).run(STATUS_WHILE_FINISH_RUNS),
        upstreams_tools(
            service(
                "upstreams-svstat-and-svok-while-finish-runs",
                "s6",
                SLEEPER,
                GATED,
            ),
            &["svstat", "svok"],
        )
        .run(STATUS_WHILE_FINISH_RUNS),
        service("svc-d-and-u-while-finish-runs", "s6", SLEEPER, GATED).run(COMMANDS_WHILE_FINISH_RUNS),
        upstreams_tools(
            service("upstreams-svc-d-and-u-while-finish-runs", "s6", SLEEPER, GATED),
            &["svc", "svstat", "svok"],
        )
        .run(COMMANDS_WHILE_FINISH_RUNS),
        // Exit 125: wanted down until svc -u or svc -o.
        service(
            "finish-exiting-125-keeps-the-service-down",
            "s6",
            SLEEPER,
            "#!/bin/sh\necho \"finish $1 $2\" >> log\nexit 125\n",
        )
        .run(
            "supervise s & waitfor logged s/log run; waitfor isup s
svc -t s; finish_ran 1 'finish -1 15' || stop
waitfor downfordown s; svstat s
svc -u s; waitfor has s/log run 2; waitfor isup s; svstat s
svc -k s; waitfor has s/log 'finish -1 9' 1; waitfor downfordown s; svstat s
svc -o s; waitfor has s/log run 3; waitfor isup s; svstat s
svc -dx s; wait; echo \"supervise exited $?\"; svstat s; cat s/log",
        ),
        // A finish that never ends is killed after timeout-finish's milliseconds, and
        // the service restarts; after svc -dx, supervise exits once it is killed.
        service(
            "timeout-finish-kills-a-finish-that-hangs",
            "s6",
            SLEEPER,
            "#!/bin/sh\necho \"finish $1 $2\" >> log\necho $$ > finish.pid\nexec sleep 1000\n",
        )
        .file("s/timeout-finish", "200\n")
        .volatile("s/finish.pid")
        .run(
            "supervise s & waitfor logged s/log run; waitfor isup s
svc -t s; waitfor has s/log run 2; waitfor isup s; svstat s
[ -e s/finish.pid ] && ! kill -0 $(cat s/finish.pid) 2>/dev/null && echo 'the first finish is gone'
svc -dx s; wait; echo \"supervise exited $?\"; cat s/log",
        ),
        // Not a number of milliseconds: a warning each time finish runs, and no limit.
        // The second's sleep only gives a limit read from the leading digits the time
        // to show (the finish would be gone and the service up again).
        service(
            "a-malformed-timeout-finish-is-warned-about-and-sets-no-limit",
            "s6",
            SLEEPER,
            GATED,
        )
        .file("s/timeout-finish", "300ms\n")
        .run(
            "supervise s 2> err & waitfor logged s/log run; waitfor isup s
svc -t s; finish_ran 1 'finish -1 15' || stop
waitfor test -s err; waitfor isdown s; sleep 1; svstat s; cat s/log
touch s/go; waitfor has s/log run 2; waitfor isup s
svc -dx s; touch s/go; wait; echo \"supervise exited $?\"; cat err",
        ),
        // svc -dx: supervise waits for finish, then exits (svok fails).
        service("svc-dx-waits-for-finish", "s6", SLEEPER, GATED).run(
            "supervise s & waitfor logged s/log run; waitfor isup s
svc -dx s; waitfor eval \"{ logged s/log 'finish -1 15' && isdown s; } || ! svok s\"
svok s; echo \"svok: $?\"; svstat s
touch s/go; wait; echo \"supervise exited $?\"; svok s; echo \"svok: $?\"; svstat s; cat s/log",
        ),
        // A finish without its execute bit fails as a run would, and ends like any
        // finish: the service restarts.
        exe(ext("finish-not-executable", "runit"), "s/run", EXITS_3_ONCE)
            .file("s/finish", LOG_CODE_AND_SIGNAL)
            .run(
                "supervise s 2> err & waitfor has s/log run 2; waitfor isup s
svc -dx s; wait; echo \"supervise exited $?\"; cat err; cat s/log",
            ),
        // A finish that crashes (killed by SIGSEGV) ends like any finish: the
        // service restarts, and svc -dx ends supervise.
        service(
            "finish-that-crashes-ends-like-any-finish",
            "runit",
            EXITS_3_ONCE,
            "#!/bin/sh\necho finish >> log\nkill -SEGV $$\n",
        )
        .run(
            "supervise s 2> err & waitfor has s/log run 2; waitfor isup s; svstat s
svc -dx s; wait; echo \"supervise exited $?\"; cat err; cat s/log",
        ),
    ]
}

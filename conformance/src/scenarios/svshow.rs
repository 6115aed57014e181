//! svup (svup(8), daemontools-encore's) and svshow (svshow(8), s6-svstat's
//! fields): asking whether a service and its log are up, and reading its state as
//! fields. Upstream has neither, so both runs take ours (`programs::OURS_ONLY`):
//! upstream's run shows them reading upstream's supervise, which keeps no
//! `supervise/info` (svshow then reads the status record). Extension scenarios:
//! ours against its own snapshot, upstream's run against upstream's.
//!
//! A service is looked at only once it is in the state shown (`waitfor`); the
//! fields that vary from run to run (pids, labels, seconds) are masked (`masked`).

use super::supervise::SLEEPER;
use super::supervise_finish::exe;
use super::svwait::{ext, status_record};
use crate::scenario::Scenario;

/// A logger that keeps nothing.
const DISCARDER: &str = "#!/bin/sh\nexec cat > /dev/null\n";

/// `svup ARGS DIR`, its exit status shown.
const SVUP: &str = r#"
up() { svup "$@"; echo "svup $*: $?"; }
# masked: svshow's pairs with what varies from run to run as placeholders.
masked() {
    sed -e 's/=@[0-9a-f]\{24\}$/=<label>/' \
        -e 's/^\(pid\|pgid\)=[1-9][0-9]*$/\1=<pid>/' -e 's/^\(updownfor\|readyfor\)=[0-9]*$/\1=<n>/' \
        -e 's/"\(pid\|pgid\)":[1-9][0-9]*/"\1":<pid>/g' -e 's/"\(updownfor\|readyfor\)":[0-9]*/"\1":<n>/g' \
        -e 's/"@[0-9a-f]\{24\}"/"<label>"/g'
}
show() { svshow "$@" > out; r=$?; masked < out; rm out; echo "svshow $*: $r"; }
"#;

fn svup(name: &str) -> Scenario {
    ext("svup", name, "daemontools-encore")
        .prelude(SVUP)
        .volatile("s/log/supervise/status")
}

fn svshow(name: &str) -> Scenario {
    ext("svshow", name, "s6").prelude(SVUP)
}

/// A fake supervised directory `s`: a reader on `ok` (held by the step's shell),
/// and `status` holding `record` (printf escapes).
fn fake(scenario: Scenario, record: &str, more: &str) -> Scenario {
    scenario.dir("s/supervise", 0o700).run(&format!(
        "mkfifo s/supervise/ok; exec 3<>s/supervise/ok; printf '{record}' > s/supervise/status\n{more}"
    ))
}

pub fn svup_scenarios() -> Vec<Scenario> {
    vec![
        // Up (0) while it runs, 100 once down and once supervise is gone; with no
        // log/, -l and no option agree, and -L finds no log.
        exe(svup("up-and-down-without-a-log"), "s/run", SLEEPER).run(
            "supervise s & sv=$!; waitfor isup s
up s; up -l s; up -L s
svc -d s; waitfor isdown s; up s; up -l s
svc -dx s; wait $sv; up s",
        ),
        // With log/, its own supervise (as svscan starts it): no option needs
        // both up, -l the service, -L the log.
        exe(
            exe(svup("a-service-and-its-log"), "s/run", SLEEPER),
            "s/log/run",
            DISCARDER,
        )
        .run(
            "supervise s & sv=$!; supervise s/log & lv=$!; waitfor isup s; waitfor isup s/log
up s; up -l s; up -L s
svc -d s/log; waitfor isdown s/log; up s; up -l s; up -L s
svc -u s/log; svc -d s; waitfor isup s/log; waitfor isdown s; up s; up -l s; up -L s; up -Ll s; up -lL s
svc -dx s s/log; wait $sv $lv",
        ),
        // A log/ without its supervise: not up, except for -l.
        exe(
            exe(svup("a-log-whose-supervise-is-not-running"), "s/run", SLEEPER),
            "s/log/run",
            DISCARDER,
        )
        .run(
            "supervise s & sv=$!; waitfor isup s
up s; up -l s; up -L s
svc -dx s; wait $sv",
        ),
        svup("usage").dir("s", 0o755).run("up; up -x s; up -l; up -- -l"),
        svup("a-missing-directory").run("up nowhere; up -l nowhere"),
        svup("a-directory-never-supervised")
            .dir("s", 0o755)
            .run("up s; up -l s; up -L s"),
        // A status record without a running supervise's reader on ok says nothing.
        fake(
            svup("a-record-read-only-while-supervise-runs"),
            &status_record(true),
            "up s; exec 3<&-; up s",
        ),
        fake(
            svup("a-status-file-too-short"),
            "\\001\\002\\003\\004\\005",
            "up s; up -l s",
        ),
        fake(svup("a-down-record"), &status_record(false), "up s; up -L s"),
    ]
}

pub fn svshow_scenarios() -> Vec<Scenario> {
    vec![
        // Without extension files (and with upstream's supervise), the fields the
        // status record gives: up, paused, then down, wanted down.
        exe(svshow("fields-of-a-plain-service"), "s/run", SLEEPER).run(
            "supervise s & sv=$!; waitfor isup s
show s
svc -p s; waitfor ispaused s; show -o state,up,paused,want,wantedup,normallyup s; svc -c s
svc -d s; waitfor isdown s; show s
svc -dx s; wait $sv",
        ),
        // With an extension file (setsid), ours keeps supervise/info: its fields,
        // and s6-svstat's computed ones; upstream's run shows the status record's.
        exe(
            exe(svshow("fields-of-supervise-info"), "s/run", SLEEPER),
            "s/setsid",
            "",
        )
        .run(
            "supervise s & sv=$!; waitfor isup s
within 2 grep -q '^state=up' s/supervise/info
show s
svc -d s; waitfor isdown s; show -o state,up,want,exitcode,signal,signum,restarts,ready s
svc -dx s; wait $sv",
        ),
        // -j: one array, an object per directory, numbers and truths bare.
        exe(exe(svshow("json"), "s/run", SLEEPER), "t/run", SLEEPER)
            .file("t/down", "")
            .run(
                "supervise s & sv=$!; supervise t & tv=$!; waitfor isup s; waitfor svok t
show -j s t
svc -dx s t; wait $sv $tv",
            ),
        // A directory without supervise: warned about, the others shown, exit 1.
        exe(svshow("a-directory-not-supervised"), "s/run", SLEEPER)
            .dir("t", 0o755)
            .run(
                "supervise s & sv=$!; waitfor isup s
show -o state,up t s nowhere
svc -dx s; wait $sv",
            ),
        svshow("usage")
            .dir("s", 0o755)
            .run("show; show -o s; show -o state,uptime s; show -o '' s; show -x s; show -j"),
        // A down file: normally down.
        exe(svshow("normally-down"), "s/run", SLEEPER)
            .file("s/down", "")
            .run(
                "supervise s & sv=$!; waitfor svok s; waitfor isdown s
show -o state,up,normallyup,want s
svc -o s; waitfor isup s; show -o state,up,normallyup,want s
svc -dx s; wait $sv",
            ),
        fake(
            svshow("a-status-file-too-short"),
            "\\001\\002\\003",
            "show s; show -j s",
        ),
        // An info file that is not one (no state line): the status record decides.
        fake(
            svshow("an-info-file-that-is-not-one"),
            &status_record(true),
            "printf 'garbage\\npid=9\\n' > s/supervise/info; show s
printf 'state=up\\npid=nine\\n' > s/supervise/info; show s; show -j s",
        ),
    ]
}

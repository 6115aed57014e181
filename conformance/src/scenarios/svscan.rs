//! svscan, readproctitle and svscanboot.
//!
//! svscan runs in the background of a step and is ended with the step (its process
//! group is killed, supervises and services with it). Scripts wait for states with
//! `waitfor`, never for a time: upstream's svscan looks at its directory every five
//! seconds, ours also when the directory changes.

use crate::normalize::Norm;
use crate::scenario::{Scenario, Side};

use super::supervise::{PRELUDE, SLEEPER};

/// More shell functions: `newsup` holds once svscan has a child other than `$sup`;
/// `rescanned N` once svscan has scanned since `scans` said N, where `s/dangling`
/// is a dangling symbolic link, which every scan warns about. Just after a scan,
/// upstream's next one is 5 seconds away.
const SVSCAN_PRELUDE: &str = r#"
notsvok() { ! svok "$1"; }
newsup() { p=$(ps -o pid= --ppid "$svscan" | tr -d ' '); [ -n "$p" ] && [ "$p" != "$sup" ]; }
scans() { grep -c dangling err; }
rescanned() { [ "$(scans)" -gt "$1" ]; }
"#;

/// A scenario with `sv/a` (a service, with a logger if `log`) linked in as `s/a`,
/// `sv/z` to link in later, and the dangling link that marks svscan's scans.
fn linked(name: &str, log: Option<&str>) -> Scenario {
    let s = sc(name)
        .file("sv/a/run", SLEEPER)
        .file("sv/z/run", SLEEPER)
        .symlink("s/a", "../sv/a")
        .symlink("s/dangling", "nowhere")
        .volatile("sv/*/supervise/status")
        .volatile("sv/*/log/supervise/status");
    match log {
        Some(log) => s.file("sv/a/log/run", log),
        None => s,
    }
}

/// A service that says hello on stdout, then sleeps.
const HELLO: &str = "#!/bin/sh\necho hello\nexec sleep 1000\n";

/// A logger that copies its input to `out`.
const CAT_LOGGER: &str = "#!/bin/sh\nexec cat >> out\n";

fn sc(name: &str) -> Scenario {
    Scenario::new("svscan", name)
        .prelude(super::WAITFOR)
        .prelude(PRELUDE)
        .prelude(SVSCAN_PRELUDE)
        .step_timeout(std::time::Duration::from_secs(90))
        .normalize(Norm::Pids)
        .normalize(Norm::Seconds)
        .volatile("s/*/supervise/status")
        .volatile("s/*/log/supervise/status")
        .volatile("err")
}

/// Service `name` in `s/` with `run`, and a logger if `log` is given.
fn service(scenario: Scenario, name: &str, run: &str, log: Option<&str>) -> Scenario {
    let scenario = scenario.file(&format!("s/{name}/run"), run);
    match log {
        Some(log) => scenario.file(&format!("s/{name}/log/run"), log),
        None => scenario,
    }
}

/// A service with a logger, another without, two names for one, and what svscan
/// passes over: a dot directory, a file, a dangling symlink.
fn mixed(name: &str) -> Scenario {
    let s = service(sc(name), "a", HELLO, Some(CAT_LOGGER));
    service(s, "b", SLEEPER, None)
        .symlink("s/b-link", "b")
        .symlink("s/dangling", "nowhere")
        .file("s/file", "")
        .file("s/.hidden/run", SLEEPER)
}

/// What svscan started (which of b's two names it used depends on the listing's
/// order, which differs between file systems).
const MIXED: &str = "chmod +x s/*/run s/*/log/run s/.hidden/run; svscan s 2>err & svscan=$!
waitfor isup s/a; waitfor isup s/a/log; waitfor isup s/b; waitfor logged s/a/log/out hello
ps -o args= --ppid $svscan | sed 's/b-link$/b/' | sort
ls -d s/*/supervise s/.hidden/supervise 2>&1 | sort
waitfor grep -q dangling err; sort -u err";

/// What a service and its logger get from svscan: standard descriptors, directory,
/// arguments. (Not the list of all descriptors: with upstream's programs, the
/// service now and then finds a fourth one open.)
const SEEN_RUN: &str = "#!/bin/sh
kind() { readlink /proc/$$/fd/$1 | sed 's/:.*//; s|.*/||'; }
echo \"run: $0 in $(pwd), stdin $(kind 0), stdout $(kind 1), stderr $(kind 2)\" > ../seen-run
echo hello
exec sleep 1000
";
const SEEN_LOG: &str = "#!/bin/sh
kind() { readlink /proc/$$/fd/$1 | sed 's/:.*//; s|.*/||'; }
echo \"log: $0 in $(pwd), stdin $(kind 0), stdout $(kind 1), stderr $(kind 2)\" > ../../seen-log
exec cat >> out
";

pub fn svscan_scenarios() -> Vec<Scenario> {
    let run =
        |s: Scenario, script: &str| s.run(&format!("chmod +x s/*/run s/*/log/run 2>/dev/null; {script}"));
    vec![
        Scenario::new("svscan", "missing-directory").run("svscan nonexistent"),
        Scenario::new("svscan", "not-a-directory").file("f", "").run("svscan f"),
        run(mixed("starts-services-and-loggers"), MIXED),
        // The cross pairs: upstream's svscan starting our supervise, and ours upstream's.
        run(mixed("upstreams-svscan-starts-our-supervise"), MIXED).pin("svscan", Side::Reference),
        run(mixed("starts-upstreams-supervise"), MIXED).pin("supervise", Side::Reference),
        run(
            service(sc("what-services-get"), "a", SEEN_RUN, Some(SEEN_LOG)),
            "svscan s 2>err </dev/null >stdout & waitfor logged s/a/log/out hello; waitfor test -s s/seen-log
cat s/seen-run s/seen-log; ps -o args= --ppid $! | sort
[ \"$(ps -o pgid= -p $(ps -o pid= --ppid $! | head -n 1))\" = \"$(ps -o pgid= -p $!)\" ] && echo \"one process group\"",
        ),
        run(
            service(sc("no-argument-scans-the-current-directory"), "a", SLEEPER, None),
            "cd s; svscan 2>../err & cd ..; waitfor isup s/a; svstat s/a",
        ),
        run(
            service(sc("further-arguments-ignored"), "a", SLEEPER, None),
            "svscan s nonexistent 2>err & waitfor isup s/a; svstat s/a",
        ),
        run(
            service(sc("symlinked-services"), "x", SLEEPER, None)
                .file("sv/y/run", SLEEPER)
                .volatile("sv/y/supervise/status")
                .symlink("s/y", "../sv/y"),
            "chmod +x sv/y/run; svscan s 2>err & waitfor isup s/x; waitfor isup s/y; svstat s/x s/y; ls -d sv/y/supervise",
        ),
        run(
            service(sc("the-log-decision-is-made-at-first-sight"), "a", SLEEPER, None)
                .file("spare/c/run", SLEEPER)
                .file("spare/log/run", CAT_LOGGER),
            "chmod +x spare/c/run spare/log/run; svscan s 2>err & waitfor isup s/a
mv spare/log s/a/log; mv spare/c s/c; waitfor isup s/c
[ -e s/a/log/supervise ] && echo \"a logger was started\" || echo \"no logger\"",
        ),
        run(
            service(sc("a-killed-supervise-is-started-again"), "a", SLEEPER, None),
            "svscan s 2>err & svscan=$!; waitfor isup s/a
sup=$(ps -o pid= --ppid $svscan | tr -d ' '); old=$(svstat s/a | sed 's/.*pid \\([0-9]*\\).*/\\1/')
kill -9 $sup; waitfor newsup; waitfor svok s/a; echo \"supervise started again\"; kill $old; ps -o args= --ppid $svscan",
        ),
        run(
            service(sc("a-removed-service-keeps-running"), "a", SLEEPER, None)
                .file("spare/c/run", SLEEPER)
                .volatile("gone/supervise/status"),
            // Not `ps` after: upstream's exited supervise stays a zombie until its
            // next scan, ours is reaped at once (DESIGN.md).
            "chmod +x spare/c/run; svscan s 2>err & waitfor isup s/a
mv s/a gone; mv spare/c s/c; waitfor isup s/c; svok gone && echo \"still supervised\"
svc -dx gone; waitfor notsvok gone; echo \"stopped\"",
        ),
        run(
            service(sc("a-replaced-directory-is-a-new-service"), "a", SLEEPER, None)
                .file("spare/a/run", SLEEPER)
                .volatile("gone/supervise/status"),
            // Services are known by directory, not by name.
            "chmod +x spare/a/run; svscan s 2>err & svscan=$!; waitfor isup s/a
mv s/a gone; mv spare/a s/a; waitfor isup s/a; svok gone && echo \"the old one still supervised\"
ps -o args= --ppid $svscan; svc -dx gone; waitfor notsvok gone; echo \"stopped\"",
        ),
        run(
            service(sc("the-pipe-outlives-restarts"), "a", "#!/bin/sh\necho start\nexec sleep 1000\n", Some(CAT_LOGGER)),
            // What the service writes while its logger is down waits in the pipe.
            // (Restarting the logger while a line is on its way could lose the line
            // in the dying logger, with either side's programs.)
            "svscan s 2>err & waitfor logged s/a/log/out start
svc -d s/a/log; waitfor isdown s/a/log; svc -t s/a; waitfor isup s/a; svstat s/a/log
svc -u s/a/log; waitfor has s/a/log/out start 2
lp() { svstat s/a/log | sed 's/.*pid \\([0-9]*\\).*/\\1/'; }; newlog() { isup s/a/log && [ \"$(lp)\" != \"$old\" ]; }
svc -d s/a; waitfor isdown s/a; old=$(lp); svc -t s/a/log; waitfor newlog; svc -u s/a; waitfor has s/a/log/out start 3
cat s/a/log/out",
        )
        .volatile("s/a/log/out"),
        // Issue 17. `svc -dx` with the entry left in place, as the introduction's
        // `while svok . ; do sleep 1 ; done` expects: the supervise stays away until
        // the rescan (upstream's reaps it then), even when another service is
        // linked in after it is gone, which ours sees at once: a second later, it is
        // still away. Started just after a scan, upstream's next is 5 seconds away.
        run(
            linked("svc-dx-the-svok-loop-ends", None),
            "chmod +x sv/*/run; svscan s 2>err & waitfor isup s/a; n=$(scans); waitfor rescanned $n
svc -dx s/a; (cd s/a && while svok . ; do sleep 1 ; done); echo \"supervise gone\"
ln -s ../sv/z s/z; sleep 1; svok s/a || echo \"not started again a second later\"
waitfor svok s/a; echo \"supervise back\"; waitfor isup s/a; waitfor isup s/z; svstat s/a s/z",
        ),
        // As `svsetup remove` does: `svc -dx` on the service and its logger, then,
        // once both supervises are gone, the link and the directory removed; with
        // another service linked in meanwhile. Then svscan runs no supervise for
        // the removed service (upstream's has reaped them once it has started z).
        run(
            linked("svc-dx-then-remove", Some(CAT_LOGGER)),
            "chmod +x sv/*/run sv/a/log/run; svscan s 2>err & svscan=$!; waitfor isup s/a; waitfor isup s/a/log
n=$(scans); waitfor rescanned $n
svc -dx s/a s/a/log; waitfor notsvok s/a; waitfor notsvok s/a/log; ln -s ../sv/z s/z; sleep 1
rm s/a && rm -r sv/a && echo \"removed\"; waitfor isup s/z; ls s sv; ps -o args= --ppid $svscan",
        ),
        // A directory made in place, completed half a second later (its logger,
        // another's down file): upstream's next scan, 5 seconds after the last,
        // finds it complete; ours, told at once, waits as long.
        run(
            sc("a-directory-made-in-place-starts-complete")
                .symlink("s/dangling", "nowhere")
                .file("spare/a/run", HELLO)
                .file("spare/a/log/run", CAT_LOGGER)
                .file("spare/c/run", "#!/bin/sh\necho ran > ran\nexec sleep 1000\n"),
            "chmod +x spare/*/run spare/a/log/run; svscan s 2>err & waitfor rescanned 0
mkdir s/a s/c; cp spare/a/run s/a/; cp spare/c/run s/c/; sleep 0.5
mkdir s/a/log; cp spare/a/log/run s/a/log/; touch s/c/down
waitfor logged s/a/log/out hello; waitfor svok s/c; waitfor test -s s/c/supervise/status
svstat s/a s/a/log s/c",
        ),
        run(
            service(sc("log-is-not-a-directory"), "a", SLEEPER, None).file("s/a/log", ""),
            "svscan s 2>err & waitfor grep -q fatal err; sort -u err",
        ),
        run(
            service(sc("supervise-not-found"), "a", SLEEPER, None),
            "env PATH=/nonexistent \"$(command -v svscan)\" s 2>err & waitfor grep -q warning err; sort -u err",
        ),
        run(
            service(sc("unreadable-directory"), "a", SLEEPER, None),
            "chmod 311 s; setpriv --reuid=nobody --regid=nogroup --clear-groups svscan s 2>err & waitfor grep -q warning err; sort -u err",
        ),
        run(
            service(sc("not-pid-1-a-signal-kills-it"), "a", SLEEPER, None),
            // The shell's report of a job killed by a signal ("Hangup") comes from
            // `wait`, or not, depending on timing: it is not shown.
            "svscan s 2>err & waitfor isup s/a; kill -TERM $!; wait $! 2>/dev/null; echo \"svscan: $?\"
svok s/a && echo \"supervise still running\"
svscan s 2>err & waitfor isup s/a; kill -HUP $!; wait $! 2>/dev/null; echo \"svscan: $?\"",
        ),
        run(
            service(sc("as-pid-1-sigterm-stops-everything"), "a", STOPPABLE, Some(CAT_LOGGER)),
            PID_1,
        )
        .diverges("as PID 1, upstream ignores SIGTERM (docker stop then kills it after its timeout); ours stops every service as svc -dx would, lets the loggers finish, and exits 0"),
    ]
}

/// A service that says when it starts and when it is stopped.
const STOPPABLE: &str =
    "#!/bin/sh\ntrap 'echo stopping; exit 0' TERM\necho started\nwhile :; do sleep 0.05; done\n";

/// svscan as PID 1 of a PID namespace of its own, sent SIGTERM from outside; it has
/// two seconds to exit before it is killed. Needs root.
const PID_1: &str = "unshare --pid --fork svscan s 2>err & u=$!
pid1() { p=$(ps -o pid= --ppid $u | tr -d ' '); [ -n \"$p\" ]; }
waitfor pid1; waitfor logged s/a/log/out started; kill -TERM $p
i=0; while kill -0 $u 2>/dev/null && [ $i -lt 40 ]; do sleep 0.05; i=$((i + 1)); done
if kill -0 $u 2>/dev/null; then echo \"still running after 2 seconds\"; kill -KILL $p; fi
wait $u 2>/dev/null; echo \"exit $?\"; cat s/a/log/out";

/// `titled PID TEXT`: PID is readproctitle (no longer the shell that forked it, whose
/// command line holds the script's text too) and its title holds TEXT.
const TITLE_PRELUDE: &str = r#"
titled() {
    t=$(tr '\0' '|' < "/proc/$1/cmdline")
    case "$t" in "readproctitle|"*"$2"*) return 0 ;; esac
    return 1
}
"#;

pub fn readproctitle_scenarios() -> Vec<Scenario> {
    let rp = |name: &str| {
        Scenario::new("readproctitle", name)
            .prelude(super::WAITFOR)
            .prelude(TITLE_PRELUDE)
            .step_timeout(std::time::Duration::from_secs(30))
    };
    // readproctitle reads a FIFO the script writes to; the title is read back from
    // /proc and by ps once it shows the last thing written.
    let shows = |args: &str, input: &str, last: &str| {
        format!(
            "mkfifo f; readproctitle {args} < f & exec 3> f; printf '{input}' >&3
waitfor titled $! '{last}'; tr '\\0' '|' < /proc/$!/cmdline; echo
ps -o args= -p $!; exec 3>&-; wait $!; echo \"exit $?\""
        )
    };
    vec![
        rp("no-arguments").run("readproctitle; echo \"exit $?\""),
        rp("last-argument-too-short")
            .run("readproctitle abcd < /dev/null; echo \"exit $?\"")
            .run("readproctitle a b '' < /dev/null; echo \"exit $?\""),
        rp("five-bytes-is-enough").run("readproctitle abcde < /dev/null; echo \"exit $?\""),
        rp("end-of-input").run("echo hello | readproctitle service errors: ..........; echo \"exit $?\""),
        rp("stdin-closed").run("readproctitle service errors: .......... <&-; echo \"exit $?\""),
        rp("stdin-a-directory").run("readproctitle service errors: .......... < .; echo \"exit $?\""),
        rp("shows-the-latest-input").run(&shows(
            "service errors: ....................",
            "svscan: warning: one\\n",
            "one",
        )),
        rp("scrolls-left").run(&shows(
            "service errors: ..........",
            "abcdefghijklmnopqrstuvwxyz",
            "xyz",
        )),
        rp("nul-bytes-are-dropped").run(&shows("x ..........", "a\\000b\\000\\000c", "abc")),
        rp("any-last-argument-becomes-dots").run(&shows("first second abcdefghij", "XYZ", "XYZ")),
        rp("in-several-writes").run(
            "mkfifo f; readproctitle errors: ............ < f & exec 3> f
printf 'one\\n' >&3; waitfor titled $! one; printf 'two\\n' >&3; waitfor titled $! two
tr '\\0' '|' < /proc/$!/cmdline; echo; exec 3>&-; wait $!; echo \"exit $?\"",
        ),
    ]
}

/// svscanboot runs with stubs in place of svc, svscan and readproctitle that write
/// down how they were run: in a mount namespace of its own, a tmpfs over
/// /usr/local/bin (on the script's PATH before /usr/bin) holds them, and an empty
/// directory hides /etc/service if there is one. Needs root.
const BOOT: &str = r#"mkdir stubs empty
for p in svc svscan readproctitle; do
  printf '#!/bin/sh\nout=$(readlink /proc/$$/fd/1 | sed "s/:.*//"); [ /proc/$$/fd/1 -ef /proc/$$/fd/2 ] && err="the same" || err="another"\n{ echo "%s $*"; echo "env: $(env | sort | tr "\\n" " ")"; echo "stdin: $(readlink /proc/$$/fd/0 | sed "s/:.*//"), stdout: $out, stderr: $err"; } > %s/%s.log\n' "$p" "$PWD" "$p" > stubs/$p
done
printf 'echo "a warning" >&2\n' >> stubs/svscan
printf 'cat >> %s/readproctitle.log\n' "$PWD" >> stubs/readproctitle
chmod +x stubs/*
unshare --mount --propagation private sh -c '
  mount -t tmpfs tmpfs /usr/local/bin && cp stubs/* /usr/local/bin/ || exit 1
  if [ -d /etc/service ]; then mount --bind empty /etc/service || exit 1; fi
  svscanboot "$@"; echo "svscanboot: $?"' sh "$@"
for p in svc svscan readproctitle; do cat $p.log; done"#;

pub fn svscanboot_scenarios() -> Vec<Scenario> {
    let boot = |name: &str, args: &str| {
        Scenario::new("svscanboot", name)
            .prelude(super::WAITFOR)
            .normalize(Norm::Pids)
            .volatile("*.log")
            .run(&format!("set -- {args}\n{BOOT}"))
    };
    vec![
        boot("commands", ""),
        boot("arguments-are-ignored", "/etc/service/"),
    ]
}

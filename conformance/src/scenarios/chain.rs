//! The chain tools: envdir, envuidgid, setuidgid, softlimit, setlock, fghack, pgrphack.
//!
//! The suite runs as root (CI does). Output that would depend on the order in which
//! a directory lists its entries (which varies between file systems) is sorted, and
//! limits are read back from /proc/self/limits one line at a time, after setting the
//! hard limit where the value would otherwise depend on the machine.

use crate::scenario::Scenario;

/// Runs the rest of the command line as user nobody, without supplementary groups.
const AS_NOBODY: &str = "setpriv --reuid=nobody --regid=nogroup --clear-groups";

fn envdir(name: &str) -> Scenario {
    Scenario::new("envdir", name)
}

fn limit_line(what: &str) -> String {
    format!("grep '^{what} ' /proc/self/limits")
}

pub fn envdir_scenarios() -> Vec<Scenario> {
    vec![
        envdir("usage").run("envdir").run("envdir e").dir("e", 0o755),
        envdir("file-rules")
            .file("e/TRIMMED", "value \t \t\nsecond line\n")
            .file("e/LEADING", "  kept\n")
            .file("e/NUL", "a\0b\0")
            .file("e/CR", "cr\r\n")
            .file("e/NEWLINE", "\n")
            .file("e/NOEOL", "no newline")
            .run("envdir e env -0 | sort -z | tr '\\0' '|'"),
        envdir("empty-file-unsets")
            .file("e/FOO", "")
            .env("FOO", "old")
            .run("envdir e sh -c 'echo ${FOO-unset}'"),
        envdir("dot-files-are-ignored")
            .file("e/.HIDDEN", "x")
            .file("e/SHOWN", "y")
            .run("envdir e env | grep -e HIDDEN -e SHOWN"),
        envdir("equals-sign-in-a-name")
            .file("e/A=B", "eq")
            .run("envdir e sh -c 'echo \"$A\"'"),
        envdir("environment-order")
            .file("e/A", "new")
            .run("env -i A=1 B=2 C=3 $(command -v envdir) e env"),
        envdir("child-found-with-the-old-path")
            .file("e/PATH", "/nonexistent")
            .run("envdir e sh -c 'echo \"$PATH\"'"),
        envdir("fifo-reads-as-empty")
            .dir("e", 0o755)
            .env("F", "old")
            .run("mkfifo e/F && envdir e sh -c 'echo ${F-unset}'"),
        envdir("dangling-symlink-alone-is-unset")
            .symlink("e/GONE", "nowhere")
            .env("GONE", "old")
            .run("envdir e sh -c 'echo ${GONE-unset}'"),
        envdir("missing-directory").run("envdir nope true"),
        envdir("directory-is-a-file").file("f", "x").run("envdir f true"),
        envdir("directory-symlink-loop")
            .symlink("loop", "loop")
            .run("envdir loop true"),
        envdir("entry-is-a-directory")
            .dir("e/sub", 0o755)
            .run("envdir e true"),
        envdir("entry-symlink-loop")
            .symlink("e/Message", "Message")
            .run("envdir e true"),
        // As an unprivileged user, for whom permissions count.
        envdir("unreadable-directory")
            .dir("e", 0o333)
            .run(&format!("{AS_NOBODY} envdir e true")),
        envdir("unreadable-entry")
            .file("e/X", "x")
            .run(&format!("chmod 0 e/X; {AS_NOBODY} envdir e true")),
        envdir("unreadable-current-directory")
            .dir("e", 0o755)
            .dir("cwd", 0o311)
            .run(&format!("cd cwd && {AS_NOBODY} envdir ../e true")),
        envdir("unable-to-run")
            .dir("e", 0o755)
            .run("envdir e nonexistent-program"),
        envdir("program-not-executable")
            .dir("e", 0o755)
            .file("script", "#!/bin/sh\n")
            .run("envdir e ./script"),
        envdir("arguments-passed")
            .dir("e", 0o755)
            .run("envdir e echo a 'b c' -d"),
    ]
}

pub fn envuidgid_scenarios() -> Vec<Scenario> {
    let s = |name: &str| Scenario::new("envuidgid", name);
    vec![
        s("usage").run("envuidgid").run("envuidgid nobody"),
        s("unknown-account").run("envuidgid nosuchuser true"),
        s("empty-account-name").run("envuidgid '' true"),
        s("sets-uid-and-gid").run("envuidgid nobody env"),
        s("replaces-uid-and-gid")
            .env("UID", "1")
            .env("GID", "2")
            .run("envuidgid daemon env"),
        s("root").run("envuidgid root sh -c 'echo $UID $GID'"),
        s("does-not-change-ids").run("envuidgid nobody id"),
        s("unprivileged-caller").run(&format!(
            "{AS_NOBODY} envuidgid daemon sh -c 'id; echo $UID $GID'"
        )),
        s("unable-to-run").run("envuidgid nobody nonexistent-program"),
        s("numeric-name-is-not-an-account").run("envuidgid 0 true"),
    ]
}

pub fn setuidgid_scenarios() -> Vec<Scenario> {
    let s = |name: &str| Scenario::new("setuidgid", name);
    vec![
        s("usage").run("setuidgid").run("setuidgid nobody"),
        s("unknown-account").run("setuidgid nosuchuser true"),
        s("empty-account-name").run("setuidgid '' true"),
        s("runs-as-the-account").run("setuidgid nobody id"),
        s("only-the-accounts-group").run("setuidgid daemon id -G"),
        s("environment-unchanged")
            .env("HOME", "/root")
            .env("USER", "root")
            .run("setuidgid nobody env"),
        s("unprivileged-caller").run("setuidgid nobody setuidgid daemon id"),
        s("callers-groups-do-not-survive").run("setpriv --groups=4,20,24 setuidgid daemon id"),
        s("unable-to-run").run("setuidgid nobody nonexistent-program"),
        s("numeric-name-is-not-an-account").run("setuidgid 0 true"),
    ]
}

pub fn softlimit_scenarios() -> Vec<Scenario> {
    let s = |name: &str| Scenario::new("softlimit", name);
    // The hard limit is set first, in the shell, so that `=` and clamping show the
    // same number on every machine.
    let with_hard_nofile = |cmd: &str| format!("ulimit -H -n 4000; {cmd}");
    vec![
        s("usage").run("softlimit").run("softlimit -m 1000000"),
        s("unknown-option").run("softlimit -z 1 true"),
        s("missing-value").run("softlimit -m"),
        s("value-not-a-number")
            .run("softlimit -o 12x true")
            .run("softlimit -o -1 true"),
        s("data").run(&format!("softlimit -d 100000000 {}", limit_line("Max data size"))),
        s("memory-sets-four-limits").run(&format!(
            "softlimit -m 300000000 sh -c \"{}; {}; {}; {}\"",
            limit_line("Max data size"),
            limit_line("Max stack size"),
            limit_line("Max locked memory"),
            limit_line("Max address space")
        )),
        // Each letter's limit, soft column only (hard limits differ between machines).
        s("each-option-letter").run(
            "softlimit -a 500000000 -c 1000 -f 2000000 -l 65536 -o 64 -p 100 -r 3000000 -s 4000000 -t 30 \
             cut -c1-47 /proc/self/limits | grep -v pending",
        ),
        s("equals-means-the-hard-limit").run(&with_hard_nofile(
            "softlimit -o 10 softlimit -o = sh -c 'ulimit -n'",
        )),
        s("clamped-to-the-hard-limit").run(&with_hard_nofile("softlimit -o 99999 sh -c 'ulimit -n'")),
        s("empty-value-is-zero").run("softlimit -c '' sh -c 'ulimit -c'"),
        s("options-end-at-the-first-operand").run("softlimit echo -m 5"),
        s("double-dash").run("softlimit -o 50 -- sh -c 'ulimit -n'"),
        s("unable-to-run").run("softlimit -o 50 nonexistent-program"),
    ]
}

pub fn setlock_scenarios() -> Vec<Scenario> {
    let s = |name: &str| Scenario::new("setlock", name).show_contents();
    vec![
        s("usage")
            .run("setlock")
            .run("setlock lockfile")
            .run("setlock -n")
            .run("setlock -z lockfile true"),
        s("runs-the-program-and-creates-the-file").run("setlock lockfile echo locked"),
        s("existing-file-not-truncated")
            .file("lockfile", "keep me\n")
            .run("setlock lockfile true"),
        s("held-lock-without-waiting")
            .run("setlock lockfile sh -c 'setlock -n lockfile echo got it; echo \"exit $?\"'"),
        s("held-lock-quietly")
            .run("setlock lockfile sh -c 'setlock -nx lockfile echo got it; echo \"exit $?\"'"),
        s("later-options-win")
            .run("setlock lockfile sh -c 'setlock -nxX lockfile echo got it; echo \"exit $?\"'"),
        s("waits-for-the-lock").run("setlock lockfile sleep 0.3 & sleep 0.1; setlock lockfile echo got it"),
        s("unable-to-open").run("setlock nodir/lockfile true"),
        s("unable-to-open-quietly").run("setlock -x nodir/lockfile true; echo \"exit $?\""),
        s("unable-to-run").run("setlock lockfile nonexistent-program"),
        s("unable-to-run-even-quietly").run("setlock -x lockfile nonexistent-program"),
        s("excludes-upstreams-setlock")
            .with_upstream()
            .run("setlock lockfile sh -c '$UPSTREAM/setlock -n lockfile echo got it; echo \"upstream: $?\"'"),
        s("excluded-by-upstreams-setlock")
            .with_upstream()
            .run("$UPSTREAM/setlock lockfile sh -c 'setlock -n lockfile echo got it; echo \"ours: $?\"'"),
    ]
}

pub fn fghack_scenarios() -> Vec<Scenario> {
    let s = |name: &str| Scenario::new("fghack", name);
    vec![
        s("usage").run("fghack"),
        s("exit-status").run("fghack sh -c 'exit 3'"),
        s("waits-for-background-processes")
            .run("fghack sh -c '(sleep 0.3; echo background) & echo foreground'"),
        s("thirty-one-copies-of-the-pipe").run("fghack sh -c 'ls /proc/self/fd | wc -l'"),
        s("child-crashed").run("fghack sh -c 'kill -9 $$'"),
        s("unable-to-run").run("fghack nonexistent-program"),
        s("program-not-executable")
            .file("script", "#!/bin/sh\n")
            .run("fghack ./script"),
        s("arguments-passed").run("fghack echo a 'b c' -d"),
    ]
}

pub fn pgrphack_scenarios() -> Vec<Scenario> {
    // Says whether the shell running it leads its session and process group.
    let leader =
        "#!/bin/sh\nawk '{print ($1 == $5 && $1 == $6) ? \"leader\" : \"not a leader\"}' /proc/$$/stat\n";
    let s = |name: &str| Scenario::new("pgrphack", name);
    vec![
        s("usage").run("pgrphack"),
        s("new-session")
            .file("leader", leader)
            .run("chmod +x leader; ./leader; (pgrphack ./leader)"),
        s("already-a-group-leader")
            .file("leader", leader)
            .run("chmod +x leader; exec pgrphack ./leader"),
        s("exit-status").run("pgrphack sh -c 'exit 7'"),
        s("unable-to-run").run("pgrphack nonexistent-program"),
        s("program-not-executable")
            .file("script", "#!/bin/sh\n")
            .run("pgrphack ./script"),
        s("directory-as-program").dir("d", 0o755).run("pgrphack ./d"),
        s("arguments-passed").run("pgrphack echo a 'b c' -d"),
        s("path-search")
            .dir("bin1", 0o755)
            .file("bin2/prog", "#!/bin/sh\necho from bin2\n")
            .run("chmod +x bin2/prog; PATH=$PWD/bin1:$PWD/bin2:$PATH; export PATH; pgrphack prog"),
    ]
}

//! multilog's extensions (multilog(8), EXTENSIONS): the timestamps `T`, `d`, `m`,
//! `i`; sizes with a `k`, `M` or `G` suffix; `S`, a cap on the old files' total;
//! `R`, rotation by age; a bad extension argument is fatal. Upstream's multilog
//! ignores these letters (and reads `s100k` as 4096), so these are extension
//! scenarios: ours against its own snapshot, upstream's run against upstream's.
//!
//! Beside them, the readings the extensions must leave as 0.76's (bare numbers after
//! `s`, a stamp action that is not first, SIGALRM with `R` set): ordinary
//! scenarios, compared with upstream.

use super::multilog::{numbered, rotating, s};
use crate::normalize::Norm;
use crate::scenario::Scenario;
use std::time::Duration;

/// Shell functions for the scripts, beside multilog's `rotated` and `check`.
const PRELUDE: &str = r#"
# within SECONDS COMMAND...: runs COMMAND every 50 ms until it succeeds, for at most
# about SECONDS; fails if it never did (a wait that may rightly give up).
within() {
    limit=$(($1 * 20)); shift; n=0
    until "$@" >/dev/null 2>&1; do
        n=$((n + 1))
        if [ "$n" -ge "$limit" ]; then return 1; fi
        sleep 0.05
    done
}
# ms: milliseconds since the epoch.
ms() { echo $(($(date +%s%N) / 1000000)); }
# is_now TEXT: TEXT is a time within the last five seconds, as GNU date reads it
# (in the zone TZ says, unless TEXT has an offset).
is_now() {
    t=$(date -d "$1" +%s 2>/dev/null) || return 1
    now=$(date +%s)
    [ $((now - t)) -le 5 ] && [ $((t - now)) -le 1 ]
}
# after_a_second START CLAIM: prints CLAIM if it is a second or more since START (ms),
# else that it is not so.
after_a_second() {
    if [ $(($(ms) - $1)) -ge 1000 ]; then echo "$2"; else echo "not so, within a second: $2"; fi
}
# old DIR: how many old files DIR has.
old() { ls "$1" | grep -c '^@'; }
# total DIR: how many bytes DIR's old files hold.
total() { cat "$1"/@* 2>/dev/null | wc -c; }
"#;

/// New York's UTC offsets, standard and daylight time (seconds east).
const NEW_YORK: &[i32] = &[-5 * 3600, -4 * 3600];

fn ext(name: &str, anchor: &'static str) -> Scenario {
    s(name).prelude(PRELUDE).extension(anchor)
}

fn rotating_ext(name: &str, anchor: &'static str) -> Scenario {
    rotating(name).prelude(PRELUDE).extension(anchor)
}

/// Lines that GNU date reads as no time (so upstream's unstamped lines fail the
/// checks that ours pass), one of them empty.
const LINES: &str = "first line\n\nlast line\n";

/// A local stamp (`d`, `m` or `i`, `len` bytes without its space) in a zone: the
/// lines echoed and logged, the stamp's time checked with GNU date, and for `i`
/// its offset with the zone's now.
fn local_stamp(kind: &str, len: usize, zone: &str, anchor: &'static str) -> Scenario {
    let (name, offsets): (&str, &'static [i32]) = match zone {
        "UTC" => ("utc", &[0]),
        _ => ("new-york", NEW_YORK),
    };
    let mut script = format!(
        "multilog {kind} e ./d < in 2>&1
is_now \"$(head -n 1 d/current | cut -c 1-{len})\" && echo \"the first stamp is the time now, as date reads it in {zone}\"
[ \"$(cut -c 1-{len} d/current | sort -u | wc -l)\" -eq 1 ] && echo 'lines read together share one stamp'"
    );
    if kind == "i" {
        script.push_str(
            "\n[ \"$(head -n 1 d/current | cut -c 30-35)\" = \"$(date +%:z)\" ] && echo \"its offset is the zone's now, as date says\"",
        );
    }
    ext(&format!("stamp-{kind}-{name}"), anchor)
        .env("TZ", zone)
        .file("in", LINES)
        .normalize(Norm::NowLocalStamps(offsets))
        .run(&script)
}

pub fn scenarios() -> Vec<Scenario> {
    let slow = Duration::from_secs(60);
    vec![
        // Timestamps.
        ext("stamp-T-unix-time", "daemontools-encore")
            .file("in", LINES)
            .normalize(Norm::NowUnixStamps)
            .run("multilog T e ./d < in 2>&1
[ \"$(cut -d ' ' -f 1 d/current | sort -u | wc -l)\" -eq 1 ] && echo 'lines read together share one stamp'
s=$(head -n 1 d/current | cut -d ' ' -f 1); is_now \"@${s%.*}\" && echo 'the first stamp is the time now, as date reads it'")
            .run("multilog Tfoo e < in"),
        local_stamp("d", 29, "UTC", "sagredo's daemontools"),
        local_stamp("d", 29, "America/New_York", "sagredo's daemontools"),
        local_stamp("m", 23, "UTC", "sagredo's daemontools"),
        local_stamp("m", 23, "America/New_York", "sagredo's daemontools"),
        local_stamp("i", 35, "UTC", "new"),
        local_stamp("i", 35, "America/New_York", "new"),
        // Not first, a stamp action is no action at all, as 0.76 ignored the letters:
        // the same as upstream.
        s("stamp-extensions-count-only-first")
            .file("in", LINES)
            .run("multilog ./d T d m i e < in 2>&1; multilog e T < in 2>&1; multilog e i d m < in 2>&1"),
        // Sizes with suffixes.
        rotating_ext("size-in-kibibytes", "daemontools-encore")
            .file("in", numbered(20_000))
            .run("multilog s100k n100 ./d < in; check d 102400 100 in
echo \"$(old d) old files; their sizes (count, bytes):\"; wc -c d/@* | grep -v ' total$' | awk '{print $1}' | sort -n | uniq -c
[ \"$(wc -c d/@* | grep -v ' total$' | awk '$1 > 99999' | wc -l)\" -ge 1 ] && echo 'some old file is over 99999 bytes, the default size'"),
        rotating_ext("size-in-mebibytes-above-076s-largest", "daemontools-encore")
            .step_timeout(slow)
            .run("yes 'the quick brown fox jumps over the lazy dog 0123456' | head -c 17000000 | multilog s64M n2 ./d
echo \"$(old d) old files\"
[ \"$(wc -c < d/current)\" -eq 17000001 ] && echo \"current holds all 17000001 bytes, more than 16777215 (0.76's largest size)\""),
        // S: the old files' total.
        rotating_ext("total-of-old-files-capped", "s6-log")
            .file("in", numbered(1000))
            .run("multilog s4096 n100 ./all S0 ./uncapped S12k ./capped < in
if [ \"$(total capped)\" -le 12288 ]; then echo 'capped: its old files hold at most 12288 bytes'; else echo 'capped: its old files hold more than 12288 bytes'; fi
[ \"$(total all)\" -gt 12288 ] && echo 'all: its old files hold more than 12288 bytes (n100 allows it)'
[ \"$(total uncapped)\" -eq \"$(total all)\" ] && echo 'uncapped (S0) keeps what all keeps'
echo \"old files: all $(old all), uncapped $(old uncapped), capped $(old capped)\"
check capped 4096 100 in"),
        // R: rotation by age (multilog(8) names svlogd's `t` as its model).
        s("rotation-by-age")
            .prelude(PRELUDE)
            .extension("runit's svlogd")
            .volatile("d/@*")
            .step_timeout(slow)
            .run("two_old() { [ \"$(old d)\" -ge 2 ]; }
mkfifo f; multilog R1 ./d < f & M=$!; exec 3>f
start=$(ms); echo one >&3
if within 5 rotated d; then
    after_a_second \"$start\" 'd rotated, a second or more after its first line'
    start=$(ms); echo two >&3
    within 5 two_old && after_a_second \"$start\" 'd rotated again, a second or more after its next first line'
else
    echo 'd did not rotate in 5 seconds'
fi
exec 3>&-; wait $M; echo \"exit $?; $(old d) old files\"; cat d/@*; echo current:; cat d/current"),
        s("rotation-by-age-of-a-resumed-current")
            .prelude(PRELUDE)
            .extension("runit's svlogd")
            .volatile("d/@*")
            .step_timeout(slow)
            .run("echo before | multilog ./d
mkfifo f; start=$(ms); multilog R1 ./d < f & M=$!; exec 3>f
if within 5 rotated d; then after_a_second \"$start\" 'the resumed current rotated with no new line, a second or more after multilog started'; else echo 'd did not rotate in 5 seconds'; fi
exec 3>&-; wait $M; cat d/@*; echo current:; cat d/current"),
        // SIGALRM rotates at once with R set, as without it: the same as upstream.
        s("alarm-rotates-with-R-set")
            .volatile("d/@*")
            .run("mkfifo f; multilog R3600 ./d < f & M=$!; exec 3>f; echo one >&3; waitfor grep -q one d/current
kill -ALRM $M; waitfor rotated d; echo two >&3; exec 3>&-; wait $M; cat d/@*.s; cat d/current"),
        // Bad extension arguments: fatal, exit 100, nothing created.
        ext("bad-sizes-are-fatal", "new")
            .file("in", "x\n")
            .volatile("st")
            .run("for a in s1k s3k s2G s2048M s1kb s99999999999999999999k; do multilog =st \"$a\" ./d < in; echo \"$a: exit $?\"; done 2>&1; ls"),
        ext("bad-totals-and-ages-are-fatal", "new")
            .file("in", "x\n")
            .volatile("st")
            .run("for a in S Sx S12x S-1 R R0 Rfoo R1.5; do multilog =st \"$a\" ./d < in; echo \"$a: exit $?\"; done 2>&1; ls
multilog ./d =st e R0 Sx < in 2>&1; echo \"after the directory: exit $?\"; ls"),
        // Bare numbers after `s` are still read as 0.76 reads them (a suffix must
        // follow the digits): the same as upstream.
        rotating("size-negative-clamped-up")
            .file("in", numbered(300))
            .run("multilog s-1 n3 ./d < in; check d 4096 3 in"),
        rotating("size-with-another-letter-after-the-digits")
            .file("in", numbered(300))
            .run("multilog s1X n3 ./d < in; check d 4096 3 in"),
        rotating("size-wraps-as-c-unsigned-long")
            .file("in", numbered(300))
            .run("multilog s99999999999999999999 n3 ./big s18446744073709556616 ./wrapped < in
echo \"big: $(ls big | grep -c '^@') old files\"; check wrapped 5000 3 in"),
    ]
}

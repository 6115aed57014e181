//! multilog. Where a rotation happens differs from upstream by design (DESIGN.md:
//! the rule is stated in the model, not left to 512-byte buffers), so scenarios that
//! rotate show what the guarantee says (the log holds the end of the input, in
//! order; at most n−1 old files; none larger than s; the modes) and leave the sizes
//! of rotated files out of the comparison.

use crate::normalize::Norm;
use crate::scenario::Scenario;
use std::time::Duration;

/// Shell functions for the scripts.
const PRELUDE: &str = r#"
# rotated DIR: DIR has an old file (the glob is made anew on every try).
rotated() { ls "$1" | grep -q '^@'; }
# check DIR SIZE NUM INPUT: what multilog's guarantees say about DIR.
check() {
    cat "$1"/@* "$1"/current > "$1.got" 2>/dev/null
    tail -n "$(wc -l < "$1.got")" "$4" | cmp -s - "$1.got" && echo "$1 holds the end of the input, in order"
    [ "$(ls "$1" | grep -c '^@')" -le $(($3 - 1)) ] && echo "$1 has at most $(($3 - 1)) old files"
    [ "$(ls "$1" | grep -c '^@')" -ge 1 ] && echo "$1 has rotated"
    for f in "$1"/@* "$1"/current; do
        if [ "$(wc -c < "$f")" -gt "$2" ]; then echo "$f is over $2 bytes"; fi
    done
    ls -l "$1" | awk 'NR > 1 {print $1, $NF}' | sed 's/@[0-9a-f]\{24\}\./@<label>./' | sort | uniq -c
}
"#;

pub(super) fn s(name: &str) -> Scenario {
    // Labels of now: in `t` lines and in the names of rotated files.
    Scenario::new("multilog", name)
        .prelude(super::WAITFOR)
        .prelude(PRELUDE)
        .show_contents()
        .normalize(Norm::NowLabels)
}

/// A scenario whose directories rotate: their old files are compared by what the
/// guarantee says, not byte for byte.
pub(super) fn rotating(name: &str) -> Scenario {
    s(name)
        .volatile("*/@*")
        .volatile("*/current")
        .volatile("*.got")
        .volatile("*/state")
}

/// `lines` numbered lines of about 50 bytes, as a file named `in`.
pub(super) fn numbered(lines: usize) -> Vec<u8> {
    (1..=lines)
        .flat_map(|i| format!("{i:05} the quick brown fox jumps over the lazy dog\n").into_bytes())
        .collect()
}

fn chars(c: char, n: usize) -> String {
    std::iter::repeat_n(c, n).collect()
}

pub fn scenarios() -> Vec<Scenario> {
    let echo_lines = format!(
        "one\n{}\n{}\n{}\n",
        chars('a', 199),
        chars('b', 200),
        chars('c', 201)
    );
    let long_line = format!("{}\n", chars('x', 10_000));
    let slow = Duration::from_secs(60);
    vec![
        s("no-arguments-reads-everything").file("in", "a\nb\n").run("multilog < in; echo \"exit $?\""),
        s("one-directory").file("in", "one\ntwo\n").run("multilog ./d < in"),
        s("empty-input").run("multilog ./d < /dev/null"),
        s("last-line-without-newline").file("in", "a\nlast").run("multilog ./d < in"),
        s("stdin-closed-is-end-of-input").run("multilog ./d <&-; echo \"exit $?\""),
        s("timestamps")
            .file("in", "a\n\nb\n")
            .normalize(Norm::NowLabels)
            .run("multilog t ./d < in"),
        s("t-counts-only-first").file("in", "a\n").run("multilog ./d t < in; multilog tfoo e < in 2>&1 | sed 's/@[0-9a-f]\\{24\\}/@<label>/'"),
        s("echo-long-lines").file("in", echo_lines.clone()).run("multilog e < in"),
        s("echo-with-timestamps")
            .file("in", "x\n\ny\n")
            .normalize(Norm::NowLabels)
            .run("multilog t e < in"),
        s("echo-action-by-first-letter").file("in", "x\n").run("multilog echo ./d < in"),
        s("patterns-without-backtracking")
            .file("in", "foo\nfo\nboo\noo\n\n")
            .run("multilog '-*o' e < in; echo --; multilog '-*' '+*oo' e < in; echo --; multilog - e < in"),
        s("pattern-word-after-star")
            .file("in", "x one\nxy one \none\n")
            .run("multilog '-*' '+* one' e < in"),
        s("patterns-are-literal-but-star")
            .file("in", "a?[b]\naxb\n")
            .run("multilog '-a?[b]' e < in"),
        s("filter-to-a-directory")
            .file("in", "start\nDEBUG noise\nwork DEBUG\nend\n")
            .run("multilog '-*DEBUG*' ./d < in"),
        s("selection-per-directory")
            .file("in", "plain\nhas x\nother\n")
            .run("multilog ./all '-*x*' ./without '+*x*' ./with < in"),
        s("status-file")
            .file("in", "one\ntwo\n")
            .run("multilog =st < in; wc -c < st; head -c 4 st | od -An -c"),
        s("status-of-the-last-selected-line")
            .file("in", "one\ntwo\n")
            .run("multilog -two =st < in; head -c 4 st | od -An -c"),
        s("status-of-a-long-line")
            .file("in", long_line.clone())
            .run("multilog =st < in; wc -c < st; tail -c 2 st | od -An -c; tr -d '\\n' < st | wc -c"),
        s("status-files-relative-to-the-start")
            .file("in", "x\n")
            .dir("sub", 0o755)
            .run("multilog ./d =sub/st ./sub/d < in; head -c 2 sub/st | od -An -c"),
        rotating("rotation")
            .file("in", numbered(300))
            .run("multilog s4096 n3 ./d < in; check d 4096 3 in"),
        rotating("size-clamped-up")
            .file("in", numbered(300))
            .run("multilog s0 n3 ./d < in; check d 4096 3 in"),
        rotating("size-without-digits")
            .file("in", numbered(300))
            .run("multilog sfoo n3 ./d < in; check d 4096 3 in"),
        rotating("number-clamped-up")
            .file("in", numbered(300))
            .run("multilog s4096 n0 ./d < in; check d 4096 2 in"),
        rotating("settings-bind-to-later-directories")
            .file("in", numbered(300))
            .run("multilog s4096 n3 ./a n4 ./b < in; check a 4096 3 in; check b 4096 4 in"),
        s("line-longer-than-the-size")
            .file("in", long_line)
            .run("multilog s4096 ./d < in; for f in d/@* d/current; do wc -c < $f; done"),
        rotating("processor-output-and-state")
            .file("in", numbered(300))
            .run("multilog s4096 n3 '!tr a-z A-Z; echo run >&5; cat <&4 >&5' ./d < in
grep -L QUICK d/@*.s | grep -q . || echo 'every processed file is upper case'
[ \"$(grep -c run d/state)\" -ge 3 ] && echo 'the state went from run to run'
check d 4096 3 in | grep -v 'end of the input'"),
        rotating("empty-processor-keeps-nothing")
            .file("in", numbered(300))
            .run("multilog s4096 n3 '!' ./d < in; wc -c d/@* | awk '{print $1}' | sort -u | head -1"),
        rotating("processor-fails-then-succeeds")
            .file("in", numbered(100))
            .step_timeout(slow)
            .run("multilog s4096 '!test -f ../tried && cat || { touch ../tried; exit 1; }' ./d < in 2>&1; check d 4096 10 in"),
        rotating("processor-crashes-then-succeeds")
            .file("in", numbered(100))
            .step_timeout(slow)
            .run("multilog s4096 '!test -f ../tried && cat || { touch ../tried; kill -9 $$; }' ./d < in 2>&1 | sed 's/pausing: .*/pausing: <error>/'
check d 4096 10 in"),
        s("second-multilog-refused")
            .file("in", "x\n")
            .run("mkfifo f; multilog ./d < f & exec 3>f; waitfor test -e d/lock; multilog ./d < in; echo \"exit $?\"; exec 3>&-; wait"),
        s("refused-by-upstreams-multilog")
            .with_upstream()
            .file("in", "x\n")
            .run("mkfifo f; multilog ./d < f & exec 3>f; waitfor test -e d/lock; $UPSTREAM/multilog ./d < in; echo \"upstream: $?\"; exec 3>&-; wait"),
        s("refuses-a-directory-upstreams-multilog-holds")
            .with_upstream()
            .file("in", "x\n")
            .run("mkfifo f; $UPSTREAM/multilog ./d < f & exec 3>f; waitfor test -e d/lock; multilog ./d < in; echo \"ours: $?\"; exec 3>&-; wait"),
        s("same-directory-twice").run("multilog ./d ./d < /dev/null; echo \"exit $?\""),
        s("unable-to-open-directory").run("multilog ./nope/deeper < /dev/null; echo \"exit $?\""),
        s("directory-is-a-file").file("f", "").run("multilog ./f < /dev/null; echo \"exit $?\""),
        s("unable-to-create-status-file").run("multilog =nodir/st < /dev/null; echo \"exit $?\"; multilog = < /dev/null; echo \"exit $?\""),
        s("resumes-a-cleanly-closed-current")
            .file("in", "one\n")
            .run("multilog ./d < in; stat -c %a d/current; echo two | multilog ./d; cat d/current"),
        s("recovers-a-crashed-current")
            .dir("d", 0o700)
            .file("d/current", "before the crash\n")
            .file("d/state", "old state\n")
            .file("d/newstate", "half\n")
            .volatile("d/@*")
            .run("echo after | multilog ./d; ls d | sed 's/@[0-9a-f]\\{24\\}/@<label>/'; cat d/@*.u"),
        s("recovers-an-unfinished-processor")
            .dir("d", 0o700)
            .file("d/previous", "rotated\n")
            .file("d/processed", "half done\n")
            .volatile("d/@*")
            .run("chmod 744 d/previous; echo after | multilog ./d; ls d | sed 's/@[0-9a-f]\\{24\\}/@<label>/'; cat d/@*.u"),
        s("keeps-a-finished-processor-output")
            .dir("d", 0o700)
            .file("d/previous", "rotated\n")
            .file("d/processed", "processed\n")
            .volatile("d/@*")
            .run("chmod 744 d/previous d/processed; echo after | multilog ./d; ls d | sed 's/@[0-9a-f]\\{24\\}/@<label>/'; cat d/@*.s"),
        s("upstream-continues-our-clean-directory")
            .with_upstream()
            .run("echo ours | multilog ./d; echo upstreams | $UPSTREAM/multilog ./d; cat d/current; ls d"),
        s("upstream-recovers-our-crashed-directory")
            .with_upstream()
            .volatile("d/@*")
            .run("mkfifo f; multilog ./d < f & M=$!; exec 3>f; echo ours >&3; waitfor grep -q ours d/current; kill -9 $M; wait
echo upstreams | $UPSTREAM/multilog ./d; ls d | sed 's/@[0-9a-f]\\{24\\}/@<label>/'; cat d/@*.u d/current"),
        s("continues-upstreams-directory")
            .with_upstream()
            .volatile("d/@*")
            .run("echo upstreams | $UPSTREAM/multilog ./d; echo ours | multilog ./d; cat d/current
mkfifo f; $UPSTREAM/multilog ./d < f & M=$!; exec 3>f; echo crashed >&3; waitfor grep -q crashed d/current; kill -9 $M; wait
echo again | multilog ./d; ls d | sed 's/@[0-9a-f]\\{24\\}/@<label>/'; cat d/@*.u d/current"),
        s("alarm-rotates")
            .volatile("d/@*")
            .run("mkfifo f; multilog ./d < f & M=$!; exec 3>f; echo one >&3; waitfor grep -q one d/current
kill -ALRM $M; waitfor rotated d; echo two >&3; exec 3>&-; wait $M; cat d/@*.s; cat d/current"),
        s("term-finishes-the-line")
            .run("mkfifo f; multilog ./d < f & M=$!; exec 3>f; printf 'first\\nsecond' >&3; waitfor grep -q first d/current
kill -TERM $M; sleep 0.2; printf ' part\\nthird\\n' >&3; wait $M; echo \"exit $?\"; exec 3>&-; cat d/current"),
        s("umask-is-022")
            .file("in", "x\n")
            .run("(umask 077; multilog ./d =st < in); stat -c '%a %n' d d/current d/state d/lock st"),
    ]
}

//! multilog with real files: a disk that fills up while a writer keeps writing.
//! multilog warns in upstream's words, pauses, retries, and once space is freed
//! every line arrives, in order, once.

mod support;

use conformance::tempdir::TempDir;
use std::process::Command;
use std::time::Duration;
use support::wait_with_deadline;

/// Runs in a mount namespace of its own, so the small tmpfs is seen by no one else.
const DISK_FULL: &str = r#"
set -u
mount -t tmpfs -o size=512k tmpfs "$FS" || { echo "cannot mount a tmpfs"; exit 1; }
mkdir "$FS/log"
# Leave about 48 kB free: the log needs more than that.
dd if=/dev/zero of="$FS/filler" bs=1k count=464 2>/dev/null
seq 1 40000 > "$WORK/expected"
seq 1 40000 | "$MULTILOG" multilog s16384 n1000 "$FS/log" 2> "$WORK/err" &
logger=$!
n=0
until grep -q "unable to write to $FS/log/current, pausing: out of disk space" "$WORK/err"; do
    n=$((n + 1))
    if [ "$n" -ge 600 ]; then echo "multilog never found the disk full"; kill "$logger"; exit 1; fi
    sleep 0.05
done
echo "multilog found the disk full"
rm "$FS/filler"
wait "$logger"
echo "multilog exited $?"
cat "$FS/log"/@* "$FS/log/current" | cmp - "$WORK/expected" && echo "every line arrived"
umount "$FS"
"#;

#[test]
fn a_full_disk_loses_no_line() {
    let scratch = TempDir::new("multilog").unwrap();
    let fs = scratch.path().join("fs");
    std::fs::create_dir(&fs).unwrap();
    let mut child = Command::new("unshare")
        .args(["--mount", "--propagation", "private", "sh", "-c", DISK_FULL])
        .env("FS", &fs)
        .env("WORK", scratch.path())
        .env("MULTILOG", env!("CARGO_BIN_EXE_daemontools"))
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("unshare (util-linux) runs the test in a mount namespace of its own");
    let status = wait_with_deadline(&mut child, Duration::from_secs(120));
    let mut out = String::new();
    std::io::Read::read_to_string(child.stdout.as_mut().unwrap(), &mut out).unwrap();
    assert!(status.success(), "{out}");
    assert_eq!(
        out,
        "multilog found the disk full\nmultilog exited 0\nevery line arrived\n"
    );
}

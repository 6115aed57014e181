//! tai64nlocal end to end, with real pipes: each line comes out while the writer is
//! still open, and no input makes it fail or lose a byte.

mod support;

use conformance::tempdir::TempDir;
use std::io::Write;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;
use support::{Output, both, ours, random_bytes, spawn_piped, upstream, wait_with_deadline};

const PATIENCE: Duration = Duration::from_secs(10);

#[test]
fn each_line_comes_out_before_the_input_closes() {
    for (who, mut command) in both("tai64nlocal") {
        let mut child = spawn_piped(command.env("TZ", "UTC"));
        let mut input = child.stdin.take().unwrap();
        let mut output = Output::new(child.stdout.take().unwrap());
        input.write_all(b"@4000000037c219bf2ef02e94 first\n").unwrap();
        assert_eq!(
            output.wait_for_lines(1, PATIENCE),
            b"1999-08-24 04:04:05.787492500 first\n",
            "{who}"
        );
        input.write_all(b"plain second\n").unwrap();
        assert!(
            output.wait_for_lines(2, PATIENCE).ends_with(b"\nplain second\n"),
            "{who}"
        );
        drop(input);
        output.rest(PATIENCE);
        assert!(wait_with_deadline(&mut child, PATIENCE).success(), "{who}");
    }
}

#[test]
fn random_bytes_never_fail_and_unlabelled_lines_pass_unchanged() {
    for seed in 1..=20u64 {
        let mut input = random_bytes(seed, 50_000);
        // Salt it with labels and near-labels at line starts.
        for (i, pos) in (0..input.len()).step_by(997).enumerate() {
            let salt: &[u8] = [b"\n@4000000037c219bf2ef02e94".as_slice(), b"\n@40", b"\n@zz"][i % 3];
            let end = (pos + salt.len()).min(input.len());
            input[pos..end].copy_from_slice(&salt[..end - pos]);
        }
        let mut child = spawn_piped(&mut ours("tai64nlocal"));
        let mut stdin = child.stdin.take().unwrap();
        let mut output = Output::new(child.stdout.take().unwrap());
        for chunk in input.chunks(1 + (seed as usize * 1231) % 5000) {
            stdin.write_all(chunk).unwrap();
        }
        drop(stdin);
        let out = output.rest(PATIENCE).to_vec();
        assert!(wait_with_deadline(&mut child, PATIENCE).success(), "seed {seed}");
        let lines_in: Vec<&[u8]> = input.split(|&c| c == b'\n').collect();
        let lines_out: Vec<&[u8]> = out.split(|&c| c == b'\n').collect();
        assert_eq!(lines_in.len(), lines_out.len(), "seed {seed}");
        for (a, b) in lines_in.iter().zip(&lines_out) {
            if a.first() != Some(&b'@') {
                assert_eq!(a, b, "seed {seed}");
            }
        }
    }
}

/// Our tai64nlocal (a link of that name to the multi-call binary) and upstream's when
/// installed, as paths a shell can exec.
fn programs(scratch: &TempDir) -> Vec<(&'static str, PathBuf)> {
    let link = scratch.path().join("tai64nlocal");
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_daemontools"), &link).unwrap();
    let mut v = vec![("ours", link)];
    if let Some(c) = upstream("tai64nlocal") {
        v.push(("upstream", PathBuf::from(c.get_program())));
    }
    v
}

/// `program` with its address space limited to `kb` kB, so that a runaway fails
/// quickly instead of taking the machine's memory.
fn limited(program: &PathBuf, kb: u32) -> Command {
    let mut c = Command::new("/bin/sh");
    c.arg("-c")
        .arg(format!("ulimit -v {kb} && exec \"$0\""))
        .arg(program);
    c
}

const LINE: &[u8] = b"@4000000037c219bf2ef02e94 mark\n";
const UTC_LINE: &[u8] = b"1999-08-24 04:04:05.787492500 mark\n";

fn run_with_tz(mut command: Command, tz: &std::ffi::OsStr, input: &[u8]) -> (Vec<u8>, bool) {
    let mut child = spawn_piped(command.env("TZ", tz));
    let mut stdin = child.stdin.take().unwrap();
    let mut output = Output::new(child.stdout.take().unwrap());
    stdin.write_all(input).unwrap();
    drop(stdin);
    let out = output.rest(PATIENCE).to_vec();
    (out, wait_with_deadline(&mut child, PATIENCE).success())
}

/// The peak resident memory of a live process, in kB.
fn peak_rss_kb(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// TZ naming an endless file (/dev/zero) or a huge one: glibc reads a header, finds
/// no zone file and uses UTC at once; so does ours, reading at most a bounded
/// prefix. (The address space is limited so that a reader without a bound gives up
/// at 200 MB rather than taking the machine's memory; its peak memory shows it.)
#[test]
fn an_endless_or_huge_file_named_by_tz_is_no_zone_and_costs_little_memory() {
    let scratch = TempDir::new("tai64nlocal").unwrap();
    let huge = scratch.path().join("huge");
    std::fs::write(&huge, vec![0u8; 64 << 20]).unwrap();
    for (who, program) in programs(&scratch) {
        for tz in [std::path::Path::new("/dev/zero"), &huge] {
            let what = format!("{who} with TZ={}", tz.display());
            let mut command = limited(&program, 200_000);
            let mut child = spawn_piped(command.env("TZ", tz));
            let mut stdin = child.stdin.take().unwrap();
            let mut output = Output::new(child.stdout.take().unwrap());
            stdin.write_all(LINE).unwrap();
            let out = String::from_utf8_lossy(output.wait_for_lines(1, PATIENCE)).into_owned();
            assert_eq!(out.as_bytes(), UTC_LINE, "{what}: {out}");
            let peak = peak_rss_kb(child.id());
            drop(stdin);
            output.rest(PATIENCE);
            assert!(wait_with_deadline(&mut child, PATIENCE).success(), "{what}");
            assert!(peak < 16 * 1024, "{what}: peak RSS {peak} kB");
        }
    }
}

/// A zone file that glibc would read but that is larger than any real one (1 MiB):
/// ours reads it as no zone file (a documented divergence).
#[test]
fn a_zone_file_larger_than_the_bound_is_no_zone() {
    let scratch = TempDir::new("tai64nlocal").unwrap();
    let mut zone = std::fs::read("/usr/share/zoneinfo/Asia/Tokyo").expect("tzdata installed");
    let tokyo = scratch.path().join("tokyo");
    std::fs::write(&tokyo, &zone).unwrap();
    let (out, _) = run_with_tz(ours("tai64nlocal"), tokyo.as_os_str(), LINE);
    let out = String::from_utf8_lossy(&out);
    assert_eq!(out, "1999-08-24 13:04:05.787492500 mark\n", "the file as it is");
    zone.resize((1 << 20) + 1, 0);
    std::fs::write(&tokyo, &zone).unwrap();
    let (out, ok) = run_with_tz(ours("tai64nlocal"), tokyo.as_os_str(), LINE);
    assert!(ok);
    assert_eq!(String::from_utf8_lossy(&out), String::from_utf8_lossy(UTC_LINE));
}

/// A line's `@` followed by 50 MB of hex digits: the label is read as it streams
/// past (only its last 24 digits count), never held whole. Its value here is an
/// ordinary label after 50 MB of leading zeros, which upstream converts too.
#[test]
fn an_endless_label_is_not_held_in_memory() {
    for (who, mut command) in both("tai64nlocal") {
        let mut child = spawn_piped(command.env("TZ", "UTC"));
        let mut stdin = child.stdin.take().unwrap();
        let mut output = Output::new(child.stdout.take().unwrap());
        stdin.write_all(b"@").unwrap();
        let zeros = vec![b'0'; 1 << 20];
        for _ in 0..50 {
            stdin.write_all(&zeros).unwrap();
        }
        stdin.write_all(LINE.strip_prefix(b"@").unwrap()).unwrap();
        let out = String::from_utf8_lossy(output.wait_for_lines(1, PATIENCE)).into_owned();
        assert_eq!(out.as_bytes(), UTC_LINE, "{who}: {out}");
        let peak = peak_rss_kb(child.id());
        drop(stdin);
        output.rest(PATIENCE);
        assert!(wait_with_deadline(&mut child, PATIENCE).success(), "{who}");
        assert!(peak < 16 * 1024, "{who}: peak RSS {peak} kB");
    }
}

//! multilog against upstream's on the same input, runs alternating: throughput with
//! and without timestamps, with a filter and `e`, through a pipe written a line at a
//! time, on 10 kB lines; `cat > file` on the same input, fed the same way, for scale
//! (fed a line per write, the writer's system calls bound both); peak resident
//! memory. Every run's log is checked complete before its time counts.
//!
//! Then `t`'s time against the floor no durable logger can beat (the bytes it logged
//! written into a new file and synced once), against the floor of a logger that
//! syncs as 0.76's does (the same bytes into files of `s16777215`'s size, each synced
//! before the next), and the stamps 0.76 lacks (`d`, `i`, `T`) against upstream's `t`.

use crate::Sides;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// `lines` lines of 60 to 140 bytes; every fourth has DEBUG in it.
fn log_lines(lines: usize, width: Option<usize>) -> Vec<u8> {
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    let mut out = Vec::new();
    for i in 0..lines {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        let len = width.unwrap_or(60 + (x % 81) as usize);
        let level = if i % 4 == 0 { "DEBUG" } else { "INFO" };
        let text = format!("{i:08} {level} service message: request handled status=200 bytes={x} ");
        out.extend(text.bytes().cycle().take(len));
        out.push(b'\n');
    }
    out
}

/// The lines of `input` a `-*DEBUG*` filter keeps.
fn without_debug(input: &[u8]) -> Vec<u8> {
    input
        .split_inclusive(|&c| c == b'\n')
        .filter(|l| !l.windows(5).any(|w| w == b"DEBUG"))
        .flatten()
        .copied()
        .collect()
}

/// The shapes of the stamps on a line, byte by byte: `9` is a digit, `x` a lowercase
/// hex digit, `+` a sign, anything else itself.
const TAI64N: &[u8] = b"@xxxxxxxxxxxxxxxxxxxxxxxx ";
/// `d`: local time, as tai64nlocal prints it.
const LOCAL: &[u8] = b"9999-99-99 99:99:99.999999999 ";
/// `i`: RFC 3339, local time with its offset.
const RFC3339: &[u8] = b"9999-99-99T99:99:99.999999999+99:99 ";
/// `T`: seconds since 1970 (ten digits from 2001 to 2286) and microseconds.
const UNIX: &[u8] = b"9999999999.999999 ";

fn shaped(stamp: &[u8], shape: &[u8]) -> bool {
    stamp.len() == shape.len()
        && stamp.iter().zip(shape).all(|(&c, &s)| match s {
            b'9' => c.is_ascii_digit(),
            b'x' => c.is_ascii_digit() || (b'a'..=b'f').contains(&c),
            b'+' => c == b'+' || c == b'-',
            _ => c == s,
        })
}

/// The old files in order, then current, with each line's stamp of shape `stamp`
/// cut off; a line without one is fatal.
fn logged(dir: &Path, stamp: Option<&[u8]>) -> Vec<u8> {
    let mut names: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .map(|e| e.path())
                .filter(|p| {
                    p.file_name()
                        .is_some_and(|n| n.to_string_lossy().starts_with('@'))
                })
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names.push(dir.join("current"));
    let all: Vec<u8> = names
        .iter()
        .flat_map(|p| std::fs::read(p).unwrap_or_default())
        .collect();
    let Some(shape) = stamp else { return all };
    all.split_inclusive(|&c| c == b'\n')
        .flat_map(|l| match l.split_at_checked(shape.len()) {
            Some((stamp, rest)) if shaped(stamp, shape) => rest,
            _ => panic!(
                "{}: a line without a stamp shaped {:?}: {:?}",
                dir.display(),
                String::from_utf8_lossy(shape),
                String::from_utf8_lossy(l)
            ),
        })
        .copied()
        .collect()
}

/// How input reaches multilog.
#[derive(Clone, Copy)]
enum Feed {
    File,
    /// A pipe written one line per write(2).
    LinePerWrite,
}

/// One run: the wall time of `command` reading `input`, and its peak resident
/// memory (kB).
///
/// The memory is the largest Rss of /proc/PID/smaps_rollup (a walk of its page
/// tables, so exact) read every 2 ms from the program's exec on and once more while
/// ptrace holds it at its exit. The exit's alone would miss what the program frees
/// before it exits: musl's malloc unmaps large buffers when they are dropped. The
/// peak the kernel keeps (getrusage's, as time(1) reports it, and VmHWM) comes from
/// approximate per-CPU counters on current kernels, off either way.
///
/// The program is started behind a shell that waits on a FIFO, so that it can be
/// seized before it runs.
fn run(command: Command, input: &Path, feed: Feed, cwd: &Path) -> (Duration, u64) {
    use nix::sys::ptrace::{self, Event, Options};
    use nix::sys::wait::{WaitStatus, waitpid};
    let gate = cwd.join("gate");
    let _ = std::fs::remove_file(&gate);
    nix::unistd::mkfifo(&gate, nix::sys::stat::Mode::from_bits_truncate(0o600)).expect("gate");
    let mut gated = Command::new("sh");
    gated
        .args(["-c", "read _ < \"$0\"; exec \"$@\""])
        .arg(&gate)
        .arg(command.get_program())
        .args(command.get_args());
    gated.current_dir(cwd).stdout(Stdio::null()).stderr(Stdio::null());
    match feed {
        Feed::File => gated.stdin(File::open(input).expect("input")),
        Feed::LinePerWrite => gated.stdin(Stdio::piped()),
    };
    // Read and cut into lines before the clock starts: the writer then spends its
    // time in write(2) alone, the time to read and cut not being the program's.
    let (text, ends) = match feed {
        Feed::File => (Vec::new(), Vec::new()),
        Feed::LinePerWrite => {
            let text = std::fs::read(input).expect("input");
            let ends: Vec<usize> = memchr::memchr_iter(b'\n', &text).map(|i| i + 1).collect();
            (text, ends)
        }
    };
    // Whatever an earlier run left dirty (cat's output is not synced) is written out
    // now, not by the kernel's flusher in the middle of this run.
    nix::unistd::sync();
    let mut child = gated.spawn().expect("run");
    let pid = nix::unistd::Pid::from_raw(child.id() as i32);
    ptrace::seize(pid, Options::PTRACE_O_TRACEEXIT | Options::PTRACE_O_TRACEEXEC).expect("seize");
    let start = Instant::now();
    // Read-write: opening never waits for the shell, which may be in a ptrace stop
    // that only the loop below ends. Held open until the run ends, so that the line
    // is there whenever the shell opens the FIFO.
    let mut opened = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&gate)
        .expect("gate");
    opened.write_all(b"\n").expect("open the gate");
    // Fed from a thread of its own: the program stops at ptrace events, which only
    // the loop below ends.
    let feeder = child.stdin.take().map(|mut pipe| {
        std::thread::spawn(move || {
            let mut start = 0;
            for end in ends {
                pipe.write_all(&text[start..end]).expect("write");
                start = end;
            }
            pipe.write_all(&text[start..]).expect("write");
        })
    });
    let mut resident = 0;
    let mut sampler = None;
    let status = loop {
        match waitpid(pid, None).expect("wait") {
            WaitStatus::PtraceEvent(_, _, e) if e == Event::PTRACE_EVENT_EXEC as i32 => {
                sampler.get_or_insert_with(|| Sampler::start(pid.as_raw() as u32));
                ptrace::cont(pid, None).expect("continue");
            }
            WaitStatus::PtraceEvent(_, _, e) if e == Event::PTRACE_EVENT_EXIT as i32 => {
                let sampled = sampler.take().map_or(0, Sampler::largest);
                resident = sampled.max(smaps_rss(pid.as_raw() as u32));
                ptrace::cont(pid, None).expect("continue");
            }
            WaitStatus::PtraceEvent(..) => ptrace::cont(pid, None).expect("continue"),
            WaitStatus::Stopped(_, signal) => ptrace::cont(pid, signal).expect("continue"),
            WaitStatus::Exited(_, code) => break code,
            other => panic!("{:?}: {other:?}", command),
        }
    };
    let elapsed = start.elapsed();
    drop(opened);
    if let Some(feeder) = feeder {
        feeder.join().expect("feeder");
    }
    assert_eq!(status, 0, "{:?} failed", command);
    (elapsed, resident)
}

/// Reads a process's resident memory every 2 ms from a thread of its own.
struct Sampler {
    stop: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<u64>,
}

impl Sampler {
    fn start(pid: u32) -> Sampler {
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        let thread = std::thread::spawn(move || {
            let mut largest = 0;
            while !stopped.load(Ordering::Relaxed) {
                largest = largest.max(smaps_rss(pid));
                std::thread::sleep(Duration::from_millis(2));
            }
            largest
        });
        Sampler { stop, thread }
    }

    /// Stops sampling: the largest sample, in kB.
    fn largest(self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.join().expect("sampler")
    }
}

/// kB resident of process `pid`, from its page tables.
fn smaps_rss(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("Rss:"))
        .and_then(|v| v.trim().trim_end_matches(" kB").parse().ok())
        .unwrap_or(0)
}

/// A run of `program` with `script`, in `dir`: its log, `dir/main`, must hold
/// `want` with a stamp of shape `stamp` on each line.
fn checked(
    program: &Path,
    script: &[&str],
    input: &Path,
    feed: Feed,
    dir: &Path,
    stamp: Option<&[u8]>,
    want: &[u8],
) -> (Duration, u64) {
    let _ = std::fs::remove_dir_all(dir.join("main"));
    let mut command = Command::new(program);
    command.args(script);
    let measured = run(command, input, feed, dir);
    assert!(
        logged(&dir.join("main"), stamp) == want,
        "{script:?}: the log is not complete"
    );
    measured
}

/// The sides' order in a round: each round starts one side later, so that each side
/// takes each place in turn (a run begins with the disk still settling from the one
/// before, and the first place follows a different run). A side still follows the
/// same other whenever it does not open the round.
fn rotated(sides: usize, round: usize) -> impl Iterator<Item = usize> {
    (0..sides).map(move |k| (k + round) % sides)
}

/// The floor: `dir/floor.in` fed from a file to `dd`, which writes it into a new
/// file in 1 MB writes and syncs that once.
fn floor(dir: &Path) -> Duration {
    let _ = std::fs::remove_file(dir.join("floor.out"));
    let mut command = Command::new("dd");
    command.args(["of=floor.out", "bs=1M", "conv=fsync"]);
    let (time, _) = run(command, &dir.join("floor.in"), Feed::File, dir);
    let len = |name| std::fs::metadata(dir.join(name)).expect("floor").len();
    assert_eq!(len("floor.out"), len("floor.in"), "dd copied everything");
    time
}

/// The synced floor: `bytes` (the floor's input, already in memory) written the way
/// 0.76's multilog makes a log durable with `s16777215`: into files of 16,777,215
/// bytes, each synced and renamed before the next is begun, the last synced at the
/// end; writeback started after every MB, as ours does. Nothing is read and no line
/// is looked at: the time left is the disk's. A logger that waits for each sync, as
/// 0.76's does and as ours does to hold no input through it, cannot be faster (but
/// for its start, which this floor does not pay).
fn synced_floor(dir: &Path, bytes: &[u8]) -> Duration {
    use std::os::unix::fs::PermissionsExt;
    let out = dir.join("synced");
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir(&out).expect("scratch");
    let current = out.join("current");
    // As before each run: nothing left dirty by the runs before.
    nix::unistd::sync();
    let start = Instant::now();
    let files: Vec<&[u8]> = bytes.chunks(16_777_215).collect();
    for (n, file) in files.iter().enumerate() {
        let mut f = File::create(&current).expect("synced floor");
        for mb in file.chunks(1 << 20) {
            f.write_all(mb).expect("synced floor");
            runtime::process::start_writeback(&f);
        }
        f.sync_all().expect("synced floor");
        if n + 1 < files.len() {
            f.set_permissions(std::fs::Permissions::from_mode(0o744))
                .expect("synced floor");
            std::fs::rename(&current, out.join(format!("@{n:024}.s"))).expect("synced floor");
        }
    }
    let time = start.elapsed();
    let written: u64 = std::fs::read_dir(&out)
        .expect("synced floor")
        .map(|e| e.expect("synced floor").metadata().expect("synced floor").len())
        .sum();
    assert_eq!(written, bytes.len() as u64, "the synced floor wrote everything");
    let _ = std::fs::remove_dir_all(&out);
    time
}

fn median<T: Ord + Copy>(mut v: Vec<T>) -> T {
    v.sort();
    v[v.len() / 2]
}

pub fn run_all(sides: &Sides, runs: usize) {
    let dir = sides.scratch.path().join("multilog");
    std::fs::create_dir_all(&dir).expect("scratch");
    let short = dir.join("short");
    std::fs::write(&short, log_lines(2_000_000, None)).expect("input");
    let long = dir.join("long");
    std::fs::write(&long, log_lines(20_000, Some(10_000))).expect("input");

    // (label, script, input, feed, the stamp on each line, what the log must hold)
    type Check = fn(&[u8]) -> Vec<u8>;
    let cases: [(&str, &[&str], &Path, Feed, Option<&[u8]>, Check); 6] = [
        (
            "t s16777215 n20 ./main",
            &["t", "s16777215", "n20", "./main"],
            &short,
            Feed::File,
            Some(TAI64N),
            |i| i.to_vec(),
        ),
        (
            "s16777215 n20 ./main",
            &["s16777215", "n20", "./main"],
            &short,
            Feed::File,
            None,
            |i| i.to_vec(),
        ),
        (
            "-*DEBUG* e s16777215 n20 ./main",
            &["-*DEBUG*", "e", "s16777215", "n20", "./main"],
            &short,
            Feed::File,
            None,
            without_debug,
        ),
        (
            "t s16777215 n20 ./main, a line per write",
            &["t", "s16777215", "n20", "./main"],
            &short,
            Feed::LinePerWrite,
            Some(TAI64N),
            |i| i.to_vec(),
        ),
        (
            "s16777215 n20 ./main, 10 kB lines",
            &["s16777215", "n20", "./main"],
            &long,
            Feed::File,
            None,
            |i| i.to_vec(),
        ),
        (
            "t s16777215 n20 ./main, 10 kB lines",
            &["t", "s16777215", "n20", "./main"],
            &long,
            Feed::File,
            Some(TAI64N),
            |i| i.to_vec(),
        ),
    ];

    // Each build's multilog under its own name (the gate's shell runs a path), then
    // upstream's.
    let mut programs: Vec<PathBuf> = sides
        .builds
        .iter()
        .map(|build| {
            let link = dir.join(build.label).join("multilog");
            let _ = std::fs::remove_dir_all(dir.join(build.label));
            std::fs::create_dir_all(dir.join(build.label)).expect("scratch");
            std::os::unix::fs::symlink(build.ours.program("multilog"), &link).expect("link to our multilog");
            link
        })
        .collect();
    programs.push(sides.reference.dir.join("multilog"));
    let upstream = programs.len() - 1;

    println!(
        "\nmultilog: median of {runs} alternating runs, each round starting one side later; throughput in MB/s; peak resident memory in kB (the largest of smaps samples every 2 ms and at exit)"
    );
    println!(
        "| script | build | input MB | ours | ours, slowest–fastest run | upstream | ours/upstream | `cat > file` | ours/cat | RSS ours | RSS upstream | RSS ratio |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|");
    // The first row's (`t`, fed from a file) runs alternate with the floor's too:
    // each build's and the floor's median times.
    let (mut t_times, mut floor_times, mut synced_times) = (Vec::new(), Vec::new(), Vec::new());
    let mut upstream_t = Duration::ZERO;
    let mut floor_bytes = Vec::new();
    for (row, (label, script, input, feed, stamp, expected)) in cases.into_iter().enumerate() {
        let size = std::fs::metadata(input).expect("input").len() as f64 / 1e6;
        let want = expected(&std::fs::read(input).expect("input"));
        let (mut times, mut rss) = (vec![Vec::new(); programs.len()], vec![Vec::new(); programs.len()]);
        let mut cat = Vec::new();
        for round in 0..runs {
            for side in rotated(programs.len(), round) {
                let program = &programs[side];
                let (t, kb) = checked(program, script, input, feed, &dir, stamp, &want);
                times[side].push(t);
                rss[side].push(kb);
                if row == 0 && side == 0 && floor_times.is_empty() {
                    // The floor's input: the bytes (stamps and all) ours logged.
                    floor_bytes = logged(&dir.join("main"), None);
                    std::fs::write(dir.join("floor.in"), &floor_bytes).expect("floor");
                }
            }
            if row == 0 {
                floor_times.push(floor(&dir));
                synced_times.push(synced_floor(&dir, &floor_bytes));
            }
            // Into a new file, as multilog writes into a new directory.
            let _ = std::fs::remove_file(dir.join("cat.out"));
            let mut command = Command::new("sh");
            command.args(["-c", "cat > cat.out"]);
            cat.push(run(command, input, feed, &dir).0);
        }
        if row == 0 {
            t_times = times[..upstream].iter().cloned().map(median).collect();
            upstream_t = median(times[upstream].clone());
        }
        let u = size / median(times[upstream].clone()).as_secs_f64();
        let ru = median(rss[upstream].clone());
        let c = size / median(cat).as_secs_f64();
        for (i, build) in sides.builds.iter().enumerate() {
            // Ours depends on the disk (an fsync before each rotation): its spread
            // shows how much the disk moved during the runs.
            let slowest = size / times[i].iter().max().expect("runs").as_secs_f64();
            let fastest = size / times[i].iter().min().expect("runs").as_secs_f64();
            let o = size / median(times[i].clone()).as_secs_f64();
            let ro = median(rss[i].clone());
            println!(
                "| {label} | {} | {size:.0} | {o:.0} | {slowest:.0}–{fastest:.0} | {u:.0} | {:.2}x | {c:.0} | {:.2} | {ro} | {ru} | {:.2} |",
                build.label,
                o / u,
                o / c,
                ro as f64 / ru as f64
            );
        }
    }

    let floor_time = median(floor_times);
    let floor_mb = std::fs::metadata(dir.join("floor.in")).expect("floor").len() as f64 / 1e6;
    println!(
        "\nmultilog `t` against the floor: the floor {:.3} s, the {floor_mb:.0} MB the first build logged, fed from a file to `dd of=floor.out bs=1M conv=fsync`, a new file synced once; medians of {runs}, alternating with the first row's runs",
        floor_time.as_secs_f64()
    );
    let synced_time = median(synced_times);
    // The floor bounds a logger only where the disk's syncs cost in its runs what
    // they cost in the logger's: a disk whose sync time moves can make it slower.
    let bounds = if t_times.iter().chain([&upstream_t]).all(|&t| t >= synced_time) {
        "the most a logger that waits for each sync can reach here"
    } else {
        "but a `t` took less than this floor, which bounds nothing in this run"
    };
    println!(
        "the synced floor {:.3} s: the same bytes written from memory into files of 16,777,215 bytes, each synced before the next as 0.76's multilog syncs; upstream's `t` ({:.3} s) over it {:.2}x, {bounds}; 5x upstream is {:.3} s",
        synced_time.as_secs_f64(),
        upstream_t.as_secs_f64(),
        upstream_t.as_secs_f64() / synced_time.as_secs_f64(),
        upstream_t.as_secs_f64() / 5.0,
    );
    for (build, t_time) in sides.builds.iter().zip(t_times) {
        println!(
            "{}: time_t / time_floor {:.2}, time_t / time_synced_floor {:.2} (`t s16777215 n20 ./main` {:.3} s)",
            build.label,
            t_time.as_secs_f64() / floor_time.as_secs_f64(),
            t_time.as_secs_f64() / synced_time.as_secs_f64(),
            t_time.as_secs_f64()
        );
    }

    // Stamps 0.76 lacks (it would ignore the letter): ours with each against
    // upstream's `t`, on the same input.
    let stamps: [(&str, &[u8]); 3] = [("d", LOCAL), ("i", RFC3339), ("T", UNIX)];
    let upstream_script = ["t", "s16777215", "n20", "./main"];
    let size = std::fs::metadata(&short).expect("input").len() as f64 / 1e6;
    let want = std::fs::read(&short).expect("input");
    println!(
        "\nmultilog stamps upstream lacks: ours with the script against upstream's `{}` on the same input; median of {runs} alternating runs, each round starting one side later; throughput in MB/s",
        upstream_script.join(" ")
    );
    println!(
        "| script | build | input MB | ours | ours, slowest–fastest run | upstream `t` | ours/upstream `t` |"
    );
    println!("|---|---|---|---|---|---|---|");
    for (letter, shape) in stamps {
        let script = [letter, "s16777215", "n20", "./main"];
        let mut times = vec![Vec::new(); programs.len()];
        for round in 0..runs {
            for side in rotated(programs.len(), round) {
                let program = &programs[side];
                let (script, shape): (&[&str], _) = if side == upstream {
                    (&upstream_script, TAI64N)
                } else {
                    (&script, shape)
                };
                let (t, _) = checked(program, script, &short, Feed::File, &dir, Some(shape), &want);
                times[side].push(t);
            }
        }
        let u = size / median(times[upstream].clone()).as_secs_f64();
        for (i, build) in sides.builds.iter().enumerate() {
            let slowest = size / times[i].iter().max().expect("runs").as_secs_f64();
            let fastest = size / times[i].iter().min().expect("runs").as_secs_f64();
            let o = size / median(times[i].clone()).as_secs_f64();
            println!(
                "| {} | {} | {size:.0} | {o:.0} | {slowest:.0}–{fastest:.0} | {u:.0} | {:.2}x |",
                script.join(" "),
                build.label,
                o / u
            );
        }
    }
}

//! Throughput of the stream programs, tai64n and tai64nlocal, on 2,000,000 lines of
//! about 100 bytes. Every run's output is checked before its time counts: identical to
//! upstream's for tai64nlocal; for tai64n, identical once the labels (which are
//! times) are masked.

use crate::Sides;
use conformance::transcript::fnv1a64;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// `lines` lines of printable text, 60 to 140 bytes each (100 on average).
fn log_lines(lines: usize) -> Vec<u8> {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut out = Vec::with_capacity(lines * 101);
    for i in 0..lines {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        let len = 60 + (x.wrapping_mul(0x2545_f491_4f6c_dd1d) % 81) as usize;
        let text = format!("{i:08} service message: request handled status=200 bytes={x} ");
        out.extend(text.bytes().cycle().take(len));
        out.push(b'\n');
    }
    out
}

struct Case {
    program: &'static str,
    label: &'static str,
    env: Option<(&'static str, &'static str)>,
    input: PathBuf,
    /// Labels are times: compare outputs with them masked.
    mask_labels: bool,
}

/// Runs `command` with `input` on stdin and `output` as stdout; returns the wall time.
fn timed(mut command: Command, input: &Path, output: &Path) -> Duration {
    let start = Instant::now();
    let status = command
        .stdin(File::open(input).expect("input"))
        .stdout(File::create(output).expect("output"))
        .stderr(Stdio::inherit())
        .status()
        .expect("run");
    let elapsed = start.elapsed();
    assert!(status.success(), "{command:?} failed: {status}");
    elapsed
}

/// The output with every label `@` + 24 hex digits at a line start replaced by `@`.
fn masked(output: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(output.len());
    for line in output.split_inclusive(|&c| c == b'\n') {
        match line.strip_prefix(b"@") {
            Some(rest) if rest.len() >= 24 => {
                out.push(b'@');
                out.extend_from_slice(&rest[24..]);
            }
            _ => out.extend_from_slice(line),
        }
    }
    out
}

fn fingerprint(path: &Path, mask_labels: bool) -> (usize, u64) {
    let data = std::fs::read(path).expect("read output");
    let data = if mask_labels { masked(&data) } else { data };
    (data.len(), fnv1a64(&data))
}

fn median(mut d: Vec<Duration>) -> Duration {
    d.sort();
    d[d.len() / 2]
}

/// Runs the stream benchmarks that `wanted` selects and prints their table.
pub fn run(sides: &Sides, wanted: &dyn Fn(&str) -> bool, lines: usize, runs: usize) {
    let (builds, reference, dir) = (&sides.builds, &sides.reference, sides.scratch.path());
    let text = dir.join("lines");
    std::fs::write(&text, log_lines(lines)).expect("write input");
    let labelled = dir.join("labelled");
    timed(Command::new(reference.dir.join("tai64n")), &text, &labelled);

    let mut cases = Vec::new();
    if wanted("tai64n") {
        cases.push(Case {
            program: "tai64n",
            label: "",
            env: None,
            input: text.clone(),
            mask_labels: true,
        });
    }
    if wanted("tai64nlocal") {
        for (label, env) in [("TZ unset", None), ("TZ=UTC", Some(("TZ", "UTC")))] {
            cases.push(Case {
                program: "tai64nlocal",
                label,
                env,
                input: labelled.clone(),
                mask_labels: false,
            });
        }
    }

    println!(
        "Reference: {}; {lines} lines, median of {runs} alternating runs",
        reference.description
    );
    let mut header = String::from("| program | input | MB | ours MB/s | upstream MB/s | ours/upstream |");
    for build in &builds[1..] {
        header += &format!(" {0} MB/s | {0}/upstream |", build.label);
    }
    println!("{header}\n{}", "|---".repeat(4 + 2 * builds.len()) + "|");
    for case in &cases {
        let size = std::fs::metadata(&case.input).expect("input").len() as f64 / 1e6;
        let mut times = vec![Vec::new(); builds.len()];
        let mut upstream_times = Vec::new();
        let upstream_out = dir.join("out-upstream");
        let ours_out = dir.join("out-ours");
        let configured = |mut command: Command| {
            command.env_remove("TZ");
            if let Some((k, v)) = case.env {
                command.env(k, v);
            }
            command
        };
        for _ in 0..runs {
            let upstream = configured(Command::new(reference.dir.join(case.program)));
            upstream_times.push(timed(upstream, &case.input, &upstream_out));
            let want = fingerprint(&upstream_out, case.mask_labels);
            for (build, times) in builds.iter().zip(&mut times) {
                let ours = configured(build.ours.command(case.program));
                times.push(timed(ours, &case.input, &ours_out));
                assert_eq!(
                    fingerprint(&ours_out, case.mask_labels),
                    want,
                    "{} {}: the output of {} differs from upstream's",
                    case.program,
                    case.label,
                    build.label
                );
            }
        }
        let rate = |times: Vec<Duration>| size / median(times).as_secs_f64();
        let u_rate = rate(upstream_times);
        let mut rates = times.into_iter().map(rate);
        let o_rate = rates.next().expect("a build");
        let mut row = format!(
            "| {} | {} | {size:.0} | {o_rate:.0} | {u_rate:.0} | {:.2}x |",
            case.program,
            case.label,
            o_rate / u_rate
        );
        for r in rates {
            row += &format!(" {r:.0} | {:.2}x |", r / u_rate);
        }
        println!("{row}");
    }
}

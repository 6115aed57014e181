//! Helpers shared by the end-to-end tests: our programs by name, upstream's if
//! installed, and reading a child's output with a deadline instead of sleeping.

#![allow(dead_code)]

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::OnceLock;
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

/// Our program `name` (the multi-call binary invoked under that name).
pub fn ours(name: &str) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_daemontools"));
    c.arg0(name);
    c
}

/// The directory of upstream's programs, if installed (looked up once; a
/// DAEMONTOOLS_REFERENCE that names no daemontools is an error, not an absence).
pub fn reference_dir() -> Option<&'static Path> {
    static DIR: OnceLock<Option<PathBuf>> = OnceLock::new();
    DIR.get_or_init(|| {
        conformance::programs::Reference::find()
            .unwrap_or_else(|e| panic!("{e}"))
            .map(|r| r.dir)
    })
    .as_deref()
}

/// With DAEMONTOOLS_REFERENCE set (as CI does), a comparison with upstream that
/// cannot run is a failure.
pub fn live_required() -> bool {
    std::env::var_os("DAEMONTOOLS_REFERENCE").is_some_and(|v| !v.is_empty())
}

/// Upstream's program `name`, if the reference is installed.
pub fn upstream(name: &str) -> Option<Command> {
    let path = reference_dir()?.join(name);
    path.exists().then(|| Command::new(path))
}

/// Our program, and upstream's when installed, labelled for messages.
pub fn both(name: &str) -> Vec<(&'static str, Command)> {
    let mut v = vec![("ours", ours(name))];
    match upstream(name) {
        Some(c) => v.push(("upstream", c)),
        None => eprintln!("upstream {name} not installed: checking ours only"),
    }
    v
}

pub fn spawn_piped(c: &mut Command) -> Child {
    c.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn")
}

/// The chunks a child writes to stdout, as they come.
pub struct Output {
    chunks: Receiver<Vec<u8>>,
    pub seen: Vec<u8>,
}

impl Output {
    pub fn new(mut stdout: ChildStdout) -> Output {
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            let mut buf = [0u8; 65536];
            while let Ok(n) = stdout.read(&mut buf) {
                if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                    break;
                }
            }
        });
        Output {
            chunks: rx,
            seen: Vec::new(),
        }
    }

    /// Waits until the output holds `lines` complete lines, or panics at the deadline.
    pub fn wait_for_lines(&mut self, lines: usize, within: Duration) -> &[u8] {
        let deadline = Instant::now() + within;
        while self.seen.iter().filter(|&&c| c == b'\n').count() < lines {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.chunks.recv_timeout(left) {
                Ok(chunk) => self.seen.extend(chunk),
                Err(RecvTimeoutError::Timeout) => panic!(
                    "only {:?} after {within:?}, waiting for {lines} lines",
                    String::from_utf8_lossy(&self.seen)
                ),
                Err(RecvTimeoutError::Disconnected) => panic!(
                    "output closed after {:?}, waiting for {lines} lines",
                    String::from_utf8_lossy(&self.seen)
                ),
            }
        }
        &self.seen
    }

    /// Everything until the child closes its output.
    pub fn rest(&mut self, within: Duration) -> &[u8] {
        let deadline = Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.chunks.recv_timeout(left) {
                Ok(chunk) => self.seen.extend(chunk),
                Err(RecvTimeoutError::Disconnected) => return &self.seen,
                Err(RecvTimeoutError::Timeout) => panic!("output still open after {within:?}"),
            }
        }
    }
}

/// Polls `cond` until it holds (true) or `within` passes (false), pausing from 1 ms
/// up to `longest` between tries.
pub fn poll_until(within: Duration, longest: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + within;
    let mut pause = Duration::from_millis(1);
    while !cond() {
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(longest);
    }
    true
}

/// Waits for `child` to exit, killing it (by its pid) if it does not within `within`.
pub fn wait_with_deadline(child: &mut Child, within: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + within;
    let mut pause = Duration::from_millis(1);
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("pid {} still running after {within:?}", child.id());
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(50));
    }
}

/// A deterministic pseudo-random generator (xorshift64*): the same seed draws the
/// same cases on every run.
pub struct Rng(u64);

impl Rng {
    /// The state is the seed mixed by splitmix64 (never 0, which xorshift keeps):
    /// nearby seeds draw unrelated streams.
    pub fn new(seed: u64) -> Rng {
        let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        Rng((z ^ (z >> 31)).max(1))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// True with probability `percent`/100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }

    pub fn pick<'a, T: ?Sized>(&mut self, from: &[&'a T]) -> &'a T {
        from[self.below(from.len())]
    }

    pub fn byte(&mut self) -> u8 {
        (self.next_u64() >> 56) as u8
    }

    pub fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.byte()).collect()
    }
}

/// A deterministic stream of pseudo-random bytes.
pub fn random_bytes(seed: u64, len: usize) -> Vec<u8> {
    Rng::new(seed).bytes(len)
}

/// Writes control bytes straight into the FIFO, as svc does.
pub fn control(dir: &Path, bytes: &[u8]) {
    let mut fifo = std::fs::OpenOptions::new()
        .write(true)
        .open(dir.join("supervise/control"))
        .unwrap();
    std::io::Write::write_all(&mut fifo, bytes).unwrap();
}

//! Runs a scenario's steps in a fresh directory and writes down what happened.

use crate::normalize::{self, Window};
use crate::programs::Harness;
use crate::scenario::{Entry, Scenario, Side};
use crate::transcript;
use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use std::fmt::Write;
use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Why a run could not happen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NotRun {
    /// These programs are not available on the side they are needed from.
    Missing(Vec<String>),
    /// The harness itself failed (creating files, spawning the shell).
    Harness(String),
}

/// The wall clock in UNIX seconds, as a step's window is measured.
pub fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

fn create_entries(dir: &std::path::Path, scenario: &Scenario) -> std::io::Result<()> {
    for (path, entry) in &scenario.entries {
        let path = dir.join(path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        match entry {
            Entry::File { contents, mode } => {
                std::fs::write(&path, contents)?;
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(*mode))?;
            }
            Entry::Dir { mode } => {
                std::fs::create_dir_all(&path)?;
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(*mode))?;
            }
            Entry::Symlink { target } => std::os::unix::fs::symlink(target, &path)?,
        }
    }
    Ok(())
}

struct StepResult {
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    status: String,
    window: Window,
}

fn reader(mut source: impl Read + Send + 'static) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = source.read_to_end(&mut buf);
        buf
    })
}

/// Marks every descriptor this process inherited (above 2) close-on-exec, once, so
/// that steps see the same descriptors on every machine: whatever started the
/// harness (a CI runner, a terminal) leaves its own open, which would otherwise show
/// in a step that lists its descriptors.
#[allow(unsafe_code)]
fn close_inherited_descriptors_on_exec() {
    use nix::fcntl::{FcntlArg, FdFlag, fcntl};
    use std::os::fd::BorrowedFd;
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let Ok(entries) = std::fs::read_dir("/proc/self/fd") else {
            return;
        };
        let fds: Vec<i32> = entries
            .flatten()
            .filter_map(|e| e.file_name().to_str()?.parse().ok())
            .filter(|&fd| fd > 2)
            .collect();
        for fd in fds {
            // SAFETY: the borrow lasts for one fcntl call. Should `fd` have been
            // closed meanwhile (the listing's own descriptor was), the call fails
            // with EBADF; should another thread have opened a new file under that
            // number, it gets close-on-exec, which std gives every file anyway.
            let fd = unsafe { BorrowedFd::borrow_raw(fd) };
            let _ = fcntl(fd, FcntlArg::F_SETFD(FdFlag::FD_CLOEXEC));
        }
    });
}

/// Runs one step in its own process group; whatever the step leaves in that group is
/// killed when it ends.
fn run_step(mut command: Command, timeout: Duration) -> std::io::Result<StepResult> {
    close_inherited_descriptors_on_exec();
    let start = unix_now();
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()?;
    let group = Pid::from_raw(child.id() as i32);
    let out = reader(child.stdout.take().expect("piped stdout"));
    let err = reader(child.stderr.take().expect("piped stderr"));
    let deadline = Instant::now() + timeout;
    let mut pause = Duration::from_micros(200);
    let (status, timed_out) = loop {
        if let Some(status) = child.try_wait()? {
            break (status, false);
        }
        if Instant::now() >= deadline {
            let _ = killpg(group, Signal::SIGKILL);
            break (child.wait()?, true);
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(20));
    };
    let end = unix_now();
    let _ = killpg(group, Signal::SIGKILL);
    Ok(StepResult {
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
        status: transcript::status(status, timed_out),
        window: Window { start, end },
    })
}

/// Runs `scenario` with the programs of `side` and returns its normalised transcript.
pub fn run(harness: &Harness, scenario: &Scenario, side: Side) -> Result<String, NotRun> {
    let fail = |e: std::io::Error| NotRun::Harness(e.to_string());
    let label = match side {
        Side::Ours => "ours",
        Side::Reference => "reference",
    };
    let base = harness
        .scratch()
        .join(format!("{}-{}-{label}", scenario.program, scenario.name));
    let (bin, work) = (base.join("bin"), base.join("work"));
    std::fs::create_dir_all(&bin).map_err(fail)?;
    std::fs::create_dir_all(&work).map_err(fail)?;
    let result = (|| {
        let mut missing = harness.populate(&bin, scenario, side).map_err(fail)?;
        let upstream = base.join("upstream");
        if scenario.uses_upstream {
            std::fs::create_dir_all(&upstream).map_err(fail)?;
            if !harness.populate_upstream(&upstream).map_err(fail)? {
                missing.push("upstream's programs ($UPSTREAM)".into());
            }
        }
        if !missing.is_empty() {
            return Err(NotRun::Missing(missing));
        }
        create_entries(&work, scenario).map_err(fail)?;
        let path = format!("{}:{}", bin.display(), harness.tools().display());
        let paths = normalize::Paths::new(&[
            (&work, "<work>"),
            (&bin, "<bin>"),
            (&upstream, "<upstream>"),
            (harness.tools(), "<tools>"),
        ]);
        let mut text = String::new();
        let mut window = Window {
            start: i64::MAX,
            end: i64::MIN,
        };
        for step in &scenario.steps {
            let mut command = Command::new("/bin/sh");
            command
                .arg("-c")
                .arg(format!("{}{}", scenario.prelude, step.script))
                .current_dir(&work)
                .env_clear()
                .env("PATH", &path)
                .env("HOME", &work)
                .env("LC_ALL", "C");
            if scenario.uses_upstream {
                command.env("UPSTREAM", &upstream);
            }
            for (k, v) in &scenario.env {
                command.env(k, v);
            }
            let r = run_step(command, step.timeout).map_err(fail)?;
            let norm = |b: &[u8]| normalize::apply(&scenario.norms, r.window, &paths.replace(b));
            window = Window {
                start: window.start.min(r.window.start),
                end: window.end.max(r.window.end),
            };
            let _ = writeln!(text, "$ {}", step.script);
            let _ = write!(text, "stdout:\n{}", transcript::render(&norm(&r.stdout)));
            let _ = write!(text, "stderr:\n{}", transcript::render(&norm(&r.stderr)));
            let _ = writeln!(text, "status: {}", r.status);
        }
        let norm = |b: &[u8]| normalize::apply(&scenario.norms, window, &paths.replace(b));
        let _ = write!(
            text,
            "files:\n{}",
            transcript::list_files(&work, scenario.show_contents, &scenario.volatile, &norm)
        );
        Ok(text)
    })();
    drop(crate::tempdir::TempDir::adopt(base));
    result
}

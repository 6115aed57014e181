//! svstat: prints the status of services (spec 5), one line per directory; the
//! line is `model::status`'s. Always exits 0 once the lines are written.

use model::status::{LEN, Observed, svstat_body};
use model::supervise::info::State;
use nix::errno::Errno;
use nix::fcntl::{OFlag, open};
use nix::sys::stat::Mode;
use runtime::errstr::errno_text;
use crate::exit::fatal;
use std::ffi::OsString;
use std::io::stdout;
use std::os::fd::AsFd;
use std::os::unix::ffi::OsStrExt;

const PROG: &str = "svstat";

/// Looks at the service in the current directory. `buf` keeps its bytes from one
/// directory to the next, as upstream's static buffer does.
fn observe(buf: &mut [u8; LEN], now: i64) -> String {
    let down_file = match nix::sys::stat::stat("down") {
        Ok(_) => true,
        Err(Errno::ENOENT) => false,
        Err(e) => return svstat_body(Observed::UnableToStatDown(errno_text(e))),
    };
    let flags = OFlag::O_NONBLOCK | OFlag::O_CLOEXEC;
    match open("supervise/ok", OFlag::O_WRONLY | flags, Mode::empty()) {
        Ok(_) => {}
        Err(Errno::ENXIO) => return svstat_body(Observed::NotRunning),
        Err(e) => return svstat_body(Observed::UnableToOpenOk(errno_text(e))),
    }
    let fd = match open("supervise/status", OFlag::O_RDONLY | flags, Mode::empty()) {
        Ok(fd) => fd,
        Err(e) => return svstat_body(Observed::UnableToOpenStatus(errno_text(e))),
    };
    // One read, as upstream: a short one is "bad format"; a failed one leaves the
    // buffer as it was, and upstream shows that (see `model::status::Observed`).
    let n = runtime::io::read(&fd, buf).unwrap_or(LEN);
    svstat_body(Observed::Status {
        bytes: &buf[..n],
        down_file,
        now,
        state: info_state(),
    })
}

/// The state in `supervise/info`, which ours keeps while an extension file is in
/// use (svstat(8), EXTENSIONS); none where it cannot be read as one.
fn info_state() -> Option<State> {
    let fd = open("supervise/info", OFlag::O_RDONLY | OFlag::O_NONBLOCK | OFlag::O_CLOEXEC, Mode::empty()).ok()?;
    let mut info = [0u8; 512];
    let n = runtime::io::read(&fd, &mut info).ok()?;
    State::from_info(&info[..n])
}

pub fn main(argv: Vec<OsString>) -> i32 {
    let start = open(
        ".",
        OFlag::O_RDONLY | OFlag::O_NONBLOCK | OFlag::O_CLOEXEC,
        Mode::empty(),
    )
    .unwrap_or_else(|e| fatal(PROG, &[b"unable to open current directory"], Some(e)));
    let mut out = Vec::new();
    let mut buf = [0u8; LEN];
    for dir in argv.iter().skip(1) {
        out.extend_from_slice(dir.as_bytes());
        out.extend_from_slice(b": ");
        let body = match nix::unistd::chdir(dir.as_os_str()) {
            Err(e) => svstat_body(Observed::UnableToChdir(errno_text(e))),
            Ok(()) => observe(&mut buf, runtime::clock::now().unix_secs()),
        };
        out.extend_from_slice(body.as_bytes());
        out.push(b'\n');
        if let Err(e) = nix::unistd::fchdir(&start) {
            fatal(PROG, &[b"unable to set directory"], Some(e));
        }
    }
    let _ = runtime::io::write_all(stdout().as_fd(), &out);
    0
}

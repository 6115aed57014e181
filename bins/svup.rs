//! svup: exits 0 if a service (and its log) is up, 100 if not, 111 on an error
//! (svup(8), daemontools-encore's); `model::svup` decides.

use crate::exit::{fatal, usage};
use model::status::{LEN, Record};
use model::svup::{Check, Found, USAGE, request, up};
use nix::errno::Errno;
use nix::fcntl::{OFlag, open};
use nix::sys::stat::Mode;
use runtime::message::EXIT_PERMANENT;
use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;

const PROG: &str = "svup";

pub fn main(argv: Vec<OsString>) -> i32 {
    let request = request(&argv.iter().map(|a| a.as_bytes()).collect::<Vec<_>>());
    let Some((check, dir)) = request.and_then(|(check, dir)| Some((check, argv.get(dir)?))) else {
        usage(PROG, USAGE, EXIT_PERMANENT)
    };
    let dir = dir.as_bytes();
    if let Err(e) = nix::unistd::chdir(dir) {
        fatal(PROG, &[b"unable to chdir to ", dir], Some(e));
    }
    let service = if check == Check::Log { Found::Absent } else { look("supervise") };
    let log = match check {
        Check::Service => Found::Absent,
        Check::Log => look("log/supervise"),
        Check::Both => match nix::sys::stat::stat("log") {
            Err(Errno::ENOENT) => Found::Absent,
            _ => look("log/supervise"),
        },
    };
    if up(check, service, log) { 0 } else { EXIT_PERMANENT }
}

/// What `supervise` (the service's, or its log's) says.
fn look(supervise: &str) -> Found {
    let flags = OFlag::O_NONBLOCK | OFlag::O_CLOEXEC;
    let ok = format!("{supervise}/ok");
    match open(ok.as_str(), OFlag::O_WRONLY | flags, Mode::empty()) {
        Ok(_) => {}
        Err(Errno::ENOENT | Errno::ENXIO) => return Found::NotRunning,
        Err(e) => fatal(PROG, &[b"unable to open ", ok.as_bytes()], Some(e)),
    }
    let status = format!("{supervise}/status");
    let fd = match open(status.as_str(), OFlag::O_RDONLY | flags, Mode::empty()) {
        Ok(fd) => fd,
        Err(Errno::ENOENT) => return Found::NotRunning,
        Err(e) => fatal(PROG, &[b"unable to open ", status.as_bytes()], Some(e)),
    };
    let mut buf = [0u8; LEN];
    match runtime::io::read(&fd, &mut buf) {
        Err(e) => fatal(PROG, &[b"unable to read ", status.as_bytes()], Some(e)),
        Ok(n) => match Record::decode(&buf[..n]) {
            Some(r) => Found::Record(r),
            None => fatal(PROG, &[b"bad data in ", status.as_bytes(), b": truncated file"], None),
        },
    }
}

//! svc: sends control bytes to supervise (spec 3), as `model::svc` decides, to every
//! directory in one write; failures are warnings and the exit status is always 0.
//! With `-W` (svc(8), EXTENSIONS) it then waits as svwait does, and exits as svwait.

use model::svc::{ControlOpen, control_warning, request};
use nix::errno::Errno;
use nix::fcntl::{FcntlArg, OFlag, fcntl, open};
use nix::sys::stat::Mode;
use crate::exit::fatal;
use runtime::message::{EXIT_PERMANENT, EXIT_TEMPORARY, to_stderr, warn};
use runtime::svwait::Wanted;
use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

const PROG: &str = "svc";

pub fn main(argv: Vec<OsString>) -> i32 {
    runtime::process::ignore_sigpipe();
    let args: Vec<&[u8]> = argv.iter().map(|a| a.as_bytes()).collect();
    let request = match request(&args) {
        Ok(r) => r,
        Err(usage) => {
            to_stderr(&usage);
            return EXIT_PERMANENT;
        }
    };
    let start = open(
        ".",
        OFlag::O_RDONLY | OFlag::O_NONBLOCK | OFlag::O_CLOEXEC,
        Mode::empty(),
    )
    .unwrap_or_else(|e| fatal(PROG, &[b"unable to open current directory"], Some(e)));
    let dirs: Vec<&Path> = argv.get(request.dirs_start..).unwrap_or_default().iter().map(Path::new).collect();
    // The state before anything is sent, which `-W r` and `-W R` compare with.
    let firsts = match request.wait {
        None => None,
        Some(_) => match dirs.iter().map(|dir| runtime::svwait::look(dir, true)).collect() {
            Ok(firsts) => Some(firsts),
            Err(fatal) => {
                to_stderr(&fatal.line(PROG));
                return EXIT_TEMPORARY;
            }
        },
    };
    for dir in args.get(request.dirs_start..).unwrap_or_default() {
        match nix::unistd::chdir(*dir) {
            Err(e) => warn(PROG, &[b"unable to chdir to ", dir], Some(e)),
            Ok(()) => send(dir, &request.commands),
        }
        if let Err(e) = nix::unistd::fchdir(&start) {
            fatal(PROG, &[b"unable to set directory"], Some(e));
        }
    }
    match request.wait {
        None => 0,
        Some((goal, timeout_ms)) => {
            let wanted = Wanted {
                goal,
                any: false,
                min_uptime: 0,
                timeout_ms,
            };
            crate::svwait::finish(PROG, wanted, &dirs, firsts)
        }
    }
}

fn send(dir: &[u8], commands: &[u8]) {
    let flags = OFlag::O_WRONLY | OFlag::O_NONBLOCK | OFlag::O_CLOEXEC;
    match open("supervise/control", flags, Mode::empty()) {
        Err(e) => {
            let failure = if e == Errno::ENXIO { ControlOpen::NoReader } else { ControlOpen::Failed };
            let (text, with_error) = control_warning(dir, failure);
            warn(PROG, &[&text], with_error.then_some(e));
        }
        Ok(fd) => {
            let blocking = fcntl(&fd, FcntlArg::F_GETFL)
                .map(|f| OFlag::from_bits_truncate(f) & !OFlag::O_NONBLOCK)
                .and_then(|f| fcntl(&fd, FcntlArg::F_SETFL(f)));
            let written = blocking.and_then(|_| runtime::io::write_all(&fd, commands));
            if let Err(e) = written {
                warn(PROG, &[b"error writing commands to ", dir], Some(e));
            }
        }
    }
}

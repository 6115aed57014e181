//! svc: sends control bytes to supervise (spec 3). Each option letter is sent once,
//! in order of first appearance, to every directory, in one write; failures are
//! warnings and the exit status is always 0.

use model::getopt::{GetOpt, Opt, complaint};
use nix::errno::Errno;
use nix::fcntl::{FcntlArg, OFlag, fcntl, open};
use nix::sys::stat::Mode;
use runtime::message::{EXIT_PERMANENT, fatal, to_stderr, warn};
use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;

const PROG: &str = "svc";
const OPTIONS: &str = "udopchaitkx";

pub fn main(argv: Vec<OsString>) -> i32 {
    runtime::process::ignore_sigpipe();
    let args: Vec<&[u8]> = argv.iter().map(|a| a.as_bytes()).collect();
    let mut getopt = GetOpt::new(&args, OPTIONS);
    let mut commands = Vec::new();
    while let Some(opt) = getopt.next() {
        match opt {
            Opt::Flag(c) if !commands.contains(&c) => commands.push(c),
            Opt::Flag(_) => {}
            _ => {
                if let Some(text) = complaint(args.first().copied().unwrap_or_default(), &opt) {
                    to_stderr(&text);
                }
                to_stderr(
                    b"svc options: u up, d down, o once, x exit, p pause, c continue, h hup, a alarm, i interrupt, t term, k kill\n",
                );
                std::process::exit(EXIT_PERMANENT);
            }
        }
    }
    let start = open(
        ".",
        OFlag::O_RDONLY | OFlag::O_NONBLOCK | OFlag::O_CLOEXEC,
        Mode::empty(),
    )
    .unwrap_or_else(|e| fatal(PROG, &[b"unable to open current directory"], Some(e)));
    for dir in &argv[getopt.operands_start()..] {
        let dir = dir.as_bytes();
        match nix::unistd::chdir(dir) {
            Err(e) => warn(PROG, &[b"unable to chdir to ", dir], Some(e)),
            Ok(()) => send(dir, &commands),
        }
        if let Err(e) = nix::unistd::fchdir(&start) {
            fatal(PROG, &[b"unable to set directory"], Some(e));
        }
    }
    0
}

fn send(dir: &[u8], commands: &[u8]) {
    let flags = OFlag::O_WRONLY | OFlag::O_NONBLOCK | OFlag::O_CLOEXEC;
    match open("supervise/control", flags, Mode::empty()) {
        Err(Errno::ENXIO) => warn(
            PROG,
            &[b"unable to control ", dir, b": supervise not running"],
            None,
        ),
        Err(e) => warn(PROG, &[b"unable to control ", dir], Some(e)),
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

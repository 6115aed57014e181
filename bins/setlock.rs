//! setlock: runs a program holding an exclusive lock on a file (spec 18). The locked
//! descriptor is inherited by the program, so the lock lives as long as it does.

use model::getopt::{GetOpt, Opt, complaint};
use model::setlock::{OPTIONS, Options};
use nix::fcntl::{OFlag, open};
use nix::sys::stat::Mode;
use crate::exit::{fatal, usage};
use runtime::message::{EXIT_PERMANENT, to_stderr};
use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;

const PROG: &str = "setlock";
const USAGE: &str = "setlock [ -nNxX ] file program [ arg ... ]";

pub fn main(argv: Vec<OsString>) -> i32 {
    let args: Vec<&[u8]> = argv.iter().map(|a| a.as_bytes()).collect();
    let mut getopt = GetOpt::new(&args, OPTIONS);
    let mut options = Options::default();
    while let Some(opt) = getopt.next() {
        let known = matches!(opt, Opt::Flag(c) if options.take(c));
        if !known {
            if let Some(text) = complaint(args.first().copied().unwrap_or_default(), &opt) {
                to_stderr(&text);
            }
            usage(PROG, USAGE, EXIT_PERMANENT);
        }
    }
    let operands = argv.get(getopt.operands_start()..).unwrap_or_default();
    let [file, child @ ..] = operands else {
        usage(PROG, USAGE, EXIT_PERMANENT)
    };
    if child.is_empty() {
        usage(PROG, USAGE, EXIT_PERMANENT);
    }
    let give_up = |what: &[u8], e| -> ! {
        if options.quiet {
            std::process::exit(0);
        }
        fatal(PROG, &[what, file.as_bytes()], Some(e))
    };
    // Not close-on-exec: the program inherits the locked descriptor.
    let flags = OFlag::O_WRONLY | OFlag::O_NONBLOCK | OFlag::O_APPEND | OFlag::O_CREAT;
    let fd = open(file.as_os_str(), flags, Mode::from_bits_truncate(0o600))
        .unwrap_or_else(|e| give_up(b"unable to open ", e));
    let _locked = runtime::io::lock_exclusive(fd, !options.nonblocking)
        .unwrap_or_else(|e| give_up(b"unable to lock ", e));
    crate::exit::run_or_die(PROG, child, None)
}

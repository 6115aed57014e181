//! svok: exits 0 if supervise is running on a directory, 100 if not (spec 4).

use nix::errno::Errno;
use nix::fcntl::{OFlag, open};
use nix::sys::stat::Mode;
use crate::exit::{fatal, usage};
use runtime::message::EXIT_PERMANENT;
use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;

const PROG: &str = "svok";

pub fn main(argv: Vec<OsString>) -> i32 {
    let Some(dir) = argv.get(1) else {
        usage(PROG, "svok dir", EXIT_PERMANENT)
    };
    if let Err(e) = nix::unistd::chdir(dir.as_os_str()) {
        fatal(PROG, &[b"unable to chdir to ", dir.as_bytes()], Some(e));
    }
    // Opening the FIFO for writing succeeds only while supervise holds it open for reading.
    match open(
        "supervise/ok",
        OFlag::O_WRONLY | OFlag::O_NONBLOCK | OFlag::O_CLOEXEC,
        Mode::empty(),
    ) {
        Ok(_) => 0,
        Err(Errno::ENOENT | Errno::ENXIO) => EXIT_PERMANENT,
        Err(e) => fatal(
            PROG,
            &[b"unable to open ", dir.as_bytes(), b"/supervise/ok"],
            Some(e),
        ),
    }
}

//! fghack: runs a program that puts itself in the background, and waits until it and
//! every process it leaves behind are gone (spec 9).
//!
//! The program gets the write end of a pipe 31 times over; fghack reads the other
//! end until every copy is closed, then waits for the program and exits as it did.

use nix::sys::wait::{WaitStatus, waitpid};
use crate::exit::{fatal, usage};
use runtime::message::EXIT_PERMANENT;
use runtime::process::{Forked, fork};
use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;

const PROG: &str = "fghack";

pub fn main(argv: Vec<OsString>) -> i32 {
    let child_argv = argv.get(1..).unwrap_or_default();
    let Some(program_name) = child_argv.first() else {
        usage(PROG, "fghack child", EXIT_PERMANENT)
    };
    // Inherited by the program: not close-on-exec.
    let (reader, writer) =
        nix::unistd::pipe().unwrap_or_else(|e| fatal(PROG, &[b"unable to create pipe"], Some(e)));
    let program = runtime::exec::prepare(child_argv, None);
    match fork() {
        Err(e) => fatal(PROG, &[b"unable to fork"], Some(e)),
        Ok(Forked::Child) => {
            drop(reader);
            // Thirty more copies of the write end, on the lowest free descriptors.
            let copies: Vec<_> = (0..30).filter_map(|_| nix::unistd::dup(&writer).ok()).collect();
            let e = program.run();
            drop(copies);
            fatal(PROG, &[b"unable to run ", program_name.as_bytes()], Some(e))
        }
        Ok(Forked::Parent(pid)) => {
            drop(writer);
            let mut buf = [0u8; 4096];
            while matches!(runtime::io::read(&reader, &mut buf), Ok(n) if n > 0) {}
            loop {
                match waitpid(pid, None) {
                    Ok(WaitStatus::Exited(_, code)) => return code,
                    Ok(WaitStatus::Signaled(..)) => fatal(PROG, &[b"child crashed"], None),
                    Ok(_) | Err(nix::errno::Errno::EINTR) => continue,
                    Err(e) => fatal(PROG, &[b"wait failed"], Some(e)),
                }
            }
        }
    }
}

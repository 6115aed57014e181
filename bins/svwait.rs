//! svwait: waits until services are up, ready, down, finished, restarted or
//! without supervise (svwait(8)); `model::svwait` decides, `runtime::svwait` looks
//! and sleeps.

use crate::exit::usage;
use model::svwait::{EXIT_NOT_RUNNING, EXIT_TIMED_OUT, USAGE, request};
use runtime::message::{EXIT_PERMANENT, EXIT_TEMPORARY, line, to_stderr};
use runtime::svwait::{Waited, Wanted, look, wait};
use std::ffi::OsString;
use std::path::Path;

const PROG: &str = "svwait";

pub fn main(argv: Vec<OsString>) -> i32 {
    let request = match request(&argv.iter().map(|a| a.as_encoded_bytes()).collect::<Vec<_>>()) {
        Ok(r) => r,
        Err(complaint) => {
            to_stderr(&complaint);
            usage(PROG, USAGE, EXIT_PERMANENT)
        }
    };
    let dirs: Vec<&Path> = argv.get(request.dirs_start..).unwrap_or_default().iter().map(Path::new).collect();
    let wanted = Wanted {
        goal: request.goal,
        any: request.any,
        min_uptime: request.min_uptime,
        timeout_ms: request.timeout_ms,
    };
    finish(PROG, wanted, &dirs, None)
}

/// Waits as `wanted` says, judged against `firsts` (looked at now if `None`), and
/// gives the exit status, after saying why on fd 2 where it is not 0. (`svc -W`
/// ends the same way.)
pub fn finish(prog: &str, wanted: Wanted, dirs: &[&Path], firsts: Option<Vec<model::svwait::Look>>) -> i32 {
    let firsts = match firsts {
        Some(firsts) => Ok(firsts),
        None => dirs.iter().map(|dir| look(dir, true)).collect(),
    };
    match firsts.and_then(|firsts| wait(wanted, dirs, &firsts)) {
        Err(fatal) => {
            to_stderr(&fatal.line(prog));
            EXIT_TEMPORARY
        }
        Ok(Waited::TimedOut) => {
            to_stderr(&line(prog, "fatal", &[b"timed out"], None));
            EXIT_TIMED_OUT
        }
        Ok(Waited::Exit(status, not_running)) => {
            if status == EXIT_NOT_RUNNING {
                for i in not_running {
                    let dir = dirs[i].as_os_str().as_encoded_bytes();
                    to_stderr(&line(prog, "fatal", &[b"unable to wait for ", dir, b": supervise not running"], None));
                }
            } else if status != 0 {
                let count = status.to_string();
                to_stderr(&line(prog, "fatal", &[count.as_bytes(), b" failed for good"], None));
            }
            status
        }
    }
}

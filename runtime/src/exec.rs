//! Running a program found as upstream finds it (spec 1.4): a name with a `/` is run
//! as it is, others are looked up along this process's PATH.

use model::pathexec::{Failure, Search, candidates};
use nix::errno::Errno;
use std::ffi::{CString, OsStr, OsString};
use std::os::unix::ffi::OsStrExt;

fn c_string(bytes: &[u8]) -> CString {
    // Arguments and environment entries come from C strings and hold no NUL; should one
    // ever, it is cut there, as C would have seen it.
    let end = bytes.iter().position(|&c| c == 0).unwrap_or(bytes.len());
    CString::new(&bytes[..end]).unwrap_or_default()
}

/// As [`c_string`], keeping the allocation.
fn owned_c_string(mut bytes: Vec<u8>) -> CString {
    if let Some(end) = bytes.iter().position(|&c| c == 0) {
        bytes.truncate(end);
    }
    CString::new(bytes).unwrap_or_default()
}

fn classify(e: Errno) -> Failure {
    match e {
        Errno::ENOENT => Failure::NotFound,
        Errno::EACCES | Errno::EPERM | Errno::EISDIR => Failure::Denied,
        _ => Failure::Other,
    }
}

/// Everything an exec needs, built before it is tried (so that after a fork the child
/// only calls `execve`).
pub struct Prepared {
    paths: Vec<CString>,
    argv: Vec<CString>,
    env: Option<Vec<CString>>,
}

/// Prepares running `argv` (argv[0] is the program) with `env`, or with this process's
/// environment if `None`. The search uses this process's PATH, whatever `env` says.
pub fn prepare(argv: &[OsString], env: Option<Vec<Vec<u8>>>) -> Prepared {
    let file = argv.first().map_or(&b""[..], |a| a.as_bytes());
    let path = std::env::var_os("PATH");
    Prepared {
        paths: candidates(file, path.as_deref().map(OsStr::as_bytes))
            .map(|p| c_string(&p))
            .collect(),
        argv: argv.iter().map(|a| c_string(a.as_bytes())).collect(),
        env: env.map(|e| e.into_iter().map(owned_c_string).collect()),
    }
}

impl Prepared {
    /// Tries each candidate; returns (only on failure) the error to report.
    pub fn run(&self) -> Errno {
        let mut search = Search::new();
        for path in &self.paths {
            let result = match &self.env {
                Some(env) => nix::unistd::execve(path, &self.argv, env),
                None => nix::unistd::execv(path, &self.argv),
            };
            let Err(e) = result;
            if !search.failed(e, classify(e)) {
                break;
            }
        }
        search.error().unwrap_or(Errno::ENOENT)
    }
}

/// Runs `argv` (see [`prepare`]); returns only on failure, with the error to report.
pub fn pathexec(argv: &[OsString], env: Option<Vec<Vec<u8>>>) -> Errno {
    prepare(argv, env).run()
}

/// This process's environment as `NAME=value` entries, in order. Each has room for
/// the NUL a C string needs, so that turning it into one does not copy it.
pub fn environment() -> Vec<Vec<u8>> {
    std::env::vars_os()
        .map(|(k, v)| {
            let mut entry = Vec::with_capacity(k.len() + v.len() + 2);
            entry.extend_from_slice(k.as_bytes());
            entry.push(b'=');
            entry.extend_from_slice(v.as_bytes());
            entry
        })
        .collect()
}

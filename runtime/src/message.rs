//! Upstream's diagnostics (spec 1.1): `prog: fatal: text`, `prog: warning: text`,
//! `prog: usage: synopsis`, each one line on fd 2, a system error's text after `: `.
//! The program name is fixed per program, never taken from argv[0].

use crate::errstr::errno_text;
use crate::io::write_all;
use nix::errno::Errno;
use std::io::stderr;
use std::os::fd::AsFd;

/// Exit status for temporary failures and system errors.
pub const EXIT_TEMPORARY: i32 = 111;
/// Exit status for usage errors and permanent failures.
pub const EXIT_PERMANENT: i32 = 100;

/// Builds one diagnostic line: `prog: kind: parts…[: error]\n`.
pub fn line(prog: &str, kind: &str, parts: &[&[u8]], error: Option<Errno>) -> Vec<u8> {
    let mut msg = Vec::with_capacity(128);
    msg.extend_from_slice(prog.as_bytes());
    msg.extend_from_slice(b": ");
    msg.extend_from_slice(kind.as_bytes());
    msg.extend_from_slice(b": ");
    for p in parts {
        msg.extend_from_slice(p);
    }
    if let Some(e) = error {
        msg.extend_from_slice(b": ");
        msg.extend_from_slice(errno_text(e).as_bytes());
    }
    msg.push(b'\n');
    msg
}

/// The start of a fatal line whose error is not known yet: `prog: fatal: parts…: `
/// (for a child that can no longer build one, see `process::spawn_shared`).
pub fn fatal_prefix(prog: &str, parts: &[&[u8]]) -> Vec<u8> {
    let mut msg = line(prog, "fatal", parts, None);
    msg.pop();
    msg.extend_from_slice(b": ");
    msg
}

/// A failure that ends a program, returned to bins/, which prints [`Fatal::line`]
/// and exits 111.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fatal {
    text: Vec<u8>,
    error: Option<Errno>,
    /// `prog: fatal: ` comes first (all but one of upstream's messages).
    prefixed: bool,
}

impl Fatal {
    /// `prog: fatal: parts…[: error]`.
    pub fn new(parts: &[&[u8]], error: Option<Errno>) -> Fatal {
        Fatal {
            text: parts.concat(),
            error,
            prefixed: true,
        }
    }

    /// `parts…[: error]` without the program's prefix.
    pub fn bare(parts: &[&[u8]], error: Option<Errno>) -> Fatal {
        Fatal {
            prefixed: false,
            ..Fatal::new(parts, error)
        }
    }

    /// The line to print for program `prog`.
    pub fn line(&self, prog: &str) -> Vec<u8> {
        if self.prefixed {
            return line(prog, "fatal", &[&self.text], self.error);
        }
        let mut text = self.text.clone();
        if let Some(e) = self.error {
            text.extend_from_slice(b": ");
            text.extend_from_slice(errno_text(e).as_bytes());
        }
        text.push(b'\n');
        text
    }
}

/// Prints `fatal`'s line for `prog`; returns the exit status for it (111).
pub fn report(prog: &str, fatal: &Fatal) -> i32 {
    to_stderr(&fatal.line(prog));
    EXIT_TEMPORARY
}

/// Writes raw bytes to fd 2; a failure to report is not reported.
pub fn to_stderr(bytes: &[u8]) {
    let _ = write_all(stderr().as_fd(), bytes);
}

pub fn warn(prog: &str, parts: &[&[u8]], error: Option<Errno>) {
    to_stderr(&line(prog, "warning", parts, error));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(
            line(
                "supervise",
                "fatal",
                &[b"unable to chdir to ", b"nonexistent"],
                Some(Errno::ENOENT)
            ),
            b"supervise: fatal: unable to chdir to nonexistent: file does not exist\n"
        );
        assert_eq!(
            line(
                "svc",
                "warning",
                &[b"unable to control ", b"s3", b": supervise not running"],
                None
            ),
            b"svc: warning: unable to control s3: supervise not running\n"
        );
        assert_eq!(
            fatal_prefix("supervise", &[b"unable to start ", b"s", b"/run"]),
            b"supervise: fatal: unable to start s/run: "
        );
        assert_eq!(
            line("envdir", "usage", &[b"envdir dir child"], None),
            b"envdir: usage: envdir dir child\n"
        );
        assert_eq!(
            Fatal::new(&[b"unable to chdir to ", b"s"], Some(Errno::ENOENT)).line("supervise"),
            b"supervise: fatal: unable to chdir to s: file does not exist\n"
        );
        assert_eq!(
            Fatal::bare(&[b"unable to readlink ./supervise"], Some(Errno::EACCES)).line("supervise"),
            b"unable to readlink ./supervise: access denied\n"
        );
    }
}

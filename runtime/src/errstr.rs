//! The error texts daemontools prints after `: ` (spec 1.2): djb's own strings, not
//! strerror's. Taken from what upstream's `error_str` returns for each Linux errno.

use nix::errno::Errno;

/// Upstream's text for an errno value; anything unlisted is `unknown error`.
pub fn errstr(errno: i32) -> &'static str {
    match errno {
        0 => "no error",
        1 => "permission denied",
        2 => "file does not exist",
        3 => "no such process",
        4 => "interrupted system call",
        5 => "input/output error",
        6 => "device not configured",
        7 => "argument list too long",
        8 => "exec format error",
        9 => "file descriptor not open",
        10 => "no child processes",
        11 => "temporary failure",
        12 => "out of memory",
        13 => "access denied",
        14 => "bad address",
        15 => "not a block device",
        16 => "device busy",
        17 => "file already exists",
        18 => "cross-device link",
        19 => "device does not support operation",
        20 => "not a directory",
        21 => "is a directory",
        22 => "invalid argument",
        23 => "system cannot open more files",
        24 => "process cannot open more files",
        25 => "not a tty",
        26 => "text busy",
        27 => "file too big",
        28 => "out of disk space",
        29 => "unseekable descriptor",
        30 => "read-only file system",
        31 => "too many links",
        32 => "broken pipe",
        33 => "input out of range",
        34 => "output out of range",
        35 => "operation would cause deadlock",
        36 => "file name too long",
        37 => "no locks available",
        38 => "system call not available",
        39 => "directory not empty",
        40 => "symbolic link loop",
        42 => "no message of desired type",
        43 => "identifier removed",
        60 => "not a stream device",
        62 => "timer expired",
        63 => "out of stream resources",
        64 => "machine not on network",
        66 => "too many levels of remote in path",
        67 => "link severed",
        68 => "advertise error",
        69 => "srmount error",
        70 => "communication error",
        71 => "protocol error",
        72 => "multihop attempted",
        74 => "bad message type",
        78 => "remote address changed",
        87 => "too many users",
        88 => "not a socket",
        89 => "destination address required",
        90 => "message too long",
        91 => "incorrect protocol type",
        92 => "protocol not available",
        93 => "protocol not supported",
        94 => "socket type not supported",
        95 => "operation not supported",
        96 => "protocol family not supported",
        97 => "address family not supported",
        98 => "address already used",
        99 => "address not available",
        100 => "network down",
        101 => "network unreachable",
        102 => "network reset",
        103 => "connection aborted",
        104 => "connection reset",
        105 => "out of buffer space",
        106 => "already connected",
        107 => "not connected",
        108 => "socket shut down",
        109 => "too many references",
        110 => "timed out",
        111 => "connection refused",
        112 => "host down",
        113 => "host unreachable",
        114 => "operation already in progress",
        115 => "operation in progress",
        116 => "stale NFS file handle",
        122 => "disk quota exceeded",
        _ => "unknown error",
    }
}

/// The text for an error from `nix`.
pub fn errno_text(e: Errno) -> &'static str {
    errstr(e as i32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_texts_scripts_match_on() {
        assert_eq!(errno_text(Errno::ENOENT), "file does not exist");
        assert_eq!(errno_text(Errno::EAGAIN), "temporary failure");
        assert_eq!(errno_text(Errno::EWOULDBLOCK), "temporary failure");
        assert_eq!(errno_text(Errno::EACCES), "access denied");
        assert_eq!(errno_text(Errno::EPERM), "permission denied");
        assert_eq!(errno_text(Errno::ELOOP), "symbolic link loop");
        assert_eq!(errno_text(Errno::ENXIO), "device not configured");
        assert_eq!(errno_text(Errno::EDEADLK), "operation would cause deadlock");
        assert_eq!(errno_text(Errno::ENOTSUP), "operation not supported");
    }

    #[test]
    fn unlisted_errors_are_unknown() {
        for e in [
            Errno::EOVERFLOW,
            Errno::ECANCELED,
            Errno::EILSEQ,
            Errno::ENOMEDIUM,
            Errno::EOWNERDEAD,
        ] {
            assert_eq!(errno_text(e), "unknown error");
        }
        assert_eq!(errstr(-1), "unknown error");
        assert_eq!(errstr(0), "no error");
    }
}

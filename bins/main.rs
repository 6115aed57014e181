//! The multi-call binary: installed as `tai64n`, `tai64nlocal`, … (hard links), it
//! runs the program named by argv[0].
//!
//! It is entered through C's `main` instead of Rust's runtime start, because that
//! start sets SIGPIPE to "ignore", which upstream never does: tai64n must die of
//! SIGPIPE like upstream's, and a program that execs another (envdir, setuidgid, …)
//! must not pass an ignored SIGPIPE on to it. Skipping it also makes start-up cheaper.
#![no_main]

use std::ffi::{c_char, c_int};

// SAFETY: `main` is the symbol the C runtime calls; exporting it unmangled is the
// only unsafe part, and the function itself does nothing unsafe. std's argument and
// environment access work without Rust's start-up on glibc (std reads them from its
// own .init_array hook).
#[unsafe(no_mangle)]
extern "C" fn main(_argc: c_int, _argv: *const *const c_char) -> c_int {
    daemontools::dispatch(std::env::args_os().collect())
}

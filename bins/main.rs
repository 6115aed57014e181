//! The multi-call binary: installed as `tai64n`, `tai64nlocal`, … (hard links), it
//! runs the program named by the path the kernel executed, or else by argv[0].
//!
//! It is entered through C's `main` instead of Rust's runtime start, because that
//! start sets SIGPIPE to "ignore", which upstream never does: tai64n must die of
//! SIGPIPE like upstream's, and a program that execs another (envdir, setuidgid, …)
//! must not pass an ignored SIGPIPE on to it. Skipping it also makes start-up cheaper.
//! The arguments are `main`'s own: without Rust's start, std has them only on glibc.
#![no_main]

use std::ffi::{CStr, OsString, c_char, c_int};
use std::os::unix::ffi::OsStringExt;

// SAFETY: `main` is the symbol the C runtime calls; exporting it unmangled is
// unsafe only in that nothing else may define it.
#[unsafe(no_mangle)]
extern "C" fn main(argc: c_int, argv: *const *const c_char) -> c_int {
    let args = (0..usize::try_from(argc).unwrap_or(0))
        // SAFETY: the C runtime passes `argc` pointers in `argv`, each to a
        // NUL-terminated string that lives as long as the process.
        .map(|i| unsafe { CStr::from_ptr(*argv.add(i)) })
        .map(|arg| OsString::from_vec(arg.to_bytes().to_vec()))
        .collect();
    // SAFETY: getauxval only reads the auxiliary vector, and AT_EXECFN's value is
    // 0 or a pointer to the NUL-terminated path the kernel executed, on the
    // process's initial stack, where it stays for the life of the process.
    let executed = unsafe {
        let path = nix::libc::getauxval(nix::libc::AT_EXECFN) as *const c_char;
        (!path.is_null()).then(|| CStr::from_ptr(path).to_bytes())
    };
    daemontools::dispatch(executed, args)
}

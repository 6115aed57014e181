//! The programs of daemontools, one module each, and the dispatch by name that lets
//! one binary, installed under each program's name, be all of them.
#![forbid(unsafe_code)]

use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;

mod exit;

/// Declares the programs: their modules, `PROGRAMS`, and `run`. The dispatch is code,
/// not a table of names and function pointers: such a table would need relocating at
/// every start, dirtying a page of memory in every process (every supervise among
/// hundreds).
macro_rules! programs {
    ($($name:ident),* $(,)?) => {
        $(mod $name;)*

        /// The name of every program this binary can be, separated by spaces.
        pub const PROGRAMS: &str = concat!($(stringify!($name), " "),*);

        /// Each program's entry, in a stack frame of its own: inlined into `run`,
        /// the largest frame among them (a 4 kB buffer of one) would be every
        /// program's, and its stack probe would dirty a page in each process. The
        /// module path puts the program's name in the symbol, which layout.ld
        /// matches.
        mod entry {
            $(
                pub mod $name {
                    #[inline(never)]
                    pub fn enter(argv: Vec<std::ffi::OsString>) -> i32 {
                        super::super::$name::main(argv)
                    }
                }
            )*
        }

        /// Runs the program called `name` with `argv`, or gives `argv` back.
        fn run(name: &[u8], argv: Vec<OsString>) -> Result<i32, Vec<OsString>> {
            $(
                if name == stringify!($name).as_bytes() {
                    return Ok(entry::$name::enter(argv));
                }
            )*
            Err(argv)
        }
    };
}

// The Makefile reads this list, one name a line, for `make install`.
programs!(
    envdir,
    envuidgid,
    fghack,
    multilog,
    pgrphack,
    readproctitle,
    setlock,
    setuidgid,
    softlimit,
    supervise,
    svc,
    svok,
    svscan,
    svshow,
    svstat,
    svup,
    svwait,
    tai64n,
    tai64nlocal,
);

/// The names in `PROGRAMS`.
pub fn program_names() -> impl Iterator<Item = &'static str> {
    PROGRAMS.split_whitespace()
}

/// Runs the program this binary was installed as, and returns its exit status.
///
/// `executed` is the path the kernel executed (AT_EXECFN): when its last component
/// is a program's name, that program runs, whatever argv[0] says (`exec -a x
/// tai64n`, a login-style `-svok`, no argv[0] at all), as upstream's separate
/// binaries do. Executed under another name (`daemontools`, as the tests run it,
/// or through ld.so or /dev/fd/N), argv[0] (after its last `/`) names the
/// program, or else the first argument: `daemontools NAME args…`. (A script whose
/// `#!` line names one of the programs is executed under the script's name: unless
/// that is a program's name too, argv[0], the `#!` line's path, decides.)
pub fn dispatch(executed: Option<&[u8]>, argv: Vec<OsString>) -> i32 {
    let argv = match executed.map(model::getopt::progname) {
        Some(name) => match run(name, argv) {
            Ok(status) => return status,
            Err(argv) => argv,
        },
        None => argv,
    };
    let argv0 = argv.first().map(|a| a.as_bytes().to_vec()).unwrap_or_default();
    let argv = match run(model::getopt::progname(&argv0), argv) {
        Ok(status) => return status,
        Err(argv) => argv,
    };
    if let [_, rest @ ..] = argv.as_slice()
        && let Some(name) = rest.first().map(|a| a.as_bytes().to_vec())
        && let Ok(status) = run(&name, rest.to_vec())
    {
        return status;
    }
    let synopsis = format!(
        "daemontools program [ arg ... ], where program is one of: {}",
        PROGRAMS.trim_end()
    );
    crate::exit::usage("daemontools", &synopsis, runtime::message::EXIT_PERMANENT)
}

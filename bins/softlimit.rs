//! softlimit: runs a program with lower soft resource limits (spec 17).

use model::getopt::{GetOpt, Opt, complaint};
use model::softlimit::{OPTIONS, Resource, parse, resources, soft};
use nix::sys::resource::{Resource as R, getrlimit, setrlimit};
use crate::exit::{fatal, usage};
use runtime::message::{EXIT_PERMANENT, to_stderr};
use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;

const PROG: &str = "softlimit";
const USAGE: &str = "softlimit [-a allbytes] [-c corebytes] [-d databytes] [-f filebytes] [-l lockbytes] \
                     [-m membytes] [-o openfiles] [-p processes] [-r residentbytes] [-s stackbytes] \
                     [-t cpusecs] child";

fn resource(r: Resource) -> R {
    match r {
        Resource::As => R::RLIMIT_AS,
        Resource::Core => R::RLIMIT_CORE,
        Resource::Cpu => R::RLIMIT_CPU,
        Resource::Data => R::RLIMIT_DATA,
        Resource::Fsize => R::RLIMIT_FSIZE,
        Resource::Memlock => R::RLIMIT_MEMLOCK,
        Resource::Nofile => R::RLIMIT_NOFILE,
        Resource::Nproc => R::RLIMIT_NPROC,
        Resource::Rss => R::RLIMIT_RSS,
        Resource::Stack => R::RLIMIT_STACK,
    }
}

pub fn main(argv: Vec<OsString>) -> i32 {
    let args: Vec<&[u8]> = argv.iter().map(|a| a.as_bytes()).collect();
    let mut opts = GetOpt::new(&args, OPTIONS);
    // Each option is applied as soon as it is read, as upstream does.
    while let Some(opt) = opts.next() {
        let Opt::Arg(letter, value) = opt else {
            if let Some(text) = complaint(args.first().copied().unwrap_or_default(), &opt) {
                to_stderr(&text);
            }
            usage(PROG, USAGE, EXIT_PERMANENT)
        };
        let Some(limit) = parse(value) else {
            usage(PROG, USAGE, EXIT_PERMANENT)
        };
        for &r in resources(letter) {
            let (_, hard) =
                getrlimit(resource(r)).unwrap_or_else(|e| fatal(PROG, &[b"getrlimit failed"], Some(e)));
            if let Err(e) = setrlimit(resource(r), soft(limit, hard), hard) {
                fatal(PROG, &[b"setrlimit failed"], Some(e));
            }
        }
    }
    let child = argv.get(opts.operands_start()..).unwrap_or_default();
    if child.is_empty() {
        usage(PROG, USAGE, EXIT_PERMANENT);
    }
    crate::exit::run_or_die(PROG, child, None)
}

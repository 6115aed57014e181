//! The pure core of daemontools: state machines and codecs that take inputs (bytes,
//! the current time, a directory listing) and return what to do. No I/O, no clock,
//! no processes: the runtime crate carries out what this crate decides.
#![forbid(unsafe_code)]

pub mod env;
pub mod envdir;
pub mod getopt;
pub mod multilog;
pub mod pathexec;
pub mod readproctitle;
pub mod setlock;
pub mod softlimit;
pub mod status;
pub mod supervise;
pub mod svc;
pub mod svscan;
pub mod svshow;
pub mod svup;
pub mod svwait;
pub mod tai64;
pub mod tai64n;
pub mod tai64nlocal;
pub mod tz;

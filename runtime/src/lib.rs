//! Carries out what the model decides, with real file descriptors, clocks, files,
//! processes and signals. It holds no policy of its own; a failure that ends a
//! program is returned (`message::Fatal`) for bins/ to report.
//!
//! Unsafe code is denied everywhere but in a few small functions of `process`
//! (fork, a vfork-like start, ending a forked child, placing a descriptor at a
//! fixed number, ignoring SIGPIPE, starting writeback), of `input` (a signal action
//! that puts one descriptor in another's place), of `io` (renameat2's exchange,
//! which nix offers for glibc only) and of `account` (getpwnam_r by a name's
//! bytes), each with its reason.
#![deny(unsafe_code)]

pub mod account;
pub mod clock;
pub mod errstr;
pub mod event_loop;
pub mod exec;
pub mod input;
pub mod io;
pub mod message;
pub mod multilog;
pub mod process;
pub mod proctitle;
pub mod supervise;
pub mod svscan;
pub mod svwait;
pub mod zone;

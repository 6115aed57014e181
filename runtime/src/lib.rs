//! Carries out what the model decides, with real file descriptors, clocks, files,
//! processes and signals. It holds no policy of its own.
//!
//! Unsafe code is denied everywhere but in a few small functions of `process`
//! (fork, a vfork-like start, ending a child whose exec failed, placing a
//! descriptor at a fixed number, ignoring SIGPIPE, starting writeback), of
//! `input` (a signal action that puts one descriptor in another's place, a read
//! that does not wait) and of `account` (getpwnam_r by a name's bytes), each with
//! its reason.
#![deny(unsafe_code)]

pub mod account;
pub mod clock;
pub mod errstr;
pub mod exec;
pub mod input;
pub mod io;
pub mod message;
pub mod multilog;
pub mod process;
pub mod proctitle;
pub mod supervise;
pub mod svscan;
pub mod zone;

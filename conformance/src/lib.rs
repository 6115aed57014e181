//! The conformance suite: the same scenarios run on our programs and on upstream's
//! (Debian's daemontools), normalised and compared, with upstream's transcripts kept
//! as insta snapshots so that the comparison with them runs anywhere.
//!
//! Unsafe code is denied but in one function of `run` (marking the descriptors the
//! harness inherited close-on-exec), with its reason.
#![deny(unsafe_code)]

pub mod check;
pub mod normalize;
pub mod programs;
pub mod report;
pub mod run;
pub mod scenario;
mod scenarios;
pub mod snapshot;
pub mod tempdir;
pub mod transcript;

pub use scenarios::all;

//! multilog (spec 11): the script, its patterns, the line machine with the rotation
//! rule, the main loop (what to read, SIGALRM, SIGTERM, the end), and the machine of a log directory's
//! lifecycle (start-up and recovery, rotation, the processor, retention, pauses).

pub mod lines;
pub mod logdir;
pub mod pattern;
pub mod rotation;
pub mod script;
pub mod session;
pub mod stamp;

//! multilog (spec 11): the script, its patterns, the line machine with the rotation
//! rule, how much output is written at a time, and the machine of a log directory's
//! lifecycle (start-up and recovery, rotation, the processor, retention, pauses).

pub mod lines;
pub mod logdir;
pub mod output;
pub mod pattern;
pub mod rotation;
pub mod script;

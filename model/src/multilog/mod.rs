//! multilog (spec 11): the script, its patterns, the line machine with the rotation
//! rule, how much output is written at a time, and the steps that rotate, finish and
//! recover log directories.

pub mod lines;
pub mod output;
pub mod pattern;
pub mod rotation;
pub mod script;

//! multilog (spec 11): the script, its patterns, the line machine with the rotation
//! rule, and the steps that rotate, finish and recover log directories.

pub mod lines;
pub mod pattern;
pub mod rotation;
pub mod script;

//! Carries out what the model decides, with real file descriptors, clocks, files,
//! processes and signals. It holds no policy of its own.
#![forbid(unsafe_code)]

pub mod clock;
pub mod errstr;
pub mod io;
pub mod message;
pub mod zone;

//! tai64n: puts a TAI64N label in front of every line (spec 12).
//!
//! Output is written before every read of input, so each line comes out as soon as
//! it is complete. Read and write errors exit 111 silently; SIGPIPE keeps its
//! default action.

use model::tai64n::Stamper;
use runtime::io::{read, write_all};
use runtime::message::EXIT_TEMPORARY;
use std::ffi::OsString;
use std::io::{stdin, stdout};
use std::os::fd::AsFd;

pub fn main(_argv: Vec<OsString>) -> i32 {
    let mut stamper = Stamper::new();
    let mut input = runtime::io::input_buffer();
    let mut output = Vec::with_capacity(128 * 1024);
    loop {
        let n = match read(stdin().as_fd(), &mut input) {
            Ok(0) => return 0,
            Ok(n) => n,
            Err(_) => return EXIT_TEMPORARY,
        };
        stamper.feed(&input[..n], &mut output, &mut runtime::clock::now);
        if write_all(stdout().as_fd(), &output).is_err() {
            return EXIT_TEMPORARY;
        }
        output.clear();
    }
}

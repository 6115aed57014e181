//! readproctitle: shows the latest bytes of its input in its own last argument,
//! for `ps` to display (spec 8). Exits 100 without a word if there is no argument
//! or the last one is shorter than 5 bytes, 0 at end of input, 111 if reading fails.

use model::readproctitle::{SHORTEST, Title};
use runtime::message::{EXIT_PERMANENT, EXIT_TEMPORARY};
use runtime::proctitle::LastArgument;
use std::ffi::OsString;
use std::io::stdin;
use std::os::fd::AsFd;
use std::os::unix::ffi::OsStrExt;

pub fn main(argv: Vec<OsString>) -> i32 {
    let [_, .., last] = argv.as_slice() else {
        return EXIT_PERMANENT;
    };
    let last = last.as_bytes();
    // Without /proc the input is still read, so that its writer never blocks.
    let place = LastArgument::find(last).ok();
    let mut title = Title::new(last.len());
    let show = |title: &Title| {
        if let Some(place) = &place {
            let _ = place.show(title.bytes());
        }
    };
    show(&title);
    if last.len() < SHORTEST {
        return EXIT_PERMANENT;
    }
    // Upstream reads a byte at a time; what shows after each read is the same.
    let mut input = [0u8; 4096];
    loop {
        match runtime::io::read(stdin().as_fd(), &mut input) {
            Ok(0) => return 0,
            Ok(n) => {
                title.push(&input[..n]);
                show(&title);
            }
            Err(_) => return EXIT_TEMPORARY,
        }
    }
}

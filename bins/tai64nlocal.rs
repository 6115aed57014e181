//! tai64nlocal: turns the TAI64N label at the start of each line into local time
//! (spec 13). The conversion is `model::tai64nlocal`'s, with glibc's zone rules.
//!
//! Output is written before every read of input. With TZ unset, a change of
//! /etc/localtime is noticed between two reads, as glibc notices it between two lines.

use model::tai64nlocal::Localizer;
use runtime::io::{read, write_all};
use runtime::message::EXIT_TEMPORARY;
use runtime::zone::LocalZone;
use std::ffi::OsString;
use std::io::{stdin, stdout};
use std::os::fd::AsFd;

pub fn main(_argv: Vec<OsString>) -> i32 {
    let (mut local_zone, zone) = LocalZone::from_environment();
    let mut localizer = Localizer::new(zone);
    let mut input = runtime::io::input_buffer();
    let mut output = Vec::with_capacity(128 * 1024);
    loop {
        let n = match read(stdin().as_fd(), &mut input) {
            Ok(n) => n,
            Err(_) => return EXIT_TEMPORARY,
        };
        if n == 0 {
            localizer.finish(&mut output);
        } else {
            if let Some(zone) = local_zone.changed() {
                localizer.set_zone(zone);
            }
            localizer.feed(&input[..n], &mut output);
        }
        if write_all(stdout().as_fd(), &output).is_err() {
            return EXIT_TEMPORARY;
        }
        if n == 0 {
            return 0;
        }
        output.clear();
    }
}

//! svshow: each service's state as fields (svshow(8)): from `supervise/info` where
//! supervise keeps one, from the status record otherwise; `model::svshow` decides
//! the text.

use crate::exit::usage;
use model::status::{LEN, Record};
use model::svshow::{Format, Shown, USAGE, json_document, request};
use nix::errno::Errno;
use nix::fcntl::{OFlag, open};
use nix::sys::stat::Mode;
use runtime::message::{EXIT_PERMANENT, EXIT_TEMPORARY, to_stderr, warn};
use std::ffi::OsString;
use std::io::stdout;
use std::os::fd::AsFd;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

const PROG: &str = "svshow";

/// Why a directory is not shown.
enum Unshown {
    NotRunning,
    Failed(Vec<u8>, Option<Errno>),
}

pub fn main(argv: Vec<OsString>) -> i32 {
    let (format, dirs) = match request(&argv.iter().map(|a| a.as_bytes()).collect::<Vec<_>>()) {
        Ok(r) => r,
        Err(complaint) => {
            to_stderr(&complaint);
            usage(PROG, USAGE, EXIT_PERMANENT)
        }
    };
    let (mut out, mut objects) = (Vec::new(), Vec::new());
    let mut status = 0;
    for dir_name in argv.get(dirs..).unwrap_or_default() {
        let dir = dir_name.as_bytes();
        match show(Path::new(dir_name)) {
            Ok(shown) => match &format {
                Format::Pairs => out.extend(shown.pairs(dir)),
                Format::Values(fields) => out.extend(shown.values(fields)),
                Format::Json => objects.push(shown.json(dir)),
            },
            Err(Unshown::NotRunning) => {
                warn(PROG, &[b"unable to show ", dir, b": supervise not running"], None);
                status = status.max(1);
            }
            Err(Unshown::Failed(what, e)) => {
                warn(PROG, &[b"unable to show ", dir, b": ", &what], e);
                status = EXIT_TEMPORARY;
            }
        }
    }
    if format == Format::Json {
        out = json_document(&objects);
    }
    if let Err(e) = runtime::io::write_all(stdout().as_fd(), &out) {
        warn(PROG, &[b"unable to write output"], Some(e));
        return EXIT_TEMPORARY;
    }
    status
}


fn show(dir: &Path) -> Result<Shown, Unshown> {
    let flags = OFlag::O_NONBLOCK | OFlag::O_CLOEXEC;
    match open(&dir.join("supervise/ok"), OFlag::O_WRONLY | flags, Mode::empty()) {
        Ok(_) => {}
        Err(Errno::ENOENT | Errno::ENXIO) => return Err(Unshown::NotRunning),
        Err(e) => return Err(Unshown::Failed(b"unable to open supervise/ok".to_vec(), Some(e))),
    }
    let now = runtime::clock::now();
    let mut info = [0u8; 4096];
    if let Ok(n) = runtime::io::read_start(&dir.join("supervise/info"), &mut info)
        && let Some(shown) = Shown::from_info(&info[..n], now)
    {
        return Ok(shown);
    }
    let normally_up = match nix::sys::stat::stat(&dir.join("down")) {
        Err(Errno::ENOENT) => true,
        Ok(_) => false,
        Err(e) => return Err(Unshown::Failed(b"unable to stat down".to_vec(), Some(e))),
    };
    let mut bytes = [0u8; LEN];
    let n = runtime::io::read_start(&dir.join("supervise/status"), &mut bytes)
        .map_err(|e| Unshown::Failed(b"unable to read supervise/status".to_vec(), Some(e)))?;
    let record = Record::decode(&bytes[..n])
        .ok_or_else(|| Unshown::Failed(b"unable to read supervise/status: bad format".to_vec(), None))?;
    Ok(Shown::from_status(&record, normally_up, now))
}

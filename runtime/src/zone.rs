//! The local time zone from the environment, as glibc resolves it (the decisions are
//! `model::tz`'s; this reads the files).

use model::tz::{MAX_FILE_LEN, Zone};
use std::ffi::OsStr;
use std::io::Read;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;

/// A zone file's bytes, up to one more than the largest the model reads as a zone
/// file: an endless file (/dev/zero) or a huge one costs at most that.
fn read_file(path: &[u8]) -> Option<Vec<u8>> {
    let file = std::fs::File::open(OsStr::from_bytes(path)).ok()?;
    let mut data = Vec::new();
    file.take(MAX_FILE_LEN as u64 + 1).read_to_end(&mut data).ok()?;
    Some(data)
}

/// The zone selected by `TZ` and `TZDIR`, and the file to watch for changes.
pub struct LocalZone {
    tz: Option<Vec<u8>>,
    tzdir: Option<Vec<u8>>,
    watched: Option<(&'static [u8], Option<(u64, u64, i64)>)>,
}

/// What identifies a version of a file for glibc: device, inode, modification time.
fn identity(path: &[u8]) -> Option<(u64, u64, i64)> {
    let m = std::fs::metadata(OsStr::from_bytes(path)).ok()?;
    Some((m.dev(), m.ino(), m.mtime()))
}

impl LocalZone {
    pub fn from_environment() -> (LocalZone, Zone) {
        let var = |name| std::env::var_os(name).map(|v| v.as_bytes().to_vec());
        let (tz, tzdir) = (var("TZ"), var("TZDIR"));
        let watched = Zone::watched_file(tz.as_deref()).map(|path| (path, identity(path)));
        let local = LocalZone { tz, tzdir, watched };
        let zone = local.load();
        (local, zone)
    }

    fn load(&self) -> Zone {
        Zone::from_env(self.tz.as_deref(), self.tzdir.as_deref(), &mut read_file)
    }

    /// The zone again if its file changed since the last look (only with TZ unset).
    pub fn changed(&mut self) -> Option<Zone> {
        let (path, seen) = self.watched.as_mut()?;
        let now = identity(path);
        if now == *seen {
            return None;
        }
        *seen = now;
        Some(self.load())
    }
}

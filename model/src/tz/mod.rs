//! Local time as glibc's `localtime` computes it: which zone `TZ` selects, zone files,
//! POSIX TZ strings, leap seconds. tai64nlocal prints exactly what glibc gives, so this
//! module follows glibc 2.36 (Debian 12) step by step, and its tests compare it with
//! the C library itself.
//!
//! Reading files is the caller's business: [`Zone::from_env`] takes a function that
//! returns a file's bytes, so the module stays pure.

mod civil;
mod posix;
mod tzif;

pub use civil::{Tm, offtime};
pub use posix::PosixRules;
pub use tzif::TzFile;

/// The zone file glibc reads when `TZ` is unset.
pub const TZDEFAULT: &[u8] = b"/etc/localtime";
/// Where glibc looks for relative zone names when `TZDIR` is unset or empty.
pub const TZDIR: &[u8] = b"/usr/share/zoneinfo";
/// The largest file read as a zone file: real ones are below 100 kB, and a larger
/// one (an endless device such as /dev/zero, a huge file) is treated as no zone
/// file, as glibc treats a file it cannot read. A reader need read at most one byte
/// more. (glibc would read a larger valid file; no real one is that large.)
pub const MAX_FILE_LEN: usize = 1 << 20;
/// The file whose rules glibc borrows for a TZ string with a DST name but no rules.
const TZDEFRULES: &[u8] = b"posixrules";

/// A time zone, resolved once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Zone {
    File(TzFile),
    Posix(PosixRules),
    /// A TZ string with a DST name but no rules, given the rules of `posixrules`.
    /// glibc builds this zone anew on every `localtime` call and its first build
    /// differs from the later ones (see `TzFile::with_offsets`): `first` serves the
    /// first conversion of a process, `later` every other.
    BorrowedRules {
        first: TzFile,
        later: TzFile,
    },
}

impl Zone {
    pub const UTC: Zone = Zone::Posix(PosixRules::UTC);

    /// The zone glibc's `tzset` chooses for these values of `TZ` and `TZDIR`, reading
    /// files through `read` (which returns `None` for a file it cannot read, and
    /// need return no more than [`MAX_FILE_LEN`] + 1 bytes of any file).
    pub fn from_env(
        tz: Option<&[u8]>,
        tzdir: Option<&[u8]>,
        read: &mut dyn FnMut(&[u8]) -> Option<Vec<u8>>,
    ) -> Zone {
        // An empty TZ means UTC, by way of the "Universal" file; a leading colon is ignored.
        let tz = match tz {
            Some(b"") => Some(&b"Universal"[..]),
            other => other,
        };
        let tz = tz.map(|t| t.strip_prefix(b":").unwrap_or(t));
        let name = tz.unwrap_or(TZDEFAULT);

        let tzdir = tzdir.filter(|d| !d.is_empty()).unwrap_or(TZDIR);
        let mut load = |name: &[u8]| -> Option<TzFile> {
            if name.is_empty() {
                return None;
            }
            let path = if name.starts_with(b"/") {
                name.to_vec()
            } else {
                [tzdir, b"/", name].concat()
            };
            let data = read(&path)?;
            if data.len() > MAX_FILE_LEN {
                return None;
            }
            TzFile::parse(&data)
        };

        if let Some(file) = load(name) {
            return Zone::File(file);
        }
        if tz.is_none() || name.is_empty() || name == TZDEFAULT {
            return Zone::UTC;
        }
        match posix::parse(name) {
            posix::Parsed::Rules(rules) => Zone::Posix(rules),
            posix::Parsed::WantsDefaultRules {
                stdoff,
                dstoff,
                otherwise,
            } => {
                let rules = load(TZDEFRULES);
                let build = |first_call| rules.clone()?.with_offsets(stdoff, dstoff, first_call);
                match (build(true), build(false)) {
                    (Some(first), Some(later)) => Zone::BorrowedRules { first, later },
                    _ => Zone::Posix(otherwise),
                }
            }
        }
    }

    /// The file glibc re-reads whenever it changes, for this value of `TZ`: with TZ
    /// unset, `localtime` checks `/etc/localtime` on every call.
    pub fn watched_file(tz: Option<&[u8]>) -> Option<&'static [u8]> {
        tz.is_none().then_some(TZDEFAULT)
    }

    /// glibc's `localtime` (on the first call of a process, for `BorrowedRules`):
    /// `None` where it returns NULL, because the year does not fit an int.
    pub fn localtime(&self, t: i64) -> Option<Tm> {
        match self {
            Zone::File(f) | Zone::BorrowedRules { first: f, .. } => f.localtime(t),
            Zone::Posix(p) => p.localtime(t),
        }
    }

    /// The offset east of UTC, in seconds, that [`Zone::localtime`] applies at `t`
    /// (a zone's leap seconds aside): `tm_gmtoff`. `None` where `localtime` fails.
    pub fn utc_offset(&self, t: i64) -> Option<i64> {
        match self {
            Zone::File(f) | Zone::BorrowedRules { first: f, .. } => Some(f.offset_at(t)),
            Zone::Posix(p) => Some(p.offset_at(t, &offtime(t, 0)?)),
        }
    }

    /// The zone glibc's `localtime` uses from its second call on, where that differs.
    pub fn after_first_call(&self) -> Option<Zone> {
        match self {
            Zone::BorrowedRules { later, .. } => Some(Zone::File(later.clone())),
            Zone::File(_) | Zone::Posix(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// A zone file with one type and no transitions: `offset` seconds east, footer `footer`.
    fn fixed_zone_file(offset: i32, footer: &str) -> Vec<u8> {
        let mut v1 = b"TZif2".to_vec();
        v1.extend([0u8; 15]);
        // isut, isstd, leap, time, type, char counts.
        for n in [0u32, 0, 0, 0, 1, 4] {
            v1.extend(n.to_be_bytes());
        }
        let mut body = offset.to_be_bytes().to_vec();
        body.extend([0, 0]);
        body.extend(b"XYZ\0");
        let mut file = v1.clone();
        file.extend(&body);
        file.extend(&v1);
        file.extend(&body);
        file.extend(format!("\n{footer}\n").as_bytes());
        file
    }

    fn zone(tz: Option<&str>, files: &[(&str, Vec<u8>)]) -> Zone {
        let files: HashMap<Vec<u8>, Vec<u8>> = files
            .iter()
            .map(|(p, d)| (p.as_bytes().to_vec(), d.clone()))
            .collect();
        Zone::from_env(tz.map(str::as_bytes), None, &mut |p| files.get(p).cloned())
    }

    fn hour_at_epoch(z: &Zone) -> i32 {
        z.localtime(0).unwrap().hour
    }

    #[test]
    fn unset_tz_reads_etc_localtime() {
        let z = zone(None, &[("/etc/localtime", fixed_zone_file(3 * 3600, "XYZ-3"))]);
        assert_eq!(hour_at_epoch(&z), 3);
        assert_eq!(hour_at_epoch(&zone(None, &[])), 0, "no /etc/localtime means UTC");
    }

    #[test]
    fn relative_names_are_under_tzdir_and_a_colon_is_ignored() {
        let files = [(
            "/usr/share/zoneinfo/Test/Zone",
            fixed_zone_file(-2 * 3600, "XYZ2"),
        )];
        assert_eq!(hour_at_epoch(&zone(Some("Test/Zone"), &files)), 22);
        assert_eq!(hour_at_epoch(&zone(Some(":Test/Zone"), &files)), 22);
        let mut read = |p: &[u8]| (p == b"/tz/Test/Zone").then(|| files[0].1.clone());
        let z = Zone::from_env(Some(b"Test/Zone"), Some(b"/tz"), &mut read);
        assert_eq!(hour_at_epoch(&z), 22);
    }

    #[test]
    fn empty_tz_is_universal() {
        let files = [("/usr/share/zoneinfo/Universal", fixed_zone_file(3600, "XYZ-1"))];
        assert_eq!(hour_at_epoch(&zone(Some(""), &files)), 1);
        assert_eq!(hour_at_epoch(&zone(Some(""), &[])), 0);
    }

    #[test]
    fn a_name_that_is_no_file_is_read_as_a_posix_string() {
        assert_eq!(hour_at_epoch(&zone(Some("JST-9"), &[])), 9);
        assert_eq!(hour_at_epoch(&zone(Some("Foo/Bar"), &[])), 0);
        let broken = [("/usr/share/zoneinfo/JST-9", b"TZif2 but cut short".to_vec())];
        assert_eq!(hour_at_epoch(&zone(Some("JST-9"), &broken)), 9);
    }

    #[test]
    fn a_file_larger_than_any_zone_file_is_not_one() {
        // A zone file padded past the bound (the footer's line still ends it, and
        // glibc would read it): treated as no zone file, wherever it is named from.
        let mut huge = fixed_zone_file(3 * 3600, "XYZ-3");
        huge.resize(MAX_FILE_LEN + 1, 0);
        assert_eq!(hour_at_epoch(&zone(Some("/huge"), &[("/huge", huge.clone())])), 0);
        assert_eq!(hour_at_epoch(&zone(None, &[("/etc/localtime", huge.clone())])), 0);
        // At the bound itself it is still read.
        huge.truncate(MAX_FILE_LEN);
        assert_eq!(hour_at_epoch(&zone(Some("/huge"), &[("/huge", huge)])), 3);
    }

    #[test]
    fn only_unset_tz_watches_a_file() {
        assert_eq!(Zone::watched_file(None), Some(&b"/etc/localtime"[..]));
        assert_eq!(Zone::watched_file(Some(b"UTC")), None);
    }
}

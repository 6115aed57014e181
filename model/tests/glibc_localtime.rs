//! `Zone::localtime` against the C library's own `localtime_r`, which is what
//! upstream's tai64nlocal calls: every zone file on this machine, TZ unset, and a
//! set of POSIX TZ strings (valid, defaulted and malformed), each at times chosen
//! around its transitions, across centuries and at the edges of what C can represent.
//!
//! This file is its own test binary with a single test, because TZ is process-wide.
//! glibc also keeps state between two `tzset`s (the posixrules default depends on
//! it), so each TZ string is checked in a fresh process, as tai64nlocal runs: the
//! test runs its own binary again with `GLIBC_LOCALTIME_CHILD` set.

use model::tz::Zone;
use std::ffi::{CString, OsStr};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

unsafe extern "C" {
    fn tzset();
}

/// What glibc's localtime gives, in the fields tai64nlocal prints. Like tai64nlocal,
/// this calls `localtime`, not `localtime_r`: it re-examines TZ on every call, and
/// that is visible (see `Zone::after_first_call`).
fn glibc(t: i64) -> Option<[i32; 6]> {
    // SAFETY: one thread; the result is copied out before the next call.
    let tm = unsafe { libc::localtime(&t).as_ref() }?;
    Some([
        tm.tm_year, tm.tm_mon, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
    ])
}

fn model(zone: &Zone, t: i64) -> Option<[i32; 6]> {
    zone.localtime(t)
        .map(|tm| [tm.year, tm.mon, tm.mday, tm.hour, tm.min, tm.sec])
}

fn set_tz(tz: Option<&[u8]>) {
    // SAFETY: this test binary runs one test on one thread; nothing else reads the
    // environment concurrently.
    unsafe {
        match tz {
            Some(v) => std::env::set_var("TZ", OsStr::from_bytes(v)),
            None => std::env::remove_var("TZ"),
        }
        std::env::remove_var("TZDIR");
        tzset();
    }
}

fn load(tz: Option<&[u8]>) -> Zone {
    Zone::from_env(tz, None, &mut |p| std::fs::read(OsStr::from_bytes(p)).ok())
}

/// A small deterministic generator (xorshift64*), so failures reproduce.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next() % (hi - lo) as u64) as i64
    }
}

/// Times worth checking: every second around the changes the rules of the last
/// decades make, random times from 1800 to 2500, and the extremes.
fn times(rng: &mut Rng) -> Vec<i64> {
    let mut ts = vec![
        0,
        -1,
        i64::MIN,
        i64::MAX,
        67_768_036_191_676_799,
        67_768_036_191_676_800,
        -67_768_040_609_740_801,
        -67_768_040_609_740_800,
        -62_167_219_200,
        4_294_967_295,
        2_147_483_647,
        2_147_483_648,
    ];
    for _ in 0..150 {
        ts.push(rng.range(-5_364_662_400, 16_725_225_600)); // 1800 .. 2500
    }
    for _ in 0..40 {
        ts.push(rng.range(-(1 << 56), 1 << 56));
    }
    // Through the 2023 changes in the U.S., every half hour.
    ts.extend((1_678_597_200..1_678_611_600).step_by(1800));
    ts.extend((1_699_156_800..1_699_171_200).step_by(1800));
    // Around 02:00 local on the common change days, from 1965 to 2045.
    for year in (1965..2045).step_by(5) {
        let jan1 = (year - 1970) * 31_556_952;
        for day in [68, 75, 82, 89, 96, 275, 296, 303, 310] {
            let base = jan1 + day * 86_400;
            for hour in -14..16 {
                let t = base + hour * 3600;
                ts.extend([t - 1, t, t + 1]);
            }
        }
    }
    ts
}

fn compare(label: &str, tz: Option<&[u8]>, ts: &[i64], failures: &mut Vec<String>) {
    set_tz(tz);
    let mut zone = load(tz);
    for &t in ts {
        let (want, got) = (glibc(t), model(&zone, t));
        if want != got {
            failures.push(format!("{label} t={t}: glibc {want:?}, model {got:?}"));
            return;
        }
        if let Some(later) = zone.after_first_call() {
            zone = later;
        }
    }
}

fn zone_files(dir: &Path, out: &mut Vec<Vec<u8>>, prefix: &[u8]) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name();
        let rel = [prefix, name.as_bytes()].concat();
        let path = e.path();
        if path.is_dir() {
            zone_files(&path, out, &[&rel[..], b"/"].concat());
        } else if std::fs::read(&path).is_ok_and(|d| d.starts_with(b"TZif")) {
            out.push(rel);
        }
    }
}

const POSIX_STRINGS: &[&str] = &[
    "EST5EDT,M3.2.0,M11.1.0",
    "CST6CDT,M4.1.0,M10.5.0",
    "AEST-10AEDT,M10.1.0,M4.1.0/3",
    "NZST-12NZDT,M9.5.0,M4.1.0/3",
    "IST-1GMT0,M10.5.0,M3.5.0/1",
    "<-03>3<-02>,M3.5.0/-2,M10.5.0/-1",
    "<+0330>-3:30",
    "<+1245>-12:45<+1345>,M9.5.0/2:45,M4.1.0/3:45",
    "JST-9",
    "XXX3YYY,J60/2,J300/25",
    "XXX3YYY,59,300",
    "XXX3YYY,0/0,365/25",
    "XXX-14YYY-15,M1.1.0/0,M12.5.6/24",
    "ABC5DEF,M3.2.0",
    "ABC5DEF4:30,M3.2.0,M11.1.0",
    "ABC5DEF+2",
    "ABC5DEF",
    "ABC3DEF",
    "ABC-5:30DEF",
    "ABC5DEF,",
    "ABC5DEF,garbage",
    "ABC5DEF,M3.2",
    "ABC5DEF,M3.2.0/",
    "ABC5DEF,M3.2.0/2x,M11.1.0",
    "ABC5DEF,J0,J100",
    "ABC5,M3.2.0,M11.1.0",
    "ABC99:99:99",
    "ABC+-5",
    "ABC 5",
    "EST",
    "ES5",
    "Foo/Bar",
    "",
    ":",
    ":UTC",
    ":America/New_York",
    "UTC0",
    "GMT+0",
    "/usr/share/zoneinfo/Europe/London",
    "../zoneinfo/Asia/Tokyo",
    "America",
];

const CHILD: &str = "GLIBC_LOCALTIME_CHILD";

/// Checks `tz` in a new process; returns its complaint, if any.
fn compare_in_child(tz: &str) -> Option<String> {
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "localtime_matches_glibc",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, "1")
        .env("TZ", tz)
        .output()
        .unwrap();
    (!out.status.success()).then(|| format!("TZ={tz:?}: {}", String::from_utf8_lossy(&out.stdout)))
}

#[test]
fn localtime_matches_glibc() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let ts = times(&mut rng);
    let mut failures = Vec::new();

    if std::env::var_os(CHILD).is_some() {
        let tz = std::env::var_os("TZ").unwrap();
        compare("child", Some(tz.as_bytes()), &ts, &mut failures);
        assert!(failures.is_empty(), "{}", failures.join("\n"));
        return;
    }
    compare("TZ unset", None, &ts, &mut failures);
    failures.extend(POSIX_STRINGS.iter().filter_map(|tz| compare_in_child(tz)));

    let mut zones = Vec::new();
    zone_files(Path::new("/usr/share/zoneinfo"), &mut zones, b"");
    zones.sort();
    assert!(
        zones.len() > 300,
        "expected the tzdata zone files, found {}",
        zones.len()
    );
    for name in &zones {
        let tz = CString::new(name.clone()).unwrap();
        compare(&format!("TZ={tz:?}"), Some(name), &ts, &mut failures);
    }
    assert!(
        failures.is_empty(),
        "{} of {} zones differ:\n{}",
        failures.len(),
        zones.len() + POSIX_STRINGS.len() + 1,
        failures.join("\n")
    );
}

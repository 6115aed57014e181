//! The service directory's extension files (supervise(8), EXTENSIONS): which of
//! them exist, what they say, and which say nothing usable (each such file is
//! warned about and ignored, never fatal).
//!
//! The runtime reads every [`File`] (the presence-only ones by their existence) and
//! hands the contents to [`Settings::read`]; the machine asks for that
//! ([`super::Effect::Survey`]) after each exit of `./run` and before it stops the
//! service, so that an edit applies from the next decision that uses it, as in s6.
//! A directory with none of them reads as [`Settings::PLAIN`]: 0.76's behaviour.

use super::{Signal, death_tally};
use core::ffi::CStr;

/// One extension file of the service directory.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum File {
    Finish,
    TimeoutFinish,
    DownSignal,
    TimeoutKill,
    FlagTimeoutKillpg,
    RestartDelay,
    RestartSteps,
    RestartMaxDelay,
    RestartRandomizedDelay,
    RestartLimitCount,
    RestartLimitInterval,
    MaxDeathTally,
    Notify,
    Setsid,
    NotificationFd,
    EventDir,
}

impl File {
    pub const ALL: [File; 16] = [
        File::Finish,
        File::TimeoutFinish,
        File::DownSignal,
        File::TimeoutKill,
        File::FlagTimeoutKillpg,
        File::RestartDelay,
        File::RestartSteps,
        File::RestartMaxDelay,
        File::RestartRandomizedDelay,
        File::RestartLimitCount,
        File::RestartLimitInterval,
        File::MaxDeathTally,
        File::Notify,
        File::Setsid,
        File::NotificationFd,
        File::EventDir,
    ];

    /// Its name in the service directory.
    pub fn name(self) -> &'static CStr {
        match self {
            File::Finish => c"finish",
            File::TimeoutFinish => c"timeout-finish",
            File::DownSignal => c"down-signal",
            File::TimeoutKill => c"timeout-kill",
            File::FlagTimeoutKillpg => c"flag-timeout-killpg",
            File::RestartDelay => c"restart-delay",
            File::RestartSteps => c"restart-steps",
            File::RestartMaxDelay => c"restart-max-delay",
            File::RestartRandomizedDelay => c"restart-randomized-delay",
            File::RestartLimitCount => c"restart-limit-count",
            File::RestartLimitInterval => c"restart-limit-interval",
            File::MaxDeathTally => c"max-death-tally",
            File::Notify => c"notify",
            File::Setsid => c"setsid",
            File::NotificationFd => c"notification-fd",
            File::EventDir => c"event",
        }
    }

    /// Only its existence counts: the runtime need not read it.
    pub fn presence_only(self) -> bool {
        matches!(
            self,
            File::Finish | File::FlagTimeoutKillpg | File::Notify | File::Setsid | File::EventDir
        )
    }

    /// It counts only if executable (daemontools-encore's `notify`): the runtime
    /// checks that rather than its existence.
    pub fn executable_only(self) -> bool {
        self == File::Notify
    }

    /// What the warning says after `<dir>/<name>` when the file says nothing usable.
    pub fn unusable(self) -> &'static str {
        match self {
            File::TimeoutFinish | File::TimeoutKill => " is not a number of milliseconds: no limit",
            File::DownSignal => " is not a signal name or number: TERM is sent",
            File::RestartDelay | File::RestartMaxDelay | File::RestartRandomizedDelay => {
                " is not a number of milliseconds: ignored"
            }
            File::RestartLimitInterval => " is not a number of milliseconds: 10000 is used",
            File::RestartSteps | File::RestartLimitCount => " is not a number: ignored",
            File::MaxDeathTally => " is not a number: 100 is used",
            File::NotificationFd => " is not a descriptor number from 3 to 1023: ignored",
            File::Finish | File::FlagTimeoutKillpg | File::Notify | File::Setsid | File::EventDir => "",
        }
    }

    /// It says how to stop the service: used (and warned about) when `d` or `r`
    /// comes, where the others are when the service exits.
    pub fn for_stopping(self) -> bool {
        matches!(
            self,
            File::DownSignal | File::TimeoutKill | File::FlagTimeoutKillpg
        )
    }

    fn bit(self) -> u16 {
        1 << self as u16
    }
}

/// The most of a file read: real contents are a few bytes, so a file that fills
/// this is not a usable one.
pub const MAX_LEN: usize = 64;

/// What the runtime found for one [`File`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Contents {
    Absent,
    /// It exists; this many bytes of it were read into the buffer (for a
    /// presence-only file, nothing need be read).
    Read(usize),
    /// It exists but could not be read (a directory, no permission).
    Unreadable,
}

/// How the wait before a restart grows (systemd's `RestartSec`, `RestartSteps`,
/// `RestartMaxDelaySec`, `RandomizedDelaySec`, under dinit's file names).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Backoff {
    pub delay_ms: u64,
    pub steps: u32,
    pub max_delay_ms: Option<u64>,
    pub randomized_ms: u64,
}

impl Backoff {
    /// The wait before the restart that is the `index`-th (from 0) since the step
    /// count was reset, before the random addition: geometric from `delay_ms` to
    /// `max_delay_ms` in `steps` steps, then `max_delay_ms` (systemd's formula).
    pub fn wait_ms(&self, index: u32) -> u64 {
        let Some(max) = self.max_delay_ms else {
            return self.delay_ms;
        };
        if self.steps == 0 || self.delay_ms == 0 || self.delay_ms >= max {
            return self.delay_ms;
        }
        if index >= self.steps {
            return max;
        }
        let ratio = max as f64 / self.delay_ms as f64;
        let step = root(ratio, self.steps);
        let wait = self.delay_ms as f64 * power(step, index);
        (wait.round() as u64).clamp(self.delay_ms, max)
    }
}

/// `x` to the `n`-th power, by squaring (no libm: the runtime links none).
fn power(x: f64, mut n: u32) -> f64 {
    let (mut result, mut base) = (1.0, x);
    while n > 0 {
        if n & 1 == 1 {
            result *= base;
        }
        base *= base;
        n >>= 1;
    }
    result
}

/// The `n`-th root of `x` ≥ 1, by bisection (a power above `x`, even infinite,
/// only moves the upper bound down).
fn root(x: f64, n: u32) -> f64 {
    let (mut low, mut high) = (1.0, x);
    for _ in 0..64 {
        let middle = (low + high) / 2.0;
        if power(middle, n) > x {
            high = middle;
        } else {
            low = middle;
        }
    }
    low
}

/// `restart-limit-count` exits within `restart-limit-interval` are a permanent failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Limit {
    pub count: u32,
    pub interval_ms: u64,
}

/// systemd's default `StartLimitIntervalSec`, for a count without an interval.
pub const DEFAULT_LIMIT_INTERVAL_MS: u64 = 10_000;
/// The largest `restart-limit-count` honoured (larger ones are read as this).
pub const MAX_LIMIT_COUNT: u32 = 4096;

/// What the extension files say.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Settings {
    /// `./finish` exists; `timeout-finish` in milliseconds (`None`: no limit).
    pub finish: Option<Option<u64>>,
    /// Sent instead of TERM by `d` and `r`.
    pub down_signal: Signal,
    /// SIGKILL this long after the down signal if the service still runs.
    pub timeout_kill_ms: Option<u64>,
    /// That SIGKILL goes to the service's process group.
    pub killpg: bool,
    pub backoff: Backoff,
    pub limit: Option<Limit>,
    /// `./notify` is run at each start and exit, and when the service gives up.
    pub notify: bool,
    /// `./run` is started in a session (and process group) of its own.
    pub setsid: bool,
    /// `./run` gets the writing end of a pipe as this descriptor; a newline
    /// written to it says the service is ready (s6's).
    pub notification_fd: Option<i32>,
    /// `event/` exists: supervise writes its event bytes into the FIFOs there.
    pub event_dir: bool,
    /// `supervise/death_tally` is kept, with at most this many records: when
    /// `./finish`, `max-death-tally` or `restart-limit-count` exists.
    pub death_tally: Option<u16>,
    /// The files that said nothing usable, one bit each (see [`Settings::unusable`]).
    unusable: u16,
}

impl Settings {
    /// A service directory without extension files: 0.76's supervise.
    pub const PLAIN: Settings = Settings {
        finish: None,
        down_signal: Signal::Term,
        timeout_kill_ms: None,
        killpg: false,
        backoff: Backoff {
            delay_ms: 0,
            steps: 0,
            max_delay_ms: None,
            randomized_ms: 0,
        },
        limit: None,
        death_tally: None,
        notify: false,
        setsid: false,
        notification_fd: None,
        event_dir: false,
        unusable: 0,
    };

    /// Builds the settings from the files, each read by `read` into the buffer
    /// it is given.
    pub fn read(read: impl FnMut(File, &mut [u8; MAX_LEN]) -> Contents) -> Settings {
        let mut r = Reader {
            read,
            buffer: [0; MAX_LEN],
            unusable: 0,
        };
        let finish = r
            .exists(File::Finish)
            .then(|| r.number(File::TimeoutFinish).filter(|&ms| ms > 0));
        let down_signal = r.parsed(File::DownSignal, parse_signal).unwrap_or(Signal::Term);
        let timeout_kill_ms = r.number(File::TimeoutKill).filter(|&ms| ms > 0);
        let killpg = r.exists(File::FlagTimeoutKillpg);
        let backoff = Backoff {
            delay_ms: r.number(File::RestartDelay).unwrap_or(0),
            steps: r.count(File::RestartSteps).unwrap_or(0),
            max_delay_ms: r.number(File::RestartMaxDelay),
            randomized_ms: r.number(File::RestartRandomizedDelay).unwrap_or(0),
        };
        let count = r.count(File::RestartLimitCount);
        let limit_file = count.is_some();
        let count = count.filter(|&n| n > 0);
        let interval_ms = r.number(File::RestartLimitInterval);
        let limit = count.map(|count| Limit {
            count: count.min(MAX_LIMIT_COUNT),
            interval_ms: interval_ms.unwrap_or(DEFAULT_LIMIT_INTERVAL_MS),
        });
        let death_tally = match r.count(File::MaxDeathTally) {
            Some(0) => None,
            Some(n) => Some(n.min(u32::from(death_tally::MAX)) as u16),
            None if r.unusable & File::MaxDeathTally.bit() != 0 => Some(death_tally::DEFAULT_MAX),
            None => (finish.is_some() || limit_file).then_some(death_tally::DEFAULT_MAX),
        };
        Settings {
            finish,
            death_tally,
            notify: r.exists(File::Notify),
            setsid: r.exists(File::Setsid),
            notification_fd: r.parsed(File::NotificationFd, |text| {
                parse_number(text)
                    .filter(|n| (3..=1023).contains(n))
                    .map(|n| n as i32)
            }),
            event_dir: r.exists(File::EventDir),
            down_signal,
            timeout_kill_ms,
            killpg,
            backoff,
            limit,
            unusable: r.unusable,
        }
    }

    /// The files that said nothing usable, in [`File::ALL`]'s order.
    pub fn unusable(&self) -> impl Iterator<Item = File> + use<> {
        let bits = self.unusable;
        File::ALL.into_iter().filter(move |f| bits & f.bit() != 0)
    }

    /// No file changes what happens after an exit: the restart follows 0.76's rule.
    pub fn plain_exit(&self) -> bool {
        self.finish.is_none() && self.backoff == Settings::PLAIN.backoff && self.limit.is_none()
    }
}

/// Reads files through the runtime, noting those that say nothing usable.
struct Reader<F> {
    read: F,
    buffer: [u8; MAX_LEN],
    unusable: u16,
}

impl<F: FnMut(File, &mut [u8; MAX_LEN]) -> Contents> Reader<F> {
    fn exists(&mut self, file: File) -> bool {
        (self.read)(file, &mut self.buffer) != Contents::Absent
    }

    /// The file's contents as `parse` reads them; `None` if it is absent or says
    /// nothing usable (then noted).
    fn parsed<T>(&mut self, file: File, parse: impl FnOnce(&[u8]) -> Option<T>) -> Option<T> {
        let value = match (self.read)(file, &mut self.buffer) {
            Contents::Absent => return None,
            Contents::Read(n) if n < MAX_LEN => parse(&self.buffer[..n]),
            Contents::Read(_) | Contents::Unreadable => None,
        };
        if value.is_none() {
            self.unusable |= file.bit();
        }
        value
    }

    fn number(&mut self, file: File) -> Option<u64> {
        self.parsed(file, parse_number)
    }

    fn count(&mut self, file: File) -> Option<u32> {
        self.number(file).map(|n| u32::try_from(n).unwrap_or(u32::MAX))
    }
}

fn parse_number(text: &[u8]) -> Option<u64> {
    let text = text.trim_ascii();
    if text.is_empty() || !text.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(text).ok()?.parse().ok()
}

/// Linux's standard signals by name, in number order from 1, one space between
/// (one string rather than a table of them: no relocations to make at start-up).
const SIGNAL_NAMES: &str = "HUP INT QUIT ILL TRAP ABRT BUS FPE KILL USR1 SEGV USR2 PIPE ALRM TERM \
    STKFLT CHLD CONT STOP TSTP TTIN TTOU URG XCPU XFSZ VTALRM PROF WINCH IO PWR SYS";

/// The name of signal `n` (without `SIG`), for the standard signals 1 to 31.
pub fn signal_name(n: i32) -> Option<&'static str> {
    let index = usize::try_from(n).ok()?.checked_sub(1)?;
    SIGNAL_NAMES.split_ascii_whitespace().nth(index)
}

/// A signal as s6's `down-signal` gives it: a name, with or without `SIG`, in any
/// case, or its number (1 to 31).
pub fn parse_signal(text: &[u8]) -> Option<Signal> {
    let text = text.trim_ascii();
    if let Some(n) = parse_number(text) {
        return (1..=31).contains(&n).then(|| Signal::from_number(n as i32));
    }
    let name = match text.get(..3) {
        Some(prefix) if prefix.eq_ignore_ascii_case(b"SIG") => &text[3..],
        _ => text,
    };
    let index = SIGNAL_NAMES
        .split_ascii_whitespace()
        .position(|known| known.as_bytes().eq_ignore_ascii_case(name))?;
    Some(Signal::from_number(index as i32 + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(files: &[(File, &'static [u8])]) -> Settings {
        Settings::read(|file, buffer| match files.iter().find(|(f, _)| *f == file) {
            None => Contents::Absent,
            Some(&(_, text)) => {
                let n = text.len().min(MAX_LEN);
                buffer[..n].copy_from_slice(&text[..n]);
                Contents::Read(n)
            }
        })
    }

    #[test]
    fn no_file_is_plain() {
        assert_eq!(read(&[]), Settings::PLAIN);
        assert!(Settings::PLAIN.plain_exit());
    }

    #[test]
    fn every_file_read() {
        let s = read(&[
            (File::Finish, b""),
            (File::TimeoutFinish, b"2500\n"),
            (File::DownSignal, b"sighup\n"),
            (File::TimeoutKill, b" 300 "),
            (File::FlagTimeoutKillpg, b""),
            (File::RestartDelay, b"100"),
            (File::RestartSteps, b"3"),
            (File::RestartMaxDelay, b"800"),
            (File::RestartRandomizedDelay, b"50"),
            (File::RestartLimitCount, b"5"),
            (File::Notify, b""),
            (File::Setsid, b""),
            (File::NotificationFd, b"3\n"),
            (File::EventDir, b""),
        ]);
        assert_eq!(s.finish, Some(Some(2500)));
        assert_eq!(s.down_signal, Signal::Hup);
        assert_eq!(s.timeout_kill_ms, Some(300));
        assert!(s.killpg && s.notify && s.setsid && s.event_dir);
        assert_eq!(s.notification_fd, Some(3));
        for bad in [&b"0"[..], b"2", b"1024", b"x"] {
            let s = read(&[(File::NotificationFd, bad)]);
            assert_eq!(s.notification_fd, None);
            assert_eq!(s.unusable().collect::<Vec<_>>(), [File::NotificationFd]);
        }
        assert_eq!(
            s.backoff,
            Backoff {
                delay_ms: 100,
                steps: 3,
                max_delay_ms: Some(800),
                randomized_ms: 50
            }
        );
        assert_eq!(
            s.limit,
            Some(Limit {
                count: 5,
                interval_ms: DEFAULT_LIMIT_INTERVAL_MS
            })
        );
        assert_eq!(s.unusable().count(), 0);
        assert!(!s.plain_exit());
        assert_eq!(s.death_tally, Some(death_tally::DEFAULT_MAX));
    }

    #[test]
    fn the_death_tally_is_kept_with_finish_a_limit_or_its_own_file() {
        assert_eq!(read(&[]).death_tally, None);
        assert_eq!(read(&[(File::Finish, b"")]).death_tally, Some(100));
        assert_eq!(read(&[(File::RestartLimitCount, b"0")]).death_tally, Some(100));
        assert_eq!(read(&[(File::MaxDeathTally, b"7")]).death_tally, Some(7));
        assert_eq!(read(&[(File::MaxDeathTally, b"99999")]).death_tally, Some(4096));
        assert_eq!(
            read(&[(File::Finish, b""), (File::MaxDeathTally, b"0")]).death_tally,
            None
        );
        let bad = read(&[(File::MaxDeathTally, b"many")]);
        assert_eq!(bad.death_tally, Some(100));
        assert_eq!(bad.unusable().collect::<Vec<_>>(), [File::MaxDeathTally]);
    }

    #[test]
    fn zero_means_none() {
        let s = read(&[
            (File::Finish, b""),
            (File::TimeoutFinish, b"0"),
            (File::TimeoutKill, b"0"),
            (File::RestartLimitCount, b"0"),
        ]);
        assert_eq!(s.finish, Some(None));
        assert_eq!(s.timeout_kill_ms, None);
        assert_eq!(s.limit, None);
    }

    #[test]
    fn what_says_nothing_usable_is_listed_and_ignored() {
        let s = read(&[
            (File::Finish, b""),
            (File::TimeoutFinish, b"1.5"),
            (File::DownSignal, b"NOPE"),
            (File::TimeoutKill, b"-1"),
            (File::RestartDelay, b"99999999999999999999999"),
            (File::RestartSteps, b""),
            (File::RestartLimitInterval, b"ten"),
        ]);
        assert_eq!(s.finish, Some(None));
        assert_eq!(s.down_signal, Signal::Term);
        assert_eq!(s.timeout_kill_ms, None);
        assert_eq!(s.backoff, Settings::PLAIN.backoff);
        // timeout-finish is read only for a finish.
        assert_eq!(read(&[(File::TimeoutFinish, b"x")]), Settings::PLAIN);
        // A file as long as the buffer is not a number, whatever it starts with.
        let long = read(&[(File::RestartDelay, &[b'1'; MAX_LEN])]);
        assert_eq!(long.unusable().collect::<Vec<_>>(), [File::RestartDelay]);
        let unusable: Vec<File> = s.unusable().collect();
        assert_eq!(
            unusable,
            [
                File::TimeoutFinish,
                File::DownSignal,
                File::TimeoutKill,
                File::RestartDelay,
                File::RestartSteps,
                File::RestartLimitInterval
            ]
        );
        let unreadable = Settings::read(|file, _| match file {
            File::RestartDelay => Contents::Unreadable,
            _ => Contents::Absent,
        });
        assert_eq!(unreadable.unusable().collect::<Vec<_>>(), [File::RestartDelay]);
        // A finish that cannot be read still exists (it may be execute-only).
        let execute_only = Settings::read(|file, _| match file {
            File::Finish => Contents::Unreadable,
            _ => Contents::Absent,
        });
        assert_eq!(execute_only.finish, Some(None));
    }

    #[test]
    fn signals_by_name_or_number() {
        assert_eq!(parse_signal(b"TERM"), Some(Signal::Term));
        assert_eq!(parse_signal(b"SIGKILL\n"), Some(Signal::Kill));
        assert_eq!(parse_signal(b"quit"), Some(Signal::Quit));
        assert_eq!(parse_signal(b"9"), Some(Signal::Kill));
        assert_eq!(parse_signal(b"10"), Some(Signal::Usr1));
        assert_eq!(parse_signal(b"SIGPWR"), Some(Signal::Number(30)));
        for bad in [&b""[..], b"0", b"32", b"SIG", b"TERMS", b"-15"] {
            assert_eq!(parse_signal(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn signal_names_by_number() {
        assert_eq!(signal_name(1), Some("HUP"));
        assert_eq!(signal_name(15), Some("TERM"));
        assert_eq!(signal_name(31), Some("SYS"));
        for n in [-1, 0, 32, 64] {
            assert_eq!(signal_name(n), None, "{n}");
        }
        for n in 1..=31 {
            let name = signal_name(n).unwrap();
            assert_eq!(
                parse_signal(name.as_bytes()),
                Some(Signal::from_number(n)),
                "{name}"
            );
        }
    }

    #[test]
    fn the_wait_grows_geometrically_in_steps() {
        let b = Backoff {
            delay_ms: 100,
            steps: 4,
            max_delay_ms: Some(1600),
            randomized_ms: 0,
        };
        let waits: Vec<u64> = (0..6).map(|i| b.wait_ms(i)).collect();
        assert_eq!(waits, [100, 200, 400, 800, 1600, 1600]);
        // systemd's RestartSteps example: 100 ms to 10 s in 5 steps.
        let systemd = Backoff {
            delay_ms: 100,
            steps: 5,
            max_delay_ms: Some(10_000),
            randomized_ms: 0,
        };
        let waits: Vec<u64> = (0..7).map(|i| systemd.wait_ms(i)).collect();
        assert_eq!(waits, [100, 251, 631, 1585, 3981, 10_000, 10_000]);
        let huge = Backoff {
            delay_ms: 1,
            steps: u32::MAX,
            max_delay_ms: Some(u64::MAX / 2),
            randomized_ms: 0,
        };
        assert!(huge.wait_ms(u32::MAX - 1) <= u64::MAX / 2);
        assert_eq!(huge.wait_ms(0), 1);
        let flat = Backoff { steps: 0, ..b };
        assert_eq!(flat.wait_ms(5), 100);
        let no_max = Backoff {
            max_delay_ms: None,
            ..b
        };
        assert_eq!(no_max.wait_ms(5), 100);
    }
}

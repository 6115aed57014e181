//! `supervise/info`: the service's state in detail, for scripts and monitoring,
//! kept while any extension file is in use (supervise(8), EXTENSIONS). Text, one
//! `key=value` a line, always the same keys in the same order; s6-svstat's names
//! and values where it has the field (`true`/`false`, -1 for no pid, `NA` for no
//! signal), TAI64N labels on daemontools' clock (as in `supervise/status`), an
//! empty value where there is nothing to say.

use super::Ended;
use super::settings::signal_name;
use crate::status::Want;
use crate::tai64::Tai64N;

/// What the service is doing, as one word.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum State {
    /// Not running, and not about to be started.
    Down,
    /// Being started, or started with `notification-fd` and not yet ready.
    Starting,
    Up,
    /// Up and said so on its `notification-fd`.
    Ready,
    /// `d` or `r` sent it the down signal; it still runs.
    Stopping,
    /// It exited; `./finish` is looked for or runs.
    Finishing,
    /// It exited and its restart waits (the second between starts, the backoff's
    /// wait, or the retry after a failed fork).
    Backoff,
    /// It failed for good (`restart-limit-count`, `./finish` exiting 125): down
    /// until `svc -u` or `svc -o`.
    Failed,
}

impl State {
    pub const ALL: [State; 8] = [
        State::Down,
        State::Starting,
        State::Up,
        State::Ready,
        State::Stopping,
        State::Finishing,
        State::Backoff,
        State::Failed,
    ];

    pub fn word(self) -> &'static str {
        match self {
            State::Down => "down",
            State::Starting => "starting",
            State::Up => "up",
            State::Ready => "ready",
            State::Stopping => "stopping",
            State::Finishing => "finishing",
            State::Backoff => "backoff",
            State::Failed => "failed",
        }
    }

    /// The state a word names, as `word` gives it.
    pub fn from_word(word: &[u8]) -> Option<State> {
        State::ALL.into_iter().find(|s| s.word().as_bytes() == word)
    }

    /// The state an info file's `state=` line gives, if it names one.
    pub fn from_info(info: &[u8]) -> Option<State> {
        let line = info
            .split(|&c| c == b'\n')
            .find_map(|line| line.strip_prefix(b"state="))?;
        State::from_word(line)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Info {
    pub state: State,
    /// The running service's pid.
    pub pid: Option<u32>,
    /// Its process group: its own with `setsid`, otherwise supervise's.
    pub pgid: Option<u32>,
    pub want: Want,
    pub paused: bool,
    /// There was no `down` file when supervise started.
    pub normally_up: bool,
    /// Since when it has been up, or down (the status record's stamp).
    pub updown_since: Tai64N,
    /// Since when it has been ready, while it is.
    pub ready_since: Option<Tai64N>,
    /// How it last ended, while it is not running.
    pub last_exit: Option<Ended>,
    /// Starts of `./run` after the first since supervise started.
    pub restarts: u32,
    /// When the waiting restart is due.
    pub next_start: Option<Tai64N>,
}

impl Info {
    /// The file's contents.
    pub fn render(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(320);
        let mut line = |key: &str, value: &[u8]| {
            out.extend_from_slice(key.as_bytes());
            out.push(b'=');
            out.extend_from_slice(value);
            out.push(b'\n');
        };
        let number = |n: Option<u32>| n.map_or_else(|| "-1".to_string(), |n| n.to_string());
        let truth = |b: bool| if b { "true" } else { "false" }.as_bytes();
        let label = |t: Option<Tai64N>| t.map_or_else(Vec::new, |t| t.to_label().to_vec());
        let (exit_code, signal) = match self.last_exit {
            Some(Ended::Exited(code)) => (code, None),
            Some(Ended::Signaled(signal)) => (-1, Some(signal)),
            None => (-1, None),
        };
        line("state", self.state.word().as_bytes());
        line("pid", number(self.pid).as_bytes());
        line("pgid", number(self.pgid).as_bytes());
        line(
            "want",
            match self.want {
                Want::Up => b"up",
                Want::Down => b"down",
                Want::Nothing => b"once",
            },
        );
        line("paused", truth(self.paused));
        line("normallyup", truth(self.normally_up));
        line("ready", truth(self.ready_since.is_some()));
        line("updownsince", &self.updown_since.to_label());
        line("readysince", &label(self.ready_since));
        line("exitcode", exit_code.to_string().as_bytes());
        let name = signal.and_then(signal_name).map(|name| format!("SIG{name}"));
        line("signal", name.as_deref().unwrap_or("NA").as_bytes());
        line("signum", signal.unwrap_or(-1).to_string().as_bytes());
        line("restarts", self.restarts.to_string().as_bytes());
        line("nextstart", &label(self.next_start));
        out
    }
}

/// `wall`, the wall clock at monotonic `mono`, moved to monotonic `at`.
pub fn wall_at(wall: Tai64N, mono: u64, at: u64) -> Tai64N {
    let nanos = u64::from(wall.nanos) + at.saturating_sub(mono);
    Tai64N {
        secs: wall.secs.saturating_add(nanos / 1_000_000_000),
        nanos: (nanos % 1_000_000_000) as u32,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const AT: Tai64N = Tai64N {
        secs: (1 << 62) + 10 + 1_800_000_000,
        nanos: 500,
    };

    #[test]
    fn a_running_ready_service() {
        let info = Info {
            state: State::Ready,
            pid: Some(4321),
            pgid: Some(4321),
            want: Want::Up,
            paused: false,
            normally_up: true,
            updown_since: AT,
            ready_since: Some(wall_at(AT, 0, 250_000_000)),
            last_exit: None,
            restarts: 3,
            next_start: None,
        };
        insta::assert_snapshot!(String::from_utf8(info.render()).unwrap());
    }

    #[test]
    fn a_service_killed_and_waiting_to_restart() {
        let info = Info {
            state: State::Backoff,
            pid: None,
            pgid: None,
            want: Want::Nothing,
            paused: false,
            normally_up: false,
            updown_since: AT,
            ready_since: None,
            last_exit: Some(Ended::Signaled(15)),
            restarts: 0,
            next_start: Some(wall_at(AT, 5, 5 + 1_999_999_600)),
        };
        insta::assert_snapshot!(String::from_utf8(info.render()).unwrap());
    }

    #[test]
    fn an_exit_code_and_no_signal() {
        let mut info = Info {
            state: State::Failed,
            pid: None,
            pgid: None,
            want: Want::Down,
            paused: false,
            normally_up: true,
            updown_since: AT,
            ready_since: None,
            last_exit: Some(Ended::Exited(3)),
            restarts: 9,
            next_start: None,
        };
        let text = String::from_utf8(info.render()).unwrap();
        assert!(text.contains("\nexitcode=3\nsignal=NA\nsignum=-1\n"), "{text}");
        // A signal without a name (real-time) is still given by number.
        info.last_exit = Some(Ended::Signaled(40));
        let text = String::from_utf8(info.render()).unwrap();
        assert!(text.contains("\nexitcode=-1\nsignal=NA\nsignum=40\n"), "{text}");
    }

    #[test]
    fn wall_at_carries_the_nanoseconds() {
        let t = wall_at(
            Tai64N {
                secs: 10,
                nanos: 999_999_999,
            },
            100,
            101,
        );
        assert_eq!(t, Tai64N { secs: 11, nanos: 0 });
        assert_eq!(wall_at(AT, 7, 3), AT, "a moment already past is now");
    }
}

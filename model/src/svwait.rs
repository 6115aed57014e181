//! svwait's decisions (svwait(8); s6-svwait's letters): what its arguments ask
//! for, whether one look at a service meets the goal, and, over every service,
//! whether to exit (and how) or to wait on.
//!
//! A look is what the files say: whether supervise runs (svok's test), the status
//! record, and `supervise/info` where ours keeps one. The goal is judged on the
//! first look (taken before anything was sent) and the latest, and nothing else:
//! the runtime may look as often as it likes, and a change it slept through is
//! still seen in the record's stamp.

use crate::getopt::{GetOpt, Opt, complaint};
use crate::status::Record;
use crate::supervise::info::State;
use crate::tai64::Tai64N;

/// The state waited for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Goal {
    /// `-u`: the service runs.
    Up,
    /// `-U`: it runs and said it is ready (up, where supervise keeps no info).
    Ready,
    /// `-d`: it does not run.
    Down,
    /// `-D`: it does not run and its `finish` is done.
    Finished,
    /// `-r`: it runs, started since the first look.
    Restarted,
    /// `-R`: it is ready, since the first look.
    ReadyAgain,
    /// `-x`: its supervise has exited.
    Exited,
}

impl Goal {
    /// The goal a letter names (svwait's options, svc's `-W`).
    pub fn from_letter(c: u8) -> Option<Goal> {
        Some(match c {
            b'u' => Goal::Up,
            b'U' => Goal::Ready,
            b'd' => Goal::Down,
            b'D' => Goal::Finished,
            b'r' => Goal::Restarted,
            b'R' => Goal::ReadyAgain,
            b'x' => Goal::Exited,
            _ => return None,
        })
    }

    /// Whether the goal needs supervise running (a service without one is down).
    fn needs_supervise(self) -> bool {
        !matches!(self, Goal::Down | Goal::Finished | Goal::Exited)
    }
}

/// What `supervise/info` says that the status record does not.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Detail {
    pub state: State,
    pub ready_since: Option<Tai64N>,
}

/// Reads `supervise/info`'s `state` and `readysince`; `None` for text that is no
/// info file (then the status record alone is judged).
pub fn detail(info: &[u8]) -> Option<Detail> {
    let state = State::from_info(info)?;
    let ready_since = match info
        .split(|&c| c == b'\n')
        .find_map(|line| line.strip_prefix(b"readysince="))
    {
        None | Some(b"") => None,
        Some(label) => Some(Tai64N::parse_label(label)?),
    };
    Some(Detail { state, ready_since })
}

/// One look at a service.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Look {
    /// Supervise holds `supervise/ok` open.
    pub running: bool,
    /// The status record; `None` before supervise wrote one.
    pub status: Option<Record>,
    /// From `supervise/info`, where it exists and reads well.
    pub detail: Option<Detail>,
}

impl Look {
    fn up_since(&self) -> Option<Tai64N> {
        self.status.filter(|r| r.pid != 0).map(|r| r.stamp)
    }

    /// Ready, and since when. A service up without a readiness protocol (info's
    /// `up`, not `starting` or `ready`: no `notification-fd`), or where supervise
    /// keeps no info, is ready once up.
    fn ready_since(&self) -> Option<Tai64N> {
        match self.detail {
            Some(d) if d.state != State::Up => d.ready_since.filter(|_| self.up_since().is_some()),
            _ => self.up_since(),
        }
    }

    fn finished(&self) -> bool {
        let down = self.status.is_some_and(|r| r.pid == 0);
        down && self
            .detail
            .is_none_or(|d| matches!(d.state, State::Down | State::Backoff | State::Failed))
    }

    fn failed(&self) -> bool {
        self.detail.is_some_and(|d| d.state == State::Failed)
    }
}

/// Where one service stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Met,
    /// Not yet; met at `due` if nothing changes (an uptime asked for by `-s`).
    Pending {
        due: Option<Tai64N>,
    },
    /// Supervise gave the service up (`state=failed`): it will not come up.
    Failed,
    /// Supervise does not run, and the goal needs it.
    NotRunning,
}

/// Judges a service: its first look, its latest, the uptime asked for (`-s`,
/// in seconds; for goals that want it running) and the time now.
pub fn judge(goal: Goal, first: &Look, latest: &Look, min_uptime: u64, now: Tai64N) -> Verdict {
    if !latest.running {
        return if goal.needs_supervise() {
            Verdict::NotRunning
        } else {
            Verdict::Met
        };
    }
    let ready = latest.ready_since();
    let condition = match goal {
        Goal::Exited => return Verdict::Pending { due: None },
        Goal::Down => return met_if(latest.status.is_some_and(|r| r.pid == 0)),
        Goal::Finished => return met_if(latest.finished()),
        Goal::Up => true,
        Goal::Ready => ready.is_some(),
        Goal::Restarted => latest.up_since() != first.up_since(),
        Goal::ReadyAgain => ready.is_some() && ready != first.ready_since(),
    };
    // An uptime counts from the start, as runit's svwaitup counts it; a start
    // stamped later than now (the clock was set back) is now.
    match latest.up_since().filter(|_| condition) {
        Some(since) => {
            let since = since.min(now);
            let due = Tai64N {
                secs: since.secs.saturating_add(min_uptime),
                nanos: since.nanos,
            };
            if now >= due {
                Verdict::Met
            } else {
                Verdict::Pending { due: Some(due) }
            }
        }
        None if latest.failed() => Verdict::Failed,
        None => Verdict::Pending { due: None },
    }
}

fn met_if(met: bool) -> Verdict {
    if met {
        Verdict::Met
    } else {
        Verdict::Pending { due: None }
    }
}

/// Whether an inotify event on `supervise/` may have changed what a look sees:
/// `name` is the file's (none for the directory itself, or an overflow), `closed`
/// says a file was closed, after writing (`Some(true)`) or not. Every look (svwait's
/// own, svstat's, svok's) opens `ok` for writing and reads `status` and `info`:
/// those closes change nothing, and waking on them would make looks wake looks.
/// supervise closing its `ok` (opened for reading only) is its exit.
pub fn change_matters(name: Option<&[u8]>, closed: Option<bool>) -> bool {
    let ok = name == Some(b"ok");
    match closed {
        Some(true) => !ok,
        Some(false) => ok,
        None => true,
    }
}

/// What to do after judging every service.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Exit with this status: 0 when the goal is met, 102 when a supervise it
    /// needs does not run, else the number of services that failed (at most 98).
    Exit(i32),
    /// Look again after the next change, or at `due` at the latest.
    Wait { due: Option<Tai64N> },
}

pub const EXIT_TIMED_OUT: i32 = 99;
pub const EXIT_NOT_RUNNING: i32 = 102;

/// Decides over every service's verdict: all of them must be met, or (`any`) one.
pub fn decide(verdicts: &[Verdict], any: bool) -> Outcome {
    let count = |f: fn(&Verdict) -> bool| verdicts.iter().filter(|v| f(v)).count();
    let met = count(|v| *v == Verdict::Met);
    let failed = count(|v| *v == Verdict::Failed);
    let not_running = count(|v| *v == Verdict::NotRunning);
    let pending = verdicts.len() - met - failed - not_running;
    let done = if any { met > 0 } else { met == verdicts.len() };
    if done {
        return Outcome::Exit(0);
    }
    let hopeless = if any {
        pending == 0
    } else {
        pending == 0 || not_running > 0
    };
    if hopeless {
        return Outcome::Exit(if not_running > 0 {
            EXIT_NOT_RUNNING
        } else {
            failed.min(98) as i32
        });
    }
    let due = verdicts
        .iter()
        .filter_map(|v| match v {
            Verdict::Pending { due } => *due,
            _ => None,
        })
        .min();
    Outcome::Wait { due }
}

/// What svwait's arguments ask for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    pub goal: Goal,
    /// `-o`: one service is enough.
    pub any: bool,
    /// `-t`: give up after this many milliseconds (0: look once); no limit without.
    pub timeout_ms: Option<u64>,
    /// `-s`: seconds of uptime asked for.
    pub min_uptime: u64,
    /// Where the directories start in argv.
    pub dirs_start: usize,
}

/// svwait's synopsis, for its usage message.
pub const USAGE: &str =
    "svwait [ -u | -U | -d | -D | -r | -R | -x ] [ -a | -o ] [ -t ms ] [ -s secs ] dir ...";

/// Reads argv (program name first): the request, or the parser's complaint (if
/// any) to print before the usage message and exit 100.
pub fn request<S: AsRef<[u8]>>(argv: &[S]) -> Result<Request, Vec<u8>> {
    let mut getopt = GetOpt::new(argv, "uUdDrRxaot:s:");
    let mut request = Request {
        goal: Goal::Up,
        any: false,
        timeout_ms: None,
        min_uptime: 0,
        dirs_start: 0,
    };
    while let Some(opt) = getopt.next() {
        match opt {
            Opt::Flag(b'a') => request.any = false,
            Opt::Flag(b'o') => request.any = true,
            Opt::Flag(c) => request.goal = Goal::from_letter(c).ok_or_else(Vec::new)?,
            Opt::Arg(b't', ms) => request.timeout_ms = Some(number(ms).ok_or_else(Vec::new)?),
            Opt::Arg(_, secs) => request.min_uptime = number(secs).ok_or_else(Vec::new)?,
            Opt::Illegal(_) | Opt::MissingArg(_) => {
                let argv0 = argv.first().map_or(&b""[..], AsRef::as_ref);
                return Err(complaint(argv0, &opt).unwrap_or_default());
            }
        }
    }
    request.dirs_start = getopt.operands_start();
    if request.dirs_start >= argv.len() {
        return Err(Vec::new());
    }
    Ok(request)
}

/// A decimal number of at most 18 digits.
pub fn number(text: &[u8]) -> Option<u64> {
    if text.is_empty() || text.len() > 18 || !text.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(text.iter().fold(0, |n, &d| n * 10 + u64::from(d - b'0')))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::Want;
    use proptest::prelude::*;

    const T0: Tai64N = Tai64N {
        secs: (1 << 62) + 10 + 1_800_000_000,
        nanos: 500,
    };

    fn at(secs: u64) -> Tai64N {
        Tai64N {
            secs: T0.secs + secs,
            nanos: 500,
        }
    }

    fn status(pid: u32, since: u64) -> Option<Record> {
        Some(Record::new(at(since), pid, false, Want::Up))
    }

    /// Upstream's supervise: no info.
    fn plain(pid: u32, since: u64) -> Look {
        Look {
            running: true,
            status: status(pid, since),
            detail: None,
        }
    }

    /// Ours with an extension file: info too.
    fn with_info(pid: u32, since: u64, state: State, ready_since: Option<u64>) -> Look {
        Look {
            detail: Some(Detail {
                state,
                ready_since: ready_since.map(at),
            }),
            ..plain(pid, since)
        }
    }

    const GONE: Look = Look {
        running: false,
        status: None,
        detail: None,
    };

    const PENDING: Verdict = Verdict::Pending { due: None };

    #[test]
    fn up_and_down_read_the_status_record() {
        let j = |goal, latest: Look| judge(goal, &plain(0, 0), &latest, 0, at(10));
        assert_eq!(j(Goal::Up, plain(7, 1)), Verdict::Met);
        assert_eq!(j(Goal::Up, plain(0, 1)), PENDING);
        assert_eq!(j(Goal::Down, plain(0, 1)), Verdict::Met);
        assert_eq!(j(Goal::Down, plain(7, 1)), PENDING);
        // No record yet: supervise just started.
        let fresh = Look {
            status: None,
            ..plain(0, 0)
        };
        assert_eq!(j(Goal::Up, fresh), PENDING);
        assert_eq!(j(Goal::Down, fresh), PENDING);
    }

    #[test]
    fn without_supervise_down_and_exited_are_met_and_the_rest_cannot_be() {
        for goal in [Goal::Down, Goal::Finished, Goal::Exited] {
            assert_eq!(judge(goal, &GONE, &GONE, 0, at(0)), Verdict::Met, "{goal:?}");
        }
        for goal in [Goal::Up, Goal::Ready, Goal::Restarted, Goal::ReadyAgain] {
            assert_eq!(
                judge(goal, &GONE, &GONE, 0, at(0)),
                Verdict::NotRunning,
                "{goal:?}"
            );
        }
        assert_eq!(judge(Goal::Exited, &GONE, &plain(0, 0), 0, at(0)), PENDING);
    }

    #[test]
    fn ready_needs_info_saying_so_and_falls_back_to_up() {
        let j = |goal, latest: Look| judge(goal, &plain(0, 0), &latest, 0, at(10));
        assert_eq!(j(Goal::Ready, plain(7, 1)), Verdict::Met);
        assert_eq!(j(Goal::Ready, with_info(7, 1, State::Starting, None)), PENDING);
        assert_eq!(
            j(Goal::Ready, with_info(7, 1, State::Ready, Some(2))),
            Verdict::Met
        );
        // Up without a notification-fd: ready once up.
        assert_eq!(j(Goal::Ready, with_info(7, 1, State::Up, None)), Verdict::Met);
        // A readysince left from before the service went down is not ready.
        assert_eq!(j(Goal::Ready, with_info(0, 3, State::Down, Some(2))), PENDING);
    }

    #[test]
    fn finished_waits_for_finish() {
        let j = |latest: Look| judge(Goal::Finished, &plain(7, 0), &latest, 0, at(10));
        assert_eq!(j(plain(0, 1)), Verdict::Met);
        assert_eq!(j(with_info(0, 1, State::Finishing, None)), PENDING);
        assert_eq!(j(with_info(0, 1, State::Backoff, None)), Verdict::Met);
        assert_eq!(j(with_info(0, 1, State::Failed, None)), Verdict::Met);
        assert_eq!(j(with_info(0, 1, State::Down, None)), Verdict::Met);
        assert_eq!(j(with_info(7, 1, State::Stopping, None)), PENDING);
    }

    #[test]
    fn restarted_means_a_new_up_since_the_first_look() {
        let first = plain(7, 1);
        let j = |latest: Look| judge(Goal::Restarted, &first, &latest, 0, at(10));
        assert_eq!(j(plain(7, 1)), PENDING);
        assert_eq!(j(plain(0, 4)), PENDING);
        assert_eq!(j(plain(8, 5)), Verdict::Met);
        // The same pid again, started later: a restart too.
        assert_eq!(j(plain(7, 5)), Verdict::Met);
        // Down at first: any up is new.
        assert_eq!(
            judge(Goal::Restarted, &plain(0, 1), &plain(7, 1), 0, at(10)),
            Verdict::Met
        );
        let first = with_info(7, 1, State::Ready, Some(2));
        let j = |latest: Look| judge(Goal::ReadyAgain, &first, &latest, 0, at(10));
        assert_eq!(j(with_info(7, 1, State::Ready, Some(2))), PENDING);
        assert_eq!(j(with_info(8, 5, State::Starting, None)), PENDING);
        assert_eq!(j(with_info(8, 5, State::Ready, Some(6))), Verdict::Met);
    }

    #[test]
    fn an_uptime_asked_for_is_waited_for() {
        let first = plain(0, 0);
        assert_eq!(
            judge(Goal::Up, &first, &plain(7, 5), 3, at(6)),
            Verdict::Pending { due: Some(at(8)) }
        );
        assert_eq!(judge(Goal::Up, &first, &plain(7, 5), 3, at(8)), Verdict::Met);
        // Stamped in the future (the clock set back since): up now, counted from now.
        assert_eq!(judge(Goal::Up, &first, &plain(7, 50), 0, at(8)), Verdict::Met);
        assert_eq!(
            judge(Goal::Up, &first, &plain(7, 50), 3, at(8)),
            Verdict::Pending { due: Some(at(11)) }
        );
        // Ready: counted from the start.
        assert_eq!(
            judge(
                Goal::Ready,
                &first,
                &with_info(7, 5, State::Ready, Some(7)),
                3,
                at(8)
            ),
            Verdict::Met
        );
    }

    #[test]
    fn a_failed_service_will_not_come_up() {
        let failed = with_info(0, 1, State::Failed, None);
        for goal in [Goal::Up, Goal::Ready, Goal::Restarted, Goal::ReadyAgain] {
            assert_eq!(
                judge(goal, &plain(0, 0), &failed, 0, at(2)),
                Verdict::Failed,
                "{goal:?}"
            );
        }
        assert_eq!(judge(Goal::Down, &plain(0, 0), &failed, 0, at(2)), Verdict::Met);
    }

    #[test]
    fn all_or_any() {
        use Verdict::*;
        let due = |s| Pending { due: Some(at(s)) };
        assert_eq!(decide(&[Met, Met], false), Outcome::Exit(0));
        assert_eq!(decide(&[Met, PENDING], false), Outcome::Wait { due: None });
        assert_eq!(decide(&[Met, PENDING], true), Outcome::Exit(0));
        assert_eq!(
            decide(&[due(5), due(3), PENDING], false),
            Outcome::Wait { due: Some(at(3)) }
        );
        // A supervise that does not run: at once with all, once nothing else can be met with any.
        assert_eq!(decide(&[NotRunning, PENDING], false), Outcome::Exit(102));
        assert_eq!(decide(&[NotRunning, PENDING], true), Outcome::Wait { due: None });
        assert_eq!(decide(&[NotRunning, Failed], true), Outcome::Exit(102));
        // Failures are counted once nothing is pending.
        assert_eq!(decide(&[Failed, PENDING], false), Outcome::Wait { due: None });
        assert_eq!(decide(&[Failed, Met, Failed], false), Outcome::Exit(2));
        assert_eq!(decide(&[Failed, Failed], true), Outcome::Exit(2));
        assert_eq!(decide(&[Failed; 200], false), Outcome::Exit(98));
    }

    #[test]
    fn looks_do_not_wake_looks() {
        // A look: ok opened for writing, status and info read.
        assert!(!change_matters(Some(b"ok"), Some(true)));
        assert!(!change_matters(Some(b"status"), Some(false)));
        assert!(!change_matters(Some(b"info"), Some(false)));
        // supervise's exit closes ok (a reader), lock and control (writers).
        assert!(change_matters(Some(b"ok"), Some(false)));
        assert!(change_matters(Some(b"lock"), Some(true)));
        // A status written in place, one renamed in, the directory gone, an overflow.
        assert!(change_matters(Some(b"status"), Some(true)));
        assert!(change_matters(Some(b"status"), None));
        assert!(change_matters(None, None));
    }

    #[test]
    fn info_files() {
        let text = b"state=ready\npid=4\nready=true\nreadysince=@400000006b49d21200000001\nnextstart=\n";
        let d = detail(text).unwrap();
        assert_eq!(d.state, State::Ready);
        assert_eq!(d.ready_since.unwrap().nanos, 1);
        assert_eq!(detail(b"state=down\nreadysince=\n").unwrap().ready_since, None);
        assert_eq!(detail(b"pid=4\n"), None);
        assert_eq!(detail(b"state=dancing\n"), None);
        assert_eq!(detail(b"state=up\nreadysince=yesterday\n"), None);
        assert_eq!(detail(b""), None);
    }

    fn req(args: &[&str]) -> Result<Request, String> {
        let argv: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
        request(&argv).map_err(|t| String::from_utf8(t).unwrap())
    }

    #[test]
    fn arguments() {
        let r = req(&["svwait", "a", "b"]).unwrap();
        assert_eq!(
            (r.goal, r.any, r.timeout_ms, r.min_uptime, r.dirs_start),
            (Goal::Up, false, None, 0, 1)
        );
        let r = req(&["svwait", "-dU", "-o", "-t", "0", "-s5", "a"]).unwrap();
        assert_eq!(
            (r.goal, r.any, r.timeout_ms, r.min_uptime, r.dirs_start),
            (Goal::Ready, true, Some(0), 5, 6)
        );
        let r = req(&["svwait", "-oa", "-x", "--", "-a"]).unwrap();
        assert_eq!((r.goal, r.any, r.dirs_start), (Goal::Exited, false, 4));
        assert_eq!(req(&["svwait", "-u"]), Err(String::new()));
        assert_eq!(req(&["svwait", "-t", "soon", "a"]), Err(String::new()));
        assert_eq!(req(&["svwait", "-s", "-1", "a"]), Err(String::new()));
        assert_eq!(
            req(&["svwait", "-q", "a"]),
            Err("svwait: illegal option -- q\n".into())
        );
        assert_eq!(
            req(&["/bin/svwait", "-t"]),
            Err("svwait: option requires an argument -- t\n".into())
        );
    }

    fn any_look() -> impl Strategy<Value = Look> {
        let state = prop::sample::select(State::ALL.to_vec());
        let detail = prop::option::of((state, prop::option::of(0u64..20)));
        (any::<bool>(), prop::option::of((0u32..3, 0u64..20)), detail).prop_map(
            |(running, status, detail)| Look {
                running,
                status: status.and_then(|(pid, since)| self::status(pid, since)),
                detail: detail.map(|(state, ready)| Detail {
                    state,
                    ready_since: ready.map(at),
                }),
            },
        )
    }

    fn any_goal() -> impl Strategy<Value = Goal> {
        prop::sample::select(b"uUdDrRx".to_vec()).prop_map(|c| Goal::from_letter(c).unwrap())
    }

    proptest! {
        /// Up-like goals are never met while the record says down, down-like ones
        /// never while it says up; a deadline is always in the future.
        #[test]
        fn verdicts_agree_with_the_record(goal in any_goal(), first in any_look(), latest in any_look(), min in 0u64..5, now in 0u64..30) {
            let v = judge(goal, &first, &latest, min, at(now));
            let pid = latest.status.map(|r| r.pid);
            if v == Verdict::Met && latest.running {
                match goal {
                    Goal::Up | Goal::Ready | Goal::Restarted | Goal::ReadyAgain => prop_assert!(pid.unwrap_or(0) != 0),
                    Goal::Down | Goal::Finished => prop_assert_eq!(pid, Some(0)),
                    Goal::Exited => prop_assert!(false, "exited while running"),
                }
            }
            if let Verdict::Pending { due: Some(due) } = v {
                prop_assert!(due > at(now));
            }
            // Waiting longer never turns a met goal into an unmet one.
            if v == Verdict::Met {
                prop_assert_eq!(judge(goal, &first, &latest, min, at(now + 100)), Verdict::Met);
            }
        }

        /// Exit 0 exactly when every service (or, with -o, one) is met.
        #[test]
        fn decisions(verdicts in prop::collection::vec(prop_oneof![
            Just(Verdict::Met), Just(Verdict::Failed), Just(Verdict::NotRunning),
            prop::option::of(0u64..9).prop_map(|d| Verdict::Pending { due: d.map(at) })], 1..6), any: bool) {
            let met = verdicts.iter().filter(|v| **v == Verdict::Met).count();
            let outcome = decide(&verdicts, any);
            let all_met = if any { met > 0 } else { met == verdicts.len() };
            prop_assert_eq!(outcome == Outcome::Exit(0), all_met);
            if let Outcome::Wait { due } = outcome {
                let some_pending = verdicts.iter().any(|v| matches!(v, Verdict::Pending { .. }));
                prop_assert!(some_pending);
                let soonest = verdicts.iter().filter_map(|v| match v {
                    Verdict::Pending { due } => *due,
                    _ => None,
                }).min();
                prop_assert_eq!(due, soonest);
            }
        }
    }
}

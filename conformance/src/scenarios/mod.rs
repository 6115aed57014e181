//! Every scenario, by program.

use crate::scenario::Scenario;

mod chain;
mod multilog;
mod multilog_extensions;
mod supervise;
mod supervise_alerts;
mod supervise_extensions;
mod supervise_finish;
mod supervise_info;
mod supervise_stopping;
mod svscan;
mod svshow;
mod svwait;
mod tai64n;
mod tai64nlocal;

/// `waitfor COMMAND...`: runs COMMAND every 50 ms until it succeeds, for at most
/// 20 seconds. Every scenario that waits for something waits with it.
const WAITFOR: &str = r#"
waitfor() {
    n=0
    until "$@" >/dev/null 2>&1; do
        n=$((n + 1))
        if [ "$n" -ge 400 ]; then echo "timed out waiting for: $*"; exit 1; fi
        sleep 0.05
    done
}
"#;

/// All scenarios, grouped by program in a fixed order.
pub fn all() -> Vec<Scenario> {
    let mut all = tai64n::scenarios();
    all.extend(tai64nlocal::scenarios());
    all.extend(chain::envdir_scenarios());
    all.extend(chain::envuidgid_scenarios());
    all.extend(chain::setuidgid_scenarios());
    all.extend(chain::softlimit_scenarios());
    all.extend(chain::setlock_scenarios());
    all.extend(chain::fghack_scenarios());
    all.extend(chain::pgrphack_scenarios());
    all.extend(supervise::supervise_scenarios());
    all.extend(supervise_finish::scenarios());
    all.extend(supervise_stopping::scenarios());
    all.extend(supervise_alerts::scenarios());
    all.extend(supervise_info::scenarios());
    all.extend(supervise_extensions::supervise_scenarios());
    all.extend(supervise::svc_scenarios());
    all.extend(supervise_extensions::svc_scenarios());
    all.extend(supervise::svok_scenarios());
    all.extend(supervise::svstat_scenarios());
    all.extend(svwait::scenarios());
    all.extend(svshow::svup_scenarios());
    all.extend(svshow::svshow_scenarios());
    all.extend(multilog::scenarios());
    all.extend(multilog_extensions::scenarios());
    all.extend(svscan::svscan_scenarios());
    all.extend(svscan::readproctitle_scenarios());
    all.extend(svscan::svscanboot_scenarios());
    all
}

/// A megabyte of `a`s: a line far longer than any buffer.
fn megabyte_line() -> Vec<u8> {
    vec![b'a'; 1_000_000]
}

/// `n` numbered lines.
fn numbered_lines(n: usize) -> Vec<u8> {
    (0..n)
        .flat_map(|i| format!("line {i} of the log\n").into_bytes())
        .collect()
}

//! The conformance suite inside `cargo test`: every scenario on our binary, compared
//! with upstream's stored transcript and, where upstream is installed, with upstream
//! live. Upstream's transcripts are insta snapshots in `conformance/snapshots/`;
//! record new ones with `INSTA_UPDATE=always cargo test --test conformance`.
//!
//! With `DAEMONTOOLS_REFERENCE` set (as `.ci/run` does), a live comparison that does
//! not run is a failure, not a skip.

mod support;

use conformance::check::{Verdict, check_recording};
use conformance::programs::{Harness, Ours, Reference};
use std::panic::{AssertUnwindSafe, catch_unwind};

fn harness() -> Harness {
    let reference = Reference::find().unwrap_or_else(|e| panic!("{e}"));
    let names = daemontools::program_names().map(str::to_string).collect();
    let ours = Ours::MultiCall {
        binary: env!("CARGO_BIN_EXE_daemontools").into(),
        names,
        scripts: conformance::programs::SCRIPTS.into(),
    };
    Harness::new(ours, reference).expect("scratch directory for the harness")
}

/// Verifies (or, with INSTA_UPDATE, records) a transcript against its snapshot.
fn assert_snapshot(name: &str, transcript: &str) -> Result<(), String> {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(conformance::snapshot::DIR);
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    catch_unwind(AssertUnwindSafe(|| {
        settings.bind(|| insta::assert_snapshot!(name, transcript));
    }))
    .map_err(|_| format!("{name}: transcript differs from its snapshot (see insta's output above)"))
}

fn check_program(program: &str) {
    let harness = harness();
    let live_required = support::live_required();
    let mut problems = Vec::new();
    let (mut scenarios, mut live_passed, mut not_run) = (0, 0, 0);
    for scenario in conformance::all().iter().filter(|s| s.program == program) {
        scenarios += 1;
        let mut recorded = Vec::new();
        let outcome = check_recording(&harness, scenario, &mut |name, text| {
            recorded.push(assert_snapshot(name, text));
        });
        problems.extend(recorded.into_iter().filter_map(Result::err));
        for (what, verdict) in [("vs snapshot", &outcome.snapshot), ("live", &outcome.live)] {
            match verdict {
                Verdict::Fail(why) => problems.push(format!("{program}/{} {what}:\n{why}", scenario.name)),
                Verdict::NotRun(why) if live_required => {
                    problems.push(format!("{program}/{} {what} did not run: {why}", scenario.name))
                }
                Verdict::NotRun(_) => not_run += 1,
                Verdict::Pass => {}
            }
        }
        live_passed += usize::from(outcome.live == Verdict::Pass);
    }
    eprintln!(
        "{program}: {scenarios} scenarios, live comparison passed in {live_passed}, not run in {not_run}"
    );
    assert!(scenarios > 0, "no scenarios for {program}");
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

/// One test per program, so that they run in parallel and fail separately.
macro_rules! programs {
    ($($program:ident),*) => {
        $(
            #[test]
            fn $program() {
                check_program(stringify!($program));
            }
        )*

        #[test]
        fn every_program_has_scenarios() {
            let tested = [$(stringify!($program)),*];
            for name in conformance::programs::ALL.iter().chain(&conformance::programs::OURS_ONLY) {
                let name = *name;
                assert!(tested.contains(&name), "{name} has no conformance test here");
                let count = conformance::all().iter().filter(|s| s.program == name).count();
                // svscanboot is three commands of shell: two scenarios see them all.
                let least = if name == "svscanboot" { 2 } else { 8 };
                assert!(count >= least, "{name} has {count} scenarios, fewer than {least}");
            }
        }
    };
}

programs!(
    tai64n,
    tai64nlocal,
    envdir,
    envuidgid,
    setuidgid,
    softlimit,
    setlock,
    fghack,
    multilog,
    pgrphack,
    supervise,
    svscan,
    svscanboot,
    readproctitle,
    svc,
    svok,
    svstat,
    svwait,
    svup,
    svshow
);

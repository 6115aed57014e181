//! One scenario, both sides, every comparison that can be made.

use crate::programs::Harness;
use crate::run::{NotRun, run};
use crate::scenario::{Scenario, Side, WAIT_FAILED};
use crate::snapshot;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    Fail(String),
    NotRun(String),
}

impl Verdict {
    pub fn is_fail(&self) -> bool {
        matches!(self, Verdict::Fail(_))
    }
}

#[derive(Clone, Debug)]
pub struct Outcome {
    pub program: &'static str,
    pub name: String,
    pub divergence: Option<&'static str>,
    /// The extension's anchor, for an extension.
    pub extension: Option<&'static str>,
    /// Ours against the stored snapshot: upstream's, or ours for a divergence or an
    /// extension.
    pub snapshot: Verdict,
    /// Ours against upstream, now; for a divergence or an extension, upstream against
    /// its snapshot.
    pub live: Verdict,
    pub ours: Option<String>,
    pub reference: Option<String>,
}

impl Outcome {
    /// A full pass: the live comparison ran and everything matched.
    pub fn passed(&self) -> bool {
        self.snapshot == Verdict::Pass && self.live == Verdict::Pass
    }

    pub fn failed(&self) -> bool {
        self.snapshot.is_fail() || self.live.is_fail()
    }
}

fn compare(expected: Option<&str>, actual: &str, what: &str) -> Verdict {
    match expected {
        None => Verdict::Fail(format!("no snapshot of {what}")),
        Some(e) if snapshot::same(e, actual) => Verdict::Pass,
        Some(e) => Verdict::Fail(snapshot::diff(e, actual)),
    }
}

fn describe(e: &NotRun) -> String {
    match e {
        NotRun::Missing(p) => format!("not available: {}", p.join(", ")),
        NotRun::Harness(e) => format!("harness error: {e}"),
    }
}

/// Runs `scenario` on both sides and compares.
pub fn check(harness: &Harness, scenario: &Scenario) -> Outcome {
    check_recording(harness, scenario, &mut |_, _| {})
}

/// As [`check`], first handing `record` each transcript that has a snapshot of its
/// own (upstream's, and ours for a divergence or an extension) with the snapshot's name, so that a
/// test can verify or record it with insta before the comparisons read it.
pub fn check_recording(
    harness: &Harness,
    scenario: &Scenario,
    record: &mut dyn FnMut(&str, &str),
) -> Outcome {
    let ours = run(harness, scenario, Side::Ours);
    let reference = match &harness.reference {
        Some(_) => run(harness, scenario, Side::Reference),
        None => Err(NotRun::Missing(vec!["upstream (no reference found)".into()])),
    };
    if let Ok(r) = &reference {
        record(&scenario.snapshot_name(), r);
    }
    if let (true, Ok(o)) = (scenario.has_own_snapshot(), &ours) {
        record(&scenario.divergence_snapshot_name(), o);
    }
    let upstream_snapshot = snapshot::read(&scenario.snapshot_name());
    // A step that ran out of time, or a wait that gave up, is no transcript to compare.
    let unfinished = |t: &String| t.contains("status: timed out") || t.contains(WAIT_FAILED);
    let ours = ours.and_then(|t| {
        if unfinished(&t) {
            Err(NotRun::Harness(format!("did not finish with ours:\n{t}")))
        } else {
            Ok(t)
        }
    });
    let reference = reference.and_then(|t| {
        if unfinished(&t) {
            Err(NotRun::Harness(format!("did not finish with upstream's:\n{t}")))
        } else {
            Ok(t)
        }
    });

    let (snapshot, live) = match (&ours, &reference) {
        // A program pinned to upstream's side, with no upstream here: nothing can run.
        (Err(NotRun::Missing(_)), Err(e))
            if scenario.uses_upstream || scenario.pinned.iter().any(|&(_, s)| s == Side::Reference) =>
        {
            (Verdict::NotRun(describe(e)), Verdict::NotRun(describe(e)))
        }
        (Err(e), _) => (Verdict::Fail(describe(e)), Verdict::Fail(describe(e))),
        (Ok(o), r) => match scenario.has_own_snapshot() {
            false => (
                compare(upstream_snapshot.as_deref(), o, "upstream's transcript"),
                match r {
                    Ok(r) => compare(Some(r), o, "upstream's transcript"),
                    Err(e @ NotRun::Harness(_)) => Verdict::Fail(describe(e)),
                    Err(e) => Verdict::NotRun(describe(e)),
                },
            ),
            true => (
                compare(
                    snapshot::read(&scenario.divergence_snapshot_name()).as_deref(),
                    o,
                    "ours",
                ),
                match r {
                    Ok(r) => compare(upstream_snapshot.as_deref(), r, "upstream's transcript"),
                    Err(e) => Verdict::NotRun(describe(e)),
                },
            ),
        },
    };
    Outcome {
        program: scenario.program,
        name: scenario.name.clone(),
        divergence: scenario.divergence,
        extension: scenario.extension,
        snapshot,
        live,
        ours: ours.ok(),
        reference: reference.ok(),
    }
}

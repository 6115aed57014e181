//! The report packagers read: which reference, every scenario's verdicts, a summary
//! per program, and the counts.

use crate::check::{Outcome, Verdict};
use crate::programs::Reference;
use std::fmt::Write;

fn cell(v: &Verdict) -> &'static str {
    match v {
        Verdict::Pass => "pass",
        Verdict::Fail(_) => "**FAIL**",
        Verdict::NotRun(_) => "not run",
    }
}

/// The counts: (passed, failed, not run live, documented divergences).
pub fn counts(outcomes: &[Outcome]) -> (usize, usize, usize, usize) {
    let conformance = || outcomes.iter().filter(|o| o.divergence.is_none());
    let passed = conformance().filter(|o| o.passed()).count();
    let failed = outcomes.iter().filter(|o| o.failed()).count();
    let not_run = conformance().filter(|o| !o.failed() && !o.passed()).count();
    let divergences = outcomes
        .iter()
        .filter(|o| o.divergence.is_some() && !o.failed())
        .count();
    (passed, failed, not_run, divergences)
}

pub fn markdown(reference: Option<&Reference>, outcomes: &[Outcome]) -> String {
    let mut out = String::new();
    match reference {
        Some(r) => {
            let _ = writeln!(out, "Reference: {} (live comparison on)", r.description);
        }
        None => {
            let _ = writeln!(
                out,
                "Reference: none found (snapshots only; every live comparison is \"not run\")"
            );
        }
    }
    out.push_str("\n| program | scenario | vs snapshot | live vs upstream |\n|---|---|---|---|\n");
    for o in outcomes {
        let live = match (&o.divergence, &o.live) {
            (Some(_), Verdict::Pass) => "divergence (documented)",
            (_, v) => cell(v),
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            o.program,
            o.name,
            cell(&o.snapshot),
            live
        );
    }

    out.push_str("\n| program | scenarios | live passed | failed | not run | divergences |\n|---|---|---|---|---|---|\n");
    let mut programs: Vec<&str> = outcomes.iter().map(|o| o.program).collect();
    programs.dedup();
    for p in programs {
        let mine: Vec<Outcome> = outcomes.iter().filter(|o| o.program == p).cloned().collect();
        let (passed, failed, not_run, divergences) = counts(&mine);
        let _ = writeln!(
            out,
            "| {p} | {} | {passed} | {failed} | {not_run} | {divergences} |",
            mine.len()
        );
    }

    for o in outcomes.iter().filter(|o| o.failed()) {
        let _ = writeln!(out, "\n### {} / {}", o.program, o.name);
        for (what, v) in [("vs snapshot", &o.snapshot), ("live", &o.live)] {
            if let Verdict::Fail(why) = v {
                let _ = writeln!(out, "{what}:\n```\n{}```", why);
            }
        }
    }

    let (passed, failed, not_run, divergences) = counts(outcomes);
    let _ = writeln!(
        out,
        "\nnot run live: {not_run}; documented divergences behaving as designed: {divergences}"
    );
    let _ = writeln!(out, "conformance: {passed} passed, {failed} failed");
    out
}

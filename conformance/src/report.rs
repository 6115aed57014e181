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

/// The counts of a set of outcomes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Full passes, divergences aside (extensions count here as the others do).
    pub passed: usize,
    pub failed: usize,
    /// Neither passed nor failed (divergences aside): a live comparison that could
    /// not run.
    pub not_run: usize,
    /// Documented divergences behaving as designed (not failed).
    pub divergences: usize,
    /// Extensions behaving as documented (not failed); also counted in `passed` or
    /// `not_run`.
    pub extensions: usize,
}

pub fn counts(outcomes: &[Outcome]) -> Counts {
    let conformance = || outcomes.iter().filter(|o| o.divergence.is_none());
    let apart = |o: &&Outcome| !o.failed();
    Counts {
        passed: conformance().filter(|o| o.passed()).count(),
        failed: outcomes.iter().filter(|o| o.failed()).count(),
        not_run: conformance().filter(|o| !o.failed() && !o.passed()).count(),
        divergences: outcomes
            .iter()
            .filter(|o| o.divergence.is_some())
            .filter(apart)
            .count(),
        extensions: outcomes
            .iter()
            .filter(|o| o.extension.is_some())
            .filter(apart)
            .count(),
    }
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
        let live = match (o.divergence, o.extension, &o.live) {
            (Some(_), _, Verdict::Pass) => "divergence (documented)".to_string(),
            (_, Some(anchor), Verdict::Pass) => format!("extension ({anchor})"),
            (_, _, v) => cell(v).to_string(),
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

    out.push_str(
        "\n| program | scenarios | live passed | failed | not run | divergences | extensions |\n|---|---|---|---|---|---|---|\n",
    );
    // Each program once, where it first comes (svc's scenarios come in two groups).
    let mut programs: Vec<&str> = Vec::new();
    for o in outcomes {
        if !programs.contains(&o.program) {
            programs.push(o.program);
        }
    }
    for p in programs {
        let mine: Vec<Outcome> = outcomes.iter().filter(|o| o.program == p).cloned().collect();
        let c = counts(&mine);
        let _ = writeln!(
            out,
            "| {p} | {} | {} | {} | {} | {} | {} |",
            mine.len(),
            c.passed,
            c.failed,
            c.not_run,
            c.divergences,
            c.extensions
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

    let c = counts(outcomes);
    let _ = writeln!(
        out,
        "\nnot run live: {}; documented divergences behaving as designed: {}; extensions behaving as documented: {}",
        c.not_run, c.divergences, c.extensions
    );
    let _ = writeln!(out, "conformance: {} passed, {} failed", c.passed, c.failed);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(
        name: &str,
        divergence: Option<&'static str>,
        extension: Option<&'static str>,
        live: Verdict,
    ) -> Outcome {
        Outcome {
            program: "multilog",
            name: name.to_string(),
            divergence,
            extension,
            snapshot: Verdict::Pass,
            live,
            ours: None,
            reference: None,
        }
    }

    #[test]
    fn extensions_are_counted_apart_and_in_the_passes() {
        let outcomes = [
            outcome("plain", None, None, Verdict::Pass),
            outcome("diverges", Some("why"), None, Verdict::Pass),
            outcome("extends", None, Some("s6-log"), Verdict::Pass),
            outcome(
                "extends-offline",
                None,
                Some("new"),
                Verdict::NotRun("no upstream".into()),
            ),
            outcome("extends-badly", None, Some("new"), Verdict::Fail("diff".into())),
        ];
        assert_eq!(
            counts(&outcomes),
            Counts {
                passed: 2,
                failed: 1,
                not_run: 1,
                divergences: 1,
                extensions: 2,
            }
        );
        let text = markdown(None, &outcomes);
        assert!(
            text.contains("| multilog | extends | pass | extension (s6-log) |"),
            "{text}"
        );
        assert!(text.contains("| multilog | 5 | 2 | 1 | 1 | 1 | 2 |"), "{text}");
        assert!(text.contains(
            "not run live: 1; documented divergences behaving as designed: 1; extensions behaving as documented: 2\n"
        ));
        assert!(text.ends_with("\nconformance: 2 passed, 1 failed\n"), "{text}");
    }

    #[test]
    fn a_program_whose_scenarios_come_in_two_groups_has_one_row() {
        let other = Outcome {
            program: "svok",
            ..outcome("between", None, None, Verdict::Pass)
        };
        let outcomes = [
            outcome("first", None, None, Verdict::Pass),
            other,
            outcome("later", None, Some("new"), Verdict::Pass),
        ];
        let text = markdown(None, &outcomes);
        assert_eq!(text.matches("\n| multilog | 2 |").count(), 1, "{text}");
        assert!(text.contains("| multilog | 2 | 2 | 0 | 0 | 0 | 1 |"), "{text}");
    }
}

//! `conformance report [program…]`: runs the scenarios (of the given programs, or all)
//! on ours and on the reference, and prints the report. `program/words` selects
//! that program's scenarios whose names contain `words`.
//!
//! Ours and the reference are found as `Ours::locate` and `Reference::find` say.

use conformance::programs::{Harness, Ours, Reference};
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(("report", programs)) = args.split_first().map(|(c, rest)| (c.as_str(), rest)) else {
        eprintln!("usage: conformance report [program ...]");
        return ExitCode::from(100);
    };
    let setup = || -> Result<Harness, String> {
        let reference = Reference::find()?;
        Harness::new(Ours::locate()?, reference).map_err(|e| e.to_string())
    };
    let harness = match setup() {
        Ok(h) => h,
        Err(e) => {
            eprintln!("conformance: fatal: {e}");
            return ExitCode::from(111);
        }
    };
    let outcomes: Vec<_> = conformance::all()
        .iter()
        .filter(|s| programs.is_empty() || programs.iter().any(|p| selects(p, s)))
        .map(|s| conformance::check::check(&harness, s))
        .collect();
    print!(
        "{}",
        conformance::report::markdown(harness.reference.as_ref(), &outcomes)
    );
    if conformance::report::counts(&outcomes).failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Whether `program` or `program/words` (a part of the name) selects `scenario`.
fn selects(selection: &str, scenario: &conformance::scenario::Scenario) -> bool {
    match selection.split_once('/') {
        Some((program, words)) => program == scenario.program && scenario.name.contains(words),
        None => selection == scenario.program,
    }
}

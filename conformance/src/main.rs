//! `conformance report [program…]`: runs the scenarios (of the given programs, or all)
//! on ours and on the reference, and prints the report.
//!
//! Ours is `DAEMONTOOLS_OURS` (a directory of installed programs, or a multi-call
//! binary); otherwise the workspace's `daemontools` binary, built first with the
//! cargo that runs this. The reference is `DAEMONTOOLS_REFERENCE`, else /usr/bin.

use conformance::programs::{Harness, Ours, Reference};
use std::path::PathBuf;
use std::process::{Command, ExitCode};

/// The names a multi-call binary answers to, from the list its usage message gives.
fn names_of(binary: &PathBuf) -> Vec<String> {
    let out = Command::new(binary)
        .output()
        .map(|o| o.stderr)
        .unwrap_or_default();
    let text = String::from_utf8_lossy(&out);
    text.split_once("one of: ")
        .map(|(_, names)| names.split_whitespace().map(str::to_string).collect())
        .unwrap_or_default()
}

fn ours() -> Result<Ours, String> {
    let multi_call = |binary: PathBuf| {
        let names = names_of(&binary);
        Ours::MultiCall { binary, names }
    };
    if let Some(path) = std::env::var_os("DAEMONTOOLS_OURS").map(PathBuf::from) {
        return Ok(if path.is_dir() {
            Ours::Installed(path)
        } else {
            multi_call(path)
        });
    }
    // Built beside this program, by the same cargo and profile.
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let dir = exe.parent().ok_or("no directory for this program")?.to_path_buf();
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut build = Command::new(cargo);
    build.args(["build", "--quiet", "--bin", "daemontools"]);
    if dir.ends_with("release") {
        build.arg("--release");
    }
    let status = build
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .status()
        .map_err(|e| format!("cannot run cargo to build our programs: {e}"))?;
    if !status.success() {
        return Err("building our programs failed".into());
    }
    Ok(multi_call(dir.join("daemontools")))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(("report", programs)) = args.split_first().map(|(c, rest)| (c.as_str(), rest)) else {
        eprintln!("usage: conformance report [program ...]");
        return ExitCode::from(100);
    };
    let setup = || -> Result<Harness, String> {
        let reference = Reference::find()?;
        Harness::new(ours()?, reference).map_err(|e| e.to_string())
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
        .filter(|s| programs.is_empty() || programs.iter().any(|p| p == s.program))
        .map(|s| conformance::check::check(&harness, s))
        .collect();
    print!(
        "{}",
        conformance::report::markdown(harness.reference.as_ref(), &outcomes)
    );
    let (_, failed, _, _) = conformance::report::counts(&outcomes);
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

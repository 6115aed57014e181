//! The programs a scenario runs: ours, upstream's, or a mix, each a directory of
//! entries named after the programs, first on PATH. The rest of PATH is a directory
//! of the system's other commands, without upstream's programs, so that a program we
//! lack is "not found" rather than silently upstream's.

use crate::scenario::{Scenario, Side};
use crate::tempdir::TempDir;
use std::os::unix::fs::symlink;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The seventeen programs of daemontools 0.76.
pub const ALL: [&str; 17] = [
    "envdir",
    "envuidgid",
    "fghack",
    "multilog",
    "pgrphack",
    "readproctitle",
    "setlock",
    "setuidgid",
    "softlimit",
    "supervise",
    "svc",
    "svok",
    "svscan",
    "svscanboot",
    "svstat",
    "tai64n",
    "tai64nlocal",
];

/// The extensions' programs (their man pages' EXTENSIONS): upstream has none of
/// them, so both runs of a scenario take ours, and upstream's run shows how they
/// work with upstream's other programs.
pub const OURS_ONLY: [&str; 3] = ["svshow", "svup", "svwait"];

/// Where upstream's programs are, and what they are.
#[derive(Clone, Debug)]
pub struct Reference {
    pub dir: PathBuf,
    pub description: String,
}

impl Reference {
    /// `DAEMONTOOLS_REFERENCE` if set (an error if it does not hold the programs: a
    /// live comparison that was asked for must run; set but empty, no reference),
    /// else /usr/bin if it has them.
    pub fn find() -> Result<Option<Reference>, String> {
        match std::env::var_os("DAEMONTOOLS_REFERENCE") {
            Some(dir) if dir.is_empty() => Ok(None),
            Some(dir) => {
                let dir = PathBuf::from(dir);
                if !dir.join("tai64n").exists() {
                    return Err(format!(
                        "DAEMONTOOLS_REFERENCE={} holds no daemontools programs",
                        dir.display()
                    ));
                }
                Ok(Some(Reference::describe(dir)))
            }
            None => {
                let dir = PathBuf::from("/usr/bin");
                Ok(dir.join("svscan").exists().then(|| Reference::describe(dir)))
            }
        }
    }

    fn describe(dir: PathBuf) -> Reference {
        let version = Command::new("dpkg-query")
            .args(["-W", "-f", "${Version}", "daemontools"])
            .output()
            .ok()
            .filter(|o| o.status.success() && !o.stdout.is_empty())
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned());
        let description = match version {
            Some(v) if dir == Path::new("/usr/bin") => format!("Debian daemontools {v} in {}", dir.display()),
            _ => format!("daemontools in {}", dir.display()),
        };
        Reference { dir, description }
    }
}

/// Where our programs that are shell scripts (svscanboot) are in the source tree.
pub const SCRIPTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../bins");

/// Our programs: a multi-call binary, the names it answers to and the directory of
/// the scripts beside it; or a directory of installed programs.
#[derive(Clone, Debug)]
pub enum Ours {
    MultiCall {
        binary: PathBuf,
        names: Vec<String>,
        scripts: PathBuf,
    },
    Installed(PathBuf),
}

impl Ours {
    /// `DAEMONTOOLS_OURS` (a directory of installed programs, or a multi-call
    /// binary); otherwise the workspace's `daemontools` binary beside the running
    /// program, built first with the cargo that runs it, in the same profile.
    pub fn locate() -> Result<Ours, String> {
        if let Some(path) = std::env::var_os("DAEMONTOOLS_OURS") {
            return Ok(Ours::at(path.into()));
        }
        let exe = std::env::current_exe().map_err(|e| e.to_string())?;
        let dir = exe
            .parent()
            .ok_or("no directory for the running program")?
            .to_path_buf();
        let mut build = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
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
        Ok(Ours::multi_call(dir.join("daemontools")))
    }

    /// The programs at `path`: a directory of installed programs, or a multi-call binary.
    pub fn at(path: PathBuf) -> Ours {
        if path.is_dir() {
            Ours::Installed(path)
        } else {
            Ours::multi_call(path)
        }
    }

    /// The binary or directory these programs are.
    pub fn path(&self) -> &Path {
        match self {
            Ours::MultiCall { binary, .. } => binary,
            Ours::Installed(dir) => dir,
        }
    }

    /// The file that runs as `program`: the multi-call binary, or the installed one.
    pub fn program(&self, program: &str) -> PathBuf {
        match self {
            Ours::MultiCall { binary, .. } => binary.clone(),
            Ours::Installed(dir) => dir.join(program),
        }
    }

    /// A multi-call binary, answering to the names its usage message lists.
    pub fn multi_call(binary: PathBuf) -> Ours {
        let usage = Command::new(&binary)
            .output()
            .map(|o| o.stderr)
            .unwrap_or_default();
        let names = String::from_utf8_lossy(&usage)
            .split_once("one of: ")
            .map(|(_, names)| names.split_whitespace().map(str::to_string).collect())
            .unwrap_or_default();
        Ours::MultiCall {
            binary,
            names,
            scripts: PathBuf::from(SCRIPTS),
        }
    }

    /// A command running our `program`.
    pub fn command(&self, program: &str) -> Command {
        match self {
            Ours::MultiCall { binary, names, .. } if names.iter().any(|n| n == program) => {
                let mut c = Command::new(binary);
                c.arg0(program);
                c
            }
            Ours::MultiCall { scripts, .. } => Command::new(scripts.join(program)),
            Ours::Installed(dir) => Command::new(dir.join(program)),
        }
    }
}

/// Everything needed to run scenarios: both sides, the tools, a scratch area.
pub struct Harness {
    pub ours: Ours,
    pub reference: Option<Reference>,
    scratch: TempDir,
    tools: PathBuf,
}

impl Harness {
    pub fn new(ours: Ours, reference: Option<Reference>) -> std::io::Result<Harness> {
        let scratch = TempDir::new("conformance")?;
        let tools = scratch.path().join("tools");
        std::fs::create_dir(&tools)?;
        for dir in ["/usr/local/bin", "/usr/bin", "/bin", "/usr/sbin", "/sbin"] {
            let Ok(entries) = std::fs::read_dir(dir) else {
                continue;
            };
            for e in entries.flatten() {
                let name = e.file_name();
                if ALL.iter().chain(&OURS_ONLY).any(|p| name == *p) {
                    continue;
                }
                let link = tools.join(&name);
                if !link.exists() {
                    let _ = symlink(e.path(), link);
                }
            }
        }
        Ok(Harness {
            ours,
            reference,
            scratch,
            tools,
        })
    }

    pub fn scratch(&self) -> &Path {
        self.scratch.path()
    }

    /// PATH for the scripts after the programs' directory.
    pub fn tools(&self) -> &Path {
        &self.tools
    }

    fn program_path(&self, program: &str, side: Side) -> Option<PathBuf> {
        match side {
            Side::Reference => {
                let path = self.reference.as_ref()?.dir.join(program);
                path.exists().then_some(path)
            }
            Side::Ours => match &self.ours {
                Ours::MultiCall {
                    binary,
                    names,
                    scripts,
                } => {
                    if names.iter().any(|n| n == program) {
                        Some(binary.clone())
                    } else {
                        let script = scripts.join(program);
                        script.exists().then_some(script)
                    }
                }
                Ours::Installed(dir) => {
                    let path = dir.join(program);
                    path.exists().then_some(path)
                }
            },
        }
    }

    /// Fills `dir` with upstream's programs, for `$UPSTREAM`; false without a reference.
    pub fn populate_upstream(&self, dir: &Path) -> std::io::Result<bool> {
        for program in ALL {
            if let Some(path) = self.program_path(program, Side::Reference) {
                symlink(path, dir.join(program))?;
            }
        }
        Ok(self.reference.is_some())
    }

    /// Fills `dir` with the programs of a run of `side`. Returns the programs the
    /// scenario pins to a side that is not available (then it cannot run).
    pub fn populate(&self, dir: &Path, scenario: &Scenario, side: Side) -> std::io::Result<Vec<String>> {
        let mut missing = Vec::new();
        for program in ALL {
            let from = scenario.side_of(program, side);
            match self.program_path(program, from) {
                Some(path) => symlink(path, dir.join(program))?,
                None if from != side || scenario.program == program => missing.push(program.to_string()),
                None => {}
            }
        }
        for program in OURS_ONLY {
            match self.program_path(program, Side::Ours) {
                Some(path) => symlink(path, dir.join(program))?,
                None => missing.push(program.to_string()),
            }
        }
        Ok(missing)
    }
}

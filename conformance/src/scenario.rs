//! A scenario: files to create, environment, shell steps to run. The harness runs it
//! once with upstream's programs and once with ours and compares the transcripts.

use crate::normalize::Norm;
use std::time::Duration;

/// Which implementation a program comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    Ours,
    Reference,
}

/// What to create in the scenario's directory before the first step.
#[derive(Clone, Debug)]
pub enum Entry {
    File { contents: Vec<u8>, mode: u32 },
    Dir { mode: u32 },
    Symlink { target: String },
}

/// One shell command line, run with `/bin/sh -c` in the scenario's directory.
#[derive(Clone, Debug)]
pub struct Step {
    pub script: String,
    pub timeout: Duration,
}

/// Scripts end in failure with this in their output when something they waited for
/// never came; a transcript holding it is a failure, never a match.
pub const WAIT_FAILED: &str = "timed out waiting for";

/// Where an extension's behaviour comes from, as its man page says: another
/// implementation it follows, or `new` for one of ours.
pub const EXTENSION_ANCHORS: [&str; 8] = [
    "daemontools-encore",
    "s6-log",
    "runit's svlogd",
    "sagredo's daemontools",
    "runit",
    "s6",
    "systemd",
    "new",
];

#[derive(Clone, Debug)]
pub struct Scenario {
    /// The program the scenario is about (its row in the report).
    pub program: &'static str,
    /// Unique among the program's scenarios; also the snapshot's name.
    pub name: String,
    pub entries: Vec<(String, Entry)>,
    /// Environment beyond PATH, HOME and LC_ALL=C (which every step gets).
    pub env: Vec<(String, String)>,
    pub steps: Vec<Step>,
    pub norms: Vec<Norm>,
    /// Programs taken from one side in both runs, for scenarios that mix the two.
    pub pinned: Vec<(&'static str, Side)>,
    /// A deliberate divergence (DESIGN.md): ours is compared with its own snapshot,
    /// and upstream's run with upstream's.
    pub divergence: Option<&'static str>,
    /// An extension (one of [`EXTENSION_ANCHORS`]: where the behaviour comes from):
    /// behaviour upstream does not have, so, as for a divergence, ours is compared
    /// with its own snapshot and upstream's run with upstream's; the report counts
    /// extensions apart from divergences.
    pub extension: Option<&'static str>,
    /// Whether regular files' contents appear in the transcript (else size and hash).
    pub show_contents: bool,
    /// Whether the steps use `$UPSTREAM/<program>`, upstream's programs in both runs
    /// (for cross scenarios where ours and upstream's copy of one program meet).
    pub uses_upstream: bool,
    /// Files whose contents differ between two correct runs (a status record holds a
    /// pid and a time): listed with their mode only. Paths, with `*` as in multilog's
    /// patterns (`d/@*`).
    pub volatile: Vec<String>,
    /// Shell code run before each step and not shown.
    pub prelude: String,
    step_timeout: Duration,
}

impl Scenario {
    pub fn new(program: &'static str, name: &str) -> Scenario {
        Scenario {
            program,
            name: name.to_string(),
            entries: Vec::new(),
            env: Vec::new(),
            steps: Vec::new(),
            norms: Vec::new(),
            pinned: Vec::new(),
            divergence: None,
            extension: None,
            show_contents: false,
            uses_upstream: false,
            volatile: Vec::new(),
            prelude: String::new(),
            step_timeout: Duration::from_secs(10),
        }
    }

    /// A regular file, mode 0644.
    pub fn file(mut self, path: &str, contents: impl Into<Vec<u8>>) -> Scenario {
        let contents = contents.into();
        self.entries.push((
            path.to_string(),
            Entry::File {
                contents,
                mode: 0o644,
            },
        ));
        self
    }

    pub fn dir(mut self, path: &str, mode: u32) -> Scenario {
        self.entries.push((path.to_string(), Entry::Dir { mode }));
        self
    }

    pub fn symlink(mut self, path: &str, target: &str) -> Scenario {
        let target = target.to_string();
        self.entries.push((path.to_string(), Entry::Symlink { target }));
        self
    }

    pub fn env(mut self, name: &str, value: &str) -> Scenario {
        self.env.push((name.to_string(), value.to_string()));
        self
    }

    /// A step with the default ten-second limit.
    pub fn run(mut self, script: &str) -> Scenario {
        self.steps.push(Step {
            script: script.to_string(),
            timeout: self.step_timeout,
        });
        self
    }

    /// Shell code run before every step, not shown in the transcript (added to
    /// any given before).
    pub fn prelude(mut self, prelude: &str) -> Scenario {
        self.prelude.push_str(prelude);
        self
    }

    /// The limit for the steps added after this (ten seconds by default).
    pub fn step_timeout(mut self, limit: Duration) -> Scenario {
        self.step_timeout = limit;
        self
    }

    pub fn normalize(mut self, norm: Norm) -> Scenario {
        self.norms.push(norm);
        self
    }

    pub fn pin(mut self, program: &'static str, side: Side) -> Scenario {
        self.pinned.push((program, side));
        self
    }

    pub fn diverges(mut self, why: &'static str) -> Scenario {
        assert!(
            self.extension.is_none(),
            "{}: a divergence or an extension, not both",
            self.name
        );
        self.divergence = Some(why);
        self
    }

    /// An extension, following `anchor` (one of [`EXTENSION_ANCHORS`]): upstream
    /// lacks it, so ours is compared with its own snapshot (see [`Scenario::extension`]).
    pub fn extension(mut self, anchor: &'static str) -> Scenario {
        assert!(
            EXTENSION_ANCHORS.contains(&anchor),
            "{}: extension anchor {anchor:?} is none of {EXTENSION_ANCHORS:?}",
            self.name
        );
        assert!(
            self.divergence.is_none(),
            "{}: a divergence or an extension, not both",
            self.name
        );
        self.extension = Some(anchor);
        self
    }

    /// Whether ours is compared with a snapshot of its own (a divergence or an
    /// extension) rather than with upstream's.
    pub fn has_own_snapshot(&self) -> bool {
        self.divergence.is_some() || self.extension.is_some()
    }

    /// The steps may run upstream's programs as `$UPSTREAM/<program>`.
    pub fn with_upstream(mut self) -> Scenario {
        self.uses_upstream = true;
        self
    }

    /// `path`'s contents are not compared (see [`Scenario::volatile`]).
    pub fn volatile(mut self, path: &str) -> Scenario {
        self.volatile.push(path.to_string());
        self
    }

    pub fn show_contents(mut self) -> Scenario {
        self.show_contents = true;
        self
    }

    /// The side `program` comes from in a run of `side`.
    pub fn side_of(&self, program: &str, side: Side) -> Side {
        self.pinned
            .iter()
            .find(|(p, _)| *p == program)
            .map_or(side, |&(_, pinned)| pinned)
    }

    /// The snapshot holding upstream's transcript.
    pub fn snapshot_name(&self) -> String {
        format!("{}__{}", self.program, self.name)
    }

    /// The snapshot holding ours, for a documented divergence or an extension.
    pub fn divergence_snapshot_name(&self) -> String {
        format!("{}__{}.ours", self.program, self.name)
    }
}

//! svshow's decisions (svshow(8)): a service's state as fields, from
//! `supervise/info` where supervise keeps one and from the status record
//! otherwise, shown as `key=value` lines, as s6-svstat's space-separated values
//! (`-o`), or as JSON (`-j`).

use crate::getopt::{GetOpt, Opt};
use crate::status::Record;
use crate::tai64::Tai64N;

/// The fields of `supervise/info`, in its order.
const INFO_FIELDS: [&str; 14] = [
    "state",
    "pid",
    "pgid",
    "want",
    "paused",
    "normallyup",
    "ready",
    "updownsince",
    "readysince",
    "exitcode",
    "signal",
    "signum",
    "restarts",
    "nextstart",
];

/// s6-svstat's fields computed from the others.
const DERIVED_FIELDS: [&str; 4] = ["up", "wantedup", "updownfor", "readyfor"];

/// Fields whose values are numbers, and true/false, in JSON.
const NUMBERS: [&str; 7] = [
    "pid",
    "pgid",
    "exitcode",
    "signum",
    "restarts",
    "updownfor",
    "readyfor",
];
const TRUTHS: [&str; 5] = ["paused", "normallyup", "ready", "up", "wantedup"];

/// What svshow's arguments ask for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Format {
    /// `[dir]`, then a `key=value` line for each field known.
    Pairs,
    /// `-o`: these fields' values, space-separated, a line per directory.
    Values(Vec<&'static str>),
    /// `-j`: one JSON array, an object per directory.
    Json,
}

pub const USAGE: &str = "svshow [ -j ] [ -o field,... ] dir ...";

/// Reads argv (program name first): the format and where the directories start,
/// or the text of the complaint (empty for the usage message alone).
pub fn request<S: AsRef<[u8]>>(argv: &[S]) -> Result<(Format, usize), Vec<u8>> {
    let mut getopt = GetOpt::new(argv, "jo:");
    let mut format = Format::Pairs;
    while let Some(opt) = getopt.next() {
        format = match opt {
            Opt::Flag(_) => Format::Json,
            Opt::Arg(_, list) => Format::Values(fields(list)?),
            Opt::Illegal(_) | Opt::MissingArg(_) => {
                let argv0 = argv.first().map_or(&b""[..], AsRef::as_ref);
                return Err(crate::getopt::complaint(argv0, &opt).unwrap_or_default());
            }
        };
    }
    let dirs = getopt.operands_start();
    if dirs >= argv.len() {
        return Err(Vec::new());
    }
    Ok((format, dirs))
}

fn fields(list: &[u8]) -> Result<Vec<&'static str>, Vec<u8>> {
    list.split(|&c| c == b',')
        .map(|name| {
            INFO_FIELDS
                .iter()
                .chain(&DERIVED_FIELDS)
                .find(|f| f.as_bytes() == name)
                .copied()
                .ok_or_else(|| [b"svshow: unknown field: ", name, b"\n"].concat())
        })
        .collect()
}

/// One service's fields, as text; a field the source does not have is absent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shown {
    fields: Vec<(&'static str, String)>,
}

impl Shown {
    /// From `supervise/info`'s text; `None` if it has no `state` (not an info file).
    pub fn from_info(info: &[u8], now: Tai64N) -> Option<Shown> {
        let mut fields = Vec::new();
        for line in info.split(|&c| c == b'\n') {
            let Some(eq) = line.iter().position(|&c| c == b'=') else {
                continue;
            };
            let (key, value) = (&line[..eq], &line[eq + 1..]);
            if let Some(&key) = INFO_FIELDS.iter().find(|f| f.as_bytes() == key) {
                fields.push((key, String::from_utf8_lossy(value).into_owned()));
            }
        }
        fields
            .iter()
            .any(|(k, _)| *k == "state")
            .then(|| Shown { fields }.derived(now))
    }

    /// From the status record, and whether `down` is absent.
    pub fn from_status(record: &Record, normally_up: bool, now: Tai64N) -> Shown {
        let up = record.pid != 0;
        let want = match record.want {
            b'u' => "up",
            b'd' => "down",
            _ => "once",
        };
        let truth = |b: bool| if b { "true" } else { "false" }.to_string();
        let fields = vec![
            ("state", if up { "up" } else { "down" }.to_string()),
            (
                "pid",
                if up {
                    record.pid.to_string()
                } else {
                    "-1".to_string()
                },
            ),
            ("want", want.to_string()),
            ("paused", truth(record.paused != 0)),
            ("normallyup", truth(normally_up)),
            ("updownsince", label(record.stamp)),
        ];
        Shown { fields }.derived(now)
    }

    /// Adds s6-svstat's computed fields.
    fn derived(mut self, now: Tai64N) -> Shown {
        let pid = self.get("pid").and_then(|p| p.parse::<i64>().ok());
        let up = pid.is_some_and(|p| p > 0);
        let wanted_up = self.get("want") == Some("up");
        let seconds_since = |key| {
            let since = Tai64N::parse_label(self.get(key)?.as_bytes())?;
            Some(now.secs.saturating_sub(since.secs).to_string())
        };
        let updownfor = seconds_since("updownsince");
        let readyfor = seconds_since("readysince");
        self.fields.push(("up", up.to_string()));
        self.fields.push(("wantedup", wanted_up.to_string()));
        if let Some(s) = updownfor {
            self.fields.push(("updownfor", s));
        }
        if let Some(s) = readyfor {
            self.fields.push(("readyfor", s));
        }
        self
    }

    fn get(&self, key: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.as_str())
    }

    /// `[dir]` and a `key=value` line for each field.
    pub fn pairs(&self, dir: &[u8]) -> Vec<u8> {
        let mut out = [b"[", dir, b"]\n"].concat();
        for (key, value) in &self.fields {
            out.extend_from_slice(format!("{key}={value}\n").as_bytes());
        }
        out
    }

    /// The values of `fields`, space-separated (`NA` for one not known, or empty).
    pub fn values(&self, fields: &[&str]) -> Vec<u8> {
        let values: Vec<&str> = fields
            .iter()
            .map(|f| self.get(f).filter(|v| !v.is_empty()).unwrap_or("NA"))
            .collect();
        format!("{}\n", values.join(" ")).into_bytes()
    }

    /// A JSON object: `dir`, then the fields, numbers and truths typed, an empty
    /// value and info's `NA` (no signal) `null`.
    pub fn json(&self, dir: &[u8]) -> String {
        let mut members = vec![format!("\"dir\":{}", json_string(&String::from_utf8_lossy(dir)))];
        for (key, value) in &self.fields {
            let bare = NUMBERS.contains(key) && value.parse::<i64>().is_ok()
                || TRUTHS.contains(key) && (value == "true" || value == "false");
            let typed = if value.is_empty() || value == "NA" {
                "null".to_string()
            } else if bare {
                value.clone()
            } else {
                json_string(value)
            };
            members.push(format!("\"{key}\":{typed}"));
        }
        format!("{{{}}}", members.join(","))
    }
}

fn label(t: Tai64N) -> String {
    String::from_utf8_lossy(&t.to_label()).into_owned()
}

/// `s` as a JSON string.
fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The JSON document for every directory shown: an array of their objects.
pub fn json_document(objects: &[String]) -> Vec<u8> {
    format!("[{}]\n", objects.join(",")).into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::Want;
    use crate::supervise::Ended;
    use crate::supervise::info::{Info, State};

    const NOW: Tai64N = Tai64N {
        secs: (1 << 62) + 10 + 1_800_000_100,
        nanos: 0,
    };

    fn at(unix: i64) -> Tai64N {
        Tai64N::from_unix_micros(unix, 0)
    }

    fn info() -> Vec<u8> {
        Info {
            state: State::Ready,
            pid: Some(4321),
            pgid: Some(4321),
            want: Want::Up,
            paused: false,
            normally_up: true,
            updown_since: at(1_800_000_000),
            ready_since: Some(at(1_800_000_040)),
            last_exit: Some(Ended::Exited(3)),
            restarts: 2,
            next_start: None,
        }
        .render()
    }

    #[test]
    fn from_supervise_info() {
        let shown = Shown::from_info(&info(), NOW).unwrap();
        insta::assert_snapshot!(String::from_utf8(shown.pairs(b"/service/db")).unwrap());
        assert_eq!(
            shown.values(&[
                "up",
                "ready",
                "pid",
                "updownfor",
                "readyfor",
                "signal",
                "nextstart"
            ]),
            b"true true 4321 100 60 NA NA\n"
        );
        insta::assert_snapshot!(shown.json(b"/service/\"db\"\n"));
    }

    #[test]
    fn from_the_status_record() {
        let up = Record::new(at(1_800_000_090), 77, true, Want::Down);
        let shown = Shown::from_status(&up, false, NOW);
        insta::assert_snapshot!(String::from_utf8(shown.pairs(b"web")).unwrap());
        assert_eq!(
            shown.values(&["up", "wantedup", "ready", "pgid", "updownfor"]),
            b"true false NA NA 10\n"
        );
        let down = Record::new(at(1_800_000_099), 0, false, Want::Nothing);
        let shown = Shown::from_status(&down, true, NOW);
        assert_eq!(
            shown.json(b"web"),
            r#"{"dir":"web","state":"down","pid":-1,"want":"once","paused":false,"normallyup":true,"updownsince":"@400000006b49d26d000001f4","up":false,"wantedup":false,"updownfor":1}"#
        );
        assert_eq!(
            json_document(&[shown.json(b"a"), shown.json(b"b")])
                .iter()
                .filter(|&&c| c == b'{')
                .count(),
            2
        );
    }

    #[test]
    fn text_that_is_no_info_file() {
        assert_eq!(Shown::from_info(b"", NOW), None);
        assert_eq!(Shown::from_info(b"pid=4\nready=true\n", NOW), None);
        // Garbage values are shown as they are, typed as strings.
        let shown = Shown::from_info(b"state=up\npid=four\nupdownsince=yesterday\n", NOW).unwrap();
        assert_eq!(shown.values(&["pid", "up", "updownfor"]), b"four false NA\n");
        assert!(shown.json(b"s").contains(r#""pid":"four""#));
    }

    #[test]
    fn arguments() {
        let r = |args: &[&str]| {
            request(&args.iter().map(|a| a.as_bytes()).collect::<Vec<_>>())
                .map_err(|e| String::from_utf8(e).unwrap())
        };
        assert_eq!(r(&["svshow", "a", "b"]), Ok((Format::Pairs, 1)));
        assert_eq!(r(&["svshow", "-j", "a"]), Ok((Format::Json, 2)));
        assert_eq!(
            r(&["svshow", "-o", "up,pid", "a"]),
            Ok((Format::Values(vec!["up", "pid"]), 3))
        );
        assert_eq!(
            r(&["svshow", "-o", "up,pidd", "a"]),
            Err("svshow: unknown field: pidd\n".into())
        );
        assert_eq!(
            r(&["svshow", "-o", "", "a"]),
            Err("svshow: unknown field: \n".into())
        );
        assert_eq!(
            r(&["svshow", "-x", "a"]),
            Err("svshow: illegal option -- x\n".into())
        );
        assert_eq!(r(&["svshow", "-j"]), Err(String::new()));
    }
}

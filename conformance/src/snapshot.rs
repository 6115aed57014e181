//! Upstream's transcripts, kept as insta snapshots in `conformance/snapshots/`, so the
//! suite also runs where upstream is not installed. They are recorded by the root
//! package's `tests/conformance.rs` (insta's `assert_snapshot!`) from a live run.

use std::path::PathBuf;

/// Where the snapshots are, fixed when the crate is built.
pub const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/snapshots");

pub fn path(name: &str) -> PathBuf {
    PathBuf::from(DIR).join(format!("{name}.snap"))
}

/// A snapshot's contents (after insta's `---` header), or `None` if there is none.
pub fn read(name: &str) -> Option<String> {
    let text = std::fs::read_to_string(path(name)).ok()?;
    let rest = text.strip_prefix("---\n")?;
    let end = rest.find("\n---\n")?;
    Some(rest[end + 5..].to_string())
}

/// Whether two transcripts are the same, as insta compares them.
pub fn same(a: &str, b: &str) -> bool {
    a.trim_end() == b.trim_end()
}

/// A short line diff: the lines between the common beginning and the common end.
pub fn diff(expected: &str, actual: &str) -> String {
    let (a, b): (Vec<&str>, Vec<&str>) = (expected.lines().collect(), actual.lines().collect());
    let prefix = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let suffix = a[prefix..]
        .iter()
        .rev()
        .zip(b[prefix..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let mut out = String::new();
    if prefix > 0 {
        out.push_str(&format!("  {}\n", a[prefix - 1]));
    }
    for line in a[prefix..a.len() - suffix].iter().take(20) {
        out.push_str(&format!("- {line}\n"));
    }
    for line in b[prefix..b.len() - suffix].iter().take(20) {
        out.push_str(&format!("+ {line}\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_shows_the_changed_lines_with_one_line_of_context() {
        assert_eq!(diff("a\nb\nc\n", "a\nx\nc\n"), "  a\n- b\n+ x\n");
        assert!(same("a\n", "a"));
        assert!(!same("a\n", "b"));
    }
}

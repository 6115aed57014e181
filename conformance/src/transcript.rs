//! Transcripts as text: what each step printed and how it ended, and the files the
//! scenario left. Bytes are shown escaped, so any byte difference is a text difference;
//! large outputs are shown in part and identified by length and hash.

use std::fmt::Write;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::Path;

/// Outputs up to this size are shown whole.
const SHOWN_WHOLE: usize = 4096;
/// Of a larger output, this many lines (each cut at `LINE_PREFIX` bytes) are shown.
const SHOWN_LINES: usize = 8;
const LINE_PREFIX: usize = 120;

/// 64-bit FNV-1a: identifies an output that is too large to show.
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn escape_into(out: &mut String, bytes: &[u8]) {
    for &b in bytes {
        match b {
            b'\\' => out.push_str("\\\\"),
            b'\t' => out.push_str("\\t"),
            b'\r' => out.push_str("\\r"),
            0x20..=0x7e => out.push(b as char),
            _ => {
                let _ = write!(out, "\\x{b:02x}");
            }
        }
    }
}

/// `bytes` as indented lines; a last line without newline is marked.
pub fn render(bytes: &[u8]) -> String {
    if bytes.is_empty() {
        return "  (empty)\n".to_string();
    }
    let mut out = String::new();
    let whole = bytes.len() <= SHOWN_WHOLE;
    let lines: Vec<&[u8]> = bytes.split_inclusive(|&c| c == b'\n').collect();
    let shown = if whole {
        lines.len()
    } else {
        SHOWN_LINES.min(lines.len())
    };
    for line in &lines[..shown] {
        let (text, newline) = match line.strip_suffix(b"\n") {
            Some(t) => (t, true),
            None => (*line, false),
        };
        out.push_str("  |");
        if whole || text.len() <= LINE_PREFIX {
            escape_into(&mut out, text);
        } else {
            escape_into(&mut out, &text[..LINE_PREFIX]);
            let _ = write!(out, "… ({} bytes)", text.len());
        }
        out.push_str(if newline {
            "\n"
        } else {
            "\n  (no newline at end)\n"
        });
    }
    if !whole {
        let _ = writeln!(
            out,
            "  … {} bytes in {} lines, fnv1a64 {:016x}",
            bytes.len(),
            lines.len(),
            fnv1a64(bytes)
        );
    }
    out
}

/// How a step ended, as text.
pub fn status(status: std::process::ExitStatus, timed_out: bool) -> String {
    use std::os::unix::process::ExitStatusExt;
    if timed_out {
        "timed out".to_string()
    } else if let Some(code) = status.code() {
        format!("exit {code}")
    } else {
        format!("killed by signal {}", status.signal().unwrap_or(0))
    }
}

/// One line per entry under `dir` (sorted, recursively): type, mode, size, and the
/// contents of regular files if `contents` (else their hash). `normalize` is applied
/// to names and contents.
pub fn list_files(
    dir: &Path,
    contents: bool,
    volatile: &[String],
    normalize: &dyn Fn(&[u8]) -> Vec<u8>,
) -> String {
    let mut entries = Vec::new();
    collect(dir, dir, &mut entries);
    entries.sort();
    let mut out = String::new();
    for rel in entries {
        let path = dir.join(&rel);
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        let name = normalize(rel.as_os_str().as_encoded_bytes());
        let mut shown = String::new();
        escape_into(&mut shown, &name);
        let mode = meta.mode() & 0o7777;
        let ft = meta.file_type();
        if ft.is_symlink() {
            let target = std::fs::read_link(&path).unwrap_or_default();
            let _ = writeln!(out, "{shown} symlink -> {}", target.display());
        } else if ft.is_dir() {
            let _ = writeln!(out, "{shown}/ dir {mode:04o}");
        } else if ft.is_fifo() {
            let _ = writeln!(out, "{shown} fifo {mode:04o}");
        } else if ft.is_file()
            && volatile
                .iter()
                .any(|v| model::multilog::pattern::matches(v.as_bytes(), rel.as_os_str().as_encoded_bytes()))
        {
            let _ = writeln!(out, "{shown} file {mode:04o} (contents not compared)");
        } else if ft.is_file() {
            let data = normalize(&std::fs::read(&path).unwrap_or_default());
            if contents {
                let _ = writeln!(out, "{shown} file {mode:04o} {} bytes", data.len());
                out.push_str(&render(&data));
            } else {
                let _ = writeln!(
                    out,
                    "{shown} file {mode:04o} {} bytes fnv1a64 {:016x}",
                    data.len(),
                    fnv1a64(&data)
                );
            }
        } else {
            let _ = writeln!(out, "{shown} other {mode:04o}");
        }
    }
    out
}

fn collect(root: &Path, dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(read) = std::fs::read_dir(dir) else { return };
    for entry in read.flatten() {
        let path = entry.path();
        if let Ok(rel) = path.strip_prefix(root) {
            out.push(rel.to_path_buf());
        }
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            collect(root, &path, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_marks_a_missing_final_newline() {
        insta::assert_snapshot!(render(b"plain\n\ttab\\ \x00\xff\r\nlast"), @r"
          |plain
          |\ttab\\ \x00\xff\r
          |last
          (no newline at end)
        ");
        assert_eq!(render(b""), "  (empty)\n");
    }

    #[test]
    fn large_outputs_are_summarised_with_a_hash() {
        let big = b"0123456789\n".repeat(1000);
        let text = render(&big);
        assert_eq!(text.lines().count(), SHOWN_LINES + 1);
        assert!(text.ends_with(&format!(
            "11000 bytes in 1000 lines, fnv1a64 {:016x}\n",
            fnv1a64(&big)
        )));
        let mut other = big.clone();
        other[9000] = b'x';
        assert_ne!(render(&other), text, "a change past the shown part still differs");
    }
}

//! Every program (svscanboot, a script, and the extensions' programs included) has a
//! manual page in man/, in
//! section 8, that names it.

use std::path::Path;

#[test]
fn every_program_has_a_man_page() {
    let man = Path::new(env!("CARGO_MANIFEST_DIR")).join("man");
    for name in conformance::programs::ALL
        .iter()
        .chain(&conformance::programs::OURS_ONLY)
    {
        let path = man.join(format!("{name}.8"));
        let page = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let title = format!(".TH {} 8 ", name.to_uppercase());
        assert!(
            page.starts_with(&title),
            "{}: should start with {title:?}",
            path.display()
        );
        assert!(
            page.contains(&format!("\n{name} \\- ")),
            "{}: NAME section",
            path.display()
        );
        for section in [".SH SYNOPSIS", ".SH DESCRIPTION", ".SH EXIT STATUS"] {
            assert!(page.contains(section), "{}: missing {section}", path.display());
        }
    }
}

#[test]
fn man_pages_render_without_warnings() {
    for name in conformance::programs::ALL
        .iter()
        .chain(&conformance::programs::OURS_ONLY)
    {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("man")
            .join(format!("{name}.8"));
        let out = std::process::Command::new("groff")
            .args(["-man", "-Tutf8", "-ww", "-z"])
            .arg(&path)
            .output()
            .expect("groff (Debian: groff-base) renders the pages");
        assert!(
            out.status.success() && out.stderr.is_empty(),
            "{name}.8: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

//! Portability of the multi-call binary (issue 18): which program it is, whatever
//! argv[0] says; `make install` from the source's list of programs; and, where the
//! build applies its linker layout (x86_64 glibc), that the layout took effect.

use std::ffi::CString;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use conformance::tempdir::TempDir;

const BINARY: &str = env!("CARGO_BIN_EXE_daemontools");

/// Runs `command` with `input` on its stdin.
fn run(mut command: Command, input: &[u8]) -> Output {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    // A program that does not read its input (a usage message) may have exited.
    let _ = child.stdin.take().unwrap().write_all(input);
    child.wait_with_output().unwrap()
}

/// tai64n's output for one line "hi": a label, a space, the line.
fn is_tai64n_of_hi(out: &Output) -> bool {
    let s = &out.stdout;
    out.status.success()
        && s.len() == 29
        && s.starts_with(b"@4000")
        && s[1..25].iter().all(u8::is_ascii_hexdigit)
        && s.ends_with(b" hi\n")
}

fn describe(out: &Output) -> String {
    format!(
        "{:?}, stdout {:?}, stderr {:?}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// A directory beside the binary (same file system, so hard links work), removed
/// at the end.
fn scratch(name: &str) -> TempDir {
    let path =
        Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("portability-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&path);
    std::fs::create_dir_all(&path).unwrap();
    TempDir::adopt(path)
}

/// The binary, linked into a scratch directory as `name`: hard and symbolic.
fn installed_as(dir: &Path, name: &str) -> (PathBuf, PathBuf) {
    let hard = dir.join("hard");
    let soft = dir.join("soft");
    for d in [&hard, &soft] {
        let _ = std::fs::create_dir(d);
    }
    std::fs::hard_link(BINARY, hard.join(name)).unwrap();
    std::os::unix::fs::symlink(BINARY, soft.join(name)).unwrap();
    (hard.join(name), soft.join(name))
}

/// Installed as tai64n, it is tai64n whatever its argv[0], as upstream's own
/// binary is: `exec -a x tai64n`, a login-style `-tai64n`, another program's name,
/// an empty name. Today's multi-call usage and exit 100 was the bug.
#[test]
fn the_installed_name_wins_over_argv0() {
    let dir = scratch("installed-name");
    let (hard, soft) = installed_as(dir.path(), "tai64n");
    for path in [&hard, &soft] {
        for argv0 in ["x", "-tai64n", "svok", "daemontools", "", "/usr/bin/multilog"] {
            let mut c = Command::new(path);
            c.arg0(argv0);
            let out = run(c, b"hi\n");
            assert!(
                is_tai64n_of_hi(&out),
                "{} as {argv0:?}: {}",
                path.display(),
                describe(&out)
            );
        }
    }
    // Through a shell, as the issue has it.
    let mut c = Command::new("bash");
    c.arg("-c").arg("exec -a x \"$0\"").arg(&hard);
    let out = run(c, b"hi\n");
    assert!(is_tai64n_of_hi(&out), "exec -a x: {}", describe(&out));
}

/// Installed as svok, the arguments still are the program's: svok of a directory
/// where no supervise runs exits 100 in silence, as upstream's does.
#[test]
fn the_installed_name_runs_with_the_given_arguments() {
    let dir = scratch("installed-args");
    let (hard, _) = installed_as(dir.path(), "svok");
    let mut c = Command::new(&hard);
    c.arg0("tai64n").arg(dir.path());
    let out = run(c, b"");
    assert_eq!(out.status.code(), Some(100), "{}", describe(&out));
    assert!(
        out.stdout.is_empty() && out.stderr.is_empty(),
        "{}",
        describe(&out)
    );
    let mut c = Command::new(&hard);
    c.arg0("x");
    let out = run(c, b"");
    assert_eq!(out.status.code(), Some(100), "{}", describe(&out));
    assert!(out.stderr.starts_with(b"svok: usage: "), "{}", describe(&out));
}

/// Started with no arguments at all (argc 0; Linux since 5.18 passes one empty
/// argv[0] instead), every program runs as the one it was installed as, and none
/// crashes.
#[test]
fn argc_zero() {
    let dir = scratch("argc-zero");
    let (hard, _) = installed_as(dir.path(), "tai64n");
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let out = run(without_arguments(&hard), b"hi\n");
    assert!(is_tai64n_of_hi(&out), "{}", describe(&out));
    for name in daemontools::program_names() {
        if name == "tai64n" {
            continue;
        }
        let (path, _) = installed_as(dir.path(), name);
        let mut c = without_arguments(&path);
        // A program that waits (svscan, in an empty directory) is killed after a
        // second; what matters is that none crashes.
        c.current_dir(&empty);
        let out = run_with_deadline(c);
        let crashed = out.status.signal().is_some_and(|s| s != 9) || out.status.code() == Some(101);
        assert!(!crashed, "{name} with argc 0: {}", describe(&out));
    }
}

/// `path` started by execve with an empty argv.
fn without_arguments(path: &Path) -> Command {
    let file = CString::new(path.as_os_str().as_bytes()).unwrap();
    let mut c = Command::new(path);
    // SAFETY: in the child, between fork and exec, only execv runs (execve with
    // the environment, async-signal-safe), on a string made before the fork and an
    // array on the stack. If it fails, the spawn fails with its error.
    unsafe {
        c.pre_exec(move || {
            let argv: [*const std::ffi::c_char; 1] = [std::ptr::null()];
            nix::libc::execv(file.as_ptr(), argv.as_ptr());
            Err(std::io::Error::last_os_error())
        });
    }
    c
}

/// Runs `command` with no input for at most a second; killed then.
fn run_with_deadline(mut command: Command) -> Output {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(1);
    // Killed only while not yet reaped, so that its pid is still its own.
    while child.try_wait().unwrap().is_none() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let _ = child.kill();
    child.wait_with_output().unwrap()
}

/// Executed under its own name (as the tests and the conformance suite run it),
/// argv[0] names the program, or the first argument does.
#[test]
fn executed_as_daemontools_argv0_decides() {
    let mut c = Command::new(BINARY);
    c.arg0("tai64n");
    let out = run(c, b"hi\n");
    assert!(is_tai64n_of_hi(&out), "{}", describe(&out));
    let mut c = Command::new(BINARY);
    c.arg0("/some/where/tai64n");
    assert!(is_tai64n_of_hi(&run(c, b"hi\n")));
    let mut c = Command::new(BINARY);
    c.arg("tai64n");
    assert!(is_tai64n_of_hi(&run(c, b"hi\n")));
    let out = run(Command::new(BINARY), b"");
    assert_eq!(out.status.code(), Some(100), "{}", describe(&out));
    let names: Vec<&str> = daemontools::program_names().collect();
    let usage = format!(
        "daemontools: usage: daemontools program [ arg ... ], where program is one of: {}\n",
        names.join(" ")
    );
    assert_eq!(String::from_utf8_lossy(&out.stderr), usage);
    // A name that is no program's (a copy, or started through ld.so or
    // /dev/fd/N): argv[0] decides too.
    let dir = scratch("other-name");
    let (hard, _) = installed_as(dir.path(), "dt");
    let mut c = Command::new(&hard);
    c.arg0("tai64n");
    assert!(is_tai64n_of_hi(&run(c, b"hi\n")));
}

/// `make install` takes the programs from the source (bins/lib.rs), not from
/// running the binary (which a cross build cannot): installed here with a build
/// step that does nothing and a binary that is not even executable.
#[test]
fn make_install_lists_the_programs_of_the_source() {
    let dir = scratch("install");
    let fake = dir.path().join("not-a-binary");
    std::fs::write(&fake, b"not a program\n").unwrap();
    let stage = dir.path().join("stage");
    let out = Command::new("make")
        .args(["-s", "install", "CARGO=true", "PREFIX=/usr"])
        .arg(format!("BINARY={}", fake.display()))
        .arg(format!("DESTDIR={}", stage.display()))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("make");
    assert!(out.status.success(), "{}", describe(&out));
    let bin = stage.join("usr/bin");
    let mut installed: Vec<String> = std::fs::read_dir(&bin)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    installed.sort();
    let mut expected: Vec<String> = daemontools::program_names().map(String::from).collect();
    expected.push("svscanboot".into());
    expected.sort();
    assert_eq!(installed, expected);
    // One file under every program's name; each with its man page.
    use std::os::unix::fs::MetadataExt;
    let inode = std::fs::metadata(bin.join("tai64n")).unwrap().ino();
    for name in daemontools::program_names() {
        assert_eq!(std::fs::metadata(bin.join(name)).unwrap().ino(), inode, "{name}");
        assert!(
            stage
                .join("usr/share/man/man8")
                .join(format!("{name}.8"))
                .is_file(),
            "{name}.8"
        );
    }
    assert!(stage.join("usr/share/man/man8/svscanboot.8").is_file());
    // The same list, as make prints it.
    let out = Command::new("make")
        .args(["-s", "programs"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("make");
    let names: Vec<&str> = daemontools::program_names().collect();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("{}\n", names.join(" "))
    );
}

/// What a tool prints about the binary.
fn tool(program: &str, args: &[&str]) -> String {
    let out = Command::new(program)
        .args(args)
        .arg(BINARY)
        .output()
        .unwrap_or_else(|e| panic!("{program} (binutils): {e}"));
    assert!(out.status.success(), "{program} {args:?}: {}", describe(&out));
    String::from_utf8(out.stdout).unwrap()
}

/// The address range of each section, by name.
fn sections() -> Vec<(String, u64, u64)> {
    tool("readelf", &["-SW"])
        .lines()
        .filter_map(|line| {
            let line = line.trim_start();
            let rest = line.strip_prefix('[')?;
            let (_, rest) = rest.split_once(']')?;
            let mut fields = rest.split_whitespace();
            let name = fields.next()?.to_string();
            let _type = fields.next()?;
            let address = u64::from_str_radix(fields.next()?, 16).ok()?;
            let _offset = fields.next()?;
            let size = u64::from_str_radix(fields.next()?, 16).ok()?;
            Some((name, address, address + size))
        })
        .collect()
}

/// The address range of the section `name`, if the binary has one.
fn range_of(sections: &[(String, u64, u64)], name: &str) -> Option<(u64, u64)> {
    sections.iter().find(|s| s.0 == name).map(|s| (s.1, s.2))
}

/// The layout (build.rs, layout.ld) applies on x86_64 glibc, where it was
/// verified: its effect is checked on the binary the tests run, built with the
/// same flags, symbol mangling and linker as the release. A change that makes the
/// linker script's patterns miss (another symbol mangling, say), a linker that
/// ignores the script, or a lost link argument fails here instead of silently
/// growing every process's resident memory.
#[cfg(all(target_arch = "x86_64", target_os = "linux", target_env = "gnu"))]
#[test]
fn the_linker_layout_took_effect() {
    let sections = sections();
    let section = |name: &str| {
        range_of(&sections, name).unwrap_or_else(|| panic!("no section {name}: layout.ld was not applied"))
    };
    let hot = section(".text.hot");
    let cold = section(".text.cold");
    let symbols = tool("nm", &["--defined-only"]);
    let place = |pred: &dyn Fn(&str) -> bool, what: &str, (start, end): (u64, u64), section: &str| {
        let mut found = 0;
        for line in symbols.lines() {
            let mut f = line.split_whitespace();
            let (Some(addr), Some(kind), Some(name)) = (f.next(), f.next(), f.next()) else {
                continue;
            };
            if !matches!(kind, "t" | "T") || !pred(name) {
                continue;
            }
            let addr = u64::from_str_radix(addr, 16).unwrap();
            assert!(
                (start..end).contains(&addr),
                "{what} ({name}) at {addr:#x}, not in {section} ({start:#x}..{end:#x})"
            );
            found += 1;
        }
        assert!(found > 0, "no symbol for {what}");
    };
    // What every program runs, the dispatch and multilog's code: hot.
    place(&|n| n == "main", "main", hot, ".text.hot");
    place(&|n| n == "_start", "the C runtime's start", hot, ".text.hot");
    place(
        &|n| n.contains("11daemontools3run"),
        "daemontools::run",
        hot,
        ".text.hot",
    );
    place(
        &|n| n.contains("11daemontools8multilog") || n.contains("7runtime8multilog"),
        "multilog's code",
        hot,
        ".text.hot",
    );
    place(
        &|n| n.contains("7runtime7message"),
        "runtime::message",
        hot,
        ".text.hot",
    );
    // What multilog calls for every read and at every rotation, though it lies
    // outside its modules: the clock, and nix's conversion of a byte-string path.
    place(
        &|n| n.contains("7runtime5clock"),
        "runtime::clock",
        hot,
        ".text.hot",
    );
    place(
        &|n| n.contains("nix..NixPath") || n.contains("7NixPath13with_nix_path"),
        "nix's NixPath::with_nix_path",
        hot,
        ".text.hot",
    );
    // std's allocation code, shared by every program, though v0 mangling names
    // it after the crate that first needed it (gimli, addr2line): hot.
    place(
        &|n| n.contains("11RawVecInner"),
        "std's RawVecInner",
        hot,
        ".text.hot",
    );
    // What runs only on a panic: cold.
    place(
        &|n| n.contains("12backtrace_rs5print"),
        "std's backtrace printer",
        cold,
        ".text.cold",
    );
    place(
        &|n| n.starts_with("_Unwind_"),
        "the static unwinder",
        cold,
        ".text.cold",
    );

    // Each loadable segment starts on a page of its own in the file.
    let loads: Vec<String> = tool("readelf", &["-lW"])
        .lines()
        .filter(|l| l.trim_start().starts_with("LOAD"))
        .map(String::from)
        .collect();
    assert!(loads.len() >= 3, "{loads:?}");
    for load in &loads {
        let offset = load.split_whitespace().nth(1).unwrap();
        let offset = u64::from_str_radix(offset.trim_start_matches("0x"), 16).unwrap();
        assert_eq!(offset % 4096, 0, "a segment that shares a page: {load}");
    }
    // gcc's unwinder linked in, so that libgcc_s.so is not loaded.
    let dynamic = tool("readelf", &["-dW"]);
    assert!(!dynamic.contains("libgcc_s"), "{dynamic}");
}

/// Elsewhere the build is plain: no layout applied that was not verified there.
#[cfg(not(all(target_arch = "x86_64", target_os = "linux", target_env = "gnu")))]
#[test]
fn the_build_is_plain_elsewhere() {
    assert!(
        !sections()
            .iter()
            .any(|s| s.0 == ".text.hot" || s.0 == ".text.cold")
    );
}

/// On x86_64 (glibc and musl static-pie) the relative relocations are packed
/// (DT_RELR, build.rs): without it every relocated pointer takes a 24-byte entry
/// in the file, and the binary outgrows its size budget.
#[cfg(all(
    target_arch = "x86_64",
    target_os = "linux",
    any(target_env = "gnu", target_env = "musl")
))]
#[test]
fn relative_relocations_are_packed() {
    let dynamic = tool("readelf", &["-dW"]);
    assert!(dynamic.contains("(RELR)"), "{dynamic}");
    let relocations = tool("readelf", &["-rW"]);
    assert!(
        !relocations.contains("R_X86_64_RELATIVE"),
        "relative relocations left unpacked: {relocations}"
    );
}

/// On x86_64 (glibc and musl static-pie) and aarch64 glibc the binary carries no
/// unwind tables (build.rs, no-unwind.ld): nothing in it unwinds, and they would
/// add about 45 kB. What stays is the C runtime's own start and end of the table.
#[cfg(all(
    target_os = "linux",
    any(
        all(target_arch = "x86_64", any(target_env = "gnu", target_env = "musl")),
        all(target_arch = "aarch64", target_env = "gnu")
    )
))]
#[test]
fn no_unwind_tables() {
    let sections = sections();
    let size = |name: &str| range_of(&sections, name).map_or(0, |(start, end)| end - start);
    assert!(size(".eh_frame") <= 256, "unwind tables kept: {sections:?}");
    assert_eq!(size(".gcc_except_table"), 0, "{sections:?}");
}

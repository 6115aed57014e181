//! Start-up cost and memory are part of the contract (DESIGN.md).
//! - On glibc, link gcc's static unwinder, so that `--as-needed` drops libgcc_s.so
//!   and the dynamic loader has one library less to map and relocate at every start
//!   (about 20,000 instructions).
//! - Start each segment of the binary on a page of its own: relocated data and
//!   writable data each fill one page fewer (8 kB less private memory in every
//!   supervise) for a few kB of padding in the file.
//! - Lay out the code (layout.ld): what every program runs and multilog's together,
//!   first, and what runs only on a panic apart, so that the kernel does not map code
//!   that does not run into every process along with the code that does.
//! - Leave out the unwind tables (no-unwind.ld): with `panic = "abort"` nothing
//!   unwinds, and they are about 45 kB of the binary. x86_64 glibc and musl,
//!   aarch64 glibc.
//!
//! These apply only where they were verified: x86_64 glibc, linked by lld (rustc's
//! default there) or GNU ld. tests/portability.rs fails if their effect is lost.
//! Everywhere else (musl, aarch64, another linker chosen with -fuse-ld) the build is
//! plain.

fn main() {
    let var = |name: &str| std::env::var(name).unwrap_or_default();
    let verified = var("CARGO_CFG_TARGET_ARCH") == "x86_64"
        && var("CARGO_CFG_TARGET_OS") == "linux"
        && var("CARGO_CFG_TARGET_ENV") == "gnu";
    // A linker chosen in the flags: only lld and GNU ld (bfd) were checked.
    let flags = var("CARGO_ENCODED_RUSTFLAGS");
    let other_linker = flags
        .split('\x1f')
        .filter_map(|flag| flag.split_once("-fuse-ld=").map(|(_, ld)| ld))
        .any(|ld| !matches!(ld, "lld" | "bfd"));
    if other_linker {
        println!(
            "cargo:warning=a linker other than lld or GNU ld: the binary's layout (layout.ld) is not applied"
        );
    }
    if verified && !other_linker {
        println!("cargo:rustc-link-lib=static:-bundle=gcc_eh");
        println!("cargo:rustc-link-arg-bins=-Wl,-z,separate-loadable-segments");
        let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("layout.ld");
        println!("cargo:rustc-link-arg-bins=-Wl,-T,{}", script.display());
    }
    let (arch, os, env) = (
        var("CARGO_CFG_TARGET_ARCH"),
        var("CARGO_CFG_TARGET_OS"),
        var("CARGO_CFG_TARGET_ENV"),
    );
    let x86_64_linux = arch == "x86_64" && os == "linux" && matches!(env.as_str(), "gnu" | "musl");
    // Relative relocations packed (DT_RELR): a bit for each relocated pointer,
    // not a 24-byte entry. glibc's loader (2.36 and later) and musl's static-pie
    // start-up (1.2.4 and later, as Rust ships it) apply them.
    if x86_64_linux && !other_linker {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
    // No unwind tables (no-unwind.ld).
    let aarch64_glibc = arch == "aarch64" && os == "linux" && env == "gnu";
    if (x86_64_linux || aarch64_glibc) && !other_linker {
        let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("no-unwind.ld");
        println!("cargo:rustc-link-arg-bins=-Wl,-T,{}", script.display());
    }
    println!("cargo:rerun-if-changed=layout.ld");
    println!("cargo:rerun-if-changed=no-unwind.ld");
}

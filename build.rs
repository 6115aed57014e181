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

fn main() {
    let target_os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let target_env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    if target_os == "linux" && target_env == "gnu" {
        println!("cargo:rustc-link-lib=static:-bundle=gcc_eh");
        println!("cargo:rustc-link-arg-bins=-Wl,-z,separate-loadable-segments");
        let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("layout.ld");
        println!("cargo:rustc-link-arg-bins=-Wl,-T,{}", script.display());
        println!("cargo:rerun-if-changed=layout.ld");
    }
}

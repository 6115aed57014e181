//! Start-up cost is part of the contract (DESIGN.md): every exec of a chain tool or of
//! `./run` under supervise pays it. On glibc, link gcc's static unwinder, so that
//! `--as-needed` drops libgcc_s.so and the dynamic loader has one library less to
//! map and relocate at every start (about 20,000 instructions).

fn main() {
    let target_os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let target_env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    if target_os == "linux" && target_env == "gnu" {
        println!("cargo:rustc-link-lib=static:-bundle=gcc_eh");
    }
}

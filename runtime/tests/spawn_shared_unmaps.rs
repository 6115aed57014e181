//! The stack `process::spawn_shared` maps for each child is unmapped once the child
//! has exec'd: many starts leave this process's mapped memory as it was. A test
//! binary of its own, so that no other test's thread maps or unmaps memory meanwhile.

use nix::sys::wait::{WaitStatus, waitpid};
use runtime::process::{Setup, spawn_shared};

/// Bytes mapped in this process, from /proc/self/maps.
fn mapped() -> u64 {
    std::fs::read_to_string("/proc/self/maps")
        .unwrap()
        .lines()
        .map(|l| {
            let (lo, hi) = l.split_whitespace().next().unwrap().split_once('-').unwrap();
            u64::from_str_radix(hi, 16).unwrap() - u64::from_str_radix(lo, 16).unwrap()
        })
        .sum()
}

#[test]
fn the_childs_stack_is_unmapped_after_each_start() {
    let start = || {
        let pid = spawn_shared(&[c"/bin/true"], Setup::default(), b"").unwrap();
        assert_eq!(waitpid(pid, None).unwrap(), WaitStatus::Exited(pid, 0));
    };
    // One start first, so that whatever a first call sets up is in place.
    start();
    let before = mapped();
    for _ in 0..20 {
        start();
    }
    assert_eq!(mapped(), before);
}

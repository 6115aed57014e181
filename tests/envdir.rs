//! envdir's one divergence (DESIGN.md): an entry that vanished between the listing
//! and the open (here, dangling symbolic links) unsets its variable. Upstream reuses
//! bytes left from the entry read before it, so what it sets depends on the order
//! the directory lists its entries in; ten regular files among ten dangling links
//! make sure some link follows a file, whatever that order.

mod support;

use conformance::tempdir::TempDir;
use std::collections::BTreeMap;
use support::{ours, upstream};

fn environment_after(mut envdir: std::process::Command, dir: &std::path::Path) -> BTreeMap<String, String> {
    let out = envdir
        .env_clear()
        .arg(dir)
        .arg("/usr/bin/env")
        .output()
        .expect("run envdir");
    assert!(out.status.success(), "{out:?}");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn vanished_entries_are_unset() {
    let scratch = TempDir::new("envdir").unwrap();
    let dir = scratch.path().join("env");
    std::fs::create_dir(&dir).unwrap();
    for i in 0..10 {
        std::fs::write(dir.join(format!("FILE{i}")), format!("value{i}\n")).unwrap();
        std::os::unix::fs::symlink("nowhere", dir.join(format!("GONE{i}"))).unwrap();
    }

    let env = environment_after(ours("envdir"), &dir);
    for i in 0..10 {
        assert_eq!(
            env.get(&format!("FILE{i}")).map(String::as_str),
            Some(format!("value{i}").as_str())
        );
        assert_eq!(env.get(&format!("GONE{i}")), None, "ours must unset GONE{i}");
    }

    match upstream("envdir") {
        Some(command) => {
            let env = environment_after(command, &dir);
            let stale = (0..10).filter(|i| env.contains_key(&format!("GONE{i}"))).count();
            assert!(
                stale > 0,
                "upstream was expected to give some GONE variable stale bytes: {env:?}"
            );
        }
        None => eprintln!("upstream envdir not installed: its stale values not shown"),
    }
}

//! tai64n end to end, with real pipes: each line comes out while the writer is still
//! open, labels are now's and in order, and no input makes it fail.

mod support;

use model::tai64::Tai64N;
use std::io::Write;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use support::{Output, both, ours, random_bytes, spawn_piped, wait_with_deadline};

const PATIENCE: Duration = Duration::from_secs(10);

/// The lines of `out`, each checked to start with a label and a space, without it.
fn unlabelled_lines(out: &[u8]) -> Vec<Vec<u8>> {
    out.split_inclusive(|&c| c == b'\n')
        .map(|line| {
            assert!(Tai64N::parse_label(&line[..25]).is_some(), "no label in {line:?}");
            assert_eq!(line[25], b' ');
            line[26..].to_vec()
        })
        .collect()
}

#[test]
fn each_line_comes_out_before_the_input_closes() {
    for (who, mut command) in both("tai64n") {
        let mut child = spawn_piped(&mut command);
        let mut input = child.stdin.take().unwrap();
        let mut output = Output::new(child.stdout.take().unwrap());
        input.write_all(b"first\n").unwrap();
        assert_eq!(
            unlabelled_lines(output.wait_for_lines(1, PATIENCE)),
            [b"first\n"],
            "{who}"
        );
        input.write_all(b"second\npart").unwrap();
        assert_eq!(
            unlabelled_lines(output.wait_for_lines(2, PATIENCE))[1],
            b"second\n",
            "{who}"
        );
        drop(input);
        let all = output.rest(PATIENCE).to_vec();
        assert!(wait_with_deadline(&mut child, PATIENCE).success(), "{who}");
        let expected: [&[u8]; 3] = [b"first\n", b"second\n", b"part"];
        assert_eq!(
            unlabelled_lines(&all),
            expected,
            "{who}: a partial last line stays partial"
        );
    }
}

#[test]
fn labels_are_now_nondecreasing_and_end_in_500_nanoseconds() {
    let mut child = spawn_piped(&mut ours("tai64n"));
    let mut input = child.stdin.take().unwrap();
    let mut output = Output::new(child.stdout.take().unwrap());
    let before = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64;
    for i in 0..200 {
        input.write_all(format!("line {i}\n").as_bytes()).unwrap();
    }
    drop(input);
    let out = output.rest(PATIENCE).to_vec();
    assert!(wait_with_deadline(&mut child, PATIENCE).success());
    let after = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64;
    let mut last = None;
    for (i, line) in out.split_inclusive(|&c| c == b'\n').enumerate() {
        let label = Tai64N::parse_label(&line[..25]).expect("a label");
        assert_eq!(&line[25..], format!(" line {i}\n").as_bytes());
        assert!(
            (before..=after).contains(&label.unix_secs()),
            "{label:?} not between {before} and {after}"
        );
        assert_eq!(label.nanos % 1000, 500);
        assert!(last <= Some(label), "labels go back: {last:?} then {label:?}");
        last = Some(label);
    }
    assert!(last.is_some());
}

#[test]
fn random_bytes_in_random_chunks_come_out_whole() {
    for seed in 1..=20u64 {
        let input = random_bytes(seed, 50_000);
        let mut child = spawn_piped(&mut ours("tai64n"));
        let mut stdin = child.stdin.take().unwrap();
        let mut output = Output::new(child.stdout.take().unwrap());
        for chunk in input.chunks(1 + (seed as usize * 997) % 4096) {
            stdin.write_all(chunk).unwrap();
        }
        drop(stdin);
        let out = output.rest(PATIENCE).to_vec();
        assert!(wait_with_deadline(&mut child, PATIENCE).success(), "seed {seed}");
        let unlabelled: Vec<u8> = out
            .split_inclusive(|&c| c == b'\n')
            .flat_map(|l| l[26..].to_vec())
            .collect();
        assert_eq!(unlabelled, input, "seed {seed}");
    }
}

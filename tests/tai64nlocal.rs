//! tai64nlocal end to end, with real pipes: each line comes out while the writer is
//! still open, and no input makes it fail or lose a byte.

mod support;

use std::io::Write;
use std::time::Duration;
use support::{Output, both, ours, random_bytes, spawn_piped, wait_with_deadline};

const PATIENCE: Duration = Duration::from_secs(10);

#[test]
fn each_line_comes_out_before_the_input_closes() {
    for (who, mut command) in both("tai64nlocal") {
        let mut child = spawn_piped(command.env("TZ", "UTC"));
        let mut input = child.stdin.take().unwrap();
        let mut output = Output::new(child.stdout.take().unwrap());
        input.write_all(b"@4000000037c219bf2ef02e94 first\n").unwrap();
        assert_eq!(
            output.wait_for_lines(1, PATIENCE),
            b"1999-08-24 04:04:05.787492500 first\n",
            "{who}"
        );
        input.write_all(b"plain second\n").unwrap();
        assert!(
            output.wait_for_lines(2, PATIENCE).ends_with(b"\nplain second\n"),
            "{who}"
        );
        drop(input);
        output.rest(PATIENCE);
        assert!(wait_with_deadline(&mut child, PATIENCE).success(), "{who}");
    }
}

#[test]
fn random_bytes_never_fail_and_unlabelled_lines_pass_unchanged() {
    for seed in 1..=20u64 {
        let mut input = random_bytes(seed, 50_000);
        // Salt it with labels and near-labels at line starts.
        for (i, pos) in (0..input.len()).step_by(997).enumerate() {
            let salt: &[u8] = [b"\n@4000000037c219bf2ef02e94".as_slice(), b"\n@40", b"\n@zz"][i % 3];
            let end = (pos + salt.len()).min(input.len());
            input[pos..end].copy_from_slice(&salt[..end - pos]);
        }
        let mut child = spawn_piped(&mut ours("tai64nlocal"));
        let mut stdin = child.stdin.take().unwrap();
        let mut output = Output::new(child.stdout.take().unwrap());
        for chunk in input.chunks(1 + (seed as usize * 1231) % 5000) {
            stdin.write_all(chunk).unwrap();
        }
        drop(stdin);
        let out = output.rest(PATIENCE).to_vec();
        assert!(wait_with_deadline(&mut child, PATIENCE).success(), "seed {seed}");
        let lines_in: Vec<&[u8]> = input.split(|&c| c == b'\n').collect();
        let lines_out: Vec<&[u8]> = out.split(|&c| c == b'\n').collect();
        assert_eq!(lines_in.len(), lines_out.len(), "seed {seed}");
        for (a, b) in lines_in.iter().zip(&lines_out) {
            if a.first() != Some(&b'@') {
                assert_eq!(a, b, "seed {seed}");
            }
        }
    }
}

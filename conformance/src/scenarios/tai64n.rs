use super::{megabyte_line, numbered_lines};
use crate::normalize::Norm;
use crate::scenario::{Scenario, Side};

fn s(name: &str, input: impl Into<Vec<u8>>) -> Scenario {
    Scenario::new("tai64n", name)
        .file("in", input)
        .normalize(Norm::NowLabels)
}

pub fn scenarios() -> Vec<Scenario> {
    let all_bytes: Vec<u8> = (0..=255u8).collect();
    let boundaries: Vec<u8> = [1023, 1024, 1025, 2047, 2048, 2049, 4095]
        .iter()
        .flat_map(|&n| [vec![b'x'; n - 1], vec![b'\n']].concat())
        .collect();
    vec![
        s("empty-input", "").run("tai64n < in"),
        s("one-line", "hello\n").run("tai64n < in"),
        s("several-lines", "first\nsecond\nthird\n").run("tai64n < in"),
        s("empty-lines", "\n\n\n").run("tai64n < in"),
        s("last-line-without-newline", "a\nlast").run("tai64n < in"),
        s("only-a-partial-line", "partial").run("tai64n < in"),
        s("input-already-labelled", "@4000000037c219bf2ef02e94 x\n").run("tai64n < in"),
        s("nul-bytes", "a\0b\n\0\n").run("tai64n < in"),
        s("carriage-returns", "crlf\r\n\r\nmid\rline\n").run("tai64n < in"),
        s("high-bytes", (0x80..=0xffu8).chain([b'\n']).collect::<Vec<u8>>()).run("tai64n < in"),
        s("every-byte-value", all_bytes).run("tai64n < in"),
        s("tabs-and-spaces", "\t lead\ttab trail \t\n").run("tai64n < in"),
        s("megabyte-line", [megabyte_line(), b"\n".to_vec()].concat()).run("tai64n < in"),
        s("megabyte-line-without-newline", megabyte_line()).run("tai64n < in"),
        s("ten-thousand-lines", numbered_lines(10_000)).run("tai64n < in"),
        s("lines-at-buffer-boundaries", boundaries).run("tai64n < in"),
        s("arguments-are-ignored", "x\n").run("tai64n -x --y z < in"),
        s("from-a-pipe", "a\nb\n").run("cat in | tai64n"),
        s("slow-writer", "").run("(echo one; sleep 0.2; echo two) | tai64n"),
        s("stdout-closed", "x\n").run("tai64n < in >&-"),
        s("stdout-full", "x\n").run("tai64n < in > /dev/full"),
        s("stdin-closed", "").run("tai64n <&-"),
        s("stdin-is-a-directory", "").run("tai64n < ."),
        s("killed-by-sigpipe", numbered_lines(50_000))
            .run("(tai64n < in; echo \"tai64n exited $?\" >&2) | head -c 100 > /dev/null"),
        s("labels-read-by-upstream-tai64nlocal", "one\ntwo\n")
            .env("TZ", "UTC")
            .normalize(Norm::NowUtcTimes)
            .pin("tai64nlocal", Side::Reference)
            .run("tai64n < in | tai64nlocal"),
    ]
}

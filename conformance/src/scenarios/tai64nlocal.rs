use super::{megabyte_line, numbered_lines};
use crate::normalize::Norm;
use crate::scenario::{Scenario, Side};
use model::tai64::Tai64N;

/// The label of UNIX time `t` with `nanos`.
fn label(t: i64, nanos: u32) -> String {
    let l = Tai64N {
        secs: model::tai64::UNIX_EPOCH.wrapping_add(t as u64),
        nanos,
    }
    .to_label();
    String::from_utf8_lossy(&l).into_owned()
}

/// Labelled lines for each time in `ts`.
fn labelled(ts: &[i64]) -> String {
    ts.iter()
        .map(|&t| format!("{} at {t}\n", label(t, 123_456_500)))
        .collect()
}

/// Every `step` seconds from `from` to `to`, plus one second either side of `at`.
fn around(from: i64, to: i64, step: usize, at: i64) -> Vec<i64> {
    let mut ts: Vec<i64> = (from..=to).step_by(step).collect();
    ts.extend([at - 1, at, at + 1]);
    ts.sort();
    ts
}

fn s(name: &str, input: impl Into<Vec<u8>>) -> Scenario {
    Scenario::new("tai64nlocal", name).file("in", input)
}

fn utc(name: &str, input: impl Into<Vec<u8>>) -> Scenario {
    s(name, input).env("TZ", "UTC").run("tai64nlocal < in")
}

fn zone(name: &str, tz: &str, input: impl Into<Vec<u8>>) -> Scenario {
    s(name, input).env("TZ", tz).run("tai64nlocal < in")
}

const MAN_PAGE_EXAMPLE: &str = "@4000000037c219bf2ef02e94 mark\n";

pub fn scenarios() -> Vec<Scenario> {
    // 2023 in New York: DST began 2023-03-12 07:00 UTC and ended 2023-11-05 06:00 UTC.
    let spring = around(1_678_597_200, 1_678_611_600, 1800, 1_678_604_400);
    let fall = around(1_699_156_800, 1_699_171_200, 1800, 1_699_164_000);
    // Sydney left DST on 2024-04-07 at 16:00 UTC.
    let sydney = around(1_712_498_400, 1_712_512_800, 3600, 1_712_505_600);
    // The leap second at the end of 2016, in a zone that counts leap seconds.
    let leap = around(1_483_228_820, 1_483_228_830, 1, 1_483_228_826);
    let many: String = (0..10_000)
        .map(|i| {
            format!(
                "{} line {i}\n",
                label(1_700_000_000 + i / 7, (i as u32 % 1000) * 1000 + 500)
            )
        })
        .collect();
    let mut boundary = vec![b'x'; 8190];
    boundary.extend(b"\n@4000000037c219bf2ef02e94 across the 8192-byte boundary\n");

    vec![
        utc("empty-input", ""),
        utc("lines-without-labels", "plain\n  indented\n\nlast\n"),
        utc("manual-page-example", MAN_PAGE_EXAMPLE),
        zone("new-york-winter", "America/New_York", labelled(&[1_673_784_000])),
        zone("new-york-summer", "America/New_York", labelled(&[1_689_422_400])),
        zone("new-york-spring-forward", "America/New_York", labelled(&spring)),
        zone("new-york-fall-back", "America/New_York", labelled(&fall)),
        zone("sydney-end-of-dst", "Australia/Sydney", labelled(&sydney)),
        zone(
            "london-1970s",
            "Europe/London",
            labelled(&[0, 31_536_000, 57_600_000, 86_400_000]),
        ),
        zone("leap-second-in-right-utc", "right/UTC", labelled(&leap)),
        s("tz-unset-uses-etc-localtime", labelled(&[0, 1_689_422_400])).run("tai64nlocal < in"),
        zone("tz-empty-is-utc", "", labelled(&[1_689_422_400])),
        zone("tz-with-colon", ":America/New_York", labelled(&[1_689_422_400])),
        zone("tz-posix-rules", "XST5XDT,M3.2.0,M11.1.0", labelled(&spring)),
        zone("tz-posix-without-rules", "XST5XDT", labelled(&fall)),
        zone(
            "tz-quoted-fixed-offset",
            "<+0330>-3:30",
            labelled(&[0, 1_689_422_400]),
        ),
        zone("tz-not-a-zone", "Foo/Bar", labelled(&[1_689_422_400])),
        zone(
            "new-york-far-past-and-future",
            "America/New_York",
            labelled(&[-5_000_000_000, 16_725_225_600, 253_402_300_799]),
        ),
        utc(
            "year-ten-thousand-and-beyond",
            labelled(&[253_402_300_800, 1 << 40]),
        ),
        utc("before-year-zero", labelled(&[-(1 << 36)])),
        utc(
            "epoch-and-just-before",
            "@400000000000000a00000000 epoch\n@400000000000000000000000 ten before\n",
        ),
        utc("nanoseconds-above-a-billion", "@4000000037c219bfffffffff x\n"),
        utc("extra-leading-zeros", "@00004000000037c219bf2ef02e94 x\n"),
        utc("label-followed-by-text", "@4000000037c219bf2ef02e94mark\n"),
        utc("label-then-upper-case", "@4000000037c219bf2ef02e94ABC\n"),
        utc("label-alone-on-its-line", "@4000000037c219bf2ef02e94\n"),
        utc(
            "label-not-at-line-start",
            "x @4000000037c219bf2ef02e94\n @4000000037c219bf2ef02e94\n",
        ),
        utc(
            "last-line-labelled-without-newline",
            "@4000000037c219bf2ef02e94 end",
        ),
        utc("last-line-plain-without-newline", "a\nend"),
        utc(
            "nul-cr-and-high-bytes",
            &b"@4000000037c219bf2ef02e94 \0\r\xff\n\0x\r\n\xfe\n"[..],
        ),
        utc(
            "megabyte-labelled-line",
            [
                MAN_PAGE_EXAMPLE
                    .as_bytes()
                    .strip_suffix(b"\n")
                    .unwrap_or_default(),
                &megabyte_line(),
                b"\n",
            ]
            .concat(),
        ),
        utc("megabyte-plain-line", [megabyte_line(), b"\n".to_vec()].concat()),
        utc("ten-thousand-labelled-lines", many),
        utc("label-across-the-8192-byte-buffer", boundary),
        s("arguments-are-ignored", MAN_PAGE_EXAMPLE)
            .env("TZ", "UTC")
            .run("tai64nlocal -x y < in"),
        s("stdout-closed", MAN_PAGE_EXAMPLE)
            .env("TZ", "UTC")
            .run("tai64nlocal < in >&-"),
        s("stdout-full", MAN_PAGE_EXAMPLE)
            .env("TZ", "UTC")
            .run("tai64nlocal < in > /dev/full"),
        s("stdin-closed", "").run("tai64nlocal <&-"),
        s("stdin-is-a-directory", "").run("tai64nlocal < ."),
        s("killed-by-sigpipe", numbered_lines(50_000))
            .run("(tai64nlocal < in; echo \"tai64nlocal exited $?\" >&2) | head -c 100 > /dev/null"),
        s("reads-upstream-tai64n", "one\ntwo\n")
            .env("TZ", "UTC")
            .normalize(Norm::NowUtcTimes)
            .pin("tai64n", Side::Reference)
            .run("tai64n < in | tai64nlocal"),
        // Where upstream dies or drops data, ours keeps every byte (DESIGN.md).
        utc("at-sign-without-digits", "before\n@zz\nafter\n")
            .diverges("upstream segfaults and loses its buffered output; ours copies the line"),
        utc("upper-case-label", "before\n@4000000037C219BF2EF02E94 x\nafter\n")
            .diverges("upstream segfaults; ours copies the line"),
        utc("sixteen-digit-label", "@4000000037c219bf x\n")
            .diverges("upstream segfaults (the year does not fit an int); ours copies the line"),
        utc("end-of-input-inside-a-label", "x\n@4000000037c2")
            .diverges("upstream drops the partial label; ours emits it as it came"),
    ]
}

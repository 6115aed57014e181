//! Compiled zone files (TZif, RFC 8536) read and applied as glibc 2.36 does, including
//! Debian's patch to `__tzfile_read` and glibc's `__tzfile_default`.

use super::civil::{Tm, offtime};
use super::posix::{self, Parsed, PosixRules};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct LocalType {
    /// Seconds east of UTC.
    offset: i32,
    isdst: bool,
    /// Transition times of this type are in standard, not wall-clock, time.
    isstd: bool,
    /// Transition times of this type are in UTC.
    isgmt: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Leap {
    transition: i64,
    correction: i64,
}

/// A zone file's transitions, local time types, leap seconds and footer rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TzFile {
    transitions: Vec<i64>,
    /// For each transition, the index of the local time type it switches to.
    type_idxs: Vec<u8>,
    types: Vec<LocalType>,
    leaps: Vec<Leap>,
    /// The rules for times after the last transition (the file's TZ string).
    footer: Option<PosixRules>,
    /// glibc's `rule_stdoff`: the offset of the last standard-time transition.
    rule_stdoff: i32,
}

struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(n)?;
        let bytes = self.data.get(self.pos..end)?;
        self.pos = end;
        Some(bytes)
    }

    fn be32(&mut self) -> Option<i32> {
        Some(i32::from_be_bytes(self.take(4)?.try_into().ok()?))
    }

    fn time(&mut self, width: usize) -> Option<i64> {
        if width == 4 {
            return self.be32().map(i64::from);
        }
        Some(i64::from_be_bytes(self.take(8)?.try_into().ok()?))
    }

    fn byte(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }
}

struct Header {
    version: u8,
    isgmt: usize,
    isstd: usize,
    leaps: usize,
    transitions: usize,
    types: usize,
    chars: usize,
}

fn header(r: &mut Reader) -> Option<Header> {
    let magic = r.take(4)?;
    if magic != b"TZif" {
        return None;
    }
    let version = r.byte()?;
    r.take(15)?;
    // glibc converts the signed counts to size_t; a negative one can never be read.
    let mut count = || r.be32().and_then(|n| usize::try_from(n).ok());
    Some(Header {
        version,
        isgmt: count()?,
        isstd: count()?,
        leaps: count()?,
        transitions: count()?,
        types: count()?,
        chars: count()?,
    })
}

impl TzFile {
    /// Reads a zone file; `None` where glibc would reject it (and fall back to
    /// reading TZ as a POSIX string).
    pub fn parse(data: &[u8]) -> Option<TzFile> {
        let mut r = Reader { data, pos: 0 };
        let mut h = header(&mut r)?;
        if h.isstd > h.types || h.isgmt > h.types {
            return None;
        }
        let mut width = 4;
        if h.version != 0 {
            // Skip the 32-bit data and use the 64-bit part that follows it.
            width = 8;
            let v1_len = h.transitions.checked_mul(5)?
                + h.types.checked_mul(6)?
                + h.chars
                + h.leaps.checked_mul(8)?
                + h.isstd
                + h.isgmt;
            r.take(v1_len)?;
            h = header(&mut r)?;
            if h.isstd > h.types || h.isgmt > h.types {
                return None;
            }
        }
        // A version 2+ file must end in a footer line of at least "\n\n".
        let mut footer_len = 0;
        if width == 8 {
            let data_len = h.transitions.checked_mul(9)?
                + h.types.checked_mul(6)?
                + h.chars
                + h.leaps.checked_mul(12)?
                + h.isstd
                + h.isgmt;
            let rest = data.len() - r.pos;
            footer_len = rest.checked_sub(data_len)?.checked_sub(1)?;
            if footer_len == 0 {
                return None;
            }
        }
        // glibc reads type indices as given, but rejects a file without types only by
        // crashing later; this reader rejects it at once.
        if h.types == 0 {
            return None;
        }

        let transitions = (0..h.transitions)
            .map(|_| r.time(width))
            .collect::<Option<Vec<_>>>()?;
        let type_idxs = r.take(h.transitions)?.to_vec();
        if type_idxs.iter().any(|&i| usize::from(i) >= h.types) {
            return None;
        }
        let mut types = Vec::with_capacity(h.types);
        for _ in 0..h.types {
            let offset = r.be32()?;
            let isdst = r.byte()?;
            let name_index = r.byte()?;
            if isdst > 1 || usize::from(name_index) > h.chars {
                return None;
            }
            types.push(LocalType {
                offset,
                isdst: isdst == 1,
                isstd: false,
                isgmt: false,
            });
        }
        r.take(h.chars)?;
        let mut leaps = Vec::with_capacity(h.leaps);
        for _ in 0..h.leaps {
            let transition = r.time(width)?;
            let correction = i64::from(r.be32()?);
            leaps.push(Leap {
                transition,
                correction,
            });
        }
        for t in types.iter_mut().take(h.isstd) {
            t.isstd = r.byte()? != 0;
        }
        for t in types.iter_mut().take(h.isgmt) {
            t.isgmt = r.byte()? != 0;
        }
        let footer = if width == 8 && r.byte() == Some(b'\n') {
            r.take(footer_len - 1)
                .map(|tz| tz.split(|&c| c == 0).next().unwrap_or_default())
                .filter(|tz| !tz.is_empty())
                .map(|tz| match posix::parse(tz) {
                    Parsed::Rules(rules) => rules,
                    // A footer always carries its rules; if one does not, glibc would
                    // reload posixrules in the middle of a conversion. Use the
                    // fallback rules instead.
                    Parsed::WantsDefaultRules { otherwise, .. } => otherwise,
                })
        } else {
            None
        };

        // Debian's glibc takes the standard offset from the last transition to a
        // standard-time type (and leaves the DST offset alone).
        let rule_stdoff = if transitions.is_empty() {
            types[0].offset
        } else {
            type_idxs
                .iter()
                .rev()
                .map(|&i| types[usize::from(i)])
                .find(|t| !t.isdst)
                .map_or(0, |t| t.offset)
        };
        Some(TzFile {
            transitions,
            type_idxs,
            types,
            leaps,
            footer,
            rule_stdoff,
        })
    }

    /// glibc's `__tzfile_default`: this file's transitions (it is `posixrules`) with
    /// the user's standard and DST offsets. `None` if the file has fewer than two types.
    ///
    /// The result depends on glibc's static `rule_dstoff`, which Debian's
    /// `__tzfile_read` leaves alone when the file has transitions: it is 0 in a fresh
    /// process, and `dstoff` once a first `__tzfile_default` has set it. glibc redoes
    /// all of this on every `localtime` call in this case, so the first call and the
    /// later ones differ; `first_call` says which one to build.
    pub(crate) fn with_offsets(mut self, stdoff: i32, dstoff: i32, first_call: bool) -> Option<TzFile> {
        if self.types.len() < 2 {
            return None;
        }
        let rule_dstoff = match (self.transitions.is_empty(), first_call) {
            (true, _) => self.types[0].offset,
            (false, true) => 0,
            (false, false) => dstoff,
        };
        let mut wall_clock_is_dst = false;
        for i in 0..self.transitions.len() {
            let original = self.types[usize::from(self.type_idxs[i])];
            self.type_idxs[i] = u8::from(original.isdst);
            let shift = if original.isgmt {
                0
            } else if wall_clock_is_dst && !original.isstd {
                dstoff.wrapping_sub(rule_dstoff)
            } else {
                stdoff.wrapping_sub(self.rule_stdoff)
            };
            self.transitions[i] += i64::from(shift);
            wall_clock_is_dst = original.isdst;
        }
        self.types.truncate(2);
        self.types[0].offset = stdoff;
        self.types[0].isdst = false;
        self.types[1].offset = dstoff;
        self.types[1].isdst = true;
        self.rule_stdoff = stdoff;
        Some(self)
    }

    /// The offset east of UTC at `t` (glibc's `__tzfile_compute`, before leap seconds).
    pub(crate) fn offset_at(&self, t: i64) -> i64 {
        let type_offset = |i: usize| i64::from(self.types[i].offset);
        let last_transition_type = || type_offset(usize::from(*self.type_idxs.last().unwrap_or(&0)));
        match (self.transitions.first(), self.transitions.last()) {
            (Some(&first), Some(&last)) if t >= first => {
                if t >= last {
                    match (&self.footer, offtime(t, 0)) {
                        (Some(rules), Some(utc)) => rules.offset_at(t, &utc),
                        _ => last_transition_type(),
                    }
                } else {
                    let next = self.transitions.partition_point(|&tr| tr <= t);
                    type_offset(usize::from(self.type_idxs[next - 1]))
                }
            }
            // Before the first transition (or with none): the first standard-time
            // type, or the first type if all are DST.
            _ => type_offset(self.types.iter().position(|t| !t.isdst).unwrap_or(0)),
        }
    }

    pub(crate) fn localtime(&self, t: i64) -> Option<Tm> {
        let offset = self.offset_at(t);
        // The last leap second at or before t: its correction, and whether t is the
        // inserted second itself (then shown as :60).
        let mut correction = 0;
        let mut hit = 0;
        if let Some(i) = self.leaps.iter().rposition(|l| t >= l.transition) {
            let leap = self.leaps[i];
            correction = leap.correction;
            let previous = if i == 0 { 0 } else { self.leaps[i - 1].correction };
            if t == leap.transition && leap.correction > previous {
                hit = 1;
                let mut j = i;
                while j > 0
                    && self.leaps[j].transition == self.leaps[j - 1].transition + 1
                    && self.leaps[j].correction == self.leaps[j - 1].correction + 1
                {
                    hit += 1;
                    j -= 1;
                }
            }
        }
        let mut tm = offtime(t, offset - correction)?;
        tm.sec += hit;
        Some(tm)
    }
}

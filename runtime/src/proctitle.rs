//! Rewriting this process's last argument where `ps` reads it (readproctitle,
//! spec 8), without unsafe code: the argument strings lie together at the end of
//! the kernel's argument area, whose end `/proc/self/stat` gives, and
//! `/proc/self/mem` writes there as upstream writes through `argv`. Nothing in this
//! process refers to that memory: std copies the arguments when asked for them.

use crate::io::errno_of;
use nix::errno::Errno;
use std::fs::{File, OpenOptions};
use std::os::unix::fs::FileExt;

/// The last argument's bytes in this process's memory.
pub struct LastArgument {
    mem: File,
    address: u64,
    len: usize,
}

impl LastArgument {
    /// Finds the last argument, `original` (as this process was given it).
    pub fn find(original: &[u8]) -> Result<LastArgument, Errno> {
        let stat = std::fs::read("/proc/self/stat").map_err(|e| errno_of(&e))?;
        let arg_end = arg_end(&stat).ok_or(Errno::EINVAL)?;
        // The argument and its NUL end the area.
        let address = arg_end
            .checked_sub(original.len() as u64 + 1)
            .ok_or(Errno::EINVAL)?;
        let mem = OpenOptions::new()
            .read(true)
            .write(true)
            .open("/proc/self/mem")
            .map_err(|e| errno_of(&e))?;
        let mut found = vec![0u8; original.len() + 1];
        mem.read_exact_at(&mut found, address).map_err(|e| errno_of(&e))?;
        if found.strip_suffix(&[0]) != Some(original) {
            return Err(Errno::EINVAL);
        }
        Ok(LastArgument {
            mem,
            address,
            len: original.len(),
        })
    }

    /// Puts `bytes` (exactly as long as the argument) in its place.
    pub fn show(&self, bytes: &[u8]) -> Result<(), Errno> {
        debug_assert_eq!(bytes.len(), self.len);
        self.mem
            .write_all_at(&bytes[..self.len], self.address)
            .map_err(|e| errno_of(&e))
    }
}

/// Field 49 of `/proc/<pid>/stat`, `arg_end`; the fields are counted after the
/// command name's closing parenthesis, as the name may hold spaces and parentheses.
fn arg_end(stat: &[u8]) -> Option<u64> {
    let after_name = &stat[stat.iter().rposition(|&b| b == b')')? + 1..];
    let field = after_name
        .split(|b| b.is_ascii_whitespace())
        .filter(|f| !f.is_empty())
        .nth(49 - 3)?;
    std::str::from_utf8(field).ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_arg_end_after_a_name_with_parentheses() {
        let mut stat = b"42 (a) b) S".to_vec();
        for field in 4..=52 {
            stat.extend_from_slice(format!(" {field}").as_bytes());
        }
        assert_eq!(arg_end(&stat), Some(49));
        assert_eq!(arg_end(b"42 (x) S 1 2"), None);
    }
}

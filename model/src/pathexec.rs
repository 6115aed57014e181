//! How upstream finds a program to run (pathexec, spec 1.4): which paths it tries,
//! in order, and which of the failures it reports.

/// How an `execve` of one candidate failed, as far as the search cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    /// ENOENT: try the next directory.
    NotFound,
    /// EACCES, EPERM or EISDIR: remember it, and try the next directory.
    Denied,
    /// Anything else: stop searching.
    Other,
}

/// The paths to try for `file`: itself if it contains a `/`, else `dir/file` for each
/// element of `path` (`/bin:/usr/bin` when PATH is unset), an empty element meaning `.`.
pub fn candidates<'a>(file: &'a [u8], path: Option<&'a [u8]>) -> impl Iterator<Item = Vec<u8>> + 'a {
    let direct = file.contains(&b'/');
    let dirs = if direct {
        None
    } else {
        Some(path.unwrap_or(b"/bin:/usr/bin").split(|&c| c == b':'))
    };
    let single = direct.then(|| file.to_vec());
    single
        .into_iter()
        .chain(dirs.into_iter().flatten().map(move |dir| {
            let dir: &[u8] = if dir.is_empty() { b"." } else { dir };
            [dir, b"/", file].concat()
        }))
}

/// Chooses the error to report after a failed search, as upstream: the last
/// remembered `Denied` error if there was one, else the last error seen.
#[derive(Clone, Copy, Debug, Default)]
pub struct Search<E> {
    denied: Option<E>,
    last: Option<E>,
}

impl<E: Copy> Search<E> {
    pub fn new() -> Self {
        Search {
            denied: None,
            last: None,
        }
    }

    /// Records a failed candidate; returns whether to go on to the next one.
    pub fn failed(&mut self, error: E, kind: Failure) -> bool {
        self.last = Some(error);
        match kind {
            Failure::NotFound => true,
            Failure::Denied => {
                self.denied = Some(error);
                true
            }
            Failure::Other => {
                self.denied = Some(error);
                false
            }
        }
    }

    /// The error to report once the candidates are exhausted or the search stopped.
    pub fn error(&self) -> Option<E> {
        self.denied.or(self.last)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(file: &str, path: Option<&str>) -> Vec<String> {
        candidates(file.as_bytes(), path.map(str::as_bytes))
            .map(|c| String::from_utf8(c).unwrap())
            .collect()
    }

    #[test]
    fn a_name_with_a_slash_is_run_as_it_is() {
        assert_eq!(all("./run", Some("/bin")), ["./run"]);
        assert_eq!(all("/bin/true", None), ["/bin/true"]);
    }

    #[test]
    fn path_elements_in_order_and_empty_means_dot() {
        assert_eq!(all("x", Some("/a::/b:")), ["/a/x", "./x", "/b/x", "./x"]);
        assert_eq!(all("x", Some("")), ["./x"]);
        assert_eq!(all("x", None), ["/bin/x", "/usr/bin/x"]);
    }

    #[test]
    fn the_remembered_denial_wins_over_a_later_not_found() {
        let mut s = Search::new();
        assert!(s.failed("EACCES", Failure::Denied));
        assert!(s.failed("ENOENT", Failure::NotFound));
        assert_eq!(s.error(), Some("EACCES"));
    }

    #[test]
    fn not_found_everywhere_reports_not_found() {
        let mut s = Search::new();
        assert!(s.failed("ENOENT", Failure::NotFound));
        assert!(s.failed("ENOENT", Failure::NotFound));
        assert_eq!(s.error(), Some("ENOENT"));
    }

    #[test]
    fn another_error_stops_the_search() {
        let mut s = Search::new();
        assert!(!s.failed("ENOEXEC", Failure::Other));
        assert_eq!(s.error(), Some("ENOEXEC"));
    }
}

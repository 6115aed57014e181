//! Environment edits as upstream's pathexec makes them (spec 1.5): each edit is
//! `NAME=value` (set) or a bare `NAME` (unset), applied in order.
//!
//! An edit removes the *first* entry of the same name (the part before the first
//! `=`), moving the last entry into its place, then appends itself if it sets. So
//! duplicate entries survive but for one, the order is not kept, and a name with an
//! `=` in it splits at its first `=`.

/// The edit for setting `name` to `value`, or unsetting it when `value` is `None`.
pub fn edit(name: &[u8], value: Option<&[u8]>) -> Vec<u8> {
    match value {
        Some(v) => [name, b"=", v].concat(),
        None => name.to_vec(),
    }
}

/// `environ` after the edits, in upstream's order.
pub fn apply(mut environ: Vec<Vec<u8>>, edits: &[Vec<u8>]) -> Vec<Vec<u8>> {
    for e in edits {
        let split = e.iter().position(|&c| c == b'=').unwrap_or(e.len());
        let name = &e[..split];
        let same_name =
            |entry: &Vec<u8>| entry.len() > split && &entry[..split] == name && entry[split] == b'=';
        if let Some(t) = environ.iter().position(same_name) {
            environ.swap_remove(t);
        }
        if split < e.len() {
            environ.push(e.clone());
        }
    }
    environ
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn env(entries: &[&str]) -> Vec<Vec<u8>> {
        entries.iter().map(|e| e.as_bytes().to_vec()).collect()
    }

    #[test]
    fn set_replace_and_unset() {
        let result = apply(
            env(&["A=1", "B=2", "C=3"]),
            &[edit(b"B", Some(b"x")), edit(b"A", None), edit(b"D", Some(b""))],
        );
        // B removed (C moves into its place) and appended; A removed (the new B moves up).
        assert_eq!(result, env(&["B=x", "C=3", "D="]));
    }

    #[test]
    fn only_the_first_duplicate_goes() {
        assert_eq!(
            apply(env(&["A=1", "X=0", "A=2"]), &[edit(b"A", None)]),
            env(&["A=2", "X=0"])
        );
    }

    #[test]
    fn a_name_with_an_equals_sign_splits_at_it() {
        // An envdir file named A=B with contents "eq" sets A to "B=eq".
        assert_eq!(
            apply(env(&["A=old"]), &[edit(b"A=B", Some(b"eq"))]),
            env(&["A=B=eq"])
        );
        // And an empty one sets A to "B".
        assert_eq!(apply(env(&["A=old"]), &[edit(b"A=B", None)]), env(&["A=B"]));
    }

    #[test]
    fn names_match_whole() {
        assert_eq!(apply(env(&["AB=1", "A=2"]), &[edit(b"A", None)]), env(&["AB=1"]));
        assert_eq!(apply(env(&["A"]), &[edit(b"A", None)]), env(&["A"]));
    }

    proptest! {
        /// After any edits, a set name has exactly the value of its last edit, and an
        /// unset name is gone where it was not duplicated.
        #[test]
        fn last_edit_wins(
            names in proptest::collection::vec(prop_oneof![Just("A"), Just("B"), Just("C")], 0..8),
            values in proptest::collection::vec(proptest::option::of("[a-z]{0,3}"), 8),
        ) {
            let edits: Vec<Vec<u8>> = names.iter().zip(&values)
                .map(|(n, v)| edit(n.as_bytes(), v.as_deref().map(str::as_bytes))).collect();
            let result = apply(env(&["A=0", "B=0", "C=0", "PATH=/bin"]), &edits);
            for name in ["A", "B", "C"] {
                let last = names.iter().zip(&values).rfind(|(n, _)| **n == name);
                let found: Vec<Vec<u8>> = result.iter().filter(|e| e.starts_with(format!("{name}=").as_bytes())).cloned().collect();
                match last {
                    None => prop_assert_eq!(found.len(), 1),
                    Some((_, None)) => prop_assert!(found.is_empty()),
                    Some((_, Some(v))) => prop_assert_eq!(found, vec![format!("{name}={v}").into_bytes()]),
                }
            }
            prop_assert!(result.contains(&b"PATH=/bin".to_vec()));
        }
    }
}

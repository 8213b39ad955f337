//! Bringing template changes into a generated project without losing the user's edits: a
//! three-way merge per file of the old render (the base), the user's files (ours) and the
//! new render (theirs), as git merges a branch.

use std::collections::{BTreeMap, BTreeSet};

use super::render::Tree;

/// What an update does to one path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Written with these bytes: the template's change, or both sides merged cleanly.
    Write(Vec<u8>),
    /// Removed: the template dropped a file the user had not touched.
    Remove,
    /// Both sides changed the same lines: written with conflict markers (`<<<<<<< ours`,
    /// `||||||| original`, `=======`, `>>>>>>> theirs`) for the user to resolve.
    Conflict(Vec<u8>),
    /// Both sides changed a file that is not text: the user's stays, and the template's is
    /// written beside it as `PATH.new` ([`NEW_SUFFIX`]) for the user to resolve.
    Beside(Vec<u8>),
}

impl Change {
    /// Whether the user must resolve it.
    pub fn is_conflict(&self) -> bool {
        matches!(self, Change::Conflict(_) | Change::Beside(_))
    }
}

/// Every change an update makes, by path; paths it leaves alone are absent.
pub type Changes = BTreeMap<String, Change>;

/// Where the template's version of a binary file in conflict is written.
pub const NEW_SUFFIX: &str = ".new";

/// The changes that bring `ours` (the project's files now, those the old render had or the
/// new one has) from `base` (the old render) to `theirs` (the new render):
///
/// - a path the template did not change keeps the user's version, whatever it is;
/// - a path the user did not change (or deleted where the template deletes it too) takes
///   the template's;
/// - a path the user deleted stays deleted; one the template deleted and the user edited
///   stays, edited;
/// - a path both changed is merged line by line, with markers where the changes overlap
///   (a path both added is merged from an empty base).
pub fn update(base: &Tree, ours: &Tree, theirs: &Tree) -> Changes {
    let paths: BTreeSet<&String> = base.keys().chain(theirs.keys()).collect();
    let mut changes = Changes::new();
    for path in paths {
        let (b, o, t) = (base.get(path), ours.get(path), theirs.get(path));
        if b == t || o == t {
            continue;
        }
        let change = match (o, t) {
            (None, _) if b.is_some() => continue,
            (o, None) if o == b => Change::Remove,
            (_, None) => continue,
            (None, Some(t)) => Change::Write(t.clone()),
            (Some(o), Some(t)) if o == b.unwrap_or(&Vec::new()) && b.is_some() => Change::Write(t.clone()),
            (Some(o), Some(t)) => merge(b.map_or(&[][..], Vec::as_slice), o, t),
        };
        changes.insert(path.clone(), change);
    }
    changes
}

fn merge(base: &[u8], ours: &[u8], theirs: &[u8]) -> Change {
    match (std::str::from_utf8(base), std::str::from_utf8(ours), std::str::from_utf8(theirs)) {
        (Ok(b), Ok(o), Ok(t)) => match diffy::merge(b, o, t) {
            Ok(merged) => Change::Write(merged.into_bytes()),
            Err(marked) => Change::Conflict(marked.into_bytes()),
        },
        _ => Change::Beside(theirs.to_vec()),
    }
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    fn tree(files: &[(&str, &str)]) -> Tree {
        files.iter().map(|(p, c)| ((*p).into(), c.as_bytes().to_vec())).collect()
    }

    #[test]
    fn edits_and_template_changes_both_survive_and_overlaps_are_marked() {
        let base = tree(&[
            ("a", "one\ntwo\nthree\nfour\nfive\n"),
            ("same", "x\n"),
            ("gone", "g\n"),
            ("kept", "k\n"),
        ]);
        let ours = tree(&[("a", "ONE\ntwo\nthree\nfour\nfive\n"), ("same", "mine\n"), ("kept", "edited\n")]);
        let theirs = tree(&[("a", "one\ntwo\nthree\nfour\nFIVE\n"), ("same", "x\n"), ("new", "n\n")]);
        let changes = update(&base, &ours, &theirs);
        assert_eq!(changes["a"], Change::Write(b"ONE\ntwo\nthree\nfour\nFIVE\n".to_vec()));
        assert_eq!(changes["new"], Change::Write(b"n\n".to_vec()));
        assert!(!changes.contains_key("same"), "the template did not change it: the user's stays");
        assert!(!changes.contains_key("gone"), "the user deleted it, the template too");
        assert!(!changes.contains_key("kept"), "the template deleted what the user edited: it stays");

        let ours = tree(&[("a", "one\ntwo\nthree\nfour\nfive!\n")]);
        let Change::Conflict(marked) = &update(&base, &ours, &theirs)["a"] else { panic!("not a conflict") };
        let marked = String::from_utf8(marked.clone()).unwrap();
        assert!(marked.contains("<<<<<<< ours\nfive!\n") && marked.contains(">>>>>>> theirs\n"), "{marked}");
    }

    #[test]
    fn an_untouched_file_follows_the_template_even_out_of_it() {
        let base = tree(&[("a", "1\n"), ("b", "2\n")]);
        let theirs = tree(&[("a", "1.1\n")]);
        let changes = update(&base, &base, &theirs);
        assert_eq!(changes["a"], Change::Write(b"1.1\n".to_vec()));
        assert_eq!(changes["b"], Change::Remove);
        let both_added = update(&Tree::new(), &tree(&[("c", "mine\n")]), &tree(&[("c", "theirs\n")]));
        assert!(matches!(both_added["c"], Change::Conflict(_)));
    }
}

//! Pack names.
//!
//! Packs published on Souk follow crates.io's rule: ASCII letters, digits, `-` and `_`,
//! starting with a letter, at most [`MAX_NAME_LEN`] characters. Names are compared folded
//! (ASCII case-insensitive, `_` equal to `-`), so `Axum_Service` and `axum-service` are one
//! pack and nobody can squat the other spelling. Imported registries keep their own names
//! (`@scope/name`, dots, leading digits): folding treats their other bytes as they are.

use alloc::vec::Vec;
use core::cmp::Ordering;

/// The longest name a pack published on Souk may have.
pub const MAX_NAME_LEN: usize = 64;
/// The longest name an index may list for a pack imported from another registry (npm's limit).
pub const MAX_LISTED_NAME_LEN: usize = 214;

/// Which part of the naming rule a name breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameRule {
    #[error("must not be empty")]
    Empty,
    #[error("must be at most {MAX_NAME_LEN} characters long (it has {0})")]
    TooLong(usize),
    #[error("must start with an ASCII letter")]
    MustStartWithLetter,
    #[error("may contain only ASCII letters, digits, `-` and `_` (found {0:?})")]
    InvalidChar(char),
    #[error("is a device name Windows reserves (`{0}`), so no folder can carry it")]
    Reserved(&'static str),
    #[error("must not have an empty, `.` or `..` part between slashes")]
    PathLike,
}

/// Names Windows keeps for devices, whatever the case: a folder of that name cannot exist.
const RESERVED: [&str; 22] = [
    "con", "prn", "aux", "nul", "com1", "com2", "com3", "com4", "com5", "com6", "com7", "com8", "com9",
    "lpt1", "lpt2", "lpt3", "lpt4", "lpt5", "lpt6", "lpt7", "lpt8", "lpt9",
];

/// Checks a name against the rule for packs published on Souk. A name that passes is also
/// one plain folder name on every system (no separator, no `.` or `..`, not absolute, no
/// reserved device name), which is what lets an install put each pack in a folder of its
/// name and stay inside the folder it was given.
pub fn check_name(name: &str) -> Result<(), NameRule> {
    let Some(first) = name.chars().next() else {
        return Err(NameRule::Empty);
    };
    if let Some(bad) = name.chars().find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_')) {
        return Err(NameRule::InvalidChar(bad));
    }
    if !first.is_ascii_alphabetic() {
        return Err(NameRule::MustStartWithLetter);
    }
    if name.len() > MAX_NAME_LEN {
        return Err(NameRule::TooLong(name.len()));
    }
    if let Some(reserved) = RESERVED.iter().find(|r| r.eq_ignore_ascii_case(name)) {
        return Err(NameRule::Reserved(reserved));
    }
    Ok(())
}

/// Checks a name as an index may list it: a name published on Souk, or one imported from
/// another registry with its own rules (`@scope/pkg`, `zope.interface`, `1password`): printable
/// ASCII without spaces or backslashes, at most [`MAX_LISTED_NAME_LEN`] bytes, and nothing a
/// path could read as a step (`/x`, `a//b`, `..`). A listed name is shown, searched and
/// resolved; only a signed record's name, which passes [`check_name`], is ever installed.
pub fn check_listed_name(name: &str) -> Result<(), NameRule> {
    check_listed_bytes(name.as_bytes())
}

/// [`check_listed_name`] on bytes, as a snapshot holds its names: every snapshot loaded
/// checks every name it lists, so this runs once per row.
pub(crate) fn check_listed_bytes(name: &[u8]) -> Result<(), NameRule> {
    if name.is_empty() {
        return Err(NameRule::Empty);
    }
    // One pass: a step (an empty, `.` or `..` part) is noted, a bad byte ends the check.
    let is_step = |part: &[u8]| matches!(part, b"" | b"." | b"..");
    let (mut path_like, mut part) = (false, 0);
    for (at, &b) in name.iter().enumerate() {
        if b == b'/' {
            path_like |= is_step(&name[part..at]);
            part = at + 1;
        } else if !b.is_ascii_graphic() || b == b'\\' {
            let bad = name[at..].utf8_chunks().next().and_then(|c| c.valid().chars().next());
            return Err(NameRule::InvalidChar(bad.unwrap_or(char::REPLACEMENT_CHARACTER)));
        }
    }
    if name.len() > MAX_LISTED_NAME_LEN {
        return Err(NameRule::TooLong(name.len()));
    }
    if path_like || is_step(&name[part..]) {
        return Err(NameRule::PathLike);
    }
    Ok(())
}

/// Whether two names are one edit apart, folded: one byte added, removed or changed, or two
/// neighbours swapped (`reqeusts` and `requests`). Equal names are not.
pub fn one_edit_apart(a: &str, b: &str) -> bool {
    let (a, b): (Vec<u8>, Vec<u8>) = (a.bytes().map(fold_byte).collect(), b.bytes().map(fold_byte).collect());
    let (short, long) = if a.len() <= b.len() { (&a, &b) } else { (&b, &a) };
    let start = short.iter().zip(long.iter()).take_while(|(x, y)| x == y).count();
    match long.len() - short.len() {
        0 if start == short.len() => false,
        0 => {
            let (x, y) = (&short[start..], &long[start..]);
            x[1..] == y[1..] || (x.len() >= 2 && x[0] == y[1] && x[1] == y[0] && x[2..] == y[2..])
        }
        1 => short[start..] == long[start + 1..],
        _ => false,
    }
}

/// One byte of a name as compared: ASCII lower case, `_` as `-`.
#[inline]
pub fn fold_byte(b: u8) -> u8 {
    if b == b'_' { b'-' } else { b.to_ascii_lowercase() }
}

/// Orders names as the index stores them: by their folded bytes.
pub fn cmp_folded(a: &str, b: &str) -> Ordering {
    cmp_folded_bytes(a.as_bytes(), b.as_bytes())
}

/// [`cmp_folded`] on bytes. Bytes that are equal fold equal, so only what follows the
/// common prefix is folded (names in index order share long prefixes).
pub fn cmp_folded_bytes(a: &[u8], b: &[u8]) -> Ordering {
    let common = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    a[common..].iter().map(|&c| fold_byte(c)).cmp(b[common..].iter().map(|&c| fold_byte(c)))
}

/// Whether two names denote the same pack.
pub fn eq_folded(a: &str, b: &str) -> bool {
    a.len() == b.len() && cmp_folded(a, b) == Ordering::Equal
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn folded_order_skips_the_common_prefix_and_agrees_with_folding_everything() {
        let naive = |a: &str, b: &str| a.bytes().map(fold_byte).cmp(b.bytes().map(fold_byte));
        let names =
            ["a", "A", "a_b", "a-b", "a-c", "ab", "a_", "a", "", "Zeta", "zet", "_", "-", "~", "B_c", "b-C"];
        for a in names {
            for b in names {
                assert_eq!(cmp_folded(a, b), naive(a, b), "{a:?} against {b:?}");
            }
        }
    }

    #[test]
    fn listed_names_are_checked_on_bytes_with_the_same_rules() {
        assert_eq!(check_listed_name("@scope/pkg"), Ok(()));
        assert_eq!(check_listed_name("zope.interface"), Ok(()));
        assert_eq!(check_listed_name("café"), Err(NameRule::InvalidChar('é')));
        assert_eq!(check_listed_name("a b"), Err(NameRule::InvalidChar(' ')));
        assert_eq!(check_listed_name("a\\b"), Err(NameRule::InvalidChar('\\')));
        for path in ["/x", "x/", "a//b", "..", "a/./b", "a/..", "."] {
            assert_eq!(check_listed_name(path), Err(NameRule::PathLike), "{path}");
        }
        // A bad byte outranks a path-like shape, whichever comes first.
        assert_eq!(check_listed_name("../a b"), Err(NameRule::InvalidChar(' ')));
        assert_eq!(check_listed_bytes(b"ok\xff"), Err(NameRule::InvalidChar(char::REPLACEMENT_CHARACTER)));
    }

    #[test]
    fn accepts_crates_io_style_names() {
        for name in ["a", "rust-cli", "axum_service", "Dockerfile2", &"x".repeat(64)] {
            assert_eq!(check_name(name), Ok(()), "{name}");
        }
    }

    #[test]
    fn names_the_broken_rule() {
        assert_eq!(check_name(""), Err(NameRule::Empty));
        assert_eq!(check_name("1abc"), Err(NameRule::MustStartWithLetter));
        assert_eq!(check_name("-abc"), Err(NameRule::MustStartWithLetter));
        assert_eq!(check_name("a.b"), Err(NameRule::InvalidChar('.')));
        assert_eq!(check_name("@scope/x"), Err(NameRule::InvalidChar('@')));
        assert_eq!(check_name("café"), Err(NameRule::InvalidChar('é')));
        assert_eq!(check_name(&"x".repeat(65)), Err(NameRule::TooLong(65)));
        assert_eq!(check_name("../escape"), Err(NameRule::InvalidChar('.')));
        assert_eq!(check_name("/home"), Err(NameRule::InvalidChar('/')));
        assert_eq!(check_name("a\\b"), Err(NameRule::InvalidChar('\\')));
        assert_eq!(check_name("CON"), Err(NameRule::Reserved("con")));
        assert_eq!(check_name("Lpt9"), Err(NameRule::Reserved("lpt9")));
        assert_eq!(check_name("console"), Ok(()), "only the device names themselves");
    }

    #[test]
    fn listed_names_take_other_registries_but_nothing_path_like() {
        for name in ["rust-cli", "@scope/pkg", "zope.interface", "1password", "a..b", &"x".repeat(214)] {
            assert_eq!(check_listed_name(name), Ok(()), "{name}");
        }
        assert_eq!(check_listed_name(""), Err(NameRule::Empty));
        assert_eq!(check_listed_name(&"x".repeat(215)), Err(NameRule::TooLong(215)));
        assert_eq!(check_listed_name("a b"), Err(NameRule::InvalidChar(' ')));
        assert_eq!(check_listed_name("a\\b"), Err(NameRule::InvalidChar('\\')));
        assert_eq!(check_listed_name("tab\t"), Err(NameRule::InvalidChar('\t')));
        assert_eq!(check_listed_name("café"), Err(NameRule::InvalidChar('é')));
        for name in ["../escape", "/home/u/.ssh", "a//b", "a/", "..", ".", "x/./y"] {
            assert_eq!(check_listed_name(name), Err(NameRule::PathLike), "{name}");
        }
    }

    #[test]
    fn one_edit_covers_typos_and_nothing_further() {
        for (a, b) in [
            ("reqeusts", "requests"),
            ("request", "requests"),
            ("requets", "requests"),
            ("reqvests", "requests"),
            ("raect", "react"),
            ("eact", "react"),
            ("reactt", "react"),
        ] {
            assert!(one_edit_apart(a, b) && one_edit_apart(b, a), "{a} {b}");
        }
        for (a, b) in [
            ("requests", "requests"),
            ("Requests", "requests"),
            ("re_quests", "re-quests"),
            ("rqeeusts", "requests"),
            ("react-dom", "react"),
            ("", "ab"),
        ] {
            assert!(!one_edit_apart(a, b), "{a} {b}");
        }
    }

    #[test]
    fn folding_ignores_case_and_separator() {
        assert!(eq_folded("Axum_Service", "axum-service"));
        assert!(!eq_folded("axum", "axum-service"));
        assert_eq!(cmp_folded("a_b", "a-c"), Ordering::Less);
        assert_eq!(cmp_folded("B", "a"), Ordering::Greater);
    }
}

//! Text as search sees it, shared by the index that is built and the queries that read it:
//! how text is cut into terms ([`tokenize`]) and the sorted term dictionary that finds the
//! terms within an edit distance or under a prefix (`terms`).

pub(crate) mod terms;
pub mod tokenize;

/// `s` cut to at most `max` bytes, at a char boundary.
pub(crate) fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

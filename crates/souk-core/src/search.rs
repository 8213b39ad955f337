//! Search over an [`Index`].
//!
//! Matching is deliberately simple: the folded query is compared with each pack's newest
//! version (exact name, name prefix, name substring, then every query word somewhere in
//! the name or description), and ties go to the more downloaded pack. It scans the index,
//! which is fine for the embedded registry and correct for any size.

use alloc::vec::Vec;
use core::cmp::Reverse;

use crate::index::Index;
use crate::name::{eq_folded, fold_byte};

/// The longest query looked at, in bytes; longer input is cut (at a char boundary) so a
/// query's cost stays bounded.
pub const MAX_QUERY_LEN: usize = 256;

/// What to look for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query<'a> {
    pub text: &'a str,
    pub offset: usize,
    pub limit: usize,
}

impl<'a> Query<'a> {
    /// The first 20 matches for `text`.
    pub fn new(text: &'a str) -> Self {
        Query {
            text,
            offset: 0,
            limit: 20,
        }
    }
}

/// How well a pack matched: higher is better.
pub mod score {
    pub const EXACT_NAME: u32 = 1000;
    pub const NAME_PREFIX: u32 = 600;
    pub const NAME_CONTAINS: u32 = 400;
    pub const ALL_WORDS: u32 = 100;
    /// What every pack scores for an empty query, which lists them all.
    pub const ANY: u32 = 1;
}

/// One matching pack (its newest version).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hit {
    pub record: usize,
    pub score: u32,
}

/// A page of matches, best first, and how many packs matched in all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchResults {
    pub total: usize,
    pub hits: Vec<Hit>,
}

/// A hit as people and programs see it (`souk search --json`, the page), borrowing
/// from the index.
#[cfg(feature = "serde")]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct HitSummary<'a> {
    pub name: &'a str,
    pub version: &'a str,
    pub description: &'a str,
    pub downloads: u64,
    pub stars: u32,
    pub score: u32,
}

impl SearchResults {
    /// The hits with the fields a result list shows.
    #[cfg(feature = "serde")]
    pub fn summaries<'a>(&'a self, index: &'a Index) -> impl Iterator<Item = HitSummary<'a>> + 'a {
        self.hits.iter().map(move |hit| {
            let pack = index.get(hit.record);
            HitSummary {
                name: pack.name(),
                version: pack.version(),
                description: pack.description(),
                downloads: pack.downloads(),
                stars: pack.stars(),
                score: hit.score,
            }
        })
    }
}

/// Finds the packs matching `query`, best first: by score, then downloads, then name.
pub fn search(index: &Index, query: &Query<'_>) -> SearchResults {
    let text = truncate(query.text.trim(), MAX_QUERY_LEN);
    let words: Vec<&str> = text.split_whitespace().collect();
    let mut hits: Vec<Hit> = (0..index.len())
        .filter(|&record| index.is_latest(record))
        .filter_map(|record| {
            let pack = index.get(record);
            let score = score_pack(pack.name(), pack.description(), text, &words);
            (score > 0).then_some(Hit { record, score })
        })
        .collect();
    hits.sort_unstable_by_key(|h| {
        let pack = index.get(h.record);
        (Reverse(h.score), Reverse(pack.downloads()), h.record)
    });
    let total = hits.len();
    let page = hits
        .into_iter()
        .skip(query.offset)
        .take(query.limit)
        .collect();
    SearchResults { total, hits: page }
}

fn score_pack(name: &str, description: &str, text: &str, words: &[&str]) -> u32 {
    if words.is_empty() {
        score::ANY
    } else if eq_folded(name, text) {
        score::EXACT_NAME
    } else if starts_with_folded(name, text) {
        score::NAME_PREFIX
    } else if contains_folded(name, text) {
        score::NAME_CONTAINS
    } else if words
        .iter()
        .all(|w| contains_folded(name, w) || contains_folded(description, w))
    {
        score::ALL_WORDS
    } else {
        0
    }
}

fn starts_with_folded(hay: &str, needle: &str) -> bool {
    hay.len() >= needle.len() && folded_eq(&hay.as_bytes()[..needle.len()], needle.as_bytes())
}

fn contains_folded(hay: &str, needle: &str) -> bool {
    needle.len() <= hay.len()
        && hay
            .as_bytes()
            .windows(needle.len())
            .any(|w| folded_eq(w, needle.as_bytes()))
}

fn folded_eq(a: &[u8], b: &[u8]) -> bool {
    a.iter().zip(b).all(|(&x, &y)| fold_byte(x) == fold_byte(y))
}

fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::IndexBuilder;
    use crate::index::tests::pack;
    use alloc::string::String;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn index() -> Index {
        let mut b = IndexBuilder::default();
        for (name, description, downloads) in [
            (
                "react",
                "React is a JavaScript library for building user interfaces.",
                100,
            ),
            ("react-dom", "React package for working with the DOM.", 90),
            ("preact", "Fast 3kb React alternative", 50),
            (
                "create-react-app",
                "Create React apps with no build configuration.",
                70,
            ),
            ("vue", "The progressive JavaScript framework", 80),
        ] {
            let mut p = pack(name, "1.0.0");
            p.description = description.into();
            p.downloads = downloads;
            b.push(p);
        }
        b.build().unwrap()
    }

    fn names(index: &Index, query: &Query<'_>) -> Vec<String> {
        search(index, query)
            .hits
            .iter()
            .map(|h| index.get(h.record).name().into())
            .collect()
    }

    #[test]
    fn exact_name_first_then_prefix_then_substring_then_words() {
        let index = index();
        assert_eq!(
            names(&index, &Query::new("React")),
            ["react", "react-dom", "create-react-app", "preact"]
        );
        assert_eq!(names(&index, &Query::new("javascript framework")), ["vue"]);
    }

    #[test]
    fn empty_query_lists_everything_by_downloads_and_pages() {
        let index = index();
        let all = search(&index, &Query::new("  "));
        assert_eq!(all.total, 5);
        let page = Query {
            offset: 1,
            limit: 2,
            ..Query::new("")
        };
        assert_eq!(names(&index, &page), ["react-dom", "vue"]);
    }

    #[test]
    fn hostile_queries_are_answered() {
        let index = index();
        let long = "x".repeat(10_000);
        for q in [long.as_str(), "\u{0}\u{7}\t", "!!!", "日本語", "🦀🦀", "é"] {
            assert_eq!(search(&index, &Query::new(q)).total, 0, "{q:?}");
        }
        let cut = "é".repeat(200);
        assert_eq!(truncate(&cut, MAX_QUERY_LEN).len(), 256);
        let cut = alloc::format!("a{}", "é".repeat(200));
        assert_eq!(truncate(&cut, MAX_QUERY_LEN).len(), 255);
    }
}

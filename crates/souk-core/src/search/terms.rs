//! The term dictionary and its typo-tolerant lookup.
//!
//! Terms are kept sorted in one interned table, which makes the dictionary an implicit
//! trie: terms sharing a prefix are adjacent. [`Terms::expand`] walks it with an
//! edit-distance automaton (Damerau-Levenshtein, optimal string alignment, on bytes): the
//! dynamic-programming row for a prefix is computed once and reused by every term that
//! shares the prefix, and as soon as no extension of a prefix can come within the allowed
//! distance, every term under it is skipped with one binary search. So a lookup costs in
//! proportion to the part of the trie within reach of the query, not to the dictionary.

use alloc::vec::Vec;

use crate::index::tables::Strings;
use crate::search::tokenize::MAX_TERM_LEN;

/// One dictionary term a query term reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Expansion {
    pub term: u32,
    /// Edits between the query term and the term (or, for a completion, its prefix).
    pub distance: u8,
    /// Whether the query term only reached a prefix of this term (search-as-you-type).
    pub completion: bool,
}

/// How many edits a query term of `len` bytes may be away from what it finds: none below
/// 4 bytes, one from 4, two from 8.
pub(crate) fn allowed_distance(len: usize) -> u8 {
    match len {
        0..4 => 0,
        4..8 => 1,
        _ => 2,
    }
}

const ROW: usize = MAX_TERM_LEN + 1;

impl Strings {
    /// The first term at or after `from` that does not start with `prefix`.
    fn end_of_prefix(&self, from: usize, prefix: &[u8]) -> usize {
        let (mut lo, mut hi) = (from, self.len());
        while lo < hi {
            let mid = (lo + hi) / 2;
            if self.get(mid as u32).as_bytes().starts_with(prefix) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    }

    /// Every term within `max_distance` edits of `query` (with `completions`, also every
    /// term that has a prefix within reach, at the distance of its closest prefix),
    /// appended to `out` in dictionary order.
    pub(crate) fn expand(&self, query: &str, max_distance: u8, completions: bool, out: &mut Vec<Expansion>) {
        let q = query.as_bytes();
        let m = q.len();
        if m == 0 || m > MAX_TERM_LEN {
            return;
        }
        // rows[k]: distances from the term's first k bytes to each prefix of the query.
        let mut rows = [[0u8; ROW]; ROW];
        // closest[k]: the smallest distance from the whole query to a prefix of the first k bytes.
        let mut closest = [0u8; ROW];
        for (j, cell) in rows[0].iter_mut().enumerate().take(m + 1) {
            *cell = j as u8;
        }
        closest[0] = m as u8;
        let n = self.len();
        let mut prev: &[u8] = &[];
        let mut i = 0;
        'terms: while i < n {
            let term = self.get(i as u32).as_bytes();
            if term.len() > MAX_TERM_LEN {
                // Only a hostile snapshot holds such a term; it cannot be reached.
                i += 1;
                continue;
            }
            let mut depth = term.iter().zip(prev).take_while(|(a, b)| a == b).count();
            prev = term;
            while depth < term.len() {
                let (done, next) = rows.split_at_mut(depth + 1);
                let row = &mut next[0];
                let above = &done[depth];
                let c = term[depth];
                row[0] = (depth + 1) as u8;
                let mut best = row[0];
                for j in 1..=m {
                    let mut d =
                        (above[j] + 1).min(row[j - 1] + 1).min(above[j - 1] + u8::from(q[j - 1] != c));
                    if depth >= 1 && j >= 2 && q[j - 1] == term[depth - 1] && q[j - 2] == c {
                        d = d.min(done[depth - 1][j - 2] + 1);
                    }
                    row[j] = d;
                    best = best.min(d);
                }
                closest[depth + 1] = closest[depth].min(row[m]);
                depth += 1;
                let prefix = &term[..depth];
                if completions
                    && (closest[depth] == 0 || (best > max_distance && closest[depth] <= max_distance))
                {
                    // Nothing below this prefix can come closer: all of it completes the query.
                    let end = self.end_of_prefix(i, prefix);
                    let distance = closest[depth];
                    out.extend((i..end).map(|t| Expansion {
                        term: t as u32,
                        distance,
                        completion: self.get(t as u32).len() != depth || rows[depth][m] != distance,
                    }));
                    i = end;
                    continue 'terms;
                }
                if best > max_distance {
                    // No extension of this prefix can come within reach.
                    i = self.end_of_prefix(i, prefix);
                    continue 'terms;
                }
            }
            let whole = rows[term.len()][m];
            let distance = if completions { closest[term.len()] } else { whole };
            if distance <= max_distance {
                out.push(Expansion { term: i as u32, distance, completion: whole != distance });
            }
            i += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::tables::Interner;
    use alloc::string::String;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn dictionary(words: &[&str]) -> Strings {
        let mut sorted: Vec<&str> = words.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        let mut interner = Interner::default();
        for w in sorted {
            interner.intern(w);
        }
        interner.finish()
    }

    fn expand(dict: &Strings, q: &str, d: u8, completions: bool) -> Vec<(String, u8, bool)> {
        let mut out = Vec::new();
        dict.expand(q, d, completions, &mut out);
        out.iter().map(|e| (dict.get(e.term).into(), e.distance, e.completion)).collect()
    }

    /// The plain dynamic-programming distance, to check the trie walk against.
    fn osa(a: &[u8], b: &[u8]) -> u8 {
        let mut d = alloc::vec![alloc::vec![0u8; b.len() + 1]; a.len() + 1];
        for i in 0..=a.len() {
            for j in 0..=b.len() {
                d[i][j] = if i == 0 {
                    j as u8
                } else if j == 0 {
                    i as u8
                } else {
                    let mut v = (d[i - 1][j] + 1)
                        .min(d[i][j - 1] + 1)
                        .min(d[i - 1][j - 1] + u8::from(a[i - 1] != b[j - 1]));
                    if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                        v = v.min(d[i - 2][j - 2] + 1);
                    }
                    v
                };
            }
        }
        d[a.len()][b.len()]
    }

    const WORDS: &[&str] = &[
        "react",
        "reactive",
        "reactjs",
        "redux",
        "read",
        "ready",
        "rect",
        "raect",
        "lodash",
        "loadash",
        "logdash",
        "express",
        "expresso",
        "typescript",
        "types",
        "type",
        "vue",
        "view",
        "a",
        "ab",
    ];

    #[test]
    fn walk_agrees_with_plain_edit_distance() {
        let dict = dictionary(WORDS);
        for q in ["react", "raect", "lodahs", "expres", "typscript", "vue", "ab", "zzzz", "reactt"] {
            for d in 0..=2 {
                let found = expand(&dict, q, d, false);
                let mut expected: Vec<(String, u8, bool)> = WORDS
                    .iter()
                    .map(|w| (String::from(*w), osa(q.as_bytes(), w.as_bytes())))
                    .filter(|(_, dist)| *dist <= d)
                    .map(|(w, dist)| (w, dist, false))
                    .collect();
                expected.sort();
                expected.dedup();
                assert_eq!(found, expected, "{q} within {d}");
            }
        }
    }

    #[test]
    fn completions_reach_every_term_under_a_prefix() {
        let dict = dictionary(WORDS);
        assert_eq!(
            expand(&dict, "reac", 0, true),
            [("react".into(), 0, true), ("reactive".into(), 0, true), ("reactjs".into(), 0, true)]
        );
        let typo = expand(&dict, "raec", 1, true);
        assert!(typo.contains(&("react".into(), 1, true)), "{typo:?}");
        assert!(typo.contains(&("raect".into(), 0, true)), "{typo:?}");
        assert_eq!(expand(&dict, "type", 0, true)[0], ("type".into(), 0, false));
    }

    #[test]
    fn transpositions_cost_one_edit() {
        let dict = dictionary(WORDS);
        assert!(expand(&dict, "lodahs", 1, false).contains(&("lodash".into(), 1, false)));
        assert!(expand(&dict, "raect", 1, false).contains(&("react".into(), 1, false)));
    }

    #[test]
    fn allowed_distance_grows_with_length() {
        assert_eq!([1, 3, 4, 7, 8, 20].map(allowed_distance), [0, 0, 1, 1, 2, 2]);
    }
}

//! The term dictionary and its typo-tolerant lookup.
//!
//! Terms are kept sorted in one interned table, which makes the dictionary an implicit
//! trie: terms sharing a prefix are adjacent. [`Dictionary::expand`] walks it with an
//! edit-distance automaton (Damerau-Levenshtein, optimal string alignment, on bytes): the
//! automaton's state after a prefix is computed once and reused by every term that shares
//! the prefix, and as soon as no extension of a prefix can come within the allowed
//! distance, every term under it is skipped by scanning the one-byte shared-prefix lengths. So a lookup costs in
//! proportion to the part of the trie within reach of the query, not to the dictionary.

use alloc::vec::Vec;
use core::ops::Range;

use super::tokenize::MAX_TERM_LEN;
use crate::tables::Strings;

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

/// One automaton state per byte of the longest term, and one before it.
const ROW: usize = MAX_TERM_LEN + 1;

/// The sorted term table with, for each term, how many leading bytes it shares with the
/// one before: the trie's shape in one byte per term, so walking it never compares strings.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Dictionary<'a> {
    pub terms: &'a Strings,
    pub shared: &'a [u8],
}

/// For each term of a sorted table, the length of its common prefix with the previous one.
pub(crate) fn shared_prefixes(terms: &Strings) -> Vec<u8> {
    let mut out = Vec::with_capacity(terms.len());
    let mut prev: &[u8] = &[];
    for id in 0..terms.len() as u32 {
        let term = terms.bytes(id);
        out.push(term.iter().zip(prev).take_while(|(a, b)| a == b).count().min(255) as u8);
        prev = term;
    }
    out
}

impl Dictionary<'_> {
    /// The first term after `from` that does not share the first `depth` bytes of `from`.
    fn end_of_prefix(&self, from: usize, depth: usize) -> usize {
        let rest = self.shared.get(from + 1..).unwrap_or_default();
        from + 1 + rest.iter().position(|&s| usize::from(s) < depth).unwrap_or(rest.len())
    }

    /// Every term within `max_distance` (at most [`MAX_DISTANCE`]) edits of `query`, and
    /// with `completions` every term that has a prefix within reach (at the distance of its
    /// closest prefix), appended to `out`.
    ///
    /// As in Meilisearch, a typo on the first letter counts as two: people rarely miss the
    /// first letter, and holding it fixed lets the walk visit one letter's terms instead
    /// of the whole dictionary. So a word allowed one typo must begin right, and a word
    /// allowed two may begin wrong only if nothing else is.
    pub(crate) fn expand(&self, query: &str, max_distance: u8, completions: bool, out: &mut Vec<Expansion>) {
        let q = query.as_bytes();
        if q.is_empty() || q.len() > MAX_TERM_LEN {
            return;
        }
        let start = self.lower_bound(&q[..1]);
        let end = q[0].checked_add(1).map_or(self.len(), |next| self.lower_bound(&[next]));
        self.walk(q, start..end, max_distance, completions, out);
        if usize::from(max_distance) < FIRST_LETTER_TYPO {
            return;
        }
        let mut variant = Vec::with_capacity(q.len() + 1);
        let mut look = |variant: &[u8]| {
            if variant.first().is_some_and(|&b| b != q[0]) {
                self.lookup(variant, completions, out);
            }
        };
        // The first letter missing, or swapped with the second.
        look(&q[1..]);
        variant.extend_from_slice(q);
        variant.swap(0, 1.min(q.len() - 1));
        look(&variant);
        // Another letter or digit instead of the first, or before it.
        for b in (b'a'..=b'z').chain(b'0'..=b'9') {
            variant.clear();
            variant.push(b);
            variant.extend_from_slice(&q[1..]);
            look(&variant);
            variant.truncate(1);
            variant.extend_from_slice(q);
            look(&variant);
        }
    }

    fn len(&self) -> usize {
        self.terms.len().min(self.shared.len())
    }

    /// The first term not ordered before `prefix`.
    fn lower_bound(&self, prefix: &[u8]) -> usize {
        let (mut lo, mut hi) = (0, self.len());
        while lo < hi {
            let mid = (lo + hi) / 2;
            if self.terms.bytes(mid as u32) < prefix {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    }

    /// The term `word` (with `completions`, every term beginning with it) as a first-letter
    /// typo.
    fn lookup(&self, word: &[u8], completions: bool, out: &mut Vec<Expansion>) {
        let first = self.lower_bound(word);
        let starts = |t: usize| t < self.len() && self.terms.bytes(t as u32).starts_with(word);
        if !starts(first) {
            return;
        }
        let exact = self.terms.bytes(first as u32).len() == word.len();
        let end =
            if completions { self.end_of_prefix(first, word.len()) } else { first + usize::from(exact) };
        out.extend((first..end).map(|t| Expansion {
            term: t as u32,
            distance: FIRST_LETTER_TYPO as u8,
            completion: self.terms.bytes(t as u32).len() != word.len(),
        }));
    }

    /// The terms of `range` within `max_distance` edits of `q` (or, with `completions`,
    /// with a prefix within reach).
    fn walk(
        &self,
        q: &[u8],
        range: Range<usize>,
        max_distance: u8,
        completions: bool,
        out: &mut Vec<Expansion>,
    ) {
        let automaton = Automaton::new(q, usize::from(max_distance).min(MAX_DISTANCE));
        // states[k]: the automaton after the term's first k bytes; closest[k]: the fewest
        // edits from the whole query to any prefix of those k bytes.
        let mut states = [automaton.start(); ROW];
        let mut closest = [NONE; ROW];
        closest[0] = automaton.distance(&states[0]);
        // How many leading bytes of the current term `states` is valid for.
        let mut valid = 0;
        let mut i = range.start;
        'terms: while i < range.end {
            let term = self.terms.bytes(i as u32);
            if term.len() > MAX_TERM_LEN {
                // Only a hostile snapshot holds such a term; it cannot be reached.
                i += 1;
                valid = 0;
                continue;
            }
            let mut depth = usize::from(self.shared[i]).min(valid).min(term.len());
            while depth < term.len() {
                let state = automaton.step(&states[depth], term[depth]);
                closest[depth + 1] = closest[depth].min(automaton.distance(&state));
                states[depth + 1] = state;
                depth += 1;
                let dead = state.is_dead();
                let reached = closest[depth];
                if completions && (reached == 0 || (dead && reached != NONE)) {
                    // Nothing below this prefix can come closer: all of it completes the query.
                    let end = self.end_of_prefix(i, depth);
                    let exact_here = automaton.distance(&state);
                    out.extend((i..end).map(|t| Expansion {
                        term: t as u32,
                        distance: reached,
                        completion: self.terms.bytes(t as u32).len() != depth || exact_here != reached,
                    }));
                    i = end;
                    valid = depth;
                    continue 'terms;
                }
                if dead {
                    // No extension of this prefix can come within reach.
                    i = self.end_of_prefix(i, depth);
                    valid = depth;
                    continue 'terms;
                }
            }
            let whole = automaton.distance(&states[term.len()]);
            let distance = if completions { closest[term.len()] } else { whole };
            if distance != NONE {
                out.push(Expansion { term: i as u32, distance, completion: whole != distance });
            }
            valid = term.len();
            i += 1;
        }
    }
}

/// The most edits a query term may be from what it finds.
pub(crate) const MAX_DISTANCE: usize = 2;
/// What a typo on the first letter costs.
const FIRST_LETTER_TYPO: usize = 2;
/// "Not within reach": more edits than any allowance.
const NONE: u8 = u8::MAX;

/// A bit-parallel Damerau-Levenshtein automaton (the nondeterministic automaton of Wu and
/// Manber, with Navarro's transposition states): each step reads one byte of a term and
/// costs a few word operations, whatever the query's length.
struct Automaton {
    /// Bit j of `masks[c]`: the query's byte j is `c`.
    masks: [u64; 256],
    /// Bits 0 to the query's length.
    all: u64,
    accept: u64,
    max: usize,
}

/// Bit j of `reach[k]`: the term read so far matches the query's first j bytes with at
/// most k edits. Bit j of `swapped[k]`: it would, but for the next byte, as the second half
/// of a transposition of query bytes j and j + 1.
#[derive(Debug, Clone, Copy)]
struct State {
    reach: [u64; MAX_DISTANCE + 1],
    swapped: [u64; MAX_DISTANCE + 1],
}

impl State {
    fn is_dead(&self) -> bool {
        self.reach.iter().chain(&self.swapped).all(|&r| r == 0)
    }
}

impl Automaton {
    fn new(query: &[u8], max: usize) -> Automaton {
        let mut masks = [0u64; 256];
        for (j, &c) in query.iter().enumerate() {
            masks[usize::from(c)] |= 1 << j;
        }
        let m = query.len();
        Automaton { masks, all: (1u64 << (m + 1)) - 1, accept: 1 << m, max }
    }

    /// Before any byte: the query's first k bytes may be deleted with k edits.
    fn start(&self) -> State {
        let mut reach = [0u64; MAX_DISTANCE + 1];
        reach[0] = 1;
        for k in 1..=self.max {
            reach[k] = (reach[k - 1] | (reach[k - 1] << 1)) & self.all;
        }
        State { reach, swapped: [0; MAX_DISTANCE + 1] }
    }

    fn step(&self, s: &State, c: u8) -> State {
        let b = self.masks[usize::from(c)];
        let mut next = State { reach: [0; MAX_DISTANCE + 1], swapped: [0; MAX_DISTANCE + 1] };
        next.reach[0] = ((s.reach[0] & b) << 1) & self.all;
        for k in 1..=self.max {
            let matched = (s.reach[k] & b) << 1;
            let substituted = s.reach[k - 1] << 1;
            let inserted = s.reach[k - 1];
            let deleted = next.reach[k - 1] << 1;
            let transposed = (s.swapped[k] & b) << 2;
            next.reach[k] = (matched | substituted | inserted | deleted | transposed) & self.all;
            next.swapped[k] = s.reach[k - 1] & (b >> 1);
        }
        next
    }

    /// The fewest edits from the whole query to the term read so far, or [`NONE`].
    fn distance(&self, s: &State) -> u8 {
        s.reach[..=self.max].iter().position(|&r| r & self.accept != 0).map_or(NONE, |k| k as u8)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tables::Interner;
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
        let shared = shared_prefixes(dict);
        Dictionary { terms: dict, shared: &shared }.expand(q, d, completions, &mut out);
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

    /// Souk's distance: plain edit distance for words that begin right; two for a word that
    /// differs only by a typo on its first letter; out of reach otherwise.
    fn souk_distance(q: &[u8], w: &[u8]) -> u8 {
        if q[0] == w[0] {
            return osa(q, w);
        }
        let first_letter_typo = w == &q[1..]
            || (q.len() > 1 && w.len() == q.len() && w[0] == q[1] && w[1] == q[0] && w[2..] == q[2..])
            || (w.len() == q.len() && w[1..] == q[1..])
            || (w.len() == q.len() + 1 && &w[1..] == q);
        if first_letter_typo { 2 } else { u8::MAX }
    }

    #[test]
    fn walk_agrees_with_plain_edit_distance() {
        let dict = dictionary(WORDS);
        for q in [
            "react",
            "raect",
            "lodahs",
            "expres",
            "typscript",
            "vue",
            "ab",
            "zzzz",
            "reactt",
            "eact",
            "rtypescript",
            "ytpescript",
        ] {
            for d in 0..=2 {
                let mut found = expand(&dict, q, d, false);
                found.sort();
                let mut expected: Vec<(String, u8, bool)> = WORDS
                    .iter()
                    .map(|w| (String::from(*w), souk_distance(q.as_bytes(), w.as_bytes())))
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
    fn a_typo_on_the_first_letter_counts_as_two() {
        let dict = dictionary(WORDS);
        assert!(expand(&dict, "eact", 1, false).is_empty());
        assert_eq!(expand(&dict, "ytpescript", 2, false), [("typescript".into(), 2, false)]);
        assert_eq!(expand(&dict, "rypescript", 2, false), [("typescript".into(), 2, false)]);
        assert_eq!(expand(&dict, "ypescript", 2, false), [("typescript".into(), 2, false)]);
        assert_eq!(expand(&dict, "xtypescript", 2, false), [("typescript".into(), 2, false)]);
        assert_eq!(expand(&dict, "xypescr", 2, true), [("typescript".into(), 2, true)]);
        assert!(expand(&dict, "rypescripp", 2, false).is_empty(), "a first-letter typo and another");
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

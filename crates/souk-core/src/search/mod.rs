//! Search over an [`Index`]: typo-tolerant, prefix-aware, ranked, filtered and paged.
//!
//! A query's text is cut into terms exactly as pack text is ([`tokenize`]). Each term
//! reaches the dictionary terms within its edit allowance (one edit from 4 bytes, two from
//! 8), and the last term also every term it begins, so results come as one types. A pack
//! matches when every query term reaches one of its terms. Packs are then ranked:
//!
//! 1. a pack whose name *is* the query (`react`, `@babel/core`, `react dom` for `react-dom`);
//! 2. packs whose name holds every query term as a whole word;
//! 3. packs whose name holds every query term, with typos or partly typed;
//! 4. the rest;
//!
//! and within each tier by BM25 over the matched terms (names weigh most, typos and
//! partial words less), scaled by popularity. So popularity breaks ties and
//! lifts the well-known above the obscure, but never buries an exact name.
//!
//! A query's cost is bounded: at most [`MAX_QUERY_LEN`] bytes, [`MAX_QUERY_TERMS`] terms,
//! and [`MAX_EXPANSIONS`] dictionary terms per query term.

pub use crate::text::tokenize;

use alloc::string::String;
use alloc::vec::Vec;
use core::cmp::Reverse;

use crate::index::Index;
use crate::index::search::{SearchIndex, TermIndex, field};
use crate::text::terms::{Expansion, allowed_distance};
use crate::text::tokenize::{Mode, Terms, for_each_term};
use crate::text::truncate;

/// The longest query looked at, in bytes; the rest is ignored.
pub const MAX_QUERY_LEN: usize = 256;
/// The most terms of a query that are matched; the rest are ignored.
pub const MAX_QUERY_TERMS: usize = 8;
/// The most dictionary terms one query term expands to (exact first, then closest and
/// most common).
pub const MAX_EXPANSIONS: usize = 64;

/// What to look for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query<'a> {
    /// Words to match; empty matches every pack (to browse, filter or sort).
    pub text: &'a str,
    pub filters: Filters<'a>,
    pub sort: Sort,
    pub offset: usize,
    pub limit: usize,
}

impl<'a> Query<'a> {
    /// The 20 most relevant packs for `text`.
    pub fn new(text: &'a str) -> Self {
        Query { text, filters: Filters::default(), sort: Sort::Relevance, offset: 0, limit: 20 }
    }
}

/// Conditions every result must meet (each compared ignoring ASCII case).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Filters<'a> {
    /// One of the pack's tags.
    pub tag: Option<&'a str>,
    pub category: Option<&'a str>,
    /// One of the pack's authors, by name (`Souk` matches `Souk <team@souk.dev>`).
    pub author: Option<&'a str>,
    /// A license identifier of the pack's expression (`MIT` matches `MIT OR Apache-2.0`).
    pub license: Option<&'a str>,
}

/// The order of results.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Sort {
    #[default]
    Relevance,
    Downloads,
    Stars,
    Newest,
}

/// One matching pack (its newest version).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hit {
    pub record: usize,
    /// Higher is more relevant; comparable only within one query's results.
    pub score: u32,
}

/// A page of matches and how many packs matched in all.
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

/// Working memory for queries, sized to the index. Reusing one across queries (as the
/// benches and the browser peer do) saves allocating and clearing it each time.
#[derive(Debug, Default, Clone)]
pub struct Scratch {
    /// Summed score of the words matched so far, per document.
    total: Vec<u32>,
    /// How many words each document has matched so far.
    matched: Vec<u8>,
    /// How the document's name matched the words, as packed counters (see [`NameHits`]).
    name_hits: Vec<u16>,
    /// The best score of the current word, per document, and how its name matched it.
    current: Vec<u32>,
    current_name: Vec<u16>,
    first_round: Vec<u32>,
    round: Vec<u32>,
    expansions: Vec<Expansion>,
    /// The fewest edits between a word of the last query and what it reached.
    closest: u8,
}

impl Scratch {
    fn fit(&mut self, docs: usize) {
        if self.total.len() != docs {
            *self = Scratch {
                total: alloc::vec![0; docs],
                matched: alloc::vec![0; docs],
                name_hits: alloc::vec![0; docs],
                current: alloc::vec![0; docs],
                current_name: alloc::vec![0; docs],
                ..Scratch::default()
            };
        }
    }
}

/// Counters of how a document's name matched a query's words, four bits each: in its name
/// at all, as a whole word (no typo, not a completion), not as a completion, and as the
/// whole name run together.
struct NameHits;

impl NameHits {
    const ANY: u16 = 1;
    const WHOLE: u16 = 1 << 4;
    const NOT_COMPLETED: u16 = 1 << 8;
    const WHOLE_NAME: u16 = 1 << 12;

    fn count(hits: u16, kind: u16) -> u8 {
        ((hits / kind) & 0xF) as u8
    }
}

/// Tiers of the ranking (the top bits of a score).
const EXACT_NAME: u32 = 3;
const WHOLE_WORDS_IN_NAME: u32 = 2;
const IN_NAME: u32 = 1;
const ELSEWHERE: u32 = 0;
const TIER_SHIFT: u32 = 28;
/// How much a match counts, in sixteenths, by how it was reached.
const EXACT: u32 = 16;
const ONE_TYPO: u32 = 9;
const TWO_TYPOS: u32 = 6;
/// Popularity (log2 downloads, times 1000) is added to this and the sum scales relevance.
const POPULARITY_BASE: u64 = 2048;

/// The terms a query is matched by: its text cut as pack text is, at most
/// [`MAX_QUERY_LEN`] bytes and [`MAX_QUERY_TERMS`] distinct terms. A page marks these in
/// results, so what it highlights is what search matched.
pub fn query_terms(text: &str) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    for_each_term(truncate(text.trim(), MAX_QUERY_LEN), Mode::Query, &mut Terms::default(), |t| {
        if words.len() < MAX_QUERY_TERMS && !words.iter().any(|w| w == t) {
            words.push(t.into());
        }
    });
    words
}

/// Finds the packs matching `query`.
pub fn search(index: &Index, query: &Query<'_>) -> SearchResults {
    search_with(index, query, &mut Scratch::default())
}

/// [`search`], reusing `scratch`.
pub fn search_with(index: &Index, query: &Query<'_>, scratch: &mut Scratch) -> SearchResults {
    let s = &index.search;
    let text = truncate(query.text.trim(), MAX_QUERY_LEN);
    let words = query_terms(text);

    // (doc, score) of every match.
    let mut matches: Vec<(u32, u32)> = if words.is_empty() {
        if text.is_empty() {
            (0..s.docs.len() as u32).map(|d| (d, 0)).collect()
        } else {
            Vec::new() // only punctuation, symbols or emoji: nothing to match
        }
    } else {
        scratch.fit(s.docs.len());
        let mut found = match_terms(s, &s.words, &words, scratch);
        if words.len() > 1 || scratch.closest > 1 {
            // The words run together may name a pack as a whole (`lr cache` for `lru-cache`,
            // or `lrucache`, which is within one edit of no word). A pack both ways keeps
            // its score as words.
            let joined = String::from(truncate(&words.concat(), tokenize::MAX_TERM_LEN));
            found.extend(match_terms(s, &s.names, &[joined], scratch));
            found.sort_by_key(|&(doc, _)| doc);
            found.dedup_by_key(|&mut (doc, _)| doc);
        }
        for name in [text, &words.join("-")] {
            if let Some(doc) = index.latest(name).and_then(|p| s.doc_of(p.record())) {
                match found.iter_mut().find(|(d, _)| *d == doc) {
                    Some(hit) => hit.1 = (EXACT_NAME << TIER_SHIFT) | (hit.1 & ((1 << TIER_SHIFT) - 1)),
                    None => found.push((doc, EXACT_NAME << TIER_SHIFT)),
                }
            }
        }
        found
    };

    let filters = &query.filters;
    if *filters != Filters::default() {
        matches.retain(|&(doc, _)| filters.accept(index, s.docs[doc as usize] as usize));
    }
    let total = matches.len();
    let wanted = query.offset.saturating_add(query.limit).min(total);
    if wanted == 0 {
        return SearchResults { total, hits: Vec::new() };
    }
    // Each match's order, computed once: two keys (higher first), then the document. By
    // relevance, popularity breaks ties, read from the search index's own compact column.
    let mut ordered: Vec<Ordered> = matches
        .into_iter()
        .map(|(doc, score)| {
            let d = doc as usize;
            let record = || index.get(s.docs[d] as usize);
            let keys = match query.sort {
                Sort::Relevance => (u64::from(score), u64::from(s.popularity[d])),
                Sort::Downloads => (record().downloads(), u64::from(score)),
                Sort::Stars => (u64::from(record().stars()), record().downloads()),
                Sort::Newest => (record().published(), u64::from(score)),
            };
            (Reverse(keys), doc, score)
        })
        .collect();
    if wanted < total {
        ordered.select_nth_unstable(wanted - 1);
        ordered.truncate(wanted);
    }
    ordered.sort_unstable();
    let hits = ordered
        .into_iter()
        .skip(query.offset)
        .map(|(_, doc, score)| Hit { record: s.docs[doc as usize] as usize, score })
        .collect();
    SearchResults { total, hits }
}

/// A match as it is ordered: two keys (higher first), then its document; and its score.
type Ordered = (Reverse<(u64, u64)>, u32, u32);

/// The documents that match every word, with their scores (tiers below the exact name).
fn match_terms(s: &SearchIndex, t: &TermIndex, words: &[String], scratch: &mut Scratch) -> Vec<(u32, u32)> {
    // Each word's expansions with what a match through each is worth, cheapest word first:
    // its matches bound all later work.
    let mut plans: Vec<(u64, Vec<(Expansion, u64)>)> = Vec::with_capacity(words.len());
    for (i, word) in words.iter().enumerate() {
        let last = i + 1 == words.len();
        let expansions = &mut scratch.expansions;
        expansions.clear();
        t.dictionary().expand(word, allowed_distance(word.len()), last, expansions);
        let df = |e: &Expansion| t.postings.range(e.term).len();
        expansions.sort_unstable_by_key(|e| (e.distance, e.completion, Reverse(df(e)), e.term));
        expansions.truncate(MAX_EXPANSIONS);
        let Some(first) = expansions.first() else {
            scratch.closest = u8::MAX;
            return Vec::new();
        };
        scratch.closest = if i == 0 { first.distance } else { scratch.closest.max(first.distance) };
        // The word's IDF: its own if it is a term, else the most common expansion's.
        let idf = if first.distance == 0 && !first.completion {
            t.idf[first.term as usize]
        } else {
            expansions.iter().map(|e| t.idf[e.term as usize]).min().unwrap_or(0)
        };
        let plan: Vec<(Expansion, u64)> = expansions
            .iter()
            .map(|e| (*e, u64::from(idf) * u64::from(quality(word.len(), t.terms.get(e.term).len(), e))))
            .collect();
        let cost = plan.iter().map(|(e, _)| df(e) as u64).sum();
        plans.push((cost, plan));
    }
    plans.sort_by_key(|(cost, _)| *cost);

    let n = plans.len() as u8;
    for (round, (_, plan)) in plans.iter().enumerate() {
        let round = round as u8;
        scratch.round.clear();
        for &(e, worth) in plan {
            let name_kind = NameHits::ANY
                | if e.completion { 0 } else { NameHits::NOT_COMPLETED }
                | if e.completion || e.distance > 0 { 0 } else { NameHits::WHOLE };
            for p in t.postings.range(e.term) {
                let doc = t.postings.docs[p] as usize;
                if scratch.matched[doc] != round {
                    continue;
                }
                let score = ((u64::from(t.postings.weights[p]) * worth) >> 20).max(1) as u32;
                if scratch.current[doc] == 0 {
                    scratch.round.push(doc as u32);
                }
                scratch.current[doc] = scratch.current[doc].max(score);
                let fields = t.postings.fields[p];
                if fields & (field::NAME | field::WHOLE_NAME) != 0 {
                    scratch.current_name[doc] |= name_kind;
                }
                if fields & field::WHOLE_NAME != 0 && !e.completion {
                    scratch.current_name[doc] |= NameHits::WHOLE_NAME;
                }
            }
        }
        for &doc in &scratch.round {
            let d = doc as usize;
            scratch.total[d] += scratch.current[d];
            let kinds = scratch.current_name[d];
            for kind in [NameHits::ANY, NameHits::WHOLE, NameHits::NOT_COMPLETED, NameHits::WHOLE_NAME] {
                if kinds & kind != 0 {
                    scratch.name_hits[d] += kind;
                }
            }
            scratch.matched[d] = round + 1;
            scratch.current[d] = 0;
            scratch.current_name[d] = 0;
        }
        if round == 0 {
            core::mem::swap(&mut scratch.first_round, &mut scratch.round);
            scratch.round.clone_from(&scratch.first_round);
        }
    }

    let mut found = Vec::with_capacity(scratch.round.len());
    for &doc in &scratch.round {
        let d = doc as usize;
        if scratch.matched[d] == n {
            found.push((doc, rank(s, d, scratch.total[d], scratch.name_hits[d], n)));
        }
    }
    for &doc in &scratch.first_round {
        let d = doc as usize;
        scratch.total[d] = 0;
        scratch.matched[d] = 0;
        scratch.name_hits[d] = 0;
    }
    found
}

/// How much a match through `e` counts, in sixteenths: partial words count by how much of
/// the word was typed, typos less.
fn quality(typed: usize, term_len: usize, e: &Expansion) -> u32 {
    let typos = match e.distance {
        0 => EXACT,
        1 => ONE_TYPO,
        _ => TWO_TYPOS,
    };
    if e.completion {
        let typed = typed.min(term_len) as u32;
        typos * (6 + 10 * typed / term_len.max(1) as u32) / EXACT
    } else {
        typos
    }
}

/// A document's score: its tier in the top bits, then its relevance scaled by popularity.
/// A name holding every word whole, or at all, lifts a pack a tier; a name holding all of
/// them and nothing else, with no word merely begun (`lodahs` for `lodash`), doubles the
/// relevance.
fn rank(s: &SearchIndex, doc: usize, relevance: u32, hits: u16, words: u8) -> u32 {
    let mut relevance = u64::from(relevance);
    let all = |kind| NameHits::count(hits, kind) == words;
    let names_all = s.name_terms[doc] == words || NameHits::count(hits, NameHits::WHOLE_NAME) == words;
    if all(NameHits::NOT_COMPLETED) && names_all {
        relevance *= 2;
    }
    let tier = if all(NameHits::WHOLE) {
        WHOLE_WORDS_IN_NAME
    } else if all(NameHits::ANY) {
        IN_NAME
    } else {
        ELSEWHERE
    };
    let scaled = relevance * (POPULARITY_BASE + u64::from(s.popularity[doc])) / POPULARITY_BASE;
    (tier << TIER_SHIFT) | scaled.min((1 << TIER_SHIFT) - 1) as u32
}

impl Filters<'_> {
    fn accept(&self, index: &Index, record: usize) -> bool {
        let pack = index.get(record);
        let is = |want: &str, have: &str| have.eq_ignore_ascii_case(want);
        self.tag.is_none_or(|t| pack.tags().any(|tag| is(t, tag)))
            && self.category.is_none_or(|c| is(c, pack.category()))
            && self.author.is_none_or(|a| {
                pack.authors()
                    .any(|author| is(a, author) || is(a, author.split('<').next().unwrap_or_default().trim()))
            })
            && self.license.is_none_or(|l| {
                let expression = pack.license();
                is(l, expression)
                    || expression
                        .split(|c: char| c.is_whitespace() || c == '(' || c == ')')
                        .any(|id| is(l, id))
            })
    }
}

#[cfg(test)]
mod tests;

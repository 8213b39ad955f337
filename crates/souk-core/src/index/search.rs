//! The search index: an inverted index over every pack's newest version, built with the
//! registry index and stored in the same snapshot, so loading never rebuilds it.
//!
//! BM25 is split in its two factors, both precomputed and quantized to `u16`: each posting
//! carries the term's weight in the document (its saturated, length-normalized frequency,
//! fields weighted: name above tags above category, author and description) and the fields
//! it occurs in; each term carries its inverse document frequency. Queries multiply the two,
//! choosing the IDF per query term rather than per expansion, so a typo that happens to be
//! a rare word is not worth more than the common word meant. Each document carries its
//! popularity. Queries then only add integers, which is
//! fast and gives bit-identical answers on every target; the floating-point work (with
//! `libm`, the same software on every target) happens once, here.

use alloc::string::String;
use alloc::vec::Vec;
use core::ops::Range;

use hashbrown::HashMap;

use super::Index;
use crate::tables::{Column, Strings};
use crate::text::terms::{Dictionary, shared_prefixes};
use crate::text::tokenize::{MAX_TERM_LEN, Mode, Terms, for_each_term};
use crate::text::truncate;

/// Which field of a pack a term occurs in (bits of a posting's `fields`).
pub(crate) mod field {
    pub const NAME: u8 = 1;
    pub const TAG: u8 = 2;
    pub const CATEGORY: u8 = 4;
    pub const AUTHOR: u8 = 8;
    pub const DESCRIPTION: u8 = 16;
    /// The whole name as one word (`lrucache` for `lru-cache`), so a typo in a short part
    /// of a name is still within reach of the name as a whole.
    pub const WHOLE_NAME: u8 = 32;
}

/// How much one occurrence in each field counts towards a term's weight in a pack.
const NAME_WEIGHT: u32 = 5;
const TAG_WEIGHT: u32 = 3;
const CATEGORY_WEIGHT: u32 = 2;
const AUTHOR_WEIGHT: u32 = 1;
const DESCRIPTION_WEIGHT: u32 = 1;

/// BM25's saturation and length normalization.
const K1: f64 = 1.2;
const B: f64 = 0.75;
/// Weights are stored as `round(weight * WEIGHT_SCALE)` (at most `K1 + 1`), IDFs as
/// `round(idf * IDF_SCALE)` (at most ln(2 * docs), under 20 for any registry).
const WEIGHT_SCALE: f64 = 20000.0;
const IDF_SCALE: f64 = 3000.0;
/// Popularity is stored as `round(log2(1 + downloads + STAR_WEIGHT * stars) * 1000)`.
const STAR_WEIGHT: f64 = 100.0;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct SearchIndex {
    /// Document to record: the newest version of each pack, ascending.
    pub docs: Column<u32>,
    pub popularity: Column<u16>,
    /// How many terms each document's name has (a query naming all of them is a full match).
    pub name_terms: Column<u8>,
    /// Every term of every pack's text.
    pub words: TermIndex,
    /// Every name of several parts, run together as one word (`lrucache` for `lru-cache`),
    /// so a typo in a short part (`lr-cache`) is still within reach of the whole name.
    /// Kept apart from `words` so that queries which do not need it do not pay for it.
    pub names: TermIndex,
    /// The average weighted length of a document that `words`' weights were computed
    /// against (an `f64`'s bits), so documents added later are weighed alike
    /// ([`super::merge`]); `None` in a snapshot written before it was kept.
    pub average: Option<u64>,
}

/// A dictionary of terms with their postings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct TermIndex {
    /// Every term, sorted, so the table is also a trie (see `crate::text::terms`).
    pub terms: Strings,
    /// Each term's shared-prefix length with the term before it.
    pub shared: Column<u8>,
    /// Each term's inverse document frequency.
    pub idf: Column<u16>,
    pub postings: Postings,
}

/// For each term, the documents it occurs in (ascending), with weight and fields.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Postings {
    pub ends: Column<u32>,
    pub docs: Column<u32>,
    pub weights: Column<u16>,
    pub fields: Column<u8>,
}

impl Postings {
    pub fn range(&self, term: u32) -> Range<usize> {
        let t = term as usize;
        let start = if t == 0 { 0 } else { self.ends[t - 1] as usize };
        start..self.ends[t] as usize
    }
}

impl TermIndex {
    fn memory_bytes(&self) -> usize {
        use core::mem::size_of_val as size;
        let p = &self.postings;
        self.terms.memory_bytes()
            + self.shared.len()
            + size(&self.idf[..])
            + size(&p.ends[..])
            + size(&p.docs[..])
            + size(&p.weights[..])
            + p.fields.len()
    }

    pub fn dictionary(&self) -> Dictionary<'_> {
        Dictionary { terms: &self.terms, shared: &self.shared }
    }

    fn is_well_formed(&self, docs: usize) -> bool {
        let p = &self.postings;
        let terms = self.terms.len();
        // The terms themselves were checked as they were read (`Sections::strings`).
        self.shared.len() == terms
            && self.idf.len() == terms
            && p.ends.len() == terms
            && p.ends.windows(2).all(|w| w[0] <= w[1])
            && p.ends.last().map_or(p.docs.is_empty(), |&e| e as usize == p.docs.len())
            && p.weights.len() == p.docs.len()
            && p.fields.len() == p.docs.len()
            && p.docs.iter().max().is_none_or(|&d| (d as usize) < docs)
    }
}

impl SearchIndex {
    pub fn memory_bytes(&self) -> usize {
        use core::mem::size_of_val as size;
        size(&self.docs[..])
            + size(&self.popularity[..])
            + self.name_terms.len()
            + self.words.memory_bytes()
            + self.names.memory_bytes()
    }

    /// The document of `record`, if it is a pack's newest version.
    pub fn doc_of(&self, record: usize) -> Option<u32> {
        self.docs.binary_search(&(record as u32)).ok().map(|d| d as u32)
    }

    /// Whether the invariants queries rely on hold (checked on every loaded snapshot).
    pub fn is_well_formed(&self, records: usize) -> bool {
        let n = self.docs.len();
        self.docs.windows(2).all(|w| w[0] < w[1])
            && self.docs.last().is_none_or(|&d| (d as usize) < records)
            && self.popularity.len() == n
            && self.name_terms.len() == n
            && self.words.is_well_formed(n)
            && self.names.is_well_formed(n)
    }
}

/// Collects one dictionary's occurrences, then weighs them with BM25.
#[derive(Default)]
struct TermIndexBuilder {
    ids: HashMap<String, u32>,
    terms: Vec<String>,
    /// Per term: (doc, weight, fields).
    lists: Vec<Vec<(u32, u32, u8)>>,
}

impl TermIndexBuilder {
    fn id(&mut self, term: &str) -> u32 {
        *self.ids.entry_ref(term).or_insert_with(|| {
            self.terms.push(term.into());
            self.lists.push(Vec::new());
            self.terms.len() as u32 - 1
        })
    }

    /// Weighs every posting; `lengths` are the documents' weighted lengths, `average` the
    /// length they are normalized against.
    fn finish(self, lengths: &[u32], average: f64) -> TermIndex {
        let mut idfs = Idfs::new(lengths.len());
        // Sized up front: grown by doubling, the postings of a large index were copied over
        // and over (wasm's allocator cannot grow a block in place).
        let (terms, postings) = (self.terms.len(), self.lists.iter().map(Vec::len).sum::<usize>());
        let text_len = self.terms.iter().map(String::len).sum::<usize>();
        let (mut text, mut ends, mut idf) =
            (Vec::with_capacity(text_len), Vec::with_capacity(terms), Vec::with_capacity(terms));
        let (mut posting_ends, mut docs, mut weights, mut fields) = (
            Vec::with_capacity(terms),
            Vec::with_capacity(postings),
            Vec::with_capacity(postings),
            Vec::with_capacity(postings),
        );
        let mut order: Vec<u32> = (0..self.terms.len() as u32).collect();
        order.sort_unstable_by(|&a, &b| self.terms[a as usize].cmp(&self.terms[b as usize]));
        for id in order {
            text.extend_from_slice(self.terms[id as usize].as_bytes());
            ends.push(text.len() as u32);
            let list = &self.lists[id as usize];
            idf.push(idfs.of(list.len()));
            for &(doc, weight, field) in list {
                docs.push(doc);
                weights.push(term_weight(weight, lengths[doc as usize], average));
                fields.push(field);
            }
            posting_ends.push(docs.len() as u32);
        }
        let terms = Strings::new(text.into(), ends.into());
        TermIndex {
            shared: shared_prefixes(&terms).into(),
            terms,
            idf: idf.into(),
            postings: Postings {
                ends: posting_ends.into(),
                docs: docs.into(),
                weights: weights.into(),
                fields: fields.into(),
            },
        }
    }
}

/// One term's occurrences in one document while building.
struct Occurrence {
    term: u32,
    weight: u32,
    fields: u8,
}

/// Terms' inverse document frequencies among a number of documents. Most terms of a
/// registry share a few small document counts, so each of those is worked out once: `ln`
/// took a tenth of merging a log into the npm index.
pub(crate) struct Idfs {
    docs: usize,
    /// By document count, below [`Idfs::KEPT`].
    known: Vec<Option<u16>>,
}

impl Idfs {
    const KEPT: usize = 4096;

    pub(crate) fn new(docs: usize) -> Self {
        Idfs { docs, known: Vec::new() }
    }

    /// The inverse document frequency of a term `df` of the documents hold.
    pub(crate) fn of(&mut self, df: usize) -> u16 {
        let docs = self.docs;
        let idf = || {
            let (n, df) = (docs as f64, df as f64);
            quantize(libm::log(1.0 + (n - df + 0.5) / (df + 0.5)) * IDF_SCALE)
        };
        if df >= Self::KEPT {
            return idf();
        }
        if self.known.len() <= df {
            self.known.resize(df + 1, None);
        }
        *self.known[df].get_or_insert_with(idf)
    }
}

/// A term's weight in a document: its weighted count there, saturated and normalized by
/// the document's weighted length against the average.
fn term_weight(count: u32, length: u32, average: f64) -> u16 {
    let tf = f64::from(count);
    let norm = K1 * (1.0 - B + B * f64::from(length) / average);
    quantize(tf * (K1 + 1.0) / (tf + norm) * WEIGHT_SCALE).max(1)
}

/// The average length `lengths` are normalized against.
fn average(lengths: &[u32]) -> f64 {
    let n = lengths.len() as f64;
    (lengths.iter().map(|&l| f64::from(l)).sum::<f64>() / n.max(1.0)).max(1.0)
}

/// The search index of `index`'s newest versions; `average`, when given, is the document
/// length the weights are normalized against instead of these documents' own (a merge
/// weighs new documents as the base's were).
pub(crate) fn build(index: &Index, average: Option<f64>) -> SearchIndex {
    let mut out = SearchIndex::default();
    let mut words = TermIndexBuilder::default();
    let mut names = TermIndexBuilder::default();
    let mut lengths: Vec<u32> = Vec::new();
    let mut buf = Terms::default();
    let mut doc_terms: Vec<Occurrence> = Vec::new();

    for record in (0..index.len()).filter(|&r| index.is_latest(r)) {
        let pack = index.get(record);
        let doc = out.docs.len() as u32;
        // Counted as a query cuts the name, so a query naming all of it is a full match.
        let mut name_terms = 0u32;
        let mut whole = String::new();
        for_each_term(pack.name(), Mode::Query, &mut buf, |part| {
            name_terms += 1;
            whole.push_str(part);
        });
        if name_terms > 1 {
            let id = names.id(truncate(&whole, MAX_TERM_LEN));
            names.lists[id as usize].push((doc, NAME_WEIGHT, field::WHOLE_NAME));
        }

        doc_terms.clear();
        let mut add = |text: &str, weight: u32, field: u8| {
            for_each_term(text, Mode::Index, &mut buf, |term| {
                let id = words.id(term);
                match doc_terms.iter_mut().find(|o| o.term == id) {
                    Some(o) => {
                        o.weight += weight;
                        o.fields |= field;
                    }
                    None => doc_terms.push(Occurrence { term: id, weight, fields: field }),
                }
            });
        };
        add(pack.name(), NAME_WEIGHT, field::NAME);
        for tag in pack.tags() {
            add(tag, TAG_WEIGHT, field::TAG);
        }
        add(pack.category(), CATEGORY_WEIGHT, field::CATEGORY);
        for author in pack.authors() {
            add(author, AUTHOR_WEIGHT, field::AUTHOR);
        }
        add(pack.description(), DESCRIPTION_WEIGHT, field::DESCRIPTION);

        out.docs.push(record as u32);
        out.name_terms.push(name_terms.min(255) as u8);
        let heat = pack.downloads() as f64 + STAR_WEIGHT * f64::from(pack.stars());
        out.popularity.push(quantize(libm::log2(1.0 + heat) * 1000.0));
        lengths.push(doc_terms.iter().map(|o| o.weight).sum());
        for o in &doc_terms {
            words.lists[o.term as usize].push((doc, o.weight, o.fields));
        }
    }
    let average = average.unwrap_or_else(|| self::average(&lengths));
    out.words = words.finish(&lengths, average);
    out.average = Some(average.to_bits());
    // A whole name is one short field: weigh it against an average name, not the text.
    out.names = names.finish(&alloc::vec![NAME_WEIGHT; lengths.len()], f64::from(NAME_WEIGHT));
    out
}

fn quantize(x: f64) -> u16 {
    libm::round(x).clamp(0.0, f64::from(u16::MAX)) as u16
}

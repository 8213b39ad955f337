//! A few entries merged into a large index instead of the whole index rebuilt with them: a
//! peer that synced a 227k-pack base with a relay's log on top searches it at once, where a
//! rebuild took two seconds in a tab.
//!
//! The packs the entries name (every spelling of each name) are built into a small index
//! with the base's rows of those names; its rows then take those names' place among the
//! base's, every column copied, and the two search indexes are merged term by term. New
//! documents are weighed against the base's average length ([`SearchIndex::average`]) and
//! every term's IDF is computed again, so a merged index finds what one built whole finds
//! and ranks it alike, up to the drift of that average (a log small beside its base moves
//! it little; [`crate::catalog::Catalog`] folds a larger one in whole). Strings are not
//! interned across the two, so a merged index is never written as a snapshot: a catalog's
//! base is always built whole ([`crate::catalog::Catalog::compact`]).

use alloc::vec;
use alloc::vec::Vec;
use core::cmp::Ordering;
use core::ops::Range;

use super::search::{Idfs, Postings, SearchIndex, TermIndex};
use super::{Index, IndexBuilder, NO_DIGEST};
use crate::name::{cmp_folded_bytes, eq_folded};
use crate::record::Entry;
use crate::tables::Strings;
use crate::text::terms::shared_prefixes;

/// `base` with `entries` in it, each taken by [`crate::catalog::Catalog::accept`] (new,
/// and allowed by the rules). `None` where only a whole rebuild can say: a base without
/// its average length, a name with cargo's view of a row or a yanked version (their
/// spans name strings by id), or a sum too large.
pub(crate) fn merge(base: &Index, entries: &[Entry]) -> Option<Index> {
    let average = f64::from_bits(base.search.average?);
    if base.yanked().any(|y| entries.iter().any(|e| eq_folded(e.name(), y.name()))) {
        return None;
    }
    // The small index: the base's rows of the names the entries touch, the entries, and
    // every statement (they are few, and it sorts them as a whole build would).
    let mut touched = vec![false; base.len()];
    let mut builder = IndexBuilder::default();
    for entry in entries {
        for row in base.folded_group(entry.name()) {
            if core::mem::replace(&mut touched[row], true) {
                break;
            }
            if base.has_cargo_data() && !base.cargo.get(row).is_empty() {
                return None;
            }
            builder.push_row(base.get(row)).ok()?;
        }
        builder.push_entry(entry.clone());
    }
    builder.statements.extend_from_slice(&base.statements);
    builder.importer = base.importer;
    let mut small = builder.build_weighed(Some(average)).ok()?;
    let rows = interleave(base, &touched, &small);
    let mut index = copy_rows(base, &small, &rows)?;
    index.statements = core::mem::take(&mut small.statements);
    index.importer = base.importer;
    (index.yanked_name, index.yanked_version, index.yanked_checksum, index.yanked_cargo) = (
        base.yanked_name.clone(),
        base.yanked_version.clone(),
        base.yanked_checksum.clone(),
        base.yanked_cargo.clone(),
    );
    index.search = merge_search(base, &small, &rows)?;
    Some(index)
}

/// The index a merged row comes from.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Base,
    Small,
}

/// Where a merged row comes from: its index, and its row there.
type Source = (Side, usize);

/// Rows `first..first + len` of one side, which become the merged rows from `at` on.
struct Run {
    side: Side,
    first: usize,
    len: usize,
    at: usize,
}

/// The merged rows as runs of consecutive rows of one side.
fn runs(rows: &[Source]) -> impl Iterator<Item = Run> + '_ {
    let mut at = 0;
    core::iter::from_fn(move || {
        let &(side, first) = rows.get(at)?;
        let len = rows[at..].iter().enumerate().take_while(|&(k, &row)| row == (side, first + k)).count();
        let run = Run { side, first, len, at };
        at += len;
        Some(run)
    })
}

/// The merged rows in order: the base's not `touched`, and the small index's in their
/// place (both in row order, and no name of one folds as a name of the other). Each small
/// row's place is found by binary search, not by comparing it with every base row before.
fn interleave(base: &Index, touched: &[bool], small: &Index) -> Vec<Source> {
    let mut rows = Vec::with_capacity(base.len() + small.len());
    let kept = |rows: &mut Vec<Source>, range: Range<usize>| {
        rows.extend(range.filter(|&r| !touched[r]).map(|r| (Side::Base, r)));
    };
    let mut next = 0;
    for s in 0..small.len() {
        let name = small.name_bytes(s);
        let (mut lo, mut hi) = (next, base.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match cmp_folded_bytes(base.name_bytes(mid), name) {
                Ordering::Less => lo = mid + 1,
                _ => hi = mid,
            }
        }
        kept(&mut rows, next..lo);
        rows.push((Side::Small, s));
        next = lo;
    }
    kept(&mut rows, next..base.len());
    rows
}

/// Every row column of the merged rows. The small index's strings and digests follow the
/// base's, so the base's ids (in its cargo spans and yanked versions too) stay as they are.
fn copy_rows(base: &Index, small: &Index, rows: &[Source]) -> Option<Index> {
    let text_len = base.strings.text().len() + small.strings.text().len();
    u32::try_from(text_len).ok()?;
    let (strings, digests) = (base.strings.len() as u32, base.digests.len() as u32);
    let mut text = Vec::with_capacity(text_len);
    text.extend_from_slice(base.strings.text());
    text.extend_from_slice(small.strings.text());
    let base_text = base.strings.text().len() as u32;
    let ends: Vec<u32> = base
        .strings
        .ends()
        .iter()
        .copied()
        .chain(small.strings.ends().iter().map(|e| e + base_text))
        .collect();
    let mut index = Index {
        strings: Strings::new(text.into(), ends.into()),
        digests: base.digests.iter().chain(small.digests.iter()).copied().collect::<Vec<_>>().into(),
        ..Index::default()
    };
    let n = rows.len();
    let mut columns: [Vec<u32>; 8] = core::array::from_fn(|_| Vec::with_capacity(n));
    let (mut downloads, mut published, mut stars) =
        (Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n));
    // Nearly every row comes in a long run of the base's: each run is copied column by
    // column, every column read once (a shared column checks its bytes on each read).
    for Run { side, first, len, at } in runs(rows) {
        let (from, string, digest) = match side {
            Side::Base => (base, 0, 0),
            Side::Small => (small, strings, digests),
        };
        let range = first..first + len;
        let ids =
            [&from.name, &from.version, &from.description, &from.license, &from.category, &from.homepage];
        for (to, column) in columns.iter_mut().zip(ids) {
            to.extend(column[range.clone()].iter().map(|id| id + string));
        }
        for (to, column) in columns[6..].iter_mut().zip([&from.publisher, &from.content_hash]) {
            to.extend(
                column[range.clone()].iter().map(|&id| if id == NO_DIGEST { NO_DIGEST } else { id + digest }),
            );
        }
        downloads.extend_from_slice(&from.downloads[range.clone()]);
        published.extend_from_slice(&from.published[range.clone()]);
        stars.extend_from_slice(&from.stars[range.clone()]);
        let lists = [&mut index.tags, &mut index.authors, &mut index.dependencies];
        for (to, list) in lists.into_iter().zip([&from.tags, &from.authors, &from.dependencies]) {
            to.extend_rows(list, range.clone(), |id| id + string);
        }
        if base.has_cargo_data() {
            // The small index holds no row with cargo's view ([`merge`]).
            match side {
                Side::Base => index.cargo.extend_rows(&base.cargo, range.clone(), |b| b),
                Side::Small => range.clone().for_each(|_| index.cargo.push([])),
            }
        }
        let signed = &from.signed_rows[..];
        let (lo, hi) = (
            signed.partition_point(|&r| (r as usize) < first),
            signed.partition_point(|&r| (r as usize) < first + len),
        );
        for (&r, signature) in signed[lo..hi].iter().zip(&from.signatures[lo..hi]) {
            let row = (at + r as usize - first) as u32;
            index.signed_rows.push(row);
            index.signatures.push(*signature);
            if from.checked_rows.0.binary_search(&r).is_ok() {
                index.checked_rows.0.push(row);
            }
        }
    }
    let [name, version, description, license, category, homepage, publisher, content_hash] = columns;
    (index.name, index.version, index.description, index.license) =
        (name.into(), version.into(), description.into(), license.into());
    (index.category, index.homepage, index.publisher, index.content_hash) =
        (category.into(), homepage.into(), publisher.into(), content_hash.into());
    (index.downloads, index.published, index.stars) = (downloads.into(), published.into(), stars.into());
    Some(index)
}

/// The search index of the merged rows: each document where its row went, its postings
/// merged into one dictionary, every IDF computed again over the merged documents.
fn merge_search(base: &Index, small: &Index, rows: &[Source]) -> Option<SearchIndex> {
    let (b, s) = (&base.search, &small.search);
    let mut search = SearchIndex { average: b.average, ..SearchIndex::default() };
    // Each source document's number in the merged index (`u32::MAX`: left out).
    let mut base_docs = vec![u32::MAX; b.docs.len()];
    let mut small_docs = vec![u32::MAX; s.docs.len()];
    for (row, source) in rows.iter().enumerate() {
        let (from, docs, r) = match *source {
            (Side::Base, r) => (b, &mut base_docs, r),
            (Side::Small, r) => (s, &mut small_docs, r),
        };
        if let Some(doc) = from.doc_of(r) {
            docs[doc as usize] = search.docs.len() as u32;
            search.docs.push(row as u32);
            search.popularity.push(from.popularity[doc as usize]);
            search.name_terms.push(from.name_terms[doc as usize]);
        }
    }
    let docs = search.docs.len();
    search.words = merge_terms([(&b.words, &base_docs), (&s.words, &small_docs)], docs)?;
    search.names = merge_terms([(&b.names, &base_docs), (&s.names, &small_docs)], docs)?;
    Some(search)
}

/// Two dictionaries as one: their terms in order, each with the postings of both (their
/// documents renumbered, those left out dropped), a term left with none dropped too.
fn merge_terms(sources: [(&TermIndex, &[u32]); 2], docs: usize) -> Option<TermIndex> {
    let [(a, a_docs), (b, b_docs)] = sources;
    let postings = a.postings.docs.len() + b.postings.docs.len();
    u32::try_from(postings).ok()?;
    u32::try_from(a.terms.text().len() + b.terms.text().len()).ok()?;
    let mut idfs = Idfs::new(docs);
    let (mut text, mut ends, mut idf) = (Vec::new(), Vec::new(), Vec::new());
    let mut post_ends = Vec::with_capacity(a.terms.len());
    let mut out = Merged {
        docs: Vec::with_capacity(postings),
        weights: Vec::with_capacity(postings),
        fields: Vec::with_capacity(postings),
    };
    let (mut i, mut j) = (0u32, 0u32);
    while (i as usize) < a.terms.len() || (j as usize) < b.terms.len() {
        let order = match ((i as usize) < a.terms.len(), (j as usize) < b.terms.len()) {
            (true, true) => a.terms.bytes(i).cmp(b.terms.bytes(j)),
            (true, false) => Ordering::Less,
            _ => Ordering::Greater,
        };
        let term = if order == Ordering::Greater { b.terms.bytes(j) } else { a.terms.bytes(i) };
        let start = out.docs.len();
        match order {
            // Nearly every term is one dictionary's alone: its postings need no merging.
            Ordering::Less => renumbered(a, a_docs, i).for_each(|p| out.push(p)),
            Ordering::Greater => renumbered(b, b_docs, j).for_each(|p| out.push(p)),
            Ordering::Equal => {
                let (mut from_a, mut from_b) =
                    (renumbered(a, a_docs, i).peekable(), renumbered(b, b_docs, j).peekable());
                loop {
                    let next = match (from_a.peek(), from_b.peek()) {
                        (Some(x), Some(y)) if x.0 < y.0 => from_a.next(),
                        (Some(_), Some(_)) | (None, Some(_)) => from_b.next(),
                        (Some(_), None) => from_a.next(),
                        (None, None) => break,
                    };
                    out.push(next?);
                }
            }
        }
        if order != Ordering::Greater {
            i += 1;
        }
        if order != Ordering::Less {
            j += 1;
        }
        if out.docs.len() == start {
            continue;
        }
        text.extend_from_slice(term);
        ends.push(text.len() as u32);
        idf.push(idfs.of(out.docs.len() - start));
        post_ends.push(out.docs.len() as u32);
    }
    let postings = Postings {
        ends: post_ends.into(),
        docs: out.docs.into(),
        weights: out.weights.into(),
        fields: out.fields.into(),
    };
    let terms = Strings::new(text.into(), ends.into());
    Some(TermIndex { shared: shared_prefixes(&terms).into(), terms, idf: idf.into(), postings })
}

/// The merged postings, column by column.
struct Merged {
    docs: Vec<u32>,
    weights: Vec<u16>,
    fields: Vec<u8>,
}

impl Merged {
    fn push(&mut self, (doc, weight, field): (u32, u16, u8)) {
        self.docs.push(doc);
        self.weights.push(weight);
        self.fields.push(field);
    }
}

/// One dictionary's postings of `term`, renumbered by `docs` (those left out dropped),
/// ascending.
fn renumbered<'a>(t: &'a TermIndex, docs: &'a [u32], term: u32) -> impl Iterator<Item = (u32, u16, u8)> + 'a {
    let p = &t.postings;
    let range = p.range(term);
    let postings = p.docs[range.clone()].iter().zip(&p.weights[range.clone()]).zip(&p.fields[range]);
    postings.map(|((&doc, &weight), &field)| (docs[doc as usize], weight, field)).filter(|d| d.0 != u32::MAX)
}

//! The index snapshot: one binary format for disk, IndexedDB and the wire.
//!
//! ```text
//! offset 0   b"SOUKIDX\0"
//!        8   u32 format version (FORMAT_VERSION)
//!       12   u32 checksum: the low half of the XXH3-64 of every byte from offset 16 on
//!       16   u32 section count
//!       20   per section: [u8; 4] tag, u32 offset, u32 length
//!            section bodies, each starting on an 8-byte boundary
//! ```
//!
//! All integers are little-endian. A section is one column: a flat array of `u32`/`u64`,
//! the string text, or the 32-byte digests, each 8-byte aligned, so a loaded index reads
//! its columns in place from the snapshot's bytes (no per-record parsing, no copy), after
//! a check of every invariant the accessors rely on: a corrupt, truncated or hostile
//! snapshot gives a [`SnapshotError`], never a panic.
//! Readers ignore sections they do not know, so later formats can add columns. Besides the
//! columns, a snapshot may carry the signed statements about its names (`OSTM`: each a
//! `u32` length and its bytes), the key that imported its unsigned rows (`OIMP`), and the
//! average document length its search weights were computed against (`SAVG`, an `f64`):
//! entries merged in later are weighed alike, and without it they are rebuilt with the rest.
//! An index imported from crates.io adds cargo's view of each row (`CRGE`/`CRGB`, see
//! [`super::cargo`]) and the versions crates.io yanked (`YNAM`, `YVER`, `YSUM`,
//! `YCGE`/`YCGB`); an index without either writes neither, byte for byte as before, and an
//! older reader skips them.

use alloc::string::String;
use alloc::vec::Vec;
use bytes::Bytes;
use core::cmp::Ordering;
use core::ops::Range;

use super::search::{Postings, SearchIndex, TermIndex};
use super::{Index, NO_DIGEST, Signature};
use crate::name::{check_listed_bytes, cmp_folded_bytes};
use crate::pack::Digest;
use crate::record::Statement;
use crate::tables::{Blobs, Column, Lists, Plain, Strings, le_bytes};
use crate::wire::Reader;

const MAGIC: &[u8; 8] = b"SOUKIDX\0";
/// The snapshot format this build writes and reads.
pub const FORMAT_VERSION: u32 = 2;
const HEADER_LEN: usize = 20;
const ENTRY_LEN: usize = 12;
const MAX_SECTIONS: usize = 256;

type Tag = [u8; 4];
const STRING_ENDS: Tag = *b"STRE";
const STRING_TEXT: Tag = *b"STRT";
const DIGESTS: Tag = *b"DIGS";
const NAME: Tag = *b"NAME";
const VERSION: Tag = *b"VERS";
const DESCRIPTION: Tag = *b"DESC";
const LICENSE: Tag = *b"LICN";
const CATEGORY: Tag = *b"CATG";
const HOMEPAGE: Tag = *b"HOME";
const PUBLISHER: Tag = *b"PUBK";
const CONTENT_HASH: Tag = *b"HASH";
const DOWNLOADS: Tag = *b"DOWN";
const STARS: Tag = *b"STAR";
const PUBLISHED: Tag = *b"TIME";
const TAG_ENDS: Tag = *b"TAGE";
const TAG_ITEMS: Tag = *b"TAGI";
const AUTHOR_ENDS: Tag = *b"AUTE";
const AUTHOR_ITEMS: Tag = *b"AUTI";
const DEPENDENCY_ENDS: Tag = *b"DEPE";
const DEPENDENCY_ITEMS: Tag = *b"DEPI";
const SIGNED_ROWS: Tag = *b"SIGR";
const SIGNATURES: Tag = *b"SIGS";
const STATEMENTS: Tag = *b"OSTM";
const IMPORTER: Tag = *b"OIMP";
const CARGO_ENDS: Tag = *b"CRGE";
const CARGO_BYTES: Tag = *b"CRGB";
const YANKED_NAME: Tag = *b"YNAM";
const YANKED_VERSION: Tag = *b"YVER";
const YANKED_CHECKSUM: Tag = *b"YSUM";
const YANKED_CARGO_ENDS: Tag = *b"YCGE";
const YANKED_CARGO_BYTES: Tag = *b"YCGB";
const SEARCH_DOCS: Tag = *b"SDOC";
const SEARCH_POPULARITY: Tag = *b"SPOP";
const SEARCH_NAME_TERMS: Tag = *b"SNTC";
const SEARCH_AVERAGE: Tag = *b"SAVG";

/// The sections of one term dictionary ([`TermIndex`]), by a leading letter: `S` for the
/// words, `N` for the whole names.
struct TermTags {
    ends: Tag,
    text: Tag,
    shared: Tag,
    idf: Tag,
    posting_ends: Tag,
    posting_docs: Tag,
    posting_weights: Tag,
    posting_fields: Tag,
}

const fn term_tags(p: u8) -> TermTags {
    TermTags {
        ends: [p, b'T', b'M', b'E'],
        text: [p, b'T', b'M', b'T'],
        shared: [p, b'T', b'S', b'H'],
        idf: [p, b'T', b'I', b'D'],
        posting_ends: [p, b'P', b'O', b'E'],
        posting_docs: [p, b'P', b'D', b'C'],
        posting_weights: [p, b'P', b'W', b'T'],
        posting_fields: [p, b'P', b'F', b'L'],
    }
}

const WORDS: TermTags = term_tags(b'S');
const NAMES: TermTags = term_tags(b'N');

/// Why a snapshot could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SnapshotError {
    #[error("not a Souk index snapshot (bad magic bytes)")]
    BadMagic,
    #[error("snapshot is truncated ({0} bytes)")]
    Truncated(usize),
    #[error("snapshot format version {found} is not supported (this build reads version {FORMAT_VERSION})")]
    UnsupportedVersion { found: u32 },
    #[error("snapshot is corrupt (checksum mismatch)")]
    Checksum,
    #[error("snapshot is corrupt: {0}")]
    Corrupt(String),
}

fn corrupt(what: impl core::fmt::Display) -> SnapshotError {
    SnapshotError::Corrupt(alloc::format!("{what}"))
}

fn tag_name(tag: Tag) -> String {
    String::from_utf8_lossy(&tag).into_owned()
}

impl Index {
    /// Writes the index as a snapshot.
    pub fn to_snapshot(&self) -> Vec<u8> {
        let search = &self.search;
        let mut sections: Vec<(Tag, Vec<u8>)> = alloc::vec![
            (STRING_ENDS, le_bytes(self.strings.ends())),
            (STRING_TEXT, le_bytes(self.strings.text())),
            (DIGESTS, le_bytes(&self.digests)),
            (NAME, le_bytes(&self.name)),
            (VERSION, le_bytes(&self.version)),
            (DESCRIPTION, le_bytes(&self.description)),
            (LICENSE, le_bytes(&self.license)),
            (CATEGORY, le_bytes(&self.category)),
            (HOMEPAGE, le_bytes(&self.homepage)),
            (PUBLISHER, le_bytes(&self.publisher)),
            (CONTENT_HASH, le_bytes(&self.content_hash)),
            (DOWNLOADS, le_bytes(&self.downloads)),
            (STARS, le_bytes(&self.stars)),
            (PUBLISHED, le_bytes(&self.published)),
            (TAG_ENDS, le_bytes(&self.tags.ends)),
            (TAG_ITEMS, le_bytes(&self.tags.items)),
            (AUTHOR_ENDS, le_bytes(&self.authors.ends)),
            (AUTHOR_ITEMS, le_bytes(&self.authors.items)),
            (DEPENDENCY_ENDS, le_bytes(&self.dependencies.ends)),
            (DEPENDENCY_ITEMS, le_bytes(&self.dependencies.items)),
            (SIGNED_ROWS, le_bytes(&self.signed_rows)),
            (SIGNATURES, le_bytes(&self.signatures)),
            (SEARCH_DOCS, le_bytes(&search.docs)),
            (SEARCH_POPULARITY, le_bytes(&search.popularity)),
            (SEARCH_NAME_TERMS, le_bytes(&search.name_terms)),
        ];
        if !self.statements.is_empty() {
            let mut body = Vec::new();
            for statement in &self.statements {
                let bytes = statement.encode();
                body.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
                body.extend_from_slice(&bytes);
            }
            sections.push((STATEMENTS, body));
        }
        if let Some(importer) = self.importer {
            sections.push((IMPORTER, importer.to_vec()));
        }
        if let Some(average) = search.average {
            sections.push((SEARCH_AVERAGE, average.to_le_bytes().to_vec()));
        }
        if self.has_cargo_data() {
            sections.push((CARGO_ENDS, le_bytes(&self.cargo.ends)));
            sections.push((CARGO_BYTES, le_bytes(&self.cargo.items)));
        }
        if !self.yanked_name.is_empty() {
            sections.extend([
                (YANKED_NAME, le_bytes(&self.yanked_name)),
                (YANKED_VERSION, le_bytes(&self.yanked_version)),
                (YANKED_CHECKSUM, le_bytes(&self.yanked_checksum)),
                (YANKED_CARGO_ENDS, le_bytes(&self.yanked_cargo.ends)),
                (YANKED_CARGO_BYTES, le_bytes(&self.yanked_cargo.items)),
            ]);
        }
        for (tags, terms) in [(&WORDS, &search.words), (&NAMES, &search.names)] {
            sections.extend([
                (tags.ends, le_bytes(terms.terms.ends())),
                (tags.text, le_bytes(terms.terms.text())),
                (tags.shared, le_bytes(&terms.shared)),
                (tags.idf, le_bytes(&terms.idf)),
                (tags.posting_ends, le_bytes(&terms.postings.ends)),
                (tags.posting_docs, le_bytes(&terms.postings.docs)),
                (tags.posting_weights, le_bytes(&terms.postings.weights)),
                (tags.posting_fields, le_bytes(&terms.postings.fields)),
            ]);
        }
        let mut offset = align8(HEADER_LEN + ENTRY_LEN * sections.len());
        let mut table = Vec::with_capacity(ENTRY_LEN * sections.len());
        for (tag, body) in &sections {
            table.extend_from_slice(tag);
            table.extend_from_slice(&(offset as u32).to_le_bytes());
            table.extend_from_slice(&(body.len() as u32).to_le_bytes());
            offset = align8(offset + body.len());
        }
        let mut out = Vec::with_capacity(offset);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        out.extend_from_slice(&[0; 4]); // checksum, filled in below
        out.extend_from_slice(&(sections.len() as u32).to_le_bytes());
        out.extend_from_slice(&table);
        for (_, body) in &sections {
            out.resize(align8(out.len()), 0);
            out.extend_from_slice(body);
        }
        let sum = checksum(&out[16..]);
        out[12..16].copy_from_slice(&sum.to_le_bytes());
        out
    }

    /// Loads a snapshot written by [`Index::to_snapshot`], checking it thoroughly (a copy
    /// of `bytes`; [`Index::load`] reads shared bytes in place).
    pub fn from_snapshot(bytes: &[u8]) -> Result<Index, SnapshotError> {
        Index::load(Bytes::copy_from_slice(bytes))
    }

    /// Loads a snapshot, checking it thoroughly, and reads its columns in place: the index
    /// keeps `bytes` and copies none of them.
    pub fn load(bytes: Bytes) -> Result<Index, SnapshotError> {
        Index::read(bytes, Checks::All)
    }

    /// Opens a snapshot only to read it: every bound and structural invariant reading relies
    /// on is checked, so no bytes can make reading it panic or allocate beyond their size,
    /// but not what only decides whether its answers are right: the checksum (a guard
    /// against accidental damage, which reads every byte), rows in order, once each and
    /// well named, text in UTF-8 (read as empty where not). A search of a 55 MB index then
    /// reads a few of its columns, not all of them. For `souk search` of a file; what a
    /// catalog builds on, resolves or installs from is [loaded](Index::load).
    pub fn open(bytes: Bytes) -> Result<Index, SnapshotError> {
        Index::read(bytes, Checks::Reading)
    }

    /// Loads a snapshot this peer loaded before and kept (its store's base): the checksum
    /// shows these are the bytes that passed every rule then, so it and the structure are
    /// checked again, not the rules (a third of the time of loading the npm index).
    pub fn load_kept(bytes: Bytes) -> Result<Index, SnapshotError> {
        Index::read(bytes, Checks::Kept)
    }

    fn read(bytes: Bytes, checks: Checks) -> Result<Index, SnapshotError> {
        let sections = Sections::parse(&bytes, checks)?;

        let strings = sections.strings(STRING_ENDS, STRING_TEXT)?;
        if sections.get(DIGESTS)?.len() % 32 != 0 {
            return Err(corrupt("digest table is not a whole number of digests"));
        }
        let digests: Column<Digest> = sections.column(DIGESTS)?;

        let name: Column<u32> = sections.column(NAME)?;
        let records = name.len();
        let column = |tag: Tag| -> Result<Column<u32>, SnapshotError> {
            let ids: Column<u32> = sections.column(tag)?;
            check_len(tag, ids.len(), records)?;
            check_ids(tag, &ids, strings.len())?;
            Ok(ids)
        };
        let digest_column = |tag: Tag, records: usize| -> Result<Column<u32>, SnapshotError> {
            let ids: Column<u32> = sections.column(tag)?;
            check_len(tag, ids.len(), records)?;
            match ids.iter().find(|&&id| id != NO_DIGEST && id as usize >= digests.len()) {
                Some(_) => Err(corrupt(alloc::format!("{} refers to a missing digest", tag_name(tag)))),
                None => Ok(ids),
            }
        };
        let lists = |ends: Tag, items: Tag| -> Result<Lists, SnapshotError> {
            let lists = Lists { ends: sections.column(ends)?, items: sections.column(items)? };
            check_len(ends, lists.ends.len(), records)?;
            check_ids(items, &lists.items, strings.len())?;
            if !lists.is_well_formed() {
                return Err(corrupt(alloc::format!("{} offsets are inconsistent", tag_name(ends))));
            }
            Ok(lists)
        };
        let numbers = |tag: Tag| -> Result<Column<u64>, SnapshotError> {
            let values: Column<u64> = sections.column(tag)?;
            check_len(tag, values.len(), records)?;
            Ok(values)
        };

        check_ids(NAME, &name, strings.len())?;
        let version = column(VERSION)?;
        if checks.rules() {
            check_rows(&name, &version, &strings)?;
        }
        let dependencies = lists(DEPENDENCY_ENDS, DEPENDENCY_ITEMS)?;
        if dependencies.ends.iter().any(|e| e % 2 != 0) {
            return Err(corrupt("dependency lists are not name/requirement pairs"));
        }
        let (signed_rows, signatures) = signatures(&sections, records)?;
        let cargo = match sections.find(CARGO_ENDS).or(sections.find(CARGO_BYTES)) {
            None => Blobs::default(),
            Some(_) => {
                let cargo = blobs(&sections, CARGO_ENDS, CARGO_BYTES, records)?;
                if signed_rows.iter().any(|&row| !cargo.get(row as usize).is_empty()) {
                    return Err(corrupt("a signed row carries resolution data its signature does not cover"));
                }
                cargo
            }
        };
        let (yanked_name, yanked_version, yanked_checksum, yanked_cargo) = match sections.find(YANKED_NAME) {
            None => Default::default(),
            Some(_) => {
                let names: Column<u32> = sections.column(YANKED_NAME)?;
                let versions: Column<u32> = sections.column(YANKED_VERSION)?;
                check_len(YANKED_VERSION, versions.len(), names.len())?;
                check_ids(YANKED_NAME, &names, strings.len())?;
                check_ids(YANKED_VERSION, &versions, strings.len())?;
                if checks.rules() {
                    check_rows(&names, &versions, &strings)?;
                }
                let spans = blobs(&sections, YANKED_CARGO_ENDS, YANKED_CARGO_BYTES, names.len())?;
                let checksums = digest_column(YANKED_CHECKSUM, names.len())?;
                (names, versions, checksums, spans)
            }
        };
        let stars: Column<u32> = sections.column(STARS)?;
        check_len(STARS, stars.len(), records)?;
        let search = SearchIndex {
            docs: sections.column(SEARCH_DOCS)?,
            popularity: sections.column(SEARCH_POPULARITY)?,
            name_terms: sections.column(SEARCH_NAME_TERMS)?,
            words: sections.term_index(&WORDS)?,
            names: sections.term_index(&NAMES)?,
            average: sections.average(),
        };
        if !search.is_well_formed(records) {
            return Err(corrupt("search index is inconsistent"));
        }
        let index = Index {
            search,
            version,
            description: column(DESCRIPTION)?,
            license: column(LICENSE)?,
            category: column(CATEGORY)?,
            homepage: column(HOMEPAGE)?,
            publisher: digest_column(PUBLISHER, records)?,
            content_hash: digest_column(CONTENT_HASH, records)?,
            downloads: numbers(DOWNLOADS)?,
            stars,
            published: numbers(PUBLISHED)?,
            tags: lists(TAG_ENDS, TAG_ITEMS)?,
            authors: lists(AUTHOR_ENDS, AUTHOR_ITEMS)?,
            dependencies,
            cargo,
            yanked_name,
            yanked_version,
            yanked_checksum,
            yanked_cargo,
            name,
            strings,
            digests,
            signed_rows,
            signatures,
            checked_rows: Default::default(),
            statements: statements(&sections)?,
            importer: match sections.find(IMPORTER) {
                None => None,
                Some(key) => Some(key.try_into().map_err(|_| corrupt("the importer is not a 32-byte key"))?),
            },
        };
        // A version is a row or yanked, never both (the builder keeps the row).
        if checks.rules()
            && let Some(y) = index.yanked().find(|y| {
                index.versions_of(y.name()).any(|r| {
                    let row = index.get(r);
                    row.name() == y.name() && row.version() == y.version()
                })
            })
        {
            return Err(corrupt(alloc::format!("{} {} appears twice", y.name(), y.version())));
        }
        Ok(index)
    }
}

/// The statements, each checked as one from the network is (its signature too; what each
/// means is for [`crate::record::Owners`]), in the order the builder keeps them. Optional:
/// older snapshots have none.
fn statements(sections: &Sections<'_>) -> Result<Vec<Statement>, SnapshotError> {
    let mut r = Reader(sections.find(STATEMENTS).unwrap_or_default());
    let mut statements: Vec<Statement> = Vec::new();
    while r.remaining() > 0 {
        let truncated = |_| corrupt("a statement is cut short");
        let len = r.u32().map_err(truncated)? as usize;
        let statement = Statement::decode(r.take(len).map_err(truncated)?)
            .map_err(|e| corrupt(alloc::format!("a statement is refused: {e}")))?;
        if statements
            .last()
            .is_some_and(|last| super::statement_order(last, &statement) != core::cmp::Ordering::Less)
        {
            return Err(corrupt("statements are not in order"));
        }
        statements.push(statement);
    }
    Ok(statements)
}

/// The signed rows and their signatures. Snapshots written before signatures were kept lack
/// both sections: then no row is signed, so none can be installed until it is signed again.
fn signatures(
    sections: &Sections<'_>,
    records: usize,
) -> Result<(Column<u32>, Column<Signature>), SnapshotError> {
    if sections.find(SIGNED_ROWS).is_none() && sections.find(SIGNATURES).is_none() {
        return Ok(Default::default());
    }
    let rows: Column<u32> = sections.column(SIGNED_ROWS)?;
    let signatures: Column<Signature> = sections.column(SIGNATURES)?;
    if signatures.len() != rows.len() {
        return Err(corrupt("the signature table does not match its rows"));
    }
    if rows.windows(2).any(|w| w[0] >= w[1]) || rows.last().is_some_and(|&r| r as usize >= records) {
        return Err(corrupt("signed rows are not ascending rows of the index"));
    }
    Ok((rows, signatures))
}

/// A span of bytes per entry, `entries` of them, in two sections that come together.
fn blobs(sections: &Sections<'_>, ends: Tag, bytes: Tag, entries: usize) -> Result<Blobs, SnapshotError> {
    let blobs = Blobs { ends: sections.column(ends)?, items: sections.column(bytes)? };
    check_len(ends, blobs.ends.len(), entries)?;
    if !blobs.is_well_formed() {
        return Err(corrupt(alloc::format!("{} offsets are inconsistent", tag_name(ends))));
    }
    Ok(blobs)
}

/// Rows come as the builder writes them: by folded name, then name, each version of a name
/// once. A snapshot whose rows repeat or wander is refused here, so nothing built from it
/// later (a catalog's next index) meets a duplicate. One pass, comparing each name with the
/// one before; only names with several versions look at their versions. Every name must be
/// one an index may list ([`check_listed_name`]).
fn check_rows(names: &[u32], versions: &[u32], strings: &Strings) -> Result<(), SnapshotError> {
    let mut start = 0;
    for at in 1..=names.len() {
        let ends = match names.get(at) {
            None => true,
            Some(&id) if id == names[at - 1] => false,
            Some(&id) => {
                let (previous, name) = (strings.bytes(names[at - 1]), strings.bytes(id));
                match cmp_folded_bytes(previous, name).then_with(|| previous.cmp(name)) {
                    Ordering::Greater => {
                        let name = strings.get(id);
                        return Err(corrupt(alloc::format!("row {at} ({name}) is out of order")));
                    }
                    Ordering::Equal => false,
                    Ordering::Less => true,
                }
            }
        };
        if ends {
            check_listed_bytes(strings.bytes(names[start])).map_err(|rule| {
                let name = strings.get(names[start]);
                corrupt(alloc::format!("row {} has the name {name:?}, which {rule}", start + 1))
            })?;
            if at - start > 1 {
                check_versions(strings.get(names[start]), &versions[start..at], strings)?;
            }
            start = at;
        }
    }
    Ok(())
}

/// The versions of one name, each once.
fn check_versions(name: &str, versions: &[u32], strings: &Strings) -> Result<(), SnapshotError> {
    let mut texts: Vec<&str> = versions.iter().map(|&v| strings.get(v)).collect();
    texts.sort_unstable();
    match texts.windows(2).find(|w| w[0] == w[1]) {
        Some(w) => Err(corrupt(alloc::format!("{name} {} appears twice", w[0]))),
        None => Ok(()),
    }
}

fn check_len(tag: Tag, found: usize, records: usize) -> Result<(), SnapshotError> {
    if found == records {
        Ok(())
    } else {
        Err(corrupt(alloc::format!("column {} has {found} entries for {records} records", tag_name(tag))))
    }
}

fn check_ids(tag: Tag, ids: &[u32], strings: usize) -> Result<(), SnapshotError> {
    // The largest id first: a reduction the compiler vectorizes, where a search is not.
    if ids.iter().max().is_none_or(|&id| (id as usize) < strings) {
        return Ok(());
    }
    match ids.iter().find(|&&id| id as usize >= strings) {
        Some(id) => {
            Err(corrupt(alloc::format!("column {} refers to string {id} of {strings}", tag_name(tag))))
        }
        None => Ok(()),
    }
}

/// The section table of a snapshot whose header and checksum are good.
struct Sections<'a> {
    bytes: &'a Bytes,
    table: &'a [u8],
    checks: Checks,
}

/// How much [`Index::read`] checks: see [`Index::load`], [`Index::load_kept`] and
/// [`Index::open`]. Structure is always checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Checks {
    All,
    Kept,
    Reading,
}

impl Checks {
    fn checksum(self) -> bool {
        self != Checks::Reading
    }

    /// The rules about rows and text, which only decide whether answers are right.
    fn rules(self) -> bool {
        self == Checks::All
    }
}

impl<'a> Sections<'a> {
    fn parse(bytes: &'a Bytes, checks: Checks) -> Result<Self, SnapshotError> {
        if bytes.len() < HEADER_LEN {
            return Err(if bytes.starts_with(&MAGIC[..bytes.len().min(8)]) {
                SnapshotError::Truncated(bytes.len())
            } else {
                SnapshotError::BadMagic
            });
        }
        if &bytes[..8] != MAGIC {
            return Err(SnapshotError::BadMagic);
        }
        let found = read_u32(bytes, 8);
        if found != FORMAT_VERSION {
            return Err(SnapshotError::UnsupportedVersion { found });
        }
        let count = read_u32(bytes, 16) as usize;
        if count > MAX_SECTIONS {
            return Err(corrupt(alloc::format!("{count} sections")));
        }
        let table_end = HEADER_LEN + count * ENTRY_LEN;
        let table = bytes.get(HEADER_LEN..table_end).ok_or(SnapshotError::Truncated(bytes.len()))?;
        // Every section must fit, so a cut-off file reads as truncated, not as corrupt.
        for entry in table.chunks_exact(ENTRY_LEN) {
            let end = (read_u32(entry, 4) as usize).checked_add(read_u32(entry, 8) as usize);
            if end.is_none_or(|end| end > bytes.len()) {
                return Err(SnapshotError::Truncated(bytes.len()));
            }
        }
        if checks.checksum() && checksum(&bytes[16..]) != read_u32(bytes, 12) {
            return Err(SnapshotError::Checksum);
        }
        Ok(Sections { bytes, table, checks })
    }

    fn get(&self, tag: Tag) -> Result<&'a [u8], SnapshotError> {
        self.find(tag).ok_or_else(|| corrupt(alloc::format!("section {} is missing", tag_name(tag))))
    }

    fn find(&self, tag: Tag) -> Option<&'a [u8]> {
        self.bytes.get(self.range(tag)?)
    }

    /// Where section `tag` lies (within the bytes: [`Sections::parse`] checked every entry).
    fn range(&self, tag: Tag) -> Option<Range<usize>> {
        let entry = self.table.chunks_exact(ENTRY_LEN).find(|e| e[..4] == tag)?;
        let start = read_u32(entry, 4) as usize;
        Some(start..start + read_u32(entry, 8) as usize)
    }

    /// Section `tag` as a column, read in place where it can be.
    fn column<T: Plain>(&self, tag: Tag) -> Result<Column<T>, SnapshotError> {
        let range =
            self.range(tag).ok_or_else(|| corrupt(alloc::format!("section {} is missing", tag_name(tag))))?;
        Column::read(self.bytes, range)
            .ok_or_else(|| corrupt(alloc::format!("section {} has a partial entry", tag_name(tag))))
    }

    /// The documents' average length (`SAVG`), if the snapshot has a plausible one: it only
    /// weighs documents merged in later, and without it they are rebuilt with the rest.
    fn average(&self) -> Option<u64> {
        let bits = u64::from_le_bytes(self.find(SEARCH_AVERAGE)?.try_into().ok()?);
        let average = f64::from_bits(bits);
        (average.is_finite() && average >= 1.0).then_some(bits)
    }

    fn term_index(&self, tags: &TermTags) -> Result<TermIndex, SnapshotError> {
        Ok(TermIndex {
            terms: self.strings(tags.ends, tags.text)?,
            shared: self.column(tags.shared)?,
            idf: self.column(tags.idf)?,
            postings: Postings {
                ends: self.column(tags.posting_ends)?,
                docs: self.column(tags.posting_docs)?,
                weights: self.column(tags.posting_weights)?,
                fields: self.column(tags.posting_fields)?,
            },
        })
    }

    /// A string table: its end offsets and its text.
    fn strings(&self, ends: Tag, text: Tag) -> Result<Strings, SnapshotError> {
        let strings = Strings::new(self.column(text)?, self.column(ends)?);
        let all = self.checks.rules();
        if all && core::str::from_utf8(strings.text()).is_err() {
            return Err(corrupt(alloc::format!("{} is not UTF-8", tag_name(text))));
        }
        if !strings.is_well_formed() || all && !strings.is_split_on_chars() {
            return Err(corrupt(alloc::format!("{} offsets are inconsistent", tag_name(ends))));
        }
        Ok(strings)
    }
}

/// XXH3 rather than CRC-32: as good at catching corruption, and several times faster
/// where there is no CRC instruction (wasm), which is where loading must be quick.
fn checksum(bytes: &[u8]) -> u32 {
    xxhash_rust::xxh3::xxh3_64(bytes) as u32
}

fn read_u32(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}

fn align8(n: usize) -> usize {
    n.next_multiple_of(8)
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;
    use crate::index::IndexBuilder;
    use crate::pack::Manifest;

    fn snapshot_pack(name: &str) -> crate::PackVersion {
        let manifest = Manifest {
            name: name.into(),
            version: "1.0.0".into(),
            description: "a pack".into(),
            license: "MIT".into(),
            ..Manifest::default()
        };
        crate::PackVersion { content_hash: Some([3; 32]), ..manifest.validate().unwrap() }
    }

    fn snapshot(rows: &[(&str, &str)]) -> Vec<u8> {
        let mut builder = IndexBuilder::default();
        for (name, version) in rows {
            let manifest = Manifest {
                name: (*name).into(),
                version: (*version).into(),
                description: "a pack".into(),
                license: "MIT".into(),
                ..Manifest::default()
            };
            builder.push(manifest.validate().unwrap());
        }
        builder.build().unwrap().to_snapshot()
    }

    /// `bytes` with the `u32` column `tag` rewritten by `change`, the checksum made good
    /// again: what a hostile peer can send.
    fn forged(mut bytes: Vec<u8>, tag: Tag, change: impl Fn(&mut [u32])) -> Vec<u8> {
        let count = read_u32(&bytes, 16) as usize;
        let entry = (0..count).map(|i| HEADER_LEN + i * ENTRY_LEN).find(|&e| bytes[e..e + 4] == tag).unwrap();
        let (offset, len) = (read_u32(&bytes, entry + 4) as usize, read_u32(&bytes, entry + 8) as usize);
        let mut column: Vec<u32> = bytes[offset..offset + len]
            .chunks_exact(4)
            .map(|c| u32::from_le_bytes(c.try_into().unwrap()))
            .collect();
        change(&mut column);
        for (at, value) in column.iter().enumerate() {
            bytes[offset + at * 4..offset + at * 4 + 4].copy_from_slice(&value.to_le_bytes());
        }
        let sum = checksum(&bytes[16..]);
        bytes[12..16].copy_from_slice(&sum.to_le_bytes());
        bytes
    }

    fn refusal(bytes: &[u8]) -> String {
        alloc::format!("{}", Index::from_snapshot(bytes).unwrap_err())
    }

    #[test]
    fn a_snapshot_repeating_a_version_is_refused() {
        let good = snapshot(&[("rust-cli", "1.0.0"), ("rust-cli", "1.1.0")]);
        assert!(Index::from_snapshot(&good).is_ok());
        // Both rows point at the same version string: two identical rows.
        let twice = forged(good, VERSION, |versions| versions[1] = versions[0]);
        assert!(refusal(&twice).contains("rust-cli 1.0.0 appears twice"), "{}", refusal(&twice));
    }

    #[test]
    fn a_snapshot_naming_a_row_like_a_path_is_refused() {
        for name in ["../escape", "/home/u/.ssh", "a b"] {
            let mut builder = IndexBuilder::default();
            let mut pack = snapshot_pack("innocent");
            builder.push(pack.clone());
            pack.name = name.into();
            builder.push(pack);
            let bytes = builder.build().unwrap().to_snapshot();
            assert!(refusal(&bytes).contains(&alloc::format!("the name {name:?}")), "{}", refusal(&bytes));
        }
    }

    #[test]
    fn an_implausible_average_length_is_left_out() {
        let good = snapshot(&[("alpha", "1.0.0"), ("beta", "2.0.0")]);
        assert!(Index::from_snapshot(&good).unwrap().search.average.is_some());
        // Only merged entries are weighed by it: without one, they are rebuilt with the rest.
        for bad in [f64::NAN, f64::INFINITY, -3.0, 0.5] {
            let bits = bad.to_bits();
            let bytes =
                forged(good.clone(), SEARCH_AVERAGE, |w| (w[0], w[1]) = (bits as u32, (bits >> 32) as u32));
            assert_eq!(Index::from_snapshot(&bytes).unwrap().search.average, None, "{bad}");
        }
    }

    #[test]
    fn forged_cargo_sections_are_refused() {
        use crate::index::tests::cargo_summary;
        let mut builder = IndexBuilder::default();
        let record = crate::record::PackRecord::sign(snapshot_pack("alpha"), &[1; 32]).unwrap();
        builder.push_record(record);
        builder.push_cargo(cargo_summary("zlib-sys", "1.0.0", false));
        builder.push_cargo(cargo_summary("zlib-sys", "1.1.0", true));
        let index = builder.build().unwrap();
        let bytes = index.to_snapshot();
        assert_eq!(Index::from_snapshot(&bytes).unwrap(), index);
        // The signed row given resolution data: its signature would not cover it.
        let signed = forged(bytes.clone(), CARGO_ENDS, |ends| ends[0] = 1);
        assert!(refusal(&signed).contains("signed row carries resolution data"), "{}", refusal(&signed));
        let wandering = forged(bytes.clone(), CARGO_ENDS, |ends| ends[1] = 0);
        assert!(refusal(&wandering).contains("CRGE offsets"), "{}", refusal(&wandering));
        // The yanked version made the row's own version: one version twice.
        let row_version = index.version[1];
        let twice = forged(bytes.clone(), YANKED_VERSION, |versions| versions[0] = row_version);
        assert!(refusal(&twice).contains("zlib-sys 1.0.0 appears twice"), "{}", refusal(&twice));
        let missing = forged(bytes, YANKED_CHECKSUM, |sums| sums[0] = 7);
        assert!(refusal(&missing).contains("YSUM refers to a missing digest"), "{}", refusal(&missing));
    }

    #[test]
    fn signatures_survive_a_snapshot_and_a_forged_table_is_refused() {
        let mut builder = IndexBuilder::default();
        builder.push(snapshot_pack("alpha"));
        let record = crate::record::PackRecord::sign(snapshot_pack("beta"), &[1; 32]).unwrap();
        builder.push_record(record.clone());
        let bytes = builder.build().unwrap().to_snapshot();
        let index = Index::from_snapshot(&bytes).unwrap();
        assert_eq!((index.get(0).signature(), index.get(1).signature()), (None, Some(&record.signature)));
        let past_the_end = forged(bytes, SIGNED_ROWS, |rows| rows[0] = 2);
        assert!(refusal(&past_the_end).contains("signed rows"), "{}", refusal(&past_the_end));
    }

    #[test]
    fn a_snapshot_whose_rows_wander_is_refused() {
        let good = snapshot(&[("alpha", "1.0.0"), ("beta", "1.0.0")]);
        let swapped = forged(good, NAME, |names| names.swap(0, 1));
        assert!(refusal(&swapped).contains("out of order"), "{}", refusal(&swapped));
    }

    fn open(bytes: &[u8]) -> Result<Index, SnapshotError> {
        Index::open(Bytes::copy_from_slice(bytes))
    }

    #[test]
    fn an_opened_snapshot_reads_in_place_as_a_loaded_one() {
        let bytes = snapshot(&[("alpha", "1.0.0"), ("alpha", "1.1.0"), ("beta", "2.0.0")]);
        let shared = Bytes::from(bytes.clone());
        let (loaded, opened) = (Index::load(shared.clone()).unwrap(), Index::open(shared).unwrap());
        assert_eq!(loaded, Index::from_snapshot(&bytes).unwrap());
        assert_eq!(opened, loaded);
        assert_eq!(opened.to_snapshot(), bytes);
        assert!(matches!(loaded.name, Column::Shared(_)), "read in place, not copied");
        let hits = crate::search::search(&opened, &crate::search::Query::new("alpah")).hits;
        assert_eq!(opened.get(hits[0].record).name(), "alpha");
    }

    /// What `open` leaves unchecked gives wrong answers at worst; what it checks is what
    /// reading needs, so a hostile file that opens can still be searched without a panic.
    #[test]
    fn open_skips_only_what_decides_answers() {
        let good = snapshot(&[("alpha", "1.0.0"), ("beta", "1.0.0"), ("beta", "1.1.0")]);
        let mut damaged = good.clone();
        *damaged.last_mut().unwrap() ^= 1;
        assert_eq!(Index::from_snapshot(&damaged).unwrap_err(), SnapshotError::Checksum);
        let swapped = forged(good.clone(), NAME, |names| names.swap(0, 2));
        let twice = forged(good.clone(), VERSION, |versions| versions[2] = versions[1]);
        let mut bad_text = good.clone();
        let at = bad_text.windows(5).position(|w| w == b"alpha").unwrap();
        bad_text[at] = 0xff;
        let bad_text = forged(bad_text, NAME, |_| {});
        assert!(refusal(&bad_text).contains("not UTF-8"), "{}", refusal(&bad_text));
        // A kept base is checked against its checksum, not the rules it passed when taken.
        let kept = |bytes: &[u8]| Index::load_kept(Bytes::copy_from_slice(bytes));
        assert_eq!(kept(&damaged).unwrap_err(), SnapshotError::Checksum);
        assert!(kept(&swapped).is_ok() && kept(&twice).is_ok());
        for bytes in [&damaged, &swapped, &twice, &bad_text] {
            let index = open(bytes).unwrap();
            for text in ["alpha", "beta", "b", ""] {
                let _ = crate::search::search(&index, &crate::search::Query::new(text));
            }
        }
        assert_eq!(open(&bad_text).unwrap().get(0).name(), "", "text that is not UTF-8 reads as empty");
        // Structure is checked: a string id past the table, offsets that wander, a cut file.
        let past = forged(good.clone(), DESCRIPTION, |ids| ids[0] = 9999);
        let wander = forged(good.clone(), STRING_ENDS, |ends| ends.swap(1, 2));
        let posting = forged(good.clone(), WORDS.posting_docs, |docs| docs[0] = 9999);
        for bytes in [&past[..], &wander, &posting, &good[..good.len() - 9]] {
            assert!(open(bytes).is_err(), "opened a structurally broken snapshot");
        }
    }
}

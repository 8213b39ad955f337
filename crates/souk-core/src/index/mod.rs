//! The registry index: every known pack version in a compact, immutable, columnar form.
//!
//! Records are sorted by folded name (then exact name), then by version, so the versions of one pack are
//! adjacent and a name is found by binary search. Each column is a flat vector (string ids
//! into one interned table, or numbers), so there is no heap object per record, and the
//! [snapshot](snapshot) is those vectors written out as they are.

pub(crate) mod search;
mod snapshot;

use alloc::string::ToString;
use alloc::vec::Vec;
use core::cmp::Ordering;
use core::ops::Range;

use crate::tables::{Interner, Lists, Strings};
pub use snapshot::{FORMAT_VERSION, SnapshotError};

use crate::name::{cmp_folded, eq_folded, one_edit_apart};
use crate::pack::{Dependency, Digest, PackVersion};
use crate::record::{PackRecord, Statement};
use search::SearchIndex;

/// How many of the most downloaded packs a new name may not be one edit away from.
pub const POPULAR: usize = 1000;

/// The id of an absent digest (a publisher key or content hash imported metadata lacks).
const NO_DIGEST: u32 = u32::MAX;

/// An immutable registry index. Build one with [`IndexBuilder`] or load a snapshot with
/// [`Index::from_snapshot`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Index {
    strings: Strings,
    digests: Vec<Digest>,
    name: Vec<u32>,
    version: Vec<u32>,
    description: Vec<u32>,
    license: Vec<u32>,
    category: Vec<u32>,
    homepage: Vec<u32>,
    publisher: Vec<u32>,
    content_hash: Vec<u32>,
    downloads: Vec<u64>,
    stars: Vec<u32>,
    published: Vec<u64>,
    tags: Lists,
    authors: Lists,
    /// Flattened `(name, requirement)` string-id pairs.
    dependencies: Lists,
    /// The rows that came from a signed record, ascending, and each one's signature: what
    /// lets a peer check a row it is about to install, whoever served the index.
    signed_rows: Vec<u32>,
    signatures: Vec<Signature>,
    /// The signed rows whose signature this process checked itself (records that arrived
    /// in a catalog's log). Never written to a snapshot: a loaded index has none.
    checked_rows: CheckedRows,
    /// Signed statements about names (owners, yanks), by name then serial.
    statements: Vec<Statement>,
    /// The key that imported the rows no one signed: the first owner of their names.
    importer: Option<Digest>,
    pub(crate) search: SearchIndex,
}

/// Rows, ascending, whose signature this process checked: what this process knows, not what
/// the index says, so two indexes of the same rows are equal whatever each one checked.
#[derive(Debug, Clone, Default)]
struct CheckedRows(Vec<u32>);

impl PartialEq for CheckedRows {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for CheckedRows {}

/// An ed25519 signature, as a [`crate::record::PackRecord`] carries it.
pub type Signature = [u8; 64];

impl Index {
    /// How many pack versions the index holds.
    pub fn len(&self) -> usize {
        self.name.len()
    }

    pub fn is_empty(&self) -> bool {
        self.name.is_empty()
    }

    /// The record at `record`, which must be below [`Index::len`].
    pub fn get(&self, record: usize) -> PackRef<'_> {
        assert!(record < self.len(), "record {record} out of range");
        PackRef { index: self, record }
    }

    /// Every record, in index order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = PackRef<'_>> {
        (0..self.len()).map(|record| PackRef { index: self, record })
    }

    /// The bytes the index holds in memory: every column and the search index. (A loaded
    /// snapshot costs this much; the snapshot's own bytes can be dropped after loading.)
    pub fn memory_bytes(&self) -> usize {
        use core::mem::size_of_val as size;
        let lists = |l: &Lists| size(&l.ends[..]) + size(&l.items[..]);
        let columns = [
            &self.name,
            &self.version,
            &self.description,
            &self.license,
            &self.category,
            &self.homepage,
            &self.publisher,
            &self.content_hash,
            &self.stars,
        ];
        self.strings.text.len()
            + size(&self.strings.ends[..])
            + size(&self.digests[..])
            + columns.iter().map(|c| size(&c[..])).sum::<usize>()
            + size(&self.downloads[..])
            + size(&self.published[..])
            + lists(&self.tags)
            + lists(&self.authors)
            + lists(&self.dependencies)
            + size(&self.signed_rows[..])
            + size(&self.signatures[..])
            + size(&self.statements[..])
            + self.search.memory_bytes()
    }

    /// The records of every version of the pack called `name`, oldest first.
    ///
    /// Names are looked up folded. Imported registries may hold distinct packs whose names
    /// fold alike (npm has both `CBuffer` and `cbuffer`); then the exact spelling wins,
    /// and failing that the first spelling in index order.
    pub fn versions_of(&self, name: &str) -> Range<usize> {
        let folded = |i: &u32| cmp_folded(self.str(*i), name);
        let start = self.name.partition_point(|i| folded(i) == Ordering::Less);
        let end = start + self.name[start..].partition_point(|i| folded(i) == Ordering::Equal);
        let group = &self.name[start..end];
        if group.first() == group.last() {
            return start..end;
        }
        let exact = |i: &u32| self.str(*i).cmp(name);
        let from = group.partition_point(|i| exact(i) == Ordering::Less);
        let to = from + group[from..].partition_point(|i| exact(i) == Ordering::Equal);
        if from < to {
            start + from..start + to
        } else {
            start..start + group.partition_point(|i| *i == group[0])
        }
    }

    /// A popular pack (one of the [`POPULAR`] most downloaded) whose name is one edit from
    /// `name`, when `name` is not popular itself: what a name that looks like a typo of it
    /// would pass for (`reqeusts` for `requests`; `preact` and `react` are both popular).
    pub fn popular_lookalike(&self, name: &str) -> Option<PackRef<'_>> {
        let mut latest: Vec<usize> =
            (0..self.len()).filter(|&r| self.is_latest(r) && self.downloads[r] > 0).collect();
        if latest.len() > POPULAR {
            latest.select_nth_unstable_by_key(POPULAR, |&r| core::cmp::Reverse(self.downloads[r]));
            latest.truncate(POPULAR);
        }
        let popular = || latest.iter().map(|&r| self.get(r));
        if popular().any(|p| eq_folded(p.name(), name)) {
            return None;
        }
        popular().find(|p| one_edit_apart(p.name(), name))
    }

    /// The signed statements about `name`, oldest first (what [`crate::record::Owners`]
    /// replays).
    /// A statement counts under every spelling of its name, as a record does.
    pub fn statements_of(&self, name: &str) -> &[Statement] {
        if self.versions_of(name).is_empty() {
            return &[];
        }
        let start = self.statements.partition_point(|s| cmp_folded(&s.name, name) == Ordering::Less);
        let len = self.statements[start..].partition_point(|s| eq_folded(&s.name, name));
        &self.statements[start..start + len]
    }

    /// Every statement, by name then serial.
    pub fn statements(&self) -> &[Statement] {
        &self.statements
    }

    /// The key that imported the rows no one signed, if one is known.
    pub fn importer(&self) -> Option<&Digest> {
        self.importer.as_ref()
    }

    /// The newest version of `name`, if the index knows the pack.
    pub fn latest(&self, name: &str) -> Option<PackRef<'_>> {
        self.versions_of(name).last().map(|record| self.get(record))
    }

    /// Whether `record` is the newest version of its pack: what lists and searches show.
    /// (Names are interned, so one pack's records share a name id.)
    pub fn is_latest(&self, record: usize) -> bool {
        self.name.get(record + 1) != Some(&self.name[record])
    }

    fn str(&self, id: u32) -> &str {
        self.strings.get(id)
    }
}

/// A borrowed view of one record.
#[derive(Debug, Clone, Copy)]
pub struct PackRef<'a> {
    index: &'a Index,
    record: usize,
}

impl<'a> PackRef<'a> {
    /// The record's position in the index.
    pub fn record(&self) -> usize {
        self.record
    }
    pub fn name(&self) -> &'a str {
        self.text(&self.index.name)
    }
    /// The version as written; it parsed as semver when the index was built.
    pub fn version(&self) -> &'a str {
        self.text(&self.index.version)
    }
    pub fn description(&self) -> &'a str {
        self.text(&self.index.description)
    }
    pub fn license(&self) -> &'a str {
        self.text(&self.index.license)
    }
    pub fn category(&self) -> &'a str {
        self.text(&self.index.category)
    }
    pub fn homepage(&self) -> &'a str {
        self.text(&self.index.homepage)
    }
    pub fn downloads(&self) -> u64 {
        self.index.downloads[self.record]
    }
    pub fn stars(&self) -> u32 {
        self.index.stars[self.record]
    }
    pub fn published(&self) -> u64 {
        self.index.published[self.record]
    }
    pub fn publisher(&self) -> Option<&'a Digest> {
        self.digest(&self.index.publisher)
    }
    pub fn content_hash(&self) -> Option<&'a Digest> {
        self.digest(&self.index.content_hash)
    }
    /// The publisher's signature, when the row came from a signed record.
    pub fn signature(&self) -> Option<&'a Signature> {
        let at = self.index.signed_rows.binary_search(&(self.record as u32)).ok()?;
        self.index.signatures.get(at)
    }
    /// Whether this process checked the row's signature itself (it came in a catalog's
    /// log, decoded from the wire or the store), so checking it again would tell nothing.
    pub fn is_checked(&self) -> bool {
        self.index.checked_rows.0.binary_search(&(self.record as u32)).is_ok()
    }
    pub fn tags(&self) -> impl ExactSizeIterator<Item = &'a str> + 'a {
        self.list(&self.index.tags)
    }
    pub fn authors(&self) -> impl ExactSizeIterator<Item = &'a str> + 'a {
        self.list(&self.index.authors)
    }
    /// `(name, requirement)` pairs, as published.
    pub fn dependencies(&self) -> impl ExactSizeIterator<Item = (&'a str, &'a str)> + 'a {
        let index = self.index;
        index
            .dependencies
            .get(self.record)
            .chunks_exact(2)
            .map(move |pair| (index.str(pair[0]), index.str(pair[1])))
    }

    /// An owned copy of the record. It fails only for a snapshot whose version or
    /// requirement text does not parse, which no snapshot this crate wrote holds.
    pub fn to_version(&self) -> Result<PackVersion, semver::Error> {
        Ok(PackVersion {
            name: self.name().into(),
            version: self.version().parse()?,
            description: self.description().into(),
            tags: self.tags().map(Into::into).collect(),
            category: self.category().into(),
            license: self.license().into(),
            authors: self.authors().map(Into::into).collect(),
            homepage: self.homepage().into(),
            dependencies: self
                .dependencies()
                .map(|(name, req)| Ok(Dependency { name: name.into(), req: req.parse()? }))
                .collect::<Result<_, semver::Error>>()?,
            downloads: self.downloads(),
            stars: self.stars(),
            published: self.published(),
            publisher: self.publisher().copied(),
            content_hash: self.content_hash().copied(),
        })
    }

    fn text(&self, column: &[u32]) -> &'a str {
        self.index.str(column[self.record])
    }
    fn digest(&self, column: &[u32]) -> Option<&'a Digest> {
        self.index.digests.get(column[self.record] as usize)
    }
    fn list(&self, lists: &'a Lists) -> impl ExactSizeIterator<Item = &'a str> + 'a {
        let index = self.index;
        lists.get(self.record).iter().map(move |&id| index.str(id))
    }
}

/// Why pack versions could not be built into an index.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BuildError {
    #[error("{name} {version} appears twice")]
    Duplicate { name: alloc::string::String, version: alloc::string::String },
    #[error("the index would exceed 4 GiB of {0}")]
    TooLarge(&'static str),
}

/// Collects pack versions and builds an [`Index`]. The same set of versions always builds
/// the same index, and so the same snapshot bytes, whatever order they were pushed in.
#[derive(Debug, Default)]
pub struct IndexBuilder {
    /// Each version, its signature, and whether this process checked that signature.
    packs: Vec<(PackVersion, Option<Signature>, bool)>,
    statements: Vec<Statement>,
    importer: Option<Digest>,
}

impl IndexBuilder {
    /// Adds a version no one signed (imported metadata, a local pack): listed, never installed.
    pub fn push(&mut self, pack: PackVersion) {
        self.packs.push((pack, None, false));
    }

    /// Adds a signed record, keeping its signature so the row can be checked again later.
    pub fn push_record(&mut self, record: PackRecord) {
        self.packs.push((record.pack, Some(record.signature), false));
    }

    /// Adds a signed record whose signature this process checked (decoded from the wire or
    /// the store, or verified): an install takes its row without checking it again.
    pub(crate) fn push_checked(&mut self, record: PackRecord) {
        self.packs.push((record.pack, Some(record.signature), true));
    }

    /// Adds a row of another index as it is, its signature (and whether it was checked)
    /// included.
    pub fn push_row(&mut self, row: PackRef<'_>) -> Result<(), semver::Error> {
        self.packs.push((row.to_version()?, row.signature().copied(), row.is_checked()));
        Ok(())
    }

    /// Adds a statement about a name (kept whatever it says: [`crate::record::Owners`]
    /// decides what it means).
    pub fn push_statement(&mut self, statement: Statement) {
        self.statements.push(statement);
    }

    /// Names the key that imported the unsigned rows (`souk index import` does).
    pub fn importer(&mut self, key: Digest) {
        self.importer = Some(key);
    }

    /// Everything of another index but its rows: its statements and its importer.
    pub fn push_statements_of(&mut self, index: &Index) {
        self.statements.extend_from_slice(&index.statements);
        self.importer = self.importer.or(index.importer);
    }

    pub fn len(&self) -> usize {
        self.packs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.packs.is_empty()
    }

    pub fn build(mut self) -> Result<Index, BuildError> {
        self.statements.sort_unstable_by(statement_order);
        self.statements.dedup();
        self.packs.sort_unstable_by(|(a, ..), (b, ..)| {
            cmp_folded(&a.name, &b.name)
                .then_with(|| a.name.cmp(&b.name))
                .then_with(|| a.version.cmp(&b.version))
        });
        if let Some(w) =
            self.packs.windows(2).find(|w| w[0].0.name == w[1].0.name && w[0].0.version == w[1].0.version)
        {
            let p = &w[1].0;
            return Err(BuildError::Duplicate { name: p.name.clone(), version: p.version.to_string() });
        }

        let n = self.packs.len();
        let mut strings = Interner::default();
        strings.intern(""); // id 0: the empty string, for every field left blank
        let mut digests: Vec<Digest> = Vec::new();
        let mut digest_ids = hashbrown::HashMap::new();
        let mut digest = |d: &Option<Digest>| match d {
            None => NO_DIGEST,
            Some(d) => *digest_ids.entry(*d).or_insert_with(|| {
                digests.push(*d);
                digests.len() as u32 - 1
            }),
        };
        let mut index = Index {
            name: Vec::with_capacity(n),
            version: Vec::with_capacity(n),
            description: Vec::with_capacity(n),
            license: Vec::with_capacity(n),
            category: Vec::with_capacity(n),
            homepage: Vec::with_capacity(n),
            publisher: Vec::with_capacity(n),
            content_hash: Vec::with_capacity(n),
            downloads: Vec::with_capacity(n),
            stars: Vec::with_capacity(n),
            published: Vec::with_capacity(n),
            ..Index::default()
        };
        for (row, (p, signature, checked)) in self.packs.iter().enumerate() {
            if let Some(signature) = signature {
                index.signed_rows.push(row as u32);
                index.signatures.push(*signature);
                if *checked {
                    index.checked_rows.0.push(row as u32);
                }
            }
            index.name.push(strings.intern(&p.name));
            index.version.push(strings.intern(&p.version.to_string()));
            index.description.push(strings.intern(&p.description));
            index.license.push(strings.intern(&p.license));
            index.category.push(strings.intern(&p.category));
            index.homepage.push(strings.intern(&p.homepage));
            index.publisher.push(digest(&p.publisher));
            index.content_hash.push(digest(&p.content_hash));
            index.downloads.push(p.downloads);
            index.stars.push(p.stars);
            index.published.push(p.published);
            index.tags.push(p.tags.iter().map(|t| strings.intern(t)));
            index.authors.push(p.authors.iter().map(|a| strings.intern(a)));
            index.dependencies.push(
                p.dependencies
                    .iter()
                    .flat_map(|d| [strings.intern(&d.name), strings.intern(&d.req.to_string())]),
            );
        }
        index.strings = strings.finish();
        index.digests = digests;
        index.statements = self.statements;
        index.importer = self.importer;
        index.search = search::build(&index);
        if u32::try_from(index.strings.text.len()).is_err() {
            return Err(BuildError::TooLarge("text"));
        }
        if u32::try_from(index.dependencies.items.len()).is_err() {
            return Err(BuildError::TooLarge("dependencies"));
        }
        Ok(index)
    }
}

/// The order statements are kept in: by folded name, so every spelling of a name finds
/// them together ([`Index::statements_of`]), then by serial.
pub(crate) fn statement_order(a: &Statement, b: &Statement) -> Ordering {
    cmp_folded(&a.name, &b.name).then(a.serial.cmp(&b.serial)).then_with(|| a.cmp(b))
}

#[cfg(test)]
pub(crate) mod tests;
